package segment

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
)

// With per-plane numbering the plane tasks hand the writer uint16 labels; a
// plane that overflows uint16 still switches the file to uint32 and the
// planes written before it are written again, numbered from 1 each.
func TestLabelDTypeUpgradePerPlane(t *testing.T) {
	t.Parallel()
	s := stack.Shape{Z: 4, Y: 256, X: 512}
	vol := stack.New[float32](s)
	vol.Plane(0)[5*512+7] = 1                     // one object
	vol.Plane(1)[3*512+3], vol.Plane(1)[0] = 1, 1 // two
	checkerboard(vol.Plane(2), s.Y, s.X)          // 65536 objects
	vol.Plane(3)[9*512+9] = 1
	opt := DefaultOptions()
	opt.Source = VolumeSource(vol)
	opt.Sigma = [3]float64{}
	opt.Threshold = kernels.ThresholdSpec{Kind: kernels.ThresholdAbsolute, Value: 0.5}
	opt.Workers = 2
	opt.Numbering = NumberPerPlane
	lab, dt, _, rep := runFiles(t, opt)
	require.Equal(t, stack.Uint32, dt)
	require.Equal(t, []int{1, 2, 65536, 1}, rep.Counts)
	require.Equal(t, uint32(1), lab.At(0, 5, 7))
	require.Equal(t, uint32(1), lab.At(1, 0, 0))
	require.Equal(t, uint32(2), lab.At(1, 3, 3))
	require.Equal(t, uint32(65536), lab.At(2, s.Y-1, s.X-2))
	require.Equal(t, uint32(1), lab.At(3, 9, 9))

	// One label fewer fits uint16, written from the tasks' uint16 planes.
	vol.Plane(2)[(s.Y-1)*512+s.X-2] = 0
	lab, dt, _, rep = runFiles(t, opt)
	require.Equal(t, stack.Uint16, dt)
	require.Equal(t, []int{1, 2, 65535, 1}, rep.Counts)
	n := uint32(0)
	for y := range s.Y {
		for x := range s.X {
			want := uint32(0)
			if (x+y)%2 == 1 && !(y == s.Y-1 && x == s.X-2) {
				n++
				want = n
			}
			require.Equal(t, want, lab.At(2, y, x))
		}
	}
	require.Equal(t, uint32(2), lab.At(1, 3, 3))
}
