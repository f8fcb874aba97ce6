package delayed

import (
	"context"
	"testing"

	"github.com/segstack/segstack/sched"
	"github.com/stretchr/testify/require"
)

func inc(_ context.Context, x int) (int, error) { return x + 1, nil }
func add(_ context.Context, a, b int) (int, error) { return a + b, nil }

func TestSmoke(t *testing.T) {
	c, err := sched.NewLocalCluster(sched.Options{Workers: 2})
	require.NoError(t, err)
	defer c.Close()
	for _, ex := range []Executor{Serial(), Parallel(3), c} {
		x := Call1("inc", inc, Of(1))
		y := Call1("inc", inc, Of(2))
		z := Call2("add", add, x, y)
		got, err := Compute1(context.Background(), ex, z)
		require.NoError(t, err)
		require.Equal(t, 5, got)
		_, err = x.Result()
		require.ErrorIs(t, err, ErrNotComputed)
	}
}
