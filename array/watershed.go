package array

import (
	"context"
	"fmt"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
)

// Watershed floods image from the labelled seeds of markers, within mask
// when it is not nil, as kernels.Watershed (and
// skimage.segmentation.watershed(image, markers, connectivity, mask)) does,
// and returns the uint32 labels with image's chunks.
//
// The three arrays must have the same shape. image is taken as float32,
// markers as uint32 (numpy's astype) and mask as its non-zero elements.
// On a 2-D array conn is 4 or 8 (0: 4). On a 3-D array, 4 or 8 floods every
// plane (axis 0 indexes the planes) on its own: chunks that hold whole
// planes are flooded where they are, one task per chunk, others are
// gathered into whole planes first. 6, 18 or 26 floods the volume as a whole
// in one task, which holds the whole volume: a seeded watershed's result at
// a voxel can depend on any other voxel, so no halo makes chunks exact.
func Watershed(image, markers, mask *Array, conn kernels.Connectivity) *Array {
	for _, a := range []*Array{image, markers, mask} {
		if a != nil && a.err != nil {
			return a
		}
	}
	if image == nil || markers == nil {
		return errArray(fmt.Errorf("array: watershed: nil image or markers"))
	}
	for _, a := range []*Array{markers, mask} {
		if a != nil && (a.rank != image.rank || a.shape != image.shape) {
			return errArray(fmt.Errorf("%w: watershed of an image of shape %s with an array of shape %s", ErrShape, tuple(image.Shape()), tuple(a.Shape())))
		}
	}
	if conn == 0 {
		conn = kernels.Conn4
	}
	planes := conn == kernels.Conn4 || conn == kernels.Conn8
	switch {
	case image.rank < 2:
		return errArray(fmt.Errorf("%w: watershed needs a 2-D or 3-D array, not rank %d", ErrShape, image.rank))
	case image.rank == 2 && !planes:
		return errArray(fmt.Errorf("array: watershed: %w: %d on a 2-D array (want 4 or 8)", kernels.ErrConnectivity, conn))
	case !planes && conn != kernels.Conn6 && conn != kernels.Conn18 && conn != kernels.Conn26:
		return errArray(fmt.Errorf("array: watershed: %w: %d (want 4 or 8, or 6, 18 or 26 on a 3-D array)", kernels.ErrConnectivity, conn))
	}
	// The chunking the flood runs on: whole planes (keeping the plane
	// chunking), or the whole volume.
	var c chunks
	if planes {
		c = chunks{image.chunks[0], {image.shape[1]}, {image.shape[2]}}
	} else {
		c = chunks{{image.shape[0]}, {image.shape[1]}, {image.shape[2]}}
	}
	img, mk := image.rechunkTo(c), markers.rechunkTo(c)
	var ms *Array
	if mask != nil {
		ms = mask.rechunkTo(c)
	}
	out := img.like("watershed", stack.Uint32)
	layer := newLayer("watershed")
	for i := range out.blocks {
		shape := stack.ShapeOf(c.shapeOf(c.coords(i)))
		deps := []*node{img.blocks[i], mk.blocks[i]}
		if ms != nil {
			deps = append(deps, ms.blocks[i])
		}
		out.blocks[i] = &node{layer: layer, deps: deps, fn: func(ctx context.Context, v []any) (any, error) {
			iv := &stack.Volume[float32]{Shape: shape, Data: v[0].(buf).convert(stack.Float32).raw().([]float32)}
			mv := &stack.Volume[uint32]{Shape: shape, Data: v[1].(buf).convert(stack.Uint32).raw().([]uint32)}
			var m *stack.Volume[uint8]
			if len(v) > 2 {
				m = &stack.Volume[uint8]{Shape: shape, Data: v[2].(buf).compareScalar(kernels.CmpNe, 0).raw().([]uint8)}
			}
			dst := stack.New[uint32](shape)
			var err error
			if planes {
				err = kernels.WatershedPlanes(ctx, dst, iv, mv, m, conn, 1)
			} else {
				err = kernels.Watershed(ctx, dst, iv, mv, m, conn)
			}
			if err != nil {
				return nil, err
			}
			return vec[uint32](dst.Data), nil
		}}
	}
	return out.rechunkTo(image.chunks)
}
