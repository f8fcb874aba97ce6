package sched

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSubmitGatherSmoke(t *testing.T) {
	c, err := NewLocalCluster(Options{Workers: 3})
	require.NoError(t, err)
	defer c.Close()
	ctx := context.Background()
	var fs []*Future[int]
	for i := 0; i < 100; i++ {
		fs = append(fs, Submit(ctx, c, func(context.Context) (int, error) { return i * i, nil }))
	}
	got, err := Gather(ctx, fs)
	require.NoError(t, err)
	for i, v := range got {
		require.Equal(t, i*i, v)
	}
}
