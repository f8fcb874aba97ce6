package kernels

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/segstack/segstack/stack"
	"github.com/stretchr/testify/require"
)

// measureCase is one entry of testdata/measure_cases.json (made by
// testdata/make_measure.py); floats are the bits of float64 values.
type measureCase struct {
	Name              string     `json:"name"`
	Shape             [3]int     `json:"shape"`
	DType             string     `json:"dtype"`
	Index             []uint32   `json:"index"`
	Labels            int        `json:"labels"`
	Intensity         int        `json:"intensity"`
	Count             []int64    `json:"count"`
	Sum               []uint64   `json:"sum"`
	Mean              []uint64   `json:"mean"`
	Variance          []uint64   `json:"variance"`
	StandardDeviation []uint64   `json:"standard_deviation"`
	Minimum           []uint64   `json:"minimum"`
	Maximum           []uint64   `json:"maximum"`
	Median            []uint64   `json:"median"`
	CenterOfMass      [][]uint64 `json:"center_of_mass"`
	MinimumPosition   [][3]int   `json:"minimum_position"`
	MaximumPosition   [][3]int   `json:"maximum_position"`
	FindObjects       []*struct {
		Lo [3]int `json:"lo"`
		Hi [3]int `json:"hi"`
	} `json:"find_objects"`
	FindObjectsMax     int `json:"find_objects_max"`
	FindObjectsLimited []*struct {
		Lo [3]int `json:"lo"`
		Hi [3]int `json:"hi"`
	} `json:"find_objects_limited"`
	Histogram struct {
		Min    uint64    `json:"min"`
		Max    uint64    `json:"max"`
		Bins   int       `json:"bins"`
		Counts [][]int64 `json:"counts"`
	} `json:"histogram"`
	Comprehension          []uint64 `json:"comprehension"`
	ComprehensionPositions []int64  `json:"comprehension_positions"`
}

func loadMeasureCases(t *testing.T) ([]measureCase, []byte) {
	t.Helper()
	js, err := os.ReadFile(filepath.Join("testdata", "measure_cases.json"))
	require.NoError(t, err)
	var m struct {
		Cases []measureCase `json:"cases"`
	}
	require.NoError(t, json.Unmarshal(js, &m))
	require.NotEmpty(t, m.Cases)
	blob, err := os.ReadFile(filepath.Join("testdata", "measure_data.bin"))
	require.NoError(t, err)
	return m.Cases, blob
}

func decodeVolume[T stack.Elem](t *testing.T, s stack.Shape, b []byte) *stack.Volume[T] {
	t.Helper()
	v := stack.New[T](s)
	size := stack.DTypeOf[T]().Size()
	for i := range v.Data {
		var u uint64
		switch size {
		case 1:
			u = uint64(b[i])
		case 2:
			u = uint64(binary.LittleEndian.Uint16(b[2*i:]))
		case 4:
			u = uint64(binary.LittleEndian.Uint32(b[4*i:]))
		}
		switch any(v.Data[i]).(type) {
		case float32:
			v.Data[i] = T(math.Float32frombits(uint32(u)))
		case int16:
			v.Data[i] = T(int16(uint16(u)))
		default:
			v.Data[i] = T(u)
		}
	}
	return v
}

func f64bits(b []uint64) []float64 {
	out := make([]float64, len(b))
	for i, u := range b {
		out[i] = math.Float64frombits(u)
	}
	return out
}

// requireFloats compares got with want: bit for bit (NaN matching NaN)
// when rel is 0, otherwise within rel relative.
func requireFloats(t *testing.T, want, got []float64, rel float64, what string) {
	t.Helper()
	require.Len(t, got, len(want), what)
	for i := range want {
		w, g := want[i], got[i]
		if math.IsNaN(w) {
			require.True(t, math.IsNaN(g), "%s[%d]: want NaN, got %v", what, i, g)
			continue
		}
		if rel == 0 {
			require.Equal(t, math.Float64bits(w), math.Float64bits(g), "%s[%d]: want %v, got %v", what, i, w, g)
			continue
		}
		require.InDelta(t, w, g, rel*math.Abs(w), "%s[%d]", what, i)
	}
}

// measureSumTolerance is the relative tolerance of float sums over labels
// that span several blocks of rows, whose float64 partial sums are added in
// another order than scipy's single raster-order sum. Everything else
// (integer intensities, labels within one block) compares bit for bit.
const measureSumTolerance = 1e-13

func TestMeasureMatchesScipy(t *testing.T) {
	cases, blob := loadMeasureCases(t)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			switch c.DType {
			case "uint8":
				checkMeasureCase[uint8](t, c, blob)
			case "uint16":
				checkMeasureCase[uint16](t, c, blob)
			case "int16":
				checkMeasureCase[int16](t, c, blob)
			case "float32":
				checkMeasureCase[float32](t, c, blob)
			default:
				t.Fatalf("dtype %s", c.DType)
			}
		})
	}
}

func checkMeasureCase[T stack.Elem](t *testing.T, c measureCase, blob []byte) {
	ctx := context.Background()
	s := stack.ShapeOf(c.Shape)
	labels := decodeVolume[uint32](t, s, blob[c.Labels:])
	img := decodeVolume[T](t, s, blob[c.Intensity:])
	// Over several blocks the centred sums of the variance are added in
	// another order for every dtype; plain sums are exact for integers.
	rel, relVar := 0.0, 0.0
	if newBlockPlan(s).blocks > 1 {
		relVar = measureSumTolerance
		if stack.DTypeOf[T]() == stack.Float32 {
			rel = measureSumTolerance
		}
	}
	ndim := 3
	if s.Z == 1 {
		ndim = 2
	}
	for _, procs := range []int{1, 4} {
		old := runtime.GOMAXPROCS(procs)
		m, err := Measure(ctx, labels, img, c.Index, MeasureAll)
		runtime.GOMAXPROCS(old)
		require.NoError(t, err)
		require.Equal(t, c.Index, m.Index)
		require.Equal(t, c.Count, m.Count)
		requireFloats(t, f64bits(c.Sum), m.Sum, rel, "sum")
		requireFloats(t, f64bits(c.Mean), m.Mean, rel, "mean")
		requireFloats(t, f64bits(c.Variance), m.Variance, relVar, "variance")
		requireFloats(t, f64bits(c.StandardDeviation), m.StandardDeviation, relVar, "standard_deviation")
		requireFloats(t, f64bits(c.Minimum), m.Minimum, 0, "minimum")
		requireFloats(t, f64bits(c.Maximum), m.Maximum, 0, "maximum")
		requireFloats(t, f64bits(c.Median), m.Median, 0, "median")
		require.Equal(t, c.MinimumPosition, m.MinimumPosition, "minimum_position")
		require.Equal(t, c.MaximumPosition, m.MaximumPosition, "maximum_position")
		for i, want := range c.CenterOfMass {
			// The axes of the fixture's array (Z of a 2-D case is padding).
			requireFloats(t, f64bits(want)[3-ndim:], m.CenterOfMass[i][3-ndim:], rel, "center_of_mass")
		}
	}

	if c.FindObjects != nil {
		for _, lim := range []struct {
			max  int
			want []*struct {
				Lo [3]int `json:"lo"`
				Hi [3]int `json:"hi"`
			}
		}{{0, c.FindObjects}, {c.FindObjectsMax, c.FindObjectsLimited}} {
			boxes, err := FindObjects(ctx, labels, lim.max)
			require.NoError(t, err)
			require.Len(t, boxes, len(lim.want))
			for i, w := range lim.want {
				if w == nil {
					require.Equal(t, stack.Box{}, boxes[i], "label %d", i+1)
				} else {
					require.Equal(t, stack.Box{Lo: w.Lo, Hi: w.Hi}, boxes[i], "label %d", i+1)
				}
			}
		}
	}

	h, err := HistogramLabels(ctx, labels, img, math.Float64frombits(c.Histogram.Min), math.Float64frombits(c.Histogram.Max), c.Histogram.Bins, c.Index)
	require.NoError(t, err)
	require.Equal(t, c.Histogram.Counts, h, "histogram")

	cmp, err := LabeledComprehension(ctx, labels, img, c.Index, func(v []T) float64 {
		lo, hi := v[0], v[0]
		for _, e := range v {
			lo, hi = min(lo, e), max(hi, e)
		}
		return float64(hi) - float64(lo)
	}, -1.5)
	require.NoError(t, err)
	requireFloats(t, f64bits(c.Comprehension), cmp, 0, "labeled_comprehension")

	cp, err := LabeledComprehensionPositions(ctx, labels, img, c.Index, func(_ []T, p []int) int64 {
		lo := p[0]
		for _, e := range p {
			lo = min(lo, e)
		}
		return int64(lo + 7*len(p))
	}, -1)
	require.NoError(t, err)
	require.Equal(t, c.ComprehensionPositions, cp, "labeled_comprehension pass_positions")
}
