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

// BenchmarkCompute measures building and computing a graph of 10 000
// independent chunks (one node each) reduced by a 64-way tree: ns/node is
// the per-node cost of graph bookkeeping plus the executor.
func BenchmarkCompute(b *testing.B) {
	const chunks = 10_000
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
			in := Of(1)
			b.ReportAllocs()
			nodes := 0
			for i := 0; i < b.N; i++ {
				level := make([]Value[int], chunks)
				for k := range level {
					level[k] = Call1("double", double, in)
				}
				nodes = chunks
				for len(level) > 1 {
					var next []Value[int]
					for k := 0; k < len(level); k += 64 {
						next = append(next, CallN("sum", func(_ context.Context, xs []int) (int, error) {
							s := 0
							for _, x := range xs {
								s += x
							}
							return s, nil
						}, level[k:min(k+64, len(level))]))
					}
					nodes += len(next)
					level = next
				}
				got, err := Compute1(ctx, ex.ex, level[0])
				if err != nil || got != 2*chunks {
					b.Fatal(got, err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*nodes), "ns/node")
		})
	}
}
