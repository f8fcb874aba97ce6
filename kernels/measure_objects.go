package kernels

import (
	"context"
	"fmt"

	"github.com/segstack/segstack/stack"
)

// maxFindObjectsLabel bounds the labels FindObjects reports, which takes a
// table entry per label value.
const maxFindObjectsLabel = 1 << 28

// FindObjects returns the bounding box of every label 1..maxLabel, as
// scipy.ndimage.find_objects(labels, max_label): entry i is the half-open
// box (ordered Z, Y, X) of label i+1, the zero Box (empty) for a label
// without voxels (scipy's None). maxLabel 0 means the largest label in
// labels; labels above maxLabel are ignored. The volume is scanned once,
// in parallel.
func FindObjects(ctx context.Context, labels *stack.Volume[uint32], maxLabel int) ([]stack.Box, error) {
	if labels == nil {
		return nil, fmt.Errorf("%w: nil volume", ErrMeasure)
	}
	if err := labels.Shape.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMeasure, err)
	}
	if len(labels.Data) != labels.Shape.Len() {
		return nil, fmt.Errorf("%w: data length does not match the shape %v", ErrMeasure, labels.Shape)
	}
	if maxLabel < 0 {
		return nil, fmt.Errorf("%w: negative max label %d", ErrMeasure, maxLabel)
	}
	// Without a max label every label counts, the largest found in the
	// same scan; the workers' tables grow to the labels they meet.
	limit := maxLabel
	if maxLabel == 0 {
		limit = maxFindObjectsLabel
	}
	if maxLabel > maxFindObjectsLabel {
		return nil, fmt.Errorf("%w: label %d is too large to list every label up to it", ErrMeasure, maxLabel)
	}
	s := labels.Shape
	plan := newBlockPlan(s)
	workers := workersFor(s.Len(), plan.blocks)
	// Each block lists the boxes of the labels it touches (a worker's table
	// maps a label to its entry); the lists are merged at the end, in any
	// order since min and max do not depend on it.
	type blockBoxes struct {
		labels []uint32
		boxes  []stack.Box
	}
	tables := make([][]int32, workers)
	results := make([]blockBoxes, plan.blocks)
	err := forEachItem(ctx, workers, plan.blocks, func(w, b int) error {
		pos := tables[w]
		var res blockBoxes
		r0, r1 := plan.span(b)
		for r := r0; r < r1; r++ {
			z, y := r/s.Y, r%s.Y
			row := labels.Data[r*s.X : (r+1)*s.X]
			for x := 0; x < len(row); {
				l, x0 := row[x], x
				for x < len(row) && row[x] == l {
					x++
				}
				if l == 0 || int64(l) > int64(maxLabel) && maxLabel > 0 {
					continue
				}
				if int(l) >= len(pos) {
					if int64(l) > int64(limit) {
						return fmt.Errorf("%w: label %d is too large to list every label up to it", ErrMeasure, l)
					}
					n := len(pos)
					pos = append(pos, make([]int32, int(l)+1-n+n/2)...)
					for i := n; i < len(pos); i++ {
						pos[i] = -1
					}
					tables[w] = pos
				}
				k := pos[l]
				if k < 0 {
					k = int32(len(res.labels))
					pos[l] = k
					res.labels = append(res.labels, l)
					res.boxes = append(res.boxes, stack.Box{})
				}
				growBox(&res.boxes[k], z, y, x0, x)
			}
		}
		for _, l := range res.labels {
			pos[l] = -1
		}
		results[b] = res
		return nil
	})
	if err != nil {
		return nil, err
	}
	if maxLabel == 0 {
		for _, res := range results {
			for _, l := range res.labels {
				maxLabel = max(maxLabel, int(l))
			}
		}
	}
	out := make([]stack.Box, maxLabel)
	for _, res := range results {
		for k, l := range res.labels {
			b := res.boxes[k]
			growBox(&out[l-1], b.Lo[0], b.Lo[1], b.Lo[2], b.Hi[2])
			growBox(&out[l-1], b.Hi[0]-1, b.Hi[1]-1, b.Lo[2], b.Hi[2])
		}
	}
	return out, nil
}

// growBox extends b (empty when Hi[2] <= Lo[2]) by the run [x0, x1) of row
// (z, y).
func growBox(b *stack.Box, z, y, x0, x1 int) {
	if b.Hi[2] <= b.Lo[2] {
		*b = stack.Box{Lo: [3]int{z, y, x0}, Hi: [3]int{z + 1, y + 1, x1}}
		return
	}
	b.Lo = [3]int{min(b.Lo[0], z), min(b.Lo[1], y), min(b.Lo[2], x0)}
	b.Hi = [3]int{max(b.Hi[0], z+1), max(b.Hi[1], y+1), max(b.Hi[2], x1)}
}
