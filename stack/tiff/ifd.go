package tiff

import (
	"encoding/binary"
	"errors"
	"io"
	"math"
	"strconv"
)

// source reads bounded byte ranges of a TIFF file. All reads go through
// ReadAt, so a source is safe for concurrent use.
type source struct {
	ra   io.ReaderAt
	size int64
	bo   binary.ByteOrder
	big  bool // BigTIFF
}

// readAt fills p from offset off, reporting a FormatError when the range
// lies outside the file or the file is shorter than it claims.
func (s *source) readAt(p []byte, off uint64, what string) error {
	if off > uint64(s.size) || uint64(len(p)) > uint64(s.size)-off {
		return formatErrorf("%s at offset %d (+%d bytes) lies past the end of the file (%d bytes)", what, off, len(p), s.size)
	}
	n, err := s.ra.ReadAt(p, int64(off))
	if n == len(p) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		return formatErrorf("%s at offset %d: file truncated", what, off)
	}
	return err
}

// entry is one IFD entry. Values that fit in the entry are kept in inline;
// others are read from off on demand.
type entry struct {
	tag    uint16
	typ    uint16
	count  uint64
	inline []byte // value bytes when they fit in the entry, else nil
	off    uint64 // file offset of the value when not inline
}

// bytes returns the entry's raw value bytes, bounded by max.
func (s *source) entryBytes(e *entry, max uint64) ([]byte, error) {
	sz := typeSize(e.typ)
	if sz == 0 {
		return nil, formatErrorf("tag %d has unknown field type %d", e.tag, e.typ)
	}
	if e.count > max || e.count > math.MaxInt64/uint64(sz) {
		return nil, formatErrorf("tag %d has an absurd count %d", e.tag, e.count)
	}
	n := e.count * uint64(sz)
	if e.inline != nil {
		return e.inline[:n], nil
	}
	if n > uint64(s.size) {
		return nil, formatErrorf("tag %d value (%d bytes) is larger than the file", e.tag, n)
	}
	buf := make([]byte, n)
	if err := s.readAt(buf, e.off, "value of tag "+strconv.Itoa(int(e.tag))); err != nil {
		return nil, err
	}
	return buf, nil
}

// uints decodes an entry of an unsigned integer type into at most max values.
func (s *source) uints(e *entry, max uint64) ([]uint64, error) {
	switch e.typ {
	case typeByte, typeShort, typeLong, typeLong8, typeIFD, typeIFD8, typeUndefined:
	default:
		return nil, formatErrorf("tag %d has field type %d, want an unsigned integer", e.tag, e.typ)
	}
	b, err := s.entryBytes(e, max)
	if err != nil {
		return nil, err
	}
	v := make([]uint64, e.count)
	sz := typeSize(e.typ)
	for i := range v {
		p := b[i*sz:]
		switch sz {
		case 1:
			v[i] = uint64(p[0])
		case 2:
			v[i] = uint64(s.bo.Uint16(p))
		case 4:
			v[i] = uint64(s.bo.Uint32(p))
		case 8:
			v[i] = s.bo.Uint64(p)
		}
	}
	return v, nil
}

// uint reads a single unsigned value (the first of the entry).
func (s *source) uint(e *entry) (uint64, error) {
	if e.count < 1 {
		return 0, formatErrorf("tag %d has no value", e.tag)
	}
	one := *e
	one.count = 1
	v, err := s.uints(&one, 1)
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

// rational reads the first RATIONAL of an entry as a float64.
func (s *source) rational(e *entry) (float64, error) {
	if e.count < 1 {
		return 0, formatErrorf("tag %d has no value", e.tag)
	}
	one := *e
	one.count = 1
	b, err := s.entryBytes(&one, 1)
	if err != nil {
		return 0, err
	}
	switch e.typ {
	case typeRational:
		num, den := s.bo.Uint32(b), s.bo.Uint32(b[4:])
		if den == 0 {
			return 0, nil
		}
		return float64(num) / float64(den), nil
	case typeSRational:
		num, den := int32(s.bo.Uint32(b)), int32(s.bo.Uint32(b[4:]))
		if den == 0 {
			return 0, nil
		}
		return float64(num) / float64(den), nil
	case typeFloat:
		return float64(math.Float32frombits(s.bo.Uint32(b))), nil
	case typeDouble:
		return math.Float64frombits(s.bo.Uint64(b)), nil
	case typeShort, typeLong:
		v, err := s.uint(e)
		return float64(v), err
	}
	return 0, formatErrorf("tag %d has field type %d, want a rational", e.tag, e.typ)
}

// maxTextBytes bounds ImageDescription and similar text values.
const maxTextBytes = 64 << 20

// text reads an ASCII (or BYTE/UNDEFINED) entry as a string without the
// trailing NULs.
func (s *source) text(e *entry) (string, error) {
	switch e.typ {
	case typeASCII, typeByte, typeUndefined:
	default:
		return "", formatErrorf("tag %d has field type %d, want ASCII", e.tag, e.typ)
	}
	b, err := s.entryBytes(e, maxTextBytes)
	if err != nil {
		return "", err
	}
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	// Multiple NUL-separated strings: keep the first.
	for i, c := range b {
		if c == 0 {
			b = b[:i]
			break
		}
	}
	return string(b), nil
}

// readHeader reads the TIFF header and returns the offset of the first IFD.
func readHeader(ra io.ReaderAt, size int64) (*source, uint64, error) {
	var h [16]byte
	n, err := ra.ReadAt(h[:], 0)
	if n < 8 {
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, 0, err
		}
		return nil, 0, FormatError("file too short for a TIFF header")
	}
	s := &source{ra: ra, size: size}
	switch string(h[:2]) {
	case "II":
		s.bo = binary.LittleEndian
	case "MM":
		s.bo = binary.BigEndian
	default:
		return nil, 0, FormatError("not a TIFF file: bad byte-order mark")
	}
	switch s.bo.Uint16(h[2:]) {
	case 42:
		return s, uint64(s.bo.Uint32(h[4:])), nil
	case 43:
		if n < 16 {
			return nil, 0, FormatError("file too short for a BigTIFF header")
		}
		if s.bo.Uint16(h[4:]) != 8 || s.bo.Uint16(h[6:]) != 0 {
			return nil, 0, FormatError("BigTIFF header with unexpected offset size")
		}
		s.big = true
		return s, s.bo.Uint64(h[8:]), nil
	}
	return nil, 0, FormatError("not a TIFF file: bad version number")
}

// maxEntries bounds the number of entries in one IFD. Real files have a few
// dozen; classic TIFF cannot exceed 65535.
const maxEntries = 1 << 16

// ifdChunk is how much is read at once when an IFD is parsed; most IFDs,
// with their out-of-line values, fit.
const ifdChunk = 4096

// readIFD parses the IFD at off. It returns its entries keyed by tag and the
// offset of the next IFD (0 at the end of the chain).
func (s *source) readIFD(off uint64) (map[uint16]*entry, uint64, error) {
	countSize, entrySize, offSize := uint64(2), uint64(12), uint64(4)
	if s.big {
		countSize, entrySize, offSize = 8, 20, 8
	}
	if off < 8 || off >= uint64(s.size) {
		return nil, 0, formatErrorf("IFD offset %d lies outside the file (%d bytes)", off, s.size)
	}
	chunk := make([]byte, min(uint64(ifdChunk), uint64(s.size)-off))
	if err := s.readAt(chunk, off, "IFD"); err != nil {
		return nil, 0, err
	}
	if uint64(len(chunk)) < countSize {
		return nil, 0, formatErrorf("IFD at offset %d: file truncated", off)
	}
	var n uint64
	if s.big {
		n = s.bo.Uint64(chunk)
	} else {
		n = uint64(s.bo.Uint16(chunk))
	}
	if n == 0 {
		return nil, 0, formatErrorf("IFD at offset %d has no entries", off)
	}
	if n > maxEntries {
		return nil, 0, formatErrorf("IFD at offset %d claims %d entries", off, n)
	}
	need := countSize + n*entrySize + offSize
	if need > uint64(len(chunk)) {
		if need > uint64(s.size)-off {
			return nil, 0, formatErrorf("IFD at offset %d with %d entries runs past the end of the file", off, n)
		}
		chunk = make([]byte, need)
		if err := s.readAt(chunk, off, "IFD"); err != nil {
			return nil, 0, err
		}
	}
	entries := make(map[uint16]*entry, n)
	for i := uint64(0); i < n; i++ {
		p := chunk[countSize+i*entrySize : countSize+(i+1)*entrySize]
		e := &entry{tag: s.bo.Uint16(p), typ: s.bo.Uint16(p[2:])}
		val := p[8:]
		if s.big {
			e.count = s.bo.Uint64(p[4:])
			val = p[12:]
		} else {
			e.count = uint64(s.bo.Uint32(p[4:]))
		}
		sz := uint64(typeSize(e.typ))
		if sz == 0 {
			continue // unknown field type: skip the tag, as readers must
		}
		if e.count <= offSize/sz {
			e.inline = val[:offSize:offSize]
		} else {
			if s.big {
				e.off = s.bo.Uint64(val)
			} else {
				e.off = uint64(s.bo.Uint32(val))
			}
			// Serve small out-of-line values from the chunk already read.
			if n := e.count * sz; e.count <= uint64(len(chunk)) && n <= uint64(len(chunk)) &&
				e.off >= off && e.off-off <= uint64(len(chunk))-n {
				start := e.off - off
				e.inline = chunk[start : start+n : start+n]
			}
		}
		if _, dup := entries[e.tag]; !dup {
			entries[e.tag] = e
		}
	}
	p := chunk[countSize+n*entrySize:]
	var next uint64
	if s.big {
		next = s.bo.Uint64(p)
	} else {
		next = uint64(s.bo.Uint32(p))
	}
	return entries, next, nil
}
