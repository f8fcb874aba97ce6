package kernels

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
)

// minParallelElems is the input size below which kernels run on the
// calling goroutine: under it, starting workers costs more than it saves.
const minParallelElems = 1 << 16

// workersFor is how many workers share a job of n elements split into
// items pieces: GOMAXPROCS, fewer for small jobs.
func workersFor(n, items int) int {
	w := runtime.GOMAXPROCS(0)
	if n < minParallelElems {
		w = 1
	}
	return max(1, min(w, items))
}

// forEachItem calls fn(worker, item) for item = 0..items-1 on the given
// number of workers, each worker taking the next free item. It stops
// handing out items once ctx is done or fn fails and returns the first
// error.
func forEachItem(ctx context.Context, workers, items int, fn func(worker, item int) error) error {
	if workers <= 1 {
		for i := range items {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := fn(0, i); err != nil {
				return err
			}
		}
		return nil
	}
	var (
		next    atomic.Int64
		wg      sync.WaitGroup
		errOnce sync.Once
		first   error
		failed  atomic.Bool
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= items {
					return
				}
				err := ctx.Err()
				if err == nil {
					err = fn(w, i)
				}
				if err != nil {
					errOnce.Do(func() { first = err })
					failed.Store(true)
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}
