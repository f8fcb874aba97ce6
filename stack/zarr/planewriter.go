package zarr

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/segstack/segstack/stack"
)

// PlaneWriter streams the planes of an array (see Planes for their
// numbering) into a Writer. Planes are gathered into layers, the planes
// that share a row of chunks along the leading dimensions; when a layer
// is complete its chunks are encoded and written by a pool of goroutines
// while the next layer fills. Memory is bounded by a few layers: planes
// may come in any order as long as no more layers than that are
// incomplete at once, which writing them in order guarantees.
type PlaneWriter struct {
	w          *Writer
	ctx        context.Context
	lead       []int // extents of the leading dimensions
	leadChunks []int
	leadGrid   []int
	shape      stack.Shape
	elem       int
	maxLayers  int
	// partial is set for a writer of some of the planes only (a shared
	// image): Close then does not ask for every plane.
	partial bool
	// parts encodes chunks of several whole planes a plane at a time in
	// WritePlaneNow (see planeparts.go); nil where chunks are one plane
	// deep or cannot be encoded so.
	parts *planeParts
	// viaParts and viaLayers record which way planes came: a chunk's
	// planes must all come one way.
	viaParts, viaLayers bool

	mu      sync.Mutex
	cond    *sync.Cond
	open    map[int]*layer // layers still filling
	held    int            // layers holding memory: filling or being written
	written []bool
	err     error
	closed  bool

	tasks    chan chunkTask
	workers  sync.WaitGroup
	flushers sync.WaitGroup
	bufs     sync.Pool
	scratch  sync.Pool
}

type layer struct {
	idx     []int // chunk index along the leading dimensions
	ext     []int // extent along the leading dimensions
	buf     []byte
	need    int
	have    int
	pending atomic.Int32 // chunks not yet written
}

type chunkTask struct {
	l      *layer
	cy, cx int
	// store, when set, is a chunk encoded already, for the goroutine to
	// store (see writePlaneNow); l is then nil.
	store *encodedChunk
}

// encodedChunk is a chunk encoded into a buffer of the Writer's, to be
// stored in the file at path.
type encodedChunk struct {
	path string
	enc  []byte
	ebuf *[]byte
}

// NewPlaneWriter returns a PlaneWriter onto w, whose array must have at
// least two dimensions, with the given number of encoding goroutines (0
// means GOMAXPROCS). ctx bounds the whole write. Close must be called.
func NewPlaneWriter(ctx context.Context, w *Writer, workers int) (*PlaneWriter, error) {
	m := w.meta
	nd := len(m.shape)
	if nd < 2 {
		return nil, fmt.Errorf("zarr: %s: a %d-dimensional array has no planes", w.path, nd)
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	sh := stack.Shape{Z: product(m.shape[:nd-2]), Y: m.shape[nd-2], X: m.shape[nd-1]}
	if err := sh.Validate(); err != nil {
		return nil, fmt.Errorf("zarr: %s: %w", w.path, err)
	}
	g := m.gridShape()
	perLayer := g[nd-2] * g[nd-1]
	p := &PlaneWriter{
		w: w, ctx: ctx, lead: m.shape[:nd-2], leadChunks: m.chunks[:nd-2], leadGrid: g[:nd-2],
		shape: sh, elem: m.dtype.Size(),
		maxLayers: max(2, (workers+perLayer-1)/perLayer+1),
		open:      map[int]*layer{},
		written:   make([]bool, sh.Z),
		tasks:     make(chan chunkTask, workers),
	}
	p.cond = sync.NewCond(&p.mu)
	p.parts = newPlaneParts(p)
	for range workers {
		p.workers.Add(1)
		go p.work()
	}
	return p, nil
}

// Shape is the stack of planes the array holds.
func (p *PlaneWriter) Shape() stack.Shape { return p.shape }

// PlaneBytes is the size of one plane.
func (p *PlaneWriter) PlaneBytes() int { return p.shape.PlaneLen() * p.elem }

// WritePlane copies plane z (PlaneBytes bytes of the array's element type
// in the machine's byte order) into its layer, and starts writing the
// layer's chunks once it is complete. It may block while earlier layers
// are written. It may be called from several goroutines at once.
func (p *PlaneWriter) WritePlane(ctx context.Context, z int, plane []byte) error {
	if z < 0 || z >= p.shape.Z {
		return fmt.Errorf("zarr: plane %d out of range [0, %d)", z, p.shape.Z)
	}
	if len(plane) != p.PlaneBytes() {
		return fmt.Errorf("zarr: plane holds %d bytes, want %d", len(plane), p.PlaneBytes())
	}
	key, local, idx, ext := p.locate(z)

	p.mu.Lock()
	if err := p.stateErr(); err != nil {
		p.mu.Unlock()
		return err
	}
	if p.written[z] {
		p.mu.Unlock()
		return fmt.Errorf("zarr: plane %d written twice", z)
	}
	if p.viaParts {
		p.mu.Unlock()
		return fmt.Errorf("zarr: plane %d: WritePlane after WritePlaneNow on chunks of several planes", z)
	}
	p.viaLayers = true
	l := p.open[key]
	for l == nil {
		if p.held < p.maxLayers {
			l = &layer{idx: idx, ext: ext, need: product(ext)}
			l.buf = p.getLayerBuf(l.need * p.PlaneBytes())
			p.open[key] = l
			p.held++
			break
		}
		if len(p.open) >= p.maxLayers {
			p.mu.Unlock()
			return fmt.Errorf("zarr: plane %d would start a layer while %d are incomplete; write planes in order", z, len(p.open))
		}
		if err := ctx.Err(); err != nil {
			p.mu.Unlock()
			return err
		}
		p.cond.Wait()
		if err := p.stateErr(); err != nil {
			p.mu.Unlock()
			return err
		}
		l = p.open[key]
	}
	p.written[z] = true
	p.mu.Unlock()

	copy(l.buf[local*p.PlaneBytes():], plane)

	p.mu.Lock()
	l.have++
	complete := l.have == l.need
	if complete {
		delete(p.open, key)
		p.flushers.Add(1)
	}
	p.mu.Unlock()
	if complete {
		go p.flush(l)
	}
	return nil
}

// locate finds plane z's layer: its key among the layers, the plane's
// position inside it, and the layer's chunk index and extent along the
// leading dimensions.
func (p *PlaneWriter) locate(z int) (key, local int, idx, ext []int) {
	nl := len(p.lead)
	pos := make([]int, nl)
	for i, r := nl-1, z; i >= 0; i-- {
		pos[i] = r % p.lead[i]
		r /= p.lead[i]
	}
	idx = make([]int, nl)
	ext = make([]int, nl)
	for i := range pos {
		idx[i] = pos[i] / p.leadChunks[i]
		ext[i] = min(p.leadChunks[i], p.lead[i]-idx[i]*p.leadChunks[i])
		key = key*p.leadGrid[i] + idx[i]
		local = local*ext[i] + pos[i] - idx[i]*p.leadChunks[i]
	}
	return key, local, idx, ext
}

// WritePlaneNow writes plane z as WritePlane does, except that a plane
// which is a layer on its own (chunks one plane deep along the leading
// dimensions) is encoded and written before WritePlaneNow returns, in the
// calling goroutine, straight from plane: no copy is made and plane may
// be reused at once. Calls from several goroutines encode in parallel.
// The planes of Blosc chunks that span whole planes and are several
// planes deep are encoded the same way, and each chunk is written by the
// call that brings its last plane (see planeparts.go); the planes of such
// an array may then come in any order, but all through WritePlaneNow.
// Other planes go through WritePlane.
func (p *PlaneWriter) WritePlaneNow(ctx context.Context, z int, plane []byte) error {
	return p.writePlaneNow(ctx, z, plane, nil, false)
}

// writePlaneNow is WritePlaneNow that also adds the range of plane, uint16
// elements in the machine's order, to r when r is not nil: while the
// plane's chunk is encoded where the plane is one chunk (Writer.writeChunk),
// else in a pass of its own. With storeLater, a plane that is one chunk
// is encoded in the calling goroutine and its file written by the
// PlaneWriter's goroutines, so that a caller with other work in order
// (segment's writer) does not wait for the file system.
func (p *PlaneWriter) writePlaneNow(ctx context.Context, z int, plane []byte, r *u16Range, storeLater bool) error {
	if z < 0 || z >= p.shape.Z {
		return fmt.Errorf("zarr: plane %d out of range [0, %d)", z, p.shape.Z)
	}
	if len(plane) != p.PlaneBytes() {
		return fmt.Errorf("zarr: plane holds %d bytes, want %d", len(plane), p.PlaneBytes())
	}
	key, _, idx, ext := p.locate(z)
	if !p.planeIsChunk() {
		r.addBytes(plane)
	}
	if product(ext) != 1 && p.parts == nil {
		return p.WritePlane(ctx, z, plane)
	}
	p.mu.Lock()
	if err := p.stateErr(); err != nil {
		p.mu.Unlock()
		return err
	}
	if p.written[z] {
		p.mu.Unlock()
		return fmt.Errorf("zarr: plane %d written twice", z)
	}
	if p.parts != nil {
		if p.viaLayers {
			p.mu.Unlock()
			return fmt.Errorf("zarr: plane %d: WritePlaneNow after WritePlane on chunks of several planes", z)
		}
		p.viaParts = true
	}
	p.written[z] = true
	p.mu.Unlock()
	if p.parts != nil {
		return p.writePart(ctx, z, plane, key, p.chunkLocal(z, idx), product(ext), idx)
	}
	if p.planeIsChunk() {
		if err := ctx.Err(); err != nil {
			return err
		}
		var handOff func(path string, enc []byte, ebuf *[]byte)
		if storeLater {
			handOff = p.storeLater
		}
		if err := p.w.writeChunk(p.ctx, append(idx, 0, 0), plane, r, handOff); err != nil {
			p.fail(err)
			return err
		}
		return nil
	}
	l := &layer{idx: idx, ext: ext, buf: plane, need: 1, have: 1}
	g := p.w.meta.gridShape()
	for cy := 0; cy < g[len(g)-2]; cy++ {
		for cx := 0; cx < g[len(g)-1]; cx++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := p.writeChunk(chunkTask{l: l, cy: cy, cx: cx}); err != nil {
				p.fail(err)
				return err
			}
		}
	}
	return nil
}

// storeLater queues an encoded chunk for the goroutines to store, unless
// the PlaneWriter is closed or failed (the chunk is then dropped: the
// write fails anyway).
func (p *PlaneWriter) storeLater(path string, enc []byte, ebuf *[]byte) {
	p.mu.Lock()
	if p.stateErr() != nil {
		p.mu.Unlock()
		p.w.putEncBuf(ebuf)
		return
	}
	p.flushers.Add(1) // Close waits for the send before closing tasks
	p.mu.Unlock()
	defer p.flushers.Done()
	p.tasks <- chunkTask{store: &encodedChunk{path: path, enc: enc, ebuf: ebuf}}
}

// chunkLocal is the index of plane z among the planes of its whole chunk
// (in C order of the leading dimensions), whose chunk index is idx.
func (p *PlaneWriter) chunkLocal(z int, idx []int) int {
	nl := len(p.lead)
	local := 0
	stride := 1
	for i, r := nl-1, z; i >= 0; i-- {
		pos := r % p.lead[i]
		r /= p.lead[i]
		local += (pos - idx[i]*p.leadChunks[i]) * stride
		stride *= p.leadChunks[i]
	}
	return local
}

// WritesWhole reports whether WritePlaneNow takes every plane without
// keeping it: chunks one plane deep, or encoded a plane at a time.
func (p *PlaneWriter) WritesWhole() bool {
	return product(p.leadChunks) == 1 || p.parts != nil
}

// planeIsChunk reports whether every plane is one chunk of its own.
func (p *PlaneWriter) planeIsChunk() bool {
	g := p.w.meta.gridShape()
	return product(p.leadChunks) == 1 && g[len(g)-2]*g[len(g)-1] == 1
}

// EncodesByPlane reports whether the array's chunks are several planes
// deep and WritePlaneNow encodes them a plane at a time: Blosc chunks that
// span whole planes, with blocks that do not straddle planes.
func (p *PlaneWriter) EncodesByPlane() bool { return p.parts != nil }

// WritePlaneOf writes plane z from a slice of the array's element type.
func WritePlaneOf[T stack.Elem](ctx context.Context, p *PlaneWriter, z int, plane []T) error {
	if dt := FromStack(stack.DTypeOf[T]()); dt != p.w.meta.dtype {
		return fmt.Errorf("zarr: array holds %v, plane is %v", p.w.meta.dtype, dt)
	}
	return p.WritePlane(ctx, z, asBytes(plane))
}

// stateErr is the error that stops further writes. p.mu must be held.
func (p *PlaneWriter) stateErr() error {
	if p.err != nil {
		return p.err
	}
	if p.closed {
		return errors.New("zarr: PlaneWriter is closed")
	}
	return p.ctx.Err()
}

func (p *PlaneWriter) getLayerBuf(n int) []byte {
	if b, ok := p.bufs.Get().(*[]byte); ok && cap(*b) >= n {
		return (*b)[:n]
	}
	return make([]byte, n)
}

// flush queues the chunks of a complete layer.
func (p *PlaneWriter) flush(l *layer) {
	defer p.flushers.Done()
	g := p.w.meta.gridShape()
	gy, gx := g[len(g)-2], g[len(g)-1]
	l.pending.Store(int32(gy * gx))
	for cy := 0; cy < gy; cy++ {
		for cx := 0; cx < gx; cx++ {
			p.tasks <- chunkTask{l: l, cy: cy, cx: cx}
		}
	}
}

func (p *PlaneWriter) work() {
	defer p.workers.Done()
	for t := range p.tasks {
		p.mu.Lock()
		failed := p.err != nil
		p.mu.Unlock()
		if c := t.store; c != nil {
			if !failed {
				if err := p.w.storeChunk(c.path, c.enc); err != nil {
					p.fail(fmt.Errorf("zarr: %w", err))
				}
			}
			p.w.putEncBuf(c.ebuf)
			continue
		}
		if !failed {
			if err := p.writeChunk(t); err != nil {
				p.fail(err)
			}
		}
		if t.l.pending.Add(-1) == 0 {
			b := t.l.buf
			t.l.buf = nil
			p.bufs.Put(&b)
			p.mu.Lock()
			p.held--
			p.cond.Broadcast()
			p.mu.Unlock()
		}
	}
}

func (p *PlaneWriter) fail(err error) {
	p.mu.Lock()
	if p.err == nil {
		p.err = err
	}
	p.cond.Broadcast()
	p.mu.Unlock()
}

// writeChunk extracts one chunk of a layer and writes it.
func (p *PlaneWriter) writeChunk(t chunkTask) error {
	m := p.w.meta
	nd := len(m.shape)
	cy, cx := m.chunks[nd-2], m.chunks[nd-1]
	idx := append(append([]int(nil), t.l.idx...), t.cy, t.cx)
	ext := chunkExtent(m, idx)
	if ext[nd-2] == p.shape.Y && ext[nd-1] == p.shape.X {
		return p.w.WriteChunk(p.ctx, idx, t.l.buf) // the layer is one chunk
	}
	layerShape := append(append([]int(nil), t.l.ext...), p.shape.Y, p.shape.X)
	at := make([]int, nd)
	at[nd-2], at[nd-1] = t.cy*cy, t.cx*cx
	n := product(ext) * p.elem
	var sb *[]byte
	if b, ok := p.scratch.Get().(*[]byte); ok && cap(*b) >= n {
		sb = b
	} else {
		b := make([]byte, m.chunkBytes())
		sb = &b
	}
	defer p.scratch.Put(sb)
	data := (*sb)[:n]
	copyBox(data, ext, make([]int, nd), t.l.buf, layerShape, at, ext, p.elem)
	return p.w.WriteChunk(p.ctx, idx, data)
}

// Close waits until every complete layer is written and stops the
// goroutines. It reports the first error of any write, and an error when
// planes are missing. It does not commit the Writer.
func (p *PlaneWriter) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return p.err
	}
	p.closed = true
	p.mu.Unlock()
	p.flushers.Wait()
	close(p.tasks)
	p.workers.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	missing := 0
	first := -1
	if p.partial {
		return p.ctx.Err()
	}
	for z, ok := range p.written {
		if !ok {
			missing++
			if first < 0 {
				first = z
			}
		}
	}
	if missing > 0 {
		p.err = fmt.Errorf("zarr: %s: %d of %d planes were not written (the first is %d)", p.w.path, missing, p.shape.Z, first)
		return p.err
	}
	return p.ctx.Err()
}
