package tiff

import (
	"bytes"
	"errors"
	"github.com/klauspost/compress/zlib"
	"io"
	"sync"
)

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
