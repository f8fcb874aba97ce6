package zarr

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// chunkFiles lists the chunk files under an array directory (metadata and
// hidden files left out).
func chunkFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		if d.IsDir() || strings.HasPrefix(d.Name(), ".") || d.Name() == v3File {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, filepath.ToSlash(rel))
		return nil
	}))
	return out
}

func TestChunksOfFillValuesAreLeftOut(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// Four 2×2 chunks: one of zeros, one of the fill value 9, two mixed.
	vol := []byte{
		0, 0, 9, 9,
		0, 0, 9, 9,
		1, 0, 9, 8,
		0, 0, 9, 9,
	}
	for _, staged := range []bool{false, true} {
		for _, fill := range []float64{0, 9} {
			path := filepath.Join(t.TempDir(), "a.zarr")
			writeArray(t, path, ArrayOptions{Shape: []int{4, 4}, Chunks: []int{2, 2}, DType: Uint8, FillValue: fill, Staged: staged}, vol)
			want := []string{"0/1", "1/0", "1/1"} // the chunk of zeros is left out
			if fill == 9 {
				want = []string{"0/0", "1/0", "1/1"}
			}
			require.ElementsMatch(t, want, chunkFiles(t, path), "fill %v staged %v", fill, staged)
			a, err := Open(path)
			require.NoError(t, err)
			got := make([]byte, 16)
			require.NoError(t, a.Read(ctx, []int{0, 0}, []int{4, 4}, got))
			require.Equal(t, vol, got)
			entries, err := os.ReadDir(filepath.Join(path, "0"))
			require.NoError(t, err)
			for _, e := range entries {
				require.False(t, isTemporary(e.Name()), "temporary %s left behind", e.Name())
			}
		}
	}

	// WriteFillChunks keeps every chunk.
	path := filepath.Join(t.TempDir(), "a.zarr")
	writeArray(t, path, ArrayOptions{Shape: []int{4, 4}, Chunks: []int{2, 2}, DType: Uint8, WriteFillChunks: true}, vol)
	require.ElementsMatch(t, []string{"0/0", "0/1", "1/0", "1/1"}, chunkFiles(t, path))

	// A writer that joins an array removes a chunk that becomes all fill.
	path = filepath.Join(t.TempDir(), "b.zarr")
	w, err := Create(path, ArrayOptions{Shape: []int{4, 4}, Chunks: []int{2, 2}, DType: Uint8})
	require.NoError(t, err)
	require.NoError(t, w.WriteChunk(ctx, []int{0, 0}, []byte{1, 2, 3, 4}))
	j, err := OpenWriter(path)
	require.NoError(t, err)
	require.NoError(t, j.WriteChunk(ctx, []int{0, 0}, []byte{0, 0, 0, 0}))
	require.NoError(t, j.Commit())
	require.Empty(t, chunkFiles(t, path))
	a, err := Open(path)
	require.NoError(t, err)
	got := make([]byte, 16)
	require.NoError(t, a.Read(ctx, []int{0, 0}, []int{4, 4}, got))
	require.Equal(t, make([]byte, 16), got)
}

func TestAllFill(t *testing.T) {
	t.Parallel()
	for n := 0; n < 300; n += 7 {
		b := make([]byte, n)
		require.True(t, allFill(b, []byte{0, 0}) || n%2 != 0)
		for i := range n {
			b[i] = 1
			require.False(t, allFill(b, []byte{0}), "n %d byte %d", n, i)
			b[i] = 0
		}
	}
	require.True(t, allFill([]byte{1, 2, 1, 2}, []byte{1, 2}))
	require.False(t, allFill([]byte{1, 2, 2, 1}, []byte{1, 2}))
	require.False(t, allFill([]byte{1, 2, 1}, []byte{1, 2}))
}
