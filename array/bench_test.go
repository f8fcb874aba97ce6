package array

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/segstack/segstack/sched"
	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/tiff"
)

// BenchmarkGraph measures building graphs: the tutorial's z, and a sum over
// a 100×100 grid of chunks (10 000 chunks, about 13 000 reduction tasks).
// ns/task is the cost per task of the finished graph; "lower" also turns
// the graph into delayed nodes, as Compute does first.
func BenchmarkGraph(b *testing.B) {
	build := map[string]func() *Array{
		"tutorial-z": func() *Array {
			x := Random([]int{100, 100}, []int{10, 10}, 0)
			return x.Add(x.T()).Slice(Every(2), From(50)).Mean(1)
		},
		"sum-10000-chunks": func() *Array {
			return Random([]int{1000, 1000}, []int{10, 10}, 0).Sum()
		},
	}
	for _, name := range []string{"tutorial-z", "sum-10000-chunks"} {
		f := build[name]
		tasks := f().NumTasks()
		b.Run(name+"/build", func(b *testing.B) {
			b.ReportAllocs()
			cpu := cpuNanos()
			for b.Loop() {
				f()
			}
			reportPerTask(b, tasks, cpuNanos()-cpu)
			b.ReportMetric(float64(tasks), "tasks")
		})
		b.Run(name+"/build+lower", func(b *testing.B) {
			b.ReportAllocs()
			cpu := cpuNanos()
			for b.Loop() {
				lower(f().blocks)
			}
			reportPerTask(b, tasks, cpuNanos()-cpu)
		})
	}
}

// reportPerTask reports wall and CPU (all threads, GC included) time per
// task; on a shared machine the CPU figure is the steadier one.
func reportPerTask(b *testing.B, tasks int, cpu int64) {
	n := float64(b.N) * float64(tasks)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/task")
	if cpu > 0 {
		b.ReportMetric(float64(cpu)/n, "cpu-ns/task")
	}
}

// BenchmarkMIP takes the maximum over Z of a TIFF stack on disk (64 planes
// of 1024×1024 uint16, 128 MiB) through a lazy array on a LocalCluster,
// beside the anchor of reading the same file sequentially with no
// processing. MB/s is of the file; the ratio of the two is the cost of
// decoding, reducing and scheduling over plain reading. cpu-MB/s divides
// by the CPU time of the process (all threads) instead of the wall time:
// on a machine shared with other work it is the steadier figure, and the
// ratio of the two says how much of the cores the MIP keeps busy.
func BenchmarkMIP(b *testing.B) {
	shape := stack.Shape{Z: 64, Y: 1024, X: 1024}
	path := filepath.Join(b.TempDir(), "stack.tif")
	writeStack(b, path, shape)
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("read-file", func(b *testing.B) {
		b.SetBytes(st.Size())
		buf := make([]byte, 1<<20)
		cpu := cpuNanos()
		for b.Loop() {
			f, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{f}, buf); err != nil {
				b.Fatal(err)
			}
			f.Close()
		}
		reportCPURate(b, st.Size(), cpuNanos()-cpu)
	})
	b.Run("mip", func(b *testing.B) {
		r, err := tiff.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		defer r.Close()
		c, err := sched.NewLocalCluster(sched.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		b.SetBytes(st.Size())
		b.ReportAllocs()
		cpu := cpuNanos()
		for b.Loop() {
			if _, err := FromTIFF(r, nil).Max(0).Compute(context.Background(), c); err != nil {
				b.Fatal(err)
			}
		}
		reportCPURate(b, st.Size(), cpuNanos()-cpu)
	})
}

// reportCPURate reports the bytes processed per second of process CPU time.
func reportCPURate(b *testing.B, bytes int64, cpu int64) {
	if cpu > 0 {
		b.ReportMetric(float64(bytes)*float64(b.N)/(float64(cpu)/1e9)/1e6, "cpu-MB/s")
	}
}
