// Package npy reads and writes NumPy .npy files (format versions 1.0 to
// 3.0, little-endian, C order), the exchange format between the benchmark
// harness, its Go runner and the Python anchors.
package npy

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"unsafe"
)

var magic = []byte("\x93NUMPY")

// FormatError says that a file is not a .npy file this package can read.
type FormatError string

func (e FormatError) Error() string { return "npy: " + string(e) }

// Array is a decoded .npy array: its shape and its raw little-endian bytes
// in C order, tagged with the NumPy type string (such as "<f4" or "|u1").
type Array struct {
	Shape []int
	Descr string
	Data  []byte
}

// Len is the number of elements.
func (a *Array) Len() int {
	n := 1
	for _, d := range a.Shape {
		n *= d
	}
	return n
}

// ItemSize is the size of one element in bytes.
func (a *Array) ItemSize() int {
	n, _ := strconv.Atoi(a.Descr[2:])
	return n
}

var (
	descrRe = regexp.MustCompile(`'descr'\s*:\s*'([^']*)'`)
	orderRe = regexp.MustCompile(`'fortran_order'\s*:\s*(True|False)`)
	shapeRe = regexp.MustCompile(`'shape'\s*:\s*\(([^)]*)\)`)
)

var supported = map[string]bool{
	"|u1": true, "|i1": true, "|b1": true, "<u2": true, "<i2": true, "<u4": true,
	"<i4": true, "<u8": true, "<i8": true, "<f4": true, "<f8": true,
}

// Read decodes the .npy file at path.
func Read(path string) (*Array, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	a, err := Decode(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}

// Decode reads one .npy array from r.
func Decode(r io.Reader) (*Array, error) {
	head := make([]byte, 8)
	if _, err := io.ReadFull(r, head); err != nil {
		return nil, FormatError("short header")
	}
	if string(head[:6]) != string(magic) {
		return nil, FormatError("bad magic")
	}
	var hlen int
	switch head[6] {
	case 1:
		b := make([]byte, 2)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, FormatError("short header")
		}
		hlen = int(binary.LittleEndian.Uint16(b))
	case 2, 3:
		b := make([]byte, 4)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, FormatError("short header")
		}
		hlen = int(binary.LittleEndian.Uint32(b))
	default:
		return nil, FormatError(fmt.Sprintf("unsupported version %d", head[6]))
	}
	if hlen > 1<<20 {
		return nil, FormatError("header too long")
	}
	hdr := make([]byte, hlen)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, FormatError("short header")
	}
	h := string(hdr)
	m := descrRe.FindStringSubmatch(h)
	if m == nil {
		return nil, FormatError("no descr in header")
	}
	a := &Array{Descr: m[1]}
	if a.Descr == "<u1" || a.Descr == "<i1" {
		a.Descr = "|" + a.Descr[1:]
	}
	if !supported[a.Descr] {
		return nil, FormatError(fmt.Sprintf("unsupported dtype %q", a.Descr))
	}
	if m := orderRe.FindStringSubmatch(h); m == nil || m[1] != "False" {
		return nil, FormatError("only C-order arrays are supported")
	}
	m = shapeRe.FindStringSubmatch(h)
	if m == nil {
		return nil, FormatError("no shape in header")
	}
	for _, p := range strings.Split(m[1], ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		d, err := strconv.Atoi(p)
		if err != nil || d < 0 {
			return nil, FormatError(fmt.Sprintf("bad shape %q", m[1]))
		}
		a.Shape = append(a.Shape, d)
	}
	n := a.Len() * a.ItemSize()
	if n < 0 || int64(n) > math.MaxInt32*8 {
		return nil, FormatError("array too large")
	}
	a.Data = make([]byte, n)
	if _, err := io.ReadFull(r, a.Data); err != nil {
		return nil, FormatError(fmt.Sprintf("data truncated: %v", err))
	}
	return a, nil
}

// Float32 returns the elements as float32; it accepts only "<f4" arrays, so
// that a comparison never hides a conversion.
func (a *Array) Float32() ([]float32, error) {
	if a.Descr != "<f4" {
		return nil, fmt.Errorf("npy: want float32, have %s", a.Descr)
	}
	out := make([]float32, a.Len())
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(a.Data[4*i:]))
	}
	return out, nil
}

// Labels returns integer elements as uint32. Label images come as uint32
// from segstack, int32 from scipy and OpenCV and int64 from scikit-image; a
// negative or too large value is an error.
func (a *Array) Labels() ([]uint32, error) {
	out := make([]uint32, a.Len())
	d := a.Data
	switch a.Descr {
	case "|u1", "|b1":
		for i := range out {
			out[i] = uint32(d[i])
		}
	case "<u2":
		for i := range out {
			out[i] = uint32(binary.LittleEndian.Uint16(d[2*i:]))
		}
	case "<u4":
		for i := range out {
			out[i] = binary.LittleEndian.Uint32(d[4*i:])
		}
	case "<i4":
		for i := range out {
			v := int32(binary.LittleEndian.Uint32(d[4*i:]))
			if v < 0 {
				return nil, fmt.Errorf("npy: negative label %d", v)
			}
			out[i] = uint32(v)
		}
	case "<i8", "<u8":
		for i := range out {
			v := binary.LittleEndian.Uint64(d[8*i:])
			if v > math.MaxUint32 {
				return nil, fmt.Errorf("npy: label %d out of uint32 range", int64(v))
			}
			out[i] = uint32(v)
		}
	default:
		return nil, fmt.Errorf("npy: %s is not an integer type", a.Descr)
	}
	return out, nil
}

// Elem is the set of element types Write accepts.
type Elem interface {
	~uint8 | ~uint16 | ~uint32 | ~int32 | ~float32
}

// Write stores data with the given shape as a version 1.0 .npy file.
func Write[T Elem](path string, shape []int, data []T) (err error) {
	n := 1
	for _, d := range shape {
		n *= d
	}
	if n != len(data) {
		return fmt.Errorf("npy: %d elements do not fill shape %v", len(data), shape)
	}
	var descr string
	var size int
	switch any(data).(type) {
	case []uint8:
		descr, size = "|u1", 1
	case []uint16:
		descr, size = "<u2", 2
	case []uint32:
		descr, size = "<u4", 4
	case []int32:
		descr, size = "<i4", 4
	case []float32:
		descr, size = "<f4", 4
	default:
		return errors.New("npy: unsupported element type")
	}
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = strconv.Itoa(d)
	}
	shp := strings.Join(dims, ", ")
	if len(shape) == 1 {
		shp += ","
	}
	h := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, shp)
	// Pad so that the data starts on a 64-byte boundary, as NumPy does.
	total := len(magic) + 2 + 2 + len(h) + 1
	h += strings.Repeat(" ", (64-total%64)%64) + "\n"

	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	w.Write(magic)
	w.Write([]byte{1, 0})
	binary.Write(w, binary.LittleEndian, uint16(len(h)))
	w.WriteString(h)
	if size > 0 && len(data) > 0 {
		// Every platform Go targets here is little-endian, as .npy's "<" is.
		raw := unsafe.Slice((*byte)(unsafe.Pointer(&data[0])), len(data)*size)
		if _, err := w.Write(raw); err != nil {
			return err
		}
	}
	return w.Flush()
}
