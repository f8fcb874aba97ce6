package kernels

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"testing"

	"github.com/segstack/segstack/kernels/simd"
	"github.com/segstack/segstack/stack"
	"github.com/stretchr/testify/require"
)

// filterCase is one entry of testdata/filters_cases.json (made by
// make_filters.py with scipy.ndimage).
type filterCase struct {
	Name      string     `json:"name"`
	Func      string     `json:"func"`
	NDim      int        `json:"ndim"`
	DType     string     `json:"dtype"`
	OutDType  string     `json:"out_dtype"`
	Mode      string     `json:"mode"`
	Cval      float64    `json:"cval"`
	Shape     [3]int     `json:"shape"`
	Size      [3]int     `json:"size"`
	Origin    [3]int     `json:"origin"`
	FShape    [3]int     `json:"fshape"`
	Footprint []bool     `json:"footprint"`
	Weights   []float64  `json:"weights"`
	WShape    [3]int     `json:"wshape"`
	Axis      int        `json:"axis"`
	Sigma     [3]float64 `json:"sigma"`
	Truncate  float64    `json:"truncate"`
	Input     int        `json:"input"`
	Output    int        `json:"output"`
}

func decodeAs[T stack.Elem](b []byte, off, n int) []T {
	out := make([]T, n)
	var z T
	switch any(z).(type) {
	case uint8:
		for i := range out {
			out[i] = T(b[off+i])
		}
	case uint16:
		for i := range out {
			out[i] = T(binary.LittleEndian.Uint16(b[off+2*i:]))
		}
	case float32:
		for i := range out {
			out[i] = T(math.Float32frombits(binary.LittleEndian.Uint32(b[off+4*i:])))
		}
	default:
		panic("decodeAs: unsupported type")
	}
	return out
}

// TestFiltersFixtures runs every scipy fixture on every SIMD path present.
func TestFiltersFixtures(t *testing.T) {
	cases, blob := loadFixture[filterCase](t, "filters")
	for _, path := range simd.Paths() {
		t.Run(path, func(t *testing.T) {
			prev, err := simd.Use(path)
			require.NoError(t, err)
			defer func() { _, _ = simd.Use(prev) }()
			for _, c := range cases {
				switch c.DType {
				case "uint8":
					runFilterCase[uint8](t, c, blob)
				case "uint16":
					runFilterCase[uint16](t, c, blob)
				case "float32":
					runFilterCase[float32](t, c, blob)
				default:
					t.Fatalf("%s: dtype %s", c.Name, c.DType)
				}
			}
		})
	}
}

func runFilterCase[T stack.Elem](t *testing.T, c filterCase, blob []byte) {
	t.Helper()
	ctx := context.Background()
	s := stack.Shape{Z: c.Shape[0], Y: c.Shape[1], X: c.Shape[2]}
	src := &stack.Volume[T]{Shape: s, Data: decodeAs[T](blob, c.Input, s.Len())}
	orig := src.Clone()
	mode, err := stack.ParseMode(c.Mode)
	require.NoError(t, err, c.Name)
	opt := FilterOptions{Size: c.Size, Origin: c.Origin, Mode: mode, Cval: c.Cval, PerPlane: c.NDim == 2}
	if c.Footprint != nil {
		opt.Footprint = &Footprint{Shape: stack.Shape{Z: c.FShape[0], Y: c.FShape[1], X: c.FShape[2]}, Mask: c.Footprint}
	}
	gopt := GaussDerivOptions{Sigma: c.Sigma, Truncate: c.Truncate, Mode: mode, Cval: c.Cval, PerPlane: c.NDim == 2}
	if c.OutDType == "float32" && c.DType != "float32" {
		dst := stack.New[float32](s)
		switch c.Func {
		case "gaussian_laplace":
			err = GaussianLaplace(ctx, dst, src, gopt)
		case "gaussian_gradient_magnitude":
			err = GaussianGradientMagnitude(ctx, dst, src, gopt)
		default:
			t.Fatalf("%s: output %s", c.Name, c.OutDType)
		}
		require.NoError(t, err, c.Name)
		want := decodeAs[float32](blob, c.Output, s.Len())
		requireDerivClose(t, c.Name, want, dst.Data)
		return
	}
	require.Equal(t, c.DType, c.OutDType, c.Name)
	dst := stack.New[T](s)
	w3 := &Weights{Shape: stack.Shape{Z: c.WShape[0], Y: c.WShape[1], X: c.WShape[2]}, W: c.Weights}
	switch c.Func {
	case "uniform":
		err = UniformFilter(ctx, dst, src, opt)
	case "minimum":
		err = MinimumFilter(ctx, dst, src, opt)
	case "maximum":
		err = MaximumFilter(ctx, dst, src, opt)
	case "median":
		err = MedianFilter(ctx, dst, src, opt)
	case "correlate1d":
		err = Correlate1D(ctx, dst, src, c.Weights, c.Axis, opt)
	case "convolve1d":
		err = Convolve1D(ctx, dst, src, c.Weights, c.Axis, opt)
	case "correlate":
		err = Correlate(ctx, dst, src, w3, opt)
	case "convolve":
		err = Convolve(ctx, dst, src, w3, opt)
	case "sobel":
		err = Sobel(ctx, dst, src, c.Axis, opt)
	case "prewitt":
		err = Prewitt(ctx, dst, src, c.Axis, opt)
	case "laplace":
		err = Laplace(ctx, dst, src, opt)
	case "gaussian_laplace", "gaussian_gradient_magnitude":
		d := any(dst).(*stack.Volume[float32])
		if c.Func == "gaussian_laplace" {
			err = GaussianLaplace(ctx, d, src, gopt)
		} else {
			err = GaussianGradientMagnitude(ctx, d, src, gopt)
		}
		require.NoError(t, err, c.Name)
		requireDerivClose(t, c.Name, decodeAs[float32](blob, c.Output, s.Len()), d.Data)
		return
	default:
		t.Fatalf("%s: unknown filter", c.Name)
	}
	require.NoError(t, err, c.Name)
	require.Equal(t, orig.Data, src.Data, "%s: input changed", c.Name)
	want := decodeAs[T](blob, c.Output, s.Len())
	require.Equal(t, want, dst.Data, "%s: %+v", c.Name, c)
}

// requireDerivClose compares Gaussian-derivative outputs: within 2 float32
// ulps of scipy's value, or 1e-6 of the largest output in absolute terms
// (sums that cancel to near zero keep the absolute error of the terms).
// scipy's derivative weights come out of a BLAS product whose rounding
// may differ from ours in the last bit of a float64; everything after is
// the same arithmetic.
func requireDerivClose(t *testing.T, name string, want, got []float32) {
	t.Helper()
	require.Len(t, got, len(want))
	scale := float32(0)
	for _, v := range want {
		scale = max(scale, float32(math.Abs(float64(v))))
	}
	for i := range want {
		w, g := want[i], got[i]
		if w == g {
			continue
		}
		ulp := math.Abs(float64(math.Nextafter32(w, float32(math.Inf(1))) - w))
		d := math.Abs(float64(w - g))
		require.True(t, d <= 2*ulp || d <= 1e-6*float64(scale), fmt.Sprintf("%s: [%d] got %v want %v", name, i, g, w))
	}
}
