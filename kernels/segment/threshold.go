package segment

import (
	"fmt"
	"strconv"

	"github.com/segstack/segstack/kernels"
)

// ThresholdKind says how a Threshold's value is found.
type ThresholdKind int

const (
	// FractionOfMax thresholds at Value × the maximum of the smoothed data.
	FractionOfMax ThresholdKind = iota
	// Otsu thresholds at Otsu's threshold of the smoothed data (256 bins,
	// as skimage.filters.threshold_otsu).
	Otsu
	// Absolute thresholds at Value.
	Absolute
)

// Threshold is where foreground starts: a voxel is foreground when its
// smoothed value is strictly greater. The zero value is 0.33 of the maximum.
type Threshold struct {
	Kind  ThresholdKind
	Value float64
}

// ParseThreshold parses "0.33max" (a fraction of the maximum), "otsu" or a
// plain number, as kernels.ParseThreshold does.
func ParseThreshold(s string) (Threshold, error) {
	spec, err := kernels.ParseThreshold(s)
	if err != nil {
		return Threshold{}, err
	}
	switch spec.Kind {
	case kernels.ThresholdOtsu:
		return Threshold{Kind: Otsu}, nil
	case kernels.ThresholdFractionOfMax:
		if spec.Value < 0 {
			return Threshold{}, fmt.Errorf("threshold %q: the fraction of the maximum must not be negative", s)
		}
		if spec.Value == 0 {
			return Threshold{Kind: Absolute}, nil // 0 × max
		}
		return Threshold{Kind: FractionOfMax, Value: spec.Value}, nil
	}
	return Threshold{Kind: Absolute, Value: spec.Value}, nil
}

func (t Threshold) String() string {
	switch t.Kind {
	case Otsu:
		return "otsu"
	case Absolute:
		return strconv.FormatFloat(t.Value, 'g', -1, 64)
	}
	return strconv.FormatFloat(t.frac(), 'g', -1, 64) + "max"
}

func (t Threshold) frac() float64 {
	if t.Kind == FractionOfMax && t.Value == 0 {
		return 0.33
	}
	return t.Value
}

// fromMax is the threshold for data whose maximum is m, as numpy computes
// 0.33 * a.max() (in float64) and compares it with float32 data.
func (t Threshold) fromMax(m float32) float32 {
	return float32(t.frac() * float64(m))
}
