package main

import (
	"context"
	"fmt"
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
	s := stack.Shape{Z: 2, Y: 128, X: 128}
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

	dir := filepath.Dir(in)
	refPath := filepath.Join(dir, "ref.tif")
	require.NoError(t, tiff.WriteVolume(ctx, refPath, &stack.Volume[uint32]{Shape: s, Data: ref}, tiff.WriterOptions{}))
	check := func(labels []uint32) (string, bool) {
		p := filepath.Join(dir, "got.tif")
		require.NoError(t, tiff.WriteVolume(ctx, p, &stack.Volume[uint32]{Shape: s, Data: labels}, tiff.WriterOptions{}))
		return checkPipeline(ctx, p, refPath, in, s)
	}

	msg, ok := check(append([]uint32(nil), ref...))
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
	msg, ok = check(swapped)
	require.True(t, ok, msg)
	require.Equal(t, checkRenumber, msg)

	// A voxel far below the threshold marked foreground is a mismatch.
	bad := append([]uint32(nil), ref...)
	bad[far] = 99
	msg, ok = check(bad)
	require.False(t, ok)
	require.True(t, strings.HasPrefix(msg, "MISMATCH"), msg)
	require.Contains(t, msg, "from the threshold")

	// Two objects merged in a plane is a mismatch too.
	merged := append([]uint32(nil), ref...)
	plane := -1
	for i, v := range merged {
		if v == 2 {
			plane = i / s.PlaneLen()
			break
		}
	}
	require.GreaterOrEqual(t, plane, 0, "no plane with two objects")
	for i := plane * s.PlaneLen(); i < (plane+1)*s.PlaneLen(); i++ {
		if merged[i] == 2 {
			merged[i] = 1
		}
	}
	msg, ok = check(merged)
	require.False(t, ok)
	require.Contains(t, msg, fmt.Sprintf("MISMATCH in plane %d", plane))

	// A file of another shape.
	p := filepath.Join(dir, "small.tif")
	require.NoError(t, tiff.WriteVolume(ctx, p, &stack.Volume[uint32]{Shape: stack.Shape{Z: 1, Y: 2, X: 2}, Data: make([]uint32, 4)}, tiff.WriterOptions{}))
	_, ok = checkPipeline(ctx, p, refPath, in, s)
	require.False(t, ok)
}
