package tiff

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/segstack/segstack/stack"
	"github.com/stretchr/testify/require"
)

// ifdOffsets walks the IFD chain of a classic little-endian TIFF.
func ifdOffsets(t *testing.T, b []byte) []uint64 {
	t.Helper()
	le := binary.LittleEndian
	var out []uint64
	for off := uint64(le.Uint32(b[4:])); off != 0; {
		out = append(out, off)
		n := uint64(le.Uint16(b[off:]))
		off = uint64(le.Uint32(b[off+2+12*n:]))
	}
	return out
}

// TestSmallStacksLaidOutAsReadersInfer writes stacks of every type and of
// small shapes, and checks the two inferences readers make from offsets
// alone: tifffile reads a shaped series as one run from plane 0's data
// when the second IFD lies past the first IFD plus the whole stack's
// bytes, and an ImageJ series likewise when every image fits before the
// second IFD. Wherever either inference holds, the data must really be
// contiguous; and the file must read back exactly.
func TestSmallStacksLaidOutAsReadersInfer(t *testing.T) {
	dims := []int{1, 2, 3, 7, 8, 15, 16, 17, 63, 64, 65}
	dir := t.TempDir()
	contiguous := 0
	for _, dt := range []stack.DType{stack.Uint8, stack.Uint16, stack.Int16, stack.Uint32, stack.Int32, stack.Float32} {
		for _, z := range []int{2, 3, 7} {
			for _, y := range dims {
				for _, x := range dims {
					s := stack.Shape{Z: z, Y: y, X: x}
					path := filepath.Join(dir, "s.tif")
					w, err := Create(path, WriterOptions{Shape: s, DType: dt, PixelSizeX: 0.5, Unit: "micron"})
					require.NoError(t, err)
					pb := y * x * dt.Size()
					raw := make([]byte, pb)
					for k := range z {
						for i := range raw {
							raw[i] = byte(k*31 + i*7 + 1)
						}
						require.NoError(t, w.WritePlane(raw))
					}
					require.NoError(t, w.Close())
					b, err := os.ReadFile(path)
					require.NoError(t, err)
					ifds := ifdOffsets(t, b)
					require.Len(t, ifds, z)
					r, err := Open(path)
					require.NoError(t, err)
					offs := make([]uint64, z)
					for k := range z {
						o, ok, err := r.rawRun(&r.pages[k])
						require.NoError(t, err)
						require.True(t, ok)
						offs[k] = o
						got := make([]byte, pb)
						require.NoError(t, r.ReadPlaneInto(k, got))
						for i := range got {
							require.Equal(t, byte(k*31+i*7+1), got[i], "%v %s plane %d byte %d", s, dt, k, i)
						}
					}
					r.Close()
					total := uint64(z * pb)
					shapedInfers := ifds[0]+total < ifds[1]
					imagejInfers := offs[0]+total <= ifds[1]
					if shapedInfers || imagejInfers {
						contiguous++
						for k := range z {
							require.Equal(t, offs[0]+uint64(k*pb), offs[k], "%v %s: plane %d is not where a contiguous reader looks", s, dt, k)
						}
					}
				}
			}
		}
	}
	require.Positive(t, contiguous, "some stacks are small enough to be laid out contiguously")
}

// TestShapedSqueezedPages reads files laid out as tifffile lays out arrays
// with an axis of length 1: a (Z, Y, 1) array as one Z×Y page whose
// description keeps the shape. Each plane is then a column of the page.
func TestShapedSqueezedPages(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		shape []int
		pageY int
		pageX int
		pages int
	}{
		{[]int{2, 300, 1}, 2, 300, 1},
		{[]int{3, 7, 1}, 3, 7, 1},
		{[]int{5, 1, 9}, 5, 9, 1},
		{[]int{64, 1}, 1, 64, 1},
		{[]int{4, 5, 6, 1}, 5, 6, 4},
	} {
		path := filepath.Join(dir, "sq.tif")
		desc := fmt.Sprintf(`{"shape": %v}`, formatInts(c.shape))
		v := stack.New[uint16](stack.Shape{Z: c.pages, Y: c.pageY, X: c.pageX})
		for i := range v.Data {
			v.Data[i] = uint16(i*13 + 5)
		}
		require.NoError(t, WriteVolume(context.Background(), path, v, WriterOptions{Description: desc}))
		r, err := Open(path)
		require.NoError(t, err)
		n := len(c.shape)
		want := stack.Shape{Y: c.shape[n-2], X: c.shape[n-1]}
		want.Z = len(v.Data) / (want.Y * want.X)
		require.Equal(t, want, r.Shape(), "%v", c.shape)
		got, err := ReadVolume[uint16](context.Background(), r)
		require.NoError(t, err)
		require.Equal(t, v.Data, got.Data, "%v: the samples in order", c.shape)
		r.Close()

		// Compressed, the pages cannot be split without decoding: refused
		// by name, never read with the wrong shape.
		require.NoError(t, WriteVolume(context.Background(), path, v, WriterOptions{Description: desc, Compression: Deflate}))
		_, err = Open(path)
		var ue UnsupportedError
		require.True(t, errors.As(err, &ue), "%v: %v", c.shape, err)
		require.Contains(t, err.Error(), "tifffile shape")
	}
}

func formatInts(v []int) string {
	s := "["
	for i, x := range v {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprint(x)
	}
	return s + "]"
}
