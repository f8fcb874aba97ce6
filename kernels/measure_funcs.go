package kernels

import (
	"context"

	"github.com/segstack/segstack/stack"
)

// The functions below are Measure for one statistic, under the names of
// scipy.ndimage's functions (with a Labels suffix where the plain name is
// a whole-volume reduction of this package). Each takes the labels, the
// intensity and the index list (nil: 1..max label) and returns one entry
// per index entry.

// SumLabels is scipy.ndimage.sum_labels: the sum of each label's
// intensities, 0 for a label without voxels.
func SumLabels[T stack.Elem](ctx context.Context, labels *stack.Volume[uint32], intensity *stack.Volume[T], index []uint32) ([]float64, error) {
	m, err := Measure(ctx, labels, intensity, index, MeasureSum)
	if err != nil {
		return nil, err
	}
	return m.Sum, nil
}

// MeanLabels is scipy.ndimage.mean: NaN for a label without voxels.
func MeanLabels[T stack.Elem](ctx context.Context, labels *stack.Volume[uint32], intensity *stack.Volume[T], index []uint32) ([]float64, error) {
	m, err := Measure(ctx, labels, intensity, index, MeasureMean)
	if err != nil {
		return nil, err
	}
	return m.Mean, nil
}

// VarianceLabels is scipy.ndimage.variance (population variance, two
// passes as scipy's): NaN for a label without voxels.
func VarianceLabels[T stack.Elem](ctx context.Context, labels *stack.Volume[uint32], intensity *stack.Volume[T], index []uint32) ([]float64, error) {
	m, err := Measure(ctx, labels, intensity, index, MeasureVariance)
	if err != nil {
		return nil, err
	}
	return m.Variance, nil
}

// StandardDeviationLabels is scipy.ndimage.standard_deviation: the square
// root of VarianceLabels.
func StandardDeviationLabels[T stack.Elem](ctx context.Context, labels *stack.Volume[uint32], intensity *stack.Volume[T], index []uint32) ([]float64, error) {
	m, err := Measure(ctx, labels, intensity, index, MeasureStandardDeviation)
	if err != nil {
		return nil, err
	}
	return m.StandardDeviation, nil
}

// MinimumLabels is scipy.ndimage.minimum: 0 for a label without voxels.
func MinimumLabels[T stack.Elem](ctx context.Context, labels *stack.Volume[uint32], intensity *stack.Volume[T], index []uint32) ([]float64, error) {
	m, err := Measure(ctx, labels, intensity, index, MeasureMinimum)
	if err != nil {
		return nil, err
	}
	return m.Minimum, nil
}

// MaximumLabels is scipy.ndimage.maximum: 0 for a label without voxels.
func MaximumLabels[T stack.Elem](ctx context.Context, labels *stack.Volume[uint32], intensity *stack.Volume[T], index []uint32) ([]float64, error) {
	m, err := Measure(ctx, labels, intensity, index, MeasureMaximum)
	if err != nil {
		return nil, err
	}
	return m.Maximum, nil
}

// MedianLabels is scipy.ndimage.median (see Measurements for a label
// without voxels).
func MedianLabels[T stack.Elem](ctx context.Context, labels *stack.Volume[uint32], intensity *stack.Volume[T], index []uint32) ([]float64, error) {
	m, err := Measure(ctx, labels, intensity, index, MeasureMedian)
	if err != nil {
		return nil, err
	}
	return m.Median, nil
}

// MinimumPosition is scipy.ndimage.minimum_position: the first voxel in
// raster order holding each label's minimum, ordered Z, Y, X; (0, 0, 0)
// for a label without voxels.
func MinimumPosition[T stack.Elem](ctx context.Context, labels *stack.Volume[uint32], intensity *stack.Volume[T], index []uint32) ([][3]int, error) {
	m, err := Measure(ctx, labels, intensity, index, MeasureMinimumPosition)
	if err != nil {
		return nil, err
	}
	return m.MinimumPosition, nil
}

// MaximumPosition is scipy.ndimage.maximum_position, as MinimumPosition.
func MaximumPosition[T stack.Elem](ctx context.Context, labels *stack.Volume[uint32], intensity *stack.Volume[T], index []uint32) ([][3]int, error) {
	m, err := Measure(ctx, labels, intensity, index, MeasureMaximumPosition)
	if err != nil {
		return nil, err
	}
	return m.MaximumPosition, nil
}

// Extrema is scipy.ndimage.extrema: the minimum, maximum, minimum_position
// and maximum_position of each label, from one pass.
func Extrema[T stack.Elem](ctx context.Context, labels *stack.Volume[uint32], intensity *stack.Volume[T], index []uint32) (minimum, maximum []float64, minPos, maxPos [][3]int, err error) {
	m, err := Measure(ctx, labels, intensity, index, MeasureExtrema)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	return m.Minimum, m.Maximum, m.MinimumPosition, m.MaximumPosition, nil
}

// CenterOfMass is scipy.ndimage.center_of_mass: each label's
// intensity-weighted mean coordinate, ordered Z, Y, X; NaN for a label
// without voxels (or whose intensities sum to 0).
func CenterOfMass[T stack.Elem](ctx context.Context, labels *stack.Volume[uint32], intensity *stack.Volume[T], index []uint32) ([][3]float64, error) {
	m, err := Measure(ctx, labels, intensity, index, MeasureCenterOfMass)
	if err != nil {
		return nil, err
	}
	return m.CenterOfMass, nil
}
