package engine

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
)

// flakyKV answers its first misses reads with errs[i], then err.
type flakyKV struct {
	jetstream.KeyValue
	errs  []error
	err   error
	reads int
}

func (f *flakyKV) Get(context.Context, string) (jetstream.KeyValueEntry, error) {
	f.reads++
	if f.reads <= len(f.errs) {
		return nil, f.errs[f.reads-1]
	}
	return nil, f.err
}

// A bucket whose server has not yet heard of its stream (no responders)
// is read again until it answers; any other error ends the wait at once,
// and the wait ends with its context.
func TestReadable(t *testing.T) {
	ctx := context.Background()
	nr := nats.ErrNoResponders
	kv := &flakyKV{errs: []error{nr, nr, nr}, err: jetstream.ErrKeyNotFound}
	require.NoError(t, readable(ctx, kv))
	require.Equal(t, 4, kv.reads)

	boom := errors.New("boom")
	kv = &flakyKV{errs: []error{nr}, err: boom}
	err := readable(ctx, kv)
	require.ErrorIs(t, err, boom)
	require.Contains(t, err.Error(), "job bucket")
	require.Equal(t, 2, kv.reads)

	kv = &flakyKV{err: nr}
	c, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	err = readable(c, kv)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(t0), 2*time.Second)
	require.Greater(t, kv.reads, 1)
}
