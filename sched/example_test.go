package sched_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/segstack/segstack/sched"
)

func increment(ctx context.Context, x int) (int, error) {
	select {
	case <-time.After(100 * time.Millisecond):
		return x + 1, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// The tutorial's submit/gather loop: eight 100 ms increments on four
// workers run four at a time, so they take two rounds instead of eight.
// Gather returns the results in the order the futures were given.
func Example_submitGather() {
	ctx := context.Background()
	cluster, err := sched.NewLocalCluster(sched.Options{Workers: 4})
	if err != nil {
		panic(err)
	}
	defer cluster.Close()

	var running, most atomic.Int32 // increments running now, and at most
	var futures []*sched.Future[int]
	for x := 1; x <= 8; x++ {
		futures = append(futures, sched.Submit(ctx, cluster, func(ctx context.Context) (int, error) {
			n := running.Add(1)
			defer running.Add(-1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			return increment(ctx, x)
		}, sched.Kind("increment")))
	}
	results, err := sched.Gather(ctx, futures)
	if err != nil {
		panic(err)
	}
	fmt.Println(results)
	fmt.Println("workers:", cluster.Parallelism())
	fmt.Println("never more than 4 at once:", most.Load() <= 4)
	fmt.Println("done:", cluster.Stats().Kinds[0].Done)
	// Output:
	// [2 3 4 5 6 7 8 9]
	// workers: 4
	// never more than 4 at once: true
	// done: 8
}

// A task with a CPU and a GPU implementation goes to whichever worker is
// free; WorkerInfo says which one runs it.
func ExampleSubmitW() {
	ctx := context.Background()
	cluster, err := sched.NewLocalCluster(sched.Options{Workers: 1, Devices: []sched.Device{{Kind: "GPU"}}})
	if err != nil {
		panic(err)
	}
	defer cluster.Close()
	smooth := func(_ context.Context, w sched.WorkerInfo) (string, error) {
		if w.IsDevice() {
			return fmt.Sprintf("on %s %d", w.Device.Kind, w.Device.Index), nil
		}
		return "on the CPU", nil
	}
	onlyGPU, _ := sched.SubmitW(ctx, cluster, smooth, sched.GPU).Get(ctx)
	onlyCPU, _ := sched.SubmitW(ctx, cluster, smooth).Get(ctx)
	fmt.Println(onlyGPU)
	fmt.Println(onlyCPU)
	// Either worker may take this one.
	_, err = sched.SubmitW(ctx, cluster, smooth, sched.CPU, sched.GPU).Get(ctx)
	fmt.Println(err)
	// Output:
	// on GPU 0
	// on the CPU
	// <nil>
}
