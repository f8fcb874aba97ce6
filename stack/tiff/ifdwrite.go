package tiff

import (
	"encoding/binary"
	"math"
	"sort"
)

// field is one IFD entry to be written, its value already encoded
// little-endian.
type field struct {
	tag   uint16
	typ   uint16
	count uint64
	data  []byte
}

func shortField(tag uint16, v ...uint16) field {
	b := make([]byte, 2*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint16(b[2*i:], x)
	}
	return field{tag, typeShort, uint64(len(v)), b}
}

func longField(tag uint16, v ...uint32) field {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], x)
	}
	return field{tag, typeLong, uint64(len(v)), b}
}

// offsetField stores v as LONG in classic TIFF and LONG8 in BigTIFF.
func offsetField(tag uint16, big bool, v []uint64) field {
	if !big {
		b := make([]byte, 4*len(v))
		for i, x := range v {
			binary.LittleEndian.PutUint32(b[4*i:], uint32(x))
		}
		return field{tag, typeLong, uint64(len(v)), b}
	}
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], x)
	}
	return field{tag, typeLong8, uint64(len(v)), b}
}

func asciiField(tag uint16, s string) field {
	b := append([]byte(s), 0)
	return field{tag, typeASCII, uint64(len(b)), b}
}

// rationalField stores v as an unsigned rational with as much precision as
// 32-bit numerator and denominator allow.
func rationalField(tag uint16, v float64) field {
	var num, den uint32 = 0, 1
	if v > 0 && !math.IsInf(v, 0) && !math.IsNaN(v) {
		d := math.Min(1e6, math.Floor(float64(math.MaxUint32)/math.Max(v, 1)))
		if d < 1 {
			d = 1
		}
		n := math.Round(v * d)
		if n > math.MaxUint32 {
			n = math.MaxUint32
		}
		num, den = uint32(n), uint32(d)
	}
	b := make([]byte, 8)
	binary.LittleEndian.PutUint32(b, num)
	binary.LittleEndian.PutUint32(b[4:], den)
	return field{tag, typeRational, 1, b}
}

// encodeIFD lays out an IFD at file offset at, followed by the values that
// do not fit in their entries, and returns the bytes (of even length).
func encodeIFD(fields []field, big bool, at, next uint64) []byte {
	sort.Slice(fields, func(i, j int) bool { return fields[i].tag < fields[j].tag })
	countSize, entrySize, offSize := 2, 12, 4
	if big {
		countSize, entrySize, offSize = 8, 20, 8
	}
	head := countSize + len(fields)*entrySize + offSize
	size := head
	for _, f := range fields {
		if len(f.data) > offSize {
			size += len(f.data) + len(f.data)&1
		}
	}
	out := make([]byte, head, size)
	le := binary.LittleEndian
	if big {
		le.PutUint64(out, uint64(len(fields)))
	} else {
		le.PutUint16(out, uint16(len(fields)))
	}
	for i, f := range fields {
		e := out[countSize+i*entrySize:]
		le.PutUint16(e, f.tag)
		le.PutUint16(e[2:], f.typ)
		val := e[8:]
		if big {
			le.PutUint64(e[4:], f.count)
			val = e[12:]
		} else {
			le.PutUint32(e[4:], uint32(f.count))
		}
		if len(f.data) <= offSize {
			copy(val, f.data)
			continue
		}
		pos := at + uint64(len(out))
		if big {
			le.PutUint64(val, pos)
		} else {
			le.PutUint32(val, uint32(pos))
		}
		out = append(out, f.data...)
		if len(f.data)&1 == 1 {
			out = append(out, 0)
		}
	}
	if big {
		le.PutUint64(out[head-8:], next)
	} else {
		le.PutUint32(out[head-4:], uint32(next))
	}
	return out
}
