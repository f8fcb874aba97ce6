package kernels

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/stack"
)

// labelChunks labels every chunk of grid over m, keeping the local labels.
func labelChunks(t *testing.T, grid stack.Grid, m *stack.Volume[uint8], intensity *stack.Volume[float32], conn Connectivity) ([]*ChunkLabels, []*stack.Volume[uint32]) {
	t.Helper()
	ctx := context.Background()
	infos := make([]*ChunkLabels, grid.Len())
	locals := make([]*stack.Volume[uint32], grid.Len())
	for i, box := range grid.Boxes() {
		sub, err := stack.ExtractTile(m, box, [3]int{}, stack.Constant, 0, nil)
		require.NoError(t, err)
		var in *stack.Volume[float32]
		if intensity != nil {
			in, err = stack.ExtractTile(intensity, box, [3]int{}, stack.Constant, 0, nil)
			require.NoError(t, err)
		}
		locals[i] = stack.New[uint32](sub.Shape)
		infos[i], err = LabelChunk(ctx, grid, i, locals[i], sub, in, conn)
		require.NoError(t, err)
	}
	return infos, locals
}

// A ChunkMerger given the chunks in any order gives MergeChunks' result,
// and once every chunk is in it holds no face.
func TestChunkMergerAnyOrder(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(31, 32))
	ctx := context.Background()
	for _, s := range []stack.Shape{{Z: 1, Y: 23, X: 29}, {Z: 9, Y: 13, X: 17}} {
		m := randomMask(rng, s, 0.5, true)
		intensity := stack.New[float32](s)
		for i := range intensity.Data {
			intensity.Data[i] = float32(rng.IntN(1000))
		}
		for _, conn := range connsFor(s) {
			for _, cs := range chunkShapesFor(rng, s) {
				name := fmt.Sprintf("%v conn %d chunks %v", s, conn, cs)
				grid, err := stack.NewGrid(s, cs)
				require.NoError(t, err)
				infos, _ := labelChunks(t, grid, m, intensity, conn)
				want, err := MergeChunks(ctx, grid, infos, conn)
				require.NoError(t, err, name)
				for range 3 {
					order := rng.Perm(grid.Len())
					mg, err := NewChunkMerger(grid, conn)
					require.NoError(t, err)
					for _, i := range order {
						require.NoError(t, mg.Add(ctx, infos[i]), name)
					}
					for i, mc := range mg.chunks {
						for f, face := range mc.faces {
							require.Nil(t, face, "%s: chunk %d face %d kept", name, i, f)
						}
					}
					got, err := mg.Relabeling(ctx)
					require.NoError(t, err, name)
					require.Equal(t, want, got, name)
				}
			}
		}
	}
}

// With RecycleFaces, faces let go of are reused by later chunks' faces
// and the result is unchanged: chunks are labelled and added one after
// another (in a random order), each labelled after the previous ones'
// faces went back.
func TestChunkMergerRecyclesFaces(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(39, 40))
	ctx := context.Background()
	s := stack.Shape{Z: 9, Y: 13, X: 17}
	m := randomMask(rng, s, 0.5, true)
	for _, conn := range connsFor(s) {
		for _, cs := range []stack.Shape{{Z: 1, Y: 13, X: 17}, {Z: 2, Y: 5, X: 17}, {Z: 3, Y: 4, X: 6}} {
			name := fmt.Sprintf("conn %d chunks %v", conn, cs)
			grid, err := stack.NewGrid(s, cs)
			require.NoError(t, err)
			infos, _ := labelChunks(t, grid, m, nil, conn)
			want, err := MergeChunks(ctx, grid, infos, conn)
			require.NoError(t, err, name)
			mg, err := NewChunkMerger(grid, conn)
			require.NoError(t, err)
			mg.RecycleFaces()
			for _, i := range rng.Perm(grid.Len()) {
				box := grid.Box(i)
				sub, err := stack.ExtractTile(m, box, [3]int{}, stack.Constant, 0, nil)
				require.NoError(t, err)
				ch, err := LabelChunk(ctx, grid, i, nil, sub, nil, conn)
				require.NoError(t, err)
				require.NoError(t, mg.Add(ctx, ch), name)
			}
			got, err := mg.Relabeling(ctx)
			require.NoError(t, err, name)
			require.Equal(t, want, got, name)
		}
	}
}

// Chunks added in order along Z, as the 3-D pipeline adds its slabs, are
// let go of as soon as the next slab is in.
func TestChunkMergerReleasesFaces(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(33, 34))
	ctx := context.Background()
	s := stack.Shape{Z: 8, Y: 11, X: 13}
	m := randomMask(rng, s, 0.5, true)
	grid, err := stack.NewGrid(s, stack.Shape{Z: 1, Y: s.Y, X: s.X})
	require.NoError(t, err)
	infos, _ := labelChunks(t, grid, m, nil, Conn26)
	mg, err := NewChunkMerger(grid, Conn26)
	require.NoError(t, err)
	for i, ch := range infos {
		require.NoError(t, mg.Add(ctx, ch))
		held := 0
		for _, mc := range mg.chunks[:i+1] {
			for _, f := range mc.faces {
				if f != nil {
					held++
				}
			}
		}
		if i < len(infos)-1 {
			require.Equal(t, 1, held, "after slab %d: only its high face waits", i)
		} else {
			require.Zero(t, held)
		}
	}
}

func TestChunkMergerErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(35, 36))
	s := stack.Shape{Z: 3, Y: 4, X: 5}
	m := randomMask(rng, s, 0.5, false)
	grid, err := stack.NewGrid(s, stack.Shape{Z: 1, Y: 4, X: 5})
	require.NoError(t, err)
	infos, _ := labelChunks(t, grid, m, nil, Conn6)
	_, err = NewChunkMerger(grid, Conn4)
	require.ErrorIs(t, err, ErrConnectivity)
	_, err = NewChunkMerger(stack.Grid{}, Conn6)
	require.Error(t, err)
	_, err = LabelChunk(ctx, stack.Grid{}, 0, nil, m, nil, Conn6)
	require.Error(t, err)
	mg, err := NewChunkMerger(grid, Conn6)
	require.NoError(t, err)
	require.NoError(t, mg.Add(ctx, infos[2]))
	require.Error(t, mg.Add(ctx, infos[2]), "added twice")
	require.Error(t, mg.Add(ctx, nil))
	bad := *infos[0]
	bad.Index = 7
	require.Error(t, mg.Add(ctx, &bad))
	bad = *infos[0]
	bad.Faces[FaceZHi] = bad.Faces[FaceZHi][:3]
	require.Error(t, mg.Add(ctx, &bad))
	_, err = mg.Relabeling(ctx)
	require.ErrorContains(t, err, "chunk 0 missing")

	// A face label beyond the chunk's labels fails the Add that joins it.
	for _, f := range []int{FaceZLo, FaceZHi} {
		mg, err = NewChunkMerger(grid, Conn6)
		require.NoError(t, err)
		bad = *infos[1]
		bad.Faces[f] = slices.Clone(bad.Faces[f])
		for i := range bad.Faces[f] {
			bad.Faces[f][i] = uint32(bad.N + 1)
		}
		require.NoError(t, mg.Add(ctx, &bad))
		err = mg.Add(ctx, infos[0])
		if f == FaceZLo {
			require.ErrorContains(t, err, "face holds label")
		} else {
			require.NoError(t, err)
			require.ErrorContains(t, mg.Add(ctx, infos[2]), "face holds label")
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	require.ErrorIs(t, mg.Add(cctx, infos[0]), context.Canceled)
}

// joinFaces, which walks runs and skips repeated pairs, joins exactly the
// provisional labels that a plain scan of every pair of touching voxels
// joins, for the reach of every connectivity's cuts.
func TestJoinFacesMatchesBruteForce(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(8, 1))
	type cut struct {
		conn Connectivity
		axis int
		nb   int // rows of the faces (1 for a cut through a single plane)
	}
	cuts := []cut{{Conn6, 0, 9}, {Conn18, 0, 9}, {Conn26, 0, 9}, {Conn18, 1, 9}, {Conn26, 2, 9}, {Conn4, 1, 1}, {Conn8, 1, 1}, {Conn8, 2, 1}}
	const nc = 13
	for trial := range 200 {
		for _, c := range cuts {
			nb := c.nb
			hi := make([]uint32, nb*nc)
			lo := make([]uint32, nb*nc)
			// Sparse faces with many labels, so that most pairs touch at
			// one place only and a missed neighbour changes the result;
			// runs of one label in lo, as a labeller makes them.
			na, nl := 1+rng.IntN(60), 1+rng.IntN(60)
			density := 2 + rng.IntN(6)
			for i := range hi {
				if rng.IntN(density) == 0 {
					hi[i] = 1 + uint32(rng.IntN(na))
				}
				switch {
				case i%nc > 0 && lo[i-1] != 0 && rng.IntN(2) == 0:
					lo[i] = lo[i-1]
				case rng.IntN(density) == 0:
					lo[i] = 1 + uint32(rng.IntN(nl))
				}
			}
			shape := stack.Shape{Z: 3, Y: 3, X: 3}
			if c.nb == 1 {
				shape.Z = 1
			}
			mg, err := NewChunkMerger(stack.Grid{Shape: shape, Chunk: shape}, c.conn)
			require.NoError(t, err)
			reach := mg.reach[c.axis]

			got := make([]uint32, na+nl)
			want := make([]uint32, na+nl)
			for i := range got {
				got[i], want[i] = uint32(i), uint32(i)
			}
			require.NoError(t, joinFaces(got, hi, 0, na, lo, uint32(na), nl, nb, nc, reach))

			b, cax := otherAxes(c.axis)
			for _, d := range connOffsets(mustNorm(t, c.conn, shape)) {
				if d[c.axis] != 1 {
					continue
				}
				for u := range nb {
					for v := range nc {
						uu, vv := u+d[b], v+d[cax]
						if uu < 0 || uu >= nb || vv < 0 || vv >= nc {
							continue
						}
						if la, lb := hi[u*nc+v], lo[uu*nc+vv]; la != 0 && lb != 0 {
							union(want, la-1, uint32(na)+lb-1)
						}
					}
				}
			}
			for id := range uint32(na + nl) {
				require.Equal(t, find(want, id), find(got, id), "trial %d conn %d axis %d id %d", trial, c.conn, c.axis, id)
			}
		}
	}
}

func mustNorm(t *testing.T, c Connectivity, s stack.Shape) Connectivity {
	t.Helper()
	n, err := normConn(c, s)
	require.NoError(t, err)
	return n
}

// The cuts of every connectivity touch across an interval of columns for
// each row offset, which is what joinFaces' reach describes.
func TestCutReachIsIntervals(t *testing.T) {
	t.Parallel()
	for _, s := range []stack.Shape{{Z: 1, Y: 3, X: 3}, {Z: 3, Y: 3, X: 3}} {
		for _, conn := range connsFor(s) {
			c := mustNorm(t, conn, s)
			mg, err := NewChunkMerger(stack.Grid{Shape: s, Chunk: s}, conn)
			require.NoError(t, err)
			for a := range 3 {
				b, cax := otherAxes(a)
				cols := map[int][]int{}
				for _, d := range connOffsets(c) {
					if d[a] == 1 {
						cols[d[b]] = append(cols[d[b]], d[cax])
					}
				}
				for du := -1; du <= 1; du++ {
					e := mg.reach[a][du+1]
					var want []int
					for dv := -e; dv <= e; dv++ {
						want = append(want, dv)
					}
					got := cols[du]
					slices.Sort(got)
					require.Equal(t, want, got, "conn %d axis %d du %d", conn, a, du)
				}
			}
		}
	}
}

// LabelChunkAbove without a destination makes the same ChunkLabels, with
// faces equal to the labels' planes, as it does when writing the labels.
func TestLabelChunkWithoutLabels(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(37, 38))
	ctx := context.Background()
	s := stack.Shape{Z: 7, Y: 19, X: 23}
	src := stack.New[float32](s)
	for i := range src.Data {
		src.Data[i] = rng.Float32()
	}
	for _, cs := range []stack.Shape{{Z: 1, Y: 19, X: 23}, {Z: 3, Y: 5, X: 23}, {Z: 2, Y: 7, X: 4}, {Z: 7, Y: 1, X: 1}} {
		grid, err := stack.NewGrid(s, cs)
		require.NoError(t, err)
		for i, box := range grid.Boxes() {
			sub, err := stack.ExtractTile(src, box, [3]int{}, stack.Constant, 0, nil)
			require.NoError(t, err)
			lab := stack.New[uint32](sub.Shape)
			want, err := LabelChunkAbove(ctx, grid, i, lab, sub, 0.6, sub, Conn18)
			require.NoError(t, err)
			got, err := LabelChunkAbove(ctx, grid, i, nil, sub, 0.6, sub, Conn18)
			require.NoError(t, err)
			require.Equal(t, want, got, "chunks %v chunk %d", cs, i)
			// Each face is the labels' plane at the chunk's edge.
			dims := sub.Shape.Dims()
			for a := range 3 {
				for side, pos := range [2]int{0, dims[a] - 1} {
					f := got.Faces[2*a+side]
					if f == nil {
						continue
					}
					var plane []uint32
					for z := range sub.Shape.Z {
						for y := range sub.Shape.Y {
							for x := range sub.Shape.X {
								if [3]int{z, y, x}[a] == pos {
									plane = append(plane, lab.At(z, y, x))
								}
							}
						}
					}
					require.Equal(t, plane, f, "chunks %v chunk %d face %d", cs, i, 2*a+side)
				}
			}
			n, err := LabelAbove(ctx, stack.New[uint32](sub.Shape), sub, 0.6, mustNorm(t, Conn18, s))
			require.NoError(t, err)
			require.Equal(t, n, got.N)
		}
	}
}
