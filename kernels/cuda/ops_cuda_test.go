//go:build cuda

package cuda

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/kernels/offload"
	"github.com/segstack/segstack/stack"
)

// opsGPU opens device 0 with the kernels loaded, and a stream on it.
func opsGPU(t *testing.T) (*gpu, offload.Stream) {
	t.Helper()
	g, err := openGPU(testDriver(t), 0)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, g.Close()) })
	s, err := g.NewStream()
	require.NoError(t, err)
	return g, s
}

// upload copies the bytes of x into a new device buffer.
func upload[T any](t *testing.T, g *gpu, s offload.Stream, x []T) offload.Buffer {
	t.Helper()
	var z T
	n := len(x) * int(unsafe.Sizeof(z))
	b, err := g.Alloc(max(n, 1))
	require.NoError(t, err)
	if n == 0 {
		return b
	}
	h, err := g.AllocHost(n)
	require.NoError(t, err)
	copy(h.Bytes(), unsafe.Slice((*byte)(unsafe.Pointer(&x[0])), n))
	require.NoError(t, g.CopyToDevice(s, b, 0, h.Bytes()[:n]))
	require.NoError(t, g.Synchronize(s))
	require.NoError(t, g.FreeHost(h))
	return b
}

// download waits for s and returns the first n elements of b.
func download[T any](t *testing.T, g *gpu, s offload.Stream, b offload.Buffer, n int) []T {
	t.Helper()
	require.NoError(t, g.Synchronize(s))
	out := make([]T, n)
	if n == 0 {
		return out
	}
	var z T
	nb := n * int(unsafe.Sizeof(z))
	h, err := g.AllocHost(nb)
	require.NoError(t, err)
	require.NoError(t, g.CopyToHost(s, h.Bytes()[:nb], b, 0))
	require.NoError(t, g.Synchronize(s))
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&out[0])), nb), h.Bytes())
	require.NoError(t, g.FreeHost(h))
	return out
}

func alloc(t *testing.T, g *gpu, n int) offload.Buffer {
	t.Helper()
	b, err := g.Alloc(n)
	require.NoError(t, err)
	return b
}

// requireBits requires got and want to be the same float32s, bit for bit.
func requireBits(t *testing.T, want, got []float32, msg string) {
	t.Helper()
	require.Len(t, got, len(want), msg)
	for i := range want {
		if math.Float32bits(want[i]) != math.Float32bits(got[i]) {
			require.Failf(t, "float32 differs", "%s: element %d of %d: CPU %v (%#x), GPU %v (%#x)",
				msg, i, len(want), want[i], math.Float32bits(want[i]), got[i], math.Float32bits(got[i]))
		}
	}
}

func randVolume(r *rand.Rand, s stack.Shape) *stack.Volume[float32] {
	v := stack.New[float32](s)
	for i := range v.Data {
		v.Data[i] = r.Float32()*200 - 50
	}
	return v
}

// gaussCheck runs the GPU Gaussian (with its maximum) on v and requires
// the CPU's output and maximum, bit for bit.
func gaussCheck(t *testing.T, g *gpu, s offload.Stream, v *stack.Volume[float32], opt kernels.GaussianOptions, name string) {
	t.Helper()
	want := stack.New[float32](v.Shape)
	wantMax, err := kernels.Gaussian(context.Background(), want, v, opt)
	require.NoError(t, err, name)
	src := upload(t, g, s, v.Data)
	dst := alloc(t, g, 4*v.Shape.Len())
	m := alloc(t, g, 4)
	require.NoError(t, g.GaussianMax(s, dst, src, m, v.Shape, opt), name)
	requireBits(t, want.Data, download[float32](t, g, s, dst, v.Shape.Len()), name)
	requireBits(t, []float32{wantMax}, download[float32](t, g, s, m, 1), name+" max")
	// In place, through the offload.Device method.
	require.NoError(t, g.Gaussian(s, src, src, v.Shape, opt), name)
	requireBits(t, want.Data, download[float32](t, g, s, src, v.Shape.Len()), name+" in place")
	for _, b := range []offload.Buffer{src, dst, m} {
		require.NoError(t, g.Free(b))
	}
}

// fewBlocks makes launches use at most n blocks for the rest of the
// test, so that the kernels' grid-stride loops over X, Y, Z and count
// chunks run several rounds (and the emulator runs fewer threads).
func fewBlocks(t *testing.T, n int64) {
	old := maxBlocks
	maxBlocks = n
	t.Cleanup(func() { maxBlocks = old })
}

var allModes = []stack.Mode{stack.Reflect, stack.Nearest, stack.Mirror, stack.Constant, stack.Wrap}

// TestGaussianMatchesCPU covers every mode in 2-D and 3-D, axes skipped,
// kernels wider than the axis, and volumes of several blocks in X (over
// 256) and in Y and Z.
func TestGaussianMatchesCPU(t *testing.T) {
	g, s := opsGPU(t)
	fewBlocks(t, 2)
	r := rand.New(rand.NewPCG(1, 2))
	cases := []struct {
		shape stack.Shape
		sigma [3]float64
		trunc float64
	}{
		{stack.Shape{Z: 1, Y: 23, X: 300}, [3]float64{0, 1, 1}, 0},
		{stack.Shape{Z: 1, Y: 70, X: 130}, [3]float64{0, 1.5, 2}, 0},
		{stack.Shape{Z: 2, Y: 40, X: 70}, [3]float64{0.8, 4, 1}, 0},
		{stack.Shape{Z: 1, Y: 9, X: 17}, [3]float64{0, 2.5, 0.6}, 3},
		{stack.Shape{Z: 1, Y: 6, X: 1}, [3]float64{0, 1, 1}, 0},
		{stack.Shape{Z: 1, Y: 3, X: 2}, [3]float64{0, 3, 3}, 0},
		{stack.Shape{Z: 6, Y: 11, X: 270}, [3]float64{1, 0.7, 1.3}, 0},
		{stack.Shape{Z: 5, Y: 7, X: 9}, [3]float64{1.5, 0, 0}, 0},
		{stack.Shape{Z: 4, Y: 5, X: 6}, [3]float64{0, 0, 0}, 0},
		{stack.Shape{Z: 3, Y: 4, X: 5}, [3]float64{3, 2.5, 5}, 0},
	}
	for _, fused := range []bool{true, false} {
		fuseYX = fused // the fused Y and X step, and the separate passes
		for _, c := range cases {
			v := randVolume(r, c.shape)
			for _, mode := range allModes {
				opt := kernels.GaussianOptions{Sigma: c.sigma, Truncate: c.trunc, Mode: mode, Cval: 3.25}
				gaussCheck(t, g, s, v, opt, fmt.Sprintf("%v %v fused=%v", c.shape, mode, fused))
			}
		}
	}
	fuseYX = true
}

// TestGaussianOfConverts checks the conversion fused into the first pass
// against kernels.GaussianOf for 8- and 16-bit data.
// TestFullGrids runs a Gaussian and a labelling with the grids a GPU gets
// (a block per row and plane), where the other tests use few blocks.
func TestFullGrids(t *testing.T) {
	g, s := opsGPU(t)
	r := rand.New(rand.NewPCG(11, 12))
	v := randVolume(r, stack.Shape{Z: 5, Y: 7, X: 260})
	gaussCheck(t, g, s, v, kernels.GaussianOptions{Sigma: [3]float64{1, 1, 1}}, "full grid")
	labelCheck(t, g, s, blobs(r, stack.Shape{Z: 5, Y: 7, X: 260}, 0.6), 0.5, 26, "full grid")
}

func TestGaussianOfConverts(t *testing.T) {
	g, s := opsGPU(t)
	r := rand.New(rand.NewPCG(3, 4))
	shape := stack.Shape{Z: 3, Y: 9, X: 40}
	u8 := stack.New[uint8](shape)
	u16 := stack.New[uint16](shape)
	for i := range u8.Data {
		u8.Data[i] = uint8(r.IntN(256))
		u16.Data[i] = uint16(r.IntN(65536))
	}
	for _, sigma := range [][3]float64{{1, 1, 1}, {0, 1.5, 0}, {0, 0, 0}} {
		opt := kernels.GaussianOptions{Sigma: sigma, Mode: stack.Mirror}
		for _, c := range []struct {
			size int
			data []byte
			cpu  func(dst *stack.Volume[float32]) (float32, error)
		}{
			{1, u8.Data, func(d *stack.Volume[float32]) (float32, error) {
				return kernels.GaussianOf(context.Background(), d, u8, opt)
			}},
			{2, unsafe.Slice((*byte)(unsafe.Pointer(&u16.Data[0])), 2*len(u16.Data)), func(d *stack.Volume[float32]) (float32, error) {
				return kernels.GaussianOf(context.Background(), d, u16, opt)
			}},
		} {
			want := stack.New[float32](shape)
			wantMax, err := c.cpu(want)
			require.NoError(t, err)
			src := upload(t, g, s, c.data)
			dst := alloc(t, g, 4*shape.Len())
			m := alloc(t, g, 4)
			require.NoError(t, g.GaussianOf(s, dst, src, m, c.size, shape, opt))
			requireBits(t, want.Data, download[float32](t, g, s, dst, shape.Len()), "converted")
			requireBits(t, []float32{wantMax}, download[float32](t, g, s, m, 1), "converted max")
		}
	}
}

func TestGaussianRefusesBadOptions(t *testing.T) {
	g, s := opsGPU(t)
	shape := stack.Shape{Z: 1, Y: 4, X: 4}
	b := alloc(t, g, 4*shape.Len())
	for _, opt := range []kernels.GaussianOptions{
		{Sigma: [3]float64{0, -1, 1}},
		{Sigma: [3]float64{0, math.NaN(), 1}},
		{Sigma: [3]float64{0, 1, 1}, Mode: stack.Mode(9)},
		{Sigma: [3]float64{0, 1, 1}, Truncate: -1},
	} {
		require.ErrorIs(t, g.Gaussian(s, b, b, shape, opt), kernels.ErrInvalid)
	}
	require.ErrorIs(t, g.Gaussian(s, b, b, stack.Shape{Z: 1, Y: 8, X: 8}, kernels.GaussianOptions{}), kernels.ErrInvalid)
	require.ErrorIs(t, g.GaussianOf(s, b, b, nil, 3, shape, kernels.GaussianOptions{}), kernels.ErrInvalid)
}

func TestMaxAndThreshold(t *testing.T) {
	g, s := opsGPU(t)
	r := rand.New(rand.NewPCG(5, 6))
	shape := stack.Shape{Z: 4, Y: 9, X: 300}
	v := randVolume(r, shape)
	v.Data[len(v.Data)-1] = 1000 // outside the box below: must not count
	src := upload(t, g, s, v.Data)
	m := alloc(t, g, 4)
	box := stack.Box{Lo: [3]int{1, 2, 3}, Hi: [3]int{4, 8, 290}}
	want := float32(math.Inf(-1))
	for z := box.Lo[0]; z < box.Hi[0]; z++ {
		for y := box.Lo[1]; y < box.Hi[1]; y++ {
			for x := box.Lo[2]; x < box.Hi[2]; x++ {
				want = max(want, v.At(z, y, x))
			}
		}
	}
	require.NoError(t, g.Max(s, m, src, shape, box))
	requireBits(t, []float32{want}, download[float32](t, g, s, m, 1), "max")
	// All negative: the sign handling of the atomic maximum.
	neg := stack.New[float32](stack.Shape{Z: 1, Y: 3, X: 5})
	for i := range neg.Data {
		neg.Data[i] = -float32(i) - 0.5
	}
	nb := upload(t, g, s, neg.Data)
	require.NoError(t, g.Max(s, m, nb, neg.Shape, stack.Box{Hi: [3]int{1, 3, 5}}))
	requireBits(t, []float32{-0.5}, download[float32](t, g, s, m, 1), "negative max")
	require.ErrorIs(t, g.Max(s, m, src, shape, stack.Box{Hi: [3]int{5, 9, 300}}), kernels.ErrInvalid)

	mask := alloc(t, g, shape.Len())
	require.NoError(t, g.Threshold(s, mask, src, shape.Len(), 20))
	wantMask := stack.New[uint8](shape)
	require.NoError(t, kernels.Threshold(context.Background(), wantMask, v, 20))
	require.Equal(t, wantMask.Data, download[uint8](t, g, s, mask, shape.Len()))
}

// gpuLabel labels src > t on the device with elemSize-byte labels and
// returns them (as uint32) and the count.
func gpuLabel(t *testing.T, g *gpu, s offload.Stream, src *stack.Volume[float32], th float32, conn kernels.Connectivity, elemSize int) ([]uint32, int) {
	t.Helper()
	n := src.Shape.Len()
	sb := upload(t, g, s, src.Data)
	dst := alloc(t, g, elemSize*n)
	cnt := alloc(t, g, 4)
	scratch := alloc(t, g, g.LabelScratch(src.Shape))
	require.NoError(t, g.LabelAbove(s, dst, cnt, scratch, sb, src.Shape, th, conn, elemSize))
	var labels []uint32
	if elemSize == 4 {
		labels = download[uint32](t, g, s, dst, n)
	} else {
		for _, l := range download[uint16](t, g, s, dst, n) {
			labels = append(labels, uint32(l))
		}
	}
	count := download[uint32](t, g, s, cnt, 1)[0]
	for _, b := range []offload.Buffer{sb, dst, cnt, scratch} {
		require.NoError(t, g.Free(b))
	}
	return labels, int(count)
}

func labelCheck(t *testing.T, g *gpu, s offload.Stream, v *stack.Volume[float32], th float32, conn kernels.Connectivity, name string) {
	t.Helper()
	want := stack.New[uint32](v.Shape)
	wn, err := kernels.LabelAbove(context.Background(), want, v, th, conn)
	require.NoError(t, err, name)
	for _, es := range []int{4, 2} {
		got, n := gpuLabel(t, g, s, v, th, conn, es)
		require.Equal(t, wn, n, "%s: count, %d-byte labels", name, es)
		require.Equal(t, want.Data, got, "%s: %d-byte labels", name, es)
	}
}

// blobs is a random volume whose voxels above 0 form objects of many
// shapes: noise at the given density of foreground.
func blobs(r *rand.Rand, s stack.Shape, density float64) *stack.Volume[float32] {
	v := stack.New[float32](s)
	for i := range v.Data {
		if r.Float64() < density {
			v.Data[i] = 1 + r.Float32()
		} else {
			v.Data[i] = -r.Float32()
		}
	}
	return v
}

// TestLabelMatchesCPU holds the device labelling, numbering and count to
// the CPU's on random volumes, every connectivity, both label widths, both
// parent widths, with rows of several blocks and several count chunks.
func TestLabelMatchesCPU(t *testing.T) {
	g, s := opsGPU(t)
	fewBlocks(t, 2)
	r := rand.New(rand.NewPCG(7, 8))
	for _, wide := range []bool{false, true} {
		if wide {
			old := index32Limit
			index32Limit = 0 // 64-bit parents for every volume
			t.Cleanup(func() { index32Limit = old })
		}
		for _, c := range []struct {
			shape stack.Shape
			conns []kernels.Connectivity
		}{
			{stack.Shape{Z: 1, Y: 37, X: 300}, []kernels.Connectivity{4, 8}},
			{stack.Shape{Z: 1, Y: 1, X: 50}, []kernels.Connectivity{4, 8}},
			{stack.Shape{Z: 1, Y: 40, X: 1}, []kernels.Connectivity{4, 8}},
			{stack.Shape{Z: 5, Y: 13, X: 270}, []kernels.Connectivity{6, 18, 26}},
			{stack.Shape{Z: 9, Y: 6, X: 7}, []kernels.Connectivity{6, 18, 26, 0}},
		} {
			for _, d := range []float64{0.3, 0.55, 0.9} {
				v := blobs(r, c.shape, d)
				for _, conn := range c.conns {
					labelCheck(t, g, s, v, 0.5, conn, c.shape.String())
				}
			}
		}
	}
	// Nothing above the threshold, and everything.
	v := blobs(r, stack.Shape{Z: 2, Y: 5, X: 7}, 0.5)
	labelCheck(t, g, s, v, 10, 26, "empty")
	labelCheck(t, g, s, v, -10, 6, "full")
}

func TestLabelRefusesBadArguments(t *testing.T) {
	g, s := opsGPU(t)
	shape := stack.Shape{Z: 2, Y: 4, X: 4}
	b := alloc(t, g, 4*shape.Len())
	sc := alloc(t, g, g.LabelScratch(shape))
	require.ErrorIs(t, g.LabelAbove(s, b, b, sc, b, shape, 0, 8, 4), kernels.ErrConnectivity)
	require.ErrorIs(t, g.LabelAbove(s, b, b, sc, b, shape, 0, 7, 4), kernels.ErrConnectivity)
	require.ErrorIs(t, g.LabelAbove(s, b, b, sc, b, shape, 0, 6, 3), kernels.ErrInvalid)
	small := alloc(t, g, 8)
	require.ErrorIs(t, g.LabelAbove(s, b, b, small, b, shape, 0, 6, 4), kernels.ErrInvalid)
}

// TestRegionStatsMatchCPU compares the device's per-label statistics with
// kernels.LabelAboveWithStats. The intensities are integers (raw 8- or
// 16-bit data), whose float64 sums are exact in any order, so every field
// must be equal.
func TestRegionStatsMatchCPU(t *testing.T) {
	g, s := opsGPU(t)
	r := rand.New(rand.NewPCG(9, 10))
	for _, c := range []struct {
		shape stack.Shape
		conn  kernels.Connectivity
	}{
		{stack.Shape{Z: 1, Y: 30, X: 290}, 8},
		{stack.Shape{Z: 4, Y: 11, X: 70}, 26},
	} {
		v := blobs(r, c.shape, 0.6)
		in := stack.New[float32](c.shape)
		for i := range in.Data {
			in.Data[i] = float32(r.IntN(65536))
		}
		want := stack.New[uint32](c.shape)
		n, regs, err := kernels.LabelAboveWithStats(context.Background(), want, v, 0.5, c.conn, in)
		require.NoError(t, err)
		_, regsNoI, err := kernels.LabelAboveWithStats(context.Background(), want, v, 0.5, c.conn, nil)
		require.NoError(t, err)

		lb := upload(t, g, s, want.Data)
		ib := upload(t, g, s, in.Data)
		out := alloc(t, g, max(g.RegionStatsBytes(n), 1))
		require.NoError(t, g.RegionStats(s, out, lb, ib, c.shape, n))
		got := g.DecodeRegions(download[byte](t, g, s, out, g.RegionStatsBytes(n)), n, true)
		require.Equal(t, regs, got, c.shape.String())
		require.NoError(t, g.RegionStats(s, out, lb, nil, c.shape, n))
		got = g.DecodeRegions(download[byte](t, g, s, out, g.RegionStatsBytes(n)), n, false)
		require.Equal(t, regsNoI, got, c.shape.String()+" without intensity")
	}
}
