package zarr

import (
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// chunkBytesOf maps each chunk file of the array at root to its bytes.
func chunkBytesOf(t *testing.T, root string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	require.NoError(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel[0] == '.' || rel == v3File {
			return nil // metadata
		}
		b, err := os.ReadFile(p)
		files[rel] = b
		return err
	}))
	return files
}

// TestWritePlaneNowParts writes arrays whose Blosc chunks are several
// planes deep through WritePlaneNow, planes out of order from several
// goroutines, and holds every chunk file to the bytes the whole-chunk
// encoder writes for the same data: Blosc readers (the interop tests
// check those of the whole-chunk encoder) read them alike.
func TestWritePlaneNowParts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	type tc struct {
		shape, chunks []int
		dt            DType
		codec         Codec
		parts         bool // encoded a plane at a time
	}
	cases := []tc{
		{[]int{7, 64, 96}, []int{3, 64, 96}, Uint16, Codec{Name: "blosc", CName: "lz4", Level: 1, Shuffle: ByteShuffle, BlockSize: 4096}, true},
		{[]int{7, 64, 96}, []int{3, 64, 96}, Uint16, Codec{Name: "blosc", CName: "lz4", Level: 1, Shuffle: NoShuffle, BlockSize: 4096}, true},
		{[]int{7, 64, 96}, []int{2, 64, 96}, Float32, Codec{Name: "blosc", CName: "lz4", Level: 5, Shuffle: ByteShuffle, BlockSize: 8192}, true},
		{[]int{6, 64, 96}, []int{3, 64, 96}, Uint8, Codec{Name: "blosc", CName: "zstd", Level: 3, Shuffle: NoShuffle, BlockSize: 2048}, true},
		{[]int{7, 64, 96}, []int{4, 64, 96}, Uint32, Codec{Name: "blosc", CName: "zlib", Level: 4, Shuffle: ByteShuffle, BlockSize: 6144}, true},
		{[]int{2, 5, 64, 96}, []int{1, 2, 64, 96}, Uint16, Codec{Name: "blosc", CName: "lz4", Level: 1, Shuffle: ByteShuffle, BlockSize: 4096}, true},
		{[]int{5, 256, 512}, []int{4, 256, 512}, Uint16, BloscLZ4(1), true}, // the default block size
		{[]int{5, 256, 512}, []int{4, 256, 512}, Uint16, BloscLZ4(5), true},
		// Not encodable a plane at a time: blocks straddle planes, chunks
		// split planes, or the codec is not Blosc.
		{[]int{5, 64, 96}, []int{3, 64, 96}, Uint16, Codec{Name: "blosc", CName: "lz4", Level: 1, Shuffle: ByteShuffle, BlockSize: 5000}, false},
		{[]int{5, 64, 96}, []int{3, 32, 96}, Uint16, Codec{Name: "blosc", CName: "lz4", Level: 1, Shuffle: ByteShuffle, BlockSize: 4096}, false},
		{[]int{5, 64, 96}, []int{3, 64, 96}, Uint16, Zstd(1), false},
	}
	for i, c := range cases {
		t.Run(fmt.Sprintf("%d/%v/%v/%v/%v", i, c.shape, c.chunks, c.dt, c.codec), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			rng := rand.New(rand.NewPCG(uint64(i), 9))
			data := imageLike(c.dt, c.shape, uint64(i))
			nd := len(c.shape)
			planeBytes := c.shape[nd-2] * c.shape[nd-1] * c.dt.Size()
			planes := len(data) / planeBytes
			// The planes of the second chunk hold only the fill value: no
			// file for it.
			k := c.chunks[nd-3]
			clear(data[min(k, planes)*planeBytes : min(2*k, planes)*planeBytes])
			o := ArrayOptions{Shape: c.shape, Chunks: c.chunks, DType: c.dt, Codec: c.codec}

			ref := filepath.Join(dir, "ref")
			w, err := Create(ref, o)
			require.NoError(t, err)
			require.NoError(t, w.Write(ctx, make([]int, nd), c.shape, data))
			require.NoError(t, w.Commit())

			got := filepath.Join(dir, "got")
			w, err = Create(got, o)
			require.NoError(t, err)
			pw, err := NewPlaneWriter(ctx, w, 2)
			require.NoError(t, err)
			require.Equal(t, c.parts, pw.parts != nil, "plane-at-a-time encoding")
			order := rng.Perm(planes)
			if !c.parts {
				sort.Ints(order) // WritePlane needs about the order
			}
			var wg sync.WaitGroup
			errs := make([]error, 3)
			for g := range 3 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for k := g; k < len(order); k += 3 {
						z := order[k]
						plane := append([]byte(nil), data[z*planeBytes:(z+1)*planeBytes]...)
						if err := pw.WritePlaneNow(ctx, z, plane); err != nil {
							errs[g] = err
							return
						}
						clear(plane) // the writer keeps nothing of it
					}
				}()
			}
			wg.Wait()
			for _, err := range errs {
				require.NoError(t, err)
			}
			require.NoError(t, pw.Close())
			require.NoError(t, w.Commit())

			want := chunkBytesOf(t, ref)
			have := chunkBytesOf(t, got)
			require.Equal(t, len(want), len(have), "chunk files")
			for k, b := range want {
				require.Contains(t, have, k)
				if c.parts && b[2]&bloscFlagMemcpyed != 0 {
					// The whole-chunk encoder stored this chunk raw; the
					// plane-at-a-time one stores raw streams instead, a few
					// bytes a block more. The read below checks it.
					require.Less(t, len(have[k]), len(b)+len(b)/100+64, "chunk %s", k)
					continue
				}
				require.Equal(t, b, have[k], "chunk %s", k)
			}
			a, err := Open(got)
			require.NoError(t, err)
			back := make([]byte, len(data))
			require.NoError(t, a.Read(ctx, make([]int, nd), c.shape, back))
			require.Equal(t, data, back)
		})
	}
}

func TestWritePlaneNowPartsErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	o := ArrayOptions{Shape: []int{4, 64, 96}, Chunks: []int{2, 64, 96}, DType: Uint16,
		Codec: Codec{Name: "blosc", CName: "lz4", Level: 1, Shuffle: ByteShuffle, BlockSize: 4096}}
	plane := make([]byte, 64*96*2)
	plane[7] = 1

	w, err := Create(filepath.Join(dir, "a"), o)
	require.NoError(t, err)
	pw, err := NewPlaneWriter(ctx, w, 1)
	require.NoError(t, err)
	require.NotNil(t, pw.parts)
	require.NoError(t, pw.WritePlaneNow(ctx, 0, plane))
	require.ErrorContains(t, pw.WritePlaneNow(ctx, 0, plane), "written twice")
	require.ErrorContains(t, pw.WritePlane(ctx, 1, plane), "WritePlane after WritePlaneNow")
	require.NoError(t, pw.WritePlaneNow(ctx, 3, plane))
	// Planes 1 and 2 never came: chunk 0 and 1 stay unwritten.
	require.ErrorContains(t, pw.Close(), "2 of 4 planes were not written")
	require.NoError(t, w.Abort())

	w, err = Create(filepath.Join(dir, "b"), o)
	require.NoError(t, err)
	pw, err = NewPlaneWriter(ctx, w, 1)
	require.NoError(t, err)
	require.NoError(t, pw.WritePlane(ctx, 0, plane))
	require.ErrorContains(t, pw.WritePlaneNow(ctx, 1, plane), "WritePlaneNow after WritePlane")
	pw.Close()
	require.NoError(t, w.Abort())
}
