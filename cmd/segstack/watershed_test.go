package main

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
)

// wsInputs writes a small image with ties, sparse markers and a mask as
// TIFFs in dir and returns them.
func wsInputs(t *testing.T, dir string, s stack.Shape) (*stack.Volume[float32], *stack.Volume[uint32], *stack.Volume[uint8]) {
	r := rand.New(rand.NewPCG(11, 19))
	img := stack.New[float32](s)
	for i := range img.Data {
		img.Data[i] = float32(r.IntN(6)) / 2
	}
	mk := stack.New[uint32](s)
	for k := range 25 {
		mk.Data[r.IntN(s.Len())] = uint32(k + 1)
	}
	m := stack.New[uint8](s)
	for i := range m.Data {
		if r.IntN(6) != 0 {
			m.Data[i] = 255
		}
	}
	writeTIFF(t, filepath.Join(dir, "img.tif"), s, 1, 0, 0, func(i int) float32 { return img.Data[i] })
	writeTIFF(t, filepath.Join(dir, "mk.tif"), s, 1, 0, 0, func(i int) uint16 { return uint16(mk.Data[i]) })
	writeTIFF(t, filepath.Join(dir, "mask.tif"), s, 1, 0, 0, func(i int) uint8 { return m.Data[i] })
	return img, mk, m
}

func TestWatershedCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := stack.Shape{Z: 3, Y: 21, X: 17}
	img, mk, m := wsInputs(t, dir, s)
	ctx := context.Background()
	for _, conn := range []string{"4", "8", "6", "26"} {
		out := "ws" + conn + ".tif"
		stdout, stderr, code := run(t, dir, "watershed", "img.tif", "--markers", "mk.tif", "--mask", "mask.tif", "-o", out, "--connectivity", conn)
		require.Equal(t, 0, code, stderr)
		require.Contains(t, stdout, out)
		want := stack.New[uint32](s)
		var c int
		fmt.Sscan(conn, &c)
		if c == 4 || c == 8 {
			require.NoError(t, kernels.WatershedPlanes(ctx, want, img, mk, m, kernels.Connectivity(c), 1))
		} else {
			require.NoError(t, kernels.Watershed(ctx, want, img, mk, m, kernels.Connectivity(c)))
		}
		got := readLabels(t, filepath.Join(dir, out))
		require.Equal(t, want.Data, got.Data, conn)
	}
	// Without a mask.
	_, stderr, code := run(t, dir, "watershed", "img.tif", "--markers", "mk.tif", "-o", "nomask.tif", "--connectivity", "8")
	require.Equal(t, 0, code, stderr)
	want := stack.New[uint32](s)
	require.NoError(t, kernels.WatershedPlanes(ctx, want, img, mk, nil, kernels.Conn8, 1))
	require.Equal(t, want.Data, readLabels(t, filepath.Join(dir, "nomask.tif")).Data)

	// Errors name the flag.
	_, stderr, code = run(t, dir, "watershed", "img.tif", "-o", "x.tif")
	require.NotEqual(t, 0, code)
	require.Contains(t, stderr, "--markers")
	_, stderr, code = run(t, dir, "watershed", "img.tif", "--markers", "mk.tif", "-o", "x.tif", "--connectivity", "5")
	require.NotEqual(t, 0, code)
	require.Contains(t, stderr, "--connectivity")
	writeTIFF(t, filepath.Join(dir, "small.tif"), stack.Shape{Z: 1, Y: 2, X: 2}, 1, 0, 0, func(int) uint16 { return 1 })
	_, stderr, code = run(t, dir, "watershed", "img.tif", "--markers", "small.tif", "-o", "x.tif")
	require.NotEqual(t, 0, code)
	require.Contains(t, stderr, "shape")
	_, err := os.Stat(filepath.Join(dir, "x.tif"))
	require.True(t, os.IsNotExist(err), "a failed run leaves no output")
	// NaN in a later plane: the error names that plane of the stack.
	writeTIFF(t, filepath.Join(dir, "nan.tif"), s, 1, 0, 0, func(i int) float32 {
		if i == s.Y*s.X+5 {
			return float32(math.NaN())
		}
		return img.Data[i]
	})
	_, stderr, code = run(t, dir, "watershed", "nan.tif", "--markers", "mk.tif", "-o", "x.tif")
	require.NotEqual(t, 0, code)
	require.Contains(t, stderr, "plane 1: ")
	require.Contains(t, stderr, "NaN")
	_, err = os.Stat(filepath.Join(dir, "x.tif"))
	require.True(t, os.IsNotExist(err), "a failed run leaves no output")
}

func TestPeaksCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := stack.Shape{Z: 3, Y: 24, X: 20}
	img, _, _ := wsInputs(t, dir, s)
	ctx := context.Background()
	lab := stack.New[uint32](s)
	for i := range lab.Data {
		lab.Data[i] = uint32(i % s.X / 7)
	}
	writeTIFF(t, filepath.Join(dir, "lab.tif"), s, 1, 0, 0, func(i int) uint16 { return uint16(lab.Data[i]) })

	// 2d: per plane, numbered on across the stack.
	_, stderr, code := run(t, dir, "peaks", "img.tif", "-o", "pk.tif", "--min-distance", "2", "--threshold-rel", "0.5", "--csv", "pk.csv", "--labels", "lab.tif")
	require.Equal(t, 0, code, stderr)
	want := stack.New[uint32](s)
	var rows []string
	total := 0
	ps := stack.Shape{Z: 1, Y: s.Y, X: s.X}
	for z := range s.Z {
		pi := &stack.Volume[float32]{Shape: ps, Data: img.Plane(z)}
		pl := &stack.Volume[uint32]{Shape: ps, Data: lab.Plane(z)}
		peaks, err := kernels.PeakLocalMax(ctx, pi, kernels.PeakOptions{MinDistance: 2, ThresholdRel: 0.5, ExcludeBorder: -1, Labels: pl})
		require.NoError(t, err)
		for i, c := range peaks {
			want.Data[(z*s.Y+c[1])*s.X+c[2]] = uint32(total + i + 1)
			rows = append(rows, fmt.Sprintf("%d,%d,%d,%d,%g", total+i+1, z, c[1], c[2], pi.Data[c[1]*s.X+c[2]]))
		}
		total += len(peaks)
	}
	require.Positive(t, total)
	require.Equal(t, want.Data, readLabels(t, filepath.Join(dir, "pk.tif")).Data)
	csv, err := os.ReadFile(filepath.Join(dir, "pk.csv"))
	require.NoError(t, err)
	require.Equal(t, "label,z,y,x,value\n"+strings.Join(rows, "\n")+"\n", string(csv))

	// 3d.
	_, stderr, code = run(t, dir, "peaks", "img.tif", "-o", "pk3.tif", "--mode", "3d", "--min-distance", "3", "--threshold-abs", "1.5", "--exclude-border", "0")
	require.Equal(t, 0, code, stderr)
	peaks, err := kernels.PeakLocalMax(ctx, img, kernels.PeakOptions{MinDistance: 3, ThresholdAbs: 1.5, HasThresholdAbs: true})
	require.NoError(t, err)
	want3 := stack.New[uint32](s)
	require.NoError(t, kernels.Markers(want3, peaks))
	require.Equal(t, want3.Data, readLabels(t, filepath.Join(dir, "pk3.tif")).Data)

	_, stderr, code = run(t, dir, "peaks", "img.tif", "-o", "bad.tif", "--mode", "4d")
	require.NotEqual(t, 0, code)
	require.Contains(t, stderr, "--mode")
}
