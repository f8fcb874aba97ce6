package segment

import (
	"fmt"
	"strings"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
)

// Mode says whether each plane is segmented on its own or the stack as one
// volume.
type Mode int

const (
	// Mode2D smooths, thresholds and labels every plane independently.
	Mode2D Mode = iota
	// Mode3D smooths in 3-D, thresholds against the whole volume and labels
	// objects across planes.
	Mode3D
)

func (m Mode) String() string {
	if m == Mode3D {
		return "3d"
	}
	return "2d"
}

// ParseMode parses "2d" or "3d".
func ParseMode(s string) (Mode, error) {
	switch strings.ToLower(s) {
	case "2d":
		return Mode2D, nil
	case "3d":
		return Mode3D, nil
	}
	return 0, fmt.Errorf("unknown mode %q (want 2d or 3d)", s)
}

// Numbering says how Mode2D numbers the objects of its planes. Mode3D
// labels the stack as one volume, so its labels are unique whatever the
// numbering.
type Numbering int

const (
	// NumberUnique numbers the objects of the whole stack 1..N: each plane's
	// objects in scipy.ndimage.label's raster order, offset by the number
	// of objects in the planes before it. Tools that read the labels as one
	// ZYX volume (scikit-image's regionprops, napari) then see every object
	// once. It is the zero value and the default.
	NumberUnique Numbering = iota
	// NumberPerPlane numbers the objects of every plane from 1, as
	// scipy.ndimage.label does for that plane alone.
	NumberPerPlane
)

func (n Numbering) String() string {
	if n == NumberPerPlane {
		return "per-plane"
	}
	return "unique"
}

// ParseNumbering parses "unique" or "per-plane".
func ParseNumbering(s string) (Numbering, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "unique", "":
		return NumberUnique, nil
	case "per-plane", "perplane", "per_plane":
		return NumberPerPlane, nil
	}
	return 0, fmt.Errorf("unknown label numbering %q (want unique or per-plane)", s)
}

// LabelDType is the pixel type of the labels output.
type LabelDType int

const (
	// LabelAuto writes uint16 when every label fits and uint32 otherwise.
	LabelAuto LabelDType = iota
	// LabelUint16 writes uint16, failing if a label exceeds 65535.
	LabelUint16
	// LabelUint32 always writes uint32.
	LabelUint32
)

func (d LabelDType) String() string {
	switch d {
	case LabelUint16:
		return "uint16"
	case LabelUint32:
		return "uint32"
	}
	return "auto"
}

// ParseLabelDType parses "auto", "uint16" or "uint32".
func ParseLabelDType(s string) (LabelDType, error) {
	switch strings.ToLower(s) {
	case "auto", "":
		return LabelAuto, nil
	case "uint16":
		return LabelUint16, nil
	case "uint32":
		return LabelUint32, nil
	}
	return 0, fmt.Errorf("unknown label dtype %q (want auto, uint16 or uint32)", s)
}

// ParseSigma parses "S", "SY,SX" or "SZ,SY,SX" into per-axis sigmas ordered
// Z, Y, X. One value applies to every axis.
func ParseSigma(s string) ([3]float64, error) {
	parts := strings.Split(s, ",")
	var v []float64
	for _, p := range parts {
		var f float64
		if _, err := fmt.Sscanf(strings.TrimSpace(p), "%g", &f); err != nil || f < 0 || f != f {
			return [3]float64{}, fmt.Errorf("sigma %q: %q is not a non-negative number", s, p)
		}
		v = append(v, f)
	}
	switch len(v) {
	case 1:
		return [3]float64{v[0], v[0], v[0]}, nil
	case 2:
		return [3]float64{0, v[0], v[1]}, nil
	case 3:
		return [3]float64{v[0], v[1], v[2]}, nil
	}
	return [3]float64{}, fmt.Errorf("sigma %q: want 1, 2 or 3 comma-separated values", s)
}

// ParseConnectivity parses 4, 8, 6, 18 or 26 and checks it against mode; an
// empty string gives the mode's default (4 in 2-D, 6 in 3-D).
func ParseConnectivity(s string, mode Mode) (kernels.Connectivity, error) {
	if s == "" {
		return defaultConn(mode), nil
	}
	var n int
	if _, err := fmt.Sscanf(s, "%d", &n); err != nil || fmt.Sprint(n) != strings.TrimSpace(s) {
		return 0, fmt.Errorf("connectivity %q: want 4 or 8 (2d), 6, 18 or 26 (3d)", s)
	}
	c := kernels.Connectivity(n)
	return c, checkConn(c, mode)
}

func defaultConn(mode Mode) kernels.Connectivity {
	if mode == Mode3D {
		return kernels.Conn6
	}
	return kernels.Conn4
}

// ConnectivityError says that a connectivity does not belong to the mode:
// 4 and 8 are Mode2D's, 6, 18 and 26 Mode3D's. It wraps
// kernels.ErrConnectivity.
type ConnectivityError struct {
	Connectivity kernels.Connectivity
	Mode         Mode
}

func (e *ConnectivityError) Error() string {
	if e.Mode == Mode2D {
		return fmt.Sprintf("connectivity %d is not a 2d connectivity (want 4 or 8; 6, 18 and 26 are for 3d mode)", e.Connectivity)
	}
	return fmt.Sprintf("connectivity %d is not a 3d connectivity (want 6, 18 or 26; 4 and 8 are for 2d mode)", e.Connectivity)
}

// Unwrap returns kernels.ErrConnectivity.
func (e *ConnectivityError) Unwrap() error { return kernels.ErrConnectivity }

func checkConn(c kernels.Connectivity, mode Mode) error {
	switch {
	case mode == Mode2D && (c == kernels.Conn4 || c == kernels.Conn8):
		return nil
	case mode == Mode3D && (c == kernels.Conn6 || c == kernels.Conn18 || c == kernels.Conn26):
		return nil
	}
	return &ConnectivityError{Connectivity: c, Mode: mode}
}

// ParseChunks parses "Z,Y,X" (or "Y,X") chunk extents.
func ParseChunks(s string) (stack.Shape, error) {
	sh, err := stack.ParseShape(s)
	if err != nil {
		return stack.Shape{}, fmt.Errorf("chunks: %w", err)
	}
	return sh, nil
}

// Split says whether touching objects are split after thresholding.
type Split int

const (
	// SplitNone labels the thresholded mask's connected components, the
	// reference workload. It is the zero value.
	SplitNone Split = iota
	// SplitWatershed splits touching objects: seeds at the local maxima
	// of a surface, a seeded watershed of the negated surface within the
	// mask, then a size filter (see SplitOptions).
	SplitWatershed
)

func (s Split) String() string {
	if s == SplitWatershed {
		return "watershed"
	}
	return "none"
}

// ParseSplit parses "" or "none" (no split) and "watershed".
func ParseSplit(s string) (Split, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "none":
		return SplitNone, nil
	case "watershed":
		return SplitWatershed, nil
	}
	return 0, fmt.Errorf("unknown split %q (want watershed)", s)
}

// Seeds says which surface the split's seeds and watershed work on.
type Seeds int

const (
	// SeedsIntensity seeds at the local maxima of the smoothed intensity
	// and floods its negation: bright nuclei with a dimmer seam between
	// them. It is the zero value and the default.
	SeedsIntensity Seeds = iota
	// SeedsDistance seeds at the local maxima of the Euclidean distance
	// transform of the mask and floods its negation: round, evenly lit
	// objects that touch at a neck.
	SeedsDistance
)

func (s Seeds) String() string {
	if s == SeedsDistance {
		return "distance"
	}
	return "intensity"
}

// ParseSeeds parses "intensity" or "distance".
func ParseSeeds(s string) (Seeds, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "intensity":
		return SeedsIntensity, nil
	case "distance":
		return SeedsDistance, nil
	}
	return 0, fmt.Errorf("unknown seeds %q (want intensity or distance)", s)
}

// Defaults of SplitOptions, chosen on dense synthetic stacks with known
// ground truth (bench/anchors/split_reference.py explore; the README's
// "Splitting touching nuclei" gives the table).
const (
	DefaultMinDistance = 3
	DefaultMinSize     = 20
)

// SplitOptions configure the split of touching objects. With Method
// SplitWatershed, each plane (Mode2D) or the volume (Mode3D) goes through
//
//	mask    = smoothed > threshold, with its holes filled if FillHoles
//	seeds   = peak_local_max(S, min_distance=MinDistance,
//	                         labels=label(mask), exclude_border=False)
//	labels  = watershed(-S, seeds numbered 1..n, mask=mask)
//	labels  = the objects of MinSize..MaxSize voxels, numbered 1..n in
//	          raster order of their first voxel
//
// with S the smoothed intensity or the distance transform of the mask
// (Seeds), labelling and flooding with the run's connectivity, and
// binary_fill_holes' default structure; every step is scipy's or
// scikit-image's (0.26) exactly. In Mode3D, when the input declares a voxel
// size with a Z spacing other than its pixels' (Options.PixelSize, or the
// source's), distances are physical: the distance transform is sampled
// with it (scipy's sampling=) and MinDistance counts X spacings, the
// seeds' footprint and spacing following kernels.PeakOptions.Spacing.
type SplitOptions struct {
	// Method is SplitNone (the zero value) or SplitWatershed.
	Method Split
	// Seeds is the surface of the seeds and the flood.
	Seeds Seeds
	// MinDistance is peak_local_max's min_distance: seeds are at least
	// this many voxels apart (Chebyshev). Zero means DefaultMinDistance.
	MinDistance int
	// FillHoles fills the mask's holes before seeding.
	FillHoles bool
	// MinSize and MaxSize keep the objects of at least MinSize voxels
	// and, when MaxSize > 0, at most MaxSize. DefaultOptions sets MinSize
	// to DefaultMinSize.
	MinSize, MaxSize int
}

// SplitError says what is wrong with a SplitOptions: Field is the option
// ("method", "seeds", "min distance", "min size" or "max size").
type SplitError struct {
	Field  string
	Reason string
}

func (e *SplitError) Error() string { return "split " + e.Field + ": " + e.Reason }

// check reports what is wrong with o.
func (o SplitOptions) check() error {
	switch {
	case o.Method != SplitNone && o.Method != SplitWatershed:
		return &SplitError{"method", fmt.Sprintf("%d is not one of none and watershed", int(o.Method))}
	case o.Seeds != SeedsIntensity && o.Seeds != SeedsDistance:
		return &SplitError{"seeds", fmt.Sprintf("%d is not one of intensity and distance", int(o.Seeds))}
	case o.MinDistance < 0:
		return &SplitError{"min distance", fmt.Sprintf("%d is negative", o.MinDistance)}
	case o.MinSize < 0:
		return &SplitError{"min size", fmt.Sprintf("%d is negative", o.MinSize)}
	case o.MaxSize < 0:
		return &SplitError{"max size", fmt.Sprintf("%d is negative", o.MaxSize)}
	case o.MaxSize > 0 && o.MaxSize < o.MinSize:
		return &SplitError{"max size", fmt.Sprintf("%d is below the min size %d", o.MaxSize, o.MinSize)}
	}
	return nil
}

// minDistance is MinDistance with its default.
func (o SplitOptions) minDistance() int {
	if o.MinDistance == 0 {
		return DefaultMinDistance
	}
	return o.MinDistance
}
