package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/synth"
	"github.com/segstack/segstack/stack/tiff"
)

func TestCheckPipelineLabels(t *testing.T) {
	ctx := context.Background()
	s := stack.Shape{Z: 2, Y: 40, X: 48}
	in := filepath.Join(t.TempDir(), "in.tif")
	vol := synth.Nuclei(s, 3)
	require.NoError(t, tiff.WriteVolume(ctx, in, vol, tiff.WriterOptions{}))

	// segstack's labels, plane by plane, from the same smoothing the check
	// uses.
	r, err := tiff.Open(in)
	require.NoError(t, err)
	defer r.Close()
	ref := make([]uint32, s.Len())
	far := -1
	for z := range s.Z {
		sm, th, err := smoothPlane(ctx, r, z, s)
		require.NoError(t, err)
		ps := stack.Shape{Z: 1, Y: s.Y, X: s.X}
		src, err := stack.FromSlice(ps, sm)
		require.NoError(t, err)
		dst, err := stack.FromSlice(ps, ref[z*s.PlaneLen():(z+1)*s.PlaneLen()])
		require.NoError(t, err)
		n, err := kernels.LabelAbove(ctx, dst, src, th, kernels.Conn4)
		require.NoError(t, err)
		require.Positive(t, n)
		for i, v := range sm {
			if far < 0 && v < th/2 {
				far = z*s.PlaneLen() + i
			}
		}
	}
	require.GreaterOrEqual(t, far, 0)

	msg, ok := checkPipelineLabels(ctx, append([]uint32(nil), ref...), ref, s, in)
	require.True(t, ok, msg)
	require.Equal(t, checkOK, msg)

	// Other numbers for the same objects.
	swapped := append([]uint32(nil), ref...)
	for i, v := range swapped {
		if v == 1 {
			swapped[i] = 2
		} else if v == 2 {
			swapped[i] = 1
		}
	}
	msg, ok = checkPipelineLabels(ctx, swapped, ref, s, in)
	require.True(t, ok, msg)
	require.Equal(t, checkRenumber, msg)

	// A voxel far below the threshold marked foreground is a mismatch.
	bad := append([]uint32(nil), ref...)
	bad[far] = 99
	msg, ok = checkPipelineLabels(ctx, bad, ref, s, in)
	require.False(t, ok)
	require.True(t, strings.HasPrefix(msg, "MISMATCH"), msg)
	require.Contains(t, msg, "from the threshold")
}
