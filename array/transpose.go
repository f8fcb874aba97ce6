package array

import (
	"context"
	"fmt"
)

// Transpose permutes the axes: axis i of the result is axis axes[i] of a.
// With no arguments the axes are reversed, as numpy's a.T does. Chunks are
// permuted with them, one transpose task per chunk.
func (a *Array) Transpose(axes ...int) *Array {
	if a.err != nil {
		return a
	}
	if len(axes) == 0 {
		for i := a.rank - 1; i >= 0; i-- {
			axes = append(axes, i)
		}
	}
	if len(axes) != a.rank {
		return errArray(fmt.Errorf("%w: %d axes for rank %d", ErrShape, len(axes), a.rank))
	}
	perm := [3]int{0, 1, 2}
	var seen [3]bool
	for i, ax := range axes {
		in, err := a.userAxis(ax)
		if err != nil {
			return errArray(err)
		}
		if seen[in] {
			return errArray(fmt.Errorf("%w: repeated axis in %v", ErrShape, axes))
		}
		seen[in] = true
		perm[3-a.rank+i] = in
	}
	if perm == [3]int{0, 1, 2} {
		return a
	}
	out := &Array{name: "transpose", dt: a.dt, rank: a.rank}
	for o := range 3 {
		out.shape[o] = a.shape[perm[o]]
		out.chunks[o] = a.chunks[perm[o]]
	}
	out.blocks = make([]*node, out.chunks.len())
	layer := newLayer("transpose")
	for i := range out.blocks {
		oidx := out.chunks.coords(i)
		var iidx [3]int
		for o := range 3 {
			iidx[perm[o]] = oidx[o]
		}
		shape := a.chunks.shapeOf(iidx)
		out.blocks[i] = unary(layer, a.blocks[a.chunks.index(iidx)], func(_ context.Context, v []any) (any, error) {
			return v[0].(buf).transpose(shape, perm), nil
		})
	}
	return out
}

// T is Transpose with the axes reversed.
func (a *Array) T() *Array { return a.Transpose() }

// SwapAxes exchanges two axes.
func (a *Array) SwapAxes(ax1, ax2 int) *Array {
	if a.err != nil {
		return a
	}
	axes := make([]int, a.rank)
	for i := range axes {
		axes[i] = i
	}
	i, err := a.userAxis(ax1)
	if err != nil {
		return errArray(err)
	}
	j, err := a.userAxis(ax2)
	if err != nil {
		return errArray(err)
	}
	off := 3 - a.rank
	axes[i-off], axes[j-off] = axes[j-off], axes[i-off]
	return a.Transpose(axes...)
}
