package delayed

import (
	"context"
	"testing"

	"github.com/segstack/segstack/sched"
)

func double(_ context.Context, x int) (int, error) { return 2 * x, nil }

// BenchmarkBuild measures recording one call node on a constant.
func BenchmarkBuild(b *testing.B) {
	x := Of(1)
	b.ReportAllocs()
	var v Value[int]
	for i := 0; i < b.N; i++ {
		v = Call1("double", double, x)
	}
	_ = v
}

// BenchmarkBuildPure is BenchmarkBuild with a pure (tokenized) key.
func BenchmarkBuildPure(b *testing.B) {
	x := Of(1)
	b.ReportAllocs()
	var v Value[int]
	for i := 0; i < b.N; i++ {
		v = Call1("double", double, x, Pure())
	}
	_ = v
}

func sumInts(_ context.Context, xs []int) (int, error) {
	s := 0
	for _, x := range xs {
		s += x
	}
	return s, nil
}

const benchChunks = 10_000

// buildTree builds benchChunks independent nodes reduced by a 64-way tree
// and returns the root and the number of call nodes.
func buildTree() (Value[int], int) {
	in := Of(1)
	level := make([]Value[int], benchChunks)
	for k := range level {
		level[k] = Call1("double", double, in)
	}
	nodes := benchChunks
	for len(level) > 1 {
		var next []Value[int]
		for k := 0; k < len(level); k += 64 {
			next = append(next, CallN("sum", sumInts, level[k:min(k+64, len(level))]))
		}
		nodes += len(next)
		level = next
	}
	return level[0], nodes
}

// BenchmarkCompute measures computing (not building) a graph of 10 000
// independent chunks reduced by a 64-way tree: ns/node is the per-node cost
// of the graph bookkeeping plus the executor. The graph is built once and
// recomputed.
func BenchmarkCompute(b *testing.B) {
	c, err := sched.NewLocalCluster(sched.Options{Workers: 2})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	for _, ex := range []struct {
		name string
		ex   Executor
	}{{"serial", Serial()}, {"parallel=2", Parallel(2)}, {"cluster/workers=2", c}} {
		b.Run(ex.name, func(b *testing.B) {
			ctx := context.Background()
			root, nodes := buildTree()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				got, err := Compute1(ctx, ex.ex, root)
				if err != nil || got != 2*benchChunks {
					b.Fatal(got, err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*nodes), "ns/node")
		})
	}
}

// BenchmarkAnchorDirect is the anchor for BenchmarkCompute: the same calls
// made directly, in one goroutine, with the same intermediate slices.
func BenchmarkAnchorDirect(b *testing.B) {
	ctx := context.Background()
	nodes := 0
	for i := 0; i < b.N; i++ {
		level := make([]int, benchChunks)
		for k := range level {
			level[k], _ = double(ctx, 1)
		}
		nodes = benchChunks
		for len(level) > 1 {
			var next []int
			for k := 0; k < len(level); k += 64 {
				v, _ := sumInts(ctx, level[k:min(k+64, len(level))])
				next = append(next, v)
			}
			nodes += len(next)
			level = next
		}
		if level[0] != 2*benchChunks {
			b.Fatal(level[0])
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*nodes), "ns/node")
}
