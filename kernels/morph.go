package kernels

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/segstack/segstack/kernels/simd"
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

// morph runs the erosions (true) and dilations (false) of ops in order,
// each opt.Iterations times (or until nothing changes).
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
	// Steps read src as it is (any non-zero byte is true; min and max
	// keep that meaning) and write 0/1. A step cannot work in place, so
	// results alternate between scratch buffers, and the last step writes
	// into dst when dst is not the step's input.
	n := len(src.Data)
	var scratch [2][]uint8
	buf := func(i int) []uint8 {
		if scratch[i] == nil {
			scratch[i] = make([]uint8, n)
		}
		return scratch[i]
	}
	cur, k := src.Data, 0
	sameBuf := func(a, b []uint8) bool { return len(a) > 0 && len(b) > 0 && &a[0] == &b[0] }
	for oi, erode := range ops {
		for it := 0; opt.Iterations < 1 || it < opt.Iterations; it++ {
			last := opt.Iterations >= 1 && it == opt.Iterations-1 && oi == len(ops)-1
			var out []uint8
			if last && !sameBuf(dst.Data, cur) {
				out = dst.Data
			} else {
				out = buf(k)
				k ^= 1
			}
			if err := m.step(ctx, out, cur, erode); err != nil {
				return err
			}
			same := opt.Iterations < 1 && bytes.Equal(out, cur)
			cur = out
			if same {
				break
			}
		}
	}
	if !sameBuf(dst.Data, cur) {
		copy(dst.Data, cur)
	}
	return nil
}

// morpher runs one erosion or dilation step.
type morpher struct {
	s      stack.Shape
	rows   []spanRow // the rows the structure covers
	border uint8
	cross  bool // the 2-D cross (connectivity 4), which has a fused row loop
}

// spanRow is one row (dz, dy) of a structuring element.
type spanRow struct {
	dz, dy int
	full   bool
}

func newMorpher(s stack.Shape, conn Connectivity, border uint8) *morpher {
	m := &morpher{s: s, border: border, cross: conn == Conn4}
	for i, sp := range structSpans(conn) {
		if sp != spanNone {
			m.rows = append(m.rows, spanRow{dz: i/3 - 1, dy: i%3 - 1, full: sp == spanFull})
		}
	}
	return m
}

// rowsPerItem is how many output rows one parallel work item computes.
const rowsPerItem = 32

// morphScratch is one worker's row buffers: the rows of the structure
// reduced along X (slot (dz+1)*3 + yy%3 holds row (z+dz, yy), tagged by
// its row number), and the list of rows to combine.
type morphScratch struct {
	h    [9][]uint8
	tag  [9]int
	rows [][]uint8
}

// step writes one erosion (min) or dilation (max) of src into dst as 0/1.
func (m *morpher) step(ctx context.Context, dst, src []uint8, erode bool) error {
	rows := m.s.Z * m.s.Y
	items := (rows + rowsPerItem - 1) / rowsPerItem
	workers := workersFor(len(src), items)
	scr := make([]*morphScratch, workers)
	return forEachItem(ctx, workers, items, func(w, it int) error {
		if scr[w] == nil {
			sc := &morphScratch{rows: make([][]uint8, 0, 10)}
			for i := range sc.h {
				sc.h[i] = make([]uint8, m.s.X)
			}
			scr[w] = sc
		}
		sc := scr[w]
		for i := range sc.tag {
			sc.tag[i] = -1
		}
		for r := it * rowsPerItem; r < min(rows, (it+1)*rowsPerItem); r++ {
			m.row(dst[r*m.s.X:(r+1)*m.s.X], src, r/m.s.Y, r%m.s.Y, erode, sc)
		}
		return nil
	})
}

// row computes output row (z, y): the min (erosion) or max (dilation) of
// the neighbouring rows the structure covers, each reduced along X where
// it covers dx = -1..1.
func (m *morpher) row(out, src []uint8, z, y int, erode bool, sc *morphScratch) {
	Z, Y, X := m.s.Z, m.s.Y, m.s.X
	if m.cross && y > 0 && y < Y-1 && X >= 3 {
		m.crossRow(out, src[(y-1)*X:y*X], src[y*X:(y+1)*X], src[(y+1)*X:(y+2)*X], erode)
		return
	}
	sc.rows = sc.rows[:0]
	for _, e := range m.rows {
		zz, yy := z+e.dz, y+e.dy
		if zz < 0 || zz >= Z || yy < 0 || yy >= Y {
			// A whole row outside: it decides the result when it is the
			// absorbing value (0 for erosion, 1 for dilation).
			if (erode && m.border == 0) || (!erode && m.border == 1) {
				fillBytes(out, m.border)
				return
			}
			continue
		}
		r := zz*Y + yy
		srow := src[r*X : (r+1)*X]
		if !e.full {
			sc.rows = append(sc.rows, srow)
			continue
		}
		slot := (e.dz+1)*3 + yy%3
		if sc.tag[slot] != r {
			hRow(sc.h[slot], srow, m.border, erode)
			sc.tag[slot] = r
		}
		sc.rows = append(sc.rows, sc.h[slot])
	}
	// The centre row is always covered and inside, so rows is not empty.
	L := sc.rows
	for len(L) < 3 || len(L)%2 == 0 {
		L = append(L, L[0]) // min and max ignore repeats
	}
	simd.Rows3(out, L[0], L[1], L[2], erode)
	for k := 3; k < len(L); k += 2 {
		simd.Rows3(out, out, L[k], L[k+1], erode)
	}
	sc.rows = L[:0]
}

// crossRow is an output row of the 2-D cross away from the first and
// last rows: a, b and c are the rows above, at and below.
func (m *morpher) crossRow(out, a, b, c []uint8, erode bool) {
	X := len(b)
	simd.Cross3(out, a, b, c, erode)
	bv := m.border * 255
	var l, r uint8
	if erode {
		l = min(a[0], bv, b[0], b[1], c[0])
		r = min(a[X-1], b[X-2], b[X-1], bv, c[X-1])
	} else {
		l = max(a[0], bv, b[0], b[1], c[0])
		r = max(a[X-1], b[X-2], b[X-1], bv, c[X-1])
	}
	out[0], out[X-1] = min(l, 1), min(r, 1)
}

func fillBytes(b []uint8, v uint8) {
	for i := range b {
		b[i] = v
	}
}

// hRow writes h[x] = op(r[x-1], r[x], r[x+1]) with border outside the row.
func hRow(h, r []uint8, border uint8, erode bool) {
	X := len(r)
	// border is 0 or 1 and rows hold any non-zero for true: widen the
	// border to 255 so that min and max treat it as true.
	bv := border * 255
	simd.Span3(h, r, erode)
	last, prev := r[X-1], bv
	if X > 1 {
		prev = r[X-2]
	}
	next := bv
	if X > 1 {
		next = r[1]
	}
	if erode {
		h[0] = min(bv, r[0], next)
		h[X-1] = min(prev, last, bv)
	} else {
		h[0] = max(bv, r[0], next)
		h[X-1] = max(prev, last, bv)
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
