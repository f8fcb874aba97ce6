package kernels

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"testing"

	"github.com/segstack/segstack/stack"
	"github.com/stretchr/testify/require"
)

// bruteMeasure is the reference: every statistic of one label by the
// definitions, scanning the whole volume in raster order.
func bruteMeasure[T stack.Elem](labels *stack.Volume[uint32], img *stack.Volume[T], l uint32) (m struct {
	n                     int64
	sum, mean, vr, median float64
	min, max              float64
	minPos, maxPos        [3]int
	com                   [3]float64
	values                []T
	positions             []int
}) {
	s := labels.Shape
	for i, lab := range labels.Data {
		if lab != l {
			continue
		}
		v := float64(img.Data[i])
		p := unravel(s, int64(i))
		if m.n == 0 || v < m.min {
			m.min, m.minPos = v, p
		}
		if m.n == 0 || v > m.max {
			m.max, m.maxPos = v, p
		}
		m.n++
		m.sum += v
		for d := range 3 {
			m.com[d] += float64(v * float64(p[d]))
		}
		m.values = append(m.values, img.Data[i])
		m.positions = append(m.positions, i)
	}
	m.mean = m.sum / float64(m.n)
	var ssd float64
	for _, e := range m.values {
		d := float64(e) - m.mean
		ssd += float64(d * d)
	}
	m.vr = ssd / float64(m.n)
	for d := range 3 {
		m.com[d] /= m.sum
	}
	if m.n > 0 {
		sorted := slices.Clone(m.values)
		slices.Sort(sorted)
		m.median = medianOf(sorted[(m.n-1)/2], sorted[m.n-1-(m.n-1)/2])
	}
	return m
}

func randomMeasureInput[T stack.Elem](r *rand.Rand) (*stack.Volume[uint32], *stack.Volume[T], []uint32) {
	s := stack.Shape{Z: 1 + r.IntN(3), Y: 1 + r.IntN(9), X: 1 + r.IntN(11)}
	labels := stack.New[uint32](s)
	img := stack.New[T](s)
	nl := 1 + r.IntN(6)
	for i := range labels.Data {
		if i > 0 && r.IntN(3) > 0 {
			labels.Data[i] = labels.Data[i-1] // runs, as real labels have
		} else {
			labels.Data[i] = uint32(r.IntN(nl + 1))
		}
		switch any(img.Data[i]).(type) {
		case float32:
			img.Data[i] = T(float32(r.NormFloat64() * 50))
		case int16:
			img.Data[i] = T(int16(r.IntN(40) - 20))
		default:
			img.Data[i] = T(r.IntN(12))
		}
	}
	var index []uint32
	for range 1 + r.IntN(8) {
		index = append(index, uint32(r.IntN(nl+3)))
	}
	return labels, img, index
}

func TestMeasureBruteForce(t *testing.T) {
	old := measureBlockElems
	t.Cleanup(func() { measureBlockElems = old })
	r := rand.New(rand.NewPCG(7, 19))
	for trial := range 3000 {
		// Blocks of one to a few rows, so that labels span many of them.
		measureBlockElems = 1 + r.IntN(40)
		switch trial % 4 {
		case 0:
			checkMeasureBrute[uint8](t, r)
		case 1:
			checkMeasureBrute[uint16](t, r)
		case 2:
			checkMeasureBrute[int16](t, r)
		case 3:
			checkMeasureBrute[float32](t, r)
		}
	}
}

func checkMeasureBrute[T stack.Elem](t *testing.T, r *rand.Rand) {
	ctx := context.Background()
	labels, img, index := randomMeasureInput[T](r)
	m, err := Measure(ctx, labels, img, index, MeasureAll)
	require.NoError(t, err)
	isFloat := stack.DTypeOf[T]() == stack.Float32
	near := func(want, got float64, what string) {
		t.Helper()
		switch {
		case math.IsNaN(want):
			require.True(t, math.IsNaN(got), "%s: want NaN, got %v", what, got)
		case isFloat || what == "variance" || what == "com":
			require.InDelta(t, want, got, 1e-9*math.Max(1, math.Abs(want)), what)
		default:
			require.Equal(t, want, got, what)
		}
	}
	// The median of a label without voxels is scipy's artefact: the
	// smallest value of the smallest label present.
	lmin := slices.Min(labels.Data)
	absent := bruteMeasure(labels, img, lmin).min
	hist, err := HistogramLabels(ctx, labels, img, -10, 10, 4, index)
	require.NoError(t, err)
	for i, l := range index {
		b := bruteMeasure(labels, img, l)
		require.Equal(t, b.n, m.Count[i])
		near(b.sum, m.Sum[i], "sum")
		near(b.mean, m.Mean[i], "mean")
		near(b.vr, m.Variance[i], "variance")
		near(math.Sqrt(b.vr), m.StandardDeviation[i], "variance")
		if b.n == 0 {
			require.Zero(t, m.Minimum[i])
			require.Zero(t, m.Maximum[i])
			require.Equal(t, [3]int{}, m.MinimumPosition[i])
			require.Equal(t, [3]int{}, m.MaximumPosition[i])
			require.Equal(t, absent, m.Median[i])
			require.Nil(t, hist[i])
			continue
		}
		require.Equal(t, b.min, m.Minimum[i])
		require.Equal(t, b.max, m.Maximum[i])
		require.Equal(t, b.minPos, m.MinimumPosition[i])
		require.Equal(t, b.maxPos, m.MaximumPosition[i])
		require.Equal(t, b.median, m.Median[i])
		for d := range 3 {
			near(b.com[d], m.CenterOfMass[i][d], "com")
		}
		want := make([]int64, 4)
		for _, e := range b.values {
			// Edges -10, -5, 0, 5, 10; the last bin includes 10.
			if x := float64(e); x >= -10 && x <= 10 {
				want[min(int((x+10)/5), 3)]++
			}
		}
		require.Equal(t, want, hist[i])
	}
	got, err := LabeledComprehensionPositions(ctx, labels, img, index, func(v []T, p []int) [2][]int {
		return [2][]int{slices.Clone(p), {len(v)}}
	}, [2][]int{})
	require.NoError(t, err)
	for i, l := range index {
		b := bruteMeasure(labels, img, l)
		if b.n == 0 {
			require.Equal(t, [2][]int{}, got[i])
		} else {
			require.Equal(t, b.positions, got[i][0])
		}
	}
	hi := int(slices.Max(labels.Data))
	boxes, err := FindObjects(ctx, labels, 0)
	require.NoError(t, err)
	require.Len(t, boxes, hi)
	for l := 1; l <= hi; l++ {
		var want stack.Box
		for i, lab := range labels.Data {
			if int(lab) == l {
				p := unravel(labels.Shape, int64(i))
				growBox(&want, p[0], p[1], p[2], p[2]+1)
			}
		}
		require.Equal(t, want, boxes[l-1], "label %d", l)
	}
}

// measureBits flattens Measurements into comparable bits (NaN equal to NaN).
func measureBits(m *Measurements) []uint64 {
	var out []uint64
	for _, f := range [][]float64{m.Sum, m.Mean, m.Variance, m.StandardDeviation, m.Minimum, m.Maximum, m.Median} {
		for _, v := range f {
			out = append(out, math.Float64bits(v))
		}
	}
	for i := range m.Index {
		out = append(out, uint64(m.Count[i]))
		for d := range 3 {
			out = append(out, math.Float64bits(m.CenterOfMass[i][d]), uint64(m.MinimumPosition[i][d]), uint64(m.MaximumPosition[i][d]))
		}
	}
	return out
}

func TestMeasureIndependentOfWorkers(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(3, 4))
	s := stack.Shape{Z: 9, Y: 130, X: 170}
	labels := stack.New[uint32](s)
	img := stack.New[float32](s)
	for i := range labels.Data {
		labels.Data[i] = uint32(i/97%23) * uint32(r.IntN(4)%3)
		img.Data[i] = float32(r.NormFloat64()*100) * float32(1+r.IntN(1000))
	}
	old := measureBlockElems
	t.Cleanup(func() { measureBlockElems = old })
	measureBlockElems = 1000
	var first []uint64
	for _, procs := range []int{1, 2, 5, 8} {
		prev := runtime.GOMAXPROCS(procs)
		m, err := Measure(ctx, labels, img, nil, MeasureAll)
		runtime.GOMAXPROCS(prev)
		require.NoError(t, err)
		require.Len(t, m.Index, 44)
		if first == nil {
			first = measureBits(m)
		} else {
			require.Equal(t, first, measureBits(m), "GOMAXPROCS %d", procs)
		}
	}
}

func TestMeasureErrors(t *testing.T) {
	ctx := context.Background()
	a := stack.New[uint32](stack.Shape{Z: 1, Y: 2, X: 3})
	b := stack.New[uint8](stack.Shape{Z: 1, Y: 3, X: 2})
	_, err := Measure(ctx, a, b, nil, MeasureSum)
	require.ErrorIs(t, err, ErrMeasure)
	_, err = Measure[uint8](ctx, nil, b, nil, MeasureSum)
	require.ErrorIs(t, err, ErrMeasure)
	_, err = Measure(ctx, a, stack.New[uint8](a.Shape), nil, MeasureAll<<1)
	require.ErrorIs(t, err, ErrMeasure)
	bad := &stack.Volume[uint32]{Shape: a.Shape, Data: a.Data[:2]}
	_, err = FindObjects(ctx, bad, 0)
	require.ErrorIs(t, err, ErrMeasure)
	_, err = FindObjects(ctx, a, -1)
	require.ErrorIs(t, err, ErrMeasure)
	for _, c := range []struct {
		lo, hi float64
		bins   int
	}{{0, 1, 0}, {2, 1, 3}, {math.NaN(), 1, 3}, {0, math.Inf(1), 3}} {
		_, err = HistogramLabels(ctx, a, stack.New[uint8](a.Shape), c.lo, c.hi, c.bins, nil)
		require.ErrorIs(t, err, ErrMeasure)
	}
	_, err = LabeledComprehension[uint8, int](ctx, a, stack.New[uint8](a.Shape), nil, nil, 0)
	require.ErrorIs(t, err, ErrMeasure)
	ctx2, cancel := context.WithCancel(ctx)
	cancel()
	_, err = Measure(ctx2, a, stack.New[uint8](a.Shape), []uint32{1}, MeasureSum)
	require.ErrorIs(t, err, context.Canceled)
}

func TestParseMeasureSet(t *testing.T) {
	m, err := ParseMeasureSet("sum_labels, mean,extrema")
	require.NoError(t, err)
	require.Equal(t, MeasureSum|MeasureMean|MeasureExtrema, m)
	require.Equal(t, []string{"sum", "mean", "minimum", "maximum", "minimum_position", "maximum_position"}, m.Names())
	all, err := ParseMeasureSet("all")
	require.NoError(t, err)
	require.Len(t, all.Names(), 10)
	_, err = ParseMeasureSet("mean,modus")
	require.Error(t, err)
}

func TestHistogramEdgesAsNumpy(t *testing.T) {
	// numpy.linspace(0.1, 0.7, 4) and numpy.linspace(3, 3, 3).
	e, err := HistogramEdges(0.1, 0.7, 3)
	require.NoError(t, err)
	require.Equal(t, []float64{0.1, 0.3, 0.5, 0.7}, e)
	e, err = HistogramEdges(-1e-3, 2.7, 6)
	require.NoError(t, err)
	want := []string{"-0x1.0624dd2f1a9fcp-10", "0x1.cbf258bf258bfp-02", "0x1.cc756b2dbd194p-01", "0x1.5978d4fdf3b65p+00", "0x1.ccb6f46508dffp+00", "0x1.1ffa89e60f04dp+01", "0x1.599999999999ap+01"}
	for i, w := range want {
		require.Equal(t, w, strconv.FormatFloat(e[i], 'x', -1, 64))
	}
	e, err = HistogramEdges(3, 3, 2)
	require.NoError(t, err)
	require.Equal(t, []float64{3, 3, 3}, e)
	require.Equal(t, []int64{0, 2}, histogramCounts([]float32{3, 2, 3, 4}, e))
}
