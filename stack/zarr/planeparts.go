package zarr

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
)

// Chunks more than one plane deep that span whole planes and are
// Blosc-encoded are written by WritePlaneNow without gathering their
// planes: Blosc cuts a chunk into blocks that are encoded one by one, and
// when every block lies within one plane, each plane's blocks can be
// encoded as soon as the plane comes, straight from the caller's buffer.
// A chunk is written, its header and block offsets before the encoded
// planes, once the last of its planes is in. Only the encoded planes of
// incomplete chunks are held, and planes may come in any order.

// planeParts is the part of a PlaneWriter that does this.
type planeParts struct {
	codec   *bloscCodec
	layout  bloscLayout
	full    int // planes in a whole chunk
	pending map[int]*partChunk
	bufs    sync.Pool
	// fill is a plane of fill values encoded, for the planes of an edge
	// chunk past the array's end.
	fillOnce   sync.Once
	fill       []byte
	fillStarts []int
	fillErr    error
}

type partChunk struct {
	parts  [][]byte
	starts [][]int
	bufs   []*[]byte
	need   int
	have   int
	// data is whether any plane holds other values than the fill value.
	data bool
}

// newPlaneParts returns the plane-at-a-time encoder of p's chunks, or nil
// when they are one plane deep or cannot be encoded so.
func newPlaneParts(p *PlaneWriter) *planeParts {
	m := p.w.meta
	nd := len(m.shape)
	full := product(p.leadChunks)
	if full <= 1 || p.w.joined || len(m.codecs) != 1 || !isNative(m.byteOrder) ||
		m.chunks[nd-2] != m.shape[nd-2] || m.chunks[nd-1] != m.shape[nd-1] {
		return nil
	}
	b, ok := m.codecs[0].(*bloscCodec)
	if !ok {
		return nil
	}
	l, ok := b.partLayout(m.chunkBytes(), p.PlaneBytes())
	if !ok {
		return nil
	}
	return &planeParts{codec: b, layout: l, full: full, pending: map[int]*partChunk{}}
}

// writePart encodes plane z (at index local of its layer key, whose
// planes are need of a whole chunk's) and writes the chunk when it is the
// last one in.
func (p *PlaneWriter) writePart(ctx context.Context, z int, plane []byte, key, local, need int, idx []int) error {
	pp := p.parts
	buf, _ := pp.bufs.Get().(*[]byte)
	if buf == nil {
		b := make([]byte, 0, len(plane)+len(plane)/8+4096)
		buf = &b
	}
	enc, starts, err := pp.codec.encodePart((*buf)[:0], plane, pp.layout, nil)
	if err != nil {
		pp.bufs.Put(buf)
		p.fail(err)
		return fmt.Errorf("zarr: plane %d: %w", z, err)
	}
	*buf = enc[:0]
	data := !allFill(plane, p.w.meta.fill)

	p.mu.Lock()
	c := pp.pending[key]
	if c == nil {
		c = &partChunk{parts: make([][]byte, pp.full), starts: make([][]int, pp.full), bufs: make([]*[]byte, pp.full), need: need}
		pp.pending[key] = c
	}
	c.parts[local], c.starts[local], c.bufs[local] = enc, starts, buf
	c.have++
	c.data = c.data || data
	complete := c.have == c.need
	if complete {
		delete(pp.pending, key)
	}
	p.mu.Unlock()
	if !complete {
		return nil
	}
	err = p.writeParts(ctx, c, idx)
	for _, b := range c.bufs {
		if b != nil {
			pp.bufs.Put(b)
		}
	}
	if err != nil {
		p.fail(err)
	}
	return err
}

// writeParts writes a chunk whose planes are all encoded.
func (p *PlaneWriter) writeParts(ctx context.Context, c *partChunk, lead []int) error {
	w, pp := p.w, p.parts
	if err := ctx.Err(); err != nil {
		return err
	}
	idx := append(append([]int(nil), lead...), 0, 0)
	if !c.data && !w.fillChunk {
		return nil // a chunk of fill values is left out (see WriteChunk)
	}
	for i := range c.parts {
		if c.parts[i] == nil { // past the array's end: fill values
			pp.fillOnce.Do(func() {
				f := make([]byte, p.PlaneBytes())
				fillBytes(f, w.meta.fill)
				pp.fill, pp.fillStarts, pp.fillErr = pp.codec.encodePart(nil, f, pp.layout, nil)
			})
			if pp.fillErr != nil {
				return fmt.Errorf("zarr: chunk %v: %w", idx, pp.fillErr)
			}
			c.parts[i], c.starts[i] = pp.fill, pp.fillStarts
		}
	}
	head := bloscPartsHeader(pp.layout, w.meta.chunkBytes(), c.parts, c.starts)
	p.w.mu.Lock()
	done := p.w.done
	p.w.mu.Unlock()
	if done {
		return fmt.Errorf("zarr: %s: chunk written after Commit", w.path)
	}
	path := filepath.Join(w.path, filepath.FromSlash(w.meta.chunkKey(idx)))
	if err := w.ensureDir(filepath.Dir(path)); err != nil {
		return err
	}
	bufs := append([][]byte{head}, c.parts...)
	if err := writeFileParts(path, bufs, w.durable, w.staged); err != nil {
		return fmt.Errorf("zarr: chunk %v: %w", idx, err)
	}
	return nil
}

// writeFileParts writes the concatenation of bufs to path, in place in a
// staged store, else through a temporary file (see writeFileAtomic).
func writeFileParts(path string, bufs [][]byte, durable, staged bool) error {
	if staged && !durable {
		if err := writeWholeParts(path, bufs); !errors.Is(err, errNoRawWrite) {
			return err
		}
	}
	n := 0
	for _, b := range bufs {
		n += len(b)
	}
	all := make([]byte, 0, n)
	for _, b := range bufs {
		all = append(all, b...)
	}
	if staged {
		return writeFileDirect(path, all, durable)
	}
	return writeFileAtomic(path, all, durable)
}
