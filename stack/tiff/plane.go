package tiff

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"unsafe"

	"github.com/segstack/segstack/stack"
)

// Shape is the stack's extent: Z is the number of planes (pages), whatever
// their channel/slice/frame meaning; see Metadata and Channels.
func (r *Reader) Shape() stack.Shape { return r.shape }

// DType is the element type of every plane.
func (r *Reader) DType() stack.DType { return r.dtype }

// Pages is the number of planes.
func (r *Reader) Pages() int { return len(r.pages) }

// PlaneBytes is the size of one decoded plane in bytes.
func (r *Reader) PlaneBytes() int { return r.shape.Y * r.shape.X * r.dtype.Size() }

// Compression is the first page's compression.
func (r *Reader) Compression() Compression {
	if r.pages[0].comp == deflateOld {
		return Deflate
	}
	return r.pages[0].comp
}

// Predictor is the first page's predictor.
func (r *Reader) Predictor() Predictor { return r.pages[0].pred }

// BigTIFF reports whether the file is a BigTIFF.
func (r *Reader) BigTIFF() bool { return r.src.big }

// ByteOrder is the file's byte order.
func (r *Reader) ByteOrder() binary.ByteOrder { return r.src.bo }

// Tiled reports whether the first page is stored in tiles (else strips).
func (r *Reader) Tiled() bool { return r.pages[0].tiled }

// TileSize returns the tile width and length, or (width, rows per strip)
// for strips.
func (r *Reader) TileSize() (w, h int) { return r.pages[0].blockW, r.pages[0].blockH }

// Photometric is the first page's PhotometricInterpretation: 0
// WhiteIsZero, 1 BlackIsZero, 2 RGB, 3 palette, 5 separated (CMYK), 6
// YCbCr (read as stored, Y, Cb and Cr as channels).
func (r *Reader) Photometric() int { return r.photometric }

// ColorMap is the palette of a palette-colour image (Photometric 3): the
// red, green and blue of each index value, 0..65535. Planes read as the
// index values. Nil for other images.
func (r *Reader) ColorMap() [][3]uint16 { return r.colorMap }

// Bilevel reports whether the file holds 1-bit samples, read as uint8 0
// and 1 with 1 for white (WhiteIsZero files are inverted so).
func (r *Reader) Bilevel() bool { return r.pages[0].bits == 1 }

// BitsPerSample is the samples' size in bits in the file, which may be
// smaller than the element type they are read as (see Widened).
func (r *Reader) BitsPerSample() int {
	if b := r.pages[0].bits; b > 0 {
		return b
	}
	return 8 * r.dtype.Size()
}

// Widened describes the samples as the file stores them when DType is
// wider, e.g. "int8", "uint12", "int24" or "float16", and "" when the
// samples are stored as DType. Values are read exactly: integers of other
// widths than 16 and 32 bits widen to the smallest unsigned or signed type
// that holds them (int8, which stack has no type for, to int16) and
// float16 to float32.
func (r *Reader) Widened() string {
	p := &r.pages[0]
	switch {
	case p.bits == 0:
		return ""
	case p.half:
		return "float16"
	case p.float24:
		return "float24"
	case p.signed:
		return fmt.Sprintf("int%d", p.bits)
	}
	return fmt.Sprintf("uint%d", p.bits)
}

// Subsampling is a YCbCr image's chroma subsampling, horizontal and
// vertical (1, 1 for other images and unsubsampled YCbCr). Subsampled
// chroma reads replicated over the pixels it covers.
func (r *Reader) Subsampling() (h, v int) { return r.pages[0].subH, r.pages[0].subV }

// SamplesPerPixel is the first page's samples per pixel (3 for RGB); each
// sample is read as a channel, see Metadata.Samples.
func (r *Reader) SamplesPerPixel() int { return r.pages[0].spp }

// SeparatePlanes reports whether a multi-sample file stores each sample in
// blocks of its own (PlanarConfiguration 2) rather than interleaved.
func (r *Reader) SeparatePlanes() bool { return r.pages[0].planar }

// Metadata returns what the file says about its layout and pixel size.
func (r *Reader) Metadata() Metadata { return r.meta }

// Channels is the number of channels the ImageJ or OME metadata declares
// (1 when none); the channels of a plane are spread over pages, see
// Metadata.PlaneIndex.
func (r *Reader) Channels() int { return max(r.meta.Channels, 1) }

// Name is the path given to Open, or "" for NewReader.
func (r *Reader) Name() string { return r.name }

// Close releases the file opened by Open. No ReadView may be running.
func (r *Reader) Close() error {
	if r.mapped != nil {
		unmapFile(r.mapped)
		r.mapped = nil
	}
	if r.closer == nil {
		return nil
	}
	return r.closer.Close()
}

// ReadPlaneInto decodes plane i into dst as native-endian samples, row by
// row. len(dst) must be PlaneBytes(). It may be called from several
// goroutines at once.
func (r *Reader) ReadPlaneInto(i int, dst []byte) error {
	if i < 0 || i >= len(r.pages) {
		return fmt.Errorf("tiff: plane %d out of range [0, %d)", i, len(r.pages))
	}
	if len(dst) != r.PlaneBytes() {
		return fmt.Errorf("tiff: destination holds %d bytes, a plane needs %d", len(dst), r.PlaneBytes())
	}
	if err := r.readPlane(&r.pages[i], dst); err != nil {
		if r.name != "" {
			return fmt.Errorf("%s: plane %d: %w", r.name, i, err)
		}
		return fmt.Errorf("plane %d: %w", i, err)
	}
	return nil
}

// ReadPlane decodes plane i into dst, which must have Y*X elements of the
// file's element type.
func ReadPlane[T stack.Elem](r *Reader, i int, dst []T) error {
	if dt := stack.DTypeOf[T](); dt != r.dtype {
		return fmt.Errorf("tiff: file holds %s samples, destination is %s", r.dtype, dt)
	}
	return r.ReadPlaneInto(i, asBytes(dst))
}

// ReadVolume reads every plane into a new volume. It is meant for stacks
// that fit in memory; T must match the file's element type.
func ReadVolume[T stack.Elem](ctx context.Context, r *Reader) (*stack.Volume[T], error) {
	if dt := stack.DTypeOf[T](); dt != r.dtype {
		return nil, fmt.Errorf("tiff: file holds %s samples, volume is %s", r.dtype, dt)
	}
	v, err := stack.FromSlice(r.shape, make([]T, r.shape.Len()))
	if err != nil {
		return nil, err
	}
	for z := 0; z < r.shape.Z; z++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := ReadPlane(r, z, v.Plane(z)); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// ReadFile opens path and reads the whole stack into a volume of type T.
func ReadFile[T stack.Elem](ctx context.Context, path string, opts ...Option) (*stack.Volume[T], error) {
	r, err := Open(path, opts...)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return ReadVolume[T](ctx, r)
}

// asBytes views a slice of samples as bytes.
func asBytes[T stack.Elem](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	var z T
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(z)))
}

func (r *Reader) getScratch(n int) *[]byte {
	if v := r.scratch.Get(); v != nil {
		b := v.(*[]byte)
		if cap(*b) >= n {
			*b = (*b)[:n]
			return b
		}
	}
	b := make([]byte, n)
	return &b
}

// stripRun returns the run of uncompressed strips from strip k on that lie
// back to back in the file: its file offset, its bytes of plane data, and
// the first strip after it. A strip shorter than its rows is a FormatError.
func (r *Reader) stripRun(p *page, offs, counts []uint64, k int) (pos uint64, n, next int, err error) {
	rowBytes := r.shape.X * r.dtype.Size()
	pos = offs[k]
	for ; k < p.blocks && offs[k] == pos+uint64(n); k++ {
		need := min(p.blockH, r.shape.Y-k*p.blockH) * rowBytes
		if counts[k] < uint64(need) {
			return 0, 0, 0, formatErrorf("strip %d holds %d bytes, want %d", k, counts[k], need)
		}
		n += need
	}
	return pos, n, k, nil
}

// readPlane decodes one page into dst (len = PlaneBytes).
func (r *Reader) readPlane(p *page, dst []byte) error {
	size := r.dtype.Size()
	swap := size > 1 && (r.src.bo == binary.BigEndian) == nativeLE
	if p.contig >= 0 {
		if err := r.src.readAt(dst, uint64(p.contig), "plane data"); err != nil {
			return err
		}
		if swap {
			swapBytes(dst, size)
		}
		return nil
	}
	offs, counts, err := r.blockTable(p)
	if err != nil {
		return err
	}
	W, H := r.shape.X, r.shape.Y
	rowBytes := W * size

	ns := p.blockSamples()
	if !p.tiled && p.comp == None && ns == 1 && p.bits == 0 && !p.reversed && !sparse(offs, counts) {
		// Uncompressed strips: read runs of adjacent strips with one ReadAt
		// each, straight into dst; usually the whole plane is one run.
		for k := 0; k < p.blocks; {
			start := k * p.blockH * rowBytes
			pos, n, next, err := r.stripRun(p, offs, counts, k)
			if err != nil {
				return err
			}
			if err := r.src.readAt(dst[start:start+n], pos, "strip data"); err != nil {
				return err
			}
			k = next
		}
		if swap {
			swapBytes(dst, size)
		}
		return nil
	}

	var raw *[]byte
	defer func() {
		if raw != nil {
			r.scratch.Put(raw)
		}
	}()
	// Tiles, strips of interleaved samples and samples stored otherwise
	// than as the element type are decoded into blk and copied into dst
	// from there; other strips are decoded in place.
	sub := p.subH * p.subV
	viaBlock := p.tiled || ns > 1 || p.bits > 0
	// psize is the size of the file's samples for the predictor and byte
	// swapping, 0 for packed samples (which have neither).
	psize := size
	if p.bits > 0 {
		psize = 0
		if p.bits == 8 || p.bits == 16 {
			psize = p.bits / 8
		}
	}
	fileBE := r.src.bo == binary.BigEndian
	if p.bits == 16 {
		swap = fileBE == nativeLE
	}
	// blockRow is the bytes of one decoded row of a block.
	blockRow := func(bw int) int {
		if p.bits > 0 {
			return (bw*ns*p.bits + 7) / 8
		}
		return bw * size * ns
	}
	blk := new([]byte)
	if viaBlock {
		blk = r.getScratch(blockRow(p.blockW) * p.blockH)
		defer r.scratch.Put(blk)
	}
	// Subsampled YCbCr blocks decode into units and are expanded into blk.
	units := new([]byte)
	if sub > 1 {
		units = r.getScratch(ycbcrUnitsBytes(p.blockW, p.blockH, p.subH, p.subV))
		defer r.scratch.Put(units)
	}
	tmp := r.getScratch(max(p.blockW*size*ns, 1))
	defer r.scratch.Put(tmp)

	for k := 0; k < p.blocks; k++ {
		x0, y0, bw, bh := 0, k*p.blockH, W, min(p.blockH, H-k*p.blockH)
		if p.tiled {
			x0, y0 = (k%p.across)*p.blockW, (k/p.across)*p.blockH
			bw, bh = p.blockW, p.blockH
		}
		if counts[k] == 0 && offs[k] == 0 {
			// A sparse file's missing block reads as zeros.
			for y := y0; y < min(y0+bh, H); y++ {
				clear(dst[y*rowBytes+x0*size : y*rowBytes+min(x0+bw, W)*size])
			}
			continue
		}
		if counts[k] > uint64(r.src.size) {
			return formatErrorf("%s %d claims %d bytes, more than the file", blockKind(p.tiled), k, counts[k])
		}
		if raw == nil || cap(*raw) < int(counts[k]) {
			if raw != nil {
				r.scratch.Put(raw)
			}
			raw = r.getScratch(int(counts[k]))
		}
		in := (*raw)[:counts[k]]
		if err := r.src.readAt(in, offs[k], blockKind(p.tiled)+" data"); err != nil {
			return err
		}
		if p.reversed {
			for i, b := range in {
				in[i] = bits.Reverse8(b)
			}
		}
		var out []byte
		switch {
		case sub > 1:
			out = (*units)[:ycbcrUnitsBytes(bw, bh, p.subH, p.subV)]
		case viaBlock:
			out = (*blk)[:blockRow(bw)*bh]
		default:
			out = dst[y0*rowBytes : (y0+bh)*rowBytes]
		}
		var err error
		switch p.comp {
		case compNeXT:
			_, err = nextDecode(in, out, bw, blockRow(bw))
		case compThunder:
			_, err = thunderDecode(in, out, bw, blockRow(bw))
		case compJBIG:
			err = jbigDecode(in, out, bw, bh)
		case compLERC:
			err = lercDecode(in, out, lercSegment{w: bw, h: bh, samples: ns, dt: p.lercDT, add: p.lercAdd, alpha: p.lercAlpha})
		case compPixarLog:
			err = pixarLogDecode(in, out, bw, ns, size, r.src.bo)
		default:
			err = decompress(p.comp, in, out)
		}
		if err != nil {
			return fmt.Errorf("%s %d: %w", blockKind(p.tiled), k, err)
		}
		if sub > 1 {
			u := out
			out = (*blk)[:blockRow(bw)*bh]
			expandYCbCr(out, u, bw, bh, p.subH, p.subV)
		}
		switch {
		case psize == 0:
		case p.pred == FloatingPoint:
			undoFloat(out, *tmp, bw*ns, psize, ns)
		case p.pred == Horizontal:
			if swap {
				swapBytes(out, psize)
			}
			undoHorizontal(out, bw*ns, psize, ns)
		default:
			if swap {
				swapBytes(out, psize)
			}
		}
		if !viaBlock || y0 >= H {
			continue
		}
		cw := min(bw, W-x0)
		for y := y0; y < min(y0+bh, H); y++ {
			d := dst[y*rowBytes+x0*size : y*rowBytes+(x0+cw)*size]
			src := out[(y-y0)*blockRow(bw):]
			if p.bits > 0 {
				s := 0
				if ns > 1 {
					s = p.sample
				}
				p.convertRow(d, src, cw, ns, s, r.dtype, fileBE)
				continue
			}
			if ns == 1 {
				copy(d, src)
				continue
			}
			pick(d, src, size, ns, p.sample)
		}
	}
	return nil
}

// convertRow writes n samples, sample s of each pixel of ns samples stored
// as p describes in src, into d as native-endian samples of type dt.
// bigEndian is the file's byte order, which matters for 24-bit samples
// only: packed samples are a big-endian bit stream in either order, and
// 8- and 16-bit ones are in native order by now.
func (p *page) convertRow(d, src []byte, n, ns, s int, dt stack.DType, bigEndian bool) {
	ne := binary.NativeEndian
	var shift uint
	if p.signed {
		shift = uint(64 - p.bits)
	}
	for x := range n {
		i := x*ns + s
		var v uint64
		switch {
		case p.half:
			v = uint64(halfToFloat32(ne.Uint16(src[2*i:])))
		case p.bits == 8:
			v = uint64(src[i])
		case p.bits == 16:
			v = uint64(ne.Uint16(src[2*i:]))
		case p.bits == 24:
			b := src[3*i : 3*i+3]
			if bigEndian {
				v = uint64(b[0])<<16 | uint64(b[1])<<8 | uint64(b[2])
			} else {
				v = uint64(b[2])<<16 | uint64(b[1])<<8 | uint64(b[0])
			}
		default:
			v = bitsAt(src, i*p.bits, p.bits)
		}
		if p.float24 {
			v = uint64(float24ToFloat32(uint32(v)))
		}
		if p.signed {
			v = uint64(int64(v<<shift) >> shift)
		}
		if p.invert {
			v ^= 1
		}
		switch dt {
		case stack.Uint8:
			d[x] = byte(v)
		case stack.Uint16, stack.Int16:
			ne.PutUint16(d[2*x:], uint16(v))
		case stack.Uint32, stack.Int32, stack.Float32:
			ne.PutUint32(d[4*x:], uint32(v))
		}
	}
}

// bitsAt returns the n bits (at most 32) of the big-endian bit stream b
// starting at bit off.
func bitsAt(b []byte, off, n int) uint64 {
	var v uint64
	first, last := off>>3, (off+n-1)>>3
	for _, c := range b[first : last+1] {
		v = v<<8 | uint64(c)
	}
	end := (last + 1) * 8
	return (v >> uint(end-(off+n))) & (1<<uint(n) - 1)
}

// halfToFloat32 converts an IEEE 754 binary16 value to the bits of the
// float32 of the same value, exactly (subnormals, infinities and NaN
// payloads included).
func halfToFloat32(h uint16) uint32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	man := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f:
		return sign | 0xff<<23 | man<<13
	case exp != 0:
		return sign | (exp+127-15)<<23 | man<<13
	case man == 0:
		return sign
	}
	// Subnormal: normalise the mantissa.
	e := uint32(127 - 15 + 1)
	for man&0x400 == 0 {
		man <<= 1
		e--
	}
	return sign | e<<23 | (man&0x3ff)<<13
}

// ycbcrUnitsBytes is the size of a w x h block of 8-bit YCbCr stored in
// data units of sh x sv luma samples followed by one Cb and one Cr, as
// the TIFF specification lays subsampled YCbCr out (partial units at the
// right and bottom edges are stored whole).
func ycbcrUnitsBytes(w, h, sh, sv int) int {
	return ((w + sh - 1) / sh) * ((h + sv - 1) / sv) * (sh*sv + 2)
}

// expandYCbCr writes the w x h pixels of the data units in u into out as
// interleaved Y, Cb, Cr bytes, each unit's chroma replicated over its
// pixels.
func expandYCbCr(out, u []byte, w, h, sh, sv int) {
	unit := sh*sv + 2
	across := (w + sh - 1) / sh
	for uy := 0; uy*sv < h; uy++ {
		for ux := range across {
			d := u[(uy*across+ux)*unit:]
			cb, cr := d[sh*sv], d[sh*sv+1]
			for j := range sv {
				y := uy*sv + j
				if y >= h {
					break
				}
				for i := range sh {
					x := ux*sh + i
					if x >= w {
						break
					}
					o := 3 * (y*w + x)
					out[o], out[o+1], out[o+2] = d[j*sh+i], cb, cr
				}
			}
		}
	}
}

// pick copies sample s of each interleaved pixel of src (ns samples of size
// bytes each) into d, one sample per pixel.
func pick(d, src []byte, size, ns, s int) {
	stride := size * ns
	src = src[s*size:]
	switch size {
	case 1:
		for i := range d {
			d[i] = src[i*stride]
		}
	default:
		for i := 0; i < len(d); i += size {
			copy(d[i:i+size], src[(i/size)*stride:])
		}
	}
}

// WriterOptions returns options that write a stack like this one: same
// shape, type, compression, predictor, tiling and physical metadata. The
// caller may change any field before Create.
func (r *Reader) WriterOptions() WriterOptions {
	md := r.meta
	o := WriterOptions{
		Shape: r.shape, DType: r.dtype, Compression: r.Compression(), Predictor: r.Predictor(),
		PixelSizeX: md.PixelSizeX, PixelSizeY: md.PixelSizeY, SpacingZ: md.PixelSizeZ, Unit: md.Unit,
		ColorMap: r.colorMap,
	}
	if o.Compression != None && o.Compression != LZW && o.Compression != Deflate && o.Compression != PackBits {
		o.Compression = Deflate // zstd and LZMA are read, not written
	}
	if o.Predictor == Horizontal && o.DType.IsFloat() || o.Predictor == FloatingPoint && !o.DType.IsFloat() {
		o.Predictor = NoPredictor
	}
	if r.Tiled() {
		if tw, th := r.TileSize(); tw == th && tw%16 == 0 {
			o.Tile = tw
		}
	}
	if c, f := max(md.Channels, 1), max(md.Frames, 1); r.shape.Z%(c*f) == 0 && (md.DimensionOrder == "" || md.DimensionOrder == "XYCZT") {
		o.Channels, o.Frames = c, f
	}
	return o
}

// sparse reports whether some block is missing (offset and count 0), as
// sparse files written by some tools have.
func sparse(offs, counts []uint64) bool {
	for k := range offs {
		if offs[k] == 0 && counts[k] == 0 {
			return true
		}
	}
	return false
}

// float24ToFloat32 converts a 24-bit float (sign, 7-bit exponent biased
// by 63, 16-bit mantissa) to the bits of the float32 of the same value,
// exactly: subnormals become normal float32s, infinities stay infinite;
// a NaN becomes the quiet NaN of its sign, as imagecodecs decodes it.
func float24ToFloat32(f uint32) uint32 {
	sign := (f >> 23 & 1) << 31
	e := f >> 16 & 0x7f
	m := f & 0xffff
	switch e {
	case 0:
		if m == 0 {
			return sign
		}
		return sign | math.Float32bits(float32(m)*0x1p-78)
	case 0x7f:
		if m != 0 {
			return sign | 0x7fc00000
		}
		return sign | 0x7f800000
	}
	return sign | (e-63+127)<<23 | m<<7
}
