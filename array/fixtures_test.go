package array

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/delayed"
	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
)

// fixtureArray is one array written by testdata/make_fixtures.py.
type fixtureArray struct {
	Shape []int     `json:"shape"`
	DType string    `json:"dtype"`
	Data  []float64 `json:"data"`
}

type fixtureFile struct {
	Cases    map[string]fixtureArray `json:"cases"`
	Chunks   map[string][][]int      `json:"chunks"`
	Tutorial struct {
		YEvery2Shape []int     `json:"y_every2_shape"`
		Z            []float64 `json:"z"`
		ZChunks      [][]int   `json:"z_chunks"`
		ZDaskTasks   int       `json:"z_dask_tasks"`
		YSum         float64   `json:"y_sum"`
		XNBytes      int       `json:"x_nbytes"`
	} `json:"tutorial"`
	Segmentation struct {
		Labels     []int `json:"labels"`
		Foreground []int `json:"foreground"`
		Labels09   []int `json:"labels_0.9"`
	} `json:"segmentation"`
	Gaussian fixtureArray `json:"gaussian"`
}

func loadFixtures(t testing.TB) *fixtureFile {
	t.Helper()
	b, err := os.ReadFile("testdata/fixtures.json")
	require.NoError(t, err)
	var f fixtureFile
	require.NoError(t, json.Unmarshal(b, &f))
	return &f
}

// The inputs of make_fixtures.py, with the chunk shapes it notes.
func inputs() map[string]*Array {
	a2 := []int{12, 10}
	in := map[string]*Array{
		"A":   Random(a2, []int{5, 4}, 1),
		"B":   Random(a2, []int{5, 4}, 2),
		"U16": Random(a2, []int{5, 4}, 3).Mul(60000).Astype(stack.Uint16),
		// Other chunks than U16's, so binary operations must align them.
		"U16B": Random(a2, []int{4, 3}, 4).Mul(60000).Astype(stack.Uint16),
		"I16":  Random(a2, []int{5, 4}, 5).Mul(60000).Sub(30000).Astype(stack.Int16),
		"U8":   Random(a2, []int{5, 4}, 6).Mul(256).Astype(stack.Uint8),
		"F32":  Random(a2, []int{5, 4}, 7).Astype(stack.Float32),
		"I32":  Random(a2, []int{5, 4}, 8).Mul(2e6).Sub(1e6).Astype(stack.Int32),
		"V3":   Random([]int{6, 7, 9}, []int{4, 3, 5}, 9),
		"L1":   Random([]int{23}, []int{5}, 10),
	}
	in["I32V"] = in["V3"].Mul(2e6).Sub(1e6).Astype(stack.Int32)
	return in
}

func fixtureCases(in map[string]*Array) map[string]*Array {
	A, B, U16, U16B, I16, U8, F32, I32 := in["A"], in["B"], in["U16"], in["U16B"], in["I16"], in["U8"], in["F32"], in["I32"]
	V3, I32V, L1 := in["V3"], in["I32V"], in["L1"]
	sum := func(a *Array, axes ...int) *Array { return a.Sum(axes...) }
	return map[string]*Array{
		"add":          A.Add(B),
		"sub_u16":      U16.Sub(U16B),
		"mul_u8":       U8.Mul(U8),
		"div_u16":      U16.Div(U16B),
		"add_u8_i16":   U8.Add(I16),
		"add_u16_i16":  U16.Add(I16),
		"mul_f32_u16":  F32.Mul(U16),
		"add_f32_i32":  F32.Add(I32),
		"minimum_u16":  U16.Minimum(U16B),
		"maximum":      A.Maximum(B),
		"gt":           A.Gt(B),
		"eq_u16":       U16.Eq(U16),
		"le_i16_u8":    I16.Le(U8),
		"axpy":         A.Mul(3).Add(1),
		"add_u16_7":    U16.Add(7),
		"sub_u8_1":     U8.Sub(1),
		"mul_u16_half": U16.Mul(0.5),
		"mul_f32_half": F32.Mul(0.5),
		"rsub":         A.RSub(1),
		"rdiv":         A.Add(1).RDiv(2),
		"div_i16_4":    I16.Div(4),
		"ge_u16":       U16.Ge(30000),
		"lt_f32":       F32.Lt(0.25),
		"astype_i16":   A.Mul(1000).Sub(500).Astype(stack.Int16),
		"astype_u8":    A.Mul(255).Astype(stack.Uint8),
		"astype_f32":   A.Astype(stack.Float32),

		"T":         A.T(),
		"TT":        A.T().T(),
		"v3_t102":   V3.Transpose(1, 0, 2),
		"v3_t201":   V3.Transpose(2, 0, 1),
		"v3_T":      V3.T(),
		"v3_swap02": V3.SwapAxes(0, 2),

		"s_every2":             A.Slice(Every(2)),
		"s_every2_from5":       A.Slice(S(nil, nil, 2), From(5)),
		"s_last3_rev":          A.Slice(From(-3), Every(-1)),
		"s_1m1_3_rev2":         A.Slice(S(1, -1, 3), S(nil, nil, -2)),
		"s_at3":                A.Slice(At(3)),
		"s_col_last":           A.Slice(All(), At(-1)),
		"s_v3":                 V3.Slice(Range(1, 5), Every(2), From(-4)),
		"s_v3_rev_at":          V3.Slice(Every(-2), At(3), All()),
		"s_v3_point":           V3.Slice(At(2), At(3), At(4)),
		"s_v3_neg_step_bounds": V3.Slice(S(4, 0, -3), S(-1, -8, -2), S(7, 1, -1)),
		"s_1d":                 L1.Slice(S(3, 20, 4)),
		"s_1d_rev":             L1.Slice(Every(-3)),

		"sum":        sum(A),
		"mean0":      A.Mean(0),
		"mean1":      A.Mean(1),
		"std":        A.Std(),
		"std0":       A.Std(0),
		"min1":       A.Min(-1),
		"max":        A.Max(),
		"sum_u16":    sum(U16),
		"sum0_i16":   sum(I16, 0),
		"mean_u16":   U16.Mean(),
		"sum1_f32":   sum(F32, 1),
		"mean_f32":   F32.Mean(),
		"std_f32":    F32.Std(),
		"max_u8":     U8.Max(),
		"v3_sum02":   sum(V3, 0, 2),
		"v3_max1":    V3.Max(1),
		"v3_std01":   V3.Std(0, 1),
		"v3i_sum2":   sum(I32V, 2),
		"v3i_min":    I32V.Min(),
		"v3i_mean12": I32V.Mean(1, 2),
		"l1_sum":     sum(L1),
	}
}

// requireMatches checks a result against a fixture: same shape and dtype,
// integers exactly, floats to rel (and float64 element-wise results, whose
// operations are the same IEEE operations numpy does, to 1e-12).
func requireMatches(t *testing.T, name string, want fixtureArray, got *Result, rel float64) {
	t.Helper()
	require.Equal(t, want.DType, got.DType().String(), name)
	require.Equal(t, want.Shape, got.Shape(), name)
	g := got.Float64s()
	require.Len(t, g, len(want.Data), name)
	for i, w := range want.Data {
		if !got.DType().IsFloat() {
			require.Equal(t, w, g[i], "%s[%d]", name, i)
			continue
		}
		require.InDelta(t, w, g[i], rel*math.Max(1, math.Abs(w)), "%s[%d]", name, i)
	}
}

func TestMatchesNumpy(t *testing.T) {
	t.Parallel()
	f := loadFixtures(t)
	cases := fixtureCases(inputs())
	require.Len(t, cases, len(f.Cases), "every fixture case has a Go twin")
	ctx := context.Background()
	for name, want := range f.Cases {
		a, ok := cases[name]
		require.True(t, ok, "no Go twin for %s", name)
		require.NoError(t, a.Err(), name)
		require.Equal(t, want.Shape, a.Shape(), "%s: lazy shape", name)
		got, err := a.Compute(ctx, delayed.Serial())
		require.NoError(t, err, name)
		rel := 1e-12
		if got.DType() == stack.Float32 {
			rel = 1e-6
		}
		requireMatches(t, name, want, got, rel)
		if c, ok := f.Chunks[name]; ok {
			require.Equal(t, c, a.Chunks(), "%s: chunks as dask lays them out", name)
		}
	}
}

// TestTutorialMatchesNumpy checks the tutorial's array cells, which the
// examples print rounded, in full against numpy and dask.
func TestTutorialMatchesNumpy(t *testing.T) {
	t.Parallel()
	f := loadFixtures(t)
	ctx := context.Background()
	x := Random([]int{100, 100}, []int{10, 10}, 0)
	require.Equal(t, f.Tutorial.XNBytes, x.NBytes())
	y := x.Add(x.T())
	require.Equal(t, f.Tutorial.YEvery2Shape, y.Slice(Every(2)).Shape())
	z := y.Slice(Every(2), From(50)).Mean(1)
	require.Equal(t, f.Tutorial.ZChunks, z.Chunks())
	zr, err := z.Compute(ctx, nil)
	require.NoError(t, err)
	requireMatches(t, "z", fixtureArray{Shape: []int{50}, DType: "float64", Data: f.Tutorial.Z}, zr, 1e-12)
	yp, err := y.Persist(ctx, nil)
	require.NoError(t, err)
	s, err := yp.Sum().Compute(ctx, nil)
	require.NoError(t, err)
	v, err := s.Scalar()
	require.NoError(t, err)
	require.InDelta(t, f.Tutorial.YSum, v, 1e-12*f.Tutorial.YSum)
	require.Empty(t, s.Shape())
}

// TestSegmentationMatchesScipy runs the segmentation exercise's per-plane
// pipeline on MapOverlap-smoothed planes of the random stack and compares
// object and foreground counts with scipy, at the tutorial's threshold and
// at a higher one that splits planes into many objects.
func TestSegmentationMatchesScipy(t *testing.T) {
	t.Parallel()
	f := loadFixtures(t)
	ctx := context.Background()
	st := Random([]int{10, 100, 100}, []int{10, 10, 10}, 0).Astype(stack.Float32)
	opt := kernels.GaussianOptions{Sigma: [3]float64{0, 1, 1}}
	d := kernels.Depth(opt)
	// Smoothed chunk-wise through halos; equal to per-plane smoothing.
	sm, err := ToVolume[float32](compute(t, MapOverlap(st, OverlapOptions{Depth: d[:]}, gaussianBlock(opt))))
	require.NoError(t, err)
	for z := range 10 {
		plane := sm.PlaneVolume(z)
		mx, err := kernels.Max(ctx, plane)
		require.NoError(t, err)
		labels := stack.New[uint32](plane.Shape)
		for _, tc := range []struct {
			frac float64
			want int
		}{{0.33, f.Segmentation.Labels[z]}, {0.9, f.Segmentation.Labels09[z]}} {
			n, err := kernels.LabelAbove(ctx, labels, plane, float32(tc.frac*float64(mx)), kernels.Conn4)
			require.NoError(t, err)
			require.Equal(t, tc.want, n, "plane %d, threshold %.2f max", z, tc.frac)
		}
	}
}
