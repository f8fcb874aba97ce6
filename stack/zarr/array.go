package zarr

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// Option configures Open.
type Option func(*options)

type options struct {
	maxChunk   int64
	cacheBytes int64
}

func defaultOptions() options {
	return options{maxChunk: 1 << 30, cacheBytes: -1}
}

// WithMaxChunkBytes refuses arrays whose decoded chunks are larger than n
// bytes (default 1 GiB) with a LimitError, so that a damaged or hostile
// array cannot make the reader allocate without bound.
func WithMaxChunkBytes(n int64) Option { return func(o *options) { o.maxChunk = n } }

// WithCacheBytes bounds the memory of decoded chunks kept for reads that
// use only part of a chunk, such as reading plane by plane an array whose
// chunks span several planes. The default keeps one layer of chunks (the
// chunks one plane crosses) and at least 64 MiB, at most 1 GiB; 0
// disables the cache.
func WithCacheBytes(n int64) Option { return func(o *options) { o.cacheBytes = n } }

// Array is an open Zarr v2 or v3 array. Nothing but its metadata is read by
// Open: chunks are read and decoded on demand, so an Array serves any
// region of a large array in bounded memory. Its methods may be called from
// several goroutines at once.
type Array struct {
	path  string
	meta  *arrayMeta
	opts  options
	cache *chunkCache
	bufs  sync.Pool // *[]byte of chunkBytes, for decoding
}

// Open opens the Zarr array in directory path: a v3 array when the
// directory holds zarr.json, a v2 array when it holds .zarray.
func Open(path string, opts ...Option) (*Array, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	m, err := readArrayMeta(path, o.maxChunk)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	a := &Array{path: path, meta: m, opts: o}
	a.cache = newChunkCache(a.cacheLimit())
	return a, nil
}

// readArrayMeta reads and parses the metadata of the array in dir.
func readArrayMeta(dir string, maxChunk int64) (*arrayMeta, error) {
	doc, err := os.ReadFile(filepath.Join(dir, v3File))
	if err == nil {
		return parseV3(doc, maxChunk)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	doc, err = os.ReadFile(filepath.Join(dir, v2ArrayFile))
	if errors.Is(err, fs.ErrNotExist) {
		if _, gerr := os.Stat(filepath.Join(dir, v2GroupFile)); gerr == nil {
			return nil, formatErrorf("a Zarr group, not an array")
		}
		if _, perr := os.Stat(filepath.Join(dir, pendingFile)); perr == nil {
			return nil, formatErrorf("an array still being written (no metadata yet)")
		}
		return nil, formatErrorf("not a Zarr array: neither %s nor %s found", v3File, v2ArrayFile)
	}
	if err != nil {
		return nil, err
	}
	attrs, err := os.ReadFile(filepath.Join(dir, v2AttrsFile))
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		attrs = nil
	}
	return parseV2(doc, attrs, maxChunk)
}

// Path is the directory given to Open.
func (a *Array) Path() string { return a.path }

// ZarrFormat is 2 or 3.
func (a *Array) ZarrFormat() int { return a.meta.version }

// Shape is the array's extent along each dimension.
func (a *Array) Shape() []int { return append([]int(nil), a.meta.shape...) }

// Chunks is the chunk shape.
func (a *Array) Chunks() []int { return append([]int(nil), a.meta.chunks...) }

// Grid is the number of chunks along each dimension.
func (a *Array) Grid() []int { return a.meta.gridShape() }

// DType is the element type.
func (a *Array) DType() DType { return a.meta.dtype }

// ByteOrder is the byte order of the stored elements. Data read from the
// array is always in the machine's byte order.
func (a *Array) ByteOrder() binary.ByteOrder { return a.meta.byteOrder }

// FortranOrder reports whether chunks are stored with their dimensions
// reversed (v2 order "F", or a v3 transpose codec that reverses them);
// see Transposed for any other permutation.
func (a *Array) FortranOrder() bool {
	p := a.meta.perm
	if p == nil {
		return false
	}
	for k, d := range p {
		if d != len(p)-1-k {
			return false
		}
	}
	return true
}

// Transposed reports whether chunks are stored in an order other than C.
func (a *Array) Transposed() bool { return a.meta.perm != nil }

// FillValue is the value of elements in chunks that were never written.
func (a *Array) FillValue() float64 { return a.meta.fillValue }

// Codec describes the chunks' compression.
func (a *Array) Codec() Codec { return a.meta.codec() }

// DimensionNames are the v3 dimension names (nil when absent or v2).
func (a *Array) DimensionNames() []string { return append([]string(nil), a.meta.dimNames...) }

// ChunkBytes is the decoded size of one whole chunk.
func (a *Array) ChunkBytes() int { return a.meta.chunkBytes() }

// Attributes decodes the array's user attributes (.zattrs in v2, the
// attributes of zarr.json in v3) into v. Without attributes v is left
// unchanged.
func (a *Array) Attributes(v any) error {
	if a.meta.attrs == nil {
		return nil
	}
	if err := json.Unmarshal(a.meta.attrs, v); err != nil {
		return fmt.Errorf("%s: attributes: %w", a.path, err)
	}
	return nil
}

// chunkPath is the file holding chunk idx.
func (a *Array) chunkPath(idx []int) string {
	return filepath.Join(a.path, filepath.FromSlash(a.meta.chunkKey(idx)))
}

func (a *Array) checkChunkIndex(idx []int) error {
	g := a.meta.gridShape()
	if len(idx) != len(g) {
		return fmt.Errorf("zarr: chunk index %v has %d dimensions, the array %d", idx, len(idx), len(g))
	}
	for i, v := range idx {
		if v < 0 || v >= g[i] {
			return fmt.Errorf("zarr: chunk index %v outside the grid %v", idx, g)
		}
	}
	return nil
}

// ReadChunk decodes chunk idx (its index in the chunk grid) into dst,
// which must hold ChunkBytes bytes: the whole chunk in C order and in the
// machine's byte order, including the part of an edge chunk that lies
// outside the array. A chunk that was never written reads as the fill
// value, and ReadChunk then reports found = false.
func (a *Array) ReadChunk(ctx context.Context, idx []int, dst []byte) (found bool, err error) {
	if err := a.checkChunkIndex(idx); err != nil {
		return false, err
	}
	if len(dst) != a.meta.chunkBytes() {
		return false, fmt.Errorf("zarr: destination holds %d bytes, a chunk needs %d", len(dst), a.meta.chunkBytes())
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	return a.loadChunk(idx, dst)
}

// loadChunk reads and decodes chunk idx into dst.
func (a *Array) loadChunk(idx []int, dst []byte) (bool, error) {
	p := a.chunkPath(idx)
	raw, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		fillBytes(dst, a.meta.fill)
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := a.decodeChunk(raw, dst); err != nil {
		return true, fmt.Errorf("%s: %w", p, err)
	}
	return true, nil
}

// decodeChunk turns the stored bytes of a chunk into its C-order, native
// byte order elements in dst.
func (a *Array) decodeChunk(raw, dst []byte) error {
	m := a.meta
	n := len(dst)
	var scratch *[]byte
	if m.perm != nil {
		scratch = a.getBuf()
		defer a.bufs.Put(scratch)
	}
	// The array-to-bytes stage's output goes to dst unless a transpose
	// follows.
	target := dst
	if scratch != nil {
		target = *scratch
	}
	data := raw
	for i := len(m.codecs) - 1; i >= 0; i-- {
		want, buf := -1, []byte(nil)
		if i == 0 {
			want, buf = n, target[:0]
		}
		out, err := m.codecs[i].decode(data, want, int(a.opts.maxChunk), buf)
		if err != nil {
			return err
		}
		data = out
	}
	if len(data) != n {
		return formatErrorf("chunk holds %d bytes, want %d", len(data), n)
	}
	if len(data) > 0 && &data[0] != &target[0] {
		copy(target, data)
	}
	if !isNative(m.byteOrder) {
		swapBytes(target, m.dtype.Size())
	}
	if m.perm != nil {
		untranspose(dst, target, m.chunks, m.perm, m.dtype.Size())
	}
	return nil
}

func (a *Array) getBuf() *[]byte {
	if b, ok := a.bufs.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, a.meta.chunkBytes())
	return &b
}

// Read copies the region of the given shape starting at origin into dst
// (C order, machine byte order; len(dst) must be the region's element
// count times the element size). Chunks are decoded as needed; those only
// partly used are kept in the cache for the next read.
func (a *Array) Read(ctx context.Context, origin, shape []int, dst []byte) error {
	m := a.meta
	nd := len(m.shape)
	if len(origin) != nd || len(shape) != nd {
		return fmt.Errorf("zarr: region of %d and %d dimensions for an array of %d", len(origin), len(shape), nd)
	}
	for i := range origin {
		if origin[i] < 0 || shape[i] < 0 || origin[i] > m.shape[i]-shape[i] {
			return fmt.Errorf("zarr: region %v+%v outside the array's shape %v", origin, shape, m.shape)
		}
	}
	elem := m.dtype.Size()
	if len(dst) != product(shape)*elem {
		return fmt.Errorf("zarr: destination holds %d bytes, the region needs %d", len(dst), product(shape)*elem)
	}
	if product(shape) == 0 {
		return nil
	}
	first := make([]int, nd)
	last := make([]int, nd)
	for i := range origin {
		first[i] = origin[i] / m.chunks[i]
		last[i] = (origin[i] + shape[i] - 1) / m.chunks[i]
	}
	idx := append([]int(nil), first...)
	cOrigin := make([]int, nd)
	srcAt := make([]int, nd)
	dstAt := make([]int, nd)
	size := make([]int, nd)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		whole := true // the region covers every valid element of the chunk
		for i := range idx {
			cOrigin[i] = idx[i] * m.chunks[i]
			lo := max(origin[i], cOrigin[i])
			hi := min(origin[i]+shape[i], cOrigin[i]+m.chunks[i])
			srcAt[i] = lo - cOrigin[i]
			dstAt[i] = lo - origin[i]
			size[i] = hi - lo
			if size[i] != min(m.chunks[i], m.shape[i]-cOrigin[i]) {
				whole = false
			}
		}
		if whole && equalInts(size, m.chunks) && equalInts(size, shape) {
			// The region is exactly this chunk: decode in place.
			if _, err := a.loadChunk(idx, dst); err != nil {
				return err
			}
		} else {
			chunk, release, err := a.chunkData(idx, !whole)
			if err != nil {
				return err
			}
			copyBox(dst, shape, dstAt, chunk, m.chunks, srcAt, size, elem)
			release()
		}
		k := nd - 1
		for ; k >= 0; k-- {
			idx[k]++
			if idx[k] <= last[k] {
				break
			}
			idx[k] = first[k]
		}
		if k < 0 {
			return nil
		}
	}
}

// chunkData returns the decoded chunk idx, from the cache when cache is
// set; release must be called when the data is no longer used.
func (a *Array) chunkData(idx []int, cache bool) ([]byte, func(), error) {
	if cache && a.cache != nil {
		key := 0
		g := a.meta.gridShape()
		for i, v := range idx {
			key = key*g[i] + v
		}
		data, err := a.cache.get(key, func() ([]byte, error) {
			b := make([]byte, a.meta.chunkBytes())
			_, err := a.loadChunk(idx, b)
			return b, err
		})
		return data, func() {}, err
	}
	b := a.getBuf()
	if _, err := a.loadChunk(idx, *b); err != nil {
		a.bufs.Put(b)
		return nil, nil, err
	}
	return *b, func() { a.bufs.Put(b) }, nil
}

// cacheLimit is the default cache budget: one layer of chunks across the
// last two dimensions and one chunk more, at least 64 MiB and at most
// 1 GiB.
func (a *Array) cacheLimit() int64 {
	if a.opts.cacheBytes >= 0 {
		return a.opts.cacheBytes
	}
	const lo, hi = 64 << 20, 1 << 30
	m := a.meta
	layer := int64(m.chunkBytes())
	g := m.gridShape()
	for i := max(len(g)-2, 0); i < len(g) && layer <= hi; i++ {
		layer *= int64(max(g[i], 1))
	}
	return min(max(layer+int64(m.chunkBytes()), lo), hi)
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
