package segment

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
)

// Two nuclei stacked in Z, their centres 4 planes apart, joined by a
// dimmer plane. Counted in voxels (no Z spacing), the seeds' min distance of
// 5 keeps one seed of the two and the split finds one object; with planes
// 3 µm apart and 1 µm pixels the centres are 12 µm apart, both seeds stay
// and the split finds two. The same holds for the distance transform's
// seeds, sampled with the spacing.
func TestSplit3DUsesZSpacing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := stack.Shape{Z: 9, Y: 24, X: 24}
	v := stack.New[uint16](s)
	for z := range s.Z {
		for y := range s.Y {
			for x := range s.X {
				r2 := float64((y-12)*(y-12)+(x-12)*(x-12)) / (2 * 4 * 4)
				a := 1000 * math.Exp(-r2-float64((z-2)*(z-2))/1)
				b := 900 * math.Exp(-r2-float64((z-6)*(z-6))/1)
				v.Data[(z*s.Y+y)*s.X+x] = uint16(100 + max(a, b))
			}
		}
	}
	for _, seeds := range []Seeds{SeedsIntensity, SeedsDistance} {
		count := func(ps PixelSize) (int64, *SplitReport) {
			opt := DefaultOptions()
			opt.Source = VolumeSource(v)
			opt.Mode, opt.Connectivity = Mode3D, kernels.Conn6
			opt.Split = SplitOptions{Method: SplitWatershed, Seeds: seeds, MinDistance: 5, MinSize: 20}
			opt.PixelSize = ps
			rep, err := Run(ctx, opt)
			require.NoError(t, err)
			return rep.Objects, rep.Split
		}
		n, sr := count(PixelSize{})
		require.EqualValues(t, 1, n, "seeds %v without a Z spacing", seeds)
		require.Nil(t, sr.Spacing)
		n, sr = count(PixelSize{Z: 1, Y: 1, X: 1, Unit: "um"})
		require.EqualValues(t, 1, n, "seeds %v with isotropic voxels", seeds)
		require.Nil(t, sr.Spacing)
		n, sr = count(PixelSize{Z: 3, Y: 1, X: 1, Unit: "um"})
		require.EqualValues(t, 2, n, "seeds %v with 3 µm planes", seeds)
		require.Equal(t, []float64{3, 1, 1}, sr.Spacing)
	}
}
