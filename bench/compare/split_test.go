package main

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/synth"
	"github.com/segstack/segstack/stack/tiff"
)

// checkSplit accepts equal labels and rejects a voxel that differs away
// from the threshold.
func TestCheckSplit(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := stack.Shape{Z: 2, Y: 40, X: 50}
	img, err := synth.NucleiDense(s, 3, 0.4)
	require.NoError(t, err)
	in := filepath.Join(dir, "in.tif")
	require.NoError(t, tiff.WriteVolume(ctx, in, img, tiff.WriterOptions{}))
	lab := stack.New[uint32](s)
	for i := range lab.Data {
		lab.Data[i] = uint32(i % 7)
	}
	ref, same := filepath.Join(dir, "ref.tif"), filepath.Join(dir, "same.tif")
	require.NoError(t, tiff.WriteVolume(ctx, ref, lab, tiff.WriterOptions{}))
	require.NoError(t, tiff.WriteVolume(ctx, same, stack.Convert[uint16](lab), tiff.WriterOptions{}))
	msg, ok := checkSplit(ctx, same, ref, in, s)
	require.True(t, ok, msg)
	require.Equal(t, "labels equal, voxel for voxel", msg)

	// A background voxel of noise (about 100, the threshold near 1000).
	lab.Data[s.PlaneLen()] = 99
	other := filepath.Join(dir, "other.tif")
	require.NoError(t, tiff.WriteVolume(ctx, other, lab, tiff.WriterOptions{}))
	msg, ok = checkSplit(ctx, other, ref, in, s)
	require.False(t, ok)
	require.Contains(t, msg, "MISMATCH in plane 1 at (0, 0): 99, segstack 5")

	msg, ok = checkSplit(ctx, other, ref, in, stack.Shape{Z: 1, Y: 40, X: 50})
	require.False(t, ok)
	require.Contains(t, msg, "shapes")
}
