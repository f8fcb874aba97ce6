package kernels

import (
	"context"
	"testing"

	"github.com/segstack/segstack/stack"
)

// measureBenchInput labels the benchmark blobs of s in 3-D (connectivity 6)
// and takes the blurred noise, scaled to uint16, as the intensity.
func measureBenchInput(b *testing.B, s stack.Shape) (*stack.Volume[uint32], *stack.Volume[uint16], []uint32) {
	b.Helper()
	f := blobField(s)
	mask := stack.New[uint8](s)
	img := stack.New[uint16](s)
	for i, v := range f.Data {
		if v > 0.5 {
			mask.Data[i] = 1
		}
		img.Data[i] = uint16(v * 65535)
	}
	labels := stack.New[uint32](s)
	if _, err := Label(context.Background(), labels, mask, Conn6); err != nil {
		b.Fatal(err)
	}
	index, err := AllLabels(context.Background(), labels)
	if err != nil {
		b.Fatal(err)
	}
	return labels, img, index
}

// BenchmarkMeasure times each measurement on the labelled blobs of a
// 64x512x512 stack with uint16 intensities, every label in the index. The
// worker count follows GOMAXPROCS: run with -cpu 1 for one core.
func BenchmarkMeasure(b *testing.B) {
	s := benchShapes["64x512x512"]
	labels, img, index := measureBenchInput(b, s)
	ctx := context.Background()
	for _, c := range []struct {
		name string
		what MeasureSet
	}{
		{"mean", MeasureMean},
		{"standard_deviation", MeasureStandardDeviation},
		{"center_of_mass", MeasureCenterOfMass},
		{"extrema", MeasureExtrema},
		{"median", MeasureMedian},
		{"all-but-median", MeasureAll &^ MeasureMedian},
	} {
		b.Run(c.name+"/"+s.String(), func(b *testing.B) {
			b.SetBytes(int64(s.Len() * 6))
			for b.Loop() {
				if _, err := Measure(ctx, labels, img, index, c.what); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(s.Len())/1e6*float64(b.N)/b.Elapsed().Seconds(), "Mvox/s")
		})
	}
	b.Run("find_objects/"+s.String(), func(b *testing.B) {
		b.SetBytes(int64(s.Len() * 4))
		for b.Loop() {
			if _, err := FindObjects(ctx, labels, 0); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(s.Len())/1e6*float64(b.N)/b.Elapsed().Seconds(), "Mvox/s")
	})
}
