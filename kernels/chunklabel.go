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
// The result equals Label on the whole volume for any chunk shape.

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
// sums' intensity figures (same shape). conn is resolved against the whole volume's shape, as Label
// resolves it.
func LabelChunk(ctx context.Context, grid stack.Grid, idx int, dst *stack.Volume[uint32], mask *stack.Volume[uint8], intensity *stack.Volume[float32], conn Connectivity) (*ChunkLabels, error) {
	if mask == nil {
		return nil, errors.New("kernels: label chunk: nil mask")
	}
	return labelChunk(ctx, grid, idx, dst, mask.Shape, len(mask.Data), maskRunFunc(mask), intensity, conn, 0)
}

// LabelChunkAbove is LabelChunk on the voxels of src that are > t, without
// materialising the mask; intensity may differ from src or be nil.
func LabelChunkAbove(ctx context.Context, grid stack.Grid, idx int, dst *stack.Volume[uint32], src *stack.Volume[float32], t float32, intensity *stack.Volume[float32], conn Connectivity) (*ChunkLabels, error) {
	if src == nil {
		return nil, errors.New("kernels: label chunk: nil source")
	}
	return labelChunk(ctx, grid, idx, dst, src.Shape, len(src.Data), aboveRunFunc(src, t), intensity, conn, 0)
}

func labelChunk(ctx context.Context, grid stack.Grid, idx int, dst *stack.Volume[uint32], shape stack.Shape, srcLen int, runsOf runFunc, intensity *stack.Volume[float32], conn Connectivity, strips int) (*ChunkLabels, error) {
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
	if err := checkLabelArgs(dst, shape, srcLen, intensity); err != nil {
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
	out.Sums = sc.writeWithStats(dst.Data, intensity)
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
			out.Faces[2*a] = extractFace(dst, a, 0)
		}
		if box.Hi[a] < dims[a] {
			out.Faces[2*a+1] = extractFace(dst, a, box.Hi[a]-box.Lo[a]-1)
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

// extractFace copies the plane at position pos along axis a of v.
func extractFace(v *stack.Volume[uint32], a, pos int) []uint32 {
	s := v.Shape
	switch a {
	case 0:
		return slices.Clone(v.Plane(pos))
	case 1:
		out := make([]uint32, 0, s.Z*s.X)
		for z := range s.Z {
			out = append(out, v.Row(z, pos)...)
		}
		return out
	}
	out := make([]uint32, 0, s.Z*s.Y)
	for z := range s.Z {
		for y := range s.Y {
			out = append(out, v.At(z, y, pos))
		}
	}
	return out
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
// number of labels and the faces' area, not with the volume.
func MergeChunks(ctx context.Context, grid stack.Grid, chunks []*ChunkLabels, conn Connectivity) (*Relabeling, error) {
	c, err := normConn(conn, grid.Shape)
	if err != nil {
		return nil, err
	}
	if len(chunks) != grid.Len() {
		return nil, fmt.Errorf("kernels: merge chunks: %d chunks for a grid of %d", len(chunks), grid.Len())
	}
	dims := grid.Shape.Dims()
	offsets := make([]int, len(chunks)+1)
	stats := true
	for i, ch := range chunks {
		if err := checkChunk(grid, i, ch, dims); err != nil {
			return nil, err
		}
		offsets[i+1] = offsets[i] + ch.N
		// A chunk without labels has no sums to miss (and gob decodes its
		// empty Sums as nil).
		stats = stats && (ch.Sums != nil || ch.N == 0)
	}
	total := offsets[len(chunks)]
	if int64(total) >= math.MaxUint32 {
		return nil, fmt.Errorf("kernels: merge chunks: %d labels is too many for 32-bit labels", total)
	}
	parent := make([]uint32, total)
	for i := range parent {
		parent[i] = uint32(i)
	}
	// The neighbours across a face along axis a: offsets of conn that step +1
	// along a. Every pair of touching voxels in different chunks differs in
	// chunk along some axis and is found from the high face along that axis.
	var across [3][][3]int
	for _, d := range connOffsets(c) {
		for a := range 3 {
			if d[a] == 1 {
				across[a] = append(across[a], d)
			}
		}
	}
	// Each cut between two layers of chunks along an axis is handled as two
	// whole planes of provisional ids (offset + local label, 0 for
	// background): the layer below's high faces and the layer above's low
	// faces, so neighbours are plain offsets within the planes.
	counts := grid.Counts()
	for a := range 3 {
		b, cax := otherAxes(a)
		nb, nc := dims[b], dims[cax]
		if counts[a] < 2 {
			continue
		}
		lo := make([]uint32, nb*nc)
		hi := make([]uint32, nb*nc)
		for k := 1; k < counts[a]; k++ {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			for ib := range counts[b] {
				for ic := range counts[cax] {
					var idx [3]int
					idx[b], idx[cax] = ib, ic
					idx[a] = k - 1
					below := (idx[0]*counts[1]+idx[1])*counts[2] + idx[2]
					idx[a] = k
					above := (idx[0]*counts[1]+idx[1])*counts[2] + idx[2]
					box := chunks[below].Box
					pastePlane(hi, nc, box.Lo[b], box.Hi[b], box.Lo[cax], box.Hi[cax], chunks[below].Faces[2*a+1], uint32(offsets[below]))
					pastePlane(lo, nc, box.Lo[b], box.Hi[b], box.Lo[cax], box.Hi[cax], chunks[above].Faces[2*a], uint32(offsets[above]))
				}
			}
			joinPlanes(parent, hi, lo, nb, nc, across[a], b, cax)
		}
	}
	// An object's first voxel is the earliest first voxel of its parts.
	first := make([]int64, total)
	for i := range first {
		first[i] = math.MaxInt64
	}
	for ci, ch := range chunks {
		for l, f := range ch.First {
			r := find(parent, uint32(offsets[ci]+l))
			first[r] = min(first[r], f)
		}
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
	for i := range out.Map {
		out.Map[i] = global[find(parent, uint32(i))]
	}
	if stats {
		sums := make([]RegionSums, out.N)
		for ci, ch := range chunks {
			for l := range ch.Sums {
				sums[out.Map[offsets[ci]+l]-1].Add(&ch.Sums[l])
			}
		}
		out.Regions = regionsOf(sums)
	}
	return out, nil
}

// pastePlane copies a chunk's face into rows [b0, b1) and columns [c0, c1)
// of a plane nc wide, as provisional ids off+label (0 stays 0).
func pastePlane(plane []uint32, nc, b0, b1, c0, c1 int, face []uint32, off uint32) {
	w := c1 - c0
	for u := b0; u < b1; u++ {
		src := face[(u-b0)*w : (u-b0+1)*w]
		dst := plane[u*nc+c0 : u*nc+c1]
		for i, l := range src {
			if l != 0 {
				l += off
			}
			dst[i] = l
		}
	}
}

// joinPlanes unites every voxel of hi with its neighbours in lo (the next
// plane along the cut's axis) at the in-plane offsets of across. A
// neighbour pair seen just before is skipped: along a row, the same two
// objects meet again and again.
func joinPlanes(parent []uint32, hi, lo []uint32, nb, nc int, across [][3]int, b, cax int) {
	var last [9][2]uint32
	for u := range nb {
		for v := range nc {
			ga := hi[u*nc+v]
			if ga == 0 {
				continue
			}
			for o, d := range across {
				qb, qc := u+d[b], v+d[cax]
				if qb < 0 || qc < 0 || qb >= nb || qc >= nc {
					continue
				}
				gb := lo[qb*nc+qc]
				if gb == 0 || last[o] == [2]uint32{ga, gb} {
					continue
				}
				last[o] = [2]uint32{ga, gb}
				union(parent, ga-1, gb-1)
			}
		}
	}
}

// checkChunk validates what MergeChunks reads of chunk i.
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
			for _, l := range f {
				if int(l) > ch.N {
					return fmt.Errorf("kernels: merge chunks: chunk %d face %d holds label %d > %d", i, 2*a+side, l, ch.N)
				}
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
