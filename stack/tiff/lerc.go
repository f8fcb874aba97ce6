package tiff

import (
	"bytes"
	"encoding/binary"
	"io"
	"math"

	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"
)

// LERC (TIFF code 34887) holds each strip or tile as one or more LERC2
// blobs, Esri's Limited Error Raster Compression, optionally deflated or
// zstd-compressed as a whole (the second value of the LercParameters tag,
// 50674). A blob holds a header (the dimensions, the data type, the
// largest error allowed, the range of the values, a Fletcher-32 checksum
// from version 3 on), a run-length-coded mask of the valid pixels, and
// the values: constant, raw, Huffman-coded (8-bit integers, lossless), or
// in micro-blocks ("tiles") each constant, raw or quantized as
// offset + q*2*MaxZError with the q bit-stuffed, directly or through a
// table of the block's distinct values; version 6 adds a lossless coding
// of floats by byte planes. Versions 2 to 6 of the blob are read (libtiff
// writes 4); version 6's no-data values within pixels of several values,
// on which libtiff fails, are refused.
//
// The decoded values follow libtiff: they are taken as samples in the
// file's byte order (libtiff swaps them for big-endian files after
// decoding, as it swapped them before coding); invalid pixels read as
// NaN for floats, and as 0 otherwise; an 8-bit image with unassociated
// alpha as its last sample may store the alpha as the mask (alpha 0 or
// 255); floats of several samples may be coded as one blob per sample.
const compLERC Compression = 34887

// tagLercParameters holds the blob version and the additional compression.
const tagLercParameters = 50674

// Data types of LERC2.
const (
	lercChar = iota
	lercByte
	lercShort
	lercUShort
	lercInt
	lercUInt
	lercFloat
	lercDouble
)

var lercTypeSize = [8]int{1, 1, 2, 2, 4, 4, 4, 8}

// lercTypeOf returns the LERC2 data type of samples of bps bits and
// sample format fmtv, or -1 when LERC cannot code them (libtiff takes no
// other combination, untyped samples included).
func lercTypeOf(bps, fmtv uint64) int {
	switch {
	case bps == 8 && fmtv == sampleInt:
		return lercChar
	case bps == 8 && fmtv == sampleUint:
		return lercByte
	case bps == 16 && fmtv == sampleInt:
		return lercShort
	case bps == 16 && fmtv == sampleUint:
		return lercUShort
	case bps == 32 && fmtv == sampleInt:
		return lercInt
	case bps == 32 && fmtv == sampleUint:
		return lercUInt
	case bps == 32 && fmtv == sampleFloat:
		return lercFloat
	case bps == 64 && fmtv == sampleFloat:
		return lercDouble
	}
	return -1
}

// lercSegment is what a strip or tile must decode to.
type lercSegment struct {
	w, h, samples int
	dt            int
	add           int  // 0 none, 1 deflate, 2 zstd
	alpha         bool // 8-bit, last sample unassociated alpha
}

// lercDecode decodes the LERC data of one strip or tile into out, w*h
// pixels of samples values each, little-endian.
func lercDecode(src, out []byte, seg lercSegment) error {
	size := seg.w * seg.h * seg.samples * lercTypeSize[seg.dt]
	if len(out) != size {
		return formatErrorf("lerc: %d bytes for a %dx%d block", len(out), seg.w, seg.h)
	}
	data := src
	// libtiff inflates into a buffer of this size; more is an error there.
	limit := 256 + size + size/3
	switch seg.add {
	case 0:
	case 1:
		zr, err := zlib.NewReader(bytes.NewReader(src))
		if err != nil {
			return formatErrorf("lerc: deflate: %v", err)
		}
		if data, err = io.ReadAll(io.LimitReader(zr, int64(limit)+1)); err != nil {
			return formatErrorf("lerc: deflate: %v", err)
		}
	case 2:
		zr, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(uint64(limit)+1),
			zstd.WithDecoderMaxWindow(zstdMaxWindow))
		if err != nil {
			return formatErrorf("lerc: zstd: %v", err)
		}
		data, err = zr.DecodeAll(src, nil)
		zr.Close()
		if err != nil {
			return formatErrorf("lerc: zstd: %v", err)
		}
	default:
		return unsupportedf("lerc: additional compression %d (0 none, 1 deflate and 2 zstd are read)", seg.add)
	}
	if len(data) > limit {
		return formatErrorf("lerc: %d bytes of LERC data for a %d-byte block", len(data), size)
	}

	// The blobs, one per band.
	var blobs []lercHeader
	for pos := 0; pos < len(data); {
		h, err := lercReadHeader(data[pos:])
		if err != nil {
			if len(blobs) > 0 {
				return formatErrorf("lerc: %d bytes after the blobs that are not one", len(data)-pos)
			}
			return err
		}
		if h.blobSize > len(data)-pos {
			return formatErrorf("lerc: blob of %d bytes in %d", h.blobSize, len(data)-pos)
		}
		h.data = data[pos : pos+h.blobSize]
		blobs = append(blobs, h)
		pos += h.blobSize
	}
	if len(blobs) == 0 {
		return FormatError("lerc: no data")
	}
	b0 := blobs[0]
	if b0.dt != seg.dt {
		return formatErrorf("lerc: data type %d where the tags give %d", b0.dt, seg.dt)
	}
	if b0.nCols != seg.w || b0.nRows != seg.h {
		return formatErrorf("lerc: blob of %dx%d pixels for a %dx%d block", b0.nCols, b0.nRows, seg.w, seg.h)
	}
	float := seg.dt >= lercFloat
	alpha := seg.alpha && seg.samples > 1 && b0.nDepth == seg.samples-1
	multi := float && seg.samples > 1 && b0.nDepth == 1
	switch {
	case alpha || multi:
	case b0.nDepth != seg.samples:
		return formatErrorf("lerc: %d values a pixel for %d samples", b0.nDepth, seg.samples)
	}
	if multi != (len(blobs) > 1) || multi && len(blobs) != seg.samples {
		return formatErrorf("lerc: %d bands for %d samples", len(blobs), seg.samples)
	}
	// Which bands have masks of their own, as libtiff asks liblerc.
	masks := 0
	if b0.maskBytes > 0 || b0.numValid == 0 {
		masks = 1
	}
	for _, b := range blobs[1:] {
		if b.dt != b0.dt || b.nCols != b0.nCols || b.nRows != b0.nRows || b.nDepth != b0.nDepth {
			return FormatError("lerc: bands of different shapes or types")
		}
		if b.maskBytes > 0 || b.numValid != b0.numValid {
			masks = 2
		}
	}
	if !float && !alpha && masks > 0 {
		return UnsupportedError("lerc: a mask of valid pixels on integer samples (libtiff reads such masks only as 8-bit alpha)")
	}
	if multi && masks == 1 {
		return formatErrorf("lerc: one mask for %d bands (libtiff reads none or one per band)", len(blobs))
	}

	npix := seg.w * seg.h
	ts := lercTypeSize[seg.dt]
	var mask []byte // the previous band's, which a band may reuse
	if !multi {
		d := lercDecoder{lercHeader: b0}
		band := out
		if alpha {
			band = make([]byte, npix*b0.nDepth*ts)
		}
		if err := d.decode(band, &mask); err != nil {
			return err
		}
		switch {
		case alpha:
			ns := seg.samples
			for i := range npix {
				copy(out[i*ns:i*ns+ns-1], band[i*(ns-1):(i+1)*(ns-1)])
				out[i*ns+ns-1] = 255 * (mask[i>>3] >> (7 - i&7) & 1)
			}
		case float && d.hasMask:
			for i := range npix {
				if mask[i>>3]>>(7-i&7)&1 == 0 {
					for s := range seg.samples {
						lercPutNaN(out[(i*seg.samples+s)*ts:], ts)
					}
				}
			}
		}
		return nil
	}
	band := make([]byte, npix*ts)
	for s, b := range blobs {
		d := lercDecoder{lercHeader: b}
		if err := d.decode(band, &mask); err != nil {
			return err
		}
		for i := range npix {
			o := out[(i*seg.samples+s)*ts:][:ts]
			if masks > 0 && mask[i>>3]>>(7-i&7)&1 == 0 {
				lercPutNaN(o, ts)
				continue
			}
			copy(o, band[i*ts:])
		}
	}
	return nil
}

// lercPutNaN writes the NaN libtiff writes for invalid pixels (float32's
// quiet NaN, widened for float64).
func lercPutNaN(b []byte, ts int) {
	if ts == 4 {
		binary.LittleEndian.PutUint32(b, 0x7fc00000)
	} else {
		binary.LittleEndian.PutUint64(b, 0x7ff8000000000000)
	}
}

// lercHeader is a blob's header.
type lercHeader struct {
	version, checksum                      int
	nRows, nCols, nDepth, numValid, mbSize int
	blobSize, dt                           int
	noData                                 bool
	maxZError, zMin, zMax                  float64
	maskBytes                              int
	body                                   int // offset of the mask
	data                                   []byte
}

func lercReadHeader(b []byte) (lercHeader, error) {
	var h lercHeader
	le := binary.LittleEndian
	if len(b) < 10 || string(b[:6]) != "Lerc2 " {
		if len(b) >= 10 && string(b[:10]) == "CntZImage " {
			return h, UnsupportedError("lerc: LERC1 blobs (LERC2 is read)")
		}
		return h, FormatError("lerc: not a LERC2 blob")
	}
	h.version = int(int32(le.Uint32(b[6:])))
	if h.version < 2 || h.version > 6 {
		return h, unsupportedf("lerc: blob version %d (2 to 6 are read)", h.version)
	}
	pos := 10
	if h.version >= 3 {
		pos += 4
	}
	nInts, nBytes, nDbls := 6, 0, 3
	if h.version >= 4 {
		nInts++
	}
	if h.version >= 6 {
		nInts, nBytes, nDbls = nInts+1, 4, 5
	}
	need := pos + 4*nInts + nBytes + 8*nDbls + 4
	if len(b) < need {
		return h, formatErrorf("lerc: truncated header (%d bytes of %d)", len(b), need)
	}
	if h.version >= 3 {
		h.checksum = int(le.Uint32(b[10:]))
	}
	ints := make([]int, nInts)
	for i := range ints {
		ints[i] = int(int32(le.Uint32(b[pos:])))
		pos += 4
	}
	h.nRows, h.nCols = ints[0], ints[1]
	i := 2
	h.nDepth = 1
	if h.version >= 4 {
		h.nDepth = ints[i]
		i++
	}
	h.numValid, h.mbSize, h.blobSize, h.dt = ints[i], ints[i+1], ints[i+2], ints[i+3]
	if h.version >= 6 {
		h.noData = b[pos] != 0 // bPassNoDataValues
	}
	pos += nBytes
	h.maxZError = math.Float64frombits(le.Uint64(b[pos:]))
	h.zMin = math.Float64frombits(le.Uint64(b[pos+8:]))
	h.zMax = math.Float64frombits(le.Uint64(b[pos+16:]))
	pos += 8 * nDbls
	h.maskBytes = int(int32(le.Uint32(b[pos:])))
	h.body = pos
	switch {
	case h.dt < lercChar || h.dt > lercDouble:
		return h, formatErrorf("lerc: data type %d", h.dt)
	case h.nRows <= 0 || h.nCols <= 0 || h.nDepth <= 0 || h.mbSize <= 0 || h.numValid < 0:
		return h, formatErrorf("lerc: header of %dx%dx%d pixels, blocks of %d, %d valid", h.nRows, h.nCols, h.nDepth, h.mbSize, h.numValid)
	case int64(h.nRows)*int64(h.nCols) > 1<<31 || h.numValid > h.nRows*h.nCols:
		return h, formatErrorf("lerc: %d valid pixels of %dx%d", h.numValid, h.nCols, h.nRows)
	case h.blobSize < need:
		return h, formatErrorf("lerc: blob size %d", h.blobSize)
	}
	return h, nil
}

// lercFletcher32 is LERC2's checksum: Fletcher's over big-endian 16-bit
// words, a last odd byte as the high half of a word.
func lercFletcher32(b []byte) uint32 {
	sum1, sum2 := uint32(0xffff), uint32(0xffff)
	for len(b) >= 2 {
		n := min(len(b)/2, 359)
		for range n {
			sum1 += uint32(b[0])<<8 | uint32(b[1])
			sum2 += sum1
			b = b[2:]
		}
		sum1 = sum1&0xffff + sum1>>16
		sum2 = sum2&0xffff + sum2>>16
	}
	if len(b) == 1 {
		sum1 += uint32(b[0]) << 8
		sum2 += sum1
	}
	sum1 = sum1&0xffff + sum1>>16
	sum2 = sum2&0xffff + sum2>>16
	return sum2<<16 | sum1
}

// lercDecoder decodes one blob.
type lercDecoder struct {
	lercHeader
	out     []byte // nRows*nCols*nDepth values, little-endian
	mask    []byte // valid pixels, most significant bit first
	hasMask bool   // some pixels are invalid
	zMinV   []float64
	zMaxV   []float64
	p       []byte // what is left to read
}

var errLercTruncated = FormatError("lerc: truncated blob")

func (d *lercDecoder) take(n int) ([]byte, error) {
	if n < 0 || n > len(d.p) {
		return nil, errLercTruncated
	}
	b := d.p[:n]
	d.p = d.p[n:]
	return b, nil
}

func (d *lercDecoder) valid(k int) bool { return d.mask[k>>3]>>(7-k&7)&1 != 0 }

func (d *lercDecoder) get(m int) float64 {
	le := binary.LittleEndian
	b := d.out[m*lercTypeSize[d.dt]:]
	switch d.dt {
	case lercChar:
		return float64(int8(b[0]))
	case lercByte:
		return float64(b[0])
	case lercShort:
		return float64(int16(le.Uint16(b)))
	case lercUShort:
		return float64(le.Uint16(b))
	case lercInt:
		return float64(int32(le.Uint32(b)))
	case lercUInt:
		return float64(le.Uint32(b))
	case lercFloat:
		return float64(math.Float32frombits(le.Uint32(b)))
	}
	return math.Float64frombits(le.Uint64(b))
}

// set stores z converted to the data type as C converts a double.
func (d *lercDecoder) set(m int, z float64) {
	le := binary.LittleEndian
	b := d.out[m*lercTypeSize[d.dt]:]
	switch d.dt {
	case lercChar:
		b[0] = byte(int8(z))
	case lercByte:
		b[0] = uint8(z)
	case lercShort:
		le.PutUint16(b, uint16(int16(z)))
	case lercUShort:
		le.PutUint16(b, uint16(z))
	case lercInt:
		le.PutUint32(b, uint32(int32(z)))
	case lercUInt:
		le.PutUint32(b, uint32(z))
	case lercFloat:
		le.PutUint32(b, math.Float32bits(float32(z)))
	default:
		le.PutUint64(b, math.Float64bits(z))
	}
}

// decode decodes the blob into out. *mask is the previous band's mask on
// entry (nil for none) and this band's on return.
func (d *lercDecoder) decode(out []byte, mask *[]byte) error {
	if d.version >= 3 && lercFletcher32(d.data[14:]) != uint32(d.checksum) {
		return FormatError("lerc: checksum mismatch")
	}
	if d.noData && d.nDepth > 1 {
		return unsupportedf("lerc: no-data values within pixels of %d values", d.nDepth)
	}
	d.out = out
	clear(out)
	npix := d.nRows * d.nCols
	d.p = d.data[d.body+4:]
	switch {
	case d.numValid == 0 || d.numValid == npix:
		if d.maskBytes != 0 {
			return FormatError("lerc: a mask where all pixels or none are valid")
		}
		d.mask = make([]byte, (npix+7)/8)
		if d.numValid == npix {
			for i := range d.mask {
				d.mask[i] = 0xff
			}
		}
	case d.maskBytes > 0:
		rle, err := d.take(d.maskBytes)
		if err != nil {
			return err
		}
		if d.mask, err = lercUnRLE(rle, (npix+7)/8); err != nil {
			return err
		}
	case *mask != nil && len(*mask) == (npix+7)/8:
		d.mask = *mask
	default:
		return FormatError("lerc: no mask for a blob with invalid pixels")
	}
	d.hasMask = d.numValid < npix
	*mask = d.mask
	if d.numValid == 0 {
		return nil
	}
	if d.zMin == d.zMax {
		return d.fillConst(nil)
	}
	if d.version >= 4 {
		ts := lercTypeSize[d.dt]
		b, err := d.take(2 * d.nDepth * ts)
		if err != nil {
			return err
		}
		d.zMinV, d.zMaxV = make([]float64, d.nDepth), make([]float64, d.nDepth)
		tmp := lercDecoder{lercHeader: lercHeader{dt: d.dt}, out: b}
		equal := true
		for i := range d.nDepth {
			d.zMinV[i], d.zMaxV[i] = tmp.get(i), tmp.get(d.nDepth+i)
			equal = equal && d.zMinV[i] == d.zMaxV[i]
		}
		if equal {
			return d.fillConst(d.zMinV)
		}
	}
	flag, err := d.take(1)
	if err != nil {
		return err
	}
	if flag[0] != 0 {
		return d.oneSweep()
	}
	intHuffman := (d.dt == lercChar || d.dt == lercByte) && d.maxZError == 0.5
	fltHuffman := d.version >= 6 && d.dt >= lercFloat && d.maxZError == 0
	if intHuffman || fltHuffman {
		m, err := d.take(1)
		if err != nil {
			return err
		}
		mode := m[0]
		if mode > 3 || mode > 2 && d.version < 6 || mode > 1 && d.version < 4 {
			return formatErrorf("lerc: coding mode %d in a version %d blob", mode, d.version)
		}
		switch {
		case mode == 0:
		case intHuffman && (mode == 1 || mode == 2):
			return d.huffman(mode == 1)
		case fltHuffman && mode == 3:
			return d.fpl()
		default:
			return formatErrorf("lerc: coding mode %d for data type %d", mode, d.dt)
		}
	}
	return d.tiles()
}

func (d *lercDecoder) fillConst(perDepth []float64) error {
	for k := range d.nRows * d.nCols {
		if !d.valid(k) {
			continue
		}
		for i := range d.nDepth {
			z := d.zMin
			if perDepth != nil {
				z = perDepth[i]
			}
			d.set(k*d.nDepth+i, z)
		}
	}
	return nil
}

func (d *lercDecoder) oneSweep() error {
	n := d.nDepth * lercTypeSize[d.dt]
	for k := range d.nRows * d.nCols {
		if d.valid(k) {
			b, err := d.take(n)
			if err != nil {
				return err
			}
			copy(d.out[k*n:], b)
		}
	}
	return nil
}

// lercUnRLE expands LERC's run-length code: little-endian int16 counts,
// positive for that many literal bytes, otherwise a byte repeated -count
// times, -32768 ending the data.
func lercUnRLE(src []byte, n int) ([]byte, error) {
	dst := make([]byte, 0, n)
	for {
		if len(src) < 2 {
			return nil, FormatError("lerc: truncated mask")
		}
		c := int(int16(binary.LittleEndian.Uint16(src)))
		src = src[2:]
		if c == -32768 {
			break
		}
		k := c
		if c <= 0 {
			k = -c
		}
		if len(dst)+k > n {
			return nil, FormatError("lerc: mask longer than the image")
		}
		if c > 0 {
			if len(src) < c {
				return nil, FormatError("lerc: truncated mask")
			}
			dst = append(dst, src[:c]...)
			src = src[c:]
		} else {
			if len(src) < 1 {
				return nil, FormatError("lerc: truncated mask")
			}
			for range k {
				dst = append(dst, src[0])
			}
			src = src[1:]
		}
	}
	return dst[:n], nil
}

// lercTypeUsed is the type a tile's offset is stored as, given the data
// type and the reduction code of the tile's header byte.
func lercTypeUsed(dt, tc int) int {
	r := dt
	switch dt {
	case lercShort, lercInt:
		r = dt - tc
	case lercUShort, lercUInt:
		r = dt - 2*tc
	case lercFloat:
		r = [4]int{lercFloat, lercShort, lercByte, lercByte}[tc]
	case lercDouble:
		if tc > 0 {
			r = dt - 2*tc + 1
		}
	}
	if r < lercChar || r > lercDouble {
		return -1
	}
	return r
}

func (d *lercDecoder) tiles() error {
	if d.mbSize > 32 {
		return formatErrorf("lerc: micro-blocks of %d pixels", d.mbSize)
	}
	mb := d.mbSize
	var q []uint32
	for i0 := 0; i0 < d.nRows; i0 += mb {
		i1 := min(i0+mb, d.nRows)
		for j0 := 0; j0 < d.nCols; j0 += mb {
			j1 := min(j0+mb, d.nCols)
			for depth := range d.nDepth {
				var err error
				if q, err = d.tile(i0, i1, j0, j1, depth, q); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (d *lercDecoder) tile(i0, i1, j0, j1, depth int, q []uint32) ([]uint32, error) {
	h, err := d.take(1)
	if err != nil {
		return q, err
	}
	flag := int(h[0])
	diff := d.version >= 5 && flag&4 != 0
	pattern := 15
	if d.version >= 5 {
		pattern = 14
	}
	if (flag>>2)&pattern != (j0>>3)&pattern {
		return q, formatErrorf("lerc: damaged micro-block at row %d, column %d", i0, j0)
	}
	if diff && depth == 0 {
		return q, FormatError("lerc: first value of a pixel coded as a difference")
	}
	nc, nd := d.nCols, d.nDepth
	each := func(f func(m int) error) error {
		for i := i0; i < i1; i++ {
			for j := j0; j < j1; j++ {
				if k := i*nc + j; d.valid(k) {
					if err := f(k*nd + depth); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}
	switch flag & 3 {
	case 2: // all valid pixels 0 (or equal to the previous value)
		return q, each(func(m int) error {
			if diff {
				d.set(m, d.get(m-1))
			} else {
				d.set(m, 0)
			}
			return nil
		})
	case 0: // raw values
		if diff {
			return q, FormatError("lerc: raw micro-block coded as a difference")
		}
		ts := lercTypeSize[d.dt]
		return q, each(func(m int) error {
			b, err := d.take(ts)
			copy(d.out[m*ts:], b)
			return err
		})
	}
	base := d.dt
	if diff && d.dt < lercFloat {
		base = lercInt
	}
	used := lercTypeUsed(base, flag>>6)
	if used < 0 {
		return q, formatErrorf("lerc: micro-block offset type code %d", flag>>6)
	}
	ob, err := d.take(lercTypeSize[used])
	if err != nil {
		return q, err
	}
	offset := (&lercDecoder{lercHeader: lercHeader{dt: used}, out: ob}).get(0)
	zMax := d.zMax
	if d.version >= 4 && nd > 1 {
		zMax = d.zMaxV[depth]
	}
	if flag&3 == 3 { // all valid pixels equal to the offset
		return q, each(func(m int) error {
			if diff {
				d.set(m, min(offset+d.get(m-1), zMax))
			} else {
				d.set(m, offset)
			}
			return nil
		})
	}
	count := (i1 - i0) * (j1 - j0)
	if q, err = d.unstuff(q, count); err != nil {
		return q, err
	}
	scale := 2 * d.maxZError
	put := func(m int, v uint32) {
		z := offset + float64(v)*scale
		if diff {
			z += d.get(m - 1)
		}
		d.set(m, min(z, zMax))
	}
	if len(q) == count { // every pixel of the block, valid or not
		n := 0
		for i := i0; i < i1; i++ {
			for j := j0; j < j1; j++ {
				put((i*nc+j)*nd+depth, q[n])
				n++
			}
		}
		return q, nil
	}
	n := 0
	return q, each(func(m int) error {
		if n >= len(q) {
			return FormatError("lerc: micro-block has fewer values than valid pixels")
		}
		put(m, q[n])
		n++
		return nil
	})
}

// unstuff reads a bit-stuffed array of at most maxCount unsigned values.
func (d *lercDecoder) unstuff(q []uint32, maxCount int) ([]uint32, error) {
	h, err := d.take(1)
	if err != nil {
		return q, err
	}
	nb := [4]int{4, 2, 1, 0}[h[0]>>6]
	lut := h[0]&0x20 != 0
	bits := int(h[0] & 31)
	if nb == 0 {
		return q, FormatError("lerc: bad element count size")
	}
	cb, err := d.take(nb)
	if err != nil {
		return q, err
	}
	var n uint64
	for i := nb - 1; i >= 0; i-- {
		n = n<<8 | uint64(cb[i])
	}
	if n > uint64(maxCount) {
		return q, formatErrorf("lerc: %d values in a block of %d", n, maxCount)
	}
	if !lut {
		if bits == 0 {
			q = append(q[:0], make([]uint32, n)...)
			return q, nil
		}
		return d.unstuffBits(q[:0], int(n), bits)
	}
	if bits == 0 {
		return q, FormatError("lerc: table of 0-bit values")
	}
	lb, err := d.take(1)
	if err != nil {
		return q, err
	}
	nLut := int(lb[0]) - 1
	table, err := d.unstuffBits(nil, nLut, bits)
	if err != nil {
		return q, err
	}
	ib := 0
	for nLut>>ib != 0 {
		ib++
	}
	if q, err = d.unstuffBits(q[:0], int(n), ib); err != nil {
		return q, err
	}
	for i, v := range q {
		switch {
		case v == 0:
		case int(v) <= nLut:
			q[i] = table[v-1]
		default:
			return q, FormatError("lerc: index past the value table")
		}
	}
	return q, nil
}

// unstuffBits appends n values of bits bits each: from version 3 on a
// little-endian stream, least significant bits first; before, most
// significant bits first within little-endian 32-bit words, the last word
// holding only the bytes needed, in its high end.
func (d *lercDecoder) unstuffBits(q []uint32, n, bits int) ([]uint32, error) {
	if n <= 0 || bits >= 32 || bits <= 0 {
		return q, formatErrorf("lerc: %d values of %d bits", n, bits)
	}
	total := uint64(n) * uint64(bits)
	b, err := d.take(int((total + 7) / 8))
	if err != nil {
		return q, err
	}
	if d.version >= 3 {
		var acc uint64
		have, pos := 0, 0
		for range n {
			for have < bits {
				acc |= uint64(b[pos]) << have
				pos++
				have += 8
			}
			q = append(q, uint32(acc&(1<<bits-1)))
			acc >>= bits
			have -= bits
		}
		return q, nil
	}
	words := make([]uint32, (total+31)/32)
	for i := range words {
		var w [4]byte
		c := copy(w[:], b[min(4*i, len(b)):])
		v := binary.LittleEndian.Uint32(w[:])
		if c < 4 {
			v <<= 8 * (4 - c)
		}
		words[i] = v
	}
	for i := range n {
		bit := i * bits
		w, off := bit/32, bit%32
		v := uint64(words[w]) << 32
		if w+1 < len(words) {
			v |= uint64(words[w+1])
		}
		q = append(q, uint32(v<<off>>(64-bits)))
	}
	return q, nil
}

// huffmanCode reads a Huffman code table (a header, the code lengths bit-
// stuffed, then the codes most significant bit first in little-endian
// 32-bit words, as are the coded values after them) and returns a
// function that decodes the next value.
func (d *lercDecoder) huffmanCode() (func() (int, error), error) {
	le := binary.LittleEndian
	hb, err := d.take(16)
	if err != nil {
		return nil, err
	}
	ver, size, i0, i1 := int(int32(le.Uint32(hb))), int(int32(le.Uint32(hb[4:]))), int(int32(le.Uint32(hb[8:]))), int(int32(le.Uint32(hb[12:])))
	wrap := func(i int) int {
		if i < size {
			return i
		}
		return i - size
	}
	if ver < 2 || i0 >= i1 || i0 < 0 || size <= 0 || size >= 1<<15 || wrap(i0) >= size || wrap(i1-1) >= size || i1-i0 > size {
		return nil, formatErrorf("lerc: Huffman table version %d, size %d, range %d to %d", ver, size, i0, i1)
	}
	lens, err := d.unstuff(nil, i1-i0)
	if err != nil {
		return nil, err
	}
	if len(lens) != i1-i0 {
		return nil, FormatError("lerc: short Huffman table")
	}
	br := &lercBits{b: d.p}
	type node struct{ child [2]int32 }
	nodes := []node{{[2]int32{-1, -1}}}
	leaf := map[int32]int{}
	for i := i0; i < i1; i++ {
		n := int(lens[i-i0])
		if n == 0 {
			continue
		}
		if n > 32 {
			return nil, formatErrorf("lerc: Huffman code of %d bits", n)
		}
		code, err := br.read(n)
		if err != nil {
			return nil, err
		}
		at := int32(0)
		for k := n - 1; k >= 0; k-- {
			if _, isLeaf := leaf[at]; isLeaf {
				return nil, FormatError("lerc: Huffman codes are not a prefix code")
			}
			bit := code >> k & 1
			next := nodes[at].child[bit]
			if next < 0 {
				nodes = append(nodes, node{[2]int32{-1, -1}})
				next = int32(len(nodes) - 1)
				nodes[at].child[bit] = next
			}
			at = next
		}
		if _, dup := leaf[at]; dup || nodes[at].child != [2]int32{-1, -1} {
			return nil, FormatError("lerc: Huffman codes are not a prefix code")
		}
		leaf[at] = wrap(i)
	}
	if len(leaf) == 0 {
		return nil, FormatError("lerc: empty Huffman table")
	}
	br.alignWord()
	sym := make([]int, len(nodes)) // the value of each leaf, -1 for inner nodes
	for i := range sym {
		sym[i] = -1
	}
	for at, v := range leaf {
		sym[at] = v
	}
	return func() (int, error) {
		at := int32(0)
		for sym[at] < 0 {
			bit, err := br.read(1)
			if err != nil {
				return 0, err
			}
			at = nodes[at].child[bit]
			if at < 0 {
				return 0, FormatError("lerc: invalid Huffman code")
			}
		}
		return sym[at], nil
	}, nil
}

// huffman decodes 8-bit values coded with a Huffman code, as differences
// from the value to the left (or above, at the start of a row) when delta
// is set, else directly.
func (d *lercDecoder) huffman(delta bool) error {
	next, err := d.huffmanCode()
	if err != nil {
		return err
	}
	offset := 0
	if d.dt == lercChar {
		offset = 128
	}
	w, h, nd := d.nCols, d.nRows, d.nDepth
	all := d.numValid == w*h
	if !delta {
		for k := range w * h {
			if !all && !d.valid(k) {
				continue
			}
			for m := range nd {
				v, err := next()
				if err != nil {
					return err
				}
				d.out[k*nd+m] = byte(v - offset)
			}
		}
		return nil
	}
	for m := range nd {
		var prev byte
		for i := range h {
			for j := range w {
				k := i*w + j
				if !all && !d.valid(k) {
					continue
				}
				v, err := next()
				if err != nil {
					return err
				}
				z := byte(v - offset)
				switch {
				case j > 0 && (all || d.valid(k-1)):
					z += prev
				case i > 0 && (all || d.valid(k-w)):
					z += d.out[(k-w)*nd+m]
				default:
					z += prev
				}
				d.out[k*nd+m] = z
				prev = z
			}
		}
	}
	return nil
}

// lercBits reads bits most significant first from little-endian 32-bit
// words; a word must be there whole to be read from.
type lercBits struct {
	b   []byte
	pos int // in bits
}

func (r *lercBits) read(n int) (uint32, error) {
	var v uint32
	for n > 0 {
		w := r.pos / 32
		if 4*w+4 > len(r.b) {
			return 0, errLercTruncated
		}
		word := binary.LittleEndian.Uint32(r.b[4*w:])
		off := r.pos % 32
		k := min(n, 32-off)
		v = v<<k | word<<off>>(32-k)
		r.pos += k
		n -= k
	}
	return v, nil
}

func (r *lercBits) alignWord() {
	r.b = r.b[min(len(r.b), (r.pos+31)/32*4):]
	r.pos = 0
}

// fpl decodes version 6's lossless floating-point coding. The values, as
// 32- or 64-bit words (a float32's exponent moved to the top byte and its
// sign below it), were differenced along rows (predictor 1) or down
// columns and then along rows (predictor 2), in the integer sense within
// the mantissa and within the bits above it; each byte of the words was
// then coded as a plane of its own, differenced level times and coded
// with a Huffman code, PackBits, a single repeated value or raw. Pixels of
// several values are coded as rows of nDepth values.
func (d *lercDecoder) fpl() error {
	cols, rows := d.nCols, d.nRows
	if d.nDepth > 1 {
		cols, rows = d.nDepth, d.nCols*d.nRows
	}
	n := cols * rows
	unit := lercTypeSize[d.dt]
	pc, err := d.take(1)
	if err != nil {
		return err
	}
	pred := int(pc[0])
	if pred > 2 {
		return formatErrorf("lerc: floating-point predictor %d", pred)
	}
	words := d.out[:n*unit]
	seen := 0
	for range unit {
		h, err := d.take(6)
		if err != nil {
			return err
		}
		idx, level, size := int(h[0]), int(h[1]), binary.LittleEndian.Uint32(h[2:])
		if idx >= unit || seen&(1<<idx) != 0 || level > 5 {
			return formatErrorf("lerc: byte plane %d of differences of order %d", idx, level)
		}
		seen |= 1 << idx
		if uint64(size) > uint64(len(d.p)) {
			return errLercTruncated
		}
		plane, err := lercBytePlane(d.p[:size], n)
		if err != nil {
			return err
		}
		d.p = d.p[size:]
		for l := level; l > 0; l-- {
			for i := l; i < n; i++ {
				plane[i] += plane[i-1]
			}
		}
		for i, b := range plane {
			words[i*unit+idx] = b
		}
	}
	le := binary.LittleEndian
	if unit == 4 {
		w := make([]uint32, n)
		for i := range w {
			w[i] = le.Uint32(words[4*i:])
		}
		add := func(a, b uint32) uint32 { return (a+b)&0x7fffff | ((a>>23&0x1ff)+(b>>23&0x1ff))&0x1ff<<23 }
		lercUndoPredictor(w, cols, rows, pred, add)
		for i, v := range w {
			// exponent back from the top byte, the sign from bit 23
			le.PutUint32(words[4*i:], v&0x7fffff|(v>>24&0xff)<<23|(v>>23&1)<<31)
		}
		return nil
	}
	w := make([]uint64, n)
	for i := range w {
		w[i] = le.Uint64(words[8*i:])
	}
	const mant = 1<<52 - 1
	add := func(a, b uint64) uint64 { return (a&mant+b&mant)&mant | ((a>>52&0xfff)+(b>>52&0xfff))&0xfff<<52 }
	lercUndoPredictor(w, cols, rows, pred, add)
	for i, v := range w {
		le.PutUint64(words[8*i:], v)
	}
	return nil
}

func lercUndoPredictor[T uint32 | uint64](w []T, cols, rows, pred int, add func(a, b T) T) {
	if pred == 0 {
		return
	}
	if pred == 2 {
		for r := 1; r < rows; r++ {
			for c := range cols {
				w[r*cols+c] = add(w[r*cols+c], w[(r-1)*cols+c])
			}
		}
	}
	for r := range rows {
		row := w[r*cols : (r+1)*cols]
		for c := 1; c < cols; c++ {
			row[c] = add(row[c], row[c-1])
		}
	}
}

// lercBytePlane decodes one byte plane of n bytes of the lossless float
// coding: a first byte saying how (0 Huffman, 1 one value repeated, 2
// raw, 3 PackBits with runs of header-126 copies), then the data.
func lercBytePlane(src []byte, n int) ([]byte, error) {
	if len(src) < 1 {
		return nil, errLercTruncated
	}
	out := make([]byte, n)
	switch src[0] {
	case 1:
		if len(src) < 6 {
			return nil, errLercTruncated
		}
		if int64(binary.LittleEndian.Uint32(src[2:])) != int64(n) {
			return nil, FormatError("lerc: byte plane of the wrong length")
		}
		for i := range out {
			out[i] = src[1]
		}
	case 2:
		if len(src) < 1+n {
			return nil, errLercTruncated
		}
		copy(out, src[1:])
	case 3:
		k := 0
		for i := 1; i < len(src); {
			h := int(src[i])
			i++
			if h <= 127 {
				if i+h+1 > len(src) || k+h+1 > n {
					return nil, FormatError("lerc: damaged PackBits byte plane")
				}
				k += copy(out[k:], src[i:i+h+1])
				i += h + 1
				continue
			}
			if i >= len(src) || k+h-126 > n {
				return nil, FormatError("lerc: damaged PackBits byte plane")
			}
			for range h - 126 {
				out[k] = src[i]
				k++
			}
			i++
		}
		if k != n {
			return nil, FormatError("lerc: PackBits byte plane of the wrong length")
		}
	case 0:
		d := &lercDecoder{lercHeader: lercHeader{version: 5}, p: src[1:]}
		next, err := d.huffmanCode()
		if err != nil {
			return nil, err
		}
		for i := range out {
			v, err := next()
			if err != nil {
				return nil, err
			}
			out[i] = byte(v)
		}
	default:
		return nil, formatErrorf("lerc: byte plane coding %d", src[0])
	}
	return out, nil
}
