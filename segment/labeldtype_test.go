package segment

import (
	"context"
	"path/filepath"
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

// Unique numbering on a stack whose labels pass 65535 in the middle: the
// file starts as uint16, switches to uint32 at the plane that overflows and
// the planes before it are written again, offset; the report and the stats
// count every object once, numbered 1..N in plane order. The same holds
// whether the tasks label straight into uint16 (no stats, no preview) or
// narrow their uint32 labels, and with any number of workers.
func TestLabelDTypeUpgradeUniqueMidway(t *testing.T) {
	t.Parallel()
	s := stack.Shape{Z: 6, Y: 128, X: 256} // a checkerboard plane: 16384 objects
	vol := stack.New[float32](s)
	vol.Plane(0)[5*256+7] = 1 // one object
	for z := 1; z < s.Z; z++ {
		checkerboard(vol.Plane(z), s.Y, s.X)
	}
	// Cumulative counts: 1, 16385, 32769, 49153, 65537 (plane 4 overflows
	// uint16), 81921.
	wantCounts := []int{1, 16384, 16384, 16384, 16384, 16384}
	want := func(z, y, x int) uint32 {
		if z == 0 {
			if y == 5 && x == 7 {
				return 1
			}
			return 0
		}
		if (x+y)%2 == 0 {
			return 0
		}
		return uint32(1 + (z-1)*16384 + (y*s.X+x)/2 + 1)
	}
	for _, workers := range []int{1, 3} {
		opt := DefaultOptions()
		opt.Source = VolumeSource(vol)
		opt.Sigma = [3]float64{}
		opt.Threshold = kernels.ThresholdSpec{Kind: kernels.ThresholdAbsolute, Value: 0.5}
		opt.Workers = workers
		lab, dt, stats, rep := runFiles(t, opt)
		require.Equal(t, stack.Uint32, dt)
		require.Equal(t, "uint32", rep.LabelDType)
		require.Equal(t, wantCounts, rep.Counts)
		require.Equal(t, int64(81921), rep.Objects)
		require.Equal(t, "unique", rep.Labels)
		for z := range s.Z {
			for y := range s.Y {
				for x := range s.X {
					if lab.At(z, y, x) != want(z, y, x) {
						t.Fatalf("workers %d: label at (%d,%d,%d) is %d, want %d", workers, z, y, x, lab.At(z, y, x), want(z, y, x))
					}
				}
			}
		}
		rows := csvOf(t, stats)
		require.Len(t, rows, 1+81921)
		require.Equal(t, "label", rows[0][0])
		require.Equal(t, "plane", rows[0][len(rows[0])-1])
		for i, row := range rows[1:] {
			require.Equal(t, itoa(i+1), row[0], "row %d", i+1)
			plane := 0
			if i > 0 {
				plane = 1 + (i-1)/16384
			}
			require.Equal(t, itoa(plane), row[len(row)-1], "row %d", i+1)
			require.Equal(t, "1", row[1], "area of row %d", i+1)
		}

		// Without stats the tasks label straight into uint16: the same
		// labels.
		dir := t.TempDir()
		opt.Output = filepath.Join(dir, "labels.tif")
		rep2, err := Run(context.Background(), opt)
		require.NoError(t, err)
		require.Equal(t, "uint32", rep2.LabelDType)
		lab2, _ := readLabels(t, opt.Output)
		require.Equal(t, lab.Data, lab2.Data, "workers %d", workers)
	}

}

// Unique numbering whose last label is 65535 stays uint16: the offsets are
// added to the tasks' uint16 planes, labelled straight into uint16 (no
// stats) or narrowed (stats).
func TestUniqueLabelsFitUint16(t *testing.T) {
	t.Parallel()
	s := stack.Shape{Z: 5, Y: 128, X: 256}
	vol := stack.New[float32](s)
	for z := 1; z < s.Z; z++ {
		checkerboard(vol.Plane(z), s.Y, s.X)
	}
	vol.Plane(s.Z - 1)[(s.Y-1)*s.X+s.X-2] = 0 // the plane's last object
	opt := DefaultOptions()
	opt.Source = VolumeSource(vol)
	opt.Sigma = [3]float64{}
	opt.Threshold = kernels.ThresholdSpec{Kind: kernels.ThresholdAbsolute, Value: 0.5}
	opt.Workers = 2
	lab, dt, stats, rep := runFiles(t, opt)
	require.Equal(t, stack.Uint16, dt)
	require.Equal(t, []int{0, 16384, 16384, 16384, 16383}, rep.Counts)
	require.Len(t, csvOf(t, stats), 1+65535)
	for z := 1; z < s.Z; z++ {
		for y := range s.Y {
			for x := range s.X {
				want := uint32(0)
				if (x+y)%2 == 1 && !(z == s.Z-1 && y == s.Y-1 && x == s.X-2) {
					want = uint32((z-1)*16384 + (y*s.X+x)/2 + 1)
				}
				if lab.At(z, y, x) != want {
					t.Fatalf("label at (%d,%d,%d) is %d, want %d", z, y, x, lab.At(z, y, x), want)
				}
			}
		}
	}
	dir := t.TempDir()
	opt.Output = filepath.Join(dir, "labels.tif")
	_, err := Run(context.Background(), opt)
	require.NoError(t, err)
	lab2, dt2 := readLabels(t, opt.Output)
	require.Equal(t, stack.Uint16, dt2)
	require.Equal(t, lab.Data, lab2.Data)
}
