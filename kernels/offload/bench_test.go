package offload_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/kernels/offload"
	"github.com/segstack/segstack/kernels/offload/fakedev"
	"github.com/segstack/segstack/stack"
)

// BenchmarkGaussian2D measures the host-side cost of offloading: the same
// filter through an Executor on the fake device (which computes with the
// CPU backend, so the difference is staging, copies and stitching) against
// the CPU backend called directly, the anchor.
func BenchmarkGaussian2D(b *testing.B) {
	const n = 2048
	src := randVolume(1, stack.Shape{Z: 1, Y: n, X: n})
	dst := stack.New[float32](src.Shape)
	opt := kernels.GaussianOptions{Sigma: [3]float64{0, 1, 1}}
	ctx := context.Background()
	report := func(b *testing.B) {
		b.SetBytes(int64(4 * n * n))
		b.ReportMetric(float64(b.N)*n*n/1e6/b.Elapsed().Seconds(), "Mpix/s")
	}
	b.Run(fmt.Sprintf("sigma=1/%dx%d/cpu", n, n), func(b *testing.B) {
		cpu := kernels.CPU()
		for b.Loop() {
			if _, err := cpu.Gaussian(ctx, dst, src, opt); err != nil {
				b.Fatal(err)
			}
		}
		report(b)
	})
	for _, mem := range []int64{256 << 20, 16 << 20} {
		b.Run(fmt.Sprintf("sigma=1/%dx%d/offload-mem=%dMiB", n, n, mem>>20), func(b *testing.B) {
			e, err := offload.New([]offload.Device{fakedev.New(fakedev.Config{Memory: mem})}, offload.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			for b.Loop() {
				if _, err := e.Gaussian(ctx, dst, src, opt); err != nil {
					b.Fatal(err)
				}
			}
			report(b)
			st := e.Stats()
			b.ReportMetric(float64(st.Tiles)/float64(st.Calls), "tiles/op")
		})
	}
}

// BenchmarkPipeline models a device and its host link by delays (the fake
// device sleeps bytes/rate per copy and per kernel, on one copy-in, one
// copy-out and one compute engine) and measures what overlapping copies
// and kernels on several streams gains over running them in turn on one.
func BenchmarkPipeline(b *testing.B) {
	const n = 1024
	src := randVolume(2, stack.Shape{Z: 1, Y: n, X: n})
	dst := stack.New[float32](src.Shape)
	opt := kernels.GaussianOptions{Sigma: [3]float64{0, 1, 1}}
	for _, streams := range []int{1, 3} {
		b.Run(fmt.Sprintf("link=200MB/s/device=400MB/s/streams=%d", streams), func(b *testing.B) {
			dev := fakedev.New(fakedev.Config{Memory: 1 << 30, CopyRate: 200e6, KernelRate: 400e6})
			e, err := offload.New([]offload.Device{dev}, offload.Options{Streams: streams})
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			for b.Loop() {
				if _, err := e.Gaussian(context.Background(), dst, src, opt); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)*n*n/1e6/b.Elapsed().Seconds(), "Mpix/s")
		})
	}
}
