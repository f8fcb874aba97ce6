package delayed

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/segstack/segstack/sched"
	"github.com/stretchr/testify/require"
)

// TestRetriesOnCluster: a node marked Retries(2) that fails twice succeeds
// on its third run; without the option the first failure is the answer.
func TestRetriesOnCluster(t *testing.T) {
	t.Parallel()
	c, err := sched.NewLocalCluster(sched.Options{Workers: 2})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Close()) })
	flaky := func(calls *atomic.Int32) func(context.Context) (int, error) {
		return func(context.Context) (int, error) {
			if calls.Add(1) <= 2 {
				return 0, errors.New("transient")
			}
			return 42, nil
		}
	}

	var calls atomic.Int32
	got, err := Compute1(context.Background(), c, Call0("flaky", flaky(&calls), Retries(2)))
	require.NoError(t, err)
	require.Equal(t, 42, got)
	require.Equal(t, int32(3), calls.Load())

	calls.Store(0)
	_, err = Compute1(context.Background(), c, Call0("flaky", flaky(&calls)))
	require.ErrorContains(t, err, "transient")
	require.Equal(t, int32(1), calls.Load())
}
