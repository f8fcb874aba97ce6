package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCheckLabels(t *testing.T) {
	ref := []uint32{0, 1, 1, 0, 2, 2, 0, 3}
	msg, ok := checkLabels(append([]uint32(nil), ref...), ref, 0)
	require.True(t, ok)
	require.Equal(t, checkOK, msg)

	// Same objects, other numbers: ok, with the note.
	msg, ok = checkLabels([]uint32{0, 2, 2, 0, 3, 3, 0, 1}, ref, 0)
	require.True(t, ok)
	require.Equal(t, checkRenumber, msg)

	// Two objects merged.
	msg, ok = checkLabels([]uint32{0, 1, 1, 0, 1, 1, 0, 3}, ref, 0)
	require.False(t, ok)
	require.True(t, strings.HasPrefix(msg, "MISMATCH: 2 of 8"), msg)

	// One object split.
	_, ok = checkLabels([]uint32{0, 1, 4, 0, 2, 2, 0, 3}, ref, 0)
	require.False(t, ok)

	// Foreground differs.
	_, ok = checkLabels([]uint32{0, 1, 1, 5, 2, 2, 0, 3}, ref, 0)
	require.False(t, ok)

	_, ok = checkLabels([]uint32{0}, ref, 0)
	require.False(t, ok)

	// Per-plane numbering: planes of 4 voxels, each numbered from 1. The
	// same label in two planes is two objects, so a renumbering may differ
	// from plane to plane...
	ref2 := []uint32{1, 0, 2, 2 /**/, 1, 1, 0, 2}
	msg, ok = checkLabels([]uint32{2, 0, 1, 1 /**/, 1, 1, 0, 2}, ref2, 4)
	require.True(t, ok)
	require.Equal(t, checkRenumber, msg)
	// ...which a whole-volume comparison rejects.
	_, ok = checkLabels([]uint32{2, 0, 1, 1 /**/, 1, 1, 0, 2}, ref2, 0)
	require.False(t, ok)
	// A merge inside a plane is still caught.
	_, ok = checkLabels([]uint32{1, 0, 1, 1 /**/, 1, 1, 0, 2}, ref2, 4)
	require.False(t, ok)
}

func TestCheckFloat(t *testing.T) {
	ref := []float32{1000, 500, 0, -2}
	_, ok := checkFloat([]float32{1000.005, 500, 0.000005, -2}, ref, 1e-5)
	require.True(t, ok, "within 1e-5 relative, and near zero within 1e-5 of 1e-3 of the scale")
	msg, ok := checkFloat([]float32{1000.05, 500, 0, -2}, ref, 1e-5)
	require.False(t, ok)
	require.Contains(t, msg, "1 of 4")
	_, ok = checkFloat([]float32{1000, 500, 0.1, -2}, ref, 1e-5)
	require.False(t, ok)
}

func TestCheckScalar(t *testing.T) {
	_, ok := checkScalar(3, 3, 0)
	require.True(t, ok)
	_, ok = checkScalar(3.0000001, 3, 0)
	require.False(t, ok)
	_, ok = checkScalar(100.0001, 100, 1e-5)
	require.True(t, ok)
}
