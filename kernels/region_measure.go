package kernels

import (
	"context"
	"fmt"

	"github.com/segstack/segstack/stack"
)

// MeasureRegions measures the objects of a label volume whose labels are
// 0 (background) to n: regions[i] describes label i+1 (Area 0 for a label
// that does not occur), with the statistics that LabelWithStats gathers in
// its labelling pass — area, bounding box, centroid and, when intensity is
// not nil, mean, minimum and maximum intensity — equal to scikit-image's
// regionprops_table on the same labels. It is for labels that come from
// elsewhere than a labelling pass (a watershed, a file). intensity, when
// given, has the labels' shape. A label above n is an error.
func MeasureRegions(ctx context.Context, labels *stack.Volume[uint32], n int, intensity *stack.Volume[float32]) ([]Region, error) {
	if labels == nil {
		return nil, errNilLabels
	}
	if err := labels.Shape.Validate(); err != nil {
		return nil, fmt.Errorf("kernels: measure regions: %w", err)
	}
	if len(labels.Data) != labels.Shape.Len() {
		return nil, fmt.Errorf("kernels: measure regions: labels hold %d elements, shape %v needs %d", len(labels.Data), labels.Shape, labels.Shape.Len())
	}
	if n < 0 || int64(n) > int64(labels.Shape.Len()) {
		return nil, fmt.Errorf("kernels: measure regions: %d objects in %d voxels", n, labels.Shape.Len())
	}
	if intensity != nil && (intensity.Shape != labels.Shape || len(intensity.Data) != len(labels.Data)) {
		return nil, fmt.Errorf("kernels: measure regions: intensity %v does not match labels %v", intensity.Shape, labels.Shape)
	}
	sums := make([]RegionSums, n)
	err := eachLabelRun(ctx, labels, intensity, func(l uint32, z, y, x0, x1 int, irow []float32) error {
		if int64(l) > int64(n) {
			return fmt.Errorf("kernels: measure regions: label %d in plane %d, row %d, above the %d objects", l, z, y, n)
		}
		sums[l-1].addRun(z, y, x0, x1, irow)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return regionsOf(sums), nil
}
