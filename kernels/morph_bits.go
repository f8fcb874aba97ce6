package kernels

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"unsafe"

	"github.com/segstack/segstack/kernels/simd"
	"github.com/segstack/segstack/stack"
)

// Binary morphology on bit-packed masks. Each row of X voxels becomes
// W = ceil(X/64) words, voxel x at bit x%64 of word x/64. An erosion step
// is then, per word, an AND of the structure's rows, those spanning
// dx = -1..1 first reduced along X with two one-bit shifts; a dilation is
// the same with OR. Iterations, masks and the two halves of an opening or
// closing stay packed; the result is unpacked once at the end.
//
// The packed volume sits in a frame of border bits, so that the shifts
// and the rows and planes around any voxel are plain reads at fixed
// offsets: every row is followed by one word of border bits (the word
// before the first row is one too), each plane has a row of border bits
// above and below it, and a volume of several planes has a plane of
// border bits before and after it. The bits of a row's last word past X
// hold the border value as well. A step runs over whole runs of rows,
// separators included, then puts the border back in the separators and
// past X.
//
// A single erosion or dilation without a mask, the common call, does not
// pack the whole volume first: streamMorph runs it in one pass, packing
// a band of rows, stepping and unpacking the band before it (in one loop
// on AVX-512 and AVX2), so the source is read once and the result written once
// while the packed bands stay in the cache.

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
	if opt.Mask != nil && (opt.Mask.Shape != src.Shape || len(opt.Mask.Data) != src.Shape.Len()) {
		return fmt.Errorf("kernels: %s: mask shape %v (%d elements) does not match source %v", op, opt.Mask.Shape, len(opt.Mask.Data), src.Shape)
	}
	if len(ops) == 1 && opt.Iterations == 1 && opt.Mask == nil {
		return streamMorph(ctx, dst.Data, src.Data, src.Shape, conn, opt.BorderValue, ops[0])
	}
	m := newBitMorpher(src.Shape, conn, opt.BorderValue)
	nw := m.size
	nbuf := 2
	if m.needH {
		nbuf++
	}
	if opt.Mask != nil {
		nbuf++
	}
	scratch := getWords(nbuf * nw)
	defer putWords(scratch)
	words := *scratch
	cur, next := words[:nw], words[nw:2*nw]
	words = words[2*nw:]
	m.frame(next, m.border)
	if m.needH {
		m.h, words = words[:nw], words[nw:]
		m.frame(m.h, m.border)
	}
	m.frame(cur, m.border)
	if err := m.pack(ctx, cur, src.Data, true); err != nil {
		return err
	}
	if opt.Mask != nil {
		m.mask = words[:nw]
		m.frame(m.mask, 0)
		if err := m.pack(ctx, m.mask, opt.Mask.Data, false); err != nil {
			return err
		}
	}
	for _, erode := range ops {
		for it := 0; opt.Iterations < 1 || it < opt.Iterations; it++ {
			if err := m.step(ctx, next, cur, erode); err != nil {
				return err
			}
			cur, next = next, cur
			if opt.Iterations < 1 && slices.Equal(cur, next) {
				break
			}
		}
	}
	return m.unpack(ctx, dst.Data, cur)
}

// streamScratch is streamChunk's packed buffers, with the geometry the
// frames of its first buffer (and, with needH, third) were last set for.
type streamScratch struct {
	words  []uint64
	framed streamKey
}

type streamKey struct {
	s      stack.Shape
	border uint64
	needH  bool
}

// streamPool holds the streamScratch of recent calls: a caller looping
// over planes of one shape neither allocates nor frames them again.
var streamPool sync.Pool

func getStreamScratch(n int) *streamScratch {
	if p, ok := streamPool.Get().(*streamScratch); ok && cap(p.words) >= n {
		if len(p.words) != n {
			// Another layout: the frames are elsewhere.
			p.framed = streamKey{}
		}
		p.words = p.words[:n]
		return p
	}
	return &streamScratch{words: make([]uint64, n)}
}

// wordPool holds the packed buffers of recent calls, so that a caller
// looping over planes does not allocate and clear them every time.
var wordPool sync.Pool

func getWords(n int) *[]uint64 {
	if p, ok := wordPool.Get().(*[]uint64); ok && cap(*p) >= n {
		*p = (*p)[:n]
		return p
	}
	b := make([]uint64, n)
	return &b
}

func putWords(p *[]uint64) { wordPool.Put(p) }

// bitMorpher runs erosion and dilation steps on packed volumes.
type bitMorpher struct {
	s      stack.Shape
	w      int    // data words per row
	stride int    // words per row, the separator included: w+1
	plane  int    // words per plane, its border rows included
	zpad   int    // border planes on each side: 1 with several planes, else 0
	size   int    // words of a packed volume, frame included
	border uint64 // the border value in every bit: 0 or all ones
	pad    uint64 // the bits of a row's last word past X
	cross  bool   // the cross (4 or 6), whose in-plane rows are fused into one pass
	zcross bool   // the 3-D cross (6): the planes above and below join after
	offs   []int  // the structure's rows, as word offsets
	full   []bool // whether offs[i] spans dx = -1..1 (read from h)
	needH  bool   // some row other than the cross's centre spans dx = -1..1
	noFix  bool   // steps leave the separators and pads of their result alone
	h      []uint64
	mask   []uint64 // the packed mask, or nil
}

func newBitMorpher(s stack.Shape, conn Connectivity, border uint8) *bitMorpher {
	w := (s.X + 63) / 64
	m := &bitMorpher{s: s, w: w, stride: w + 1, cross: conn == Conn4 || conn == Conn6, zcross: conn == Conn6}
	m.plane = (s.Y + 2) * m.stride
	if s.Z > 1 {
		m.zpad = 1
	}
	m.size = 2 + (s.Z+2*m.zpad)*m.plane
	if border != 0 {
		m.border = ^uint64(0)
	}
	if r := s.X % 64; r != 0 {
		m.pad = ^uint64(0) << r
	}
	for i, sp := range structSpans(conn) {
		if sp == spanNone {
			continue
		}
		dz, dy := i/3-1, i%3-1
		m.offs = append(m.offs, dz*m.plane+dy*m.stride)
		m.full = append(m.full, sp == spanFull)
		m.needH = m.needH || (sp == spanFull && !m.cross)
	}
	return m
}

// rowAt is the index of the first word of row (z, y), y in -1..Y.
func (m *bitMorpher) rowAt(z, y int) int {
	return 1 + (z+m.zpad)*m.plane + (y+1)*m.stride
}

// frame sets every word of buf that is not a voxel's to v: the guards,
// border planes and rows, and the separators.
func (m *bitMorpher) frame(buf []uint64, v uint64) {
	fill := func(b []uint64) {
		for i := range b {
			b[i] = v
		}
	}
	buf[0], buf[len(buf)-1] = v, v
	fill(buf[1 : 1+m.zpad*m.plane])
	fill(buf[len(buf)-1-m.zpad*m.plane : len(buf)-1])
	for z := range m.s.Z {
		top := m.rowAt(z, -1)
		fill(buf[top : top+m.stride])
		bottom := m.rowAt(z, m.s.Y)
		fill(buf[bottom : bottom+m.stride])
		for y := range m.s.Y {
			buf[m.rowAt(z, y)+m.w] = v
		}
	}
}

// rowsPerItem is how many rows one parallel work item handles.
const rowsPerItem = 64

// eachRows calls fn on runs of rows y0..y1-1 of plane z covering the
// volume, on several workers for large volumes.
func (m *bitMorpher) eachRows(ctx context.Context, fn func(z, y0, y1 int)) error {
	per := (m.s.Y + rowsPerItem - 1) / rowsPerItem
	items := m.s.Z * per
	return forEachItem(ctx, workersFor(m.s.Len(), items), items, func(_, it int) error {
		z, k := it/per, it%per
		fn(z, k*rowsPerItem, min(m.s.Y, (k+1)*rowsPerItem))
		return nil
	})
}

// pack packs src row by row into dst's voxel words; with border, the bits
// past X take the border value, otherwise they are 0.
func (m *bitMorpher) pack(ctx context.Context, dst []uint64, src []uint8, border bool) error {
	X, W := m.s.X, m.w
	fill := uint64(0)
	if border {
		fill = m.border & m.pad
	}
	return m.eachRows(ctx, func(z, y0, y1 int) {
		r, o := z*m.s.Y+y0, m.rowAt(z, y0)
		simd.PackRows(dst[o:], m.stride, src[r*X:], X, y1-y0)
		if fill != 0 {
			for y := y0; y < y1; y++ {
				dst[m.rowAt(z, y)+W-1] |= fill
			}
		}
	})
}

// unpack writes the voxels of the packed volume src into dst as 0/1.
func (m *bitMorpher) unpack(ctx context.Context, dst []uint8, src []uint64) error {
	X := m.s.X
	return m.eachRows(ctx, func(z, y0, y1 int) {
		r, o := z*m.s.Y+y0, m.rowAt(z, y0)
		simd.UnpackRows(dst[r*X:], X, y1-y0, src[o:], m.stride)
	})
}

// step writes one erosion or dilation of in into out (then, with a mask,
// keeps in's bits where the mask is 0).
func (m *bitMorpher) step(ctx context.Context, out, in []uint64, erode bool) error {
	if m.needH {
		// Every row reduced along X first: the rows of a run read the
		// reductions of the rows around it.
		if err := m.eachRows(ctx, func(z, y0, y1 int) { m.hRows(in, z, y0, y1, erode) }); err != nil {
			return err
		}
	}
	return m.eachRows(ctx, func(z, y0, y1 int) { m.stepRows(out, in, z, y0, y1, erode) })
}

// hRows reduces rows y0..y1-1 of plane z of in along X into m.h.
func (m *bitMorpher) hRows(in []uint64, z, y0, y1 int, erode bool) {
	lo, hi := m.rowAt(z, y0), m.rowAt(z, y1)
	simd.SpanBits(m.h[lo:hi], in[lo-1:hi+1], erode)
}

// stepRows is step for rows y0..y1-1 of plane z; the rows of m.h it
// reads must be done.
func (m *bitMorpher) stepRows(out, in []uint64, z, y0, y1 int, erode bool) {
	lo, hi := m.rowAt(z, y0), m.rowAt(z, y1)
	o := out[lo:hi]
	if m.cross {
		S := m.stride
		simd.CrossBits(o, in[lo-S:hi+S], S, erode)
		if m.zcross {
			P := m.plane
			simd.CombineBits(o, o, in[lo-P:hi-P], in[lo+P:hi+P], erode)
		}
	} else {
		var L [9][]uint64
		for i, d := range m.offs {
			src := in
			if m.full[i] {
				src = m.h
			}
			L[i] = src[lo+d : hi+d]
		}
		k := len(m.offs)
		simd.CombineBits(o, L[0], L[1], L[2], erode)
		for i := 3; i < k; i += 2 {
			simd.CombineBits(o, o, L[i], L[min(i+1, k-1)], erode)
		}
	}
	W := m.w
	for y := y0; y < y1 && !m.noFix; y++ {
		r := m.rowAt(z, y)
		out[r+W-1] = out[r+W-1]&^m.pad | m.border&m.pad
		out[r+W] = m.border
	}
	if m.mask != nil {
		keepUnmasked(o, in[lo:hi], m.mask[lo:hi])
	}
}

// streamMorph is one erosion or dilation (no mask, one iteration) in a
// single pass over src and dst. The volume is cut into contiguous chunks,
// runs of rows of the plane in 2-D and runs of planes in 3-D; a worker
// packs a chunk, with the row or plane on either side of it that the
// structure reaches, into packed buffers of its own and streams it band
// by band (see streamChunk), so every source voxel is read and every
// result written once (a chunk's two neighbour units twice), and no two
// workers write the same word.
func streamMorph(ctx context.Context, dst, src []uint8, s stack.Shape, conn Connectivity, border uint8, erode bool) error {
	// unit is the extent chunks are cut along: rows of the one plane in
	// 2-D, planes in 3-D, each unitLen voxels long and contiguous. A
	// chunk is at least minUnits units, so that its two neighbours add
	// little.
	unit, unitLen, minUnits := s.Z, s.Y*s.X, 8
	if s.Z == 1 {
		unit, unitLen, minUnits = s.Y, s.X, 2*rowsPerItem
	}
	workers := workersFor(s.Len(), max(1, unit/minUnits))
	chunk := func(lo, hi int, ready func()) error {
		hlo, hhi := max(lo-1, 0), min(hi+1, unit)
		sub := s
		if s.Z == 1 {
			sub.Y = hhi - hlo
		} else {
			sub.Z = hhi - hlo
		}
		m := newBitMorpher(sub, conn, border)
		return m.streamChunk(ctx, dst[hlo*unitLen:hhi*unitLen], src[hlo*unitLen:hhi*unitLen], lo-hlo, hi-hlo, erode, ready)
	}
	if workers == 1 {
		return chunk(0, unit, nil)
	}
	if !overlaps(dst, src) {
		// Chunks are handed out as workers come free, about four per
		// worker, so that a worker held up (by other work on its core)
		// delays the call by a chunk at most.
		per := max(minUnits, (unit+4*workers-1)/(4*workers))
		items := (unit + per - 1) / per
		return forEachItem(ctx, min(workers, items), items, func(_, it int) error {
			return chunk(it*per, min(unit, (it+1)*per), nil)
		})
	}
	// dst overlaps src (in place): a chunk's first and last units are
	// other chunks' neighbours, so there is one chunk per worker and
	// every worker packs its neighbours before any writes its result.
	// Each chunk has a goroutine of its own, which runs to that point
	// whatever happens, so none waits there forever.
	var packed, done sync.WaitGroup
	packed.Add(workers)
	ready := func() { packed.Done(); packed.Wait() }
	errs := make([]error, workers)
	for w := range workers {
		done.Add(1)
		go func() {
			defer done.Done()
			errs[w] = chunk(unit*w/workers, unit*(w+1)/workers, ready)
		}()
	}
	done.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// overlaps says whether a and b share memory.
func overlaps(a, b []uint8) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	a0, b0 := uintptr(unsafe.Pointer(&a[0])), uintptr(unsafe.Pointer(&b[0]))
	return a0 < b0+uintptr(len(b)) && b0 < a0+uintptr(len(a))
}

// streamChunk is one erosion or dilation of the volume src (m's shape)
// on the calling goroutine, writing only units (rows of the plane in
// 2-D, planes in 3-D) out0..out1-1 of dst: the units around them are
// read as neighbours only. It runs band by band: a band is packed (and
// reduced along X) while the band before it, whose neighbouring rows are
// now all packed, is stepped and unpacked, so the source and result pass
// through the cache once and the packed rows stay in it. A band is
// rowsPerItem rows in 2-D and a plane in 3-D. When ready is not nil,
// the neighbour units are packed first and ready is called before
// anything is written to dst.
func (m *bitMorpher) streamChunk(ctx context.Context, dst, src []uint8, out0, out1 int, erode bool, ready func()) error {
	nw := m.size
	nbuf := 2
	if m.needH {
		nbuf++
	}
	sc := getStreamScratch(nbuf * nw)
	defer streamPool.Put(sc)
	words := sc.words
	// next needs no frame, and its rows' separators and pads are left
	// as they are: only its rows' voxels are unpacked.
	m.noFix = true
	cur, next := words[:nw], words[nw:2*nw]
	if m.needH {
		m.h = words[2*nw : 3*nw]
	}
	// Packing writes only the voxel words of cur and a reduction only
	// the rows of h that it reduces: a buffer framed for the same
	// geometry by the call before keeps its frame.
	key := streamKey{m.s, m.border, m.needH}
	if sc.framed != key {
		m.frame(cur, m.border)
		if m.needH {
			m.frame(m.h, m.border)
		}
		sc.framed = key
	}
	X := m.s.X
	fill := m.border & m.pad
	type band struct {
		z, y0, y1 int
		out       bool // stepped and unpacked, not only packed
	}
	var bands []band
	if m.s.Z == 1 {
		if out0 > 0 {
			bands = append(bands, band{0, 0, out0, false})
		}
		for y := out0; y < out1; y += rowsPerItem {
			bands = append(bands, band{0, y, min(out1, y+rowsPerItem), true})
		}
		if out1 < m.s.Y {
			bands = append(bands, band{0, out1, m.s.Y, false})
		}
	} else {
		for z := range m.s.Z {
			bands = append(bands, band{z, 0, m.s.Y, z >= out0 && z < out1})
		}
	}
	pack := func(b band) {
		r, o := b.z*m.s.Y+b.y0, m.rowAt(b.z, b.y0)
		simd.PackRows(cur[o:], m.stride, src[r*X:], X, b.y1-b.y0)
		if fill != 0 {
			for y := b.y0; y < b.y1; y++ {
				cur[m.rowAt(b.z, y)+m.w-1] |= fill
			}
		}
		if m.needH {
			m.hRows(cur, b.z, b.y0, b.y1, erode)
		}
	}
	if ready != nil {
		// No error return before ready: every worker must reach it.
		for _, b := range bands {
			if !b.out {
				pack(b)
			}
		}
		ready()
	}
	for k := 0; k <= len(bands); k++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if k < len(bands) && (ready == nil || bands[k].out) {
			pack(bands[k])
		}
		if k > 0 && bands[k-1].out {
			b := bands[k-1]
			if m.stepUnpack(dst, cur, b.z, b.y0, b.y1, erode) {
				continue
			}
			m.stepRows(next, cur, b.z, b.y0, b.y1, erode)
			r, o := b.z*m.s.Y+b.y0, m.rowAt(b.z, b.y0)
			simd.UnpackRows(dst[r*X:], X, b.y1-b.y0, next[o:], m.stride)
		}
	}
	return nil
}

// stepUnpack is stepRows of rows y0..y1-1 of plane z of in fused with
// their unpacking into dst (the volume's voxels), where the SIMD path has
// such a loop; it reports whether it ran. The rows of m.h it reads must
// be done.
func (m *bitMorpher) stepUnpack(dst []uint8, in []uint64, z, y0, y1 int, erode bool) bool {
	lo, X, W := m.rowAt(z, y0), m.s.X, m.w
	var srcs [9][]uint64
	var span []uint64
	k := 0
	if m.cross {
		S := m.stride
		span = in[lo-1:]
		srcs[0], srcs[1], k = in[lo-S:], in[lo+S:], 2
		if m.zcross {
			P := m.plane
			srcs[2], srcs[3], k = in[lo-P:], in[lo+P:], 4
		}
	} else {
		for i, d := range m.offs {
			src := in
			if m.full[i] {
				src = m.h
			}
			srcs[k] = src[lo+d:]
			k++
		}
	}
	r := z*m.s.Y + y0
	if !simd.StepUnpackRows(dst[r*X:], X, y1-y0, m.stride, srcs[:k], span, erode) {
		return false
	}
	if X%64 == 0 {
		return true
	}
	// The last, partial word of each row.
	var one [1]uint64
	for y := y0; y < y1; y++ {
		o := m.rowAt(z, y) + W - 1
		acc := uint64(0)
		if erode {
			acc = ^acc
		}
		op := func(v uint64) {
			if erode {
				acc &= v
			} else {
				acc |= v
			}
		}
		for _, src := range srcs[:k] {
			op(src[o-lo])
		}
		if span != nil {
			c := in[o]
			op(c)
			op(c<<1 | in[o-1]>>63)
			op(c>>1 | in[o+1]<<63)
		}
		one[0] = acc
		row := (z*m.s.Y + y) * X
		simd.UnpackBits(dst[row+(W-1)*64:row+X], one[:])
	}
	return true
}

// keepUnmasked puts back in's bits where mask is 0.
func keepUnmasked(out, in, mask []uint64) {
	n := len(out)
	in, mask = in[:n], mask[:n]
	for i := range out {
		out[i] = out[i]&mask[i] | in[i]&^mask[i]
	}
}
