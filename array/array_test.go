package array

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/delayed"
	"github.com/segstack/segstack/sched"
	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/tiff"
)

func compute(t *testing.T, a *Array) *Result {
	t.Helper()
	r, err := a.Compute(context.Background(), delayed.Serial())
	require.NoError(t, err)
	return r
}

// naive is a dense reference array in row-major order, known by its shape.
type naive struct {
	shape []int
}

func (n naive) strides() []int {
	s := make([]int, len(n.shape))
	acc := 1
	for i := len(n.shape) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= n.shape[i]
	}
	return s
}

func randomShape(r *rand.Rand) (shape, chunk []int) {
	rank := 1 + r.IntN(3)
	for range rank {
		n := 1 + r.IntN(9)
		shape = append(shape, n)
		chunk = append(chunk, 1+r.IntN(n))
	}
	return shape, chunk
}

func randomSpec(r *rand.Rand, n int) Spec {
	opt := func() any {
		if r.IntN(3) == 0 {
			return nil
		}
		return r.IntN(2*n+3) - n - 1
	}
	switch r.IntN(6) {
	case 0:
		return At(r.IntN(2*n) - n)
	case 1:
		return All()
	}
	step := 1 + r.IntN(3)
	if r.IntN(2) == 0 {
		step = -step
	}
	return S(opt(), opt(), step)
}

// pySlice lists the indices numpy's slice start:stop:step selects from n.
func pySlice(s Spec, n int) (idx []int, drop bool) {
	if s.index {
		i := s.start
		if i < 0 {
			i += n
		}
		return []int{i}, true
	}
	step := s.step
	clamp := func(v, lo, hi int) int { return min(max(v, lo), hi) }
	var start, stop int
	if step > 0 {
		start, stop = 0, n
		if s.hasStart {
			start = s.start
			if start < 0 {
				start += n
			}
			start = clamp(start, 0, n)
		}
		if s.hasStop {
			stop = s.stop
			if stop < 0 {
				stop += n
			}
			stop = clamp(stop, 0, n)
		}
		for i := start; i < stop; i += step {
			idx = append(idx, i)
		}
	} else {
		start, stop = n-1, -1
		if s.hasStart {
			start = s.start
			if start < 0 {
				start += n
			}
			start = clamp(start, -1, n-1)
		}
		if s.hasStop {
			stop = s.stop
			if stop < 0 {
				stop += n
			}
			stop = clamp(stop, -1, n-1)
		}
		for i := start; i > stop; i += step {
			idx = append(idx, i)
		}
	}
	return idx, false
}

// TestSliceMatchesBruteForce compares random slices of random arrays with
// the element-by-element definition of numpy's basic indexing.
func TestSliceMatchesBruteForce(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	tried := 0
	for iter := 0; tried < 400; iter++ {
		shape, chunk := randomShape(r)
		specs := make([]Spec, r.IntN(len(shape)+1))
		sel := make([][]int, len(shape))
		var keep []int
		empty := false
		for i := range shape {
			s := All()
			if i < len(specs) {
				specs[i] = randomSpec(r, shape[i])
				s = specs[i]
			}
			if s.index && (s.start < -shape[i] || s.start >= shape[i]) {
				empty = true // out of range: checked below
			}
			idx, drop := pySlice(s, shape[i])
			sel[i] = idx
			if len(idx) == 0 {
				empty = true
			}
			if !drop {
				keep = append(keep, i)
			}
		}
		a := Random(shape, chunk, uint64(iter))
		b := a.Slice(specs...)
		if empty {
			require.Error(t, b.Err(), "shape %v specs %v", shape, specs)
			require.ErrorIs(t, b.Err(), ErrShape)
			continue
		}
		tried++
		require.NoError(t, b.Err(), "shape %v specs %v", shape, specs)
		full := compute(t, a).Float64s()
		got := compute(t, b)
		var wantShape []int
		for _, i := range keep {
			wantShape = append(wantShape, len(sel[i]))
		}
		if wantShape == nil {
			wantShape = []int{}
		}
		require.Equal(t, wantShape, got.Shape())
		require.Equal(t, wantShape, b.Shape())
		// Walk the selection in row-major order.
		st := naive{shape: shape}.strides()
		var want []float64
		var walk func(ax, off int)
		walk = func(ax, off int) {
			if ax == len(shape) {
				want = append(want, full[off])
				return
			}
			for _, i := range sel[ax] {
				walk(ax+1, off+i*st[ax])
			}
		}
		walk(0, 0)
		require.Equal(t, want, got.Float64s(), "shape %v chunks %v specs %v", shape, chunk, specs)
		// Chunks tile the result.
		for i, c := range b.Chunks() {
			total := 0
			for _, n := range c {
				require.Positive(t, n)
				total += n
			}
			require.Equal(t, wantShape[i], total)
		}
	}
}

// TestTransposeRechunkBruteForce checks transposes, axis swaps and
// rechunking on random arrays against index arithmetic.
func TestTransposeRechunkBruteForce(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(5, 6))
	for iter := range 200 {
		shape, chunk := randomShape(r)
		a := Random(shape, chunk, uint64(iter))
		full := compute(t, a).Float64s()
		perm := r.Perm(len(shape))
		tr := a.Transpose(perm...)
		require.NoError(t, tr.Err())
		got := compute(t, tr).Float64s()
		st := naive{shape: shape}.strides()
		outShape := make([]int, len(shape))
		for i, p := range perm {
			outShape[i] = shape[p]
			require.Equal(t, a.Chunks()[p], tr.Chunks()[i])
		}
		require.Equal(t, outShape, tr.Shape())
		ost := naive{shape: outShape}.strides()
		for o := range got {
			in := 0
			for i := range outShape {
				in += (o / ost[i] % outShape[i]) * st[perm[i]]
			}
			require.Equal(t, full[in], got[o], "iter %d perm %v", iter, perm)
		}
		// Rechunking keeps every element where it was.
		nc := make([]int, len(shape))
		for i, n := range shape {
			nc[i] = 1 + r.IntN(n)
		}
		rc := a.Rechunk(nc)
		require.NoError(t, rc.Err())
		require.Equal(t, full, compute(t, rc).Float64s())
		for i, c := range rc.Chunks() {
			require.Equal(t, min(nc[i], shape[i]), c[0])
		}
		// Element-wise operations align different chunkings.
		sum := a.Add(rc)
		for i, c := range sum.Chunks() {
			require.Equal(t, refine(a.Chunks()[i], rc.Chunks()[i]), c, "aligned to the common refinement")
		}
		for i, v := range compute(t, sum).Float64s() {
			require.Equal(t, 2*full[i], v)
		}
	}
}

func TestSummaryLikeDask(t *testing.T) {
	t.Parallel()
	x := Random([]int{100, 100}, []int{10, 10}, 0)
	require.Equal(t, `       Array       Chunk
Bytes  78.12 kiB   800 B
Shape  (100, 100)  (10, 10)
Count  100 chunks  1 graph layer, 100 tasks
Type   float64
`, x.Summary())
	require.Equal(t, "array<random, shape=(100, 100), dtype=float64, chunksize=(10, 10)>", x.String())
	y := x.Add(x.T())
	require.Equal(t, 300, y.NumTasks())
	require.Equal(t, 3, y.NumLayers())
	require.Equal(t, "1 B", FormatBytes(1))
	require.Equal(t, "1.21 kiB", FormatBytes(1234))
	require.Equal(t, "11.77 MiB", FormatBytes(12345678))
	require.Equal(t, "1.15 GiB", FormatBytes(1234567890))
}

func TestErrorsAreCarried(t *testing.T) {
	t.Parallel()
	a := Zeros([]int{4, 5}, []int{2, 2}, stack.Float32)
	b := Ones([]int{5, 4}, nil, stack.Float32)
	for name, bad := range map[string]*Array{
		"shapes":      a.Add(b),
		"axis":        a.Sum(2),
		"repeated":    a.Mean(0, -2),
		"transpose":   a.Transpose(0, 0),
		"swap":        a.SwapAxes(0, 3),
		"too many":    a.Slice(All(), All(), All()),
		"index":       a.Slice(At(4)),
		"empty":       a.Slice(Range(3, 1)),
		"rechunk":     a.Rechunk([]int{1}),
		"bad chunk":   a.Rechunk([]int{0, 1}),
		"overlap":     MapOverlap(a, OverlapOptions{Depth: []int{1}}, identity[float32]),
		"rank 4":      Zeros([]int{1, 2, 3, 4}, nil, stack.Uint8),
		"zero extent": Zeros([]int{0, 2}, nil, stack.Uint8),
		"many chunks": Zeros([]int{1 << 20, 1 << 20}, []int{1, 1}, stack.Uint8),
	} {
		require.ErrorIs(t, bad.Err(), ErrShape, name)
		// Later operations keep the first error, and Compute reports it.
		chained := bad.Add(1).Astype(stack.Uint8).Max()
		require.Equal(t, bad.Err(), chained.Err(), name)
		_, err := chained.Compute(context.Background(), delayed.Serial())
		require.ErrorIs(t, err, ErrShape, name)
	}
	require.Error(t, a.Mul("two").Err(), "operand")
	require.Error(t, a.Slice(S(0, 3, 0)).Err(), "zero step")
	require.Error(t, a.Slice(S("x", nil, 1)).Err(), "non-int bound")
	require.Contains(t, a.Add(b).Summary(), "error")
}

func identity[T stack.Elem](_ context.Context, v *stack.Volume[T]) (*stack.Volume[T], error) {
	return v, nil
}

func TestPersistAndCluster(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, err := sched.NewLocalCluster(sched.Options{Workers: 2})
	require.NoError(t, err)
	defer c.Close()
	x := Random([]int{30, 20}, []int{7, 6}, 5)
	y := x.Add(x.T().Slice(To(20), To(30)).T())
	want := compute(t, y).Float64s()
	p, err := y.Persist(ctx, c)
	require.NoError(t, err)
	require.Equal(t, p.NumChunks(), p.NumTasks(), "a persisted array is one task per chunk")
	for range 2 {
		r, err := p.Compute(ctx, c)
		require.NoError(t, err)
		require.Equal(t, want, r.Float64s())
	}
	s, err := p.Sum().Compute(ctx, nil)
	require.NoError(t, err)
	v, err := s.Scalar()
	require.NoError(t, err)
	total := 0.0
	for _, w := range want {
		total += w
	}
	require.InDelta(t, total, v, 1e-9)
	// Mutating a result does not reach the persisted chunks.
	r, err := p.Slice(To(7), To(6)).Compute(ctx, c)
	require.NoError(t, err)
	d, err := Data[float64](r)
	require.NoError(t, err)
	d[0] = -1
	r2, err := p.Compute(ctx, c)
	require.NoError(t, err)
	require.Equal(t, want, r2.Float64s())
}

func TestBlockErrorsAndCancel(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	a := Ones([]int{8, 8}, []int{4, 4}, stack.Uint16)
	bad := MapBlocks(a, func(_ context.Context, v *stack.Volume[uint16]) (*stack.Volume[uint16], error) {
		if v.Data[0] == 1 {
			return nil, boom
		}
		return v, nil
	})
	_, err := bad.Compute(context.Background(), delayed.Serial())
	require.ErrorIs(t, err, boom)
	wrong := MapBlocks(a, func(_ context.Context, v *stack.Volume[uint16]) (*stack.Volume[uint16], error) {
		return stack.New[uint16](stack.Shape{Z: 1, Y: 1, X: 1}), nil
	})
	_, err = wrong.Compute(context.Background(), delayed.Serial())
	require.ErrorIs(t, err, ErrShape)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = a.Compute(ctx, delayed.Serial())
	require.ErrorIs(t, err, context.Canceled)
}

func TestMapBlocksConverts(t *testing.T) {
	t.Parallel()
	a := Random([]int{5, 6, 7}, []int{2, 3, 4}, 1)
	double := MapBlocks(a, func(_ context.Context, v *stack.Volume[float32]) (*stack.Volume[float32], error) {
		out := stack.New[float32](v.Shape)
		for i, x := range v.Data {
			out.Data[i] = 2 * x
		}
		return out, nil
	})
	require.Equal(t, stack.Float32, double.DType())
	want := compute(t, a.Astype(stack.Float32).Mul(2)).Float64s()
	require.Equal(t, want, compute(t, double).Float64s())
	vol, err := ToVolume[float32](compute(t, double))
	require.NoError(t, err)
	require.Equal(t, stack.Shape{Z: 5, Y: 6, X: 7}, vol.Shape)
}

func TestResultTypeTable(t *testing.T) {
	t.Parallel()
	// numpy.result_type for every pair of our types, written out from numpy.
	require.Equal(t, stack.Int16, ResultType(stack.Uint8, stack.Int16))
	require.Equal(t, stack.Int32, ResultType(stack.Uint16, stack.Int16))
	require.Equal(t, stack.Int64, ResultType(stack.Uint32, stack.Int32))
	require.Equal(t, stack.Float64, ResultType(stack.Uint64, stack.Int16))
	require.Equal(t, stack.Uint16, ResultType(stack.Uint8, stack.Uint16))
	require.Equal(t, stack.Float32, ResultType(stack.Int16, stack.Float32))
	require.Equal(t, stack.Float64, ResultType(stack.Int32, stack.Float32))
	require.Equal(t, stack.Float64, ResultType(stack.Float32, stack.Float64))
	require.Equal(t, stack.Int32, ResultType(stack.Int32, stack.Uint16))
	for d := stack.Uint8; d <= stack.Float64; d++ {
		p, err := stack.ParseDType(d.String())
		require.NoError(t, err)
		require.Equal(t, d, p)
		require.Equal(t, d, ResultType(d, d))
	}
}

func TestFromVolumeAndFill(t *testing.T) {
	t.Parallel()
	v := stack.New[int16](stack.Shape{Z: 3, Y: 4, X: 5})
	for i := range v.Data {
		v.Data[i] = int16(i*37%200 - 100)
	}
	a := FromVolume(v, []int{2, 3, 2})
	require.Equal(t, stack.Int16, a.DType())
	require.Equal(t, [][]int{{2, 1}, {3, 1}, {2, 2, 1}}, a.Chunks())
	got, err := ToVolume[int16](compute(t, a))
	require.NoError(t, err)
	require.Equal(t, v, got)
	// Sum of int16 is int64, as numpy's.
	s := compute(t, a.Sum())
	require.Equal(t, stack.Int64, s.DType())
	want := 0
	for _, x := range v.Data {
		want += int(x)
	}
	sv, err := s.Scalar()
	require.NoError(t, err)
	require.Equal(t, float64(want), sv)
	// Zeros, Ones and Full.
	for _, tc := range []struct {
		a    *Array
		want float64
	}{{Zeros([]int{5}, []int{2}, stack.Uint8), 0}, {Ones([]int{2, 3}, nil, stack.Float64), 1}, {Full([]int{2, 2, 2}, []int{1, 1, 1}, stack.Int32, -7), -7}} {
		for _, x := range compute(t, tc.a).Float64s() {
			require.Equal(t, tc.want, x)
		}
	}
	// Std with ddof 1 against the two-pass definition.
	r := Random([]int{37}, []int{5}, 2)
	xs := compute(t, r).Float64s()
	mean := 0.0
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	ss := 0.0
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	sd, err := compute(t, r.Reduce(ReduceStd, ReduceOptions{Ddof: 1, SplitEvery: 2})).Scalar()
	require.NoError(t, err)
	require.InDelta(t, math.Sqrt(ss/36), sd, 1e-12)
	// An element of a result by index.
	res := compute(t, a)
	e, err := res.At(2, 3, 4)
	require.NoError(t, err)
	require.Equal(t, float64(v.At(2, 3, 4)), e)
	_, err = res.At(3, 0, 0)
	require.Error(t, err)
	_, err = Data[float32](res)
	require.Error(t, err)
}

// TestNoGoroutineLeak checks that computing with a nil executor (which
// starts and stops a cluster) leaves no goroutines behind. Not parallel, so
// that other tests' goroutines do not blur the count.
func TestNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	for range 3 {
		_, err := Random([]int{20, 20}, []int{5, 5}, 1).Sum(0).Compute(context.Background(), nil)
		require.NoError(t, err)
	}
	bad := MapBlocks(Ones([]int{4, 4}, []int{2, 2}, stack.Float32), func(context.Context, *stack.Volume[float32]) (*stack.Volume[float32], error) {
		return nil, errors.New("fails")
	})
	_, err := bad.Compute(context.Background(), nil)
	require.Error(t, err)
	// A write that fails part way stops its producer too.
	path := filepath.Join(t.TempDir(), "x.tif")
	require.Error(t, bad.ToTIFF(context.Background(), nil, path, tiff.WriterOptions{}))
	require.NoError(t, Ones([]int{6, 4, 4}, []int{1, 2, 2}, stack.Uint8).ToTIFF(context.Background(), nil, path, tiff.WriterOptions{}))
	// Polled here rather than with require.Eventually, whose own goroutine
	// would be counted.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	require.LessOrEqual(t, runtime.NumGoroutine(), before, "goroutines left behind")
}

func TestGraphAndToDelayed(t *testing.T) {
	t.Parallel()
	x := Random([]int{6, 6}, []int{3, 3}, 1)
	z := x.Add(x.T()).Max(0)
	g, err := z.Graph()
	require.NoError(t, err)
	// Each chunk's add fuses with its reduction summary: 4 fewer tasks.
	require.Equal(t, z.NumTasks()-4, g.Len())
	require.Contains(t, g.Dot(), "max-partial")
	d, err := z.ToDelayed()
	require.NoError(t, err)
	r, err := delayed.Compute1(context.Background(), delayed.Serial(), d)
	require.NoError(t, err)
	require.Equal(t, compute(t, z).Float64s(), r.Float64s())
	_, err = x.Add(z).ToDelayed()
	require.ErrorIs(t, err, ErrShape)
}
