package kernels_test

import (
	"context"
	"fmt"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
)

// exampleInput is a 2-D image (one plane) with two objects:
//
//	labels     intensity
//	1 1 0 2    1 2 0 7
//	1 0 0 2    3 0 0 9
func exampleInput() (*stack.Volume[uint32], *stack.Volume[uint8]) {
	s := stack.Shape{Z: 1, Y: 2, X: 4}
	labels, _ := stack.FromSlice(s, []uint32{1, 1, 0, 2, 1, 0, 0, 2})
	img, _ := stack.FromSlice(s, []uint8{1, 2, 0, 7, 3, 0, 0, 9})
	return labels, img
}

func ExampleMeasure() {
	labels, img := exampleInput()
	// Labels 1, 2 and 3 (absent), in one pass.
	m, err := kernels.Measure(context.Background(), labels, img, []uint32{1, 2, 3},
		kernels.MeasureSum|kernels.MeasureMean|kernels.MeasureMaximumPosition)
	if err != nil {
		panic(err)
	}
	fmt.Println(m.Count, m.Sum, m.Mean, m.MaximumPosition)
	// Output: [3 2 0] [6 16 0] [2 8 NaN] [[0 1 0] [0 1 3] [0 0 0]]
}

func ExampleSumLabels() {
	labels, img := exampleInput()
	s, _ := kernels.SumLabels(context.Background(), labels, img, nil) // nil: labels 1..2
	fmt.Println(s)
	// Output: [6 16]
}

func ExampleMeanLabels() {
	labels, img := exampleInput()
	m, _ := kernels.MeanLabels(context.Background(), labels, img, []uint32{2, 0})
	fmt.Println(m) // label 0 is the background
	// Output: [8 0]
}

func ExampleVarianceLabels() {
	labels, img := exampleInput()
	v, _ := kernels.VarianceLabels(context.Background(), labels, img, nil)
	fmt.Printf("%.4f\n", v)
	// Output: [0.6667 1.0000]
}

func ExampleStandardDeviationLabels() {
	labels, img := exampleInput()
	v, _ := kernels.StandardDeviationLabels(context.Background(), labels, img, nil)
	fmt.Printf("%.4f\n", v)
	// Output: [0.8165 1.0000]
}

func ExampleMinimumLabels() {
	labels, img := exampleInput()
	v, _ := kernels.MinimumLabels(context.Background(), labels, img, nil)
	fmt.Println(v)
	// Output: [1 7]
}

func ExampleMaximumLabels() {
	labels, img := exampleInput()
	v, _ := kernels.MaximumLabels(context.Background(), labels, img, nil)
	fmt.Println(v)
	// Output: [3 9]
}

func ExampleMedianLabels() {
	labels, img := exampleInput()
	v, _ := kernels.MedianLabels(context.Background(), labels, img, nil)
	fmt.Println(v)
	// Output: [2 8]
}

func ExampleMinimumPosition() {
	labels, img := exampleInput()
	p, _ := kernels.MinimumPosition(context.Background(), labels, img, nil)
	fmt.Println(p) // Z, Y, X
	// Output: [[0 0 0] [0 0 3]]
}

func ExampleMaximumPosition() {
	labels, img := exampleInput()
	p, _ := kernels.MaximumPosition(context.Background(), labels, img, nil)
	fmt.Println(p)
	// Output: [[0 1 0] [0 1 3]]
}

func ExampleExtrema() {
	labels, img := exampleInput()
	lo, hi, loPos, hiPos, _ := kernels.Extrema(context.Background(), labels, img, []uint32{2})
	fmt.Println(lo, hi, loPos, hiPos)
	// Output: [7] [9] [[0 0 3]] [[0 1 3]]
}

func ExampleCenterOfMass() {
	labels, img := exampleInput()
	c, _ := kernels.CenterOfMass(context.Background(), labels, img, nil)
	fmt.Printf("%.4f\n", c)
	// Output: [[0.0000 0.5000 0.3333] [0.0000 0.5625 3.0000]]
}

func ExampleHistogramLabels() {
	labels, img := exampleInput()
	// Three bins over [0, 9]: [0, 3), [3, 6), [6, 9].
	h, _ := kernels.HistogramLabels(context.Background(), labels, img, 0, 9, 3, []uint32{1, 2, 5})
	fmt.Println(h)
	// Output: [[2 1 0] [0 0 2] []]
}

func ExampleFindObjects() {
	labels, _ := exampleInput()
	boxes, _ := kernels.FindObjects(context.Background(), labels, 0)
	for i, b := range boxes {
		fmt.Println(i+1, b.Lo, b.Hi) // half-open, Z, Y, X
	}
	// Output:
	// 1 [0 0 0] [1 2 2]
	// 2 [0 0 3] [1 2 4]
}

func ExampleLabeledComprehension() {
	labels, img := exampleInput()
	// The range of each label's intensities, -1 for a label without voxels.
	r, _ := kernels.LabeledComprehension(context.Background(), labels, img, []uint32{1, 2, 4},
		func(v []uint8) int {
			lo, hi := v[0], v[0]
			for _, x := range v {
				lo, hi = min(lo, x), max(hi, x)
			}
			return int(hi - lo)
		}, -1)
	fmt.Println(r)
	// Output: [2 2 -1]
}

func ExampleLabeledComprehensionPositions() {
	labels, img := exampleInput()
	// The flat raster index of each label's first voxel.
	r, _ := kernels.LabeledComprehensionPositions(context.Background(), labels, img, nil,
		func(_ []uint8, pos []int) int { return pos[0] }, -1)
	fmt.Println(r)
	// Output: [0 3]
}

func ExampleParseMeasureSet() {
	m, _ := kernels.ParseMeasureSet("mean,extrema")
	fmt.Println(m.Names())
	// Output: [mean minimum maximum minimum_position maximum_position]
}

func ExampleAllLabels() {
	labels, _ := exampleInput()
	idx, _ := kernels.AllLabels(context.Background(), labels)
	fmt.Println(idx)
	// Output: [1 2]
}

func ExampleHistogramEdges() {
	e, _ := kernels.HistogramEdges(0, 1, 4)
	fmt.Println(e)
	// Output: [0 0.25 0.5 0.75 1]
}
