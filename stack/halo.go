package stack

import "fmt"

// HaloShape is the shape of box grown by depth on both sides of each axis.
func HaloShape(b Box, depth [3]int) Shape {
	s := b.Shape()
	return Shape{s.Z + 2*depth[0], s.Y + 2*depth[1], s.X + 2*depth[2]}
}

// ExtractTile copies box b of v, grown by depth on each side of each axis,
// into dst (allocated when nil or of the wrong size) and returns it. Samples
// outside v are made up by mode; cval is used by Constant. Samples outside
// the box but inside v are real data, so a filter run on the tile and cropped
// to its core equals the filter run on the whole volume.
func ExtractTile[T Elem](v *Volume[T], b Box, depth [3]int, mode Mode, cval T, dst *Volume[T]) (*Volume[T], error) {
	for a := range 3 {
		if depth[a] < 0 {
			return nil, fmt.Errorf("stack: negative halo depth %v", depth)
		}
		if b.Lo[a] < 0 || b.Hi[a] > v.Shape.Dims()[a] || b.Lo[a] >= b.Hi[a] {
			return nil, fmt.Errorf("stack: box %v is outside volume %v", b, v.Shape)
		}
	}
	hs := HaloShape(b, depth)
	if err := hs.Validate(); err != nil {
		return nil, err
	}
	if dst == nil || len(dst.Data) != hs.Len() {
		dst = &Volume[T]{Data: make([]T, hs.Len())}
	}
	dst.Shape = hs
	s := v.Shape
	// Column map for X, computed once per tile.
	xs := make([]int, hs.X)
	for i := range xs {
		j, ok := mode.MapIndex(b.Lo[2]-depth[2]+i, s.X)
		if !ok {
			j = -1
		}
		xs[i] = j
	}
	for tz := range hs.Z {
		z, zok := mode.MapIndex(b.Lo[0]-depth[0]+tz, s.Z)
		for ty := range hs.Y {
			y, yok := mode.MapIndex(b.Lo[1]-depth[1]+ty, s.Y)
			out := dst.Row(tz, ty)
			if !zok || !yok {
				for i := range out {
					out[i] = cval
				}
				continue
			}
			in := v.Row(z, y)
			// The core and whatever halo lies inside v is a straight copy.
			lo := max(0, b.Lo[2]-depth[2])
			hi := min(s.X, b.Hi[2]+depth[2])
			copy(out[lo-(b.Lo[2]-depth[2]):], in[lo:hi])
			for i := 0; i < lo-(b.Lo[2]-depth[2]); i++ {
				out[i] = pick(in, xs[i], cval)
			}
			for i := hi - (b.Lo[2] - depth[2]); i < hs.X; i++ {
				out[i] = pick(in, xs[i], cval)
			}
		}
	}
	return dst, nil
}

func pick[T Elem](row []T, j int, cval T) T {
	if j < 0 {
		return cval
	}
	return row[j]
}

// WriteCore copies the core of tile (tile minus depth on each side) into box
// b of dst. tile must have the shape HaloShape(b, depth).
func WriteCore[T Elem](dst *Volume[T], tile *Volume[T], b Box, depth [3]int) error {
	if tile.Shape != HaloShape(b, depth) {
		return fmt.Errorf("stack: tile shape %v does not match box %v with halo %v", tile.Shape, b, depth)
	}
	for a := range 3 {
		if b.Lo[a] < 0 || b.Hi[a] > dst.Shape.Dims()[a] {
			return fmt.Errorf("stack: box %v is outside volume %v", b, dst.Shape)
		}
	}
	for z := b.Lo[0]; z < b.Hi[0]; z++ {
		for y := b.Lo[1]; y < b.Hi[1]; y++ {
			src := tile.Row(z-b.Lo[0]+depth[0], y-b.Lo[1]+depth[1])
			copy(dst.Row(z, y)[b.Lo[2]:b.Hi[2]], src[depth[2]:depth[2]+b.Hi[2]-b.Lo[2]])
		}
	}
	return nil
}
