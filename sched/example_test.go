package sched_test

import (
	"context"
	"fmt"
	"strings"
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

// The tutorial's submit/gather loop: eight 100 ms increments on four workers
// take two rounds instead of eight.
func Example_submitGather() {
	ctx := context.Background()
	cluster, err := sched.NewLocalCluster(sched.Options{Workers: 4})
	if err != nil {
		panic(err)
	}
	defer cluster.Close()

	start := time.Now()
	var futures []*sched.Future[int]
	for x := 1; x <= 8; x++ {
		futures = append(futures, sched.Submit(ctx, cluster, func(ctx context.Context) (int, error) {
			return increment(ctx, x)
		}, sched.Kind("increment")))
	}
	results, err := sched.Gather(ctx, futures)
	if err != nil {
		panic(err)
	}
	elapsed := time.Since(start)
	fmt.Println(results)
	fmt.Println("within 2x of 2 rounds:", elapsed < 2*200*time.Millisecond)
	fmt.Println("done:", cluster.Stats().Kinds[0].Done)
	// Output:
	// [2 3 4 5 6 7 8 9]
	// within 2x of 2 rounds: true
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

// ServeDashboard is the one call a program needs to show its work live: it
// returns the address to open in a browser.
func ExampleLocalCluster_ServeDashboard() {
	cluster, err := sched.NewLocalCluster(sched.Options{Workers: 2})
	if err != nil {
		panic(err)
	}
	defer cluster.Close()
	addr, err := cluster.ServeDashboard(":0") // a host-less address means loopback
	if err != nil {
		panic(err)
	}
	cluster.RegisterGauge("pool_bytes", "bytes held by the plane pool", func() float64 { return 0 })
	fmt.Println("loopback:", strings.HasPrefix(addr, "127.0.0.1:"))
	// fmt.Println("dashboard at http://" + addr + "/")
	// Output:
	// loopback: true
}
