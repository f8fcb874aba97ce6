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

// reportVox reports throughput, and the process CPU time per call since
// cpu0, which a shared machine disturbs less than wall time.
func reportVox(b *testing.B, s stack.Shape, cpu0 float64) {
	b.SetBytes(int64(s.Len()))
	b.ReportMetric(float64(s.Len())*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mvox/s")
	if cpu := processCPU() - cpu0; cpu > 0 {
		b.ReportMetric(cpu/float64(b.N)*1e3, "cpu-ms/op")
	}
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
			cpu0 := processCPU()
			for range b.N {
				if err := EDT(ctx, dst, m, c.w); err != nil {
					b.Fatal(err)
				}
			}
			reportVox(b, c.s, cpu0)
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
				cpu0 := processCPU()
				for range b.N {
					if err := op.fn(ctx, dst, m, opt); err != nil {
						b.Fatal(err)
					}
				}
				reportVox(b, c.s, cpu0)
			})
		}
	}
}

// BenchmarkBinaryMorphologyStack walks a 16-plane stack of 1024×1024
// masks plane by plane, as bench/compare's erode2d/dilate2d kernels do:
// each plane's source and result come from and go to memory, not the
// cache, unlike BenchmarkBinaryMorphology's one plane.
func BenchmarkBinaryMorphologyStack(b *testing.B) {
	ctx := context.Background()
	s := stack.Shape{Z: 16, Y: 1024, X: 1024}
	m := blobMask(s)
	dst := stack.New[uint8](s)
	for _, conn := range []Connectivity{Conn4, Conn8} {
		for _, op := range []struct {
			name string
			fn   func(context.Context, *stack.Volume[uint8], *stack.Volume[uint8], MorphOptions) error
		}{{"erode", BinaryErosion}, {"dilate", BinaryDilation}} {
			b.Run(fmt.Sprintf("%s/conn=%d/%s", op.name, conn, s), func(b *testing.B) {
				opt := MorphOptions{Conn: conn, Iterations: 1}
				b.ResetTimer()
				cpu0 := processCPU()
				for range b.N {
					for z := range s.Z {
						if err := op.fn(ctx, dst.PlaneVolume(z), m.PlaneVolume(z), opt); err != nil {
							b.Fatal(err)
						}
					}
				}
				reportVox(b, s, cpu0)
			})
		}
	}
}
