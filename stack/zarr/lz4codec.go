package zarr

import (
	"encoding/binary"

	"github.com/pierrec/lz4/v4"
)

// numcodecsLZ4 reads numcodecs' LZ4 codec (Zarr v2 compressor "lz4"): the
// uncompressed size as a little-endian uint32, then one LZ4 block.
type numcodecsLZ4 struct{}

func (numcodecsLZ4) codec() Codec { return Codec{Name: "lz4"} }

func (numcodecsLZ4) encode(dst, src []byte) ([]byte, error) {
	return nil, unsupportedf("writing numcodecs' lz4 codec")
}

func (numcodecsLZ4) decode(src []byte, want, limit int, buf []byte) ([]byte, error) {
	if len(src) < 4 {
		return nil, formatErrorf("lz4 chunk of %d bytes has no size header", len(src))
	}
	n := int(binary.LittleEndian.Uint32(src))
	if want >= 0 && n != want {
		return nil, formatErrorf("lz4 chunk holds %d bytes, the chunk has %d", n, want)
	}
	if n > limit {
		return nil, &LimitError{What: "lz4 data", Size: uint64(n), Limit: uint64(limit)}
	}
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	m, err := lz4.UncompressBlock(src[4:], buf)
	if err != nil {
		return nil, formatErrorf("lz4: %v", err)
	}
	return buf, wantSize("lz4", m, n)
}
