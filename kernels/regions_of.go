package kernels

import (
	"context"
	"fmt"
	"slices"

	"github.com/segstack/segstack/stack"
)

// denseLabelFactor bounds the table RegionsOf indexes by label: labels up to
// this many times the number of voxels (plus a small floor) use a dense
// slice, larger ones a map.
const denseLabelFactor = 2

// RegionsOf measures every object of an existing label volume, as
// skimage.measure.regionprops(labels, intensity) does: one Region per
// distinct non-zero label, sorted by label, with the area, the half-open
// bounding box, the centroid and (when intensity is not nil; it must have
// labels' shape) the mean, minimum and maximum intensity. Labels need not
// be consecutive, and an object need not be connected.
func RegionsOf(ctx context.Context, labels *stack.Volume[uint32], intensity *stack.Volume[float32]) ([]Region, error) {
	if labels == nil {
		return nil, fmt.Errorf("%w: regions of a nil label volume", ErrInvalid)
	}
	s := labels.Shape
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("%w: regions: %w", ErrInvalid, err)
	}
	if len(labels.Data) != s.Len() {
		return nil, fmt.Errorf("%w: regions: label volume holds %d elements, shape %v needs %d", ErrInvalid, len(labels.Data), s, s.Len())
	}
	if intensity != nil && (intensity.Shape != s || len(intensity.Data) != s.Len()) {
		return nil, fmt.Errorf("%w: regions: intensity shape %v does not match labels %v", ErrInvalid, intensity.Shape, s)
	}
	var top uint32
	for _, l := range labels.Data {
		top = max(top, l)
	}
	var dense []RegionSums
	var sparse map[uint32]*RegionSums
	if uint64(top) <= denseLabelFactor*uint64(len(labels.Data))+1024 {
		dense = make([]RegionSums, int(top)+1)
	} else {
		sparse = make(map[uint32]*RegionSums)
	}
	sums := func(l uint32) *RegionSums {
		if dense != nil {
			return &dense[l]
		}
		p := sparse[l]
		if p == nil {
			p = new(RegionSums)
			sparse[l] = p
		}
		return p
	}
	err := eachLabelRun(ctx, labels, intensity, func(l uint32, z, y, x0, x1 int, irow []float32) error {
		sums(l).addRun(z, y, x0, x1, irow)
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []Region
	if dense != nil {
		for l := 1; l < len(dense); l++ {
			if dense[l].Area > 0 {
				out = append(out, dense[l].Region(uint32(l)))
			}
		}
		return out, nil
	}
	keys := make([]uint32, 0, len(sparse))
	for l := range sparse {
		if l != 0 {
			keys = append(keys, l)
		}
	}
	slices.Sort(keys)
	for _, l := range keys {
		out = append(out, sparse[l].Region(l))
	}
	return out, nil
}
