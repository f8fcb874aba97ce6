package array

import (
	"context"
	"fmt"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
)

// The distance transform, binary morphology and object filters of kernels
// on lazy arrays. Their inputs are masks: any dtype, non-zero is
// foreground; their outputs are uint8 0/1 masks (float32 distances for
// EDT).
//
// Reach decides how chunks are handled. One erosion or dilation step reads
// one voxel around each voxel, so each step runs through MapOverlap with a
// halo of one voxel in the axes the structuring element spans and scipy's
// border value outside the array. Everything whose reach is
// unbounded — the distance transform, hole filling, object sizes, and
// morphology repeated until nothing changes — needs the whole extent of
// the axes it works over: these functions rechunk so that one chunk spans
// those axes (whole planes for 2-D operations, the whole volume for 3-D
// ones) and run once per chunk. Such chunks must fit in memory.

// asMask is a as a uint8 mask, non-zero = 1 (uint8 input is passed as it
// is: the kernels read any non-zero byte as foreground).
func asMask(a *Array) *Array {
	if a.err != nil || a.dt == stack.Uint8 {
		return a
	}
	return a.Ne(0)
}

// morphAxes resolves conn for a: whether the operation is per plane (a
// 2-D connectivity on a rank-3 array, or any rank-2 array), and the
// connectivity to use. A rank-3 array with a 2-D connectivity is treated
// plane by plane.
func morphAxes(a *Array, conn kernels.Connectivity) (perPlane bool, c kernels.Connectivity, err error) {
	switch {
	case a.rank < 2:
		return false, 0, fmt.Errorf("%w: binary morphology needs a 2-D or 3-D array, have rank %d", ErrShape, a.rank)
	case conn == 0 && a.rank == 2:
		return true, kernels.Conn4, nil
	case conn == 0:
		return false, kernels.Conn6, nil
	case conn == kernels.Conn4 || conn == kernels.Conn8:
		return true, conn, nil
	case (conn == kernels.Conn6 || conn == kernels.Conn18 || conn == kernels.Conn26) && a.rank == 3:
		return false, conn, nil
	}
	return false, 0, fmt.Errorf("%w: connectivity %d on a rank-%d array (want 4 or 8, or 6, 18 or 26 on rank 3)", kernels.ErrConnectivity, conn, a.rank)
}

// planeWise runs fn on each plane of v (a 2-D kernel on a stack of planes).
func planeWise[U stack.Elem](ctx context.Context, v *stack.Volume[uint8], fn func(dst *stack.Volume[U], src *stack.Volume[uint8]) error) (*stack.Volume[U], error) {
	out := stack.New[U](v.Shape)
	for z := range v.Shape.Z {
		if err := fn(out.PlaneVolume(z), v.PlaneVolume(z)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// wholeAxes rechunks a so that one chunk spans every axis the operation
// reads across: Y and X (per plane), or all three.
func wholeAxes(a *Array, perPlane bool) *Array {
	chunk := make([]int, a.rank)
	full := a.Shape()
	cs := a.ChunkSize()
	for i := range chunk {
		chunk[i] = full[i]
	}
	if perPlane && a.rank == 3 {
		chunk[0] = cs[0]
	}
	return a.Rechunk(chunk)
}

// morphArray applies the erosions (true) and dilations (false) of steps,
// each opt.Iterations times. With a positive count every single step is
// one MapOverlap layer with a halo of one voxel and opt.BorderValue beyond
// the array's edges, which reproduces scipy exactly: the border value
// outside the array stays what it is between steps, which a deeper halo
// run through several steps at once would not keep. Repeating until
// nothing changes rechunks to whole planes or the whole volume instead.
func morphArray(a *Array, opt kernels.MorphOptions, whole func(ctx context.Context, dst, src *stack.Volume[uint8], opt kernels.MorphOptions) error, steps ...bool) *Array {
	if a.err != nil {
		return a
	}
	perPlane, conn, err := morphAxes(a, opt.Conn)
	if err != nil {
		return errArray(err)
	}
	if opt.BorderValue > 1 {
		return errArray(fmt.Errorf("array: border value %d (want 0 or 1)", opt.BorderValue))
	}
	if opt.Mask != nil {
		// The kernels' mask is one volume; chunks would each need theirs.
		return errArray(fmt.Errorf("%w: a morphology mask is not supported on lazy arrays (run the kernel on the volume)", ErrShape))
	}
	opt.Conn = conn
	blockOf := func(k func(ctx context.Context, dst, src *stack.Volume[uint8], opt kernels.MorphOptions) error, o kernels.MorphOptions) BlockFunc[uint8, uint8] {
		if perPlane {
			return func(ctx context.Context, v *stack.Volume[uint8]) (*stack.Volume[uint8], error) {
				return planeWise(ctx, v, func(dst, src *stack.Volume[uint8]) error { return k(ctx, dst, src, o) })
			}
		}
		return func(ctx context.Context, v *stack.Volume[uint8]) (*stack.Volume[uint8], error) {
			out := stack.New[uint8](v.Shape)
			return out, k(ctx, out, v, o)
		}
	}
	m := asMask(a)
	if opt.Iterations < 1 {
		return MapBlocks(wholeAxes(m, perPlane), blockOf(whole, opt))
	}
	depth := make([]int, a.rank)
	for i := range depth {
		depth[i] = 1
	}
	if perPlane && a.rank == 3 {
		depth[0] = 0
	}
	one := opt
	one.Iterations = 1
	ov := OverlapOptions{Depth: depth, Mode: stack.Constant, Cval: float64(opt.BorderValue)}
	erode, dilate := blockOf(kernels.BinaryErosion, one), blockOf(kernels.BinaryDilation, one)
	for _, e := range steps {
		for range opt.Iterations {
			if e {
				m = MapOverlap(m, ov, erode)
			} else {
				m = MapOverlap(m, ov, dilate)
			}
		}
	}
	return m
}

// BinaryErosion is kernels.BinaryErosion on a lazy array: one overlapped
// pass (halo 1) per iteration. opt.Conn 4 or 8 erodes each plane
// of a rank-3 array on its own; 6, 18 or 26 erodes the volume.
func BinaryErosion(a *Array, opt kernels.MorphOptions) *Array {
	return morphArray(a, opt, kernels.BinaryErosion, true)
}

// BinaryDilation is kernels.BinaryDilation on a lazy array, chunk by chunk
// one overlapped pass (halo 1) per iteration.
func BinaryDilation(a *Array, opt kernels.MorphOptions) *Array {
	return morphArray(a, opt, kernels.BinaryDilation, false)
}

// BinaryOpening is kernels.BinaryOpening on a lazy array, chunk by chunk
// 2·opt.Iterations overlapped passes (halo 1).
func BinaryOpening(a *Array, opt kernels.MorphOptions) *Array {
	return morphArray(a, opt, kernels.BinaryOpening, true, false)
}

// BinaryClosing is kernels.BinaryClosing on a lazy array, chunk by chunk
// 2·opt.Iterations overlapped passes (halo 1).
func BinaryClosing(a *Array, opt kernels.MorphOptions) *Array {
	return morphArray(a, opt, kernels.BinaryClosing, false, true)
}

// wholeOp runs a mask→mask kernel whose reach is unbounded on chunks that
// span the axes it works over.
func wholeOp(a *Array, conn kernels.Connectivity, k func(ctx context.Context, dst, src *stack.Volume[uint8], conn kernels.Connectivity) error) *Array {
	if a.err != nil {
		return a
	}
	perPlane, c, err := morphAxes(a, conn)
	if err != nil {
		return errArray(err)
	}
	fn := func(ctx context.Context, v *stack.Volume[uint8]) (*stack.Volume[uint8], error) {
		if perPlane {
			return planeWise(ctx, v, func(dst, src *stack.Volume[uint8]) error { return k(ctx, dst, src, c) })
		}
		out := stack.New[uint8](v.Shape)
		return out, k(ctx, out, v, c)
	}
	return MapBlocks(wholeAxes(asMask(a), perPlane), fn)
}

// FillHoles is kernels.FillHoles on a lazy array; it rechunks to whole
// planes (conn 4 or 8) or the whole volume (6, 18, 26).
func FillHoles(a *Array, conn kernels.Connectivity) *Array {
	return wholeOp(a, conn, kernels.FillHoles)
}

// RemoveSmallObjects is kernels.RemoveSmallObjects on a lazy array; it
// rechunks as FillHoles does.
func RemoveSmallObjects(a *Array, minSize int, conn kernels.Connectivity) *Array {
	return wholeOp(a, conn, func(ctx context.Context, dst, src *stack.Volume[uint8], c kernels.Connectivity) error {
		return kernels.RemoveSmallObjects(ctx, dst, src, minSize, c)
	})
}

// RemoveSmallHoles is kernels.RemoveSmallHoles on a lazy array; it
// rechunks as FillHoles does.
func RemoveSmallHoles(a *Array, areaThreshold int, conn kernels.Connectivity) *Array {
	return wholeOp(a, conn, func(ctx context.Context, dst, src *stack.Volume[uint8], c kernels.Connectivity) error {
		return kernels.RemoveSmallHoles(ctx, dst, src, areaThreshold, c)
	})
}

// EDT is kernels.EDT on a lazy array: float32 distances of the non-zero
// voxels to the nearest zero voxel. A distance depends on voxels
// arbitrarily far away, so EDT rechunks: a rank-2 array, or a rank-3 array
// with perPlane, is transformed plane by plane in chunks of whole planes; a
// rank-3 array otherwise as one volume in a single chunk (a volume of one
// plane is 2-D, as in kernels.EDT). sampling holds
// one spacing per array axis (nil means 1).
func EDT(a *Array, sampling []float64, perPlane bool) *Array {
	if a.err != nil {
		return a
	}
	if a.rank < 2 {
		return errArray(fmt.Errorf("%w: the distance transform needs a 2-D or 3-D array, have rank %d", ErrShape, a.rank))
	}
	var w [3]float64
	if sampling != nil {
		if len(sampling) != a.rank {
			return errArray(fmt.Errorf("%w: %d spacings for rank %d", ErrShape, len(sampling), a.rank))
		}
		copy(w[3-a.rank:], sampling)
	}
	if a.rank == 2 {
		perPlane = true
	}
	fn := func(ctx context.Context, v *stack.Volume[uint8]) (*stack.Volume[float32], error) {
		if perPlane {
			return planeWise(ctx, v, func(dst *stack.Volume[float32], src *stack.Volume[uint8]) error {
				return kernels.EDT(ctx, dst, src, w)
			})
		}
		out := stack.New[float32](v.Shape)
		return out, kernels.EDT(ctx, out, v, w)
	}
	return MapBlocks(wholeAxes(asMask(a), perPlane), fn)
}
