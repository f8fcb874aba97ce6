package kernels

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/segstack/segstack/stack"
)

func benchVolume(s stack.Shape) *stack.Volume[float32] {
	rng := rand.New(rand.NewPCG(42, 42))
	v := stack.New[float32](s)
	for i := range v.Data {
		v.Data[i] = rng.Float32() * 255
	}
	return v
}

func reportMpix(b *testing.B, pixels int) {
	b.ReportMetric(float64(pixels)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mpix/s")
}

func benchGaussian(b *testing.B, s stack.Shape, sigma [3]float64) {
	src := benchVolume(s)
	dst := stack.New[float32](s)
	opt := GaussianOptions{Sigma: sigma}
	ctx := context.Background()
	b.SetBytes(int64(4 * s.Len()))
	// One untimed call first: the output's pages are mapped on first
	// write, which is not the filter's cost (a pipeline reuses its
	// buffers).
	if _, err := Gaussian(ctx, dst, src, opt); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := Gaussian(ctx, dst, src, opt); err != nil {
			b.Fatal(err)
		}
	}
	reportMpix(b, s.Len())
}

// The worker count follows GOMAXPROCS: run with -cpu 1 for one core.
func BenchmarkGaussian2D(b *testing.B) {
	for _, sigma := range []float64{1, 3} {
		s := stack.Shape{Z: 1, Y: 2048, X: 2048}
		b.Run(fmt.Sprintf("sigma=%g/%dx%d", sigma, s.Y, s.X), func(b *testing.B) {
			benchGaussian(b, s, [3]float64{0, sigma, sigma})
		})
	}
}

func BenchmarkGaussian3D(b *testing.B) {
	s := stack.Shape{Z: 64, Y: 512, X: 512}
	b.Run(fmt.Sprintf("sigma=1/%dx%dx%d", s.Z, s.Y, s.X), func(b *testing.B) {
		benchGaussian(b, s, [3]float64{1, 1, 1})
	})
}

func BenchmarkMax(b *testing.B) {
	s := stack.Shape{Z: 64, Y: 512, X: 512}
	v := benchVolume(s)
	ctx := context.Background()
	b.Run(fmt.Sprintf("%dx%dx%d", s.Z, s.Y, s.X), func(b *testing.B) {
		b.SetBytes(int64(4 * s.Len()))
		for range b.N {
			if _, err := Max(ctx, v); err != nil {
				b.Fatal(err)
			}
		}
		reportMpix(b, s.Len())
	})
}
