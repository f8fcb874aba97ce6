package tiff

// TIFF's LZW differs from the GIF/compress variant in compress/lzw: codes
// are packed most significant bit first and the code width grows one code
// early ("early change"), so it has its own coder here.

const (
	lzwClear    = 256
	lzwEOI      = 257
	lzwFirst    = 258
	lzwMaxCodes = 4096
)

// lzwWidth is the code width used while the next table entry to be created
// is free (encoder view) or next+1 (decoder view).
func lzwWidth(free int) uint {
	switch {
	case free < 512:
		return 9
	case free < 1024:
		return 10
	case free < 2048:
		return 11
	}
	return 12
}

// lzwDecode decodes TIFF LZW data into dst and returns the bytes written.
// It stops at the end-of-information code, when src runs out, or when dst
// is full.
func lzwDecode(src, dst []byte) (int, error) {
	if len(src) >= 2 && src[0] == 0 && src[1]&1 != 0 {
		return 0, UnsupportedError("old-style (pre-TIFF 6.0) LZW compression")
	}
	var (
		prefix [lzwMaxCodes]uint16
		suffix [lzwMaxCodes]byte
		first  [lzwMaxCodes]byte
		length [lzwMaxCodes]uint16
	)
	for i := 0; i < 256; i++ {
		suffix[i], first[i], length[i] = byte(i), byte(i), 1
	}
	var (
		bitBuf uint64
		nBits  uint
		width  uint = 9
		next        = lzwFirst
		prev        = -1
		pos         = 0
		in          = 0
	)
	for pos < len(dst) {
		for nBits < width && in < len(src) {
			bitBuf = bitBuf<<8 | uint64(src[in])
			in++
			nBits += 8
		}
		if nBits < width {
			break
		}
		code := int(bitBuf>>(nBits-width)) & (1<<width - 1)
		nBits -= width
		switch {
		case code == lzwClear:
			width, next, prev = 9, lzwFirst, -1
			continue
		case code == lzwEOI:
			return pos, nil
		case prev < 0:
			if code > 255 {
				return pos, formatErrorf("LZW: code %d after a clear code", code)
			}
			dst[pos] = byte(code)
			pos++
			prev = code
			continue
		}
		var f byte
		var out int // code whose string is written
		switch {
		case code < next:
			f, out = first[code], code
		case code == next:
			f, out = first[prev], prev
		default:
			return pos, formatErrorf("LZW: code %d beyond the table (%d entries)", code, next)
		}
		// Write the string of out backwards from its end, clipped to dst.
		n := int(length[out])
		end := pos + n
		c := out
		for i := end - 1; i >= pos; i-- {
			if i < len(dst) {
				dst[i] = suffix[c]
			}
			c = int(prefix[c])
		}
		pos = min(end, len(dst))
		if code == next && pos < len(dst) {
			dst[pos] = f
			pos++
		}
		if next < lzwMaxCodes {
			prefix[next], suffix[next], first[next], length[next] = uint16(prev), f, first[prev], length[prev]+1
			next++
		}
		prev = code
		width = lzwWidth(next + 1)
	}
	return pos, nil
}

// lzwEncoder compresses strips with TIFF LZW. Its hash table is reused
// between strips.
type lzwEncoder struct {
	table  [1 << 13]uint32 // key<<12 | code, 0 = empty; key = prefix<<8 | byte
	out    []byte
	bitBuf uint64
	nBits  uint
}

func (e *lzwEncoder) emit(code int, width uint) {
	e.bitBuf = e.bitBuf<<width | uint64(code)
	e.nBits += width
	for e.nBits >= 8 {
		e.nBits -= 8
		e.out = append(e.out, byte(e.bitBuf>>e.nBits))
	}
}

func (e *lzwEncoder) reset() { clear(e.table[:]) }

// lzwFull is the free code at which the encoder starts a new table, leaving
// the decoder's table below its 4096-entry limit.
const lzwFull = lzwMaxCodes - 2

// encode appends the LZW encoding of src to out.
func (e *lzwEncoder) encode(out, src []byte) []byte {
	e.out, e.bitBuf, e.nBits = out, 0, 0
	e.reset()
	free := lzwFirst
	e.emit(lzwClear, 9)
	if len(src) == 0 {
		e.emit(lzwEOI, 9)
		return e.flush()
	}
	w := int(src[0])
	for _, c := range src[1:] {
		key := uint32(w)<<8 | uint32(c)
		h := (key * 0x9E3779B1) >> (32 - 13)
		found := false
		for {
			v := e.table[h]
			if v == 0 {
				break
			}
			if v>>12 == key {
				w = int(v & 0xfff)
				found = true
				break
			}
			h = (h + 1) & (1<<13 - 1)
		}
		if found {
			continue
		}
		e.emit(w, lzwWidth(free))
		e.table[h] = key<<12 | uint32(free)
		free++
		if free == lzwFull {
			e.emit(lzwClear, lzwWidth(free))
			e.reset()
			free = lzwFirst
		}
		w = int(c)
	}
	e.emit(w, lzwWidth(free))
	free++
	e.emit(lzwEOI, lzwWidth(free))
	return e.flush()
}

func (e *lzwEncoder) flush() []byte {
	if e.nBits > 0 {
		e.out = append(e.out, byte(e.bitBuf<<(8-e.nBits)))
		e.nBits = 0
	}
	return e.out
}
