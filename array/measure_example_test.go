package array_test

import (
	"context"
	"fmt"
	"slices"

	"github.com/segstack/segstack/array"
	"github.com/segstack/segstack/delayed"
	"github.com/segstack/segstack/kernels"
)

// Per-label statistics of a chunked image, as dask_image.ndmeasure.mean
// and center_of_mass on dask arrays.
func ExampleMeasure() {
	labels := array.FromSlice([]uint32{
		1, 1, 0, 2,
		1, 0, 0, 2,
	}, []int{2, 4}, []int{1, 2}) // four chunks
	img := array.FromSlice([]uint8{
		1, 2, 0, 7,
		3, 0, 0, 9,
	}, []int{2, 4}, []int{1, 2})
	m, err := array.Measure(context.Background(), delayed.Serial(), labels, img, []uint32{1, 2},
		kernels.MeasureMean|kernels.MeasureStandardDeviation|kernels.MeasureCenterOfMass)
	if err != nil {
		panic(err)
	}
	for i, l := range m.Index {
		c := m.CenterOfMass[i]
		fmt.Printf("label %d: mean %.3f, std %.3f, centre (y %.4f, x %.4f)\n", l, m.Mean[i], m.StandardDeviation[i], c[1], c[2])
	}
	// Output:
	// label 1: mean 2.000, std 0.816, centre (y 0.5000, x 0.3333)
	// label 2: mean 8.000, std 1.000, centre (y 0.5625, x 3.0000)
}

// The bounding boxes of the objects of a chunked label image, as
// dask_image.ndmeasure.find_objects.
func ExampleFindObjects() {
	labels := array.FromSlice([]uint16{
		0, 1, 1, 0,
		0, 0, 2, 2,
		3, 0, 2, 0,
	}, []int{3, 4}, []int{2, 2})
	boxes, err := array.FindObjects(context.Background(), delayed.Serial(), labels, 0)
	if err != nil {
		panic(err)
	}
	for i, b := range boxes {
		// Half-open, Z, Y, X (Z is 0..1 for a 2-D array).
		fmt.Println(i+1, b.Lo, b.Hi)
	}
	// Output:
	// 1 [0 0 1] [1 1 3]
	// 2 [0 1 2] [1 3 4]
	// 3 [0 2 0] [1 3 1]
}

// Per-label histograms of a chunked image, as
// dask_image.ndmeasure.histogram: three bins over [0, 9].
func ExampleHistogramLabels() {
	labels := array.FromSlice([]uint32{
		1, 1, 0, 2,
		1, 0, 0, 2,
	}, []int{2, 4}, []int{1, 2})
	img := array.FromSlice([]uint8{
		1, 2, 0, 7,
		3, 0, 0, 9,
	}, []int{2, 4}, []int{1, 2})
	h, err := array.HistogramLabels(context.Background(), delayed.Serial(), labels, img, 0, 9, 3, []uint32{1, 2, 5})
	if err != nil {
		panic(err)
	}
	fmt.Println(h) // label 5 has no voxels
	// Output: [[2 1 0] [0 0 2] []]
}

// A Go function of each label's values, as
// dask_image.ndmeasure.labeled_comprehension: here the range of the
// intensities, -1 for a label without voxels.
func ExampleLabeledComprehension() {
	labels := array.FromSlice([]uint32{
		1, 1, 0, 2,
		1, 0, 0, 2,
	}, []int{2, 4}, []int{1, 2})
	img := array.FromSlice([]uint8{
		1, 2, 0, 7,
		3, 0, 0, 9,
	}, []int{2, 4}, []int{1, 2})
	r, err := array.LabeledComprehension(context.Background(), delayed.Serial(), labels, img, []uint32{1, 2, 4},
		func(v []uint8) int { return int(slices.Max(v) - slices.Min(v)) }, -1)
	if err != nil {
		panic(err)
	}
	fmt.Println(r)
	// Output: [2 2 -1]
}
