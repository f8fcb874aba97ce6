package zarr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/segstack/segstack/internal/outfile"
	"github.com/segstack/segstack/stack"
)

// ImageOptions describe an OME-NGFF image to write.
type ImageOptions struct {
	// ZarrFormat is 2 (the default), written as NGFF 0.4, or 3, written
	// as NGFF 0.5.
	ZarrFormat int
	// Name is the multiscale's name.
	Name string
	// Shape is the extent of one channel: Z planes of Y×X pixels.
	Shape stack.Shape
	// Channels above 1 add a leading "c" axis; planes are then numbered
	// c·Z+z.
	Channels int
	// DType is the element type; label images need an integer type.
	DType DType
	// Chunks is the chunk shape along Z, Y and X (zero extents pick 1,
	// 512 and 512); every level uses it, clipped to its shape.
	Chunks stack.Shape
	// Codec compresses the chunks (none when zero).
	Codec Codec
	// PixelSizeZ, PixelSizeY and PixelSizeX are the full-resolution
	// sample spacing in Unit (0 means 1).
	PixelSizeZ, PixelSizeY, PixelSizeX float64
	// Unit is the length unit; it is written as its UDUNITS name (see
	// NormalizeUnit). Empty leaves the axes without a unit.
	Unit string
	// ChannelNames label the channels in the omero metadata.
	ChannelNames []string
	// Workers bounds the goroutines that encode chunks (0: GOMAXPROCS).
	Workers int
	// Durable syncs chunks and metadata to the disk (see ArrayOptions).
	Durable bool
	// Staged says that the image is written inside a directory that is
	// renamed into place once complete (see ArrayOptions.Staged); label
	// images from CreateLabels always are.
	Staged bool
	// WriteFillChunks writes chunks of fill values too (see
	// ArrayOptions.WriteFillChunks).
	WriteFillChunks bool
}

// maxLabelColors bounds the label values given a colour in image-label
// metadata: beyond it the list would dwarf the metadata, and viewers
// pick colours themselves.
const maxLabelColors = 4096

// ImageWriter writes an OME-NGFF multiscale image plane by plane: each
// plane goes to the full-resolution level and, halved in Y and X again
// and again, to the levels below it, until a level fits in one chunk.
// Image levels are reduced by the mean of 2×2 blocks, label levels by
// their top-left pixel. Close commits the arrays and then writes the group
// metadata, last, so that a reader never sees a half-written image.
type ImageWriter struct {
	root   string
	o      ImageOptions
	label  bool
	name   string // label name, for the labels group
	axes   []Axis
	levels []imageLevel

	mu        sync.Mutex
	lo, hi    []float64 // per channel, for omero windows
	maxLabel  uint64
	bufs      []sync.Pool // per level > 0: plane buffers
	closed    bool
	finished  bool
	finishErr error
	// final is where a label image goes once complete; it is written
	// under root, a temporary name beside it, until Close moves it there.
	final string
	// shared is whether the image is written by several writers (Join):
	// abortLevels then leaves the arrays to the others.
	shared bool
}

type imageLevel struct {
	w     *Writer
	pw    *PlaneWriter
	shape stack.Shape
	scale []float64
}

// CreateImage starts writing an image at directory path. An image there
// already is replaced: its group metadata goes first, then each level is
// rewritten; its "labels" group is kept.
func CreateImage(ctx context.Context, path string, o ImageOptions) (*ImageWriter, error) {
	iw, err := newImageWriter(ctx, path, o, false, "")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return iw, nil
}

// CreateLabels starts writing the label image name of the image at
// imagePath, as imagePath/labels/name. The image itself may be written at
// the same time or not at all. The multiscale is named name (o.Name is
// ignored), as viewers list label images by it.
//
// The label image is written under a temporary name in the labels group
// (see outfile.TempName) and Close moves it to labels/name, replacing a
// label image there in one step, and then adds name to the list in the
// labels group's metadata, keeping the names already there (the metadata
// is rewritten through a temporary file and a rename). A process killed
// at any moment thus leaves labels/name as it was or complete, and a
// temporary that the next CreateLabels on that image removes.
func CreateLabels(ctx context.Context, imagePath, name string, o ImageOptions) (*ImageWriter, error) {
	if name == "" || name == "." || name == ".." || filepath.Base(name) != name {
		return nil, fmt.Errorf("zarr: label name %q is not a plain name", name)
	}
	if o.DType.Float() {
		return nil, fmt.Errorf("zarr: labels must have an integer type, not %v", o.DType)
	}
	dir := filepath.Join(imagePath, "labels")
	path := filepath.Join(dir, name)
	if err := checkGroupDir(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("zarr: %w", err)
	}
	// Label images of writers killed before Close.
	if _, err := outfile.RemoveStale(dir); err != nil {
		return nil, fmt.Errorf("zarr: %w", err)
	}
	o.Name = name
	o.Staged = true // under a temporary name until Close moves it
	iw, err := newImageWriter(ctx, outfile.TempName(path), o, true, name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	iw.final = path
	return iw, nil
}

func newImageWriter(ctx context.Context, root string, o ImageOptions, label bool, name string) (*ImageWriter, error) {
	return buildImageWriter(ctx, root, o, label, name, nil)
}

// buildImageWriter starts the levels of an image with Create or, when join
// is not nil, opens each with join (OpenWriter for a Join that does not
// create).
func buildImageWriter(ctx context.Context, root string, o ImageOptions, label bool, name string, join func(path string, ao ArrayOptions) (*Writer, error)) (*ImageWriter, error) {
	if o.ZarrFormat == 0 {
		o.ZarrFormat = 2
	}
	if err := o.Shape.Validate(); err != nil {
		return nil, err
	}
	if o.Channels < 1 {
		o.Channels = 1
	}
	if o.Chunks.Z <= 0 {
		o.Chunks.Z = 1
	}
	if o.Chunks.Y <= 0 {
		o.Chunks.Y = 512
	}
	if o.Chunks.X <= 0 {
		o.Chunks.X = 512
	}
	unit, err := NormalizeUnit(o.Unit)
	if err != nil {
		return nil, err
	}
	if unit != "" && !isSpaceUnit(unit) {
		return nil, fmt.Errorf("zarr: %q is not a length unit", o.Unit)
	}
	o.Unit = unit
	for _, s := range []*float64{&o.PixelSizeZ, &o.PixelSizeY, &o.PixelSizeX} {
		if *s == 0 {
			*s = 1
		}
		if !(*s > 0) || math.IsInf(*s, 0) {
			return nil, fmt.Errorf("zarr: pixel size %v is not positive", *s)
		}
	}
	if join == nil {
		if err := prepareGroup(root, o.ZarrFormat); err != nil {
			return nil, err
		}
	}
	iw := &ImageWriter{root: root, o: o, label: label, name: name, shared: join != nil}
	if o.Channels > 1 {
		iw.axes = append(iw.axes, Axis{Name: "c", Type: "channel"})
	}
	for _, n := range []string{"z", "y", "x"} {
		iw.axes = append(iw.axes, Axis{Name: n, Type: "space", Unit: unit})
	}
	iw.lo = make([]float64, o.Channels)
	iw.hi = make([]float64, o.Channels)
	for c := range iw.lo {
		iw.lo[c], iw.hi[c] = math.Inf(1), math.Inf(-1)
	}
	// The levels: halve Y and X until a level fits one chunk.
	sh := o.Shape
	for l := 0; ; l++ {
		shape := []int{sh.Z, sh.Y, sh.X}
		chunks := []int{o.Chunks.Z, o.Chunks.Y, o.Chunks.X}
		f := math.Ldexp(1, l)
		scale := []float64{o.PixelSizeZ, o.PixelSizeY * f, o.PixelSizeX * f}
		names := []string{"z", "y", "x"}
		if o.Channels > 1 {
			shape = append([]int{o.Channels}, shape...)
			chunks = append([]int{1}, chunks...)
			scale = append([]float64{1}, scale...)
			names = append([]string{"c"}, names...)
		}
		ao := ArrayOptions{ZarrFormat: o.ZarrFormat, Shape: shape, Chunks: chunks, DType: o.DType,
			Codec: o.Codec, Durable: o.Durable, Staged: o.Staged, WriteFillChunks: o.WriteFillChunks}
		if o.ZarrFormat == 3 {
			ao.DimensionNames = names
		}
		open := Create
		if join != nil {
			open = join
		}
		w, err := open(filepath.Join(root, levelName(l)), ao)
		if err != nil {
			iw.abortLevels()
			return nil, err
		}
		pw, err := NewPlaneWriter(ctx, w, o.Workers)
		if err != nil {
			iw.abortLevels()
			return nil, err
		}
		// A shared image's planes are written by many writers, each
		// writing some of them.
		pw.partial = join != nil
		iw.levels = append(iw.levels, imageLevel{w: w, pw: pw, shape: sh, scale: scale})
		if sh.Y <= o.Chunks.Y && sh.X <= o.Chunks.X {
			break
		}
		sh = stack.Shape{Z: sh.Z, Y: halve(sh.Y), X: halve(sh.X)}
	}
	iw.bufs = make([]sync.Pool, len(iw.levels))
	if join != nil {
		return iw, nil
	}
	if err := removeStaleLevels(root, len(iw.levels)); err != nil {
		iw.abortLevels()
		return nil, err
	}
	return iw, nil
}

// prepareGroup readies dir for a new image group of the given Zarr
// format: it must be absent, empty or a Zarr group; the group's metadata
// is removed so that no reader sees the old image while the new one is
// written, and temporaries of killed writes in the directory itself are
// removed (those of the arrays go with the arrays).
func prepareGroup(dir string, format int) error {
	err := checkGroupDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return os.MkdirAll(dir, 0o755)
	}
	if err != nil {
		return err
	}
	for _, f := range []string{v3File, v2AttrsFile, v2GroupFile} {
		if err := os.Remove(filepath.Join(dir, f)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return removeTemporaries(dir, "")
}

// checkGroupDir reports whether dir may become an image group: an error
// wrapping fs.ErrNotExist when it is absent, nil when it is an empty
// directory, a Zarr group or what a group killed before its metadata
// leaves, another error otherwise. It changes nothing.
func checkGroupDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("zarr: %s exists and is not a directory", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	group := false
	for _, e := range entries {
		switch e.Name() {
		case v2GroupFile:
			group = true
		case v2ArrayFile, pendingFile:
			return fmt.Errorf("zarr: %s is a Zarr array, not an image group; remove it first", dir)
		case v3File:
			b, err := os.ReadFile(filepath.Join(dir, v3File))
			if err != nil {
				return err
			}
			n, err := parseV3Node(b)
			if err != nil || n.NodeType != "group" {
				return fmt.Errorf("zarr: %s holds a zarr.json that is not a group's; remove it first", dir)
			}
			group = true
		}
	}
	if !group && len(entries) > 0 {
		for _, e := range entries { // a group killed before its metadata holds only levels and temporaries
			if !isTemporary(e.Name()) && e.Name() != "labels" {
				if _, err := strconv.Atoi(e.Name()); err != nil || !e.IsDir() {
					return fmt.Errorf("zarr: %s exists and is not a Zarr group; remove it first", dir)
				}
			}
		}
	}
	return nil
}

// removeStaleLevels deletes level arrays past the first n, left by an
// earlier image with more levels.
func removeStaleLevels(dir string, n int) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if l, err := strconv.Atoi(e.Name()); err == nil && l >= n && e.IsDir() {
			if err := removeDir(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

func (iw *ImageWriter) abortLevels() {
	for _, l := range iw.levels {
		l.pw.Close()
		if !iw.shared {
			l.w.Abort()
		}
	}
}

// Path is the image group's directory: for a label image, where Close
// puts it.
func (iw *ImageWriter) Path() string {
	if iw.final != "" {
		return iw.final
	}
	return iw.root
}

// Levels returns the shape of every level, full resolution first.
func (iw *ImageWriter) Levels() []stack.Shape {
	s := make([]stack.Shape, len(iw.levels))
	for i, l := range iw.levels {
		s[i] = l.shape
	}
	return s
}

// PlaneBytes is the size of one full-resolution plane.
func (iw *ImageWriter) PlaneBytes() int { return iw.o.Shape.PlaneLen() * iw.o.DType.Size() }

// Planes is the number of planes to write: Channels·Z.
func (iw *ImageWriter) Planes() int { return iw.o.Channels * iw.o.Shape.Z }

// WritePlane writes full-resolution plane p (PlaneBytes bytes of the
// image's element type in the machine's byte order) and its reductions.
// Planes may come from several goroutines; see PlaneWriter for the order
// they need.
func (iw *ImageWriter) WritePlane(ctx context.Context, p int, plane []byte) error {
	if p < 0 || p >= iw.Planes() {
		return fmt.Errorf("zarr: plane %d out of range [0, %d)", p, iw.Planes())
	}
	if len(plane) != iw.PlaneBytes() {
		return fmt.Errorf("zarr: plane holds %d bytes, want %d", len(plane), iw.PlaneBytes())
	}
	iw.observe(p/iw.o.Shape.Z, plane)
	return iw.writeLevels(ctx, p, plane)
}

// WritePlaneNow writes plane p as WritePlane does, but when the image's
// chunks are one plane deep the full-resolution chunks are encoded and
// written before it returns, in the calling goroutine and straight from
// plane (see PlaneWriter.WritePlaneNow): plane may be reused at once, and
// no copy of it is made. Blosc chunks several planes deep that span whole
// planes are encoded the same way, each written by the call that brings
// its last plane. Calls from several goroutines encode in parallel.
func (iw *ImageWriter) WritePlaneNow(ctx context.Context, p int, plane []byte) error {
	if p < 0 || p >= iw.Planes() {
		return fmt.Errorf("zarr: plane %d out of range [0, %d)", p, iw.Planes())
	}
	if len(plane) != iw.PlaneBytes() {
		return fmt.Errorf("zarr: plane holds %d bytes, want %d", len(plane), iw.PlaneBytes())
	}
	if !iw.label && iw.o.DType == Uint16 && len(iw.levels) == 1 {
		// The value range is gathered while the plane is encoded (a Blosc
		// shuffle reads it anyway) rather than in a pass of its own.
		var r u16Range
		if err := iw.levels[0].pw.writePlaneNow(ctx, p, plane, &r, false); err != nil {
			return err
		}
		iw.mu.Lock()
		c := p / iw.o.Shape.Z
		iw.lo[c] = math.Min(iw.lo[c], float64(r.lo))
		iw.hi[c] = math.Max(iw.hi[c], float64(r.hi))
		iw.mu.Unlock()
		return nil
	}
	iw.observe(p/iw.o.Shape.Z, plane)
	if err := iw.levels[0].pw.WritePlaneNow(ctx, p, plane); err != nil {
		return err
	}
	return iw.writeReductions(ctx, p, plane)
}

// WritesNow reports whether WritePlaneNow takes the whole of a plane
// before it returns, keeping nothing of it but its encoding: the image
// has one level, and chunks one plane deep or Blosc chunks spanning whole
// planes (see PlaneWriter.WritePlaneNow). Its planes may then come in any
// order, from any number of goroutines; otherwise they need the order
// WritePlane does.
func (iw *ImageWriter) WritesNow() bool {
	return len(iw.levels) == 1 && iw.levels[0].pw.WritesWhole()
}

// WriteLabelPlane writes plane p of a label image as WritePlane does,
// for a caller that knows the plane's largest label: maxLabel replaces
// the scan of the plane that finds it. A maxLabel below the plane's true
// maximum only leaves the larger labels out of the image-label colours.
// Where the label image has one level and each plane is one chunk, or
// chunks are encoded a plane at a time (see PlaneWriter.EncodesByPlane),
// the plane is encoded before WriteLabelPlane returns, in the calling
// goroutine, and not copied: label planes encode fast (runs), and a copy
// of the plane for other goroutines to encode would cost about half as
// much again. The file of a plane that is one chunk is then written by
// the image's goroutines, so that the caller does not wait for the file
// system. Planes of several chunks are copied and their chunks encoded by
// several goroutines.
func (iw *ImageWriter) WriteLabelPlane(ctx context.Context, p int, plane []byte, maxLabel uint64) error {
	if !iw.label {
		return errors.New("zarr: WriteLabelPlane on an image that is not a label image")
	}
	if p < 0 || p >= iw.Planes() {
		return fmt.Errorf("zarr: plane %d out of range [0, %d)", p, iw.Planes())
	}
	if len(plane) != iw.PlaneBytes() {
		return fmt.Errorf("zarr: plane holds %d bytes, want %d", len(plane), iw.PlaneBytes())
	}
	iw.mu.Lock()
	iw.maxLabel = max(iw.maxLabel, maxLabel)
	iw.mu.Unlock()
	if pw := iw.levels[0].pw; len(iw.levels) == 1 && (pw.EncodesByPlane() || pw.planeIsChunk()) {
		return pw.writePlaneNow(ctx, p, plane, nil, true)
	}
	return iw.writeLevels(ctx, p, plane)
}

// writeLevels writes plane p to the full-resolution level and its
// reductions to the levels below.
func (iw *ImageWriter) writeLevels(ctx context.Context, p int, plane []byte) error {
	if err := iw.levels[0].pw.WritePlane(ctx, p, plane); err != nil {
		return err
	}
	return iw.writeReductions(ctx, p, plane)
}

// writeReductions writes the reductions of full-resolution plane p to the
// levels below the first.
func (iw *ImageWriter) writeReductions(ctx context.Context, p int, plane []byte) error {
	src := plane
	var held []*[]byte
	defer func() {
		for i, b := range held {
			iw.bufs[i+1].Put(b)
		}
	}()
	elem := iw.o.DType.Size()
	for l := 1; l < len(iw.levels); l++ {
		prev, cur := iw.levels[l-1].shape, iw.levels[l].shape
		n := cur.PlaneLen() * elem
		b, _ := iw.bufs[l].Get().(*[]byte)
		if b == nil || len(*b) != n {
			nb := make([]byte, n)
			b = &nb
		}
		held = append(held, b)
		if iw.label {
			downsampleFirst(*b, src, prev.Y, prev.X, elem)
		} else {
			downsampleMean(*b, src, prev.Y, prev.X, iw.o.DType)
		}
		if err := iw.levels[l].pw.WritePlane(ctx, p, *b); err != nil {
			return err
		}
		src = *b
	}
	return nil
}

// WriteImagePlane writes plane p from a slice of the image's element
// type.
func WriteImagePlane[T stack.Elem](ctx context.Context, iw *ImageWriter, p int, plane []T) error {
	if dt := FromStack(stack.DTypeOf[T]()); dt != iw.o.DType {
		return fmt.Errorf("zarr: image holds %v, plane is %v", iw.o.DType, dt)
	}
	return iw.WritePlane(ctx, p, asBytes(plane))
}

// observe records the value range of a plane of channel c (images) or its
// largest label (label images).
func (iw *ImageWriter) observe(c int, plane []byte) {
	dt := iw.o.DType
	if iw.label {
		var m uint64
		switch dt {
		case Uint8:
			m = maxOf(plane)
		case Uint16:
			m = maxOf(asElems[uint16](plane))
		case Uint32:
			m = maxOf(asElems[uint32](plane))
		case Int16:
			m = maxOf(asElems[int16](plane))
		case Int32:
			m = maxOf(asElems[int32](plane))
		}
		iw.mu.Lock()
		iw.maxLabel = max(iw.maxLabel, m)
		iw.mu.Unlock()
		return
	}
	var lo, hi float64
	switch dt {
	case Uint8:
		lo, hi = intRange(plane)
	case Uint16:
		lo, hi = rangeUint16(asElems[uint16](plane))
	case Int16:
		lo, hi = intRange(asElems[int16](plane))
	case Uint32:
		lo, hi = intRange(asElems[uint32](plane))
	case Int32:
		lo, hi = intRange(asElems[int32](plane))
	case Float32:
		lo, hi = rangeOf(asElems[float32](plane))
	case Float64:
		lo, hi = rangeOf(asElems[float64](plane))
	}
	iw.mu.Lock()
	iw.lo[c] = math.Min(iw.lo[c], lo)
	iw.hi[c] = math.Max(iw.hi[c], hi)
	iw.mu.Unlock()
}

// maxOf returns the greatest value of s, 0 when none is positive. Four
// running maxima keep the loop free of a dependency chain: it runs once
// per plane written.
func maxOf[T uint8 | uint16 | uint32 | int16 | int32](s []T) uint64 {
	var m0, m1, m2, m3 T
	i := 0
	for ; i+4 <= len(s); i += 4 {
		m0, m1, m2, m3 = max(m0, s[i]), max(m1, s[i+1]), max(m2, s[i+2]), max(m3, s[i+3])
	}
	for ; i < len(s); i++ {
		m0 = max(m0, s[i])
	}
	m := max(m0, m1, m2, m3)
	if m < 0 {
		return 0
	}
	return uint64(m)
}

// intRange returns the least and greatest value of s (+Inf and -Inf when
// s is empty), with eight running minima and maxima, as maxOf keeps four:
// it runs once per image plane written.
func intRange[T uint8 | uint16 | uint32 | int16 | int32](s []T) (lo, hi float64) {
	if len(s) == 0 {
		return math.Inf(1), math.Inf(-1)
	}
	l0, l1, l2, l3, l4, l5, l6, l7 := s[0], s[0], s[0], s[0], s[0], s[0], s[0], s[0]
	h0, h1, h2, h3, h4, h5, h6, h7 := l0, l0, l0, l0, l0, l0, l0, l0
	i := 0
	for ; i+8 <= len(s); i += 8 {
		v := s[i : i+8 : i+8]
		l0, l1, l2, l3 = min(l0, v[0]), min(l1, v[1]), min(l2, v[2]), min(l3, v[3])
		l4, l5, l6, l7 = min(l4, v[4]), min(l5, v[5]), min(l6, v[6]), min(l7, v[7])
		h0, h1, h2, h3 = max(h0, v[0]), max(h1, v[1]), max(h2, v[2]), max(h3, v[3])
		h4, h5, h6, h7 = max(h4, v[4]), max(h5, v[5]), max(h6, v[6]), max(h7, v[7])
	}
	for ; i < len(s); i++ {
		l0, h0 = min(l0, s[i]), max(h0, s[i])
	}
	return float64(min(l0, l1, l2, l3, l4, l5, l6, l7)), float64(max(h0, h1, h2, h3, h4, h5, h6, h7))
}

// rangeUint16 is intRange for uint16, with vector instructions where the
// machine has them.
func rangeUint16(s []uint16) (lo, hi float64) {
	l, h, n := rangeU16Fast(s)
	if n == 0 {
		return intRange(s)
	}
	lo, hi = float64(l), float64(h)
	if n < len(s) {
		tl, th := intRange(s[n:])
		lo, hi = math.Min(lo, tl), math.Max(hi, th)
	}
	return lo, hi
}

// rangeOf returns the least and greatest finite value of s (+Inf and -Inf
// when there is none).
func rangeOf[T uint8 | uint16 | uint32 | int16 | int32 | float32 | float64](s []T) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range s {
		f := float64(v)
		if f < lo && !math.IsInf(f, -1) {
			lo = f
		}
		if f > hi && !math.IsInf(f, 1) {
			hi = f
		}
	}
	return lo, hi
}

// Abort stops writing and removes the levels written so far.
func (iw *ImageWriter) Abort() error {
	iw.mu.Lock()
	if iw.closed {
		iw.mu.Unlock()
		return nil
	}
	iw.closed = true
	iw.mu.Unlock()
	var first error
	for _, l := range iw.levels {
		l.pw.Close()
		if err := l.w.Abort(); err != nil && first == nil {
			first = err
		}
	}
	if iw.final != "" {
		if err := os.RemoveAll(iw.root); err != nil && first == nil {
			first = fmt.Errorf("zarr: %w", err)
		}
	}
	return first
}

// Close finishes every level, commits the arrays and writes the group's
// metadata (what Finish does, if it has not run); a label image is then
// moved into place and added to its labels group's list. On error an
// image is left without metadata, a label image is removed.
func (iw *ImageWriter) Close() error {
	iw.mu.Lock()
	if iw.closed {
		iw.mu.Unlock()
		return errors.New("zarr: image writer already closed")
	}
	iw.closed = true
	iw.mu.Unlock()
	if err := iw.finish(); err != nil {
		if iw.final != "" {
			os.RemoveAll(iw.root)
		}
		return err
	}
	if !iw.label {
		return nil
	}
	if iw.final == "" {
		// A shared label image (Join) is written in place.
		_, err := addLabel(filepath.Dir(iw.root), iw.name, iw.o.ZarrFormat, iw.o.Durable)
		return err
	}
	// The name is listed first and the label image moved into place
	// after: a process killed between the two leaves a listed label image
	// that is not there yet, which readers skip (ome-zarr does) and the
	// next run writes without being told to overwrite; the other order
	// would leave a complete label image that no list names.
	dir := filepath.Dir(iw.final)
	added, err := addLabel(dir, iw.name, iw.o.ZarrFormat, iw.o.Durable)
	if err != nil {
		os.RemoveAll(iw.root)
		return err
	}
	if err := outfile.ReplaceDir(iw.root, iw.final); err != nil {
		os.RemoveAll(iw.root)
		if added {
			removeLabel(dir, iw.name, iw.o.ZarrFormat, iw.o.Durable)
		}
		return fmt.Errorf("zarr: %w", err)
	}
	return nil
}

// Finish writes what remains of every level and the metadata of the
// arrays and the group, everything Close does but, for a label image, the
// move into place and the update of the labels group: a caller that
// commits several outputs together finishes each first, so that their
// commits follow one another closely. Calling it is optional; after it
// only Close or Abort may be called.
func (iw *ImageWriter) Finish() error {
	iw.mu.Lock()
	if iw.closed || iw.finished {
		iw.mu.Unlock()
		return errors.New("zarr: image writer already finished")
	}
	iw.mu.Unlock()
	return iw.finish()
}

func (iw *ImageWriter) finish() error {
	iw.mu.Lock()
	if iw.finished {
		iw.mu.Unlock()
		return iw.finishErr
	}
	iw.finished = true
	iw.mu.Unlock()
	iw.finishErr = iw.finishLevels()
	return iw.finishErr
}

func (iw *ImageWriter) finishLevels() error {
	var first error
	for _, l := range iw.levels {
		if err := l.pw.Close(); err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		return first
	}
	for _, l := range iw.levels {
		if err := l.w.Commit(); err != nil {
			return err
		}
	}
	return writeGroup(iw.root, iw.o.ZarrFormat, iw.groupAttrs(), iw.o.Durable)
}

// ngffVersion is the NGFF version written on a Zarr format.
func ngffVersion(format int) string {
	if format == 3 {
		return "0.5"
	}
	return "0.4"
}

// groupAttrs builds the image group's attributes.
func (iw *ImageWriter) groupAttrs() map[string]any {
	version := ngffVersion(iw.o.ZarrFormat)
	var datasets []map[string]any
	for i, l := range iw.levels {
		ct := []map[string]any{{"type": "scale", "scale": l.scale}}
		if i > 0 && !iw.label {
			// A mean of 2^i×2^i pixels sits at their centre; a label
			// level's top-left pixel sits where it was.
			ct = append(ct, map[string]any{"type": "translation", "translation": iw.translation(i)})
		}
		datasets = append(datasets, map[string]any{"path": levelName(i), "coordinateTransformations": ct})
	}
	ms := map[string]any{"axes": iw.axes, "datasets": datasets}
	if iw.o.Name != "" {
		ms["name"] = iw.o.Name
	}
	if iw.label {
		ms["type"] = "top-left" // the top-left pixel of each 2×2 block
	} else {
		ms["type"] = "mean" // the mean of each 2×2 block
	}
	ome := map[string]any{}
	if iw.o.ZarrFormat == 2 {
		ms["version"] = version
	}
	ome["multiscales"] = []any{ms}
	if iw.label {
		il := map[string]any{"source": map[string]any{"image": "../../"}}
		if iw.maxLabel <= maxLabelColors {
			colors := []LabelColor{{Value: 0, RGBA: [4]uint8{0, 0, 0, 0}}}
			for v := 1; v <= int(iw.maxLabel); v++ {
				colors = append(colors, LabelColor{Value: v, RGBA: labelColor(v)})
			}
			il["colors"] = colors
		}
		if iw.o.ZarrFormat == 2 {
			il["version"] = version
		}
		ome["image-label"] = il
	} else {
		ome["omero"] = iw.omero(version)
	}
	if iw.o.ZarrFormat == 3 {
		ome["version"] = version
		return map[string]any{"ome": ome}
	}
	return ome
}

// translation is the position of the first pixel of image level i.
func (iw *ImageWriter) translation(i int) []float64 {
	f := (math.Ldexp(1, i) - 1) / 2
	t := []float64{0, f * iw.o.PixelSizeY, f * iw.o.PixelSizeX}
	if iw.o.Channels > 1 {
		t = append([]float64{0}, t...)
	}
	return t
}

// omero builds the rendering hints: one channel each with the window of
// its values.
func (iw *ImageWriter) omero(version string) map[string]any {
	dmin, dmax := dtypeRange(iw.o.DType)
	var channels []map[string]any
	colors := []string{"FFFFFF", "00FF00", "FF00FF", "00FFFF", "FF0000", "0000FF", "FFFF00"}
	for c := 0; c < iw.o.Channels; c++ {
		lo, hi := iw.lo[c], iw.hi[c]
		if lo > hi { // nothing written
			lo, hi = 0, 0
		}
		min, max := dmin, dmax
		if iw.o.DType.Float() {
			min, max = lo, hi
		}
		label := fmt.Sprintf("Channel %d", c)
		if c < len(iw.o.ChannelNames) {
			label = iw.o.ChannelNames[c]
		}
		color := colors[0]
		if iw.o.Channels > 1 {
			color = colors[1+c%(len(colors)-1)]
		}
		channels = append(channels, map[string]any{
			"active": true, "coefficient": 1, "color": color, "family": "linear", "inverted": false,
			"label":  label,
			"window": map[string]any{"start": lo, "end": hi, "min": min, "max": max},
		})
	}
	model := "greyscale"
	if iw.o.Channels > 1 {
		model = "color"
	}
	om := map[string]any{
		"channels": channels,
		"rdefs":    map[string]any{"defaultT": 0, "defaultZ": iw.o.Shape.Z / 2, "model": model},
	}
	if iw.o.Name != "" {
		om["name"] = iw.o.Name
	}
	if version == "0.4" {
		om["version"] = version
	}
	return om
}

func dtypeRange(dt DType) (float64, float64) {
	switch dt {
	case Uint8:
		return 0, math.MaxUint8
	case Uint16:
		return 0, math.MaxUint16
	case Int16:
		return math.MinInt16, math.MaxInt16
	case Uint32:
		return 0, math.MaxUint32
	case Int32:
		return math.MinInt32, math.MaxInt32
	}
	return 0, 1
}

// labelColor gives label v a bright colour; neighbouring values get hues
// far apart (steps of the golden ratio around the colour wheel).
func labelColor(v int) [4]uint8 {
	h := math.Mod(float64(v)*0.618033988749895, 1) * 6
	s, val := 0.75, 0.95
	i := int(h)
	f := h - float64(i)
	p, q, t := val*(1-s), val*(1-s*f), val*(1-s*(1-f))
	var r, g, b float64
	switch i % 6 {
	case 0:
		r, g, b = val, t, p
	case 1:
		r, g, b = q, val, p
	case 2:
		r, g, b = p, val, t
	case 3:
		r, g, b = p, q, val
	case 4:
		r, g, b = t, p, val
	default:
		r, g, b = val, p, q
	}
	c := func(x float64) uint8 { return uint8(math.Round(x * 255)) }
	return [4]uint8{c(r), c(g), c(b), 255}
}

// writeGroup writes a group's metadata: for v2 .zgroup and then .zattrs
// (the commit mark), for v3 zarr.json.
func writeGroup(dir string, format int, attrs map[string]any, durable bool) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("zarr: %w", err)
	}
	if format == 3 {
		b, err := marshalDoc(map[string]any{"zarr_format": 3, "node_type": "group", "attributes": attrs})
		if err != nil {
			return err
		}
		if err := writeFileAtomic(filepath.Join(dir, v3File), b, durable); err != nil {
			return fmt.Errorf("zarr: %w", err)
		}
		return nil
	}
	b, err := marshalDoc(map[string]any{"zarr_format": 2})
	if err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(dir, v2GroupFile), b, durable); err != nil {
		return fmt.Errorf("zarr: %w", err)
	}
	if b, err = marshalDoc(attrs); err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(dir, v2AttrsFile), b, durable); err != nil {
		return fmt.Errorf("zarr: %w", err)
	}
	return nil
}

// labelsLocks serialises the updates of one labels group by the writers of
// this process.
var labelsLocks sync.Map // dir -> *sync.Mutex

// addLabel adds name to the list of the labels group in dir, keeping every
// name and attribute already there, and reports whether the name is new.
// Damaged metadata is reported, not overwritten.
func addLabel(dir, name string, format int, durable bool) (added bool, err error) {
	err = updateLabels(dir, format, durable, func(names []string) []string {
		for _, n := range names {
			if n == name {
				return names
			}
		}
		added = true
		return append(names, name)
	})
	return added, err
}

// removeLabel takes name off the list of the labels group in dir, keeping
// everything else.
func removeLabel(dir, name string, format int, durable bool) error {
	return updateLabels(dir, format, durable, func(names []string) []string {
		var kept []string
		for _, n := range names {
			if n != name {
				kept = append(kept, n)
			}
		}
		return kept
	})
}

// updateLabels rewrites the list of label images of the labels group in
// dir (creating the group if need be) with edit, keeping every other
// attribute; the metadata files are replaced by rename, whole.
func updateLabels(dir string, format int, durable bool, edit func([]string) []string) error {
	mu, _ := labelsLocks.LoadOrStore(dir, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	// Temporaries of an update killed before its rename.
	for _, f := range []string{v2GroupFile, v2AttrsFile, v3File} {
		if err := removeTemporaries(dir, "."+f+tmpMarker); err != nil {
			return fmt.Errorf("zarr: %w", err)
		}
	}
	attrs, have, err := readGroupAttrs(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		attrs, have = map[string]json.RawMessage{}, format
	case err != nil:
		return fmt.Errorf("%s: %w", dir, err)
	}
	if have != format {
		return fmt.Errorf("%s: %w", dir, formatErrorf("the labels group is Zarr v%d, the label image v%d", have, format))
	}
	// The list lives under "ome" in 0.5 and at the top level in 0.4.
	holder := attrs
	if format == 3 {
		holder = map[string]json.RawMessage{}
		if raw, ok := attrs["ome"]; ok {
			if err := json.Unmarshal(raw, &holder); err != nil {
				return fmt.Errorf("%s: %w", dir, formatErrorf("\"ome\" attributes: %v", err))
			}
		}
		holder["version"] = json.RawMessage(`"0.5"`)
	}
	var names []string
	if raw, ok := holder["labels"]; ok {
		if err := json.Unmarshal(raw, &names); err != nil {
			return fmt.Errorf("%s: %w", dir, formatErrorf("\"labels\" is not a list of names: %v", err))
		}
	}
	names = edit(names)
	if names == nil {
		names = []string{}
	}
	b, err := json.Marshal(names)
	if err != nil {
		return fmt.Errorf("zarr: %w", err)
	}
	holder["labels"] = b
	out := map[string]any{}
	if format == 3 {
		o, err := json.Marshal(holder)
		if err != nil {
			return fmt.Errorf("zarr: %w", err)
		}
		attrs["ome"] = o
	}
	for k, v := range attrs {
		out[k] = v
	}
	return writeGroup(dir, format, out, durable)
}
