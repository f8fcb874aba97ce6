package kernels

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/segstack/segstack/stack"
)

// Chunked labelling labels each chunk of a stack.Grid on its own, keeping
// only what the merge needs (the labels on the chunk's faces that border
// another chunk, and the first voxel of each label); MergeChunks joins the
// labels that touch across faces and numbers the objects in global raster
// order of their first voxel; RelabelChunk rewrites each chunk's local labels
// to global ones. The three steps are independent tasks: a chunk's labels can
// be written to disk between the first and the last, and a ChunkLabels holds
// only exported data, so it can be encoded (gob, JSON) and sent elsewhere.
// A ChunkMerger takes the chunks one at a time, as they are labelled, and
// keeps only the faces still waiting for a neighbour. The result equals
// Label on the whole volume for any chunk shape.

// Face numbers, indexing ChunkLabels.Faces: the low and high faces of a
// chunk along Z, Y and X.
const (
	FaceZLo = iota
	FaceZHi
	FaceYLo
	FaceYHi
	FaceXLo
	FaceXHi
)

// ChunkLabels is what MergeChunks needs to know about one labelled chunk.
type ChunkLabels struct {
	// Index is the chunk's number in the grid (raster order).
	Index int
	// Box is the chunk's region of the volume.
	Box stack.Box
	// N is the number of local labels, 1..N in the chunk's raster order.
	N int
	// First[l-1] is the volume-wide flat index ((z*Y)+y)*X+x of local label
	// l's first voxel.
	First []int64
	// Faces[f] holds the local labels on face f (FaceZLo...), row-major over
	// the two other axes in Z, Y, X order (a Z face is Y×X, a Y face Z×X, an
	// X face Z×Y). A face on the volume's edge borders no chunk and is nil.
	Faces [6][]uint32
	// Sums[l-1] measures local label l in volume coordinates (without
	// intensity figures when LabelChunk had no intensity volume).
	Sums []RegionSums
}

// LabelChunk labels chunk idx of grid. mask holds the chunk's voxels (its
// shape is grid.Box(idx).Shape()), dst receives its local labels (same
// shape) and intensity, when not nil, supplies the values for the region
// sums' intensity figures (same shape). conn is resolved against the whole
// volume's shape, as Label resolves it. dst may be nil when the local
// labels are not wanted (they can be made again later with Label, which
// numbers them the same way): the ChunkLabels is then made without writing
// them.
func LabelChunk(ctx context.Context, grid stack.Grid, idx int, dst *stack.Volume[uint32], mask *stack.Volume[uint8], intensity *stack.Volume[float32], conn Connectivity) (*ChunkLabels, error) {
	if mask == nil {
		return nil, errors.New("kernels: label chunk: nil mask")
	}
	return labelChunk(ctx, grid, idx, dst, mask.Shape, len(mask.Data), maskRunFunc(mask), intensity, conn, 0)
}

// LabelChunkAbove is LabelChunk on the voxels of src that are > t, without
// materialising the mask; intensity may differ from src or be nil. Its
// local labels are LabelAbove's.
func LabelChunkAbove(ctx context.Context, grid stack.Grid, idx int, dst *stack.Volume[uint32], src *stack.Volume[float32], t float32, intensity *stack.Volume[float32], conn Connectivity) (*ChunkLabels, error) {
	if src == nil {
		return nil, errors.New("kernels: label chunk: nil source")
	}
	return labelChunk(ctx, grid, idx, dst, src.Shape, len(src.Data), aboveRunFunc(src, t), intensity, conn, 0)
}

func labelChunk(ctx context.Context, grid stack.Grid, idx int, dst *stack.Volume[uint32], shape stack.Shape, srcLen int, runsOf runFunc, intensity *stack.Volume[float32], conn Connectivity, strips int) (*ChunkLabels, error) {
	if _, err := stack.NewGrid(grid.Shape, grid.Chunk); err != nil {
		return nil, fmt.Errorf("kernels: label chunk: %w", err)
	}
	if idx < 0 || idx >= grid.Len() {
		return nil, fmt.Errorf("kernels: label chunk: index %d outside a grid of %d chunks", idx, grid.Len())
	}
	box := grid.Box(idx)
	if shape != box.Shape() {
		return nil, fmt.Errorf("kernels: label chunk %d: source shape %v, chunk %v is %v", idx, shape, box, box.Shape())
	}
	c, err := normConn(conn, grid.Shape)
	if err != nil {
		return nil, err
	}
	if dst != nil {
		err = checkLabelArgs(dst, shape, srcLen, intensity)
	} else {
		err = checkSourceArgs(shape, srcLen, intensity)
	}
	if err != nil {
		return nil, err
	}
	cc, err := normConn(c, shape)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if strips <= 0 {
		strips = stripCount(shape, defaultWorkers())
	}
	sc, err := runScan(ctx, shape, cc, runsOf, strips)
	if err != nil {
		return nil, err
	}
	defer sc.release()
	out := &ChunkLabels{Index: idx, Box: box, N: sc.n}
	var d []uint32
	if dst != nil {
		d = dst.Data
	}
	out.Sums = sc.writeWithStats(d, intensity)
	for i := range out.Sums {
		s := &out.Sums[i]
		for a := range 3 {
			s.Lo[a] += box.Lo[a]
			s.Hi[a] += box.Lo[a]
			s.Coord[a] += int64(box.Lo[a]) * s.Area
		}
	}
	out.First = sc.firsts()
	cs, vs := shape, grid.Shape
	for i, f := range out.First {
		z, rem := f/int64(cs.Y*cs.X), f%int64(cs.Y*cs.X)
		y, x := rem/int64(cs.X), rem%int64(cs.X)
		out.First[i] = ((z+int64(box.Lo[0]))*int64(vs.Y)+y+int64(box.Lo[1]))*int64(vs.X) + x + int64(box.Lo[2])
	}
	dims := vs.Dims()
	for a := range 3 {
		if box.Lo[a] > 0 {
			out.Faces[2*a] = sc.face(a, 0)
		}
		if box.Hi[a] < dims[a] {
			if box.Hi[a]-box.Lo[a] == 1 && out.Faces[2*a] != nil {
				// A chunk one voxel thick along a: both faces are the
				// same voxels, and nothing writes to a face.
				out.Faces[2*a+1] = out.Faces[2*a]
			} else {
				out.Faces[2*a+1] = sc.face(a, box.Hi[a]-box.Lo[a]-1)
			}
		}
	}
	return out, ctx.Err()
}

// otherAxes returns the two axes other than a, in Z, Y, X order.
func otherAxes(a int) (int, int) {
	switch a {
	case 0:
		return 1, 2
	case 1:
		return 0, 2
	}
	return 0, 1
}

// face returns the labels of the scanned chunk on the plane at position
// pos along axis a, row-major over the two other axes, written from the
// runs (the chunk's labels need not have been written anywhere).
func (sc *scan) face(a, pos int) []uint32 {
	s := sc.shape
	switch a {
	case 0:
		out := getFace(s.Y * s.X)
		for y := range s.Y {
			r := pos*s.Y + y
			writeRow(sc, sc.stripOf(r), r, out[y*s.X:(y+1)*s.X])
		}
		return out
	case 1:
		out := getFace(s.Z * s.X)
		for z := range s.Z {
			r := z*s.Y + pos
			writeRow(sc, sc.stripOf(r), r, out[z*s.X:(z+1)*s.X])
		}
		return out
	}
	out := getFace(s.Z * s.Y)
	for r := range out {
		out[r] = sc.labelAt(r, pos)
	}
	return out
}

// faceBufs holds face buffers that ChunkMergers gave back (RecycleFaces)
// for later chunks' faces: a run that labels and merges chunk after chunk
// then allocates faces only for the chunks in flight.
var faceBufs sync.Pool

// getFace returns a face buffer of n elements, recycled when one is at
// hand; its contents are undefined (sc.face writes every element).
func getFace(n int) []uint32 {
	if b, ok := faceBufs.Get().(*[]uint32); ok && cap(*b) >= n {
		return (*b)[:n]
	}
	return make([]uint32, n)
}

// Relabeling maps every chunk's local labels to global ones.
type Relabeling struct {
	// N is the number of objects in the whole volume.
	N int
	// Offsets[i] is where chunk i's entries start in Map; Offsets has one
	// entry per chunk plus a final one, len(Map).
	Offsets []int
	// Map[Offsets[i]+l-1] is the global label of chunk i's local label l.
	Map []uint32
	// Regions[g-1] describes global label g; nil when a chunk came without
	// Sums.
	Regions []Region
}

// Table returns chunk idx's map: entry l-1 is the global label of local l.
func (r *Relabeling) Table(idx int) []uint32 {
	return r.Map[r.Offsets[idx]:r.Offsets[idx+1]]
}

// MergeChunks joins the labels of neighbouring chunks that touch across
// their faces, under the connectivity the chunks were labelled with, and
// numbers the objects 1..N in raster order of their first voxel in the whole
// volume. chunks[i] describes chunk i of grid. Its memory grows with the
// number of labels and the faces' area, not with the volume. It is a
// ChunkMerger given every chunk in order.
func MergeChunks(ctx context.Context, grid stack.Grid, chunks []*ChunkLabels, conn Connectivity) (*Relabeling, error) {
	m, err := NewChunkMerger(grid, conn)
	if err != nil {
		return nil, err
	}
	if len(chunks) != grid.Len() {
		return nil, fmt.Errorf("kernels: merge chunks: %d chunks for a grid of %d", len(chunks), grid.Len())
	}
	for i, ch := range chunks {
		if ch != nil && ch.Index != i {
			return nil, fmt.Errorf("kernels: merge chunks: entry %d holds chunk %d", i, ch.Index)
		}
		if ch == nil {
			return nil, fmt.Errorf("kernels: merge chunks: chunk %d missing", i)
		}
		if err := m.Add(ctx, ch); err != nil {
			return nil, err
		}
	}
	return m.Relabeling(ctx)
}

// ChunkMerger is MergeChunks taken one chunk at a time, for chunks labelled
// over time (by tasks, or on other machines): Add joins a chunk's faces to
// those of the neighbours added before it and then lets go of every face
// whose neighbours are all in, so that it holds only the faces still
// waiting for a neighbour (with chunks added in order, one layer of them)
// and a few numbers per label. Relabeling numbers the objects once every
// chunk is in. The result equals MergeChunks' whatever the order of the
// Adds. A ChunkMerger is not safe for concurrent use.
type ChunkMerger struct {
	grid   stack.Grid
	dims   [3]int
	counts [3]int
	// reach[a] says which voxels touch across a cut along axis a: in the
	// cut's plane (axes b, c: otherAxes(a)), a voxel touches those du rows
	// away along b (du = -1, 0, 1) and at most reach[a][du+1] columns
	// away along c; -1 means none du rows away.
	reach  [3][3]int
	chunks []*mergeChunk // by index; nil until added
	added  int
	layers [3][]int // layers[a][k]: chunks added in layer k along a
	parent []uint32 // union-find over provisional ids
	lo, hi []uint32 // cut planes, for cuts through several chunks
	// recycle: faces let go of go back to faceBufs (RecycleFaces).
	recycle bool
}

// mergeChunk is what a ChunkMerger keeps of an added chunk.
type mergeChunk struct {
	box   stack.Box
	base  uint32 // the provisional id of local label l is base+l-1
	n     int
	first []int64
	sums  []RegionSums
	faces [6][]uint32 // nil once joined
}

// NewChunkMerger returns a ChunkMerger for the chunks of grid labelled with
// conn.
func NewChunkMerger(grid stack.Grid, conn Connectivity) (*ChunkMerger, error) {
	if _, err := stack.NewGrid(grid.Shape, grid.Chunk); err != nil {
		return nil, fmt.Errorf("kernels: merge chunks: %w", err)
	}
	c, err := normConn(conn, grid.Shape)
	if err != nil {
		return nil, err
	}
	m := &ChunkMerger{grid: grid, dims: grid.Shape.Dims(), counts: grid.Counts(), chunks: make([]*mergeChunk, grid.Len())}
	for a := range 3 {
		m.layers[a] = make([]int, m.counts[a])
		m.reach[a] = [3]int{-1, -1, -1}
	}
	// The neighbours across a cut along axis a: offsets of conn that step
	// +1 along a. Every pair of touching voxels in different chunks differs
	// in chunk along some axis and is found at the cut along that axis.
	for _, d := range connOffsets(c) {
		for a := range 3 {
			if d[a] == 1 {
				b, cax := otherAxes(a)
				r := &m.reach[a][d[b]+1]
				*r = max(*r, absInt(d[cax]))
			}
		}
	}
	return m, nil
}

// RecycleFaces makes Add take the faces of the chunks it is given: once
// the merger lets go of a face, its memory is reused for the faces of
// chunks that LabelChunk (or LabelChunkAbove) labels later, so that a
// caller that labels chunk after chunk and adds each one allocates faces
// only for the chunks in flight instead of for every chunk. A caller that
// asks for it must not read a chunk's Faces once it has added the chunk.
func (m *ChunkMerger) RecycleFaces() { m.recycle = true }

// Add hands the merger one labelled chunk (ch.Index says which); each
// chunk is added once. The merger keeps ch's slices, reading them only.
// The labels on a chunk's faces are checked when the faces are joined, so
// a bad label may fail a later Add; after an error the merger is not to
// be used again.
func (m *ChunkMerger) Add(ctx context.Context, ch *ChunkLabels) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if ch == nil {
		return errors.New("kernels: merge chunks: nil chunk")
	}
	i := ch.Index
	if i < 0 || i >= len(m.chunks) {
		return fmt.Errorf("kernels: merge chunks: chunk %d outside a grid of %d", i, len(m.chunks))
	}
	if m.chunks[i] != nil {
		return fmt.Errorf("kernels: merge chunks: chunk %d added twice", i)
	}
	if err := checkChunk(m.grid, i, ch, m.dims); err != nil {
		return err
	}
	total := len(m.parent)
	if uint64(total)+uint64(ch.N) >= math.MaxUint32 {
		return fmt.Errorf("kernels: merge chunks: %d labels is too many for 32-bit labels", total+ch.N)
	}
	mc := &mergeChunk{box: ch.Box, base: uint32(total), n: ch.N, first: ch.First, sums: ch.Sums, faces: ch.Faces}
	m.chunks[i] = mc
	m.added++
	m.parent = slices.Grow(m.parent, ch.N)
	for l := range ch.N {
		m.parent = append(m.parent, uint32(total+l))
	}
	idx := m.coords(i)
	for a := range 3 {
		k := idx[a]
		m.layers[a][k]++
		// This chunk may complete the cuts on either side of its layer.
		for _, cut := range [2]int{k, k + 1} {
			if cut >= 1 && cut < m.counts[a] && m.layerDone(a, cut-1) && m.layerDone(a, cut) {
				if err := m.joinCut(a, cut); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// coords returns chunk i's position in the grid's counts.
func (m *ChunkMerger) coords(i int) [3]int {
	c := m.counts
	return [3]int{i / (c[1] * c[2]), i / c[2] % c[1], i % c[2]}
}

// layerDone reports whether every chunk of layer k along axis a is in.
func (m *ChunkMerger) layerDone(a, k int) bool {
	b, c := otherAxes(a)
	return m.layers[a][k] == m.counts[b]*m.counts[c]
}

// joinCut unites the labels that touch across the cut between layers
// cut-1 and cut along axis a, and lets go of the faces on the cut.
func (m *ChunkMerger) joinCut(a, cut int) error {
	b, cax := otherAxes(a)
	nb, nc := m.dims[b], m.dims[cax]
	chunkAt := func(ib, ic, k int) *mergeChunk {
		var idx [3]int
		idx[a], idx[b], idx[cax] = k, ib, ic
		return m.chunks[(idx[0]*m.counts[1]+idx[1])*m.counts[2]+idx[2]]
	}
	if m.counts[b] == 1 && m.counts[cax] == 1 {
		// One chunk on each side covers the whole cut: join its faces
		// as they are.
		below, above := chunkAt(0, 0, cut-1), chunkAt(0, 0, cut)
		if err := joinFaces(m.parent, below.faces[2*a+1], below.base, below.n, above.faces[2*a], above.base, above.n, nb, nc, m.reach[a]); err != nil {
			return fmt.Errorf("kernels: merge chunks: cut %d along axis %d: %w", cut, a, err)
		}
		m.letGo(below, 2*a+1)
		m.letGo(above, 2*a)
		return nil
	}
	// Otherwise the faces are pasted into two whole planes of provisional
	// ids plus one (0 for background), so that neighbours across chunk
	// edges within the cut are plain offsets too.
	if cap(m.lo) < nb*nc {
		m.lo, m.hi = make([]uint32, nb*nc), make([]uint32, nb*nc)
	}
	lo, hi := m.lo[:nb*nc], m.hi[:nb*nc]
	for ib := range m.counts[b] {
		for ic := range m.counts[cax] {
			below, above := chunkAt(ib, ic, cut-1), chunkAt(ib, ic, cut)
			box := below.box
			if err := pastePlane(hi, nc, box.Lo[b], box.Hi[b], box.Lo[cax], box.Hi[cax], below.faces[2*a+1], below.base, below.n); err != nil {
				return fmt.Errorf("kernels: merge chunks: high face %d of chunk at %v: %w", 2*a+1, below.box, err)
			}
			if err := pastePlane(lo, nc, box.Lo[b], box.Hi[b], box.Lo[cax], box.Hi[cax], above.faces[2*a], above.base, above.n); err != nil {
				return fmt.Errorf("kernels: merge chunks: low face %d of chunk at %v: %w", 2*a, above.box, err)
			}
			m.letGo(below, 2*a+1)
			m.letGo(above, 2*a)
		}
	}
	total := len(m.parent)
	return joinFaces(m.parent, hi, 0, total, lo, 0, total, nb, nc, m.reach[a])
}

// letGo drops face f of mc, once joined, and with RecycleFaces gives its
// memory back, unless the chunk's other face along the axis is the same
// buffer (a chunk one voxel thick) and still waits.
func (m *ChunkMerger) letGo(mc *mergeChunk, f int) {
	face := mc.faces[f]
	mc.faces[f] = nil
	if !m.recycle || cap(face) == 0 {
		return
	}
	if other := mc.faces[f^1]; cap(other) > 0 && &other[:1][0] == &face[:1][0] {
		return
	}
	faceBufs.Put(&face)
}

// Relabeling numbers the objects of the whole volume once every chunk has
// been added.
func (m *ChunkMerger) Relabeling(ctx context.Context) (*Relabeling, error) {
	if m.added != len(m.chunks) {
		for i, mc := range m.chunks {
			if mc == nil {
				return nil, fmt.Errorf("kernels: merge chunks: chunk %d missing (%d of %d added)", i, m.added, len(m.chunks))
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	parent := m.parent
	total := len(parent)
	// An object's first voxel is the earliest first voxel of its parts.
	first := make([]int64, total)
	for i := range first {
		first[i] = math.MaxInt64
	}
	stats := true
	offsets := make([]int, len(m.chunks)+1)
	for ci, mc := range m.chunks {
		for l, f := range mc.first {
			r := find(parent, mc.base+uint32(l))
			first[r] = min(first[r], f)
		}
		offsets[ci+1] = offsets[ci] + mc.n
		// A chunk without labels has no sums to miss (and gob decodes its
		// empty Sums as nil).
		stats = stats && (mc.sums != nil || mc.n == 0)
	}
	var roots []uint32
	for i := range parent {
		if find(parent, uint32(i)) == uint32(i) {
			roots = append(roots, uint32(i))
		}
	}
	slices.SortFunc(roots, func(x, y uint32) int {
		switch {
		case first[x] < first[y]:
			return -1
		case first[x] > first[y]:
			return 1
		}
		return 0
	})
	global := make([]uint32, total) // global label of each root
	for k, r := range roots {
		global[r] = uint32(k + 1)
	}
	out := &Relabeling{N: len(roots), Offsets: offsets, Map: make([]uint32, total)}
	for ci, mc := range m.chunks {
		table := out.Map[offsets[ci]:offsets[ci+1]]
		for l := range table {
			table[l] = global[find(parent, mc.base+uint32(l))]
		}
	}
	if stats {
		sums := make([]RegionSums, out.N)
		for ci, mc := range m.chunks {
			for l := range mc.sums {
				sums[out.Map[offsets[ci]+l]-1].Add(&mc.sums[l])
			}
		}
		out.Regions = regionsOf(sums)
	}
	return out, nil
}

// pastePlane copies a chunk's face, whose labels are at most n, into rows
// [b0, b1) and columns [c0, c1) of a plane nc wide, as off+label (0 stays
// 0).
func pastePlane(plane []uint32, nc, b0, b1, c0, c1 int, face []uint32, off uint32, n int) error {
	w := c1 - c0
	for u := b0; u < b1; u++ {
		src := face[(u-b0)*w : (u-b0+1)*w]
		dst := plane[u*nc+c0 : u*nc+c1]
		for i, l := range src {
			if l != 0 {
				if int(l) > n {
					return errFaceLabel(l, n)
				}
				l += off
			}
			dst[i] = l
		}
	}
	return nil
}

// errFaceLabel is the error for a face label l of a chunk of n labels.
func errFaceLabel(l uint32, n int) error {
	return fmt.Errorf("face holds label %d of a chunk of %d labels", l, n)
}

// joinFaces unites the labels of two planes nb×nc that face each other
// across a cut: hi, the last voxels before it, and lo, the first after
// it, where a label l (not 0) stands for provisional id offHi+l-1 or
// offLo+l-1 and must be at most nHi or nLo. A voxel of lo touches the voxels of hi du rows away (du = -1,
// 0, 1) and at most reach[du+1] columns away (none for -1). It walks lo by
// runs of one label: the voxels of hi that a run [v0, v1) touches are, in
// each row within reach, one interval, so each voxel of hi is read about
// once per row of lo that reaches it rather than once per neighbour; a
// repeat of the pair just united is skipped.
func joinFaces(parent []uint32, hi []uint32, offHi uint32, nHi int, lo []uint32, offLo uint32, nLo int, nb, nc int, reach [3]int) error {
	var pa, pb uint32 // the last pair united; 0 never labels a voxel
	for u := range nb {
		rowLo := lo[u*nc : (u+1)*nc]
		for v0 := 0; v0 < nc; {
			lb := rowLo[v0]
			v1 := v0 + 1
			for v1 < nc && rowLo[v1] == lb {
				v1++
			}
			if lb != 0 {
				if int(lb) > nLo {
					return errFaceLabel(lb, nLo)
				}
				for du := -1; du <= 1; du++ {
					e, uu := reach[du+1], u+du
					if e < 0 || uu < 0 || uu >= nb {
						continue
					}
					for _, la := range hi[uu*nc+max(0, v0-e) : uu*nc+min(nc, v1+e)] {
						if la != 0 && (la != pa || lb != pb) {
							if int(la) > nHi {
								return errFaceLabel(la, nHi)
							}
							union(parent, offHi+la-1, offLo+lb-1)
							pa, pb = la, lb
						}
					}
				}
			}
			v0 = v1
		}
	}
	return nil
}

// checkChunk validates what MergeChunks reads of chunk i, but for the
// labels on its faces, which the join checks as it reads them.
func checkChunk(grid stack.Grid, i int, ch *ChunkLabels, dims [3]int) error {
	if ch == nil {
		return fmt.Errorf("kernels: merge chunks: chunk %d missing", i)
	}
	box := grid.Box(i)
	if ch.Index != i || ch.Box != box {
		return fmt.Errorf("kernels: merge chunks: entry %d holds chunk %d at %v, want %v", i, ch.Index, ch.Box, box)
	}
	if ch.N < 0 || len(ch.First) != ch.N || (ch.Sums != nil && len(ch.Sums) != ch.N) {
		return fmt.Errorf("kernels: merge chunks: chunk %d has %d labels but %d first voxels and %d sums", i, ch.N, len(ch.First), len(ch.Sums))
	}
	for a := range 3 {
		b, c := otherAxes(a)
		n := (box.Hi[b] - box.Lo[b]) * (box.Hi[c] - box.Lo[c])
		for side, need := range [2]bool{box.Lo[a] > 0, box.Hi[a] < dims[a]} {
			f := ch.Faces[2*a+side]
			if need && len(f) != n || !need && f != nil {
				return fmt.Errorf("kernels: merge chunks: chunk %d face %d has %d labels, want %d", i, 2*a+side, len(f), n)
			}
		}
	}
	return nil
}

// connOffsets lists the neighbour offsets (dz, dy, dx) of a normalised
// connectivity.
func connOffsets(conn Connectivity) [][3]int {
	var out [][3]int
	for dz := -1; dz <= 1; dz++ {
		for dy := -1; dy <= 1; dy++ {
			for dx := -1; dx <= 1; dx++ {
				l1 := absInt(dz) + absInt(dy) + absInt(dx)
				var ok bool
				switch conn {
				case Conn4:
					ok = dz == 0 && l1 == 1
				case Conn8:
					ok = dz == 0 && l1 > 0
				case Conn6:
					ok = l1 == 1
				case Conn18:
					ok = l1 == 1 || l1 == 2
				case Conn26:
					ok = l1 > 0
				}
				if ok {
					out = append(out, [3]int{dz, dy, dx})
				}
			}
		}
	}
	return out
}

func absInt(a int) int {
	if a < 0 {
		return -a
	}
	return a
}

// RelabelChunk rewrites chunk idx's local labels in dst (the chunk's
// labels as LabelChunk wrote them) to global labels, in place.
func RelabelChunk(dst *stack.Volume[uint32], r *Relabeling, idx int) error {
	if dst == nil || r == nil {
		return errors.New("kernels: relabel chunk: nil argument")
	}
	if idx < 0 || idx+1 >= len(r.Offsets) {
		return fmt.Errorf("kernels: relabel chunk: index %d outside %d chunks", idx, len(r.Offsets)-1)
	}
	return relabel(dst.Data, r.Table(idx))
}

// relabel maps each non-zero l in data to table[l-1].
func relabel(data []uint32, table []uint32) error {
	// A leading 0 makes the lookup branch-free: background maps to itself.
	t0 := make([]uint32, len(table)+1)
	copy(t0[1:], table)
	return relabelWith(data, t0)
}

// relabelWith maps each l in data to t0[l]; t0[0] must be 0.
func relabelWith(data []uint32, t0 []uint32) error {
	n := uint32(len(t0))
	for i, l := range data {
		if l >= n {
			return fmt.Errorf("kernels: relabel chunk: label %d but the chunk has %d", l, n-1)
		}
		data[i] = t0[l]
	}
	return nil
}

// LabelChunked labels mask into dst like Label, but chunk by chunk on a
// grid of chunkShape (chunks labelled in parallel, then merged and
// relabelled), as a whole-stack job split into tasks would. The result
// equals Label's for any chunk shape.
func LabelChunked(ctx context.Context, dst *stack.Volume[uint32], mask *stack.Volume[uint8], chunkShape stack.Shape, conn Connectivity) (int, error) {
	n, _, err := labelChunked(ctx, dst, mask, nil, chunkShape, conn)
	return n, err
}

// LabelChunkedWithStats is LabelChunked that also measures every object, as
// LabelWithStats does; intensity may be nil.
func LabelChunkedWithStats(ctx context.Context, dst *stack.Volume[uint32], mask *stack.Volume[uint8], intensity *stack.Volume[float32], chunkShape stack.Shape, conn Connectivity) (int, []Region, error) {
	return labelChunked(ctx, dst, mask, intensity, chunkShape, conn)
}

func labelChunked(ctx context.Context, dst *stack.Volume[uint32], mask *stack.Volume[uint8], intensity *stack.Volume[float32], chunkShape stack.Shape, conn Connectivity) (int, []Region, error) {
	if mask == nil {
		return 0, nil, errors.New("kernels: label: nil mask")
	}
	if err := checkLabelArgs(dst, mask.Shape, len(mask.Data), intensity); err != nil {
		return 0, nil, err
	}
	grid, err := stack.NewGrid(mask.Shape, chunkShape)
	if err != nil {
		return 0, nil, fmt.Errorf("kernels: label: %w", err)
	}
	if _, err := normConn(conn, mask.Shape); err != nil {
		return 0, nil, err
	}
	chunks := make([]*ChunkLabels, grid.Len())
	errs := make([]error, grid.Len())
	forChunks(grid.Len(), func(i int) {
		box := grid.Box(i)
		var m *stack.Volume[uint8]
		var in *stack.Volume[float32]
		var lab *stack.Volume[uint32]
		inPlace := box.Lo[1] == 0 && box.Hi[1] == mask.Shape.Y && box.Lo[2] == 0 && box.Hi[2] == mask.Shape.X
		if inPlace {
			// A slab of whole planes is contiguous: label it in place.
			m, lab = mask.Slab(box.Lo[0], box.Hi[0]), dst.Slab(box.Lo[0], box.Hi[0])
			if intensity != nil {
				in = intensity.Slab(box.Lo[0], box.Hi[0])
			}
		} else {
			var err error
			if m, err = stack.ExtractTile(mask, box, [3]int{}, stack.Constant, 0, nil); err != nil {
				errs[i] = err
				return
			}
			if intensity != nil {
				if in, err = stack.ExtractTile(intensity, box, [3]int{}, stack.Constant, 0, nil); err != nil {
					errs[i] = err
					return
				}
			}
			lab = stack.New[uint32](m.Shape)
		}
		if chunks[i], errs[i] = labelChunk(ctx, grid, i, lab, m.Shape, len(m.Data), maskRunFunc(m), in, conn, 1); errs[i] == nil && !inPlace {
			errs[i] = stack.WriteCore(dst, lab, box, [3]int{})
		}
	})
	if err := errors.Join(errs...); err != nil {
		return 0, nil, err
	}
	rl, err := MergeChunks(ctx, grid, chunks, conn)
	if err != nil {
		return 0, nil, err
	}
	forChunks(grid.Len(), func(i int) {
		box := grid.Box(i)
		t0 := make([]uint32, len(rl.Table(i))+1)
		copy(t0[1:], rl.Table(i))
		for z := box.Lo[0]; z < box.Hi[0]; z++ {
			for y := box.Lo[1]; y < box.Hi[1]; y++ {
				if err := relabelWith(dst.Row(z, y)[box.Lo[2]:box.Hi[2]], t0); err != nil {
					errs[i] = err
					return
				}
			}
		}
	})
	if err := errors.Join(errs...); err != nil {
		return 0, nil, err
	}
	return rl.N, rl.Regions, ctx.Err()
}

// forChunks runs fn(0..n-1) on up to GOMAXPROCS goroutines.
func forChunks(n int, fn func(i int)) {
	w := min(n, defaultWorkers())
	var next atomic.Int64
	var wg sync.WaitGroup
	for range w {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(i)
			}
		})
	}
	wg.Wait()
}
