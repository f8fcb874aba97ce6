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

	"github.com/segstack/segstack/internal/outfile"
)

// pendingFile marks an array whose chunks are being written: it holds the
// metadata the array will have, so that other writers (OpenWriter) can
// join, and it is removed by Commit once the real metadata is in place.
// Zarr readers ignore it, and without metadata they see no array.
const pendingFile = ".segstack-pending.json"

// ArrayOptions describe an array to create.
type ArrayOptions struct {
	// ZarrFormat is 2 (the default) or 3.
	ZarrFormat int
	// Shape is the extent along each dimension; Chunks the chunk shape,
	// of the same length. A chunk extent larger than the array's is
	// clipped to it.
	Shape, Chunks []int
	// DType is the element type.
	DType DType
	// Codec compresses the chunks (none when zero).
	Codec Codec
	// FillValue is the value of elements of chunks never written.
	FillValue float64
	// BigEndian stores elements big-endian (little-endian by default).
	BigEndian bool
	// Attributes are stored with the array (.zattrs in v2, the zarr.json
	// attributes in v3); they must marshal to a JSON object.
	Attributes any
	// DimensionNames name the dimensions in v3 metadata.
	DimensionNames []string
	// Durable syncs every chunk and the metadata to the disk before it is
	// renamed into place, so that a committed array survives a power
	// failure, not only the death of the writing process.
	Durable bool
	// Staged says that the array is written inside a directory that no
	// reader looks at until it is renamed into place whole (a temporary
	// store, or a label image that CreateLabels moves into place): a
	// chunk is then written straight under its name, without a temporary
	// file and a rename of its own, since a chunk cut short by a killed
	// process is never seen and goes with the staging directory.
	Staged bool
	// WriteFillChunks writes chunks whose every element is the fill
	// value; by default they are left out, which the Zarr specification
	// allows (a missing chunk reads as the fill value).
	WriteFillChunks bool
}

// Writer writes the chunks of a new array. Chunks may be written in any
// order and from several goroutines at once; each is written to a
// temporary file and renamed, so a chunk file is always whole. The
// metadata is written by Commit, last: until then Zarr readers see no
// array, and a writer killed midway leaves no array that looks complete.
type Writer struct {
	path    string
	root    string // path, cleaned: where chunk directories start
	meta    *arrayMeta
	durable bool
	staged  bool
	// joined is whether the writer joined an array that others write
	// (OpenWriter): a chunk there may exist already, so a chunk of fill
	// values removes the file instead of leaving it out.
	joined    bool
	fillChunk bool     // write chunks of fill values too
	dirs      sync.Map // directories known to exist
	bufs      sync.Pool
	encBufs   sync.Pool
	mu        sync.Mutex
	done      bool
}

type pendingDoc struct {
	ZarrFormat int             `json:"zarr_format"`
	Metadata   json.RawMessage `json:"metadata"`
	Attributes json.RawMessage `json:"attributes,omitempty"`
	Durable    bool            `json:"durable,omitempty"`
	FillChunks bool            `json:"fill_chunks,omitempty"`
}

// Create starts writing a new array in directory path. If path holds an
// array already (committed or not), that array is removed first, metadata
// first, so a reader never sees the old metadata with new chunks; any
// other non-empty directory is refused.
func Create(path string, o ArrayOptions) (*Writer, error) {
	m, err := newMeta(o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := clearArrayDir(path); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(path, 0o755); err != nil {
		return nil, fmt.Errorf("zarr: %w", err)
	}
	w := &Writer{path: path, root: filepath.Clean(path), meta: m, durable: o.Durable, staged: o.Staged, fillChunk: o.WriteFillChunks}
	doc, err := json.Marshal(w.metaDoc())
	if err != nil {
		return nil, fmt.Errorf("zarr: %w", err)
	}
	p, err := marshalDoc(pendingDoc{ZarrFormat: m.version, Metadata: doc, Attributes: m.attrs, Durable: o.Durable, FillChunks: o.WriteFillChunks})
	if err != nil {
		return nil, err
	}
	if err := writeFileAtomic(filepath.Join(path, pendingFile), p, o.Durable); err != nil {
		return nil, fmt.Errorf("zarr: %w", err)
	}
	return w, nil
}

// OpenWriter joins the writing of an array that Create started and that
// is not committed yet, for example from another process writing other
// chunks of it.
func OpenWriter(path string) (*Writer, error) {
	b, err := os.ReadFile(filepath.Join(path, pendingFile))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", path, formatErrorf("no array is being written here"))
		}
		return nil, fmt.Errorf("zarr: %w", err)
	}
	var p pendingDoc
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%s: %w", path, formatErrorf("%s: %v", pendingFile, err))
	}
	var m *arrayMeta
	switch p.ZarrFormat {
	case 2:
		m, err = parseV2(p.Metadata, nil, 0)
	case 3:
		m, err = parseV3(p.Metadata, 0)
	default:
		err = formatErrorf("%s: zarr_format %d", pendingFile, p.ZarrFormat)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(p.Attributes) > 0 && string(p.Attributes) != "null" {
		m.attrs = p.Attributes
	}
	for i, bc := range m.codecs { // parsed codecs lack the element size
		if b, ok := bc.(*bloscCodec); ok {
			cp := *b
			cp.typesize = m.dtype.Size()
			m.codecs[i] = &cp
		}
	}
	return &Writer{path: path, root: filepath.Clean(path), meta: m, durable: p.Durable, joined: true, fillChunk: p.FillChunks}, nil
}

// newMeta validates o and builds the array's metadata.
func newMeta(o ArrayOptions) (*arrayMeta, error) {
	if o.ZarrFormat == 0 {
		o.ZarrFormat = 2
	}
	if o.ZarrFormat != 2 && o.ZarrFormat != 3 {
		return nil, unsupportedf("Zarr format %d (2 and 3 are written)", o.ZarrFormat)
	}
	if !o.DType.valid() {
		return nil, fmt.Errorf("zarr: invalid data type %v", o.DType)
	}
	if len(o.Chunks) != len(o.Shape) {
		return nil, fmt.Errorf("zarr: chunks %v do not match shape %v", o.Chunks, o.Shape)
	}
	chunks := make([]int, len(o.Chunks))
	for i, c := range o.Chunks {
		chunks[i] = c
		if c > o.Shape[i] && o.Shape[i] > 0 {
			chunks[i] = o.Shape[i]
		}
	}
	if err := checkLayout(o.Shape, chunks, o.DType, 0); err != nil {
		return nil, err
	}
	if !fitsDType(o.FillValue, o.DType) {
		return nil, fmt.Errorf("zarr: fill value %v does not fit %v", o.FillValue, o.DType)
	}
	if err := o.Codec.check(o.ZarrFormat); err != nil {
		return nil, err
	}
	m := &arrayMeta{version: o.ZarrFormat, shape: append([]int(nil), o.Shape...), chunks: chunks,
		dtype: o.DType, byteOrder: binary.LittleEndian, sep: "/", v3Keys: o.ZarrFormat == 3}
	if o.BigEndian {
		m.byteOrder = binary.BigEndian
	}
	m.setFill(o.FillValue)
	if bc := newBytesCodec(o.Codec, o.DType.Size()); bc != nil {
		m.codecs = []bytesCodec{bc}
	}
	if o.Attributes != nil {
		a, err := json.Marshal(o.Attributes)
		if err != nil {
			return nil, fmt.Errorf("zarr: attributes: %w", err)
		}
		if err := checkObject("attributes", a); err != nil {
			return nil, err
		}
		m.attrs = a
	}
	if len(o.DimensionNames) > 0 {
		if len(o.DimensionNames) != len(o.Shape) {
			return nil, fmt.Errorf("zarr: %d dimension names for %d dimensions", len(o.DimensionNames), len(o.Shape))
		}
		m.dimNames = append([]string(nil), o.DimensionNames...)
	}
	return m, nil
}

// clearArrayDir removes the array in dir, if there is one. The directory
// is first renamed to a temporary name beside it, so that the old array
// disappears at once: a writer killed at any point leaves either the old
// array, or nothing but a temporary that removeTemporaries recognises.
func clearArrayDir(dir string) error {
	parent, base := filepath.Split(filepath.Clean(dir))
	if err := removeTemporaries(parent, "."+base+tmpMarker); err != nil {
		return fmt.Errorf("zarr: %w", err)
	}
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("zarr: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("zarr: %s exists and is not a directory", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("zarr: %w", err)
	}
	if len(entries) == 0 {
		return nil
	}
	// A writer killed between creating the directory and renaming its
	// pending mark into place leaves only temporaries: that is an array
	// being created, not someone else's directory.
	onlyTemporaries := true
	for _, e := range entries {
		if !isTemporary(e.Name()) {
			onlyTemporaries = false
			break
		}
	}
	if onlyTemporaries {
		return removeDir(dir)
	}
	isArray := false
	if b, err := os.ReadFile(filepath.Join(dir, v3File)); err == nil {
		n, perr := parseV3Node(b)
		isArray = perr == nil && n.NodeType == "array"
	}
	for _, f := range []string{v2ArrayFile, pendingFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			isArray = true
		}
	}
	if !isArray {
		return fmt.Errorf("zarr: %s exists and is not a Zarr array; remove it first", dir)
	}
	return removeDir(dir)
}

// removeDir renames dir to a temporary name and removes it.
func removeDir(dir string) error {
	parent, base := filepath.Split(filepath.Clean(dir))
	tmp := outfile.TempName(filepath.Join(parent, base))
	if err := os.Rename(dir, tmp); err != nil {
		return fmt.Errorf("zarr: %w", err)
	}
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("zarr: %w", err)
	}
	return nil
}

// Path is the array's directory.
func (w *Writer) Path() string { return w.path }

// Shape is the array's extent.
func (w *Writer) Shape() []int { return append([]int(nil), w.meta.shape...) }

// Chunks is the chunk shape (clipped to the shape).
func (w *Writer) Chunks() []int { return append([]int(nil), w.meta.chunks...) }

// Grid is the number of chunks along each dimension.
func (w *Writer) Grid() []int { return w.meta.gridShape() }

// DType is the element type.
func (w *Writer) DType() DType { return w.meta.dtype }

// ChunkExtent is the shape of the part of chunk idx inside the array:
// the chunk shape, clipped at the array's far edges.
func (w *Writer) ChunkExtent(idx []int) []int {
	return chunkExtent(w.meta, idx)
}

func chunkExtent(m *arrayMeta, idx []int) []int {
	e := make([]int, len(idx))
	for i, v := range idx {
		e[i] = min(m.chunks[i], m.shape[i]-v*m.chunks[i])
	}
	return e
}

// WriteChunk encodes and stores chunk idx (its index in the chunk grid).
// data holds the chunk's part inside the array (see ChunkExtent) in C
// order and the machine's byte order; an edge chunk is padded with the
// fill value. WriteChunk does not modify data.
func (w *Writer) WriteChunk(ctx context.Context, idx []int, data []byte) error {
	return w.writeChunk(ctx, idx, data, nil, nil)
}

// writeChunk is WriteChunk that also adds the range of data, uint16
// elements in the machine's order, to r when r is not nil: while a Blosc
// codec shuffles it where that is the chunk's only codec, else in a pass
// of its own. Where handOff is not nil and the chunk is encoded into a
// buffer of the Writer's, writeChunk hands the file's path, the encoded
// chunk and its buffer to handOff instead of storing it: handOff stores it
// (storeChunk) and gives the buffer back (putEncBuf), later and elsewhere
// if it likes.
func (w *Writer) writeChunk(ctx context.Context, idx []int, data []byte, r *u16Range, handOff func(path string, enc []byte, ebuf *[]byte)) error {
	m := w.meta
	g := m.gridShape()
	if len(idx) != len(g) {
		return fmt.Errorf("zarr: chunk index %v has %d dimensions, the array %d", idx, len(idx), len(g))
	}
	for i, v := range idx {
		if v < 0 || v >= g[i] {
			return fmt.Errorf("zarr: chunk index %v outside the grid %v", idx, g)
		}
	}
	ext := chunkExtent(m, idx)
	elem := m.dtype.Size()
	if len(data) != product(ext)*elem {
		return fmt.Errorf("zarr: chunk %v needs %d bytes, got %d", idx, product(ext)*elem, len(data))
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	w.mu.Lock()
	done := w.done
	w.mu.Unlock()
	if done {
		return fmt.Errorf("zarr: %s: chunk written after Commit", w.path)
	}
	p := filepath.Join(w.path, filepath.FromSlash(m.chunkKey(idx)))
	if !w.fillChunk && allFill(data, m.fill) {
		r.addBytes(data)
		if w.joined {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("zarr: chunk %v: %w", idx, err)
			}
		}
		return nil
	}
	full := data
	var buf *[]byte
	if !equalInts(ext, m.chunks) || !isNative(m.byteOrder) {
		buf = w.getBuf()
		defer w.bufs.Put(buf)
		full = *buf
		if equalInts(ext, m.chunks) {
			copy(full, data)
		} else {
			fillBytes(full, m.fill)
			copyBox(full, m.chunks, make([]int, len(ext)), data, ext, make([]int, len(ext)), ext, elem)
		}
		if !isNative(m.byteOrder) {
			swapBytes(full, elem)
		}
	}
	var bc *bloscCodec
	fused := false
	if r != nil && len(m.codecs) == 1 && buf == nil {
		bc, fused = m.codecs[0].(*bloscCodec)
	}
	if !fused {
		r.addBytes(data)
	}
	enc := full
	var ebuf *[]byte
	if len(m.codecs) > 0 {
		ebuf = w.getEncBuf()
		for _, c := range m.codecs {
			var out []byte
			var err error
			if fused {
				out, err = bc.encodeRange((*ebuf)[:0], enc, r)
			} else {
				out, err = c.encode((*ebuf)[:0], enc)
			}
			if err != nil {
				w.putEncBuf(ebuf)
				return fmt.Errorf("zarr: chunk %v: %w", idx, err)
			}
			enc = out
		}
		*ebuf = enc[:0]
		if handOff != nil {
			handOff(p, enc, ebuf)
			return nil
		}
		defer w.putEncBuf(ebuf)
	}
	if err := w.storeChunk(p, enc); err != nil {
		return fmt.Errorf("zarr: chunk %v: %w", idx, err)
	}
	return nil
}

// storeChunk writes an encoded chunk to its file at path, making its
// directories first.
func (w *Writer) storeChunk(path string, enc []byte) error {
	if err := w.ensureDir(filepath.Dir(path)); err != nil {
		return err
	}
	write := writeFileAtomic
	if w.staged {
		write = writeFileDirect
	}
	return write(path, enc, w.durable)
}

func (w *Writer) putEncBuf(b *[]byte) { w.encBufs.Put(b) }

// ensureDir creates the directory of a chunk, and those between it and
// the array's, once each: top down with one mkdir apiece, where MkdirAll
// would first stat every missing level.
func (w *Writer) ensureDir(dir string) error {
	if len(dir) <= len(w.root) {
		return nil // the array's own directory, made by Create
	}
	if _, ok := w.dirs.Load(dir); ok {
		return nil
	}
	if err := w.ensureDir(filepath.Dir(dir)); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("zarr: %w", err)
	}
	w.dirs.Store(dir, true)
	return nil
}

func (w *Writer) getBuf() *[]byte {
	if b, ok := w.bufs.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, w.meta.chunkBytes())
	return &b
}

func (w *Writer) getEncBuf() *[]byte {
	if b, ok := w.encBufs.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 0, w.meta.chunkBytes()+w.meta.chunkBytes()/16+1024)
	return &b
}

// Write stores a region that is aligned with the chunk grid: origin is a
// multiple of the chunk shape and the region ends on chunk boundaries or
// at the array's edge. data is the region in C order and the machine's
// byte order. Chunks are written one after another; call Write from
// several goroutines to write in parallel.
func (w *Writer) Write(ctx context.Context, origin, shape []int, data []byte) error {
	m := w.meta
	nd := len(m.shape)
	if len(origin) != nd || len(shape) != nd {
		return fmt.Errorf("zarr: region of %d and %d dimensions for an array of %d", len(origin), len(shape), nd)
	}
	for i := range origin {
		end := origin[i] + shape[i]
		if origin[i] < 0 || shape[i] < 0 || end > m.shape[i] || origin[i]%m.chunks[i] != 0 ||
			(end%m.chunks[i] != 0 && end != m.shape[i]) {
			return fmt.Errorf("zarr: region %v+%v is not aligned with the chunks %v of shape %v", origin, shape, m.chunks, m.shape)
		}
	}
	elem := m.dtype.Size()
	if len(data) != product(shape)*elem {
		return fmt.Errorf("zarr: region needs %d bytes, got %d", product(shape)*elem, len(data))
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
	at := make([]int, nd)
	zero := make([]int, nd)
	buf := w.getBuf()
	defer w.bufs.Put(buf)
	for {
		ext := chunkExtent(m, idx)
		for i := range idx {
			at[i] = idx[i]*m.chunks[i] - origin[i]
		}
		part := (*buf)[:product(ext)*elem]
		copyBox(part, ext, zero, data, shape, at, ext, elem)
		if err := w.WriteChunk(ctx, idx, part); err != nil {
			return err
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

// metaDoc is the array's metadata document.
func (w *Writer) metaDoc() map[string]any {
	if w.meta.version == 3 {
		return w.meta.v3Doc()
	}
	return w.meta.v2Doc()
}

// Commit writes the array's metadata, which makes it visible to readers,
// and removes the pending mark. Chunks not written read as the fill value.
func (w *Writer) Commit() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return fmt.Errorf("zarr: %s: already committed", w.path)
	}
	if w.durable {
		if err := w.syncDirs(); err != nil {
			return err
		}
	}
	if w.meta.version == 2 && w.meta.attrs != nil {
		var attrs any
		if err := json.Unmarshal(w.meta.attrs, &attrs); err != nil {
			return fmt.Errorf("zarr: %w", err)
		}
		b, err := marshalDoc(attrs)
		if err != nil {
			return err
		}
		if err := writeFileAtomic(filepath.Join(w.path, v2AttrsFile), b, w.durable); err != nil {
			return fmt.Errorf("zarr: %w", err)
		}
	}
	b, err := marshalDoc(w.metaDoc())
	if err != nil {
		return err
	}
	name := v2ArrayFile
	if w.meta.version == 3 {
		name = v3File
	}
	if err := writeFileAtomic(filepath.Join(w.path, name), b, w.durable); err != nil {
		return fmt.Errorf("zarr: %w", err)
	}
	if err := os.Remove(filepath.Join(w.path, pendingFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("zarr: %w", err)
	}
	if w.durable {
		if err := syncDir(w.path); err != nil {
			return fmt.Errorf("zarr: %w", err)
		}
	}
	w.done = true
	return nil
}

// syncDirs syncs every directory chunks were written to.
func (w *Writer) syncDirs() error {
	var err error
	w.dirs.Range(func(k, _ any) bool {
		if e := syncDir(k.(string)); e != nil {
			err = fmt.Errorf("zarr: %w", e)
			return false
		}
		return true
	})
	return err
}

// Abort removes the array being written. It must not run while chunks are
// being written.
func (w *Writer) Abort() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return nil
	}
	w.done = true
	if err := os.RemoveAll(w.path); err != nil {
		return fmt.Errorf("zarr: %w", err)
	}
	return nil
}
