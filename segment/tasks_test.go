package segment

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"unsafe"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/tiff"
	"github.com/segstack/segstack/stack/zarr"
	"github.com/stretchr/testify/require"
)

// WriteLabels writes the plane a local run writes, offset for unique
// numbering, from uint16 or uint32 labels into uint16 or uint32 label
// images, through either of the image's write paths; labels past what the
// image's type or largest label allow are refused.
func TestTasksWriteLabels(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	sh := stack.Shape{Z: 2, Y: 5, X: 7}
	in := filepath.Join(dir, "in.tif")
	w, err := tiff.Create(in, tiff.WriterOptions{Shape: sh, DType: stack.Uint16})
	require.NoError(t, err)
	for range sh.Z {
		require.NoError(t, tiff.WritePlaneOf(w, make([]uint16, sh.PlaneLen())))
	}
	require.NoError(t, w.Close())
	src, closeSrc, err := OpenSource(in, -1)
	require.NoError(t, err)
	defer closeSrc()
	b, err := kernels.Select("cpu")
	require.NoError(t, err)
	defer b.Close()
	opt := DefaultOptions()
	opt.Input, opt.Sigma[0] = in, 0
	tasks, err := NewTasks(opt, src, b)
	require.NoError(t, err)

	// A plane of three objects, labels 1..3, and its labels offset by 40.
	base := []uint32{0, 1, 1, 0, 2, 0, 0, 3, 3, 3}
	labels := func() []uint32 {
		l := make([]uint32, sh.PlaneLen())
		copy(l[5:], base)
		return l
	}
	const offset = 40
	want := labels()
	for i, v := range want {
		if v != 0 {
			want[i] = v + offset
		}
	}
	for _, dt := range []zarr.DType{zarr.Uint16, zarr.Uint32} {
		for _, from16 := range []bool{false, true} {
			for _, chunksZ := range []int{1, 2} { // written whole (WritePlaneNow) or by layers
				t.Run(fmt.Sprintf("%v/from16=%v/chunksZ=%d", dt, from16, chunksZ), func(t *testing.T) {
					p := &PlaneLabels{N: 3, Labels: labels()}
					if from16 {
						p.Labels16 = make([]uint16, sh.PlaneLen())
						for i, v := range p.Labels {
							p.Labels16[i] = uint16(v)
						}
						p.Labels = nil
					}
					path := filepath.Join(dir, fmt.Sprintf("l-%v-%v-%d", dt, from16, chunksZ))
					o := zarr.ImageOptions{ZarrFormat: 2, Name: "l", Shape: sh, Chunks: stack.Shape{Z: chunksZ, Y: sh.Y, X: sh.X}, DType: dt}
					lw := labelImage(t, path, o)
					require.Equal(t, chunksZ == 1, lw.WritesNow())
					require.NoError(t, tasks.WriteLabels(ctx, lw, dt, 0, p, offset, 100))
					require.NoError(t, tasks.WriteLabels(ctx, lw, dt, 1, &PlaneLabels{N: 0, Labels: make([]uint32, sh.PlaneLen())}, 43, 100))
					require.NoError(t, lw.Close())
					a, err := zarr.Open(filepath.Join(path, "labels", "l", "0"))
					require.NoError(t, err)
					got := make([]byte, sh.PlaneLen()*dt.Size())
					require.NoError(t, a.Read(ctx, []int{0, 0, 0}, []int{1, sh.Y, sh.X}, got))
					for i, v := range want {
						var g uint32
						if dt == zarr.Uint16 {
							g = uint32(unsafe.Slice((*uint16)(unsafe.Pointer(&got[0])), len(want))[i])
						} else {
							g = unsafe.Slice((*uint32)(unsafe.Pointer(&got[0])), len(want))[i]
						}
						require.Equal(t, v, g, "pixel %d", i)
					}
				})
			}
		}
	}
	t.Run("refused", func(t *testing.T) {
		o := zarr.ImageOptions{ZarrFormat: 2, Name: "l", Shape: sh, Chunks: stack.Shape{Z: 1, Y: sh.Y, X: sh.X}, DType: zarr.Uint16}
		lw := labelImage(t, filepath.Join(dir, "refused"), o)
		defer lw.Abort()
		require.ErrorContains(t, tasks.WriteLabels(ctx, lw, zarr.Uint16, 0, &PlaneLabels{N: 3, Labels: labels()}, 65533, 70000), "exceed")
		require.ErrorContains(t, tasks.WriteLabels(ctx, lw, zarr.Uint16, 0, &PlaneLabels{N: 3, Labels: labels()}, 40, 42), "exceed")
	})
}

// labelImage creates an image at path and its label image l, of options o.
func labelImage(t *testing.T, path string, o zarr.ImageOptions) *zarr.ImageWriter {
	t.Helper()
	iw, err := zarr.CreateImage(context.Background(), path, o)
	require.NoError(t, err)
	for z := range o.Shape.Z {
		require.NoError(t, iw.WritePlane(context.Background(), z, make([]byte, iw.PlaneBytes())))
	}
	require.NoError(t, iw.Close())
	lw, err := zarr.CreateLabels(context.Background(), path, "l", o)
	require.NoError(t, err)
	return lw
}
