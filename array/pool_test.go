package array

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/sched"
	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/tiff"
)

// bruteExtreme reduces a Z×Y×X uint16 volume over the flagged axes, the
// result laid out over the kept axes in order.
func bruteExtreme(v []uint16, s stack.Shape, axes [3]bool, isMax bool) []uint16 {
	n := [3]int{s.Z, s.Y, s.X}
	var out [3]int
	for a := range 3 {
		out[a] = n[a]
		if axes[a] {
			out[a] = 1
		}
	}
	res := make([]uint16, out[0]*out[1]*out[2])
	seen := make([]bool, len(res))
	for z := range n[0] {
		for y := range n[1] {
			for x := range n[2] {
				c := [3]int{z, y, x}
				for a := range 3 {
					if axes[a] {
						c[a] = 0
					}
				}
				o := (c[0]*out[1]+c[1])*out[2] + c[2]
				e := v[(z*n[1]+y)*n[2]+x]
				switch {
				case !seen[o]:
					res[o], seen[o] = e, true
				case isMax:
					res[o] = max(res[o], e)
				default:
					res[o] = min(res[o], e)
				}
			}
		}
	}
	return res
}

// TestRecycledBuffers runs Max and Min over TIFF stacks, whose plane reads
// are pooled and recycled by the reduction they are fused with, for
// several chunkings, two computations at once on one cluster, and checks
// every result against a brute-force one. It then reduces a persisted copy
// of the stack, directly and through a block function that returns its input, and checks
// that its chunks, which the reductions must not recycle or fold into, are
// unchanged.
func TestRecycledBuffers(t *testing.T) {
	ctx := context.Background()
	s := stack.Shape{Z: 13, Y: 40, X: 610} // planes above the pooling threshold
	path := filepath.Join(t.TempDir(), "s.tif")
	writeStack(t, path, s)
	vol, err := tiff.ReadFile[uint16](ctx, path)
	require.NoError(t, err)
	r, err := tiff.Open(path)
	require.NoError(t, err)
	defer r.Close()
	c, err := sched.NewLocalCluster(sched.Options{Workers: 2})
	require.NoError(t, err)
	defer c.Close()

	type job struct {
		chunk []int
		axes  []int
		max   bool
	}
	var jobs []job
	for _, chunk := range [][]int{nil, {3, 40, 610}, {2, 17, 610}, {5, 40, 250}, {13, 40, 610}} {
		for _, axes := range [][]int{{0}, {0, 1}, {}} {
			jobs = append(jobs, job{chunk, axes, true}, job{chunk, axes, false})
		}
	}
	run := func(j job) {
		a := FromTIFF(r, j.chunk)
		var m *Array
		if j.max {
			m = a.Max(j.axes...)
		} else {
			m = a.Min(j.axes...)
		}
		res, err := m.Compute(ctx, c)
		require.NoError(t, err)
		got, err := Data[uint16](res)
		require.NoError(t, err)
		var flags [3]bool
		for _, ax := range j.axes {
			flags[ax] = true
		}
		if len(j.axes) == 0 {
			flags = [3]bool{true, true, true}
		}
		require.Equal(t, bruteExtreme(vol.Data, s, flags, j.max), got, "%+v", j)
	}
	for round := range 2 {
		var wg sync.WaitGroup
		for k := range 2 {
			wg.Go(func() {
				for i := k; i < len(jobs); i += 2 {
					run(jobs[(i+round)%len(jobs)])
				}
			})
		}
		wg.Wait()
	}

	p, err := FromTIFF(r, nil).Persist(ctx, c)
	require.NoError(t, err)
	for range 2 {
		for _, m := range []*Array{p.Max(0), p.Min(0), MapBlocks(p, identity[uint16]).Max(0), MapBlocks(p, identity[uint16]).Min(0)} {
			_, err := m.Compute(ctx, c)
			require.NoError(t, err)
		}
		// Reads of another file's planes, recycled meanwhile, must not
		// land in the persisted chunks either.
		run(jobs[0])
	}
	got, err := Data[uint16](compute(t, p))
	require.NoError(t, err)
	require.Equal(t, vol.Data, got)
	mx, err := Data[uint16](compute(t, p.Max(0)))
	require.NoError(t, err)
	require.Equal(t, bruteExtreme(vol.Data, s, [3]bool{true, false, false}, true), mx)
}

// TestBufPoolsEveryDType takes, returns and takes again a pooled buffer of
// every element type, and one too small to pool: each comes back with the
// type and length asked for.
func TestBufPoolsEveryDType(t *testing.T) {
	for d := stack.Uint8; d <= stack.Float64; d++ {
		for _, n := range []int{1, minPooled - 1, minPooled, minPooled + 3} {
			b := getBuf(d, n)
			require.Equal(t, d, b.dtype(), "n=%d", n)
			require.Equal(t, n, b.length(), "%v", d)
			putBuf(b)
			c := getBuf(d, n)
			require.Equal(t, d, c.dtype(), "n=%d", n)
			require.Equal(t, n, c.length(), "%v", d)
		}
	}
	putBuf(nil)
}
