package segment

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/tiff"
	"github.com/segstack/segstack/stack/zarr"
)

// IsZarrPath reports whether path names a Zarr store by its name: it ends
// in ".zarr" (which ".ome.zarr" does too), with or without a trailing
// separator.
func IsZarrPath(path string) bool {
	p := strings.ToLower(strings.TrimRight(path, `/\`))
	return strings.HasSuffix(p, ".zarr")
}

// isZarrDir reports whether path is a directory holding Zarr metadata.
func isZarrDir(path string) bool {
	for _, f := range []string{".zgroup", ".zarray", "zarr.json"} {
		if _, err := os.Stat(filepath.Join(path, f)); err == nil {
			return true
		}
	}
	return false
}

// OpenSource opens path as a Source: a Zarr store (an OME-NGFF image or a
// plain array, see OpenZarr) when its name ends in ".zarr" or it is a
// directory holding Zarr metadata, else a TIFF (see OpenTIFF). Close the
// returned closer when done.
func OpenSource(path string, channel int) (Source, func() error, error) {
	if IsZarrPath(path) || isZarrDir(path) {
		return OpenZarr(path, channel)
	}
	return OpenTIFF(path, channel)
}

// zarrSource reads the planes of one channel of a Zarr array lazily, a
// plane at a time, through the array's chunk reads.
type zarrSource struct {
	p      *zarr.Planes
	shape  stack.Shape
	planes []int // the array plane of each plane of the chosen channel
	// image is the OME-NGFF image the array is level 0 of, nil for a
	// plain array.
	image *zarr.Image
}

// OpenZarr opens the Zarr store at path as a Source: the full-resolution
// level of an OME-NGFF image, or a plain array of two or more dimensions
// whose leading dimensions are flattened into planes. A "c" axis (named
// in the image's axes or the array's dimension names) holds channels:
// channel picks one (0-based), and channel < 0 with more than one channel
// is an error wrapping ErrChannel. The closer is a no-op kept for
// symmetry with OpenTIFF.
func OpenZarr(path string, channel int) (Source, func() error, error) {
	s, err := openZarr(path, channel)
	if err != nil {
		return nil, nil, err
	}
	return s, func() error { return nil }, nil
}

func openZarr(path string, channel int) (*zarrSource, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s: %w", path, zarr.FormatError("a Zarr store is a directory, this is a file"))
	}
	var (
		a     *zarr.Array
		image *zarr.Image
		axes  []string
	)
	if _, err := os.Stat(filepath.Join(path, ".zarray")); err == nil {
		a, err = zarr.Open(path)
		if err != nil {
			return nil, err
		}
	} else if im, ierr := zarr.OpenImage(path); ierr == nil {
		image = im
		if a, err = im.Open(0); err != nil {
			return nil, err
		}
		for _, ax := range im.Axes {
			axes = append(axes, ax.Name)
		}
	} else {
		// Not an image: a v3 array, or nothing readable, whose error is
		// the image's when the array fails too.
		var aerr error
		a, aerr = zarr.Open(path)
		if aerr != nil {
			if errors.Is(aerr, fs.ErrNotExist) {
				return nil, ierr
			}
			return nil, aerr
		}
	}
	if axes == nil {
		axes = arrayAxes(a)
	}
	switch a.DType() {
	case zarr.Uint8, zarr.Uint16, zarr.Uint32, zarr.Int16, zarr.Int32, zarr.Float32, zarr.Float64:
	default:
		return nil, fmt.Errorf("%s: unsupported pixel type %v", path, a.DType())
	}
	p, err := a.Planes()
	if err != nil {
		return nil, err
	}
	s := &zarrSource{p: p, shape: p.Shape(), image: image}
	shape := a.Shape()
	lead := shape[:len(shape)-2]
	ci := -1
	for i, n := range axes {
		if i < len(lead) && (n == "c" || n == "C") {
			ci = i
		}
	}
	nc := 1
	if ci >= 0 {
		nc = lead[ci]
	}
	if nc <= 1 {
		if channel > 0 {
			return nil, fmt.Errorf("%s: %w", path, &ChannelError{Channels: 1, Requested: channel})
		}
		s.planes = make([]int, s.shape.Z)
		for i := range s.planes {
			s.planes[i] = i
		}
		return s, nil
	}
	if channel < 0 || channel >= nc {
		return nil, fmt.Errorf("%s: %w", path, &ChannelError{Channels: nc, Requested: max(channel, -1)})
	}
	// Planes are numbered with the last leading dimension fastest.
	stride := 1
	for _, n := range lead[ci+1:] {
		stride *= n
	}
	for q := range s.shape.Z {
		if (q/stride)%nc == channel {
			s.planes = append(s.planes, q)
		}
	}
	s.shape.Z = len(s.planes)
	return s, nil
}

func (s *zarrSource) Shape() stack.Shape { return s.shape }

// DType is the array's element type; float64 arrays are segmented as
// float32.
func (s *zarrSource) DType() stack.DType { return s.p.DType() }

func (s *zarrSource) ReadPlane(ctx context.Context, z int, dst []float32) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if z < 0 || z >= len(s.planes) {
		return fmt.Errorf("plane %d out of range [0, %d)", z, len(s.planes))
	}
	return s.p.ReadPlane(ctx, s.planes[z], dst)
}

// Metadata gives the image's pixel size in the form TIFF outputs take.
func (s *zarrSource) Metadata() tiff.Metadata {
	var m tiff.Metadata
	if s.image != nil {
		m.PixelSizeZ, m.PixelSizeY, m.PixelSizeX, m.Unit = s.image.PixelSize()
	}
	return m
}

// rawDType is the element type of the stored samples, as the raw image
// copy writes them.
func (s *zarrSource) rawDType() zarr.DType { return s.p.Array().DType() }

// useRaw reads plane z as stored, in the machine's byte order, into buf
// and hands it to use.
func (s *zarrSource) useRaw(ctx context.Context, z int, buf []byte, use func([]byte) error) error {
	if err := s.p.ReadPlaneInto(ctx, s.planes[z], buf); err != nil {
		return err
	}
	return use(buf)
}

func (s *tiffSource) rawDType() zarr.DType { return zarr.FromStack(s.r.DType()) }

// useRaw hands use the plane straight from the mapped file when it is
// stored raw, else decoded into buf.
func (s *tiffSource) useRaw(_ context.Context, z int, buf []byte, use func([]byte) error) error {
	var uerr error
	ok, err := s.r.ReadView(s.pages[z], func(view []byte) { uerr = use(view) })
	if err != nil {
		return err
	}
	if ok {
		return uerr
	}
	if err := s.r.ReadPlaneInto(s.pages[z], buf); err != nil {
		return err
	}
	return use(buf)
}

// rawSource is a Source whose planes can be read as stored, for a copy of
// the input image beside its labels.
type rawSource interface {
	rawDType() zarr.DType
	// useRaw calls use with plane z as stored, in the machine's byte
	// order; buf (one plane) may hold it. use must not keep the slice.
	useRaw(ctx context.Context, z int, buf []byte, use func([]byte) error) error
}

// arrayAxes names the dimensions of a plain array: its v3 dimension names,
// or the "_ARRAY_DIMENSIONS" attribute xarray writes on v2; nil when
// neither is there.
func arrayAxes(a *zarr.Array) []string {
	if n := a.DimensionNames(); len(n) > 0 {
		return n
	}
	var attrs struct {
		Dims []string `json:"_ARRAY_DIMENSIONS"`
	}
	if err := a.Attributes(&attrs); err != nil || len(attrs.Dims) != len(a.Shape()) {
		return nil
	}
	return attrs.Dims
}
