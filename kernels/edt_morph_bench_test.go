package kernels

import (
	"context"
	"fmt"
	"testing"

	"github.com/segstack/segstack/stack"
)

// Benchmarks of the distance transform and the binary morphology on the
// blob masks of the labelling benchmarks (blobMask): compare with
// cv2.distanceTransform and cv2.erode/dilate through bench/compare.

func reportVox(b *testing.B, s stack.Shape) {
	b.SetBytes(int64(s.Len()))
	b.ReportMetric(float64(s.Len())*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mvox/s")
}

func BenchmarkEDT(b *testing.B) {
	ctx := context.Background()
	for _, c := range []struct {
		name string
		s    stack.Shape
		w    [3]float64
	}{
		{"2d/1024x1024", stack.Shape{Z: 1, Y: 1024, X: 1024}, [3]float64{}},
		{"2d/2048x2048", stack.Shape{Z: 1, Y: 2048, X: 2048}, [3]float64{}},
		{"3d/64x256x256", stack.Shape{Z: 64, Y: 256, X: 256}, [3]float64{}},
		{"3d-aniso/64x256x256", stack.Shape{Z: 64, Y: 256, X: 256}, [3]float64{3, 1, 1}},
	} {
		b.Run(c.name, func(b *testing.B) {
			m := blobMask(c.s)
			dst := stack.New[float32](c.s)
			b.ResetTimer()
			for range b.N {
				if err := EDT(ctx, dst, m, c.w); err != nil {
					b.Fatal(err)
				}
			}
			reportVox(b, c.s)
		})
	}
}

func BenchmarkBinaryMorphology(b *testing.B) {
	ctx := context.Background()
	for _, c := range []struct {
		s    stack.Shape
		conn Connectivity
	}{
		{stack.Shape{Z: 1, Y: 1024, X: 1024}, Conn4},
		{stack.Shape{Z: 1, Y: 1024, X: 1024}, Conn8},
		{stack.Shape{Z: 1, Y: 2048, X: 2048}, Conn8},
		{stack.Shape{Z: 64, Y: 256, X: 256}, Conn6},
		{stack.Shape{Z: 64, Y: 256, X: 256}, Conn26},
	} {
		for _, op := range []struct {
			name string
			fn   func(context.Context, *stack.Volume[uint8], *stack.Volume[uint8], MorphOptions) error
		}{{"erode", BinaryErosion}, {"dilate", BinaryDilation}} {
			b.Run(fmt.Sprintf("%s/conn=%d/%s", op.name, c.conn, c.s), func(b *testing.B) {
				m := blobMask(c.s)
				dst := stack.New[uint8](c.s)
				opt := MorphOptions{Conn: c.conn, Iterations: 1}
				b.ResetTimer()
				for range b.N {
					if err := op.fn(ctx, dst, m, opt); err != nil {
						b.Fatal(err)
					}
				}
				reportVox(b, c.s)
			})
		}
	}
}
