package array

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/sched"
	"github.com/segstack/segstack/stack"
)

// TestPeakLocalMaxArray holds the lazy PeakLocalMax to the kernel on the
// whole array: random 2-D and 3-D images, coarse levels (plateaus, so equal
// candidates within min_distance of each other across chunk faces) and
// fine ones, every option, many chunk shapes.
func TestPeakLocalMaxArray(t *testing.T) {
	ctx := context.Background()
	c, err := sched.NewLocalCluster(sched.Options{Workers: 2})
	require.NoError(t, err)
	defer c.Close()
	rng := rand.New(rand.NewPCG(19, 4))
	for trial := range 150 {
		s := stack.Shape{Z: 1, Y: 4 + rng.IntN(20), X: 4 + rng.IntN(20)}
		rank := 2
		if trial%2 == 1 {
			s.Z = 1 + rng.IntN(7)
			rank = 3
		}
		levels := []int{2, 4, 1 << 20}[rng.IntN(3)]
		img := stack.New[float32](s)
		for i := range img.Data {
			img.Data[i] = float32(rng.IntN(levels))
		}
		if trial%25 == 0 {
			clear(img.Data) // flat: no peaks
		}
		opt := kernels.PeakOptions{
			MinDistance:   rng.IntN(5),
			ExcludeBorder: rng.IntN(4) - 1,
		}
		if rng.IntN(3) == 0 {
			opt.HasThresholdAbs, opt.ThresholdAbs = true, float64(rng.IntN(levels))*0.5
		}
		if rng.IntN(3) == 0 {
			opt.ThresholdRel = 0.5
		}
		if rng.IntN(3) == 0 {
			opt.NumPeaks = 1 + rng.IntN(6)
		}
		if trial%4 == 3 {
			// Anisotropic voxels: the halo follows the footprint.
			opt.Spacing = [3]float64{[]float64{0.5, 2, 3}[rng.IntN(3)], 1, 1}
		}
		want, err := kernels.PeakLocalMax(ctx, img, opt)
		require.NoError(t, err)
		dims := []int{s.Y, s.X}
		if rank == 3 {
			dims = []int{s.Z, s.Y, s.X}
		}
		chunk := make([]int, rank)
		for a := range chunk {
			chunk[a] = 1 + rng.IntN(dims[a])
		}
		a := FromSlice(img.Data, dims, chunk)
		if trial%3 == 0 {
			// Another dtype on input: taken as float32.
			u := make([]uint16, len(img.Data))
			for i, v := range img.Data {
				u[i] = uint16(int(v) & 0xffff)
				img.Data[i] = float32(u[i])
			}
			want, err = kernels.PeakLocalMax(ctx, img, opt)
			require.NoError(t, err)
			a = FromSlice(u, dims, chunk)
		}
		got, err := PeakLocalMax(ctx, c, a, opt)
		require.NoError(t, err)
		require.Equal(t, want, got, "trial %d: shape %v chunks %v levels %d opt %+v", trial, s, chunk, levels, opt)
	}
}

func TestPeakLocalMaxArrayErrors(t *testing.T) {
	ctx := context.Background()
	img := FromSlice(make([]float32, 16), []int{4, 4}, []int{2, 2})
	_, err := PeakLocalMax(ctx, nil, img, kernels.PeakOptions{MinDistance: -1})
	require.ErrorIs(t, err, kernels.ErrPeakInput)
	_, err = PeakLocalMax(ctx, nil, img, kernels.PeakOptions{Labels: stack.New[uint32](stack.Shape{Z: 1, Y: 4, X: 4})})
	require.ErrorIs(t, err, kernels.ErrPeakInput)
	_, err = PeakLocalMax(ctx, nil, FromSlice(make([]float32, 4), []int{4}, []int{2}), kernels.PeakOptions{})
	require.ErrorIs(t, err, ErrShape)
	nan := make([]float32, 16)
	nan[5] = float32(zeroF() / zeroF())
	_, err = PeakLocalMax(ctx, nil, FromSlice(nan, []int{4, 4}, []int{2, 2}), kernels.PeakOptions{MinDistance: 1})
	require.ErrorIs(t, err, kernels.ErrPeakInput)
}

func zeroF() float64 { return 0 }
