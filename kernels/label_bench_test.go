package kernels

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/stack"
)

// Benchmark input: uniform noise from a fixed seed, box-blurred twice along
// every axis of the shape that is longer than one, thresholded at 0.5. That
// gives blobs of about half the voxels, the kind of mask the pipeline makes
// from a smoothed micrograph. bench/anchors/label_anchor.py reads the very
// same masks (see TestWriteBenchMask).

const benchBlurRadius = 3

var benchShapes = map[string]stack.Shape{
	"2048x2048":  {Z: 1, Y: 2048, X: 2048},
	"64x512x512": {Z: 64, Y: 512, X: 512},
	"256x256":    {Z: 1, Y: 256, X: 256},
}

var (
	benchMu     sync.Mutex
	benchInputs = map[stack.Shape]*stack.Volume[float32]{}
)

// blobField returns the blurred noise for s (cached).
func blobField(s stack.Shape) *stack.Volume[float32] {
	benchMu.Lock()
	defer benchMu.Unlock()
	if v, ok := benchInputs[s]; ok {
		return v
	}
	v := blurredNoise(s, 2024, 2, benchBlurRadius)
	benchInputs[s] = v
	return v
}

// blurredNoise is uniform noise in [0, 1) (PCG seeded with seed and the
// volume's size) smoothed by passes of a running mean of radius r along
// each axis in turn.
func blurredNoise(s stack.Shape, seed uint64, passes, r int) *stack.Volume[float32] {
	rng := rand.New(rand.NewPCG(seed, uint64(s.Len())))
	v := stack.New[float32](s)
	for i := range v.Data {
		v.Data[i] = rng.Float32()
	}
	tmp := make([]float32, max(s.X, s.Y, s.Z))
	out := make([]float32, len(tmp))
	strides := []int{s.Y * s.X, s.X, 1}
	for range passes {
		for axis, n := range s.Dims() {
			if n == 1 {
				continue
			}
			stride := strides[axis]
			for i := range v.Data {
				if (i/stride)%n != 0 {
					continue // not the start of a line along axis
				}
				for j := range n {
					tmp[j] = v.Data[i+j*stride]
				}
				boxLine(out[:n], tmp[:n], r)
				for j := range n {
					v.Data[i+j*stride] = out[j]
				}
			}
		}
	}
	return v
}

// boxLine is a running-mean of radius r with edge samples repeated.
func boxLine(dst, src []float32, r int) {
	n := len(src)
	at := func(i int) float32 { return src[min(max(i, 0), n-1)] }
	var sum float32
	for i := -r; i <= r; i++ {
		sum += at(i)
	}
	w := float32(2*r + 1)
	for i := range n {
		dst[i] = sum / w
		sum += at(i+r+1) - at(i-r)
	}
}

// blobMask thresholds blobField(s) at 0.5.
func blobMask(s stack.Shape) *stack.Volume[uint8] {
	f := blobField(s)
	m := stack.New[uint8](s)
	for i, v := range f.Data {
		if v > 0.5 {
			m.Data[i] = 1
		}
	}
	return m
}

// TestWriteBenchMask writes the benchmark masks as raw bytes (0 or 1, ZYX
// order) into $SEGSTACK_LABEL_MASK_DIR, for the Python anchor to read.
func TestWriteBenchMask(t *testing.T) {
	dir := os.Getenv("SEGSTACK_LABEL_MASK_DIR")
	if dir == "" {
		t.Skip("SEGSTACK_LABEL_MASK_DIR not set")
	}
	for _, name := range []string{"2048x2048", "64x512x512"} {
		m := blobMask(benchShapes[name])
		require.NoError(t, os.WriteFile(filepath.Join(dir, "labelmask_"+name+".u8"), m.Data, 0o644))
	}
}

func TestBlobMaskDensity(t *testing.T) {
	t.Parallel()
	m := blobMask(benchShapes["256x256"])
	on := 0
	for _, v := range m.Data {
		on += int(v)
	}
	d := float64(on) / float64(len(m.Data))
	require.InDelta(t, 0.5, d, 0.05)
}

func benchLabel(b *testing.B, conn Connectivity, name string) {
	s := benchShapes[name]
	m := blobMask(s)
	dst := stack.New[uint32](s)
	ctx := context.Background()
	b.SetBytes(int64(len(m.Data)))
	b.ResetTimer()
	cpu0 := processCPU()
	for b.Loop() {
		if _, err := Label(ctx, dst, m, conn); err != nil {
			b.Fatal(err)
		}
	}
	reportLabelRate(b, s, cpu0)
}

// reportLabelRate reports Mpix/s of wall time and, since the benchmark
// machines are shared, the CPU milliseconds per operation (all threads).
func reportLabelRate(b *testing.B, s stack.Shape, cpu0 float64) {
	b.ReportMetric(float64(s.Len())*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mpix/s")
	if cpu := processCPU() - cpu0; cpu > 0 {
		b.ReportMetric(cpu*1e3/float64(b.N), "cpu-ms/op")
	}
}

func BenchmarkLabel2D(b *testing.B) {
	for _, conn := range []Connectivity{Conn8, Conn4} {
		for _, name := range []string{"2048x2048"} {
			b.Run(fmt.Sprintf("conn=%d/%s", conn, name), func(b *testing.B) { benchLabel(b, conn, name) })
		}
	}
}

func BenchmarkLabel3D(b *testing.B) {
	for _, conn := range []Connectivity{Conn26, Conn6, Conn18} {
		for _, name := range []string{"64x512x512"} {
			b.Run(fmt.Sprintf("conn=%d/%s", conn, name), func(b *testing.B) { benchLabel(b, conn, name) })
		}
	}
}

func BenchmarkLabelAbove2D(b *testing.B) {
	s := benchShapes["2048x2048"]
	src := blobField(s)
	dst := stack.New[uint32](s)
	ctx := context.Background()
	cpu0 := processCPU()
	for b.Loop() {
		if _, err := LabelAbove(ctx, dst, src, 0.5, Conn8); err != nil {
			b.Fatal(err)
		}
	}
	reportLabelRate(b, s, cpu0)
}

func BenchmarkLabelWithStats2D(b *testing.B) {
	s := benchShapes["2048x2048"]
	src := blobField(s)
	m := blobMask(s)
	dst := stack.New[uint32](s)
	ctx := context.Background()
	cpu0 := processCPU()
	for b.Loop() {
		if _, _, err := LabelWithStats(ctx, dst, m, src, Conn8); err != nil {
			b.Fatal(err)
		}
	}
	reportLabelRate(b, s, cpu0)
}

func BenchmarkLabelChunked3D(b *testing.B) {
	s := benchShapes["64x512x512"]
	m := blobMask(s)
	dst := stack.New[uint32](s)
	ctx := context.Background()
	for _, cs := range []stack.Shape{{Z: 16, Y: 512, X: 512}, {Z: 32, Y: 128, X: 128}} {
		b.Run(fmt.Sprintf("conn=26/64x512x512/chunk=%v", cs), func(b *testing.B) {
			cpu0 := processCPU()
			for b.Loop() {
				if _, err := LabelChunked(ctx, dst, m, cs, Conn26); err != nil {
					b.Fatal(err)
				}
			}
			reportLabelRate(b, s, cpu0)
		})
	}
}
