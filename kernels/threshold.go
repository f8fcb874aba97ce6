package kernels

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/segstack/segstack/kernels/simd"
	"github.com/segstack/segstack/stack"
)

// ThresholdKind says how a ThresholdSpec turns into a value.
type ThresholdKind int

// Threshold kinds.
const (
	// ThresholdDefault, the zero kind, is the reference workload's
	// threshold, 0.33 of the image's maximum; Value is not read. It makes
	// the zero ThresholdSpec a useful default (ParseThreshold never returns
	// it: "0.33max" is a ThresholdFractionOfMax).
	ThresholdDefault ThresholdKind = iota
	// ThresholdAbsolute is a fixed value.
	ThresholdAbsolute
	// ThresholdFractionOfMax is a fraction of the image's maximum.
	ThresholdFractionOfMax
	// ThresholdOtsu is Otsu's threshold of the image.
	ThresholdOtsu
)

// ThresholdSpec is a threshold as a user writes it: "120.5", "0.33max" or
// "otsu". The zero value is 0.33 of the maximum.
type ThresholdSpec struct {
	Kind ThresholdKind
	// Value is the absolute threshold or the fraction of the maximum.
	Value float64
}

// defaultFraction is the fraction of the maximum of ThresholdDefault.
const defaultFraction = 0.33

// ParseThreshold reads "otsu", a fraction of the maximum such as "0.33max",
// or a number such as "120.5". A negative fraction of the maximum is an
// error.
func ParseThreshold(s string) (ThresholdSpec, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	switch {
	case t == "otsu":
		return ThresholdSpec{Kind: ThresholdOtsu}, nil
	case strings.HasSuffix(t, "max"):
		f, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(t, "max")), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return ThresholdSpec{}, fmt.Errorf("%w: threshold %q: want a number before \"max\", as in 0.33max", ErrInvalid, s)
		}
		if f < 0 {
			return ThresholdSpec{}, fmt.Errorf("%w: threshold %q: the fraction of the maximum must not be negative", ErrInvalid, s)
		}
		return ThresholdSpec{Kind: ThresholdFractionOfMax, Value: f}, nil
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(f) {
		return ThresholdSpec{}, fmt.Errorf("%w: threshold %q: want a number, a fraction of the maximum (0.33max) or otsu", ErrInvalid, s)
	}
	return ThresholdSpec{Kind: ThresholdAbsolute, Value: f}, nil
}

// String writes the spec back in the form ParseThreshold reads.
func (s ThresholdSpec) String() string {
	switch s.Kind {
	case ThresholdOtsu:
		return "otsu"
	case ThresholdDefault:
		return strconv.FormatFloat(defaultFraction, 'g', -1, 64) + "max"
	case ThresholdFractionOfMax:
		return strconv.FormatFloat(s.Value, 'g', -1, 64) + "max"
	}
	return strconv.FormatFloat(s.Value, 'g', -1, 64)
}

// Resolve returns the absolute threshold for an image whose samples are img
// and whose maximum is max (img is read only for Otsu). A fraction of the
// maximum is computed in float64 and rounded to float32, which is what numpy
// compares a float32 image against for "img > 0.33 * img.max()".
func (s ThresholdSpec) Resolve(img []float32, max float32) float32 {
	switch s.Kind {
	case ThresholdOtsu:
		return Otsu(img)
	case ThresholdDefault:
		return float32(defaultFraction * float64(max))
	case ThresholdFractionOfMax:
		return float32(s.Value * float64(max))
	}
	return float32(s.Value)
}

// Threshold sets dst to 1 where src > t and 0 elsewhere (NaN gives 0). dst
// must have src's shape.
func Threshold(ctx context.Context, dst *stack.Volume[uint8], src *stack.Volume[float32], t float32) error {
	if err := checkVolume(src); err != nil {
		return err
	}
	if dst == nil || dst.Shape != src.Shape || len(dst.Data) != len(src.Data) {
		return fmt.Errorf("%w: threshold of %v into a mismatched mask", ErrInvalid, src.Shape)
	}
	n := (len(src.Data) + reduceChunk - 1) / reduceChunk
	return forEachItem(ctx, workersFor(len(src.Data), n), n, func(_, i int) error {
		lo, hi := i*reduceChunk, min(len(src.Data), (i+1)*reduceChunk)
		simd.GreaterMask(dst.Data[lo:hi], src.Data[lo:hi], t)
		return nil
	})
}
