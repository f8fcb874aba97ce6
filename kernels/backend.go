package kernels

import (
	"context"
	"errors"

	"github.com/segstack/segstack/stack"
)

// GaussianOptions are scipy.ndimage.gaussian_filter's parameters.
type GaussianOptions struct {
	// Sigma is the standard deviation per axis, ordered Z, Y, X. An axis
	// whose sigma is 0 is left alone, so {0, 1, 1} smooths each plane in 2-D.
	Sigma [3]float64
	// Truncate is the kernel half-width in sigmas: the radius along an axis
	// is int(Truncate*sigma + 0.5). Zero means scipy's default, 4.
	Truncate float64
	// Mode extends the volume beyond its edges; Reflect is scipy's default.
	Mode stack.Mode
	// Cval is the value outside the volume when Mode is Constant.
	Cval float64
}

// Connectivity says which neighbours touch: 4 or 8 in 2-D (faces, or faces
// and corners of a pixel), 6, 18 or 26 in 3-D (faces; faces and edges;
// faces, edges and corners of a voxel). They match scipy.ndimage's
// generate_binary_structure(rank, 1 or rank).
type Connectivity int

// Supported connectivities.
const (
	Conn4  Connectivity = 4
	Conn8  Connectivity = 8
	Conn6  Connectivity = 6
	Conn18 Connectivity = 18
	Conn26 Connectivity = 26
)

// ErrNoDevice is returned when a requested device is absent or not compiled in.
var ErrNoDevice = errors.New("kernels: no such device")

// Backend runs kernels on buffers it is handed. A 2-D image is a volume with
// Z = 1. Implementations are safe for concurrent use unless they say so.
type Backend interface {
	// Name identifies the backend and its code path, e.g. "cpu/avx512".
	Name() string
	// Gaussian writes the Gaussian-smoothed src into dst, which has src's
	// shape, and returns the maximum of dst, computed in the same pass.
	Gaussian(ctx context.Context, dst, src *stack.Volume[float32], opt GaussianOptions) (float32, error)
	// Max returns the largest element of src.
	Max(ctx context.Context, src *stack.Volume[float32]) (float32, error)
	// Threshold sets dst to 1 where src > t and to 0 elsewhere.
	Threshold(ctx context.Context, dst *stack.Volume[uint8], src *stack.Volume[float32], t float32) error
	// Label labels the non-zero voxels of mask into dst and returns the
	// number of objects, numbered as scipy.ndimage.label numbers them.
	Label(ctx context.Context, dst *stack.Volume[uint32], mask *stack.Volume[uint8], conn Connectivity) (int, error)
	// LabelAbove labels the voxels of src that are > t, without
	// materialising the mask.
	LabelAbove(ctx context.Context, dst *stack.Volume[uint32], src *stack.Volume[float32], t float32, conn Connectivity) (int, error)
	// LabelAbove16 is LabelAbove with uint16 labels. When there are more
	// than 65535 objects it returns their count and an error wrapping
	// ErrLabelOverflow16, and dst is undefined: label into uint32 then.
	LabelAbove16(ctx context.Context, dst *stack.Volume[uint16], src *stack.Volume[float32], t float32, conn Connectivity) (int, error)
	// LabelAboveWithStats is LabelAbove that also measures every object
	// (see Region) in the labelling pass; regions[i] describes label i+1.
	// intensity, which may be nil, supplies the intensity statistics and
	// has src's shape.
	LabelAboveWithStats(ctx context.Context, dst *stack.Volume[uint32], src *stack.Volume[float32], t float32, conn Connectivity, intensity *stack.Volume[float32]) (int, []Region, error)
	// LabelChunkAbove labels chunk idx of grid, the voxels of src (the
	// chunk's) that are > t, for MergeChunks or a ChunkMerger, as the
	// package function LabelChunkAbove does; dst may be nil when the local
	// labels are not wanted, and they equal LabelAbove's on src.
	LabelChunkAbove(ctx context.Context, grid stack.Grid, idx int, dst *stack.Volume[uint32], src *stack.Volume[float32], t float32, intensity *stack.Volume[float32], conn Connectivity) (*ChunkLabels, error)
	// Narrow16 stores the labels of src, which fit uint16, in dst (same
	// shape); see the package function Narrow16.
	Narrow16(ctx context.Context, dst *stack.Volume[uint16], src *stack.Volume[uint32]) error
	// Min returns the smallest element of src.
	Min(ctx context.Context, src *stack.Volume[float32]) (float32, error)
	// GaussianZ starts the Z pass of the Gaussian opt over a volume of
	// shape, made plane by plane from raw planes that read supplies into
	// buffers from pool (one plane each), as NewZStream describes. Its
	// planes equal the Z pass of Gaussian on the whole volume.
	GaussianZ(opt GaussianOptions, shape stack.Shape, pool *stack.Pool[float32], read PlaneReader) (ZStream, error)
	// Close releases what the backend holds (device memory, streams).
	Close() error
}
