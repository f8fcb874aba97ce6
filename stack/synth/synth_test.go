package synth

import (
	"errors"
	"math"
	"runtime"
	"testing"

	"github.com/segstack/segstack/stack"
	"github.com/stretchr/testify/require"
)

func TestNucleiDeterministic(t *testing.T) {
	s := stack.Shape{Z: 6, Y: 70, X: 90}
	a := Nuclei(s, 7)
	prev := runtime.GOMAXPROCS(1)
	b := Nuclei(s, 7)
	runtime.GOMAXPROCS(prev)
	require.Equal(t, a.Data, b.Data, "same seed, same stack, whatever the core count")
	c := Nuclei(s, 8)
	require.NotEqual(t, a.Data, c.Data, "another seed, another stack")
	require.Equal(t, s, a.Shape)
}

func TestNucleiContent(t *testing.T) {
	t.Parallel()
	s := stack.Shape{Z: 8, Y: 128, X: 128}
	v := Nuclei(s, 3)
	blobs := Blobs(s, 3)
	require.Len(t, blobs, s.Len()/6000)

	// Every blob's centre is bright: at least its own peak's worth above
	// the background, less the noise.
	for _, b := range blobs {
		z, y, x := int(math.Round(b.Center[0])), int(math.Round(b.Center[1])), int(math.Round(b.Center[2]))
		if z >= s.Z || y >= s.Y || x >= s.X {
			continue
		}
		dz := (float64(z) - b.Center[0]) / b.Radius[0]
		dy := (float64(y) - b.Center[1]) / b.Radius[1]
		dx := (float64(x) - b.Center[2]) / b.Radius[2]
		inside := b.Peak * math.Sqrt(max(0, 1-dz*dz-dy*dy-dx*dx))
		require.Greater(t, float64(v.At(z, y, x)), Background+inside-6*Noise)
	}

	// Far from every blob the stack is background noise of the stated
	// mean and spread.
	var sum, sum2 float64
	n := 0
	for z := range s.Z {
		for y := range s.Y {
			for x := range s.X {
				far := true
				for _, b := range blobs {
					dz := (float64(z) - b.Center[0]) / b.Radius[0]
					dy := (float64(y) - b.Center[1]) / b.Radius[1]
					dx := (float64(x) - b.Center[2]) / b.Radius[2]
					if dz*dz+dy*dy+dx*dx < 1.2 {
						far = false
						break
					}
				}
				if far {
					f := float64(v.At(z, y, x))
					sum += f
					sum2 += f * f
					n++
				}
			}
		}
	}
	require.Greater(t, n, s.Len()/4)
	mean := sum / float64(n)
	sd := math.Sqrt(sum2/float64(n) - mean*mean)
	require.InDelta(t, Background, mean, 0.5)
	require.InDelta(t, Noise, sd, 1)
}

func TestRandom(t *testing.T) {
	t.Parallel()
	s := stack.Shape{Z: 3, Y: 50, X: 60}
	a := Random(s, 1)
	require.Equal(t, a.Data, Random(s, 1).Data)
	require.NotEqual(t, a.Data, Random(s, 2).Data)
	var sum float64
	for _, f := range a.Data {
		require.GreaterOrEqual(t, f, float32(0))
		require.Less(t, f, float32(1))
		sum += float64(f)
	}
	require.InDelta(t, 0.5, sum/float64(len(a.Data)), 0.01)
}

func BenchmarkNuclei(b *testing.B) {
	s := stack.Shape{Z: 16, Y: 1024, X: 1024}
	b.SetBytes(int64(s.Len() * 2))
	for b.Loop() {
		Nuclei(s, 1)
	}
}

// NucleiPlanes hands over exactly Nuclei's planes, in order, and stops at
// the first error of its callback.
func TestNucleiPlanesStreamsNuclei(t *testing.T) {
	for _, s := range []stack.Shape{{Z: 7, Y: 40, X: 33}, {Z: 1, Y: 64, X: 64}, {Z: 13, Y: 5, X: 90}} {
		want := Nuclei(s, 5)
		require.Len(t, Blobs(s, 5), BlobCount(s))
		next := 0
		require.NoError(t, NucleiPlanes(s, 5, func(z int, plane []uint16) error {
			require.Equal(t, next, z)
			require.Equal(t, want.Plane(z), plane, "%v plane %d", s, z)
			next++
			return nil
		}))
		require.Equal(t, s.Z, next)
	}
	stop := errors.New("stop")
	calls := 0
	err := NucleiPlanes(stack.Shape{Z: 9, Y: 8, X: 8}, 1, func(z int, _ []uint16) error {
		calls++
		if z == 4 {
			return stop
		}
		return nil
	})
	require.ErrorIs(t, err, stop)
	require.Equal(t, 5, calls)
	require.Error(t, NucleiPlanes(stack.Shape{Z: 0, Y: 8, X: 8}, 1, func(int, []uint16) error { return nil }))
}
