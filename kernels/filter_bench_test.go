package kernels

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/segstack/segstack/stack"
)

// benchFilter times one filter on a 1024x1024 plane of T.
func benchFilter[T stack.Elem](b *testing.B, run func(ctx context.Context, dst, src *stack.Volume[T]) error) {
	s := stack.Shape{Z: 1, Y: 1024, X: 1024}
	r := rand.New(rand.NewPCG(1, 1))
	src, dst := stack.New[T](s), stack.New[T](s)
	for i := range src.Data {
		src.Data[i] = T(r.IntN(256))
	}
	ctx := context.Background()
	b.SetBytes(int64(s.Len()) * int64(stack.DTypeOf[T]().Size()))
	b.ResetTimer()
	for b.Loop() {
		if err := run(ctx, dst, src); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(s.Len())*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mpix/s")
}

func BenchmarkMedianFilter(b *testing.B) {
	for _, k := range []int{3, 5} {
		opt := FilterOptions{Size: [3]int{1, k, k}, Mode: stack.Nearest}
		b.Run(fmt.Sprintf("uint8/k=%d/1024x1024", k), func(b *testing.B) {
			benchFilter(b, func(ctx context.Context, d, s *stack.Volume[uint8]) error { return MedianFilter(ctx, d, s, opt) })
		})
		b.Run(fmt.Sprintf("float32/k=%d/1024x1024", k), func(b *testing.B) {
			benchFilter(b, func(ctx context.Context, d, s *stack.Volume[float32]) error { return MedianFilter(ctx, d, s, opt) })
		})
	}
}

func BenchmarkMinMaxFilter(b *testing.B) {
	for _, k := range []int{3, 5, 15} {
		opt := FilterOptions{Size: [3]int{1, k, k}, Mode: stack.Nearest}
		b.Run(fmt.Sprintf("max/uint8/k=%d/1024x1024", k), func(b *testing.B) {
			benchFilter(b, func(ctx context.Context, d, s *stack.Volume[uint8]) error { return MaximumFilter(ctx, d, s, opt) })
		})
		b.Run(fmt.Sprintf("max/float32/k=%d/1024x1024", k), func(b *testing.B) {
			benchFilter(b, func(ctx context.Context, d, s *stack.Volume[float32]) error { return MaximumFilter(ctx, d, s, opt) })
		})
	}
}

func BenchmarkUniformFilter(b *testing.B) {
	for _, k := range []int{3, 5, 15} {
		opt := FilterOptions{Size: [3]int{1, k, k}, Mode: stack.Nearest}
		b.Run(fmt.Sprintf("float32/k=%d/1024x1024", k), func(b *testing.B) {
			benchFilter(b, func(ctx context.Context, d, s *stack.Volume[float32]) error { return UniformFilter(ctx, d, s, opt) })
		})
	}
}

func BenchmarkSobel(b *testing.B) {
	b.Run("float32/1024x1024", func(b *testing.B) {
		benchFilter(b, func(ctx context.Context, d, s *stack.Volume[float32]) error {
			return Sobel(ctx, d, s, 2, FilterOptions{})
		})
	})
}

func BenchmarkGaussianLaplace(b *testing.B) {
	b.Run("float32/sigma=2/1024x1024", func(b *testing.B) {
		benchFilter(b, func(ctx context.Context, d, s *stack.Volume[float32]) error {
			return GaussianLaplace(ctx, d, s, GaussDerivOptions{Sigma: [3]float64{0, 2, 2}})
		})
	})
}
