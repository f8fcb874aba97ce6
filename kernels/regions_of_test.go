package kernels

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/segstack/segstack/stack"
	"github.com/stretchr/testify/require"
)

// bruteRegions measures each label voxel by voxel, in float64.
func bruteRegions(labels *stack.Volume[uint32], intensity *stack.Volume[float32]) map[uint32]Region {
	out := map[uint32]Region{}
	sums := map[uint32]*[3]float64{}
	for z := range labels.Shape.Z {
		for y := range labels.Shape.Y {
			for x := range labels.Shape.X {
				l := labels.At(z, y, x)
				if l == 0 {
					continue
				}
				r, ok := out[l]
				v := 0.0
				if intensity != nil {
					v = float64(intensity.At(z, y, x))
				}
				if !ok {
					r = Region{Label: l, BBox: stack.Box{Lo: [3]int{z, y, x}, Hi: [3]int{z + 1, y + 1, x + 1}}, MinIntensity: v, MaxIntensity: v}
					sums[l] = &[3]float64{}
				}
				r.Area++
				c := [3]int{z, y, x}
				for a := range 3 {
					r.BBox.Lo[a] = min(r.BBox.Lo[a], c[a])
					r.BBox.Hi[a] = max(r.BBox.Hi[a], c[a]+1)
					sums[l][a] += float64(c[a])
				}
				r.MeanIntensity += v
				r.MinIntensity = min(r.MinIntensity, v)
				r.MaxIntensity = max(r.MaxIntensity, v)
				out[l] = r
			}
		}
	}
	for l, r := range out {
		for a := range 3 {
			r.Centroid[a] = sums[l][a] / float64(r.Area)
		}
		r.MeanIntensity /= float64(r.Area)
		out[l] = r
	}
	return out
}

func TestRegionsOfMatchesBruteForce(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 9))
	for trial := range 200 {
		s := stack.Shape{Z: 1 + rng.IntN(3), Y: 1 + rng.IntN(9), X: 1 + rng.IntN(11)}
		labels := stack.New[uint32](s)
		intensity := stack.New[float32](s)
		nl := 1 + rng.IntN(6)
		big := trial%3 == 0 // labels far above the voxel count use the map
		for i := range labels.Data {
			if rng.IntN(3) > 0 {
				l := uint32(rng.IntN(nl))
				if big && l != 0 {
					l += 1 << 30
				}
				labels.Data[i] = l
			}
			intensity.Data[i] = float32(rng.IntN(1000)) / 8
		}
		var in *stack.Volume[float32]
		if trial%2 == 0 {
			in = intensity
		}
		got, err := RegionsOf(context.Background(), labels, in)
		require.NoError(t, err)
		want := bruteRegions(labels, in)
		require.Len(t, got, len(want))
		for i, r := range got {
			if i > 0 {
				require.Less(t, got[i-1].Label, r.Label)
			}
			w := want[r.Label]
			require.Equal(t, w.Area, r.Area)
			require.Equal(t, w.BBox, r.BBox)
			require.InDeltaSlice(t, w.Centroid[:], r.Centroid[:], 1e-9)
			require.InDelta(t, w.MeanIntensity, r.MeanIntensity, 1e-9)
			require.Equal(t, w.MinIntensity, r.MinIntensity)
			require.Equal(t, w.MaxIntensity, r.MaxIntensity)
		}
	}
}

func TestRegionsOfRejectsBadInput(t *testing.T) {
	t.Parallel()
	_, err := RegionsOf(context.Background(), nil, nil)
	require.ErrorIs(t, err, ErrInvalid)
	l := stack.New[uint32](stack.Shape{Z: 1, Y: 2, X: 2})
	_, err = RegionsOf(context.Background(), l, stack.New[float32](stack.Shape{Z: 1, Y: 2, X: 3}))
	require.ErrorIs(t, err, ErrInvalid)
	l.Data = l.Data[:3]
	_, err = RegionsOf(context.Background(), l, nil)
	require.ErrorIs(t, err, ErrInvalid)
}
