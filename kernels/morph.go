package kernels

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/segstack/segstack/stack"
)

// MorphOptions configures the binary morphology of scipy.ndimage with the
// structuring element generate_binary_structure(rank, connectivity).
type MorphOptions struct {
	// Conn is the structuring element: 4 (cross) or 8 (3×3 box) on a
	// volume of one plane, which is 2-D; 6, 18 or 26 on a volume of
	// several planes. Zero picks scipy's default, connectivity 1 (4 or 6).
	Conn Connectivity
	// Iterations repeats the operation; a value below 1 repeats it until
	// the result no longer changes, as scipy's iterations < 1 does.
	Iterations int
	// BorderValue is the value assumed outside the volume (scipy's
	// border_value, default 0).
	BorderValue uint8
}

// morphConn checks that conn suits the rank of shape s: 4 and 8 for a
// single plane (2-D), 6, 18 and 26 for several planes (3-D). Unlike
// labelling, a 3-D element on one plane is refused: scipy would treat the
// planes above and below as border and give a different answer.
func morphConn(conn Connectivity, s stack.Shape) (Connectivity, error) {
	planar := s.Z == 1
	switch conn {
	case 0:
		if planar {
			return Conn4, nil
		}
		return Conn6, nil
	case Conn4, Conn8:
		if !planar {
			return 0, fmt.Errorf("%w: %d is a 2-D connectivity and the volume has %d planes (process the planes one by one, or use 6, 18 or 26)", ErrConnectivity, conn, s.Z)
		}
		return conn, nil
	case Conn6, Conn18, Conn26:
		if planar {
			return 0, fmt.Errorf("%w: %d is a 3-D connectivity and the volume has one plane, which is 2-D (use 4 or 8)", ErrConnectivity, conn)
		}
		return conn, nil
	}
	return 0, fmt.Errorf("%w: %d (want 4 or 8 in 2-D, 6, 18 or 26 in 3-D)", ErrConnectivity, conn)
}

// rowSpan says which part of one neighbouring row (dz, dy) a structuring
// element covers: nothing, its centre voxel, or the three voxels dx=-1..1.
type rowSpan uint8

const (
	spanNone rowSpan = iota
	spanCentre
	spanFull
)

// structSpans describes generate_binary_structure(rank, conn) as the span
// of each (dz+1)*3+(dy+1) row. Every such structure is symmetric, so
// scipy's reflection of the structure for dilation changes nothing.
func structSpans(conn Connectivity) [9]rowSpan {
	var sp [9]rowSpan
	for dz := -1; dz <= 1; dz++ {
		for dy := -1; dy <= 1; dy++ {
			// Offsets of the row are (dz, dy, dx) with dx in -1..1; the
			// structure keeps those with |dz|+|dy|+|dx| <= rank-connectivity.
			r := morphAbs(dz) + morphAbs(dy)
			var limit int
			switch conn {
			case Conn4, Conn6:
				limit = 1
			case Conn8, Conn18:
				limit = 2
			case Conn26:
				limit = 3
			}
			if (conn == Conn4 || conn == Conn8) && dz != 0 {
				continue
			}
			switch {
			case r+1 <= limit:
				sp[(dz+1)*3+dy+1] = spanFull
			case r <= limit:
				sp[(dz+1)*3+dy+1] = spanCentre
			}
		}
	}
	return sp
}

func morphAbs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func checkMorphArgs(op string, dst, src *stack.Volume[uint8]) error {
	if dst == nil || src == nil {
		return fmt.Errorf("kernels: %s: nil volume", op)
	}
	if err := src.Shape.Validate(); err != nil {
		return fmt.Errorf("kernels: %s: %w", op, err)
	}
	if len(src.Data) != src.Shape.Len() {
		return fmt.Errorf("kernels: %s: source holds %d elements, shape %v needs %d", op, len(src.Data), src.Shape, src.Shape.Len())
	}
	if dst.Shape != src.Shape || len(dst.Data) != src.Shape.Len() {
		return fmt.Errorf("kernels: %s: destination shape %v (%d elements) does not match source %v", op, dst.Shape, len(dst.Data), src.Shape)
	}
	return nil
}

// BinaryErosion is scipy.ndimage.binary_erosion(src, structure,
// iterations, border_value): dst is 1 where every voxel of the structuring
// element around the voxel is non-zero in src (outside the volume counts
// as BorderValue), else 0. dst may be src.
func BinaryErosion(ctx context.Context, dst, src *stack.Volume[uint8], opt MorphOptions) error {
	return morph(ctx, "binary erosion", dst, src, opt, []bool{true})
}

// BinaryDilation is scipy.ndimage.binary_dilation(src, structure,
// iterations, border_value): dst is 1 where any voxel of the (reflected)
// structuring element around the voxel is non-zero in src (outside the
// volume counts as BorderValue), else 0. dst may be src.
func BinaryDilation(ctx context.Context, dst, src *stack.Volume[uint8], opt MorphOptions) error {
	return morph(ctx, "binary dilation", dst, src, opt, []bool{false})
}

// BinaryOpening is scipy.ndimage.binary_opening: an erosion then a
// dilation, each with opt's iterations and border value. dst may be src.
func BinaryOpening(ctx context.Context, dst, src *stack.Volume[uint8], opt MorphOptions) error {
	return morph(ctx, "binary opening", dst, src, opt, []bool{true, false})
}

// BinaryClosing is scipy.ndimage.binary_closing: a dilation then an
// erosion, each with opt's iterations and border value (with the default
// border value 0, objects touching the edge are eroded there, as in
// scipy). dst may be src.
func BinaryClosing(ctx context.Context, dst, src *stack.Volume[uint8], opt MorphOptions) error {
	return morph(ctx, "binary closing", dst, src, opt, []bool{false, true})
}

// morph runs the erosions (true) and dilations (false) of ops in order.
func morph(ctx context.Context, op string, dst, src *stack.Volume[uint8], opt MorphOptions, ops []bool) error {
	if err := checkMorphArgs(op, dst, src); err != nil {
		return err
	}
	conn, err := morphConn(opt.Conn, src.Shape)
	if err != nil {
		return fmt.Errorf("kernels: %s: %w", op, err)
	}
	if opt.BorderValue > 1 {
		return fmt.Errorf("kernels: %s: border value %d (want 0 or 1)", op, opt.BorderValue)
	}
	m := newMorpher(src.Shape, conn, opt.BorderValue)
	cur := make([]uint8, len(src.Data))
	normalize01(cur, src.Data)
	next := make([]uint8, len(src.Data))
	for _, erode := range ops {
		for it := 0; opt.Iterations < 1 || it < opt.Iterations; it++ {
			if err := m.step(ctx, next, cur, erode); err != nil {
				return err
			}
			same := opt.Iterations < 1 && bytes.Equal(next, cur)
			cur, next = next, cur
			if same {
				break
			}
		}
	}
	copy(dst.Data, cur)
	return nil
}

// normalize01 writes 1 for every non-zero byte of src, 0 for zeros.
func normalize01(dst, src []uint8) {
	const lo = 0x0101010101010101
	i := 0
	for ; i+8 <= len(src); i += 8 {
		v := binary.LittleEndian.Uint64(src[i:])
		// Fold each byte's bits onto its bit 0; shifts move bits only
		// within the byte at the positions kept.
		v |= v >> 4
		v |= v >> 2
		v |= v >> 1
		binary.LittleEndian.PutUint64(dst[i:], v&lo)
	}
	for ; i < len(src); i++ {
		if src[i] != 0 {
			dst[i] = 1
		} else {
			dst[i] = 0
		}
	}
}

// morpher runs one erosion or dilation step on 0/1 volumes.
type morpher struct {
	s      stack.Shape
	spans  [9]rowSpan
	border uint8
	h      []uint8 // rows reduced over dx = -1..1, when the structure has full rows
}

func newMorpher(s stack.Shape, conn Connectivity, border uint8) *morpher {
	m := &morpher{s: s, spans: structSpans(conn), border: border}
	for _, sp := range m.spans {
		if sp == spanFull {
			m.h = make([]uint8, s.Len())
			break
		}
	}
	return m
}

// step writes one erosion (AND) or dilation (OR) of src into dst.
func (m *morpher) step(ctx context.Context, dst, src []uint8, erode bool) error {
	Z, Y, X := m.s.Z, m.s.Y, m.s.X
	rows := Z * Y
	n := len(src)
	if m.h != nil {
		workers := workersFor(n, rows)
		if err := forEachItem(ctx, workers, (rows+63)/64, func(_, b int) error {
			for r := b * 64; r < min(rows, (b+1)*64); r++ {
				hRow(m.h[r*X:(r+1)*X], src[r*X:(r+1)*X], m.border, erode)
			}
			return nil
		}); err != nil {
			return err
		}
	}
	workers := workersFor(n, rows)
	return forEachItem(ctx, workers, (rows+63)/64, func(_, b int) error {
		for r := b * 64; r < min(rows, (b+1)*64); r++ {
			m.combineRow(dst[r*X:(r+1)*X], src, r/Y, r%Y, erode)
		}
		return nil
	})
}

// combineRow ANDs (erosion) or ORs (dilation) the neighbouring rows that
// the structure covers into out.
func (m *morpher) combineRow(out, src []uint8, z, y int, erode bool) {
	Z, Y, X := m.s.Z, m.s.Y, m.s.X
	first := true
	for dz := -1; dz <= 1; dz++ {
		for dy := -1; dy <= 1; dy++ {
			sp := m.spans[(dz+1)*3+dy+1]
			if sp == spanNone {
				continue
			}
			zz, yy := z+dz, y+dy
			if zz < 0 || zz >= Z || yy < 0 || yy >= Y {
				// A whole row outside: it decides the result when it is the
				// absorbing value (0 for erosion, 1 for dilation).
				if (erode && m.border == 0) || (!erode && m.border == 1) {
					fillBytes(out, m.border)
					return
				}
				continue
			}
			o := (zz*Y + yy) * X
			var row []uint8
			if sp == spanFull {
				row = m.h[o : o+X]
			} else {
				row = src[o : o+X]
			}
			if first {
				copy(out, row)
				first = false
			} else if erode {
				andInto(out, row)
			} else {
				orInto(out, row)
			}
		}
	}
	if first {
		// Every covered row lies outside and none absorbs: a structure
		// always covers the centre row, so this cannot happen, but keep
		// the result defined.
		fillBytes(out, m.border)
	}
}

func fillBytes(b []uint8, v uint8) {
	for i := range b {
		b[i] = v
	}
}

func andInto(dst, src []uint8) {
	i := 0
	for ; i+8 <= len(dst); i += 8 {
		binary.LittleEndian.PutUint64(dst[i:], binary.LittleEndian.Uint64(dst[i:])&binary.LittleEndian.Uint64(src[i:]))
	}
	for ; i < len(dst); i++ {
		dst[i] &= src[i]
	}
}

func orInto(dst, src []uint8) {
	i := 0
	for ; i+8 <= len(dst); i += 8 {
		binary.LittleEndian.PutUint64(dst[i:], binary.LittleEndian.Uint64(dst[i:])|binary.LittleEndian.Uint64(src[i:]))
	}
	for ; i < len(dst); i++ {
		dst[i] |= src[i]
	}
}

// hRow writes h[x] = r[x-1] op r[x] op r[x+1], with border outside the row.
func hRow(h, r []uint8, border uint8, erode bool) {
	X := len(r)
	at := func(x int) uint8 {
		if x < 0 || x >= X {
			return border
		}
		return r[x]
	}
	if X < 10 {
		for x := range X {
			if erode {
				h[x] = at(x-1) & at(x) & at(x+1)
			} else {
				h[x] = at(x-1) | at(x) | at(x+1)
			}
		}
		return
	}
	if erode {
		h[0] = border & r[0] & r[1]
		h[X-1] = r[X-2] & r[X-1] & border
	} else {
		h[0] = border | r[0] | r[1]
		h[X-1] = r[X-2] | r[X-1] | border
	}
	x := 1
	if erode {
		for ; x+9 <= X; x += 8 {
			a := binary.LittleEndian.Uint64(r[x-1:])
			b := binary.LittleEndian.Uint64(r[x:])
			c := binary.LittleEndian.Uint64(r[x+1:])
			binary.LittleEndian.PutUint64(h[x:], a&b&c)
		}
		for ; x < X-1; x++ {
			h[x] = r[x-1] & r[x] & r[x+1]
		}
		return
	}
	for ; x+9 <= X; x += 8 {
		a := binary.LittleEndian.Uint64(r[x-1:])
		b := binary.LittleEndian.Uint64(r[x:])
		c := binary.LittleEndian.Uint64(r[x+1:])
		binary.LittleEndian.PutUint64(h[x:], a|b|c)
	}
	for ; x < X-1; x++ {
		h[x] = r[x-1] | r[x] | r[x+1]
	}
}

// FillHoles is scipy.ndimage.binary_fill_holes(src, structure): dst is 1
// on src's non-zero voxels and on every zero voxel that cannot reach the
// edge of the volume through zero voxels connected by conn (the
// structure's connectivity; zero means scipy's default, 4 or 6). The edge
// is the rank's: a volume of one plane is 2-D, so only its row and column
// edges count. dst may be src.
func FillHoles(ctx context.Context, dst, src *stack.Volume[uint8], conn Connectivity) error {
	if err := checkMorphArgs("fill holes", dst, src); err != nil {
		return err
	}
	c, err := morphConn(conn, src.Shape)
	if err != nil {
		return fmt.Errorf("kernels: fill holes: %w", err)
	}
	s := src.Shape
	inv := stack.New[uint8](s)
	for i, v := range src.Data {
		if v == 0 {
			inv.Data[i] = 1
		}
	}
	lab := stack.New[uint32](s)
	n, err := Label(ctx, lab, inv, c)
	if err != nil {
		return fmt.Errorf("kernels: fill holes: %w", err)
	}
	open := make([]bool, n+1)
	markEdgeLabels(lab, open)
	for i, l := range lab.Data {
		if src.Data[i] != 0 || !open[l] {
			dst.Data[i] = 1
		} else {
			dst.Data[i] = 0
		}
	}
	return nil
}

// markEdgeLabels sets open[l] for every label l on the volume's edge (for
// one plane, its four sides; otherwise its six faces).
func markEdgeLabels(lab *stack.Volume[uint32], open []bool) {
	s := lab.Shape
	for z := range s.Z {
		faceZ := s.Z > 1 && (z == 0 || z == s.Z-1)
		for y := range s.Y {
			row := lab.Row(z, y)
			if faceZ || y == 0 || y == s.Y-1 {
				for _, l := range row {
					open[l] = true
				}
				continue
			}
			open[row[0]] = true
			open[row[s.X-1]] = true
		}
	}
}

// errNilLabels is returned for a nil label volume.
var errNilLabels = errors.New("kernels: nil label volume")
