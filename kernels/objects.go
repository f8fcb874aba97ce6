package kernels

import (
	"context"
	"fmt"
	"math"

	"github.com/segstack/segstack/stack"
)

// RemoveSmallObjects is skimage.morphology.remove_small_objects(mask,
// min_size, connectivity) on a boolean mask: dst is mask (non-zero = 1)
// without the connected components (by conn; zero means 4 or 6) that have
// fewer than minSize voxels. This is the min_size of scikit-image up to
// 0.25 (deprecated in 0.26, whose max_size=minSize-1 is the same
// filter). dst may be mask.
func RemoveSmallObjects(ctx context.Context, dst, mask *stack.Volume[uint8], minSize int, conn Connectivity) error {
	return removeSmall(ctx, "remove small objects", dst, mask, minSize, conn, false)
}

// RemoveSmallHoles is skimage.morphology.remove_small_holes(mask,
// area_threshold, connectivity): dst is mask (non-zero = 1) with every
// connected component of zero voxels (by conn) that has fewer than
// areaThreshold voxels set to 1. As in scikit-image, a component touching
// the edge of the volume is a hole too. This is the area_threshold of
// scikit-image up to 0.25 (deprecated in 0.26, whose
// max_size=areaThreshold-1 is the same filter). dst may be mask.
func RemoveSmallHoles(ctx context.Context, dst, mask *stack.Volume[uint8], areaThreshold int, conn Connectivity) error {
	return removeSmall(ctx, "remove small holes", dst, mask, areaThreshold, conn, true)
}

func removeSmall(ctx context.Context, op string, dst, mask *stack.Volume[uint8], minSize int, conn Connectivity, holes bool) error {
	if err := checkMorphArgs(op, dst, mask); err != nil {
		return err
	}
	c, err := morphConn(conn, mask.Shape)
	if err != nil {
		return fmt.Errorf("kernels: %s: %w", op, err)
	}
	fg := stack.New[uint8](mask.Shape)
	for i, v := range mask.Data {
		if (v != 0) != holes {
			fg.Data[i] = 1
		}
	}
	lab := stack.New[uint32](mask.Shape)
	n, err := Label(ctx, lab, fg, c)
	if err != nil {
		return fmt.Errorf("kernels: %s: %w", op, err)
	}
	size := make([]int, n+1)
	for _, l := range lab.Data {
		size[l]++
	}
	for i, l := range lab.Data {
		on := mask.Data[i] != 0
		if l != 0 && size[l] < minSize {
			on = holes // a small object goes, a small hole fills
		}
		if on {
			dst.Data[i] = 1
		} else {
			dst.Data[i] = 0
		}
	}
	return nil
}

// FilterBySize keeps the objects of labels whose voxel count is at least
// minSize and, when maxSize > 0, at most maxSize; it sets the others to 0
// and renumbers the kept ones 1..n in raster order of their first voxel,
// the numbering scipy.ndimage.label gives, whatever their numbers were.
// It returns n.
func FilterBySize(ctx context.Context, labels *stack.Volume[uint32], minSize, maxSize int) (int, error) {
	if labels == nil {
		return 0, errNilLabels
	}
	if err := labels.Shape.Validate(); err != nil {
		return 0, fmt.Errorf("kernels: filter by size: %w", err)
	}
	if len(labels.Data) != labels.Shape.Len() {
		return 0, fmt.Errorf("kernels: filter by size: labels hold %d elements, shape %v needs %d", len(labels.Data), labels.Shape, labels.Shape.Len())
	}
	if minSize < 0 || maxSize < 0 {
		return 0, fmt.Errorf("kernels: filter by size: sizes %d and %d must not be negative", minSize, maxSize)
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	keep := func(n int) bool { return n >= minSize && (maxSize == 0 || n <= maxSize) }
	var next uint32
	// Sizes in a table that grows with the largest label seen, as long as
	// the labels are dense (at most one more than the voxels).
	var size []int32
	dense := int64(len(labels.Data)) < math.MaxInt32
	if dense {
		for _, l := range labels.Data {
			if int64(l) >= int64(len(size)) {
				if int64(l) > int64(len(labels.Data))+1 {
					dense = false
					break
				}
				size = append(size, make([]int32, int(l)+1-len(size))...)
			}
			size[l]++
		}
	}
	if dense {
		// unset marks a label not met yet; 0 stays 0.
		const unset = math.MaxUint32
		newID := make([]uint32, len(size))
		for l := 1; l < len(newID); l++ {
			newID[l] = unset
		}
		for i, l := range labels.Data {
			id := newID[l]
			if id == unset {
				id = 0
				if keep(int(size[l])) {
					next++
					id = next
				}
				newID[l] = id
			}
			labels.Data[i] = id
		}
		return int(next), nil
	}
	// Sparse numbering: maps instead of tables.
	sizes := map[uint32]int{}
	for _, l := range labels.Data {
		if l != 0 {
			sizes[l]++
		}
	}
	newID := make(map[uint32]uint32, len(sizes))
	seen := make(map[uint32]bool, len(sizes))
	for i, l := range labels.Data {
		if l == 0 {
			continue
		}
		if !seen[l] {
			seen[l] = true
			if keep(sizes[l]) {
				next++
				newID[l] = next
			}
		}
		labels.Data[i] = newID[l]
	}
	return int(next), nil
}
