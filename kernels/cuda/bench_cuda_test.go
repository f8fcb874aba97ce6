//go:build cuda

package cuda

import (
	"context"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/kernels/cuda/emutest"
	"github.com/segstack/segstack/kernels/offload"
	"github.com/segstack/segstack/stack"
)

// The GPU benchmarks. scripts/gpu-check.sh runs them on the GPU machine
// against the real driver with the sizes; against the emulated
// driver (or with SEGSTACK_CUDA_BENCH_SMALL=1) they run on small volumes,
// so that they are tested here: their figures then say nothing of a GPU.
//
// Each reports its throughput and its fraction of the physical limit:
// hbm_frac of the H100's memory bandwidth (hbmBytesPerSec), or copy_frac
// of the copy bandwidth measured in the same benchmark.

// hbmBytesPerSec is the H100 SXM's memory bandwidth, 3.35 TB/s.
const hbmBytesPerSec = 3.35e12

// benchShape is full on a real GPU and a small stand-in on the emulator.
func benchShape(full stack.Shape) stack.Shape {
	if emutest.Emulated() || os.Getenv("SEGSTACK_CUDA_BENCH_SMALL") == "1" {
		return stack.Shape{Z: min(full.Z, 2), Y: 64, X: 64}
	}
	return full
}

type benchGPU struct {
	g *gpu
	s offload.Stream
}

func openBench(b *testing.B) benchGPU {
	b.Helper()
	d, err := loadDriver()
	if err != nil {
		b.Fatal(err)
	}
	g, err := openGPU(d, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := g.Close(); err != nil {
			b.Error(err)
		}
	})
	s, err := g.NewStream()
	if err != nil {
		b.Fatal(err)
	}
	return benchGPU{g, s}
}

func (bg benchGPU) alloc(b *testing.B, n int) offload.Buffer {
	b.Helper()
	buf, err := bg.g.Alloc(n)
	if err != nil {
		b.Fatal(err)
	}
	return buf
}

func (bg benchGPU) sync(b *testing.B) {
	b.Helper()
	if err := bg.g.Synchronize(bg.s); err != nil {
		b.Fatal(err)
	}
}

// upload fills a new device buffer with x through pinned memory.
func (bg benchGPU) upload(b *testing.B, x []byte) offload.Buffer {
	b.Helper()
	buf := bg.alloc(b, len(x))
	h, err := bg.g.AllocHost(len(x))
	if err != nil {
		b.Fatal(err)
	}
	copy(h.Bytes(), x)
	if err := bg.g.CopyToDevice(bg.s, buf, 0, h.Bytes()); err != nil {
		b.Fatal(err)
	}
	bg.sync(b)
	if err := bg.g.FreeHost(h); err != nil {
		b.Fatal(err)
	}
	return buf
}

func randFloats(n int, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 3))
	x := make([]float32, n)
	for i := range x {
		x[i] = r.Float32()
	}
	return x
}

// BenchmarkGaussianDeviceResident smooths a float32 volume already on the
// device with sigma 1 on every axis. Effective traffic is one read and one
// write of the volume.
func BenchmarkGaussianDeviceResident(b *testing.B) {
	bg := openBench(b)
	shape := benchShape(stack.Shape{Z: 64, Y: 2048, X: 2048})
	n := shape.Len()
	src := bg.upload(b, bytesOfF32(randFloats(n, 1)))
	dst := bg.alloc(b, 4*n)
	opt := kernels.GaussianOptions{Sigma: [3]float64{1, 1, 1}}
	if err := bg.g.Gaussian(bg.s, dst, src, shape, opt); err != nil { // warm-up: weights, JIT
		b.Fatal(err)
	}
	bg.sync(b)
	b.SetBytes(int64(8 * n))
	b.ResetTimer()
	for range b.N {
		if err := bg.g.Gaussian(bg.s, dst, src, shape, opt); err != nil {
			b.Fatal(err)
		}
	}
	bg.sync(b)
	perSec := float64(8*n) * float64(b.N) / b.Elapsed().Seconds()
	b.ReportMetric(perSec/1e9, "GB/s")
	b.ReportMetric(perSec/hbmBytesPerSec, "hbm_frac")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkLabel2D8 labels a 4096x4096 plane of random blobs with
// 8-connectivity on the device.
func BenchmarkLabel2D8(b *testing.B) {
	bg := openBench(b)
	shape := benchShape(stack.Shape{Z: 1, Y: 4096, X: 4096})
	shape.Z = 1
	n := shape.Len()
	v := blobs(rand.New(rand.NewPCG(5, 6)), shape, 0.55)
	src := bg.upload(b, bytesOfF32(v.Data))
	dst := bg.alloc(b, 4*n)
	count := bg.alloc(b, 4)
	scratch := bg.alloc(b, max(bg.g.LabelScratch(shape), 4))
	label := func() {
		if err := bg.g.LabelAbove(bg.s, dst, count, scratch, src, shape, 0.5, kernels.Conn8, 4); err != nil {
			b.Fatal(err)
		}
	}
	label()
	bg.sync(b)
	b.ResetTimer()
	for range b.N {
		label()
	}
	bg.sync(b)
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gpix/s")
}

// copyBandwidth measures pinned copies of n bytes each way, in bytes per
// second.
func copyBandwidth(b *testing.B, bg benchGPU, n, reps int) (h2d, d2h float64) {
	b.Helper()
	buf := bg.alloc(b, n)
	defer bg.g.Free(buf)
	h, err := bg.g.AllocHost(n)
	if err != nil {
		b.Fatal(err)
	}
	defer bg.g.FreeHost(h)
	timeIt := func(f func() error) float64 {
		if err := f(); err != nil { // warm-up
			b.Fatal(err)
		}
		bg.sync(b)
		start := time.Now()
		for range reps {
			if err := f(); err != nil {
				b.Fatal(err)
			}
		}
		bg.sync(b)
		return float64(n) * float64(reps) / time.Since(start).Seconds()
	}
	h2d = timeIt(func() error { return bg.g.CopyToDevice(bg.s, buf, 0, h.Bytes()) })
	d2h = timeIt(func() error { return bg.g.CopyToHost(bg.s, h.Bytes(), buf, 0) })
	return h2d, d2h
}

// BenchmarkCopy measures the pinned host-device copy bandwidth.
func BenchmarkCopy(b *testing.B) {
	bg := openBench(b)
	n := 4 * benchShape(stack.Shape{Z: 16, Y: 2048, X: 2048}).Len()
	var h2d, d2h float64
	for range b.N {
		h2d, d2h = copyBandwidth(b, bg, n, 5)
	}
	b.ReportMetric(h2d/1e9, "h2d_GB/s")
	b.ReportMetric(d2h/1e9, "d2h_GB/s")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkPipelineGaussian runs the Executor's Gaussian (sigma 1 per
// plane, with the maximum) on a host volume: tiles staged in pinned
// memory, copied in, smoothed and copied out on three streams. copy_frac
// is the time the copies alone take at the bandwidth measured here (both
// directions at once, on the two copy engines) over the pipeline's time:
// 1 means the kernels and staging are wholly hidden behind the copies.
func BenchmarkPipelineGaussian(b *testing.B) {
	bg := openBench(b)
	shape := benchShape(stack.Shape{Z: 64, Y: 2048, X: 2048})
	n := shape.Len()
	h2d, d2h := copyBandwidth(b, bg, min(4*n, 256<<20), 3)
	e, err := offload.New([]offload.Device{bg.g}, offload.Options{})
	if err != nil {
		b.Fatal(err)
	}
	src, err := stack.FromSlice(shape, randFloats(n, 9))
	if err != nil {
		b.Fatal(err)
	}
	dst := stack.New[float32](shape)
	opt := kernels.GaussianOptions{Sigma: [3]float64{0, 1, 1}}
	ctx := context.Background()
	if _, err := e.Gaussian(ctx, dst, src, opt); err != nil { // warm-up: buffers
		b.Fatal(err)
	}
	before := e.Stats()
	b.SetBytes(int64(8 * n))
	b.ResetTimer()
	for range b.N {
		if _, err := e.Gaussian(ctx, dst, src, opt); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	st := e.Stats()
	in := float64(st.BytesToDevice - before.BytesToDevice)
	out := float64(st.BytesToHost - before.BytesToHost)
	copyTime := max(in/h2d, out/d2h)
	b.ReportMetric((in+out)/b.Elapsed().Seconds()/1e9, "GB/s")
	b.ReportMetric(copyTime/b.Elapsed().Seconds(), "copy_frac")
	if st.FallbackTiles > before.FallbackTiles || st.FallbackCalls > before.FallbackCalls {
		b.Fatalf("the device failed tiles: %+v", st)
	}
	// The Executor owns the device from here on: closing it closes g,
	// which openBench's cleanup then finds closed already.
	if err := e.Close(); err != nil {
		b.Fatal(err)
	}
}

// bytesOfF32 is the bytes of x, copied.
func bytesOfF32(x []float32) []byte {
	out := make([]byte, 4*len(x))
	for i, v := range x {
		binary.NativeEndian.PutUint32(out[4*i:], math.Float32bits(v))
	}
	return out
}
