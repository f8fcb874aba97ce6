package tiff

import (
	"fmt"
	"io"
	"math/bits"
	"os"
	"strings"
	"sync"

	"github.com/segstack/segstack/stack"
)

// Option configures Open and NewReader.
type Option func(*options)

type options struct {
	maxPlaneBytes uint64
	maxPages      int
}

// DefaultMaxPlaneBytes is the default limit on the decoded size of one plane.
const DefaultMaxPlaneBytes = 4 << 30

// DefaultMaxPages is the default limit on the number of pages.
const DefaultMaxPages = 1 << 24

// WithMaxPlaneBytes limits the decoded size of one plane (and of one tile);
// files that need more are refused with a *LimitError before anything is
// allocated. The default is DefaultMaxPlaneBytes.
func WithMaxPlaneBytes(n int64) Option {
	return func(o *options) {
		if n > 0 {
			o.maxPlaneBytes = uint64(n)
		}
	}
}

// WithMaxPages limits the number of pages (IFDs) read. The default is
// DefaultMaxPages.
func WithMaxPages(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.maxPages = n
		}
	}
}

// page is what a Reader keeps about one plane.
type page struct {
	comp   Compression
	pred   Predictor
	tiled  bool
	blockW int // tile width, or image width for strips
	blockH int // tile length, or rows per strip
	across int // blocks per row of blocks (1 for strips)
	blocks int
	// offsets and counts locate the strips or tiles; they are read when
	// the plane is.
	offsets, counts *entry
	// contig is the file offset of the plane for pages without an IFD of
	// their own (ImageJ's contiguous layout), else -1.
	contig int64
	// spp is the IFD's samples per pixel; a page with several is read as
	// one plane per sample, sample naming which. planar reports
	// PlanarConfiguration 2 (each sample in blocks of its own, sample s's
	// blocks following those of the samples before it); otherwise samples
	// are interleaved within each block.
	spp, sample int
	planar      bool
	// bits is the bits per sample in the file when the samples are stored
	// otherwise than as the element type they are read as (0 when they
	// are not): packed integers of other widths, rows padded to whole
	// bytes, signed ones when signed; int8 (bits 8, signed); float16
	// (half). invert flips 1-bit WhiteIsZero samples.
	bits         int
	signed, half bool
	// float24 marks 24-bit floats, widened to float32.
	float24 bool
	invert  bool
	// reversed reports FillOrder 2: the stored bytes' bits are reversed.
	reversed bool
	// lercDT, lercAdd and lercAlpha describe LERC data: its data type,
	// the compression over it, and whether an 8-bit last sample of
	// unassociated alpha may be stored as the mask.
	lercDT, lercAdd int
	lercAlpha       bool
	// subH and subV are a YCbCr page's chroma subsampling (1x1 when none
	// or for other photometric interpretations).
	subH, subV int
}

// Reader gives random access to the planes of a TIFF stack. Its methods are
// safe for concurrent use.
type Reader struct {
	src     *source
	closer  io.Closer
	name    string
	pages   []page
	shape   stack.Shape
	dtype   stack.DType
	meta    Metadata
	opts    options
	scratch sync.Pool // *[]byte
	// photometric is the first page's PhotometricInterpretation and
	// colorMap its palette (photometric 3), nil otherwise.
	photometric int
	colorMap    [][3]uint16
	// mapped is the whole file mapped read-only (Open on Linux), for
	// ReadView; nil otherwise.
	mapped []byte
}

// Open opens the TIFF file at path and reads its IFD chain. Planes are read
// on demand; Close releases the file.
func Open(path string, opts ...Option) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	r, err := NewReader(f, st.Size(), opts...)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	r.closer, r.name = f, path
	r.mapped = mapFile(f, st.Size())
	return r, nil
}

// NewReader reads the IFD chain of the TIFF data in ra, which holds size
// bytes. ra must stay valid while the Reader is used.
func NewReader(ra io.ReaderAt, size int64, opts ...Option) (*Reader, error) {
	o := options{maxPlaneBytes: DefaultMaxPlaneBytes, maxPages: DefaultMaxPages}
	for _, opt := range opts {
		opt(&o)
	}
	src, off, err := readHeader(ra, size)
	if err != nil {
		return nil, err
	}
	r := &Reader{src: src, opts: o}
	seen := map[uint64]bool{}
	var first map[uint16]*entry
	for off != 0 {
		if seen[off] {
			return nil, formatErrorf("IFD chain loops back to offset %d", off)
		}
		seen[off] = true
		if len(r.pages) >= o.maxPages {
			return nil, &LimitError{What: "page count", Size: uint64(len(r.pages) + 1), Limit: uint64(o.maxPages)}
		}
		entries, next, err := src.readIFD(off)
		if err != nil {
			if len(r.pages) > 0 {
				return nil, fmt.Errorf("page %d: %w", len(r.pages), err)
			}
			return nil, err
		}
		off = next
		if e := entries[tagNewSubfileType]; e != nil {
			if v, err := src.uint(e); err == nil && v&1 != 0 {
				continue // a reduced-resolution copy, not a plane of the stack
			}
		}
		p, shape, dt, err := r.parsePage(entries)
		if err != nil {
			return nil, fmt.Errorf("page %d: %w", len(r.pages), err)
		}
		if len(r.pages) == 0 {
			r.shape, r.dtype, first = shape, dt, entries
			if err := r.readPhotometric(entries, &p); err != nil {
				return nil, err
			}
		} else if shape.Y != r.shape.Y || shape.X != r.shape.X || dt != r.dtype {
			return nil, unsupportedf("page %d is %dx%d %s but page 0 is %dx%d %s; pages of different shapes or types",
				len(r.pages), shape.Y, shape.X, dt, r.shape.Y, r.shape.X, r.dtype)
		}
		if len(r.pages) > 0 && p.spp != r.pages[0].spp {
			return nil, unsupportedf("page %d has %d samples per pixel but page 0 has %d", len(r.pages), p.spp, r.pages[0].spp)
		}
		r.pages = append(r.pages, p)
	}
	if len(r.pages) == 0 {
		return nil, FormatError("no image in file")
	}
	if err := r.readMetadata(first); err != nil {
		return nil, err
	}
	if r.pages[0].spp > 1 {
		if err := r.expandSamples(); err != nil {
			return nil, err
		}
		r.shape.Z = len(r.pages)
		return r, nil
	}
	r.expandContiguous()
	if err := r.reshapeShaped(); err != nil {
		return nil, err
	}
	r.shape.Z = len(r.pages)
	if m := &r.meta; m.Channels*m.Slices*m.Frames == 1 {
		m.Slices = r.shape.Z // a plain stack: every page is a slice
	}
	return r, nil
}

// parsePage checks the tags of one IFD and returns the page, its shape
// (Z = 1) and its element type.
func (r *Reader) parsePage(t map[uint16]*entry) (page, stack.Shape, stack.DType, error) {
	s := r.src
	get := func(tag uint16, def uint64) (uint64, error) {
		e := t[tag]
		if e == nil {
			return def, nil
		}
		return s.uint(e)
	}
	var p page
	p.contig = -1
	p.subH, p.subV = 1, 1
	var err error
	var w, h, spp, bps, fmtv, comp, pred, photo, planar, fill, depth uint64
	for _, f := range []struct {
		dst *uint64
		tag uint16
		def uint64
	}{
		{&w, tagImageWidth, 0}, {&h, tagImageLength, 0}, {&spp, tagSamplesPerPixel, 1},
		{&bps, tagBitsPerSample, 1}, {&fmtv, tagSampleFormat, sampleUint}, {&comp, tagCompression, 1},
		{&pred, tagPredictor, 1}, {&photo, tagPhotometric, 1}, {&planar, tagPlanarConfig, 1},
		{&fill, tagFillOrder, 1}, {&depth, tagImageDepth, 1},
	} {
		if *f.dst, err = get(f.tag, f.def); err != nil {
			return p, stack.Shape{}, 0, err
		}
	}
	if w == 0 || h == 0 {
		return p, stack.Shape{}, 0, formatErrorf("image size %dx%d (ImageWidth and ImageLength are required and positive)", w, h)
	}
	if w > 1<<31 || h > 1<<31 {
		return p, stack.Shape{}, 0, formatErrorf("image size %dx%d is absurd", w, h)
	}
	if spp == 0 || spp > maxSamples {
		return p, stack.Shape{}, 0, formatErrorf("%d samples per pixel", spp)
	}
	p.spp, p.planar = int(spp), planar == 2 && spp > 1
	if depth != 1 {
		return p, stack.Shape{}, 0, unsupportedf("ImageDepth %d (SGI volume tiles)", depth)
	}
	switch fill {
	case 1:
	case 2:
		// Bytes stored least significant bit first: libtiff reverses the
		// bits of the stored (compressed) data of every codec read here
		// before decoding it.
		p.reversed = true
	default:
		return p, stack.Shape{}, 0, formatErrorf("FillOrder %d", fill)
	}
	if planar != 1 && planar != 2 {
		return p, stack.Shape{}, 0, formatErrorf("PlanarConfiguration %d", planar)
	}
	switch photo {
	case 0, 1, 2, 5:
		// Grey, RGB and separated (CMYK) samples are read as channels.
	case 6:
		// YCbCr samples are read as they are stored, Y, Cb and Cr as
		// channels (the colour conversion to RGB is left to the viewer);
		// subsampled chroma is replicated over the pixels it covers.
		if spp != 3 {
			return p, stack.Shape{}, 0, formatErrorf("YCbCr image with %d samples per pixel", spp)
		}
		if err := p.readSubsampling(s, t[tagYCbCrSubSampling], comp); err != nil {
			return p, stack.Shape{}, 0, err
		}
		if p.subH*p.subV > 1 && (planar == 2 || bps != 8) {
			return p, stack.Shape{}, 0, unsupportedf("subsampled YCbCr (%dx%d) with %s", p.subH, p.subV,
				map[bool]string{true: "separate planes", false: fmt.Sprintf("%d-bit samples", bps)}[planar == 2])
		}
	case 3:
		// Palette images read as their index values; ColorMap gives the
		// colours.
		if spp != 1 {
			return p, stack.Shape{}, 0, formatErrorf("palette image with %d samples per pixel", spp)
		}
	default:
		return p, stack.Shape{}, 0, unsupportedf("photometric interpretation %d", photo)
	}
	dt, err := p.sampleType(bps, fmtv)
	if err != nil {
		return p, stack.Shape{}, 0, err
	}
	// Bilevel images read as 0/1 with 1 for white whatever the
	// photometric interpretation, as the file is displayed.
	p.invert = p.bits == 1 && !p.signed && photo == 0
	size := uint64(dt.Size())
	hi, planeBytes := bits.Mul64(w*h, size)
	if hi != 0 || planeBytes > r.opts.maxPlaneBytes {
		return p, stack.Shape{}, 0, &LimitError{What: fmt.Sprintf("a %dx%d %s plane", w, h, dt), Size: planeBytes, Limit: r.opts.maxPlaneBytes}
	}
	p.comp = Compression(comp)
	switch p.comp {
	case None, LZW, Deflate, deflateOld, PackBits, compZstd, compLZMA:
	case compPixarLog:
		// libtiff decodes to 8-bit, 16-bit and float samples by default.
		if p.bits != 0 || p.half || !(dt == stack.Uint8 || dt == stack.Uint16 || dt == stack.Float32) {
			return p, stack.Shape{}, 0, unsupportedf("PixarLog compression of %d-bit %s samples (8- and 16-bit unsigned and 32-bit float are read)", bps, sampleFormatName(fmtv))
		}
		if pred != uint64(NoPredictor) {
			return p, stack.Shape{}, 0, unsupportedf("predictor %d with PixarLog compression", pred)
		}
	case compLERC:
		if err := p.readLerc(s, t, bps, fmtv); err != nil {
			return p, stack.Shape{}, 0, err
		}
		pred = uint64(NoPredictor) // libtiff applies none with LERC
	case compJBIG:
		if p.bits != 1 || spp != 1 || p.signed {
			return p, stack.Shape{}, 0, unsupportedf("JBIG compression of %d-bit %s samples, %d per pixel (it codes single 1-bit samples)", bps, sampleFormatName(fmtv), spp)
		}
	case compNeXT, compThunder:
		want := map[Compression]int{compNeXT: 2, compThunder: 4}[p.comp]
		if p.bits != want || spp != 1 || p.signed {
			return p, stack.Shape{}, 0, unsupportedf("%s compression of %d-bit samples, %d per pixel (it codes %d-bit single samples)", p.comp, bps, spp, want)
		}
	default:
		return p, stack.Shape{}, 0, unsupportedf("compression %s (%d)", p.comp, comp)
	}
	p.pred = Predictor(pred)
	switch p.pred {
	case NoPredictor:
	case Horizontal:
		// libtiff differences 8-, 16-, 32- and 64-bit samples only.
		if p.bits > 0 && p.bits != 8 && p.bits != 16 {
			return p, stack.Shape{}, 0, unsupportedf("horizontal predictor on %d-bit samples (libtiff refuses it too)", p.bits)
		}
	case FloatingPoint:
		if size < 2 || p.bits > 0 && !p.half {
			return p, stack.Shape{}, 0, unsupportedf("floating-point predictor on %d-bit %s samples", bps, sampleFormatName(fmtv))
		}
	default:
		return p, stack.Shape{}, 0, unsupportedf("predictor %d", pred)
	}
	if p.subH*p.subV > 1 && p.pred != NoPredictor && p.comp != None && p.comp != PackBits {
		return p, stack.Shape{}, 0, unsupportedf("predictor %d on subsampled YCbCr", pred)
	}
	if p.comp == None || p.comp == PackBits {
		p.pred = NoPredictor // predictors apply to LZW and Deflate only
	}
	offTag, cntTag := uint16(tagStripOffsets), uint16(tagStripByteCounts)
	if t[tagTileWidth] != nil || t[tagTileOffsets] != nil {
		p.tiled = true
		offTag, cntTag = tagTileOffsets, tagTileByteCounts
		tw, err := get(tagTileWidth, 0)
		if err != nil {
			return p, stack.Shape{}, 0, err
		}
		th, err := get(tagTileLength, 0)
		if err != nil {
			return p, stack.Shape{}, 0, err
		}
		if tw == 0 || th == 0 || tw > 1<<20 || th > 1<<20 {
			return p, stack.Shape{}, 0, formatErrorf("tile size %dx%d", tw, th)
		}
		tileBytes := tw * th * size * uint64(p.blockSamples())
		limit := min(r.opts.maxPlaneBytes, max(4*planeBytes, 16<<20))
		if tileBytes > limit {
			return p, stack.Shape{}, 0, &LimitError{What: fmt.Sprintf("a %dx%d tile", tw, th), Size: tileBytes, Limit: limit}
		}
		p.blockW, p.blockH = int(tw), int(th)
		p.across = int((w + tw - 1) / tw)
		p.blocks = p.across * int((h+th-1)/th)
	} else {
		rps, err := get(tagRowsPerStrip, h)
		if err != nil {
			return p, stack.Shape{}, 0, err
		}
		if rps == 0 || rps > h {
			rps = h
		}
		p.blockW, p.blockH, p.across = int(w), int(rps), 1
		p.blocks = int((h + rps - 1) / rps)
	}
	if p.comp == compJBIG && p.blocks != 1 {
		return p, stack.Shape{}, 0, unsupportedf("JBIG compression in %d %ss (libtiff reads one strip only)", p.blocks, blockKind(p.tiled))
	}
	p.offsets, p.counts = t[offTag], t[cntTag]
	if p.offsets == nil {
		return p, stack.Shape{}, 0, formatErrorf("missing %s offsets", blockKind(p.tiled))
	}
	all := uint64(p.blocks)
	if p.planar {
		all *= spp
	}
	if p.counts == nil {
		if p.comp != None || all != 1 {
			return p, stack.Shape{}, 0, formatErrorf("missing %s byte counts", blockKind(p.tiled))
		}
	} else if p.counts.count < all {
		return p, stack.Shape{}, 0, formatErrorf("%d %s byte counts for %d %ss", p.counts.count, blockKind(p.tiled), all, blockKind(p.tiled))
	}
	if p.offsets.count < all {
		return p, stack.Shape{}, 0, formatErrorf("%d %s offsets for %d %ss", p.offsets.count, blockKind(p.tiled), all, blockKind(p.tiled))
	}
	return p, stack.Shape{Z: 1, Y: int(h), X: int(w)}, dt, nil
}

func blockKind(tiled bool) string {
	if tiled {
		return "tile"
	}
	return "strip"
}

// sampleType maps BitsPerSample and SampleFormat to the element type the
// samples are read as, and records on p how they are stored when that
// differs from the element type: integers of other widths than 16 and 32
// bits (packed most significant bit first in rows of whole bytes, or in
// whole bytes of the file's byte order for 24 bits) widen to the smallest
// type that holds them, int8 to int16 (stack has no int8), and float16
// to float32, all exactly.
func (p *page) sampleType(bps, format uint64) (stack.DType, error) {
	if bps == 0 || bps > 64 {
		return 0, formatErrorf("%d bits per sample", bps)
	}
	switch format {
	case sampleUint, sampleVoid:
		switch {
		case bps == 16:
			return stack.Uint16, nil
		case bps == 32:
			return stack.Uint32, nil
		case bps == 8:
			return stack.Uint8, nil
		case bps <= 8:
			p.bits = int(bps)
			return stack.Uint8, nil
		case bps <= 16:
			p.bits = int(bps)
			return stack.Uint16, nil
		case bps <= 32:
			p.bits = int(bps)
			return stack.Uint32, nil
		case bps == 64:
			return stack.Uint64, nil
		}
		return 0, unsupportedf("%d-bit unsigned samples (integers of up to 32 bits, and of 64, are read)", bps)
	case sampleInt:
		switch {
		case bps == 16:
			return stack.Int16, nil
		case bps == 32:
			return stack.Int32, nil
		case bps <= 16:
			p.bits, p.signed = int(bps), true
			return stack.Int16, nil
		case bps <= 32:
			p.bits, p.signed = int(bps), true
			return stack.Int32, nil
		case bps == 64:
			return stack.Int64, nil
		}
		return 0, unsupportedf("%d-bit signed samples (integers of up to 32 bits, and of 64, are read)", bps)
	case sampleFloat:
		switch bps {
		case 16:
			p.bits, p.half = 16, true
			return stack.Float32, nil
		case 32:
			return stack.Float32, nil
		case 64:
			return stack.Float64, nil
		case 24:
			// Photoshop's: sign, 7-bit exponent, 16-bit mantissa.
			p.bits, p.float24 = 24, true
			return stack.Float32, nil
		}
		return 0, unsupportedf("%d-bit floating-point samples (16-, 24-, 32- and 64-bit float are supported)", bps)
	}
	return 0, unsupportedf("sample format %d (%s)", format, sampleFormatName(format))
}

// sampleFormatName names a SampleFormat value.
func sampleFormatName(f uint64) string {
	switch f {
	case sampleUint, sampleVoid:
		return "unsigned"
	case sampleInt:
		return "signed"
	case sampleFloat:
		return "floating-point"
	case 5:
		return "complex integer"
	case 6:
		return "complex floating-point"
	}
	return "unknown"
}

// readSubsampling reads a YCbCr page's chroma subsampling (the TIFF
// default is 2x2; JPEG-compressed pages, refused later, are not checked).
func (p *page) readSubsampling(s *source, e *entry, comp uint64) error {
	p.subH, p.subV = 2, 2
	if e != nil {
		v, err := s.uints(e, min(e.count, 2))
		if err != nil {
			return err
		}
		if len(v) != 2 {
			return formatErrorf("YCbCrSubSampling has %d values, want 2", len(v))
		}
		p.subH, p.subV = int(v[0]), int(v[1])
	}
	if comp == 6 || comp == 7 {
		return nil
	}
	ok := func(n int) bool { return n == 1 || n == 2 || n == 4 }
	if !ok(p.subH) || !ok(p.subV) {
		return formatErrorf("YCbCrSubSampling %dx%d", p.subH, p.subV)
	}
	return nil
}

// readPhotometric keeps the first page's photometric interpretation and,
// for a palette image, its colour map.
func (r *Reader) readPhotometric(t map[uint16]*entry, p *page) error {
	r.photometric = 1
	if e := t[tagPhotometric]; e != nil {
		v, err := r.src.uint(e)
		if err != nil {
			return err
		}
		r.photometric = int(v)
	}
	if r.photometric != 3 {
		return nil
	}
	e := t[tagColorMap]
	n := uint64(1) << (8 * r.dtype.Size())
	if p.bits > 0 {
		n = 1 << p.bits
	}
	if e == nil || e.count != 3*n {
		return formatErrorf("palette image without a ColorMap of 3x%d values", n)
	}
	v, err := r.src.uints(e, 3*n)
	if err != nil {
		return err
	}
	r.colorMap = make([][3]uint16, n)
	for i := range r.colorMap {
		r.colorMap[i] = [3]uint16{uint16(v[i]), uint16(v[uint64(i)+n]), uint16(v[uint64(i)+2*n])}
	}
	return nil
}

// readMetadata fills r.meta from the first page's tags.
func (r *Reader) readMetadata(t map[uint16]*entry) error {
	s := r.src
	var desc, soft string
	var err error
	if e := t[tagImageDescription]; e != nil {
		if desc, err = s.text(e); err != nil {
			return err
		}
	}
	if e := t[tagSoftware]; e != nil {
		if soft, err = s.text(e); err != nil {
			return err
		}
	}
	var res resolution
	if e := t[tagXResolution]; e != nil {
		if res.x, err = s.rational(e); err != nil {
			return err
		}
	}
	if e := t[tagYResolution]; e != nil {
		if res.y, err = s.rational(e); err != nil {
			return err
		}
	}
	res.unit = 2
	if e := t[tagResolutionUnit]; e != nil {
		u, err := s.uint(e)
		if err != nil {
			return err
		}
		res.unit = int(u)
	}
	r.meta = buildMetadata(desc, soft, res)
	return nil
}

// expandContiguous handles ImageJ's layout for stacks over 4 GiB: one IFD,
// with the other planes stored uncompressed right after the first.
func (r *Reader) expandContiguous() {
	ij := r.meta.ImageJ
	if ij == nil || len(r.pages) != 1 || ij.Images <= 1 || r.pages[0].comp != None || r.pages[0].tiled || r.pages[0].bits > 0 || r.pages[0].reversed {
		return
	}
	p := r.pages[0]
	offs, counts, err := r.blockTable(&p)
	if err != nil {
		return
	}
	pb := uint64(r.PlaneBytes())
	rowBytes := uint64(r.shape.X * r.dtype.Size())
	pos := offs[0]
	for k := range offs {
		need := rowBytes * uint64(min(p.blockH, r.shape.Y-k*p.blockH))
		if offs[k] != pos || counts[k] < need {
			return
		}
		pos += need
	}
	hi, total := bits.Mul64(pb, uint64(ij.Images))
	if hi != 0 || offs[0] > uint64(r.src.size) || total > uint64(r.src.size)-offs[0] || ij.Images > r.opts.maxPages {
		return
	}
	r.pages = r.pages[:0]
	for i := 0; i < ij.Images; i++ {
		q := p
		q.contig = int64(offs[0] + uint64(i)*pb)
		r.pages = append(r.pages, q)
	}
}

// blockTable reads the offsets and byte counts of a page's strips or tiles
// (for a separate-planes page, those of its sample).
func (r *Reader) blockTable(p *page) (offs, counts []uint64, err error) {
	start := 0
	if p.planar {
		start = p.sample * p.blocks
	}
	if offs, err = r.src.uints(someValues(p.offsets, start, p.blocks), uint64(p.blocks)); err != nil {
		return nil, nil, err
	}
	if p.counts == nil {
		return offs, []uint64{uint64(r.PlaneBytes() * p.blockSamples())}, nil
	}
	if counts, err = r.src.uints(someValues(p.counts, start, p.blocks), uint64(p.blocks)); err != nil {
		return nil, nil, err
	}
	return offs, counts, nil
}

// someValues returns e restricted to n values from the start'th; writers
// may store more offsets than there are strips. The caller has checked
// that e holds start+n values.
func someValues(e *entry, start, n int) *entry {
	c := *e
	c.count = uint64(n)
	if start > 0 {
		skip := uint64(start) * uint64(typeSize(e.typ))
		if c.inline != nil {
			c.inline = c.inline[skip:]
		} else {
			c.off += skip
		}
	}
	return &c
}

// maxSamples bounds SamplesPerPixel; real files have at most a handful.
const maxSamples = 64

// blockSamples is the number of samples per pixel stored in each of the
// page's blocks: all of them when interleaved, one when planar.
func (p *page) blockSamples() int {
	if p.spp > 1 && !p.planar {
		return p.spp
	}
	return 1
}

// expandSamples turns each page of a multi-sample file into one plane per
// sample, the samples of a page adjacent (channel fastest), and records them
// as channels in the metadata.
func (r *Reader) expandSamples() error {
	spp := r.pages[0].spp
	if uint64(len(r.pages))*uint64(spp) > uint64(r.opts.maxPages) {
		return &LimitError{What: "page count", Size: uint64(len(r.pages)) * uint64(spp), Limit: uint64(r.opts.maxPages)}
	}
	pages := make([]page, 0, len(r.pages)*spp)
	for _, p := range r.pages {
		for s := range spp {
			q := p
			q.sample = s
			pages = append(pages, q)
		}
	}
	ifds := len(r.pages)
	r.pages = pages
	m := &r.meta
	m.Samples = spp
	nc, nz, nt := max(m.Channels, 1), max(m.Slices, 1), max(m.Frames, 1)
	order := m.DimensionOrder
	if len(order) != 5 {
		order = "XYCZT"
	}
	switch {
	case m.OME != nil && nc*nz*nt == ifds*spp && nc%spp == 0 && order[2] == 'C':
		// OME counts samples as channels already (tifffile's RGB OME-TIFF).
	case nc*nz*nt != ifds:
		// No usable hyperstack description: every page is a slice.
		m.Channels, m.Slices, m.Frames, m.DimensionOrder = spp, ifds, 1, "XYCZT"
	case nc == 1:
		m.Channels, m.DimensionOrder = spp, "XYC"+strings.Replace(order[2:], "C", "", 1)
	case order[2] == 'C':
		m.Channels = nc * spp
	default:
		return unsupportedf("%d samples per pixel in a %s stack with %d channels (channels are not the fastest axis)", spp, order, nc)
	}
	return nil
}

// readLerc checks that LERC can hold the page's samples and reads the
// LercParameters tag (version, additional compression; none when absent).
func (p *page) readLerc(s *source, t map[uint16]*entry, bps, fmtv uint64) error {
	p.lercDT = lercTypeOf(bps, fmtv)
	if p.lercDT < 0 {
		return unsupportedf("LERC compression of %d-bit %s samples (8-, 16- and 32-bit integers and 32- and 64-bit floats are read)", bps, sampleFormatName(fmtv))
	}
	if e := t[tagLercParameters]; e != nil {
		v, err := s.uints(e, 16)
		if err != nil {
			return err
		}
		if len(v) < 2 {
			return formatErrorf("LercParameters with %d values (version and additional compression)", len(v))
		}
		if v[1] > 2 {
			return unsupportedf("LERC with additional compression %d (0 none, 1 deflate and 2 zstd are read)", v[1])
		}
		p.lercAdd = int(v[1])
	}
	if e := t[tagExtraSamples]; e != nil && p.lercDT == lercByte && p.spp > 1 && !p.planar {
		v, err := s.uints(e, uint64(p.spp))
		if err != nil {
			return err
		}
		p.lercAlpha = len(v) > 0 && v[len(v)-1] == 2
	}
	return nil
}
