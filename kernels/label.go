package kernels

import (
	"context"
	"errors"
	"fmt"
	"unsafe"

	"github.com/segstack/segstack/kernels/simd"
	"github.com/segstack/segstack/stack"
)

// ErrConnectivity is returned (wrapped) for a connectivity that the volume's
// rank does not support.
var ErrConnectivity = errors.New("kernels: unsupported connectivity")

// normConn resolves conn for a volume of shape s. The zero value picks the
// rank's default (4 for a single plane, 6 for a stack). 6, 18 and 26 on a
// single plane mean 4, 8 and 8, as scipy's structures of those ranks cut to
// one plane do. 4 and 8 on a stack of several planes are refused: label the
// planes one by one instead.
func normConn(conn Connectivity, s stack.Shape) (Connectivity, error) {
	planar := s.Z == 1
	switch conn {
	case 0:
		if planar {
			return Conn4, nil
		}
		return Conn6, nil
	case Conn4, Conn8:
		if !planar {
			return 0, fmt.Errorf("%w: %d is a 2-D connectivity and the volume has %d planes (label plane by plane, or use 6, 18 or 26)", ErrConnectivity, conn, s.Z)
		}
		return conn, nil
	case Conn6:
		if planar {
			return Conn4, nil
		}
		return conn, nil
	case Conn18, Conn26:
		if planar {
			return Conn8, nil
		}
		return conn, nil
	}
	return 0, fmt.Errorf("%w: %d (want 4 or 8 in 2-D, 6, 18 or 26 in 3-D)", ErrConnectivity, conn)
}

// checkLabelArgs validates the shapes of a labelling's volumes.
func checkLabelArgs[L labelElem](dst *stack.Volume[L], src stack.Shape, srcLen int, intensity *stack.Volume[float32]) error {
	if dst == nil {
		return errors.New("kernels: label: nil destination")
	}
	if err := checkSourceArgs(src, srcLen, intensity); err != nil {
		return err
	}
	if dst.Shape != src || len(dst.Data) != src.Len() {
		return fmt.Errorf("kernels: label: destination shape %v (%d elements) does not match source %v", dst.Shape, len(dst.Data), src)
	}
	return nil
}

// checkSourceArgs validates the source and intensity of a labelling.
func checkSourceArgs(src stack.Shape, srcLen int, intensity *stack.Volume[float32]) error {
	if err := src.Validate(); err != nil {
		return fmt.Errorf("kernels: label: %w", err)
	}
	if srcLen != src.Len() {
		return fmt.Errorf("kernels: label: source holds %d elements, shape %v needs %d", srcLen, src, src.Len())
	}
	if intensity != nil && (intensity.Shape != src || len(intensity.Data) != src.Len()) {
		return fmt.Errorf("kernels: label: intensity shape %v does not match source %v", intensity.Shape, src)
	}
	return nil
}

func maskRunFunc(mask *stack.Volume[uint8]) runFunc {
	X := mask.Shape.X
	return func(r int, out []run, _ []uint8) []run { return maskRuns(mask.Data[r*X:(r+1)*X], out) }
}

func aboveRunFunc(src *stack.Volume[float32], t float32) runFunc {
	X := src.Shape.X
	// The vector compare straight into bit words (in the row scratch),
	// then the scan of the words, beats comparing element by element.
	words := (X + 63) / 64
	return func(r int, out []run, tmp []uint8) []run {
		row := src.Data[r*X : (r+1)*X]
		if len(tmp) < 8*words || uintptr(unsafe.Pointer(unsafe.SliceData(tmp)))%8 != 0 {
			return aboveRuns(row, t, out)
		}
		bits := unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(tmp))), words)
		simd.GreaterBits(bits, row, t)
		return bitRuns(bits, X, out)
	}
}

// Label labels the non-zero voxels of mask into dst (same shape) and returns
// the number of objects N. Background is 0; objects are numbered 1..N in
// raster order of their first voxel, exactly as scipy.ndimage.label numbers
// them with generate_binary_structure(rank, 1) for connectivity 4 or 6,
// (2, 2) for 8, (3, 2) for 18 and (3, 3) for 26. Connectivity 0 is the
// rank's default: 4 for a single plane (Z = 1), 6 otherwise. 6, 18 and 26 on
// a single plane act as 4, 8 and 8; 4 and 8 on several planes are an error
// wrapping ErrConnectivity. The work is spread over GOMAXPROCS goroutines;
// the result does not depend on their number.
func Label(ctx context.Context, dst *stack.Volume[uint32], mask *stack.Volume[uint8], conn Connectivity) (int, error) {
	if mask == nil {
		return 0, errors.New("kernels: label: nil mask")
	}
	n, _, err := labelVolume(ctx, dst, mask.Shape, len(mask.Data), maskRunFunc(mask), conn, nil, false, 0)
	return n, err
}

// LabelAbove labels the voxels of src that are > t without materialising the
// mask; otherwise it is Label.
func LabelAbove(ctx context.Context, dst *stack.Volume[uint32], src *stack.Volume[float32], t float32, conn Connectivity) (int, error) {
	if src == nil {
		return 0, errors.New("kernels: label: nil source")
	}
	n, _, err := labelVolume(ctx, dst, src.Shape, len(src.Data), aboveRunFunc(src, t), conn, nil, false, 0)
	return n, err
}

// ErrLabelOverflow16 is returned by LabelAbove16 when the labels do not fit
// uint16.
var ErrLabelOverflow16 = errors.New("more than 65535 labels do not fit uint16")

// LabelAbove16 is LabelAbove with uint16 labels, for planes that will be
// stored as uint16: it saves writing them as uint32 and narrowing them.
// When there are more than 65535 objects it writes nothing and returns
// their count with an error wrapping ErrLabelOverflow16; the caller then
// labels into uint32.
func LabelAbove16(ctx context.Context, dst *stack.Volume[uint16], src *stack.Volume[float32], t float32, conn Connectivity) (int, error) {
	if src == nil {
		return 0, errors.New("kernels: label: nil source")
	}
	n, _, err := labelVolume(ctx, dst, src.Shape, len(src.Data), aboveRunFunc(src, t), conn, nil, false, 0)
	return n, err
}

// Narrow16 stores the labels of src as uint16 in dst, which must have
// src's shape. It is meant for labels known to fit (at most 65535, as a
// labelling's object count tells); a larger label saturates to 65535.
func Narrow16(dst *stack.Volume[uint16], src *stack.Volume[uint32]) error {
	if dst == nil || src == nil {
		return fmt.Errorf("%w: nil volume", ErrInvalid)
	}
	if dst.Shape != src.Shape || len(dst.Data) != dst.Shape.Len() || len(src.Data) != src.Shape.Len() {
		return fmt.Errorf("%w: narrow labels of %v (%d elements) into %v (%d elements)", ErrInvalid, src.Shape, len(src.Data), dst.Shape, len(dst.Data))
	}
	simd.NarrowUint32(dst.Data, src.Data)
	return nil
}

// LabelWithStats is Label that also measures every object (see Region) in
// the pass that writes the labels. intensity, which may be nil, supplies the
// values for the intensity statistics and must have mask's shape.
// regions[i] describes label i+1.
func LabelWithStats(ctx context.Context, dst *stack.Volume[uint32], mask *stack.Volume[uint8], intensity *stack.Volume[float32], conn Connectivity) (int, []Region, error) {
	if mask == nil {
		return 0, nil, errors.New("kernels: label: nil mask")
	}
	return labelVolume(ctx, dst, mask.Shape, len(mask.Data), maskRunFunc(mask), conn, intensity, true, 0)
}

// LabelAboveWithStats is LabelAbove with the statistics of LabelWithStats.
// intensity may differ from src (for example the raw image, when src is its
// smoothed copy) or be nil.
func LabelAboveWithStats(ctx context.Context, dst *stack.Volume[uint32], src *stack.Volume[float32], t float32, conn Connectivity, intensity *stack.Volume[float32]) (int, []Region, error) {
	if src == nil {
		return 0, nil, errors.New("kernels: label: nil source")
	}
	return labelVolume(ctx, dst, src.Shape, len(src.Data), aboveRunFunc(src, t), conn, intensity, true, 0)
}

// labelVolume runs a whole labelling cut into the given number of strips of
// rows (0: as many as GOMAXPROCS and the volume's size make worthwhile).
// With uint16 labels (no stats), more than 65535 objects write nothing and
// return their count with an error wrapping ErrLabelOverflow16.
func labelVolume[L labelElem](ctx context.Context, dst *stack.Volume[L], shape stack.Shape, srcLen int, runsOf runFunc, conn Connectivity, intensity *stack.Volume[float32], stats bool, strips int) (int, []Region, error) {
	if err := checkLabelArgs(dst, shape, srcLen, intensity); err != nil {
		return 0, nil, err
	}
	c, err := normConn(conn, shape)
	if err != nil {
		return 0, nil, err
	}
	if err := ctx.Err(); err != nil {
		return 0, nil, err
	}
	if strips <= 0 {
		strips = stripCount(shape, defaultWorkers())
	}
	sc, err := runScan(ctx, shape, c, runsOf, strips)
	if err != nil {
		return 0, nil, err
	}
	defer sc.release()
	var regions []Region
	if limit := uint64(^L(0)); uint64(sc.n) > limit {
		return sc.n, nil, fmt.Errorf("kernels: label: %d objects: %w", sc.n, ErrLabelOverflow16)
	}
	if stats {
		d32, ok := any(dst.Data).([]uint32)
		if !ok {
			return 0, nil, errors.New("kernels: label: statistics need uint32 labels")
		}
		regions = regionsOf(sc.writeWithStats(d32, intensity))
	} else {
		parallel(len(sc.strips), func(k int) { writeStrip(sc, sc.strips[k], dst.Data) })
	}
	if err := ctx.Err(); err != nil {
		return 0, nil, err
	}
	return sc.n, regions, nil
}
