package tiff

import (
	"bytes"
	"errors"
	"io"
	"sync"

	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz/lzma"
)

// Codes of the compressions read but not written.
const (
	compZstd Compression = 50000
	compLZMA Compression = 34925
)

// zstdMaxWindow bounds the window a Zstandard frame may ask for (libtiff's
// strongest level uses 2^27 bytes).
const zstdMaxWindow = 1 << 27

// decompress decodes src, compressed with c, into dst, which it must fill
// exactly: the decoded size of a strip or tile is known in advance, so
// output beyond it is never produced (a decompression bomb cannot grow
// memory) and short output is an error.
func decompress(c Compression, src, dst []byte) error {
	var n int
	var err error
	switch c {
	case None:
		n = copy(dst, src)
	case LZW:
		n, err = lzwDecode(src, dst)
	case Deflate, deflateOld:
		n, err = inflate(src, dst)
	case PackBits:
		n = packBitsDecode(src, dst)
	case compZstd:
		n, err = unzstd(src, dst)
	case compLZMA:
		n, err = unxz(src, dst)
	default:
		return unsupportedf("compression %s", c)
	}
	if err != nil {
		return err
	}
	if n < len(dst) {
		return formatErrorf("%s data decodes to %d bytes, want %d", c, n, len(dst))
	}
	return nil
}

var zlibReaders sync.Pool

// inflate decodes a zlib stream into dst and returns the bytes written.
func inflate(src, dst []byte) (int, error) {
	br := bytes.NewReader(src)
	var zr io.ReadCloser
	if v := zlibReaders.Get(); v != nil {
		zr = v.(io.ReadCloser)
		if err := zr.(zlib.Resetter).Reset(br, nil); err != nil {
			return 0, formatErrorf("deflate: %v", err)
		}
	} else {
		var err error
		if zr, err = zlib.NewReader(br); err != nil {
			return 0, formatErrorf("deflate: %v", err)
		}
	}
	n, err := io.ReadFull(zr, dst)
	zlibReaders.Put(zr)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return n, formatErrorf("deflate: %v", err)
	}
	return n, nil
}

var zstdReaders sync.Pool

// unzstd decodes a Zstandard stream into dst and returns the bytes written.
func unzstd(src, dst []byte) (int, error) {
	br := bytes.NewReader(src)
	var zr *zstd.Decoder
	if v := zstdReaders.Get(); v != nil {
		zr = v.(*zstd.Decoder)
		if err := zr.Reset(br); err != nil {
			return 0, formatErrorf("zstd: %v", err)
		}
	} else {
		var err error
		zr, err = zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
			zstd.WithDecoderMaxWindow(zstdMaxWindow), zstd.WithDecoderMaxMemory(uint64(len(dst))+zstdMaxWindow))
		if err != nil {
			return 0, formatErrorf("zstd: %v", err)
		}
	}
	n, err := io.ReadFull(zr, dst)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		zr.Close()
		return n, formatErrorf("zstd: %v", err)
	}
	zr.Reset(nil)
	zstdReaders.Put(zr)
	return n, nil
}

// unxz decodes the .xz stream that libtiff's LZMA codec writes (one block
// whose filters are LZMA2, after a delta filter in libtiff's files) into
// dst and returns the bytes written. The container is parsed here and the
// LZMA2 data decoded by ulikunitz/xz/lzma; the integrity check is not
// verified (damaged data fails in LZMA2 or decodes short).
func unxz(src, dst []byte) (int, error) {
	const streamHeader = 12
	if len(src) < streamHeader+2 || !bytes.Equal(src[:6], []byte{0xfd, '7', 'z', 'X', 'Z', 0}) {
		return 0, FormatError("lzma: not an .xz stream")
	}
	hdr := src[streamHeader:]
	if hdr[0] == 0 {
		return 0, nil // no block: no data
	}
	hdrLen := (int(hdr[0]) + 1) * 4
	if hdrLen > len(hdr) {
		return 0, FormatError("lzma: truncated block header")
	}
	data := hdr[hdrLen:]
	hdr = hdr[:hdrLen-4] // without its CRC32
	flags := hdr[1]
	if flags&0x3c != 0 {
		return 0, FormatError("lzma: reserved block flags set")
	}
	pos := 2
	varint := func() (uint64, error) {
		var v uint64
		for i := 0; i < 9 && pos < len(hdr); i++ {
			b := hdr[pos]
			pos++
			v |= uint64(b&0x7f) << (7 * i)
			if b&0x80 == 0 {
				return v, nil
			}
		}
		return 0, FormatError("lzma: bad block header")
	}
	for _, present := range []bool{flags&0x40 != 0, flags&0x80 != 0} {
		if present {
			if _, err := varint(); err != nil {
				return 0, err
			}
		}
	}
	delta, dict := 0, uint64(0)
	filters := int(flags&3) + 1
	for f := range filters {
		id, err := varint()
		if err != nil {
			return 0, err
		}
		n, err := varint()
		if err != nil {
			return 0, err
		}
		if n > uint64(len(hdr)-pos) {
			return 0, FormatError("lzma: bad filter properties")
		}
		props := hdr[pos : pos+int(n)]
		pos += int(n)
		last := f == filters-1
		switch {
		case id == 0x03 && n == 1 && !last && delta == 0:
			delta = int(props[0]) + 1
		case id == 0x21 && n == 1 && last:
			code := props[0]
			if code > 40 {
				return 0, FormatError("lzma: bad LZMA2 dictionary size")
			}
			dict = uint64(1)<<32 - 1
			if code < 40 {
				dict = uint64(2|code&1) << (code/2 + 11)
			}
		default:
			return 0, unsupportedf("lzma: .xz filter %#x (LZMA2, after an optional delta filter, is read)", id)
		}
	}
	// Matches reach back at most over the data decoded so far, so a
	// dictionary the size of dst serves whatever the stream declares (the
	// decoder allocates all of it up front).
	cfg := lzma.Reader2Config{DictCap: int(max(min(dict, uint64(len(dst))), lzma.MinDictCap))}
	zr, err := cfg.NewReader2(bytes.NewReader(data))
	if err != nil {
		return 0, formatErrorf("lzma: %v", err)
	}
	n, err := io.ReadFull(zr, dst)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return n, formatErrorf("lzma: %v", err)
	}
	for i := delta; delta > 0 && i < n; i++ {
		dst[i] += dst[i-delta]
	}
	return n, nil
}

// packBitsDecode expands PackBits data into dst, stopping when dst is full
// or src runs out, and returns the bytes written.
func packBitsDecode(src, dst []byte) int {
	n := 0
	for len(src) > 0 && n < len(dst) {
		h := int8(src[0])
		src = src[1:]
		switch {
		case h >= 0:
			k := min(int(h)+1, len(src), len(dst)-n)
			copy(dst[n:], src[:k])
			n += k
			src = src[min(int(h)+1, len(src)):]
		case h != -128:
			if len(src) == 0 {
				return n
			}
			k := min(1-int(h), len(dst)-n)
			b := src[0]
			for i := range dst[n : n+k] {
				dst[n+i] = b
			}
			n += k
			src = src[1:]
		}
	}
	return n
}

// packBitsEncode appends the PackBits encoding of row to out. Rows are
// encoded separately, as the TIFF specification asks.
func packBitsEncode(out, row []byte) []byte {
	i := 0
	for i < len(row) {
		j := i + 1
		for j < len(row) && row[j] == row[i] && j-i < 128 {
			j++
		}
		if j-i >= 2 {
			out = append(out, byte(int8(1-(j-i))), row[i])
			i = j
			continue
		}
		start := i
		i++
		for i < len(row) && i-start < 128 {
			if i+2 < len(row) && row[i] == row[i+1] && row[i] == row[i+2] {
				break
			}
			i++
		}
		out = append(out, byte(i-start-1))
		out = append(out, row[start:i]...)
	}
	return out
}
