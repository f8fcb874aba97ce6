package segment

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"unsafe"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/tiff"
)

// Source supplies the planes of the stack to segment, on demand and in any
// order. ReadPlane may be called from several goroutines at once.
type Source interface {
	// Shape is the stack's extent; Z counts the planes to segment.
	Shape() stack.Shape
	// DType is the element type of the stored samples.
	DType() stack.DType
	// ReadPlane converts plane z into dst (Y*X elements) as float32.
	ReadPlane(ctx context.Context, z int, dst []float32) error
}

// ErrChannel is returned when a multi-channel stack is given without a
// channel to segment, or with a channel it does not have; the error is a
// *ChannelError.
var ErrChannel = errors.New("channel")

// ChannelError says that a stack needs a channel chosen (Options.Channel),
// or that it does not have the channel chosen. It wraps ErrChannel.
type ChannelError struct {
	// Channels is the number of channels the stack has.
	Channels int
	// Requested is the channel asked for; -1 when none was.
	Requested int
}

func (e *ChannelError) Error() string {
	switch {
	case e.Requested < 0:
		return fmt.Sprintf("the stack has %d channels: choose one (0..%d)", e.Channels, e.Channels-1)
	case e.Channels <= 1:
		return fmt.Sprintf("channel %d requested, but the stack has a single channel", e.Requested)
	}
	return fmt.Sprintf("channel %d requested, but the stack has %d channels (0..%d)", e.Requested, e.Channels, e.Channels-1)
}

// Unwrap returns ErrChannel.
func (e *ChannelError) Unwrap() error { return ErrChannel }

// VolumeSource serves the planes of an in-memory volume.
func VolumeSource[T stack.Elem](v *stack.Volume[T]) Source { return volumeSource[T]{v} }

type volumeSource[T stack.Elem] struct{ v *stack.Volume[T] }

func (s volumeSource[T]) Shape() stack.Shape { return s.v.Shape }
func (s volumeSource[T]) DType() stack.DType { return stack.DTypeOf[T]() }
func (s volumeSource[T]) ReadPlane(ctx context.Context, z int, dst []float32) error {
	if z < 0 || z >= s.v.Shape.Z {
		return fmt.Errorf("plane %d out of range [0, %d)", z, s.v.Shape.Z)
	}
	kernels.ToFloat32(dst, s.v.Plane(z))
	return nil
}

// tiffSource reads planes of one channel of a TIFF stack lazily.
type tiffSource struct {
	r     *tiff.Reader
	shape stack.Shape
	pages []int // the page of each plane of the chosen channel
	bytes sync.Pool
}

// OpenTIFF opens path as a Source. For a stack whose metadata declares
// several channels, channel picks one (0-based); channel < 0 means none was
// chosen, an error wrapping ErrChannel for a multi-channel stack. Close the
// returned closer when done.
func OpenTIFF(path string, channel int) (Source, func() error, error) {
	r, err := tiff.Open(path)
	if err != nil {
		return nil, nil, err
	}
	s, err := newTIFFSource(r, channel)
	if err != nil {
		r.Close()
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, r.Close, nil
}

func newTIFFSource(r *tiff.Reader, channel int) (*tiffSource, error) {
	switch r.DType() {
	case stack.Uint8, stack.Uint16, stack.Uint32, stack.Int16, stack.Int32, stack.Float32, stack.Float64, stack.Int64, stack.Uint64:
	default:
		return nil, fmt.Errorf("unsupported pixel type %s", r.DType())
	}
	shape := r.Shape()
	nc := r.Channels()
	if nc <= 1 {
		if channel > 0 {
			return nil, &ChannelError{Channels: 1, Requested: channel}
		}
		pages := make([]int, shape.Z)
		for i := range pages {
			pages[i] = i
		}
		return &tiffSource{r: r, shape: shape, pages: pages}, nil
	}
	if channel < 0 || channel >= nc {
		return nil, &ChannelError{Channels: nc, Requested: max(channel, -1)}
	}
	m := r.Metadata()
	nz, nt := max(m.Slices, 1), max(m.Frames, 1)
	if nc*nz*nt != shape.Z {
		return nil, fmt.Errorf("the metadata declares %d channels × %d slices × %d frames, but the file has %d pages", nc, nz, nt, shape.Z)
	}
	pages := make([]int, 0, nz*nt)
	for t := range nt {
		for z := range nz {
			p, err := m.PlaneIndex(channel, z, t)
			if err != nil {
				return nil, err
			}
			pages = append(pages, p)
		}
	}
	shape.Z = len(pages)
	return &tiffSource{r: r, shape: shape, pages: pages}, nil
}

func (s *tiffSource) Shape() stack.Shape { return s.shape }
func (s *tiffSource) DType() stack.DType { return s.r.DType() }

// Metadata is the TIFF's metadata, whose pixel sizes the labels inherit.
func (s *tiffSource) Metadata() tiff.Metadata { return s.r.Metadata() }

func (s *tiffSource) ReadPlane(ctx context.Context, z int, dst []float32) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if z < 0 || z >= len(s.pages) {
		return fmt.Errorf("plane %d out of range [0, %d)", z, len(s.pages))
	}
	n := s.shape.PlaneLen()
	if len(dst) != n {
		return fmt.Errorf("plane buffer holds %d elements, want %d", len(dst), n)
	}
	page := s.pages[z]
	switch s.r.DType() {
	case stack.Float32:
		return tiff.ReadPlane(s.r, page, dst)
	case stack.Uint8:
		return readConvert[uint8](s, page, dst)
	case stack.Uint16:
		return readConvert[uint16](s, page, dst)
	case stack.Uint32:
		return readConvert[uint32](s, page, dst)
	case stack.Int16:
		return readConvert[int16](s, page, dst)
	case stack.Int32:
		return readConvert[int32](s, page, dst)
	case stack.Float64:
		return readWide[float64](s, page, dst)
	case stack.Int64:
		return readWide[int64](s, page, dst)
	case stack.Uint64:
		return readWide[uint64](s, page, dst)
	}
	return fmt.Errorf("unsupported pixel type %s", s.r.DType())
}

// readWide reads a page of 64-bit samples and rounds them to float32,
// the type every stage computes in (to nearest, ties to even, as numpy's
// astype(float32) does).
func readWide[T float64 | int64 | uint64](s *tiffSource, page int, dst []float32) error {
	var buf *[]T
	if b, ok := s.bytes.Get().(*[]T); ok && len(*b) == len(dst) {
		buf = b
	} else {
		b := make([]T, len(dst))
		buf = &b
	}
	defer s.bytes.Put(buf)
	raw := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(*buf))), 8*len(*buf))
	if err := s.r.ReadPlaneInto(page, raw); err != nil {
		return err
	}
	for i, v := range *buf {
		dst[i] = float32(v)
	}
	return nil
}

// readConvert widens a page into dst: straight from the mapped file when
// the page is stored raw, else decoded into a pooled buffer of its own
// type first.
func readConvert[T stack.Elem](s *tiffSource, page int, dst []float32) error {
	if ok, err := s.r.ReadView(page, func(view []byte) {
		kernels.ToFloat32(dst, unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(view))), len(dst)))
	}); ok || err != nil {
		return err
	}
	var buf *[]T
	if b, ok := s.bytes.Get().(*[]T); ok && len(*b) == len(dst) {
		buf = b
	} else {
		b := make([]T, len(dst))
		buf = &b
	}
	defer s.bytes.Put(buf)
	if err := tiff.ReadPlane(s.r, page, *buf); err != nil {
		return err
	}
	kernels.ToFloat32(dst, *buf)
	return nil
}
