package zarr

import (
	"encoding/binary"
	"math"
	"slices"
	"sync"

	"github.com/pierrec/lz4/v4"
)

// The Blosc 1 chunk format, as c-blosc writes it and numcodecs reads it:
//
//	byte 0      format version (2)
//	byte 1      version of the inner compressor's format (1)
//	byte 2      flags: bit 0 byte shuffle, bit 1 stored uncompressed
//	            ("memcpyed"), bit 2 bit shuffle, bit 4 blocks not split,
//	            bits 5-7 the inner compressor (0 blosclz, 1 lz4, 2 snappy,
//	            3 zlib, 4 zstd)
//	byte 3      type size in bytes (the shuffle's element size)
//	bytes 4-7   uncompressed size (nbytes), little-endian
//	bytes 8-11  block size, little-endian
//	bytes 12-15 compressed size including this header (cbytes)
//
// A memcpyed chunk holds the raw bytes after the header. Otherwise the
// header is followed by one little-endian int32 per block giving the
// offset of the block's data from the start of the chunk. The data is
// divided into blocks of blocksize bytes (the last one may be shorter: the
// "leftover" block). Each block is shuffled as a whole and then, unless it
// is the leftover block or bit 4 is set, split into typesize streams of
// blocksize/typesize bytes, each compressed on its own; a stream is an
// int32 compressed length followed by that many bytes, stored raw when the
// length equals the stream's uncompressed size.
const (
	bloscHeaderSize    = 16
	bloscVersion       = 2
	bloscVersionLZ     = 1
	bloscMinBufferSize = 128 // smaller buffers are stored uncompressed
	bloscMaxSplits     = 16  // types wider than this are never split
	bloscMaxSize       = math.MaxInt32 - bloscHeaderSize

	bloscFlagShuffle    = 0x01
	bloscFlagMemcpyed   = 0x02
	bloscFlagBitShuffle = 0x04
	bloscFlagNoSplit    = 0x10

	bloscFormatBloscLZ = 0
	bloscFormatLZ4     = 1
	bloscFormatSnappy  = 2
	bloscFormatZlib    = 3
	bloscFormatZstd    = 4
)

var bloscFormatNames = [...]string{"blosclz", "lz4", "snappy", "zlib", "zstd"}

type bloscCodec struct {
	cname     string
	level     int
	shuffle   Shuffle
	blocksize int
	typesize  int
}

func (b *bloscCodec) codec() Codec {
	return Codec{Name: "blosc", CName: b.cname, Level: b.level, Shuffle: b.shuffle, BlockSize: b.blocksize}
}

func (b *bloscCodec) format() byte {
	switch b.cname {
	case "zstd":
		return bloscFormatZstd
	case "zlib":
		return bloscFormatZlib
	}
	return bloscFormatLZ4
}

// bloscSplits reports whether a block of bsize bytes is stored as typesize
// streams. Decoders apply the same rule, so the encoder must too.
func bloscSplits(noSplit bool, typesize, bsize int, leftover bool) int {
	if !noSplit && !leftover && typesize <= bloscMaxSplits && bsize/typesize >= bloscMinBufferSize {
		return typesize
	}
	return 1
}

// chooseBlockSize picks the block size for n bytes: larger blocks compress
// better, smaller ones stay in cache while shuffled and compressed.
func (b *bloscCodec) chooseBlockSize(n int) int {
	bs := b.blocksize
	if bs == 0 {
		switch {
		case b.level <= 3:
			bs = 64 << 10
		case b.level <= 6:
			bs = 256 << 10
		default:
			bs = 1 << 20
		}
		if b.cname != "lz4" {
			bs *= 2 // zstd and zlib gain from long blocks
		}
	}
	bs = min(bs, n)
	if ts := b.typesize; bs > ts {
		bs -= bs % ts
	}
	return max(bs, 1)
}

var lz4Compressors = sync.Pool{New: func() any { return new(lz4.Compressor) }}

// scratch buffers for shuffling and compressing one block
var bloscScratch sync.Pool

func getScratch(n int) *[]byte {
	if p, ok := bloscScratch.Get().(*[]byte); ok && cap(*p) >= n {
		*p = (*p)[:n]
		return p
	}
	b := make([]byte, n)
	return &b
}

// shuffleScratch is the room appendBlock needs in shuf for blocks of bs
// bytes: the shuffled block, or half of it and the first stream
// compressed (see appendBlock2).
func shuffleScratch(bs int) int { return bs + bs/255 + 64 }

// bloscLayout is how a Blosc chunk is cut and marked: its header flags,
// the element size, the block size, and whether blocks are shuffled and
// split into one stream per byte of an element.
type bloscLayout struct {
	flags            byte
	ts, bs           int
	shuffle, noSplit bool
}

// layout is the cut of a chunk of n bytes.
func (b *bloscCodec) layout(n int) bloscLayout {
	l := bloscLayout{ts: b.typesize, flags: b.format() << 5}
	if l.ts < 1 || l.ts > 255 {
		l.ts = 1
	}
	l.bs = b.chooseBlockSize(max(n, 1))
	l.shuffle = b.shuffle == ByteShuffle && l.ts > 1
	if b.shuffle == ByteShuffle {
		l.flags |= bloscFlagShuffle
	}
	l.noSplit = b.cname != "lz4" // c-blosc splits only its fast codecs
	if l.noSplit {
		l.flags |= bloscFlagNoSplit
	}
	return l
}

// putBloscHeader writes a chunk's fixed header into h.
func putBloscHeader(h []byte, l bloscLayout, flags byte, nbytes, cbytes int) {
	h[0], h[1], h[2], h[3] = bloscVersion, bloscVersionLZ, flags, byte(l.ts)
	binary.LittleEndian.PutUint32(h[4:], uint32(nbytes))
	binary.LittleEndian.PutUint32(h[8:], uint32(l.bs))
	binary.LittleEndian.PutUint32(h[12:], uint32(cbytes))
}

func (b *bloscCodec) encode(dst, src []byte) ([]byte, error) { return b.encodeRange(dst, src, nil) }

// encodeRange is encode that also adds the least and greatest elements of
// src, read as uint16 in the machine's order, to r when r is not nil: in
// the shuffle of blocks of 2-byte elements split in two streams (see
// appendBlock2), where the block is read anyway, else in a pass of its
// own.
func (b *bloscCodec) encodeRange(dst, src []byte, r *u16Range) ([]byte, error) {
	n := len(src)
	if n > bloscMaxSize {
		return nil, unsupportedf("a Blosc chunk holds at most %d bytes, this one has %d", bloscMaxSize, n)
	}
	l := b.layout(n)
	start := len(dst)
	memcpyed := func() []byte {
		r.addBytes(src) // the whole chunk again: blocks seen count once
		dst = append(dst[:start], make([]byte, bloscHeaderSize)...)
		dst = append(dst, src...)
		putBloscHeader(dst[start:], l, l.flags|bloscFlagMemcpyed, n, bloscHeaderSize+n)
		return dst
	}
	if n < bloscMinBufferSize {
		return memcpyed(), nil
	}
	nblocks := (n + l.bs - 1) / l.bs
	budget := n + bloscHeaderSize // past this, storing raw is smaller
	dst = append(dst, make([]byte, bloscHeaderSize+4*nblocks)...)
	var shuf *[]byte
	if l.shuffle {
		shuf = getScratch(shuffleScratch(l.bs))
		defer bloscScratch.Put(shuf)
	}
	for j := 0; j < nblocks; j++ {
		binary.LittleEndian.PutUint32(dst[start+bloscHeaderSize+4*j:], uint32(len(dst)-start))
		var err error
		if dst, err = b.appendBlock(dst, src[j*l.bs:min((j+1)*l.bs, n)], l, shuf, r); err != nil {
			return nil, err
		}
		if len(dst)-start > budget {
			return memcpyed(), nil
		}
	}
	putBloscHeader(dst[start:], l, l.flags, n, len(dst)-start)
	return dst, nil
}

// appendBlock appends the streams of one block to dst, shuffling it first
// into shuf when the layout says so. A block shorter than the block size
// is the chunk's leftover block. The block's range is added to r when r
// is not nil (see encodeRange).
func (b *bloscCodec) appendBlock(dst, block []byte, l bloscLayout, shuf *[]byte, r *u16Range) ([]byte, error) {
	if l.shuffle && l.ts == 2 && bloscSplits(l.noSplit, l.ts, len(block), len(block) < l.bs) == 2 {
		return b.appendBlock2(dst, block, shuf, r)
	}
	r.addBytes(block)
	return b.appendStreams(dst, block, l, shuf)
}

// appendStreams is appendBlock: shuffle into shuf, then each stream
// compressed, or copied raw, after its length.
func (b *bloscCodec) appendStreams(dst, block []byte, l bloscLayout, shuf *[]byte) ([]byte, error) {
	data := block
	if l.shuffle {
		data = (*shuf)[:len(block)]
		shuffleBytes(data, block, l.ts)
	}
	splits := bloscSplits(l.noSplit, l.ts, len(block), len(block) < l.bs)
	ne := len(block) / splits
	for k := 0; k < splits; k++ {
		var err error
		if dst, err = b.appendStream(dst, data[k*ne:(k+1)*ne], l.ts, l.shuffle); err != nil {
			return nil, err
		}
	}
	return dst, nil
}

// appendStream appends one stream of a block to dst: its length word, then
// the stream compressed straight after it, or stored raw instead where
// that is not smaller.
func (b *bloscCodec) appendStream(dst, stream []byte, ts int, shuffled bool) ([]byte, error) {
	at := len(dst)
	out, err := b.compressStream(append(dst, 0, 0, 0, 0), stream, ts, shuffled)
	if err != nil {
		return nil, err
	}
	if c := len(out) - at - 4; c > 0 && c < len(stream) {
		binary.LittleEndian.PutUint32(out[at:], uint32(c))
		return out, nil
	}
	dst = binary.LittleEndian.AppendUint32(out[:at], uint32(len(stream)))
	return append(dst, stream...), nil
}

// appendBlock2 is appendBlock for a block of 2-byte elements shuffled into
// two streams. The first (the low bytes, in most images noise that is
// stored raw) is shuffled straight into its place in dst, and stays there
// when it does not compress: only a compressed stream, shorter, is copied
// over it. The second is shuffled into shuf and compressed from there.
// The bytes are those of appendStreams.
func (b *bloscCodec) appendBlock2(dst, block []byte, shuf *[]byte, r *u16Range) ([]byte, error) {
	ne := len(block) / 2
	at := len(dst)
	dst = slices.Grow(dst, 8+ne)[:at+4+ne]
	s0, s1 := dst[at+4:at+4+ne], (*shuf)[:ne]
	if r != nil {
		shuffle2Range(s0, s1, block[:2*ne], r)
	} else {
		shuffle2(s0, s1, block[:2*ne])
	}
	out, err := b.compressStream((*shuf)[ne:ne], s0, 2, true)
	if err != nil {
		return nil, err
	}
	if c := len(out); c > 0 && c < ne {
		copy(s0, out)
		dst = dst[:at+4+c]
		binary.LittleEndian.PutUint32(dst[at:], uint32(c))
	} else {
		binary.LittleEndian.PutUint32(dst[at:], uint32(ne))
	}
	return b.appendStream(dst, s1, 2, true)
}

// partLayout is the layout of chunks of chunkBytes made of whole planes of
// planeBytes, when they can be encoded a plane at a time (encodePart):
// every block lies within one plane and none is a leftover. Where the
// block size encode would choose is larger than a plane, blocks are one
// plane (any block size is valid Blosc; only the split into streams
// depends on it, by the rule decoders apply to the size in the header).
func (b *bloscCodec) partLayout(chunkBytes, planeBytes int) (bloscLayout, bool) {
	l := b.layout(chunkBytes)
	if b.blocksize == 0 && l.bs > planeBytes && planeBytes > 0 && planeBytes%l.ts == 0 {
		l.bs = planeBytes
	}
	ok := chunkBytes >= bloscMinBufferSize && chunkBytes <= bloscMaxSize &&
		planeBytes > 0 && chunkBytes%planeBytes == 0 && planeBytes%l.bs == 0
	return l, ok
}

// encodePart appends the encoded blocks of one plane of a chunk cut by l
// (see partLayout) to dst, and the offset of each block from the start of
// what it appended to ends.
func (b *bloscCodec) encodePart(dst, plane []byte, l bloscLayout, starts []int) ([]byte, []int, error) {
	var shuf *[]byte
	if l.shuffle {
		shuf = getScratch(shuffleScratch(l.bs))
		defer bloscScratch.Put(shuf)
	}
	base := len(dst)
	for j := 0; j < len(plane)/l.bs; j++ {
		starts = append(starts, len(dst)-base)
		var err error
		if dst, err = b.appendBlock(dst, plane[j*l.bs:(j+1)*l.bs], l, shuf, nil); err != nil {
			return nil, nil, err
		}
	}
	return dst, starts, nil
}

// bloscPartsHeader returns the header and block offsets of a chunk cut by
// l whose planes were encoded by encodePart into parts (with the block
// offsets of each in starts): written before the parts, in order, they
// make the chunk encode would (short of storing it raw when it does not
// compress).
func bloscPartsHeader(l bloscLayout, nbytes int, parts [][]byte, starts [][]int) []byte {
	nblocks := 0
	for _, s := range starts {
		nblocks += len(s)
	}
	h := make([]byte, bloscHeaderSize+4*nblocks)
	pos, j := len(h), 0
	for i, s := range starts {
		for _, o := range s {
			binary.LittleEndian.PutUint32(h[bloscHeaderSize+4*j:], uint32(pos+o))
			j++
		}
		pos += len(parts[i])
	}
	putBloscHeader(h, l, l.flags, nbytes, pos)
	return h
}

// lz4RunsLevel is the Blosc level at which LZ4 streams are encoded by
// lz4Runs, with matches only at the element distance (one byte after a
// shuffle): c-blosc turns lower levels into more LZ4 acceleration, and
// level 1 is its fastest. On the planes of the benchmark stack lz4Runs
// encodes labels about 1.3 times and the high bytes of the image about
// 1.4 times as fast as the full LZ4 search, for 5 % and 9 % more bytes.
const lz4RunsLevel = 1

// compressStream appends src compressed by the inner compressor to dst;
// nothing appended, or as much as src, means it does not compress. ts is
// the element size and shuffled whether src holds shuffled bytes.
func (b *bloscCodec) compressStream(dst, src []byte, ts int, shuffled bool) ([]byte, error) {
	switch b.cname {
	case "zstd":
		lvl := 2*b.level - 1 // c-blosc's mapping of its levels to zstd's
		if b.level >= 9 {
			lvl = 19
		}
		e, err := zstdEncoder(lvl)
		if err != nil {
			return nil, err
		}
		return e.EncodeAll(src, dst), nil
	case "zlib":
		return zlibCodec{level: b.level}.encode(dst, src)
	}
	at := len(dst)
	period := ts
	if shuffled {
		period = 1
	}
	if b.level <= lz4RunsLevel && period <= 8 {
		dst = slices.Grow(dst, lz4RunsBound(len(src)))
		m := lz4Runs(dst[at:at+lz4RunsBound(len(src))], src, period)
		return dst[:at+m], nil
	}
	dst = slices.Grow(dst, lz4.CompressBlockBound(len(src)))
	c := lz4Compressors.Get().(*lz4.Compressor)
	defer lz4Compressors.Put(c)
	m, err := c.CompressBlock(src, dst[at:at+lz4.CompressBlockBound(len(src))])
	if err != nil {
		return dst[:at], nil // treated as incompressible
	}
	return dst[:at+m], nil
}

func (b *bloscCodec) decode(src []byte, want, limit int, buf []byte) ([]byte, error) {
	return bloscDecode(src, want, limit, buf)
}

// bloscHeader is the parsed fixed header of a Blosc chunk.
type bloscHeader struct {
	version, versionLZ, flags byte
	typesize                  int
	nbytes, blocksize, cbytes int
}

func parseBloscHeader(src []byte) (bloscHeader, error) {
	if len(src) < bloscHeaderSize {
		return bloscHeader{}, formatErrorf("blosc chunk of %d bytes is shorter than its header", len(src))
	}
	h := bloscHeader{
		version: src[0], versionLZ: src[1], flags: src[2], typesize: int(src[3]),
		nbytes:    int(binary.LittleEndian.Uint32(src[4:])),
		blocksize: int(binary.LittleEndian.Uint32(src[8:])),
		cbytes:    int(binary.LittleEndian.Uint32(src[12:])),
	}
	switch {
	case h.version == 0:
		return h, formatErrorf("blosc format version 0")
	case h.version > bloscVersion:
		return h, unsupportedf("blosc format version %d (Blosc2 chunks); Blosc 1 chunks are read", h.version)
	case h.cbytes < bloscHeaderSize:
		return h, formatErrorf("blosc compressed size %d is smaller than its header", h.cbytes)
	case h.cbytes > len(src):
		return h, formatErrorf("blosc chunk is truncated: %d of %d bytes", len(src), h.cbytes)
	case h.nbytes > bloscMaxSize:
		return h, formatErrorf("blosc uncompressed size %d is too large", h.nbytes)
	}
	return h, nil
}

// bloscDecode decodes a Blosc 1 chunk.
func bloscDecode(src []byte, want, limit int, buf []byte) ([]byte, error) {
	h, err := parseBloscHeader(src)
	if err != nil {
		return nil, err
	}
	n := h.nbytes
	if want >= 0 && n != want {
		return nil, formatErrorf("blosc chunk holds %d bytes, the chunk has %d", n, want)
	}
	if want < 0 && n > limit {
		return nil, &LimitError{What: "blosc data", Size: uint64(n), Limit: uint64(limit)}
	}
	src = src[:h.cbytes]
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	out := buf[:n]
	if h.flags&bloscFlagMemcpyed != 0 {
		if h.cbytes != bloscHeaderSize+n {
			return nil, formatErrorf("uncompressed blosc chunk has %d bytes after its header, want %d", h.cbytes-bloscHeaderSize, n)
		}
		copy(out, src[bloscHeaderSize:])
		return out, nil
	}
	if n == 0 {
		return out, nil
	}
	ts, bs := h.typesize, h.blocksize
	if ts == 0 {
		return nil, formatErrorf("blosc type size 0")
	}
	if bs == 0 {
		return nil, formatErrorf("blosc block size 0")
	}
	format := int(h.flags >> 5)
	switch format {
	case bloscFormatBloscLZ, bloscFormatLZ4, bloscFormatZlib, bloscFormatZstd:
	case bloscFormatSnappy:
		return nil, unsupportedf("blosc with snappy")
	default:
		return nil, formatErrorf("blosc compressor code %d", format)
	}
	byteShuf := h.flags&bloscFlagShuffle != 0 && ts > 1
	bitShuf := !byteShuf && h.flags&bloscFlagBitShuffle != 0
	noSplit := h.flags&bloscFlagNoSplit != 0
	nblocks := (n + bs - 1) / bs
	dataStart := bloscHeaderSize + 4*nblocks
	if nblocks > (h.cbytes-bloscHeaderSize)/4 {
		return nil, formatErrorf("blosc chunk of %d bytes cannot index %d blocks", h.cbytes, nblocks)
	}
	tmp := getScratch(min(bs, n))
	defer bloscScratch.Put(tmp)
	for j := 0; j < nblocks; j++ {
		block := out[j*bs : min((j+1)*bs, n)]
		leftover := len(block) < bs
		pos := int(int32(binary.LittleEndian.Uint32(src[bloscHeaderSize+4*j:])))
		if pos < dataStart || pos >= h.cbytes {
			return nil, formatErrorf("blosc block %d starts at %d, outside [%d, %d)", j, pos, dataStart, h.cbytes)
		}
		splits := bloscSplits(noSplit, ts, len(block), leftover)
		if len(block)%splits != 0 {
			return nil, formatErrorf("blosc block of %d bytes cannot be split into %d streams", len(block), splits)
		}
		dest := block
		if byteShuf || bitShuf {
			dest = (*tmp)[:len(block)]
		}
		ne := len(block) / splits
		for k := 0; k < splits; k++ {
			if pos+4 > h.cbytes {
				return nil, formatErrorf("blosc block %d is truncated", j)
			}
			cs := int(int32(binary.LittleEndian.Uint32(src[pos:])))
			pos += 4
			if cs <= 0 || cs > h.cbytes-pos {
				return nil, formatErrorf("blosc block %d: stream of %d bytes at %d overruns the chunk of %d", j, cs, pos, h.cbytes)
			}
			if err := bloscStream(format, src[pos:pos+cs], dest[k*ne:(k+1)*ne]); err != nil {
				return nil, err
			}
			pos += cs
		}
		switch {
		case byteShuf:
			unshuffleBytes(block, dest, ts)
		case bitShuf:
			if err := bitUnshuffle(block, dest, ts); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// bloscStream decodes one stream into dst, which it must fill exactly.
func bloscStream(format int, src, dst []byte) error {
	if len(src) == len(dst) {
		copy(dst, src) // stored raw
		return nil
	}
	switch format {
	case bloscFormatLZ4:
		m, err := lz4.UncompressBlock(src, dst)
		if err != nil {
			return formatErrorf("blosc lz4 stream: %v", err)
		}
		return wantSize("blosc lz4", m, len(dst))
	case bloscFormatZstd, bloscFormatZlib:
		decode := zstdDecode
		if format == bloscFormatZlib {
			decode = zlibDecode
		}
		out, err := decode(src, len(dst), len(dst), dst[:0])
		if err != nil {
			return err
		}
		if &out[0] != &dst[0] {
			copy(dst, out)
		}
		return nil
	case bloscFormatBloscLZ:
		m, err := blosclzDecode(src, dst)
		if err != nil {
			return err
		}
		return wantSize("blosc blosclz", m, len(dst))
	}
	return unsupportedf("blosc compressor %s", bloscFormatNames[format])
}

// shuffleBytes stores byte j of every ts-byte element of src as one run:
// dst holds all first bytes, then all second bytes, and so on. Bytes past
// the last whole element are copied as they are.
func shuffleBytes(dst, src []byte, ts int) {
	ne := len(src) / ts
	switch ts {
	case 2:
		shuffle2(dst[:ne], dst[ne:2*ne], src[:2*ne])
	case 4:
		d0, d1, d2, d3 := dst[:ne], dst[ne:2*ne], dst[2*ne:3*ne], dst[3*ne:4*ne]
		s := src[:4*ne]
		for i := range d0 {
			e := s[4*i : 4*i+4]
			d0[i], d1[i], d2[i], d3[i] = e[0], e[1], e[2], e[3]
		}
	default:
		for j := 0; j < ts; j++ {
			d := dst[j*ne : (j+1)*ne]
			for i := range d {
				d[i] = src[i*ts+j]
			}
		}
	}
	copy(dst[ne*ts:], src[ne*ts:])
}

// shuffle2 stores the even bytes of src in d0 and the odd ones in d1,
// which hold len(src)/2 bytes each.
func shuffle2(d0, d1, src []byte) {
	ne := len(src) / 2
	i := shuffle2Fast(d0, d1, src[:2*ne])
	for ; i+16 <= ne; i += 16 { // sixteen elements at a time, within registers
		s := src[2*i : 2*i+32]
		a := pairBytes(binary.LittleEndian.Uint64(s[0:8]))
		b := pairBytes(binary.LittleEndian.Uint64(s[8:16]))
		c := pairBytes(binary.LittleEndian.Uint64(s[16:24]))
		d := pairBytes(binary.LittleEndian.Uint64(s[24:32]))
		o0, o1 := d0[i:i+16], d1[i:i+16]
		binary.LittleEndian.PutUint64(o0[0:8], a&0xffffffff|b<<32)
		binary.LittleEndian.PutUint64(o1[0:8], a>>32|b&0xffffffff00000000)
		binary.LittleEndian.PutUint64(o0[8:16], c&0xffffffff|d<<32)
		binary.LittleEndian.PutUint64(o1[8:16], c>>32|d&0xffffffff00000000)
	}
	for ; i < ne; i++ {
		d0[i], d1[i] = src[2*i], src[2*i+1]
	}
}

// shuffle2Range is shuffle2 that also adds the least and greatest of the
// uint16 elements of src (in the machine's byte order) to r.
func shuffle2Range(d0, d1, src []byte, r *u16Range) {
	ne := len(src) / 2
	lo, hi, i := shuffle2RangeFast(d0, d1, src[:2*ne])
	if i > 0 {
		r.add(lo, hi)
	}
	if i < ne {
		shuffle2(d0[i:ne], d1[i:ne], src[2*i:2*ne])
		r.addBytes(src[2*i : 2*ne])
	}
}

// u16Range gathers the least and greatest of uint16 elements.
type u16Range struct {
	lo, hi uint16
	seen   bool
}

func (r *u16Range) add(lo, hi uint16) {
	if !r.seen {
		r.lo, r.hi, r.seen = lo, hi, true
		return
	}
	r.lo, r.hi = min(r.lo, lo), max(r.hi, hi)
}

// addBytes adds the elements of b, uint16 in the machine's byte order
// (a last odd byte is left out); nothing when r is nil.
func (r *u16Range) addBytes(b []byte) {
	if r == nil || len(b) < 2 {
		return
	}
	lo, hi := rangeUint16(asElems[uint16](b[:len(b)&^1]))
	r.add(uint16(lo), uint16(hi))
}

// pairBytes reorders the bytes of x, least significant first, from
// b0 b1 b2 b3 b4 b5 b6 b7 to b0 b2 b4 b6 b1 b3 b5 b7: the even bytes in the
// low half, the odd ones in the high half. Two swaps of bit fields do it:
// b1 with b2 and b5 with b6, then bytes 2-3 with bytes 4-5.
func pairBytes(x uint64) uint64 {
	t := (x ^ x>>8) & 0x0000ff000000ff00
	x ^= t ^ t<<8
	t = (x ^ x>>16) & 0x00000000ffff0000
	return x ^ t ^ t<<16
}

// spreadBytes moves the low four bytes of x to bytes 0, 2, 4 and 6.
func spreadBytes(x uint64) uint64 {
	x &= 0x00000000ffffffff
	x = (x | x<<16) & 0x0000ffff0000ffff
	return (x | x<<8) & 0x00ff00ff00ff00ff
}

// unshuffleBytes reverses shuffleBytes.
func unshuffleBytes(dst, src []byte, ts int) {
	ne := len(src) / ts
	switch ts {
	case 2:
		s0, s1 := src[:ne], src[ne:2*ne]
		d := dst[:2*ne]
		i := 0
		for ; i+8 <= ne; i += 8 {
			lo := binary.LittleEndian.Uint64(s0[i:])
			hi := binary.LittleEndian.Uint64(s1[i:])
			binary.LittleEndian.PutUint64(d[2*i:], spreadBytes(lo)|spreadBytes(hi)<<8)
			binary.LittleEndian.PutUint64(d[2*i+8:], spreadBytes(lo>>32)|spreadBytes(hi>>32)<<8)
		}
		for ; i < ne; i++ {
			d[2*i], d[2*i+1] = s0[i], s1[i]
		}
	case 4:
		s0, s1, s2, s3 := src[:ne], src[ne:2*ne], src[2*ne:3*ne], src[3*ne:4*ne]
		d := dst[:4*ne]
		for i := range s0 {
			e := d[4*i : 4*i+4]
			e[0], e[1], e[2], e[3] = s0[i], s1[i], s2[i], s3[i]
		}
	default:
		for j := 0; j < ts; j++ {
			s := src[j*ne : (j+1)*ne]
			for i, v := range s {
				dst[i*ts+j] = v
			}
		}
	}
	copy(dst[ne*ts:], src[ne*ts:])
}

// bitUnshuffle reverses Blosc's bit shuffle. The shuffle works on the
// largest multiple of 8 elements in the block and stores, for byte j and
// bit b of the elements, one row of ne/8 bytes (row 8j+b) whose byte m
// holds that bit of elements 8m..8m+7, element 8m+k in bit k. The bytes
// past those elements are stored as they are.
func bitUnshuffle(dst, src []byte, ts int) error {
	ne := len(src) / ts
	ne -= ne % 8
	rowLen := ne / 8
	body := dst[:ne*ts]
	clear(body)
	for j := 0; j < ts; j++ {
		for b := 0; b < 8; b++ {
			row := src[(8*j+b)*rowLen : (8*j+b+1)*rowLen]
			bit := byte(1) << b
			for m, v := range row {
				if v == 0 {
					continue
				}
				for k := 0; k < 8; k++ {
					if v&(1<<k) != 0 {
						body[(8*m+k)*ts+j] |= bit
					}
				}
			}
		}
	}
	copy(dst[ne*ts:], src[ne*ts:])
	return nil
}
