package stack

import (
	"fmt"
	"iter"
)

// Box is a half-open region [Lo, Hi) of a volume, each ordered Z, Y, X.
type Box struct{ Lo, Hi [3]int }

// Shape is the extent of the box.
func (b Box) Shape() Shape { return Shape{b.Hi[0] - b.Lo[0], b.Hi[1] - b.Lo[1], b.Hi[2] - b.Lo[2]} }

// Contains reports whether (z, y, x) lies inside the box.
func (b Box) Contains(z, y, x int) bool {
	return z >= b.Lo[0] && z < b.Hi[0] && y >= b.Lo[1] && y < b.Hi[1] && x >= b.Lo[2] && x < b.Hi[2]
}

func (b Box) String() string {
	return fmt.Sprintf("[%d:%d, %d:%d, %d:%d]", b.Lo[0], b.Hi[0], b.Lo[1], b.Hi[1], b.Lo[2], b.Hi[2])
}

// Grid splits a volume of Shape into chunks of at most Chunk elements per
// axis, like dask's chunks=(cz, cy, cx). Edge chunks may be smaller (ragged).
type Grid struct {
	Shape Shape
	Chunk Shape
}

// NewGrid checks its arguments and returns the grid. A chunk extent larger
// than the volume is clipped to it.
func NewGrid(shape, chunk Shape) (Grid, error) {
	if err := shape.Validate(); err != nil {
		return Grid{}, err
	}
	if chunk.Z <= 0 || chunk.Y <= 0 || chunk.X <= 0 {
		return Grid{}, fmt.Errorf("stack: invalid chunk shape %v: every extent must be positive", chunk)
	}
	chunk = Shape{min(chunk.Z, shape.Z), min(chunk.Y, shape.Y), min(chunk.X, shape.X)}
	return Grid{Shape: shape, Chunk: chunk}, nil
}

// Counts is the number of chunks along each axis.
func (g Grid) Counts() [3]int {
	s, c := g.Shape.Dims(), g.Chunk.Dims()
	return [3]int{ceilDiv(s[0], c[0]), ceilDiv(s[1], c[1]), ceilDiv(s[2], c[2])}
}

// Len is the total number of chunks.
func (g Grid) Len() int {
	n := g.Counts()
	return n[0] * n[1] * n[2]
}

// Box returns chunk i, numbered in raster order (X fastest).
func (g Grid) Box(i int) Box {
	n := g.Counts()
	idx := [3]int{i / (n[1] * n[2]), (i / n[2]) % n[1], i % n[2]}
	return g.BoxAt(idx)
}

// BoxAt returns the chunk with grid coordinates idx.
func (g Grid) BoxAt(idx [3]int) Box {
	s, c := g.Shape.Dims(), g.Chunk.Dims()
	var b Box
	for a := range 3 {
		b.Lo[a] = idx[a] * c[a]
		b.Hi[a] = min(b.Lo[a]+c[a], s[a])
	}
	return b
}

// Boxes iterates over every chunk in raster order.
func (g Grid) Boxes() iter.Seq2[int, Box] {
	return func(yield func(int, Box) bool) {
		for i := range g.Len() {
			if !yield(i, g.Box(i)) {
				return
			}
		}
	}
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }
