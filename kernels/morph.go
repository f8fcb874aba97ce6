package kernels

import (
	"context"
	"errors"
	"fmt"

	"github.com/segstack/segstack/stack"
)

// MorphOptions configures the binary morphology of scipy.ndimage with the
// structuring element generate_binary_structure(rank, connectivity).
type MorphOptions struct {
	// Conn is the structuring element: 4 (cross) or 8 (3×3 box) on a
	// volume of one plane, which is 2-D; 6, 18 or 26 on a volume of
	// several planes. Zero picks scipy's default, connectivity 1 (4 or 6).
	Conn Connectivity
	// Iterations repeats the operation; a value below 1 repeats it until
	// the result no longer changes, as scipy's iterations < 1 does.
	Iterations int
	// BorderValue is the value assumed outside the volume (scipy's
	// border_value, default 0).
	BorderValue uint8
	// Mask, when not nil, has the volume's shape and limits every step
	// to the voxels where it is non-zero; the others keep their value,
	// as scipy's mask does.
	Mask *stack.Volume[uint8]
}

// morphConn checks that conn suits the rank of shape s: 4 and 8 for a
// single plane (2-D), 6, 18 and 26 for several planes (3-D). Unlike
// labelling, a 3-D element on one plane is refused: scipy would treat the
// planes above and below as border and give a different answer.
func morphConn(conn Connectivity, s stack.Shape) (Connectivity, error) {
	planar := s.Z == 1
	switch conn {
	case 0:
		if planar {
			return Conn4, nil
		}
		return Conn6, nil
	case Conn4, Conn8:
		if !planar {
			return 0, fmt.Errorf("%w: %d is a 2-D connectivity and the volume has %d planes (process the planes one by one, or use 6, 18 or 26)", ErrConnectivity, conn, s.Z)
		}
		return conn, nil
	case Conn6, Conn18, Conn26:
		if planar {
			return 0, fmt.Errorf("%w: %d is a 3-D connectivity and the volume has one plane, which is 2-D (use 4 or 8)", ErrConnectivity, conn)
		}
		return conn, nil
	}
	return 0, fmt.Errorf("%w: %d (want 4 or 8 in 2-D, 6, 18 or 26 in 3-D)", ErrConnectivity, conn)
}

// rowSpan says which part of one neighbouring row (dz, dy) a structuring
// element covers: nothing, its centre voxel, or the three voxels dx=-1..1.
type rowSpan uint8

const (
	spanNone rowSpan = iota
	spanCentre
	spanFull
)

// structSpans describes generate_binary_structure(rank, conn) as the span
// of each (dz+1)*3+(dy+1) row. Every such structure is symmetric, so
// scipy's reflection of the structure for dilation changes nothing.
func structSpans(conn Connectivity) [9]rowSpan {
	var sp [9]rowSpan
	for dz := -1; dz <= 1; dz++ {
		for dy := -1; dy <= 1; dy++ {
			// Offsets of the row are (dz, dy, dx) with dx in -1..1; the
			// structure keeps those with |dz|+|dy|+|dx| <= rank-connectivity.
			r := morphAbs(dz) + morphAbs(dy)
			var limit int
			switch conn {
			case Conn4, Conn6:
				limit = 1
			case Conn8, Conn18:
				limit = 2
			case Conn26:
				limit = 3
			}
			if (conn == Conn4 || conn == Conn8) && dz != 0 {
				continue
			}
			switch {
			case r+1 <= limit:
				sp[(dz+1)*3+dy+1] = spanFull
			case r <= limit:
				sp[(dz+1)*3+dy+1] = spanCentre
			}
		}
	}
	return sp
}

func morphAbs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func checkMorphArgs(op string, dst, src *stack.Volume[uint8]) error {
	if dst == nil || src == nil {
		return fmt.Errorf("kernels: %s: nil volume", op)
	}
	if err := src.Shape.Validate(); err != nil {
		return fmt.Errorf("kernels: %s: %w", op, err)
	}
	if len(src.Data) != src.Shape.Len() {
		return fmt.Errorf("kernels: %s: source holds %d elements, shape %v needs %d", op, len(src.Data), src.Shape, src.Shape.Len())
	}
	if dst.Shape != src.Shape || len(dst.Data) != src.Shape.Len() {
		return fmt.Errorf("kernels: %s: destination shape %v (%d elements) does not match source %v", op, dst.Shape, len(dst.Data), src.Shape)
	}
	return nil
}

// BinaryErosion is scipy.ndimage.binary_erosion(src, structure,
// iterations, border_value): dst is 1 where every voxel of the structuring
// element around the voxel is non-zero in src (outside the volume counts
// as BorderValue), else 0. dst may be src.
func BinaryErosion(ctx context.Context, dst, src *stack.Volume[uint8], opt MorphOptions) error {
	return morph(ctx, "binary erosion", dst, src, opt, []bool{true})
}

// BinaryDilation is scipy.ndimage.binary_dilation(src, structure,
// iterations, border_value): dst is 1 where any voxel of the (reflected)
// structuring element around the voxel is non-zero in src (outside the
// volume counts as BorderValue), else 0. dst may be src.
func BinaryDilation(ctx context.Context, dst, src *stack.Volume[uint8], opt MorphOptions) error {
	return morph(ctx, "binary dilation", dst, src, opt, []bool{false})
}

// BinaryOpening is scipy.ndimage.binary_opening: an erosion then a
// dilation, each with opt's iterations and border value. dst may be src.
func BinaryOpening(ctx context.Context, dst, src *stack.Volume[uint8], opt MorphOptions) error {
	return morph(ctx, "binary opening", dst, src, opt, []bool{true, false})
}

// BinaryClosing is scipy.ndimage.binary_closing: a dilation then an
// erosion, each with opt's iterations and border value (with the default
// border value 0, objects touching the edge are eroded there, as in
// scipy). dst may be src.
func BinaryClosing(ctx context.Context, dst, src *stack.Volume[uint8], opt MorphOptions) error {
	return morph(ctx, "binary closing", dst, src, opt, []bool{false, true})
}

// FillHoles is scipy.ndimage.binary_fill_holes(src, structure): dst is 1
// on src's non-zero voxels and on every zero voxel that cannot reach the
// edge of the volume through zero voxels connected by conn (the
// structure's connectivity; zero means scipy's default, 4 or 6). The edge
// is the rank's: a volume of one plane is 2-D, so only its row and column
// edges count. dst may be src.
func FillHoles(ctx context.Context, dst, src *stack.Volume[uint8], conn Connectivity) error {
	if err := checkMorphArgs("fill holes", dst, src); err != nil {
		return err
	}
	c, err := morphConn(conn, src.Shape)
	if err != nil {
		return fmt.Errorf("kernels: fill holes: %w", err)
	}
	s := src.Shape
	inv := stack.New[uint8](s)
	for i, v := range src.Data {
		if v == 0 {
			inv.Data[i] = 1
		}
	}
	lab := stack.New[uint32](s)
	n, err := Label(ctx, lab, inv, c)
	if err != nil {
		return fmt.Errorf("kernels: fill holes: %w", err)
	}
	open := make([]bool, n+1)
	markEdgeLabels(lab, open)
	for i, l := range lab.Data {
		if src.Data[i] != 0 || !open[l] {
			dst.Data[i] = 1
		} else {
			dst.Data[i] = 0
		}
	}
	return nil
}

// markEdgeLabels sets open[l] for every label l on the volume's edge (for
// one plane, its four sides; otherwise its six faces).
func markEdgeLabels(lab *stack.Volume[uint32], open []bool) {
	s := lab.Shape
	for z := range s.Z {
		faceZ := s.Z > 1 && (z == 0 || z == s.Z-1)
		for y := range s.Y {
			row := lab.Row(z, y)
			if faceZ || y == 0 || y == s.Y-1 {
				for _, l := range row {
					open[l] = true
				}
				continue
			}
			open[row[0]] = true
			open[row[s.X-1]] = true
		}
	}
}

// errNilLabels is returned for a nil label volume.
var errNilLabels = errors.New("kernels: nil label volume")
