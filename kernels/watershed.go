package kernels

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/segstack/segstack/kernels/simd"
	"github.com/segstack/segstack/stack"
)

// ErrWatershedInput is returned (wrapped) for inputs that Watershed refuses:
// NaN in the image, the reserved marker label math.MaxUint32, or a volume too
// large to index.
var ErrWatershedInput = errors.New("kernels: watershed: unsupported input")

// wsBlocked marks, in the padded label buffer, a pixel that is never flooded:
// the one-pixel frame around the image and the pixels outside the mask.
const wsBlocked = math.MaxUint32

// Watershed floods image from markers as
// skimage.segmentation.watershed(image, markers, connectivity=c, mask=mask,
// compactness=0) does in scikit-image 0.26, and writes the labels to dst:
// every result, ties included, is the one scikit-image gives for the same
// float32 image (scikit-image converts it to float64, which is exact, so the
// comparisons are the same).
//
// A volume with one plane (Z == 1) is a 2-D image and conn is 4 or 8 (6, 18
// and 26 mean 4, 8 and 8 there, as for Label); a volume of several planes is
// flooded in 3-D with conn 6, 18 or 26. 0 picks 4 or 6 (scikit-image's
// default connectivity=1). Pass every plane to WatershedPlanes instead to
// flood them one by one.
//
// markers holds the seeds: nonzero values are labels, copied to the output.
// mask, if not nil, limits the flood to its nonzero pixels; markers outside it
// are dropped, as scikit-image's markers * mask drops them. Pixels the flood
// cannot reach, and pixels outside the mask, are 0.
//
// The order is scikit-image's: a priority queue of (value, age) where a
// marker enters with age 0 and every later entry with the next age; a pixel
// enters with the larger of its own value and the value of the pixel that
// reached it (scikit-image 0.26 does so; 0.19 and earlier used the pixel's
// own value, which can give other labels where a basin is reached over a
// higher ridge), and takes that pixel's label when it enters. The queue is
// a three-level radix bucket queue over the values (first in, first out
// within a value), exact wherever no two entries share a key: O(N).
//
// Markers of equal value leave scikit-image's binary heap in an order only
// that heap decides. They are first flooded in raster order, watching for
// the one way their order can change a label (floodTracked); without it the
// labels are scikit-image's. Otherwise the heap is run, step for step, only
// as far as the ties whose order matters (O(N log N) over that part), and
// the bucket queue floods the rest.
//
// dst may be markers itself (the same volume or the same slice): markers are
// read before anything is written. The label math.MaxUint32 is reserved and
// refused in markers. Images holding NaN are refused (scikit-image's order on
// them is not defined), as are volumes of 2^32 - 2 pixels or more.
func Watershed(ctx context.Context, dst *stack.Volume[uint32], image *stack.Volume[float32], markers *stack.Volume[uint32], mask *stack.Volume[uint8], conn Connectivity) error {
	return watershed(ctx, dst, image, markers, mask, conn, false)
}

// WatershedNegated is Watershed on the negated image (-image, exactly, as
// float32 negation is): the flood runs uphill-first from the brightest
// seeds, as skimage.segmentation.watershed(-image, markers, ...) does for
// seeds at the peaks of an intensity or a distance transform. It spares
// the caller a negated copy of the image.
func WatershedNegated(ctx context.Context, dst *stack.Volume[uint32], image *stack.Volume[float32], markers *stack.Volume[uint32], mask *stack.Volume[uint8], conn Connectivity) error {
	return watershed(ctx, dst, image, markers, mask, conn, true)
}

// watershed is Watershed, or WatershedNegated with negate.
func watershed(ctx context.Context, dst *stack.Volume[uint32], image *stack.Volume[float32], markers *stack.Volume[uint32], mask *stack.Volume[uint8], conn Connectivity, negate bool) error {
	if err := checkWatershedArgs(dst, image, markers, mask); err != nil {
		return err
	}
	c, err := normConn(conn, image.Shape)
	if err != nil {
		return fmt.Errorf("kernels: watershed: %w", err)
	}
	var m []uint8
	if mask != nil {
		m = mask.Data
	}
	ws := wsPool.Get().(*wsScratch)
	defer wsPool.Put(ws)
	return ws.run(ctx, dst.Data, image.Data, markers.Data, m, image.Shape, c, negate)
}

// WatershedSplitOptions are the steps of WatershedSplit around the flood.
type WatershedSplitOptions struct {
	// Negate floods -image, as WatershedNegated does.
	Negate bool
	// MinSize and MaxSize are FilterBySize's bounds: objects of fewer
	// than MinSize voxels, or more than MaxSize when MaxSize > 0, are
	// dropped.
	MinSize, MaxSize int
	// MaskAbove, when set, floods only where image > Above (the image as
	// given, before any negation), as a mask of Threshold(image, Above)
	// would; it may be combined with a mask, which then limits it too.
	// It spares the caller the mask's pass.
	MaskAbove bool
	Above     float32
}

// WatershedSplit is the flood of a seeded split in one call: it gives
// exactly what
//
//	Markers(markers, peaks)
//	Watershed(ctx, dst, image, markers, mask, conn) // or WatershedNegated
//	n, err := FilterBySize(ctx, dst, opt.MinSize, opt.MaxSize)
//
// gives, without the marker image: the seeds go straight into the flood's
// buffers, and the flood counts each object's size and first voxel as it
// labels them, so that the filtered, renumbered labels are written in the
// one pass that copies them out. It returns the number of objects kept.
func WatershedSplit(ctx context.Context, dst *stack.Volume[uint32], image *stack.Volume[float32], peaks [][3]int, mask *stack.Volume[uint8], conn Connectivity, opt WatershedSplitOptions) (int, error) {
	if dst == nil || image == nil {
		return 0, errors.New("kernels: watershed: nil volume")
	}
	if err := checkWatershedArgs(dst, image, &stack.Volume[uint32]{Shape: image.Shape, Data: dst.Data}, mask); err != nil {
		return 0, err
	}
	if opt.MinSize < 0 || opt.MaxSize < 0 {
		return 0, fmt.Errorf("kernels: watershed: sizes %d and %d must not be negative", opt.MinSize, opt.MaxSize)
	}
	c, err := normConn(conn, image.Shape)
	if err != nil {
		return 0, fmt.Errorf("kernels: watershed: %w", err)
	}
	var m []uint8
	if mask != nil {
		m = mask.Data
	}
	ws := wsPool.Get().(*wsScratch)
	defer wsPool.Put(ws)
	return ws.flood(ctx, dst.Data, image.Data, wsSeeds{peaks: peaks, minSize: opt.MinSize, maxSize: opt.MaxSize, above: opt.MaskAbove, t: opt.Above}, m, image.Shape, c, opt.Negate)
}

// WatershedPlanes floods every plane of the volume on its own, as Watershed
// on each plane with conn 4 or 8 would (0 picks 4), on up to workers
// goroutines (0 or less: GOMAXPROCS). The result does not depend on workers.
// dst may be markers, as for Watershed.
func WatershedPlanes(ctx context.Context, dst *stack.Volume[uint32], image *stack.Volume[float32], markers *stack.Volume[uint32], mask *stack.Volume[uint8], conn Connectivity, workers int) error {
	if err := checkWatershedArgs(dst, image, markers, mask); err != nil {
		return err
	}
	plane := stack.Shape{Z: 1, Y: image.Shape.Y, X: image.Shape.X}
	c, err := normConn(conn, plane)
	if err != nil {
		return fmt.Errorf("kernels: watershed: %w", err)
	}
	w := workersFor(image.Shape.Len(), image.Shape.Z)
	if workers > 0 {
		w = min(w, workers)
	}
	scratch := make([]*wsScratch, w)
	for i := range scratch {
		scratch[i] = wsPool.Get().(*wsScratch)
	}
	defer func() {
		for _, ws := range scratch {
			wsPool.Put(ws)
		}
	}()
	n := plane.Len()
	return forEachItem(ctx, w, image.Shape.Z, func(worker, z int) error {
		var m []uint8
		if mask != nil {
			m = mask.Data[z*n : (z+1)*n]
		}
		_, err := scratch[worker].flood(ctx, dst.Data[z*n:(z+1)*n], image.Data[z*n:(z+1)*n], wsSeeds{markers: markers.Data[z*n : (z+1)*n], z0: z}, m, plane, c, false)
		return err
	})
}

func checkWatershedArgs(dst *stack.Volume[uint32], image *stack.Volume[float32], markers *stack.Volume[uint32], mask *stack.Volume[uint8]) error {
	if dst == nil || image == nil || markers == nil {
		return errors.New("kernels: watershed: nil volume")
	}
	s := image.Shape
	if err := s.Validate(); err != nil {
		return fmt.Errorf("kernels: watershed: %w", err)
	}
	if len(image.Data) != s.Len() {
		return fmt.Errorf("kernels: watershed: image holds %d elements, shape %v needs %d", len(image.Data), s, s.Len())
	}
	if markers.Shape != s || len(markers.Data) != s.Len() {
		return fmt.Errorf("kernels: watershed: markers shape %v (%d elements) does not match image %v", markers.Shape, len(markers.Data), s)
	}
	if dst.Shape != s || len(dst.Data) != s.Len() {
		return fmt.Errorf("kernels: watershed: destination shape %v (%d elements) does not match image %v", dst.Shape, len(dst.Data), s)
	}
	if mask != nil && (mask.Shape != s || len(mask.Data) != s.Len()) {
		return fmt.Errorf("kernels: watershed: mask shape %v (%d elements) does not match image %v", mask.Shape, len(mask.Data), s)
	}
	return nil
}

// wsItem is one queue entry: key holds the pixel's priority value as an
// ordered key (orderedKey) in its high 32 bits and its age in the low 32
// bits, so that comparing keys compares (value, age) as scikit-image does.
type wsItem struct {
	key uint64
	p   uint32
}

// wsPixel is one pixel of the padded image of a flood.
type wsPixel struct{ lab, key uint32 }

// wsPool keeps flood buffers between calls: a plane-by-plane caller then
// allocates them once.
var wsPool = sync.Pool{New: func() any { return new(wsScratch) }}

// wsScratch holds the buffers of one flood, kept for the next.
type wsScratch struct {
	// px holds the padded image: each pixel's label (wsBlocked outside
	// the image and the mask) beside its ordered key, so that the flood's
	// look at a neighbour fetches both in one cache line.
	px    []wsPixel
	heap  binHeap
	queue *keyQueue
	marks []wsItem
	vals  []uint32
	// tieVals lists in increasing order the values that several markers
	// share, and tieLeft how many markers of each are still to leave the
	// heap (countTies, tieAt).
	tieVals []uint32
	tieLeft []int
	lookAt  []int // lookahead's counts
	// The bits of the keys of the pixels that may be flooded.
	keyBits keyBits
	// rowMarks marks a row's markers (fillRow).
	rowMarks []uint64
	byAge    []uint32
	// The exact flood's state between calls of floodExact, the state kept
	// to go back to, and the key at which floodTracked met its contest.
	x         wsExact
	saved     wsSaved
	contestAt uint32
	// pf holds the byte offsets of the cache lines of a pixel's
	// neighbourhood (wsPrefetchOffsets): three in 2-D, nine in 3-D.
	pf []int
	// With peaks as seeds (sized): each label's pixel count and first
	// (lowest) padded index, counted as the flood labels them.
	sized       bool
	size, first []uint32
	order, lut  []uint32
}

// fillRow fills one padded row of a flood seeded by a marker image, with
// no threshold for a mask, as flood's general loop does, in one vector
// pass (simd.KeyPairs): it stores each pixel's label (wsBlocked outside
// the mask) and its ordered key (of -row[x] with neg), folds the keys
// inside the mask into kb, and appends the markers, at padded index p0 +
// x, to marks, finding them in bm, a bitmap of at least (len(row)+63)/64
// words. It reports false, with the row to be filled again by the general
// loop, when the row holds NaN or, inside the mask, the reserved label.
func fillRow(prow []wsPixel, row []float32, mrow []uint32, mk []uint8, neg bool, marks *[]wsItem, p0 uint32, kb *keyBits, bm []uint64) bool {
	if len(row) == 0 {
		return true
	}
	var flip uint32
	if neg {
		flip = 1 << 31
	}
	pairs := unsafe.Slice(&prow[0].lab, 2*len(row))
	or, and, bad := simd.KeyPairs(pairs, row, mrow, mk, flip, bm)
	if bad {
		return false
	}
	kb.or, kb.and = kb.or|or, kb.and&and
	for w, m := range bm[:(len(row)+63)/64] {
		for ; m != 0; m &= m - 1 {
			x := w<<6 + bits.TrailingZeros64(m)
			*marks = append(*marks, wsItem{key: uint64(prow[x].key) << 32, p: p0 + uint32(x)})
		}
	}
	return true
}

// keyBits holds the OR and the AND of a flood's keys.
type keyBits struct{ or, and uint32 }

// shift is how many low bits all the keys share, and those bits: every key
// the flood's queue is given is some pixel's, so the queue may drop them
// (keyQueue.setShift).
func (kb keyBits) shift() (sh, lo uint32) {
	sh = uint32(min(bits.TrailingZeros32(kb.or^kb.and), 31))
	return sh, kb.and & (1<<sh - 1)
}

// orderedKey maps a float32 to a uint32 whose unsigned order is the order of
// the values; -0 and +0 map to the same key, as they compare equal.
func orderedKey(v float32) uint32 { return simd.OrderedKey(math.Float32bits(v)) }

// wsOffsets gives the neighbour offsets in a padded buffer of row length xp
// and plane length pp, in scikit-image's order: the structure's pixels in
// raster order, stably sorted by their distance from the centre.
func wsOffsets(conn Connectivity, xp, pp int) []int {
	rank, c := 3, 1
	switch conn {
	case Conn4:
		rank, c = 2, 1
	case Conn8:
		rank, c = 2, 2
	case Conn18:
		c = 2
	case Conn26:
		c = 3
	}
	type off struct{ d, o int }
	var offs []off
	zr := 1
	if rank == 2 {
		zr = 0
	}
	for dz := -zr; dz <= zr; dz++ {
		for dy := -1; dy <= 1; dy++ {
			for dx := -1; dx <= 1; dx++ {
				d := dz*dz + dy*dy + dx*dx
				if d == 0 || d > c {
					continue
				}
				offs = append(offs, off{d, dz*pp + dy*xp + dx})
			}
		}
	}
	slices.SortStableFunc(offs, func(a, b off) int { return a.d - b.d })
	out := make([]int, len(offs))
	for i, o := range offs {
		out[i] = o.o
	}
	return out
}

// run floods one image of shape s (2-D when s.Z == 1) with a normalised
// connectivity, on -img when neg is set.
func (ws *wsScratch) run(ctx context.Context, dst []uint32, img []float32, markers []uint32, mask []uint8, s stack.Shape, conn Connectivity, neg bool) error {
	_, err := ws.flood(ctx, dst, img, wsSeeds{markers: markers}, mask, s, conn, neg)
	return err
}

// wsSeeds are the seeds of a flood: a marker image, or peaks, seed i+1
// at peaks[i] (the marker image Markers makes of them) with the flooded
// objects then filtered by size as FilterBySize does.
type wsSeeds struct {
	markers          []uint32
	peaks            [][3]int
	minSize, maxSize int
	above            bool // the mask is image > t
	t                float32
	// z0 is the index of the image's first plane in the caller's volume,
	// for the places that errors name (WatershedPlanes floods one plane).
	z0 int
}

// flood floods one image of shape s (2-D when s.Z == 1) with a normalised
// connectivity, on -img when neg is set, from seeds; with peaks it returns
// the number of objects kept by the size filter.
func (ws *wsScratch) flood(ctx context.Context, dst []uint32, img []float32, seeds wsSeeds, mask []uint8, s stack.Shape, conn Connectivity, neg bool) (int, error) {
	ws.sized = false
	planar := s.Z == 1
	xp, yp, zp := s.X+2, s.Y+2, s.Z+2
	if planar {
		zp = 1
	}
	pp := xp * yp
	total := pp * zp
	if uint64(total) >= math.MaxUint32-2 {
		return 0, fmt.Errorf("%w: %v has too many pixels (at most 2^32-3 with a one-pixel frame)", ErrWatershedInput, s)
	}
	offs := wsOffsets(conn, xp, pp)
	ws.pf = ws.pf[:0]
	ws.pf = wsPrefetchOffsets(ws.pf, xp, pp, planar)
	ws.px = grow(ws.px, total)
	if ws.queue == nil {
		ws.queue = new(keyQueue)
	}
	px := ws.px
	z0 := 0
	if !planar {
		z0 = 1
	}
	sized := seeds.markers == nil
	// fill writes the padded image (again, after a tracked flood that
	// met a contest) and lists the markers in ws.marks.
	fill := func() error {
		return ws.fill(img, seeds, mask, s, neg, xp, yp, zp, pp, z0)
	}
	if err := fill(); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	marks := ws.marks
	tied := ws.countTies()
	// Every key the queue is given is some pixel's: the low bits they
	// all share may go (setShift).
	ws.queue.setShift(ws.keyBits.shift())
	var err error
	if tied > 0 {
		// First flood with tied markers in raster order, watching for a
		// contest (floodTracked): without one, the labels are the ones
		// scikit-image's order gives.
		for _, it := range marks {
			v := uint32(it.key >> 32)
			tag := uint32(0)
			if _, ok := ws.tieAt(v); ok {
				tag = wsTagRoot
			}
			px[it.p].key = tag
			ws.queue.push(v, it.p)
		}
		err = ws.floodTracked(ctx, offs)
		if err == errWsContest {
			// Flood again, popping the markers in the order of
			// scikit-image's binary heap, step for step, until the ties
			// up to the contest's level, and the next wsTieLookahead tied
			// values above it (fewer where they hold many pixels:
			// lookahead), have left; go on with floodTracked. At a
			// further contest (from a tie above, so at a higher level),
			// flood again from the start, this time keeping the state
			// where the heap stops; at later contests go back to it and
			// run the heap further. After wsMaxContests the heap runs
			// until no tie is left; an image too large to keep a copy of
			// (wsSaveMaxPixels) runs it so from its second contest.
			wsContests.Add(1)
			// start fills the padded image again and puts the markers in
			// the heap, as scikit-image does.
			start := func() error {
				if err := fill(); err != nil {
					return err
				}
				tied := ws.countTies()
				ws.queue.reset()
				h := &ws.heap
				h.reset()
				for _, it := range ws.marks {
					h.push(it.key, it.p)
				}
				ws.x = wsExact{age: 1, tied: tied}
				return nil
			}
			if err := start(); err != nil {
				return 0, err
			}
			for tries := 1; ; tries++ {
				lim := ws.lookahead(ws.contestAt, img, mask, seeds, neg)
				upTo := &lim
				if tries >= wsMaxContests {
					upTo = nil
				}
				if err = ws.floodExact(ctx, offs, upTo); err != errWsUpTo {
					break
				}
				// Most floods meet no further contest: the state is kept
				// (a copy of the padded image) only from the second try.
				kept := tries > 1 && len(ws.px) <= wsSaveMaxPixels
				if kept {
					ws.save()
				}
				ws.handOver(true)
				if err = ws.floodTracked(ctx, offs); err != errWsContest {
					break
				}
				wsContests.Add(1)
				if kept {
					ws.restore()
					continue
				}
				// Nothing to go back to: flood again from the start.
				if err = start(); err != nil {
					return 0, err
				}
				if len(ws.px) > wsSaveMaxPixels {
					tries = wsMaxContests - 1
				}
			}
			if cap(ws.saved.px) > wsKeepSaved {
				// Do not hold a large copy in the pool between calls.
				ws.saved.px = nil
			}
		}
	} else {
		for _, it := range marks {
			ws.queue.push(uint32(it.key>>32), it.p)
		}
		err = ws.floodBuckets(ctx, offs)
	}
	if err != nil {
		return 0, err
	}
	if sized {
		return ws.copySized(dst, s, xp, pp, z0, seeds.minSize, seeds.maxSize), nil
	}
	ws.copyOut(dst, s, xp, pp, z0, nil)
	return 0, nil
}

// fill writes the padded image of a flood (its frame and the pixels
// outside the mask wsBlocked, every other pixel its ordered key and its
// marker's label or 0) and lists the markers in raster order in ws.marks;
// with peaks as seeds it places them (placePeaks).
func (ws *wsScratch) fill(img []float32, seeds wsSeeds, mask []uint8, s stack.Shape, neg bool, xp, yp, zp, pp, z0 int) error {
	px := ws.px
	if z0 == 1 {
		// The frame's planes.
		for i := range px[:pp] {
			px[i].lab = wsBlocked
		}
		copy(px[(zp-1)*pp:], px[:pp])
	}
	markers := seeds.markers
	sized := markers == nil
	// Fill the padded labels, collect the pixels that can be flooded with
	// their ordered values, and find the markers in raster order.
	ws.marks = ws.marks[:0]
	ws.keyBits = keyBits{0, math.MaxUint32}
	ws.rowMarks = grow(ws.rowMarks, (s.X+63)/64)
	for z := range s.Z {
		// The frame's rows of this plane, and its columns below.
		pz := (z + z0) * pp
		for i := range px[pz : pz+xp] {
			px[pz+i].lab = wsBlocked
		}
		copy(px[pz+(yp-1)*xp:pz+pp], px[pz:pz+xp])
		for y := range s.Y {
			src := (z*s.Y + y) * s.X
			p0 := pz + (y+1)*xp + 1
			px[p0-1].lab, px[p0+s.X].lab = wsBlocked, wsBlocked
			row := img[src : src+s.X]
			prow := px[p0 : p0+s.X]
			var mrow []uint32
			if !sized {
				mrow = markers[src : src+s.X]
			}
			var mk []uint8
			if mask != nil {
				mk = mask[src : src+s.X]
			}
			if !sized && !seeds.above && fillRow(prow, row, mrow, mk, neg, &ws.marks, uint32(p0), &ws.keyBits, ws.rowMarks) {
				continue
			}
			// The general loop: seeds from peaks, a threshold for a
			// mask, or a row that holds an error to report.
			above, t := seeds.above, seeds.t
			or, and := ws.keyBits.or, ws.keyBits.and
			for x, v := range row {
				if v != v {
					return fmt.Errorf("%w: the image holds NaN at (%d, %d, %d)", ErrWatershedInput, seeds.z0+z, y, x)
				}
				if (mk != nil && mk[x] == 0) || (above && !(v > t)) {
					prow[x].lab = wsBlocked
					continue
				}
				if neg {
					v = -v
				}
				k := orderedKey(v)
				or |= k
				and &= k
				if sized {
					prow[x] = wsPixel{0, k}
					continue
				}
				l := mrow[x]
				if l == wsBlocked {
					return fmt.Errorf("%w: marker label %d is reserved", ErrWatershedInput, l)
				}
				prow[x] = wsPixel{l, k}
				if l != 0 {
					ws.marks = append(ws.marks, wsItem{key: uint64(k) << 32, p: uint32(p0 + x)})
				}
			}
			ws.keyBits = keyBits{or, and}
		}
	}
	if sized {
		return ws.placePeaks(seeds.peaks, s, xp, pp, z0)
	}
	return nil
}

// placePeaks seeds the padded labels with i+1 at peaks[i] (the later of
// two at one place wins, as in Markers; those outside the mask are
// dropped) and lists them in raster order in ws.marks.
func (ws *wsScratch) placePeaks(peaks [][3]int, s stack.Shape, xp, pp, z0 int) error {
	if uint64(len(peaks)) >= math.MaxUint32 {
		return fmt.Errorf("%w: %d seeds do not fit uint32 labels", ErrWatershedInput, len(peaks))
	}
	px := ws.px
	at := ws.marks[:0]
	for i, c := range peaks {
		if c[0] < 0 || c[1] < 0 || c[2] < 0 || c[0] >= s.Z || c[1] >= s.Y || c[2] >= s.X {
			return fmt.Errorf("%w: seed %d at %v lies outside %v", ErrWatershedInput, i, c, s)
		}
		p := (c[0]+z0)*pp + (c[1]+1)*xp + c[2] + 1
		if px[p].lab == wsBlocked {
			continue
		}
		// key holds the seed's number until the pixels are sorted.
		at = append(at, wsItem{key: uint64(i + 1), p: uint32(p)})
	}
	slices.SortStableFunc(at, func(a, b wsItem) int { return cmp.Compare(a.p, b.p) })
	out := at[:0]
	for i, it := range at {
		if i+1 < len(at) && at[i+1].p == it.p {
			continue // a later seed at the same place
		}
		px[it.p].lab = uint32(it.key)
		out = append(out, wsItem{key: uint64(px[it.p].key) << 32, p: it.p})
	}
	ws.marks = out
	n := len(peaks) + 1
	ws.size = grow(ws.size, n)
	ws.first = grow(ws.first, n)
	clear(ws.size)
	for i := range ws.first {
		ws.first[i] = math.MaxUint32
	}
	for _, it := range out {
		l := px[it.p].lab
		ws.size[l]++
		ws.first[l] = it.p
	}
	ws.sized = true
	return nil
}

// copySized writes the flooded labels to dst filtered by size and numbered
// 1..n in raster order of their first pixel (FilterBySize's result), from
// the sizes and first pixels the flood counted, and returns n.
func (ws *wsScratch) copySized(dst []uint32, s stack.Shape, xp, pp, z0, minSize, maxSize int) int {
	ws.sized = false
	// Kept labels by first pixel.
	order := ws.order[:0]
	for l := 1; l < len(ws.size); l++ {
		n := int(ws.size[l])
		if n > 0 && n >= minSize && (maxSize == 0 || n <= maxSize) {
			order = append(order, uint32(l))
		}
	}
	first := ws.first
	slices.SortFunc(order, func(a, b uint32) int { return cmp.Compare(first[a], first[b]) })
	ws.order = order
	lut := ws.lut[:0]
	lut = append(lut, make([]uint32, len(ws.size))...)
	for i, l := range order {
		lut[l] = uint32(i + 1)
	}
	ws.lut = lut
	ws.copyOut(dst, s, xp, pp, z0, lut)
	return len(order)
}

// copyOut copies the labels out of the padded buffer into dst, through
// lut when it is not nil; pixels never flooded are 0.
func (ws *wsScratch) copyOut(dst []uint32, s stack.Shape, xp, pp, z0 int, lut []uint32) {
	px := ws.px
	for z := range s.Z {
		for y := range s.Y {
			d := (z*s.Y + y) * s.X
			p0 := (z+z0)*pp + (y+1)*xp + 1
			out := dst[d : d+s.X]
			row := px[p0 : p0+s.X]
			if lut == nil {
				for x, c := range row {
					l := c.lab
					if l == wsBlocked {
						l = 0
					}
					out[x] = l
				}
				continue
			}
			for x, c := range row {
				if c.lab == wsBlocked {
					out[x] = 0
					continue
				}
				out[x] = lut[c.lab]
			}
		}
	}
}

// wsCheckEvery is how many pops pass between two looks at the context.
const wsCheckEvery = 1 << 16

// floodExact runs scikit-image's binary heap, from the state in ws.heap,
// ws.tieLeft and ws.x, while markers of equal value remain in it, then hands
// the rest to floodBuckets. With upTo (track), it stops instead, returning
// errWsUpTo with the heap as it is, as soon as no tie of value at most
// *upTo is left: the caller may then go on with floodTracked.
func (ws *wsScratch) floodExact(ctx context.Context, offs []int, upTo *uint32) error {
	px := ws.px
	h := &ws.heap
	x := &ws.x
	pf := ws.pf
	sized := ws.sized
	// The values up to *upTo that several markers still share.
	low := 0
	if upTo != nil {
		for i, v := range ws.tieVals {
			if ws.tieLeft[i] > 1 && v <= *upTo {
				low++
			}
		}
		if low == 0 {
			return errWsUpTo
		}
	}
	for n := 0; h.len() > 0; n++ {
		if n%wsCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		key, p := h.pop()
		if len(pf) > 0 && h.n > 0 {
			// The next pop is the new root unless this voxel pushes a
			// smaller key.
			simd.PrefetchOffsets(unsafe.Pointer(&px[h.pix[1]]), pf)
		}
		v := uint32(key >> 32)
		x.cur = v
		if uint32(key) == 0 {
			if i, ok := ws.tieAt(v); ok {
				if ws.tieLeft[i] == 2 {
					x.tied--
					if upTo != nil && v <= *upTo {
						low--
					}
				}
				ws.tieLeft[i]--
			}
		}
		l := px[p].lab
		for _, o := range offs {
			q := uint32(int(p) + o)
			c := &px[q]
			if c.lab != 0 {
				continue
			}
			x.age++
			kv := max(c.key, v)
			// Labelled, the pixel's key is not needed again: its tag for
			// a tracked flood after this one is 0 (handOver).
			*c = wsPixel{l, 0}
			if sized {
				ws.size[l]++
				if q < ws.first[l] {
					ws.first[l] = q
				}
			}
			h.push(uint64(kv)<<32|uint64(x.age), q)
		}
		if x.tied == 0 {
			ws.handOver(false)
			return ws.floodBuckets(ctx, offs)
		}
		if upTo != nil && low == 0 {
			return errWsUpTo
		}
	}
	return nil
}

// handOver moves the heap's entries to the bucket queue. Once every key
// left is distinct (or, with track, once every tie left is between markers
// that floodTracked is to watch), any exact priority queue pops them in
// the same order: they go to the bucket queue in order of age (the markers
// left, of age 0, first), which keeps each bucket, one value, in order of
// age. The ages are distinct and below ws.x.age: placing each entry at its
// age orders them without a sort. With track, the pixels of the entries
// left get their tags for floodTracked: 0 (they descend from no tie it
// watches; their keys are no longer needed), the root tag for the tied
// markers.
func (ws *wsScratch) handOver(track bool) {
	h := &ws.heap
	q := ws.queue
	q.reset()
	q.start(ws.x.cur)
	byAge := grow(ws.byAge, int(ws.x.age)+1)
	ws.byAge = byAge
	clear(byAge)
	keys, pix := h.keys, h.pix
	for i := 1; i <= h.n; i++ {
		a := uint32(keys[i])
		if a == 0 {
			q.push(uint32(keys[i]>>32), pix[i])
		} else {
			byAge[a] = uint32(i)
		}
		if track && a == 0 {
			// A marker: every other entry's pixel got the tag 0 when it
			// was labelled (floodExact).
			t := uint32(0)
			if j, ok := ws.tieAt(uint32(keys[i] >> 32)); ok && ws.tieLeft[j] > 1 {
				t = wsTagRoot
			}
			ws.px[pix[i]].key = t
		}
	}
	for _, i := range byAge {
		if i != 0 {
			q.push(uint32(keys[i]>>32), pix[i])
		}
	}
	h.reset()
}

// wsExact is the state of an exact flood between calls of floodExact.
type wsExact struct {
	age  uint32 // the last age given
	tied int    // values that several markers waiting in the heap share
	cur  uint32 // the value last popped
}

// wsSaved is a flood's state kept where floodExact stopped (save), to go
// back to (restore) when the tracked flood after it meets a contest.
type wsSaved struct {
	px          []wsPixel
	keys        []uint64
	pix         []uint32
	n           int
	tieLeft     []int
	size, first []uint32
}

func (ws *wsScratch) save() {
	sv := &ws.saved
	sv.px = append(sv.px[:0], ws.px...)
	h := &ws.heap
	sv.keys = append(sv.keys[:0], h.keys[:h.n+2]...)
	sv.pix = append(sv.pix[:0], h.pix[:h.n+2]...)
	sv.n = h.n
	sv.tieLeft = append(sv.tieLeft[:0], ws.tieLeft...)
	if ws.sized {
		sv.size = append(sv.size[:0], ws.size...)
		sv.first = append(sv.first[:0], ws.first...)
	}
}

func (ws *wsScratch) restore() {
	sv := &ws.saved
	copy(ws.px, sv.px)
	h := &ws.heap
	h.keys = append(h.keys[:0], sv.keys...)
	h.pix = append(h.pix[:0], sv.pix...)
	h.n = sv.n
	// ws.x is as save found it: floodTracked and handOver read it only.
	copy(ws.tieLeft, sv.tieLeft)
	if ws.sized {
		copy(ws.size, sv.size)
		copy(ws.first, sv.first)
	}
}

// floodBuckets floods with the key queue. Ages need no storing there:
// entries of one value leave first in, first out, and they enter in order
// of age.
func (ws *wsScratch) floodBuckets(ctx context.Context, offs []int) error {
	return ws.floodQueue(ctx, offs, false)
}

// floodQueue is floodBuckets, or floodTracked with track.
func (ws *wsScratch) floodQueue(ctx context.Context, offs []int, track bool) error {
	px := ws.px
	q := ws.queue
	sized, size, first := ws.sized, ws.size, ws.first
	pf := ws.pf
	planar := len(pf) == 3
	o26, unrolled := unrolledOffsets(offs, sized)
	for n := 0; q.n > 0; n++ {
		if n%wsCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		// q.pop, its common case written out: the next entry of the
		// current list, not its last.
		var p, cur uint32
		if f := q.cf & (1<<10 - 1); q.pos[f]+1 < len(q.fine[f]) {
			i := q.pos[f]
			p, cur = q.fine[f][i], q.key
			q.pos[f] = i + 1
			q.n--
		} else {
			p, cur = q.pop()
		}
		if planar {
			// wsPlaneAhead pops ahead in this key's list (see
			// wsPrefetchOffsets).
			if np, ok := q.peekNear(wsPlaneAhead); ok {
				simd.PrefetchOffsets(unsafe.Pointer(&px[np]), pf)
			}
		} else if np, ok := q.peekAt(1); ok {
			// The voxel after next: the next one's lines would come too
			// late to save much.
			simd.PrefetchOffsets(unsafe.Pointer(&px[np]), pf)
		}
		l := px[p].lab
		var w uint32 // with track: the window's tag
		if track {
			w = wsMix(px[p].key, cur)
		}
		if unrolled && w == 0 {
			// Connectivity 8 or 26, no sizes, no window to watch: the
			// visits written out (see unrolledOffsets). The pixels it
			// labels get the tag 0, no window (a flood that does not
			// track never reads a labelled pixel's key).
			visit := func(o int) {
				nb := uint32(int(p) + o)
				if c := &px[nb]; c.lab == 0 {
					k := max(c.key, cur)
					*c = wsPixel{l, 0}
					q.push(k, nb)
				}
			}
			visit(o26[0])
			visit(o26[1])
			visit(o26[2])
			visit(o26[3])
			visit(o26[4])
			visit(o26[5])
			visit(o26[6])
			visit(o26[7])
			if len(offs) == 26 {
				visit(o26[8])
				visit(o26[9])
				visit(o26[10])
				visit(o26[11])
				visit(o26[12])
				visit(o26[13])
				visit(o26[14])
				visit(o26[15])
				visit(o26[16])
				visit(o26[17])
				visit(o26[18])
				visit(o26[19])
				visit(o26[20])
				visit(o26[21])
				visit(o26[22])
				visit(o26[23])
				visit(o26[24])
				visit(o26[25])
			}
			continue
		}
		for _, o := range offs {
			nb := uint32(int(p) + o)
			c := &px[nb]
			if c.lab != 0 {
				// w is 0 but in a tracked flood's windows (most of its
				// pops), so the test costs those pops one branch taken
				// the same way every time.
				if w != 0 && c.key == w && c.lab != l && c.lab != wsBlocked {
					ws.contestAt = cur
					return errWsContest
				}
				continue
			}
			// The pixel's tag: its window's, 0 without one or without
			// tracking (a flood that does not track never reads a
			// labelled pixel's key).
			k := max(c.key, cur)
			*c = wsPixel{l, w}
			if sized {
				size[l]++
				first[l] = min(first[l], nb)
			}
			q.push(k, nb)
		}
	}
	return nil
}

// countTies lists in ws.tieVals the values that several of the markers in
// ws.marks share, and in ws.tieLeft how many share each, and returns the
// number of such values.
func (ws *wsScratch) countTies() int {
	ws.vals = ws.vals[:0]
	for _, it := range ws.marks {
		ws.vals = append(ws.vals, uint32(it.key>>32))
	}
	vals := ws.vals
	slices.Sort(vals)
	ws.tieVals, ws.tieLeft = ws.tieVals[:0], ws.tieLeft[:0]
	for i := 0; i < len(vals); {
		j := i + 1
		for j < len(vals) && vals[j] == vals[i] {
			j++
		}
		if j-i > 1 {
			ws.tieVals = append(ws.tieVals, vals[i])
			ws.tieLeft = append(ws.tieLeft, j-i)
		}
		i = j
	}
	return len(ws.tieVals)
}

// tieAt is the index of v in ws.tieVals, if several markers share v.
func (ws *wsScratch) tieAt(v uint32) (int, bool) {
	return slices.BinarySearch(ws.tieVals, v)
}

// errWsContest ends a tracked flood (floodTracked) whose result could
// depend on the order of tied markers.
var errWsContest = errors.New("kernels: watershed: tied markers contest a pixel")

// errWsUpTo stops floodExact where the ties it was asked to run the heap
// through have left.
var errWsUpTo = errors.New("kernels: watershed: the ties up to the level asked have left the heap")

// wsMaxContests bounds the contests a flood goes back for: at the last,
// its heap runs until no tie is left. Where contests keep coming, going
// back only adds tracked floods thrown away to the heap that runs at the
// end anyway (BenchmarkWatershedContests, 32768 seeds). With the heap run
// through wsTieLookahead tied values past each contest, five cover the
// runs of contests met on the benchmarks' stacks. A variable for
// benchmarks.
var wsMaxContests = 5

// wsSaveMaxPixels is the largest padded image whose state a flood keeps to
// go back to (save doubles the flood's memory); a larger one, at its
// second contest, floods again from the start with the heap until no tie
// is left. A variable for tests.
var wsSaveMaxPixels = 1 << 28

// wsKeepSaved is the largest copy of a padded image (in pixels) that a
// pooled flood keeps for the next call.
const wsKeepSaved = 1 << 22

// wsContests counts the floods whose tracked run met a contest and were
// flooded again in the exact heap's order (for tests).
var wsContests atomic.Int64

// wsTieLookahead is how many tied values above a contest's level the heap
// also runs through before the flood is handed back to floodTracked.
// Contests come in runs over neighbouring tied values (on the uint8 rows
// of BenchmarkWatershed: 122, 124 and 125 in 2-D, 123, 124 and 125 in
// 3-D), and each one found costs a tracked flood thrown away, while the
// heap over a tied value that does not contest costs only its extra over
// the tracked flood (lookahead bounds it where one value holds many
// pixels). A variable for tests and benchmarks.
var wsTieLookahead = 3

// wsTagRoot is the tag of a marker whose value other markers share.
const wsTagRoot = 0x2545f491

// wsMix is the tag of the window of an entry that leaves the queue with
// key k, from the tag t its pixel was given when it entered (the window
// of the entry that reached it, or wsTagRoot for a tied marker): 0 for 0
// (an entry that descends from no tied marker), else a hash of both that
// is never 0. Equal windows give equal tags; unequal windows give equal
// tags only by a collision of the hash, which costs a needless second
// flood and never a wrong label.
func wsMix(t, k uint32) uint32 {
	if t == 0 {
		return 0
	}
	h := (t ^ k) * 0x9e3779b1
	h ^= h >> 15
	h *= 0x85ebca77
	h ^= h >> 13
	return h | 1
}

// floodTracked floods with the key queue although markers of equal value
// remain in it, in raster order among themselves, and gives exactly
// scikit-image's labels unless it returns errWsContest.
//
// Why this holds. Markers of one value v all enter with age 0 and leave
// one after another once the flood reaches v (every later entry is at
// least (v, 1)); only their order within that block depends on the binary
// heap. Call the block a window, and, recursively, the entries that the
// pops of one window push at one key another window: a window's entries
// enter one after another with no other entry of their key in between, so
// they leave one after another too, and entries of different windows keep
// the same order whatever the block's order. Changing the block's order
// only permutes, inside each of its descendant windows, the parts that
// descend from different markers. That changes a label only if two entries
// of one window with different labels both reach one free pixel: the first
// of them to leave labels it. So the flood records on every pixel it
// labels the tag of the labelling entry's window (wsMix; the pixel's key
// is no longer needed once it is labelled, and holds the tag), and when
// an entry finds a neighbour already labelled otherwise by an entry of its
// own window, it stops with errWsContest. Without such a contest every
// order of every block gives these labels, scikit-image's among them.
func (ws *wsScratch) floodTracked(ctx context.Context, offs []int) error {
	return ws.floodQueue(ctx, offs, true)
}

// wsPrefetchOffsets appends to out the byte offsets, from a voxel, of the
// nine rows of its 3-D neighbourhood (the three of a pixel's in 2-D), each
// at the row's centre (the row's other two voxels lie in that cache line
// or the one beside it): the lines a pop of that voxel reads.
//
// A flood's neighbourhoods lie scattered over an image far larger than the
// core's caches (a level's pixels lie all over it), and the next pixels to
// pop are often known ahead (the heap's new root, the bucket queue's next
// entries), so their lines are asked for while the current pixel's
// neighbours are visited. In 3-D the bucket queue looks at the entry after
// next, wherever it lies. In 2-D it looks only within the list of the
// current key, wsPlaneAhead entries ahead, a look that costs nothing when
// the list is shorter. Looking through the next lists instead (peekAt)
// cost more than it saved on images with few equal values, whose lists
// hold about one entry each; on an image of integer values, whose levels
// are long lists, the look within the list took 13% off the flood
// (BenchmarkWatershed, uint8 1024²).
func wsPrefetchOffsets(out []int, xp, pp int, planar bool) []int {
	sz := int(unsafe.Sizeof(wsPixel{}))
	zr := 1
	if planar {
		zr = 0
	}
	for dz := -zr; dz <= zr; dz++ {
		for dy := -1; dy <= 1; dy++ {
			out = append(out, (dz*pp+dy*xp)*sz)
		}
	}
	return out
}

// wsPlaneAhead is how many entries ahead in the current key's list a 2-D
// flood asks for the lines of a pixel's neighbourhood.
const wsPlaneAhead = 8

func grow[T any](b []T, n int) []T {
	if cap(b) < n {
		return make([]T, n)
	}
	return b[:n]
}

// unrolledOffsets copies the offsets of a neighbourhood of 8 or 26 into an
// array, for a flood that counts no sizes to visit them in calls written
// out one by one, and says whether it may. Written out, the visits skip the
// loop's own work, and each call site keeps its own branch history for
// whether its neighbour is free, where a loop shares one between all of
// them: 10-20% of a 3-D flood's time on BenchmarkWatershed.
func unrolledOffsets(offs []int, sized bool) (o [26]int, ok bool) {
	copy(o[:], offs)
	return o, !sized && (len(offs) == 8 || len(offs) == 26)
}

// lookahead is the tied value up to which the heap runs after a contest
// at v: the wsTieLookahead-th tied value above v (or the last of them), or
// an earlier one where the pixels at the tied values past v would add up
// to more than wsLookaheadBudget times the pixels at values up to v, both
// counted, inside the flood's mask, on a sample of at most 2^16 of the
// image's pixels (all of a smaller image's).
//
// Contests come in runs over neighbouring tied values (wsTieLookahead),
// but the heap over a tied value costs about twice what the queue does for
// each of its pixels, and where the image's values crowd into a few levels
// one such value holds as many pixels as all the levels below the contest:
// on the uint8 64×256² row of BenchmarkWatershed, the values 124, 125 and
// 126 past a contest at 123 hold 0.74, 1.15 and 1.44 times the pixels up
// to 123 (1.89 times together for the first two, 3.33 for all three), and
// its contests end at 125. Stopping before 126 took its flood from 439 to
// 359 ms (medians of five alternated runs). The 2-D row's three look-ahead
// values hold 0.6 times the pixels below its contest together and keep
// their heap, and the contest stacks of BenchmarkWatershedContests meet
// the same contests in the same time.
func (ws *wsScratch) lookahead(v uint32, img []float32, mask []uint8, seeds wsSeeds, neg bool) uint32 {
	j, _ := slices.BinarySearch(ws.tieVals, v+1)
	next := ws.tieVals[j:min(j+wsTieLookahead, len(ws.tieVals))]
	if len(next) == 0 {
		return v
	}
	at := grow(ws.lookAt, len(next))
	clear(at)
	ws.lookAt = at
	last := next[len(next)-1]
	below := 0
	for i := 0; i < len(img); i += max(1, len(img)>>16) {
		x := img[i]
		if (mask != nil && mask[i] == 0) || (seeds.above && !(x > seeds.t)) {
			continue
		}
		if neg {
			x = -x
		}
		if k := orderedKey(x); k <= v {
			below++
		} else if k <= last {
			if t, ok := slices.BinarySearch(next, k); ok {
				at[t]++
			}
		}
	}
	lim, sum := v, 0
	for t, w := range next {
		if sum += at[t]; float64(sum) > wsLookaheadBudget*float64(below) {
			break
		}
		lim = w
	}
	return lim
}

// wsLookaheadBudget bounds the pixels at the tied values the heap runs
// through past a contest, as a multiple of those at values up to the
// contest's (lookahead). A variable for tests.
var wsLookaheadBudget = 2.5
