package synth

import (
	"math"
	"runtime"
	"testing"

	"github.com/segstack/segstack/stack"
	"github.com/stretchr/testify/require"
)

// Density 0 is the sparse default, voxel for voxel.
func TestNucleiDenseZeroIsNuclei(t *testing.T) {
	t.Parallel()
	s := stack.Shape{Z: 5, Y: 70, X: 90}
	v, err := NucleiDense(s, 7, 0)
	require.NoError(t, err)
	require.Equal(t, Nuclei(s, 7).Data, v.Data)
	b, err := DenseBlobs(s, 7, 0)
	require.NoError(t, err)
	require.Equal(t, Blobs(s, 7), b)
}

func TestDenseBlobsPlacement(t *testing.T) {
	t.Parallel()
	s := stack.Shape{Z: 16, Y: 256, X: 256}
	for _, density := range []float64{0.1, 0.3, 0.5} {
		blobs, err := DenseBlobs(s, 3, density)
		require.NoError(t, err)
		again, err := DenseBlobs(s, 3, density)
		require.NoError(t, err)
		require.Equal(t, blobs, again, "deterministic")
		var filled float64
		for i, b := range blobs {
			filled += 4 * math.Pi / 3 * b.Radius[0] * b.Radius[1] * b.Radius[2]
			for a := range 3 {
				require.GreaterOrEqual(t, b.Center[a], 0.0)
				require.Less(t, b.Center[a], float64(s.Dims()[a]))
			}
			// Brute force: no two blobs closer than the separation.
			for _, o := range blobs[:i] {
				var d2 float64
				for a := range 3 {
					d := (b.Center[a] - o.Center[a]) / (b.Radius[a] + o.Radius[a])
					d2 += d * d
				}
				require.GreaterOrEqual(t, d2, denseSeparation*denseSeparation)
			}
		}
		frac := filled / float64(s.Len())
		require.GreaterOrEqual(t, frac, density, "density %g", density)
		require.Less(t, frac, density+0.02, "density %g: one blob past the target at most", density)
	}
	more, err := DenseBlobs(s, 3, 0.5)
	require.NoError(t, err)
	fewer, err := DenseBlobs(s, 3, 0.1)
	require.NoError(t, err)
	require.Greater(t, len(more), 4*len(fewer))
}

func TestDenseBlobsErrors(t *testing.T) {
	t.Parallel()
	s := stack.Shape{Z: 2, Y: 32, X: 32}
	for _, d := range []float64{-0.1, 0.61, 2, math.NaN(), math.Inf(1)} {
		_, err := DenseBlobs(s, 1, d)
		var de *DensityError
		require.ErrorAs(t, err, &de, "density %g", d)
		_, err = NucleiDense(s, 1, d)
		require.ErrorAs(t, err, &de)
		_, err = Truth(s, 1, d, 0)
		require.ErrorAs(t, err, &de)
		require.ErrorAs(t, NucleiDensePlanes(s, 1, d, func(int, []uint16) error { return nil }), &de)
	}
	_, err := DenseBlobs(stack.Shape{Z: 0, Y: 3, X: 3}, 1, 0.3)
	require.Error(t, err)
	_, err = NucleiDense(stack.Shape{Z: 2, Y: -1, X: 3}, 1, 0.3)
	require.Error(t, err)
	// A tiny stack gets what fits and still returns.
	b, err := DenseBlobs(stack.Shape{Z: 1, Y: 4, X: 4}, 1, 0.6)
	require.NoError(t, err)
	require.NotEmpty(t, b)
}

func TestNucleiDensePlanesAndCores(t *testing.T) {
	s := stack.Shape{Z: 7, Y: 60, X: 50}
	want, err := NucleiDense(s, 9, 0.4)
	require.NoError(t, err)
	prev := runtime.GOMAXPROCS(1)
	one, err := NucleiDense(s, 9, 0.4)
	runtime.GOMAXPROCS(prev)
	require.NoError(t, err)
	require.Equal(t, want.Data, one.Data, "whatever the core count")
	next := 0
	require.NoError(t, NucleiDensePlanes(s, 9, 0.4, func(z int, plane []uint16) error {
		require.Equal(t, next, z)
		require.Equal(t, want.Plane(z), plane)
		next++
		return nil
	}))
	require.Equal(t, s.Z, next)
}

// Truth against a voxel-by-voxel brute force over every blob.
func TestTruthBruteForce(t *testing.T) {
	t.Parallel()
	s := stack.Shape{Z: 6, Y: 48, X: 40}
	for _, level := range []float64{0, 900} {
		blobs, err := DenseBlobs(s, 5, 0.45)
		require.NoError(t, err)
		got, err := Truth(s, 5, 0.45, level)
		require.NoError(t, err)
		img, err := NucleiDense(s, 5, 0.45)
		require.NoError(t, err)
		for z := range s.Z {
			for y := range s.Y {
				for x := range s.X {
					var best float32
					var label uint32
					for i, b := range blobs {
						dz := (float64(z) - b.Center[0]) / b.Radius[0]
						dy := (float64(y) - b.Center[1]) / b.Radius[1]
						dx := (float64(x) - b.Center[2]) / b.Radius[2]
						d2 := dz*dz + dy*dy + dx*dx
						if d2 >= 1 {
							continue
						}
						if f := float32(b.Peak * math.Sqrt(1-d2)); f > best {
							best, label = f, uint32(i)+1
						}
					}
					if best == 0 || float64(best) < level {
						label = 0
					}
					require.Equal(t, label, got.At(z, y, x), "level %g at %d,%d,%d", level, z, y, x)
					if label != 0 && level > 0 {
						// What the truth calls a nucleus is bright in the image.
						require.Greater(t, float64(img.At(z, y, x)), Background+level-6*Noise)
					}
				}
			}
		}
	}
}

func TestCountObjects(t *testing.T) {
	t.Parallel()
	v := stack.New[uint32](stack.Shape{Z: 2, Y: 2, X: 4})
	copy(v.Data, []uint32{
		1, 1, 2, 0,
		3, 3, 3, 0,
		1, 0, 0, 4,
		0, 0, 0, 0,
	})
	perPlane, total := CountObjects(v, 2)
	require.Equal(t, []int{2, 0}, perPlane) // 1 (2 px) and 3 (3 px); 2 has 1 px
	require.Equal(t, 2, total)              // 1 (3 voxels) and 3; 2 and 4 too small
	perPlane, total = CountObjects(v, 1)
	require.Equal(t, []int{3, 2}, perPlane)
	require.Equal(t, 4, total)
}
