package kernels

import (
	"bytes"
	"context"
	"encoding/gob"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/stack"
)

// chunkShapesFor lists chunk shapes to try on s, from one voxel wide to
// the whole volume, ragged ones included.
func chunkShapesFor(rng *rand.Rand, s stack.Shape) []stack.Shape {
	out := []stack.Shape{
		s,
		{Z: 1, Y: s.Y, X: s.X},
		{Z: s.Z, Y: 1, X: s.X},
		{Z: s.Z, Y: s.Y, X: 1},
		{Z: 1, Y: 1, X: 1},
		{Z: 2, Y: 3, X: 5},
	}
	for range 4 {
		out = append(out, stack.Shape{Z: 1 + rng.IntN(s.Z), Y: 1 + rng.IntN(s.Y), X: 1 + rng.IntN(s.X)})
	}
	return out
}

// TestLabelChunkedMatchesLabel compares chunked labelling with the
// whole-volume labeller on random volumes and many chunk shapes.
func TestLabelChunkedMatchesLabel(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(11, 12))
	ctx := context.Background()
	cases := 150
	if testing.Short() {
		cases = 40
	}
	for c := range cases {
		var s stack.Shape
		if c%2 == 0 {
			s = stack.Shape{Z: 1, Y: 1 + rng.IntN(20), X: 1 + rng.IntN(40)}
		} else {
			s = stack.Shape{Z: 1 + rng.IntN(6), Y: 1 + rng.IntN(9), X: 1 + rng.IntN(12)}
		}
		m := randomMask(rng, s, rng.Float64(), rng.IntN(2) == 0)
		in := stack.New[float32](s)
		for i := range in.Data {
			in.Data[i] = rng.Float32()*10 - 3
		}
		for _, conn := range connsFor(s) {
			want := stack.New[uint32](s)
			wn, wreg, err := LabelWithStats(ctx, want, m, in, conn)
			require.NoError(t, err)
			for _, cs := range chunkShapesFor(rng, s) {
				dst := stack.New[uint32](s)
				n, err := LabelChunked(ctx, dst, m, cs, conn)
				require.NoError(t, err)
				require.Equal(t, wn, n, "shape %v chunks %v conn %d", s, cs, conn)
				require.Equal(t, want.Data, dst.Data, "shape %v chunks %v conn %d", s, cs, conn)
				clear(dst.Data)
				n, reg, err := LabelChunkedWithStats(ctx, dst, m, in, cs, conn)
				require.NoError(t, err)
				require.Equal(t, wn, n)
				require.Equal(t, want.Data, dst.Data)
				requireRegionsClose(t, wreg, reg)
			}
		}
	}
}

func requireRegionsClose(t *testing.T, want, got []Region) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		w, g := want[i], got[i]
		require.Equal(t, w.Label, g.Label)
		require.Equal(t, w.Area, g.Area)
		require.Equal(t, w.BBox, g.BBox)
		require.Equal(t, w.Centroid, g.Centroid) // exact: integer sums
		require.InDelta(t, w.MeanIntensity, g.MeanIntensity, 1e-9)
		require.Equal(t, w.MinIntensity, g.MinIntensity)
		require.Equal(t, w.MaxIntensity, g.MaxIntensity)
	}
}

// TestLabelChunkedFixtures runs the scipy fixtures through the chunked path.
func TestLabelChunkedFixtures(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(13, 14))
	ctx := context.Background()
	for _, c := range loadLabelFixtures(t) {
		for _, cs := range chunkShapesFor(rng, c.Mask.Shape)[:7] {
			dst := stack.New[uint32](c.Mask.Shape)
			n, err := LabelChunked(ctx, dst, c.Mask, cs, Connectivity(c.Conn))
			require.NoError(t, err)
			require.Equal(t, c.N, n, "%s chunks %v", c.Name, cs)
			require.Equal(t, c.Labels, dst.Data, "%s chunks %v", c.Name, cs)
		}
		if c.Intensity != nil {
			dst := stack.New[uint32](c.Mask.Shape)
			_, reg, err := LabelChunkedWithStats(ctx, dst, c.Mask, c.Intensity, stack.Shape{Z: 2, Y: 7, X: 9}, Connectivity(c.Conn))
			require.NoError(t, err)
			checkRegions(t, c, reg)
		}
	}
}

// TestChunkStreaming drives the three steps as separate tasks over Z slabs,
// with every ChunkLabels sent through gob as if to another machine and the
// local labels kept apart until the relabel pass.
func TestChunkStreaming(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(15, 16))
	ctx := context.Background()
	s := stack.Shape{Z: 23, Y: 31, X: 37}
	m := randomMask(rng, s, 0.45, true)
	clear(m.Data[4*31*37 : 8*31*37]) // an empty slab, whose sums gob returns as nil
	for _, conn := range []Connectivity{Conn6, Conn18, Conn26} {
		want := stack.New[uint32](s)
		wn, err := Label(ctx, want, m, conn)
		require.NoError(t, err)
		grid, err := stack.NewGrid(s, stack.Shape{Z: 4, Y: s.Y, X: s.X})
		require.NoError(t, err)
		locals := make([]*stack.Volume[uint32], grid.Len())
		infos := make([]*ChunkLabels, grid.Len())
		for i, box := range grid.Boxes() {
			slab := m.Slab(box.Lo[0], box.Hi[0])
			locals[i] = stack.New[uint32](slab.Shape)
			var info *ChunkLabels
			if i%2 == 0 {
				info, err = LabelChunk(ctx, grid, i, locals[i], slab, nil, conn)
			} else {
				// The fused threshold path on the same voxels.
				src := stack.Convert[float32](slab)
				info, err = LabelChunkAbove(ctx, grid, i, locals[i], src, 0, nil, conn)
			}
			require.NoError(t, err)
			require.Nil(t, info.Faces[FaceYLo])
			require.Nil(t, info.Faces[FaceXHi])
			var buf bytes.Buffer
			require.NoError(t, gob.NewEncoder(&buf).Encode(info))
			infos[i] = &ChunkLabels{}
			require.NoError(t, gob.NewDecoder(&buf).Decode(infos[i]))
		}
		rl, err := MergeChunks(ctx, grid, infos, conn)
		require.NoError(t, err)
		require.Equal(t, wn, rl.N)
		require.Len(t, rl.Regions, wn)
		for i, box := range grid.Boxes() {
			require.NoError(t, RelabelChunk(locals[i], rl, i))
			require.Equal(t, want.Slab(box.Lo[0], box.Hi[0]).Data, locals[i].Data, "conn %d slab %d", conn, i)
		}
	}
}

func TestMergeChunksErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := stack.Shape{Z: 1, Y: 4, X: 6}
	m := stack.New[uint8](s)
	for i := range m.Data {
		m.Data[i] = uint8(i % 2)
	}
	grid, err := stack.NewGrid(s, stack.Shape{Z: 1, Y: 2, X: 3})
	require.NoError(t, err)
	infos := make([]*ChunkLabels, grid.Len())
	for i, box := range grid.Boxes() {
		sub, err := stack.ExtractTile(m, box, [3]int{}, stack.Constant, 0, nil)
		require.NoError(t, err)
		infos[i], err = LabelChunk(ctx, grid, i, stack.New[uint32](sub.Shape), sub, nil, Conn8)
		require.NoError(t, err)
	}
	_, err = MergeChunks(ctx, grid, infos[:3], Conn8)
	require.Error(t, err)
	_, err = MergeChunks(ctx, grid, []*ChunkLabels{infos[1], infos[0], infos[2], infos[3]}, Conn8)
	require.Error(t, err)
	bad := *infos[0]
	bad.Faces[FaceXHi] = []uint32{1}
	_, err = MergeChunks(ctx, grid, []*ChunkLabels{&bad, infos[1], infos[2], infos[3]}, Conn8)
	require.Error(t, err)
	bad = *infos[0]
	bad.Faces[FaceXHi] = []uint32{99, 0}
	_, err = MergeChunks(ctx, grid, []*ChunkLabels{&bad, infos[1], infos[2], infos[3]}, Conn8)
	require.Error(t, err)
	_, err = MergeChunks(ctx, grid, infos, Conn26+1)
	require.ErrorIs(t, err, ErrConnectivity)
	rl, err := MergeChunks(ctx, grid, infos, Conn8)
	require.NoError(t, err)
	require.Error(t, RelabelChunk(stack.New[uint32](s), rl, 9))
	tooBig := stack.New[uint32](stack.Shape{Z: 1, Y: 2, X: 3})
	tooBig.Data[0] = 50
	require.Error(t, RelabelChunk(tooBig, rl, 0))
	_, err = LabelChunk(ctx, grid, 0, stack.New[uint32](s), m, nil, Conn8)
	require.Error(t, err) // the whole mask is not chunk 0's shape
	_, err = LabelChunk(ctx, grid, 7, stack.New[uint32](s), m, nil, Conn8)
	require.Error(t, err)
}

// Example_chunked labels a stack slab by slab, as separate tasks would: each
// slab's local labels could go to disk while only its ChunkLabels is kept.
func Example_chunked() {
	ctx := context.Background()
	mask, _ := stack.FromSlice(stack.Shape{Z: 4, Y: 2, X: 3}, []uint8{
		1, 0, 0, 0, 0, 1, // z=0
		1, 0, 0, 0, 0, 1, // z=1
		0, 0, 0, 0, 0, 1, // z=2
		1, 0, 0, 0, 1, 1, // z=3
	})
	grid, _ := stack.NewGrid(mask.Shape, stack.Shape{Z: 2, Y: 2, X: 3})
	locals := make([]*stack.Volume[uint32], grid.Len())
	infos := make([]*ChunkLabels, grid.Len())
	for i, box := range grid.Boxes() {
		slab := mask.Slab(box.Lo[0], box.Hi[0])
		locals[i] = stack.New[uint32](slab.Shape)
		infos[i], _ = LabelChunk(ctx, grid, i, locals[i], slab, nil, Conn6)
	}
	rl, _ := MergeChunks(ctx, grid, infos, Conn6)
	for i := range locals {
		_ = RelabelChunk(locals[i], rl, i)
		fmt.Println(locals[i].Data)
	}
	fmt.Println(rl.N, rl.Regions[1].Area)
	// Output:
	// [1 0 0 0 0 2 1 0 0 0 0 2]
	// [0 0 0 0 0 2 3 0 0 0 2 2]
	// 3 5
}

// TestLabelLeavesNoGoroutines checks that the parallel labellers, finished
// or cancelled, leave no goroutine behind.
func TestLabelLeavesNoGoroutines(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(19, 20))
	s := stack.Shape{Z: 6, Y: 80, X: 90}
	m := randomMask(rng, s, 0.5, true)
	dst := stack.New[uint32](s)
	before := runtime.NumGoroutine()
	for range 5 {
		_, err := Label(ctx, dst, m, Conn26)
		require.NoError(t, err)
		_, err = LabelChunked(ctx, dst, m, stack.Shape{Z: 2, Y: 33, X: 40}, Conn26)
		require.NoError(t, err)
		_, _, err = labelVolume(ctx, dst, s, len(m.Data), maskRunFunc(m), Conn6, nil, true, 4)
		require.NoError(t, err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err := LabelChunked(cctx, dst, m, stack.Shape{Z: 1, Y: 7, X: 9}, Conn6)
	require.ErrorIs(t, err, context.Canceled)
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	require.LessOrEqual(t, runtime.NumGoroutine(), before)
}
