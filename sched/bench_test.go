package sched

import (
	"context"
	"sync"
	"testing"
)

func trivial(context.Context) (int, error) { return 1, nil }

// BenchmarkSubmitGather measures the cluster's per-task overhead: Submit
// of a function that does nothing, then Gather, in batches of 1024.
func BenchmarkSubmitGather(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts Options
	}{
		{"workers=2", Options{Workers: 2}},
		{"workers=2/maxpending=256", Options{Workers: 2, MaxPending: 256}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c, err := NewLocalCluster(bc.opts)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			ctx := context.Background()
			fs := make([]*Future[int], 0, 1024)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; {
				fs = fs[:0]
				for ; len(fs) < cap(fs) && i < b.N; i++ {
					fs = append(fs, Submit(ctx, c, trivial))
				}
				if _, err := Gather(ctx, fs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAnchorGoroutines is the anchor: one goroutine per task and a
// WaitGroup, the least a Go program does to run tasks concurrently.
func BenchmarkAnchorGoroutines(b *testing.B) {
	ctx := context.Background()
	res := make([]int, 1024)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; {
		var wg sync.WaitGroup
		for k := 0; k < len(res) && i < b.N; k, i = k+1, i+1 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res[k], _ = trivial(ctx)
			}()
		}
		wg.Wait()
	}
}

// BenchmarkAnchorPool is the second anchor: a fixed pool of two goroutines
// fed by a channel.
func BenchmarkAnchorPool(b *testing.B) {
	ctx := context.Background()
	jobs := make(chan int, 256)
	var wg sync.WaitGroup
	var done sync.WaitGroup
	for w := 0; w < 2; w++ {
		done.Add(1)
		go func() {
			defer done.Done()
			for range jobs {
				trivial(ctx)
				wg.Done()
			}
		}()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		wg.Add(1)
		jobs <- i
	}
	wg.Wait()
	b.StopTimer()
	close(jobs)
	done.Wait()
}
