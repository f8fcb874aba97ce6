package array

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/segstack/segstack/kernels"
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

// BenchmarkChunkOps times the per-chunk numeric work of element-wise
// operations, conversions and reduction summaries on one chunk of 16×256×256
// elements (1 Mi), without the graph around it. Mpix/s is of the chunk.
func BenchmarkChunkOps(b *testing.B) {
	shape := [3]int{16, 256, 256}
	n := shape[0] * shape[1] * shape[2]
	u16, u16b := make(vec[uint16], n), make(vec[uint16], n)
	f32, f32b := make(vec[float32], n), make(vec[float32], n)
	for i := range n {
		u16[i], u16b[i] = uint16(i*7919), uint16(i*104729+3)
		f32[i], f32b[i] = float32(i%1000)/7, float32(i%997)/3+1
	}
	all := [3]bool{true, true, true}
	cases := []struct {
		name string
		f    func()
	}{
		{"add/uint16", func() { u16.binary(kernels.OpAdd, u16b) }},
		{"div/float32", func() { f32.binary(kernels.OpDiv, f32b) }},
		{"maximum/float32", func() { f32.binary(kernels.OpMax, f32b) }},
		{"accumulate-add/float32", func() { f32.accumulate(kernels.OpAdd, f32b) }},
		{"mul-scalar/float32", func() { f32.scalar(kernels.OpMul, 0.5, false) }},
		{"rsub-scalar/uint16", func() { u16.scalar(kernels.OpSub, 7, true) }},
		{"gt/uint16", func() { u16.compare(kernels.CmpGt, u16b) }},
		{"astype/uint16-float32", func() { u16.convert(stack.Float32) }},
		{"astype/float32-uint8", func() { f32.convert(stack.Uint8) }},
		{"astype/uint16-float64", func() { u16.convert(stack.Float64) }},
		{"sum-all/uint16", func() { u16.reduce(ReduceSum, shape, all, false) }},
		{"sum-z/float32", func() { f32.reduce(ReduceSum, shape, [3]bool{true, false, false}, false) }},
		{"sum-x/float32", func() { f32.reduce(ReduceSum, shape, [3]bool{false, false, true}, false) }},
		{"mean-all/uint16", func() { u16.reduce(ReduceMean, shape, all, false) }},
		{"std-z/float32", func() { f32.reduce(ReduceStd, shape, [3]bool{true, false, false}, false) }},
		{"std-all/uint16", func() { u16.reduce(ReduceStd, shape, all, false) }},
		{"max-z/uint16", func() { u16.reduce(ReduceMax, shape, [3]bool{true, false, false}, false) }},
		{"min-x/float32", func() { f32.reduce(ReduceMin, shape, [3]bool{false, false, true}, false) }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				c.f()
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mpix/s")
		})
	}
}
