package tiff

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/klauspost/compress/zlib"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/segstack/segstack/internal/outfile"
	"github.com/segstack/segstack/stack"
)

// WriterOptions describe the stack a Writer writes.
type WriterOptions struct {
	// Shape is the stack's extent; exactly Shape.Z planes must be written.
	Shape stack.Shape
	// DType is the element type of every plane: an Elem type,
	// stack.Float64, or stack.Int64 or stack.Uint64 (not in OME-TIFF,
	// whose pixel types stop at 32-bit integers).
	DType stack.DType
	// Compression is None (the zero value means None), LZW, Deflate or
	// PackBits.
	Compression Compression
	// Predictor is NoPredictor (or zero), Horizontal (integer types) or
	// FloatingPoint (float32, float64); predictors apply to LZW and
	// Deflate only.
	Predictor Predictor
	// DeflateLevel is the zlib level for Deflate, 1 (fast) to 9 (small);
	// 0 means 6.
	DeflateLevel int
	// Tile is the edge of square tiles, a multiple of 16; 0 writes strips.
	Tile int
	// BigTIFF forces BigTIFF. Without it, BigTIFF is chosen when the
	// declared shape could make the file larger than classic TIFF's 4 GiB.
	BigTIFF bool
	// Channels and Frames describe a hyperstack: the Z planes are ordered
	// channel fastest, then slice, then frame, as ImageJ does. 0 means 1.
	Channels, Frames int
	// PixelSizeX, PixelSizeY and SpacingZ are the sample spacing in Unit;
	// 0 leaves them unset.
	PixelSizeX, PixelSizeY, SpacingZ float64
	// Unit is the length unit, e.g. "micron".
	Unit string
	// Description replaces the generated ImageDescription. By default an
	// ImageJ description is written for uint8, uint16 and float32 (the
	// types ImageJ stores) and tifffile's shaped JSON for the others.
	Description string
	// ColorMap makes a palette-colour image (PhotometricInterpretation 3)
	// of uint8 or uint16 planes: the red, green and blue of each index
	// value, 256 or 65536 entries, written with every page. Nil writes
	// grey (BlackIsZero) pages.
	ColorMap [][3]uint16
	// OME writes OME-XML (schema 2016-06) as the first page's
	// ImageDescription instead, with the dimension order, sizes and
	// physical sizes; Description is then ignored. Create sets it for
	// names that end in ".ome.tif" or ".ome.tiff" (see IsOMEName).
	OME bool
	// Workers bounds the goroutines that compress the strips or tiles of a
	// plane; 0 means GOMAXPROCS.
	Workers int
	// Cached writes through the page cache whatever the file's size. By
	// default a file that may pass 256 MiB is written with direct I/O where
	// the system and the file system allow it (Linux; see Writer.Direct):
	// the data goes from the writer's buffers to the disk, which takes a
	// fraction of the CPU time of copying it into the page cache and
	// leaves the cache to the data other work is reading. Set Cached when
	// the file will be read again at once.
	Cached bool
}

// Writer streams planes into a new TIFF file. Planes are appended with
// WritePlane; Close makes the file visible under its final name. A Writer
// is not safe for concurrent use.
type Writer struct {
	opts     WriterOptions
	path     string
	of       *outfile.File // the output, unnamed or temporary until Close
	f        *os.File
	out      sink
	direct   bool
	big      bool
	pos      uint64 // file offset of the next byte written
	planes   int
	err      error // sticky: once set, the temp file is gone
	done     bool
	desc     string
	blockW   int // tile edge or width
	blockH   int // tile edge or rows per strip
	across   int
	blocks   int
	encoders sync.Pool // *blockEncoder
	encoded  [][]byte
	plane    []byte // native-order copy when the host is big-endian
	// contig lays the file out as tifffile and ImageJ do: the first IFD,
	// then every plane's data back to back, then the other IFDs. It is
	// used for small uncompressed stacks, see contiguousLayout; data0 is
	// the file offset of plane 0's data in that layout.
	contig bool
	data0  uint64
}

// targetStripBytes is the decoded size aimed at for one strip.
const targetStripBytes = 256 << 10

// classicLimit is the file size above which BigTIFF is chosen; classic
// offsets are 32-bit, and the margin covers IFDs and descriptions.
const classicLimit = math.MaxUint32 - 64<<20

// Create starts writing a stack to path. Nothing appears under path until
// Close succeeds; the data goes to a temporary file in the same directory.
func Create(path string, opts WriterOptions) (*Writer, error) {
	if IsOMEName(path) {
		opts.OME = true
	}
	w := &Writer{opts: opts, path: path}
	if err := w.validate(); err != nil {
		return nil, fmt.Errorf("tiff: create %s: %w", path, err)
	}
	o := &w.opts
	size := o.DType.Size()
	if o.Tile > 0 {
		w.blockW, w.blockH = o.Tile, o.Tile
		w.across = (o.Shape.X + o.Tile - 1) / o.Tile
		w.blocks = w.across * ((o.Shape.Y + o.Tile - 1) / o.Tile)
	} else {
		rps := max(1, min(o.Shape.Y, targetStripBytes/(o.Shape.X*size)))
		w.blockW, w.blockH, w.across = o.Shape.X, rps, 1
		w.blocks = (o.Shape.Y + rps - 1) / rps
	}
	w.big = o.BigTIFF || w.sizeBound() > classicLimit
	w.desc = w.description()
	w.contig = w.contiguousLayout()

	of, err := outfile.Create(path)
	if err != nil {
		return nil, fmt.Errorf("tiff: create %s: %w", path, err)
	}
	f := of.File
	w.f, w.of = f, of
	w.out = newCachedSink(f)
	if !o.Cached && w.sizeBound() >= directMinBytes {
		if d, err := newDirectSink(f); err == nil {
			w.out, w.direct = d, true
		}
	}
	hdr := []byte{'I', 'I', 42, 0, 8, 0, 0, 0}
	if w.big {
		hdr = []byte{'I', 'I', 43, 0, 8, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0}
	}
	if err := w.write(hdr); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *Writer) validate() error {
	o := &w.opts
	if err := o.Shape.Validate(); err != nil {
		return err
	}
	if !o.DType.IsElem() && o.DType != stack.Float64 && o.DType != stack.Int64 && o.DType != stack.Uint64 {
		return fmt.Errorf("invalid dtype %v", o.DType)
	}
	if o.OME && (o.DType == stack.Int64 || o.DType == stack.Uint64) {
		return unsupportedf("%v samples in OME-TIFF (OME's pixel types have no 64-bit integers; write a plain TIFF)", o.DType)
	}
	if int64(o.Shape.X) > math.MaxUint32 || int64(o.Shape.Y) > math.MaxUint32 {
		return fmt.Errorf("plane %dx%d too large for TIFF", o.Shape.Y, o.Shape.X)
	}
	if o.Compression == 0 {
		o.Compression = None
	}
	switch o.Compression {
	case None, LZW, Deflate, PackBits:
	default:
		return fmt.Errorf("cannot write compression %s", o.Compression)
	}
	if o.Predictor == 0 {
		o.Predictor = NoPredictor
	}
	switch o.Predictor {
	case NoPredictor:
	case Horizontal, FloatingPoint:
		if o.Compression != LZW && o.Compression != Deflate {
			return fmt.Errorf("predictor %s needs LZW or Deflate compression, not %s", o.Predictor, o.Compression)
		}
		if (o.Predictor == FloatingPoint) != o.DType.IsFloat() {
			return fmt.Errorf("predictor %s does not apply to %s samples", o.Predictor, o.DType)
		}
	default:
		return fmt.Errorf("invalid predictor %d", o.Predictor)
	}
	if o.DeflateLevel == 0 {
		o.DeflateLevel = 6
	}
	if o.DeflateLevel < 1 || o.DeflateLevel > 9 {
		return fmt.Errorf("deflate level %d outside 1..9", o.DeflateLevel)
	}
	if o.Tile < 0 || o.Tile%16 != 0 || o.Tile > 1<<16 {
		return fmt.Errorf("tile size %d: want 0 (strips) or a positive multiple of 16", o.Tile)
	}
	if o.ColorMap != nil {
		if n := 1 << (8 * o.DType.Size()); (o.DType != stack.Uint8 && o.DType != stack.Uint16) || len(o.ColorMap) != n {
			return fmt.Errorf("a colour map of %d entries for %s samples (want 256 for uint8 or 65536 for uint16)", len(o.ColorMap), o.DType)
		}
	}
	o.Channels, o.Frames = max(o.Channels, 1), max(o.Frames, 1)
	if o.Shape.Z%(o.Channels*o.Frames) != 0 {
		return fmt.Errorf("%d planes do not split into %d channels × %d frames", o.Shape.Z, o.Channels, o.Frames)
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return nil
}

// sizeBound is an upper bound of the file size for the declared shape,
// assuming the worst expansion each codec can produce.
func (w *Writer) sizeBound() uint64 {
	o := &w.opts
	size := uint64(o.DType.Size())
	blockBytes := uint64(w.blockW) * uint64(w.blockH) * size
	rowBytes := uint64(w.blockW) * size
	var perBlock uint64
	switch o.Compression {
	case None:
		perBlock = blockBytes
	case PackBits:
		perBlock = blockBytes + uint64(w.blockH)*((rowBytes+127)/128)
	case LZW:
		perBlock = blockBytes*3/2 + 16
	case Deflate:
		perBlock = blockBytes + blockBytes>>10 + 64
	}
	// 512 bytes for an IFD and dataAlign for the padding of a direct-I/O
	// file.
	perPlane := uint64(w.blocks)*(perBlock+16) + 512 + dataAlign + 6*uint64(len(o.ColorMap))
	return 16 + uint64(len(o.Description)) + 4096 + uint64(o.Shape.Z)*perPlane
}

// description builds the ImageDescription of the first page.
func (w *Writer) description() string {
	o := &w.opts
	if o.OME {
		base := filepath.Base(w.path)
		for _, ext := range []string{".ome.tiff", ".ome.tif", ".OME.TIFF", ".OME.TIF"} {
			base = strings.TrimSuffix(base, ext)
		}
		return formatOME(o, base)
	}
	if o.Description != "" {
		return o.Description
	}
	slices := o.Shape.Z / (o.Channels * o.Frames)
	switch o.DType {
	case stack.Uint8, stack.Uint16, stack.Float32:
		return formatImageJ(o.Channels, slices, o.Frames, o.SpacingZ, o.Unit, nil)
	}
	if o.Channels == 1 && o.Frames == 1 {
		return formatShaped(o.Shape.Z, o.Shape.Y, o.Shape.X)
	}
	dims := []int{}
	if o.Frames > 1 {
		dims = append(dims, o.Frames)
	}
	dims = append(dims, slices)
	if o.Channels > 1 {
		dims = append(dims, o.Channels)
	}
	s := `{"shape": [`
	for _, d := range append(dims, o.Shape.Y, o.Shape.X) {
		s += fmt.Sprint(d) + ", "
	}
	return s[:len(s)-2] + "]}"
}

// Path is the final name of the file.
func (w *Writer) Path() string { return w.path }

// BigTIFF reports whether the file is written as BigTIFF.
func (w *Writer) BigTIFF() bool { return w.big }

// Direct reports whether the file is written with direct I/O, bypassing
// the page cache (see WriterOptions.Cached).
func (w *Writer) Direct() bool { return w.direct }

// Planes is the number of planes written so far.
func (w *Writer) Planes() int { return w.planes }

// fail records err, removes the temporary file and returns the wrapped error.
func (w *Writer) fail(err error) error {
	if w.err == nil {
		w.err = fmt.Errorf("tiff: write %s: %w", w.path, err)
		w.out.abandon()
		w.of.Abort()
	}
	return w.err
}

func (w *Writer) write(b []byte) error {
	if _, err := w.out.Write(b); err != nil {
		return w.fail(err)
	}
	return w.advance(len(b))
}

// writeFrom is write for bulk data that stays unchanged until it returns.
func (w *Writer) writeFrom(b []byte) error {
	if err := w.out.writeFrom(b); err != nil {
		return w.fail(err)
	}
	return w.advance(len(b))
}

func (w *Writer) advance(n int) error {
	w.pos += uint64(n)
	if !w.big && w.pos > math.MaxUint32 {
		return w.fail(errors.New("file passes 4 GiB; write it as BigTIFF"))
	}
	return nil
}

// dataAlign is the file alignment of raw planes in direct-I/O files.
const dataAlign = 4096

// WritePlane appends the next plane, given as native-endian samples in row
// order (Y*X*DType.Size() bytes).
func (w *Writer) WritePlane(raw []byte) error {
	if w.err != nil {
		return w.err
	}
	if w.done {
		return fmt.Errorf("tiff: write %s: writer is closed", w.path)
	}
	o := &w.opts
	size := o.DType.Size()
	if len(raw) != o.Shape.Y*o.Shape.X*size {
		return fmt.Errorf("tiff: write %s: plane has %d bytes, want %d", w.path, len(raw), o.Shape.Y*o.Shape.X*size)
	}
	if w.planes >= o.Shape.Z {
		return fmt.Errorf("tiff: write %s: all %d planes already written", w.path, o.Shape.Z)
	}
	if !nativeLE && size > 1 {
		w.plane = append(w.plane[:0], raw...)
		swapBytes(w.plane, size)
		raw = w.plane
	}
	var data [][]byte
	counts := make([]uint64, w.blocks)
	rawStrips := o.Compression == None && o.Tile == 0
	if rawStrips {
		rowBytes := o.Shape.X * size
		for k := range counts {
			counts[k] = uint64(min(w.blockH, o.Shape.Y-k*w.blockH) * rowBytes)
		}
		data = [][]byte{raw}
	} else {
		if err := w.encodePlane(raw); err != nil {
			return w.fail(err)
		}
		for k, b := range w.encoded {
			counts[k] = uint64(len(b))
		}
		data = w.encoded
	}

	if w.contig {
		return w.writeContig(raw, counts)
	}
	base := w.fields()
	offsets := make([]uint64, w.blocks)
	offTag, cntTag := uint16(tagStripOffsets), uint16(tagStripByteCounts)
	if o.Tile > 0 {
		offTag, cntTag = tagTileOffsets, tagTileByteCounts
	}
	fields := func() []field {
		return append(base[:len(base):len(base)], offsetField(offTag, w.big, offsets), offsetField(cntTag, w.big, counts))
	}
	// The IFD's length does not depend on the offsets' values: lay it out
	// once to learn where the data starts, then again with the offsets.
	ifdLen := uint64(len(encodeIFD(fields(), w.big, w.pos, 0)))
	pos := w.pos + ifdLen
	// A direct-I/O file puts a raw plane of whole blocks at a block
	// boundary, so that it goes to the disk from the caller's memory. The
	// gap between planes (IFD and padding) is then the same for every
	// plane after the first, as readers that assume ImageJ's layout want.
	pad := uint64(0)
	if rawStrips && w.out.aligned() && uint64(len(raw))%dataAlign == 0 {
		pad = (dataAlign - pos%dataAlign) % dataAlign
		pos += pad
	}
	var total uint64
	for k := range offsets {
		offsets[k] = pos
		pos += counts[k]
		total += counts[k]
	}
	next := uint64(0)
	if w.planes+1 < o.Shape.Z {
		next = pos + pos&1
	}
	if err := w.write(encodeIFD(fields(), w.big, w.pos, next)); err != nil {
		return err
	}
	if pad > 0 {
		if err := w.write(make([]byte, pad)); err != nil {
			return err
		}
	}
	for _, b := range data {
		if err := w.writeFrom(b); err != nil {
			return err
		}
	}
	if total&1 == 1 {
		if err := w.write([]byte{0}); err != nil {
			return err
		}
	}
	w.planes++
	return nil
}

// fields returns the IFD entries every page shares, with the description
// on the first page only.
func (w *Writer) fields() []field {
	o := &w.opts
	bps := uint16(8 * o.DType.Size())
	format := uint16(sampleUint)
	switch o.DType {
	case stack.Int16, stack.Int32, stack.Int64:
		format = sampleInt
	case stack.Float32, stack.Float64:
		format = sampleFloat
	}
	f := []field{
		longField(tagNewSubfileType, 0),
		longField(tagImageWidth, uint32(o.Shape.X)),
		longField(tagImageLength, uint32(o.Shape.Y)),
		shortField(tagBitsPerSample, bps),
		shortField(tagCompression, uint16(o.Compression)),
		shortField(tagSamplesPerPixel, 1),
		shortField(tagPlanarConfig, 1),
		shortField(tagSampleFormat, format),
	}
	if o.Predictor != NoPredictor {
		f = append(f, shortField(tagPredictor, uint16(o.Predictor)))
	}
	if cm := o.ColorMap; cm != nil {
		v := make([]uint16, 3*len(cm))
		for i, c := range cm {
			v[i], v[len(cm)+i], v[2*len(cm)+i] = c[0], c[1], c[2]
		}
		f = append(f, shortField(tagPhotometric, 3), shortField(tagColorMap, v...))
	} else {
		f = append(f, shortField(tagPhotometric, 1))
	}
	if o.Tile > 0 {
		f = append(f, longField(tagTileWidth, uint32(o.Tile)), longField(tagTileLength, uint32(o.Tile)))
	} else {
		f = append(f, longField(tagRowsPerStrip, uint32(w.blockH)))
	}
	if o.PixelSizeX > 0 || o.PixelSizeY > 0 {
		px, py := o.PixelSizeX, o.PixelSizeY
		if px <= 0 {
			px = py
		}
		if py <= 0 {
			py = px
		}
		unit := uint16(1)
		switch o.Unit {
		case "cm":
			unit = 3
		case "inch":
			unit = 2
		}
		f = append(f, rationalField(tagXResolution, 1/px), rationalField(tagYResolution, 1/py), shortField(tagResolutionUnit, unit))
	}
	if w.planes == 0 {
		if w.desc != "" {
			f = append(f, asciiField(tagImageDescription, w.desc))
		}
		f = append(f, asciiField(tagSoftware, "segstack"))
	}
	return f
}

// blockEncoder holds one goroutine's compression state.
type blockEncoder struct {
	zw  *zlib.Writer
	zb  bytes.Buffer
	lzw lzwEncoder
	blk []byte
	tmp []byte
}

// encodePlane compresses the plane's strips or tiles into w.encoded, on up
// to Workers goroutines.
func (w *Writer) encodePlane(raw []byte) error {
	if cap(w.encoded) < w.blocks {
		w.encoded = make([][]byte, w.blocks)
	}
	w.encoded = w.encoded[:w.blocks]
	workers := min(w.opts.Workers, w.blocks)
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for g := 0; g < workers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			enc, _ := w.encoders.Get().(*blockEncoder)
			if enc == nil {
				enc = &blockEncoder{}
			}
			defer w.encoders.Put(enc)
			for k := g; k < w.blocks; k += workers {
				b, err := w.encodeBlock(enc, raw, k, w.encoded[k][:0])
				if err != nil {
					errs[g] = err
					return
				}
				w.encoded[k] = b
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// encodeBlock gathers block k of the plane (zero-padding edge tiles),
// applies the predictor and compresses it, appending to out.
func (w *Writer) encodeBlock(enc *blockEncoder, raw []byte, k int, out []byte) ([]byte, error) {
	o := &w.opts
	size := o.DType.Size()
	rowBytes := o.Shape.X * size
	bw := w.blockW
	var src []byte
	if o.Tile > 0 {
		n := w.blockW * w.blockH * size
		if cap(enc.blk) < n {
			enc.blk = make([]byte, n)
		}
		src = enc.blk[:n]
		clear(src)
		x0, y0 := (k%w.across)*w.blockW, (k/w.across)*w.blockH
		cw := min(w.blockW, o.Shape.X-x0) * size
		for y := y0; y < min(y0+w.blockH, o.Shape.Y); y++ {
			copy(src[(y-y0)*w.blockW*size:], raw[y*rowBytes+x0*size:y*rowBytes+x0*size+cw])
		}
	} else {
		y0 := k * w.blockH
		src = raw[y0*rowBytes : min(y0+w.blockH, o.Shape.Y)*rowBytes]
		if o.Predictor != NoPredictor {
			enc.blk = append(enc.blk[:0], src...)
			src = enc.blk
		}
	}
	switch o.Predictor {
	case Horizontal:
		doHorizontal(src, bw, size)
	case FloatingPoint:
		if cap(enc.tmp) < bw*size {
			enc.tmp = make([]byte, bw*size)
		}
		doFloat(src, enc.tmp, bw, size)
	}
	switch o.Compression {
	case None:
		return append(out, src...), nil
	case PackBits:
		rb := bw * size
		for r := 0; r < len(src); r += rb {
			out = packBitsEncode(out, src[r:r+rb])
		}
		return out, nil
	case LZW:
		return enc.lzw.encode(out, src), nil
	case Deflate:
		enc.zb.Reset()
		if enc.zw == nil {
			zw, err := zlib.NewWriterLevel(&enc.zb, w.opts.DeflateLevel)
			if err != nil {
				return nil, err
			}
			enc.zw = zw
		} else {
			enc.zw.Reset(&enc.zb)
		}
		if _, err := enc.zw.Write(src); err != nil {
			return nil, err
		}
		if err := enc.zw.Close(); err != nil {
			return nil, err
		}
		return append(out, enc.zb.Bytes()...), nil
	}
	return nil, fmt.Errorf("cannot write compression %s", o.Compression)
}

// WritePlaneOf appends the next plane given as samples; T must match the
// writer's DType.
func WritePlaneOf[T stack.Elem](w *Writer, plane []T) error {
	if dt := stack.DTypeOf[T](); dt != w.opts.DType {
		return fmt.Errorf("tiff: write %s: plane is %s, file is %s", w.path, dt, w.opts.DType)
	}
	return w.WritePlane(asBytes(plane))
}

// Close finishes the file: it checks that every declared plane was
// written, flushes and syncs the data, and renames the temporary file onto
// the final path. On any failure the temporary file is removed.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	if w.done {
		return nil
	}
	if w.planes != w.opts.Shape.Z {
		err := w.fail(fmt.Errorf("%d of %d declared planes written", w.planes, w.opts.Shape.Z))
		w.done = true
		return err
	}
	if w.contig {
		if err := w.writeTrailingIFDs(); err != nil {
			return err
		}
	}
	if err := w.out.finish(); err != nil {
		return w.fail(err)
	}
	if err := w.f.Sync(); err != nil {
		return w.fail(err)
	}
	if err := w.of.Commit(); err != nil {
		w.err = fmt.Errorf("tiff: %w", err)
		return w.err
	}
	w.done = true
	return nil
}

// Abort abandons the file and removes the temporary file. It is safe to
// call after Close (it then does nothing) and more than once.
func (w *Writer) Abort() {
	if w.done || w.err != nil {
		return
	}
	w.fail(errors.New("aborted"))
	w.done = true
}

// WriteVolume writes a whole volume to path with the given options; Shape
// and DType are taken from v.
func WriteVolume[T stack.Elem](ctx context.Context, path string, v *stack.Volume[T], opts WriterOptions) error {
	opts.Shape, opts.DType = v.Shape, stack.DTypeOf[T]()
	w, err := Create(path, opts)
	if err != nil {
		return err
	}
	for z := 0; z < v.Shape.Z; z++ {
		if err := ctx.Err(); err != nil {
			w.Abort()
			return err
		}
		if err := WritePlaneOf(w, v.Plane(z)); err != nil {
			w.Abort()
			return err
		}
	}
	return w.Close()
}
