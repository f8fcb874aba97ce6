package offload

import (
	"fmt"
	"math"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
)

// radius is the Gaussian's half-width per axis (kernels.Depth), after
// checking the parameters that decide it.
func radius(opt kernels.GaussianOptions) ([3]int, error) {
	if tr := opt.Truncate; tr < 0 || math.IsNaN(tr) || math.IsInf(tr, 0) {
		return [3]int{}, fmt.Errorf("offload: invalid truncate %v: %w", tr, kernels.ErrInvalid)
	}
	for _, s := range opt.Sigma {
		if s < 0 || math.IsNaN(s) || math.IsInf(s, 0) {
			return [3]int{}, fmt.Errorf("offload: invalid sigma %v: %w", opt.Sigma, kernels.ErrInvalid)
		}
	}
	return kernels.Depth(opt), nil
}

// tile is one unit of work: its core box in the volume and the box actually
// moved to the device (the core plus halo).
type tile struct {
	core stack.Box
	// ext is the region copied to the device, in volume coordinates. With
	// mode Wrap, along an axis the tiles split, it reaches outside the
	// volume and ExtractTile wraps it; otherwise it is clipped to the
	// volume, so the device kernel meets the volume's true edges and
	// applies the mode there itself.
	ext stack.Box
}

// shape is the shape of the region on the device.
func (t tile) shape() stack.Shape { return t.ext.Shape() }

// coreInTile is the core's box in tile coordinates.
func (t tile) coreInTile() stack.Box {
	var b stack.Box
	for a := range 3 {
		b.Lo[a] = t.core.Lo[a] - t.ext.Lo[a]
		b.Hi[a] = t.core.Hi[a] - t.ext.Lo[a]
	}
	return b
}

// extent is the size along one axis of the region a core of c elements
// needs. A core spanning the whole axis needs nothing more: the device
// applies the mode at the volume's edges itself. Otherwise it needs the halo
// on both sides, clipped to the volume unless wrapping.
func extent(c, r, n int, wrap bool) int {
	switch {
	case c >= n:
		return n
	case wrap:
		return c + 2*r
	}
	return min(c+2*r, n)
}

// planChunk picks the chunk shape for a volume of shape s with halo r such
// that a tile with its halo has at most maxElems elements. It keeps whole
// rows (then whole planes) when it can, since those copy as one block, and
// shrinks Z first, then Y, then X. Chunks are evened out so the edge tiles
// are not slivers.
func planChunk(s stack.Shape, r [3]int, wrap bool, maxElems int) (stack.Shape, error) {
	d := s.Dims()
	c := d
	fits := func() bool {
		n := 1
		for a := range 3 {
			e := extent(c[a], r[a], d[a], wrap)
			if n > maxElems/e {
				return false
			}
			n *= e
		}
		return n <= maxElems
	}
	for a := range 3 {
		if fits() {
			break
		}
		if extent(1, r[a], d[a], wrap) >= d[a] {
			// Splitting this axis cannot shrink the tile (a wrapped halo
			// as wide as the axis): keep it whole.
			continue
		}
		// Largest c[a] for which the tile fits with the later axes whole,
		// found by bisection (extent grows with c below d[a]).
		lo, hi := 1, c[a]-1
		for lo < hi {
			mid := (lo + hi + 1) / 2
			c[a] = mid
			if fits() {
				lo = mid
			} else {
				hi = mid - 1
			}
		}
		c[a] = lo
	}
	if !fits() {
		return stack.Shape{}, fmt.Errorf("offload: a tile of volume %v with halo %v does not fit in %d elements: %w",
			s, r, maxElems, ErrOutOfMemory)
	}
	for a := range 3 {
		n := (d[a] + c[a] - 1) / c[a]
		c[a] = (d[a] + n - 1) / n
	}
	return stack.ShapeOf(c), nil
}

// tiles splits shape into chunks of the given shape with halo r.
func tiles(s, chunk stack.Shape, r [3]int, wrap bool) ([]tile, error) {
	g, err := stack.NewGrid(s, chunk)
	if err != nil {
		return nil, err
	}
	d := s.Dims()
	out := make([]tile, 0, g.Len())
	for _, b := range g.Boxes() {
		t := tile{core: b}
		for a := range 3 {
			switch {
			case b.Hi[a]-b.Lo[a] >= d[a]:
				t.ext.Lo[a], t.ext.Hi[a] = 0, d[a]
			case wrap:
				t.ext.Lo[a], t.ext.Hi[a] = b.Lo[a]-r[a], b.Hi[a]+r[a]
			default:
				t.ext.Lo[a], t.ext.Hi[a] = max(b.Lo[a]-r[a], 0), min(b.Hi[a]+r[a], d[a])
			}
		}
		out = append(out, t)
	}
	return out, nil
}
