package zarr

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/segstack/segstack/internal/filetree"
	"github.com/segstack/segstack/stack"
	"github.com/stretchr/testify/require"
)

// An image written by several joined writers, each writing some planes
// and releasing, then committed by one that is told what the others saw,
// holds the same files as one ImageWriter writing every plane.
func TestJoinImage(t *testing.T) {
	ctx := context.Background()
	for _, format := range []int{2, 3} {
		o := ImageOptions{ZarrFormat: format, Shape: stack.Shape{Z: 5, Y: 40, X: 70}, Chunks: stack.Shape{Z: 1, Y: 16, X: 32},
			DType: Uint16, Codec: BloscLZ4(5), Name: "cells"}
		lo := o
		lo.DType = Uint32
		plane := func(z int, label bool) []byte {
			n := o.Shape.PlaneLen()
			b := make([]byte, 0, 4*n)
			for i := range n {
				v := uint32((z*131 + i*7) % 977)
				if label {
					v = uint32((z + i/50) % 9)
					b = append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
				} else {
					b = append(b, byte(v), byte(v>>8))
				}
			}
			return b
		}
		dir := t.TempDir()
		want := filepath.Join(dir, "want")
		iw, err := CreateImage(ctx, want, o)
		require.NoError(t, err)
		lw, err := CreateLabels(ctx, want, "cells", lo)
		require.NoError(t, err)
		for z := range o.Shape.Z {
			require.NoError(t, iw.WritePlane(ctx, z, plane(z, false)))
			require.NoError(t, lw.WritePlane(ctx, z, plane(z, true)))
		}
		require.NoError(t, lw.Close())
		require.NoError(t, iw.Close())

		got := filepath.Join(dir, "got")
		lpath := filepath.Join(got, "labels", "cells")
		c, err := JoinImage(ctx, got, o, Join{Create: true})
		require.NoError(t, err)
		require.NoError(t, c.Release())
		c, err = JoinImage(ctx, lpath, lo, Join{Create: true, Label: true, Name: "cells"})
		require.NoError(t, err)
		require.NoError(t, c.Release())
		// Two writers, planes split between them, one plane written twice.
		type seen struct {
			lo, hi float64
			max    uint64
		}
		var obs []seen
		for _, zs := range [][]int{{0, 2, 4}, {1, 3, 2}} {
			w, err := JoinImage(ctx, got, o, Join{})
			require.NoError(t, err)
			l, err := JoinImage(ctx, lpath, lo, Join{Label: true, Name: "cells"})
			require.NoError(t, err)
			for _, z := range zs {
				require.NoError(t, w.WritePlaneNow(ctx, z, plane(z, false)))
				require.NoError(t, l.WritePlane(ctx, z, plane(z, true)))
			}
			require.NoError(t, w.Release())
			require.NoError(t, l.Release())
			a, b, _ := w.Observed(0)
			_, _, m := l.Observed(0)
			obs = append(obs, seen{a, b, m})
		}
		w, err := JoinImage(ctx, got, o, Join{})
		require.NoError(t, err)
		l, err := JoinImage(ctx, lpath, lo, Join{Label: true, Name: "cells"})
		require.NoError(t, err)
		for _, s := range obs {
			w.Observe(0, s.lo, s.hi, 0)
			l.Observe(0, 1, 0, s.max)
		}
		require.NoError(t, l.Close())
		require.NoError(t, w.Close())

		files := func(root string) map[string][]byte {
			m, err := filetree.Read(root)
			require.NoError(t, err)
			return m
		}
		wf, gf := files(want), files(got)
		require.Equal(t, len(wf), len(gf), "zarr v%d", format)
		for name, b := range wf {
			require.True(t, bytes.Equal(b, gf[name]), "zarr v%d: %s differs", format, name)
		}
	}
	_, err := JoinImage(ctx, t.TempDir(), ImageOptions{Shape: stack.Shape{Z: 2, Y: 4, X: 4}, Chunks: stack.Shape{Z: 2}, DType: Uint8}, Join{Create: true})
	require.ErrorContains(t, err, "chunks one plane deep")
}
