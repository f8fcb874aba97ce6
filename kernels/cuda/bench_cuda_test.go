//go:build cuda

package cuda

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/kernels/cuda/emutest"
	"github.com/segstack/segstack/kernels/offload"
	"github.com/segstack/segstack/stack"
)

// h100Bandwidth is the H100 SXM's memory bandwidth in bytes/s, the limit
// the Gaussian benchmark reports its fraction of.
const h100Bandwidth = 3.35e12

func deviceOnly(b *testing.B) {
	b.Helper()
	if emutest.Emulated() {
		b.Skip("the emulated driver runs a thread per CUDA thread: device benchmarks need a GPU (SEGSTACK_CUDA_TEST_DRIVER=real)")
	}
}

func benchGPU(b *testing.B) (*gpu, offload.Stream) {
	b.Helper()
	g, err := openGPU(mustDriver(b), 0)
	require.NoError(b, err)
	b.Cleanup(func() { require.NoError(b, g.Close()) })
	s, err := g.NewStream()
	require.NoError(b, err)
	return g, s
}

func mustDriver(b *testing.B) *driver {
	b.Helper()
	d, err := loadDriver()
	require.NoError(b, err)
	return d
}

// uploadB copies x to a new device buffer through pinned memory.
func uploadB(b *testing.B, g *gpu, s offload.Stream, x []float32) offload.Buffer {
	b.Helper()
	n := 4 * len(x)
	buf, err := g.Alloc(n)
	require.NoError(b, err)
	h, err := g.AllocHost(n)
	require.NoError(b, err)
	hb := h.Bytes()
	for i, v := range x {
		u := float32bits(v)
		hb[4*i], hb[4*i+1], hb[4*i+2], hb[4*i+3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
	}
	require.NoError(b, g.CopyToDevice(s, buf, 0, hb[:n]))
	require.NoError(b, g.Synchronize(s))
	require.NoError(b, g.FreeHost(h))
	return buf
}

// BenchmarkGaussianDevice filters a device-resident float32 stack with
// sigma 1 on every axis (three passes), the maximum reduced in the last.
// Its figures count one read of the input and one write of the output (8
// bytes a voxel), whatever the passes move: effective TB/s and the
// fraction of the H100's 3.35 TB/s.
func BenchmarkGaussianDevice(b *testing.B) {
	deviceOnly(b)
	for _, shape := range []stack.Shape{{Z: 64, Y: 2048, X: 2048}} {
		b.Run(fmt.Sprintf("sigma=1/%dx%dx%d", shape.Z, shape.Y, shape.X), func(b *testing.B) {
			g, s := benchGPU(b)
			n := shape.Len()
			r := rand.New(rand.NewPCG(1, 2))
			host := make([]float32, n)
			for i := range host {
				host[i] = r.Float32() * 1000
			}
			src := uploadB(b, g, s, host)
			dst, err := g.Alloc(4 * n)
			require.NoError(b, err)
			m, err := g.Alloc(4)
			require.NoError(b, err)
			opt := kernels.GaussianOptions{Sigma: [3]float64{1, 1, 1}}
			require.NoError(b, g.GaussianMax(s, dst, src, m, shape, opt)) // weights and temporaries
			require.NoError(b, g.Synchronize(s))
			b.SetBytes(int64(8 * n))
			b.ResetTimer()
			t0 := time.Now()
			for b.Loop() {
				require.NoError(b, g.GaussianMax(s, dst, src, m, shape, opt))
			}
			require.NoError(b, g.Synchronize(s))
			sec := time.Since(t0).Seconds() / float64(b.N)
			b.ReportMetric(8*float64(n)/sec/1e12, "TB/s")
			b.ReportMetric(8*float64(n)/sec/h100Bandwidth, "frac-of-3.35TB/s")
		})
	}
}

// BenchmarkLabelDevice labels a 4096² plane of blobs (smoothed noise above
// its mean, about half the pixels) with 8-connectivity into uint32
// labels, threshold fused, on the device: Gpix/s.
func BenchmarkLabelDevice(b *testing.B) {
	deviceOnly(b)
	shape := stack.Shape{Z: 1, Y: 4096, X: 4096}
	b.Run(fmt.Sprintf("2d-conn8/blobs/%dx%d", shape.Y, shape.X), func(b *testing.B) {
		g, s := benchGPU(b)
		n := shape.Len()
		r := rand.New(rand.NewPCG(3, 4))
		noise := stack.New[float32](shape)
		for i := range noise.Data {
			noise.Data[i] = r.Float32()
		}
		smooth := stack.New[float32](shape)
		_, err := kernels.Gaussian(context.Background(), smooth, noise, kernels.GaussianOptions{Sigma: [3]float64{0, 4, 4}})
		require.NoError(b, err)
		src := uploadB(b, g, s, smooth.Data)
		dst, err := g.Alloc(4 * n)
		require.NoError(b, err)
		cnt, err := g.Alloc(4)
		require.NoError(b, err)
		scratch, err := g.Alloc(g.LabelScratch(shape))
		require.NoError(b, err)
		require.NoError(b, g.LabelAbove(s, dst, cnt, scratch, src, shape, 0.5, kernels.Conn8, 4))
		require.NoError(b, g.Synchronize(s))
		b.SetBytes(int64(4 * n))
		b.ResetTimer()
		t0 := time.Now()
		for b.Loop() {
			require.NoError(b, g.LabelAbove(s, dst, cnt, scratch, src, shape, 0.5, kernels.Conn8, 4))
		}
		require.NoError(b, g.Synchronize(s))
		sec := time.Since(t0).Seconds() / float64(b.N)
		b.ReportMetric(float64(n)/sec/1e9, "Gpix/s")
	})
}

func float32bits(v float32) uint32 { return math.Float32bits(v) }
