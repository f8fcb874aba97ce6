package tiff

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/segstack/segstack/stack"
	"github.com/stretchr/testify/require"
)

// Over every fixture, ReadView shows exactly the bytes ReadPlaneInto
// decodes, and it is offered for the raw little-endian layouts and only
// for them.
func TestReadViewMatchesReadPlane(t *testing.T) {
	views := 0
	for _, f := range loadManifest(t).Fixtures {
		r, err := Open(fixturePath(f.File))
		require.NoError(t, err, f.File)
		want := make([]byte, r.PlaneBytes())
		raw := r.Compression() == None && !r.Tiled() && (r.DType().Size() == 1 || r.ByteOrder().String() == "LittleEndian")
		for z := range r.Pages() {
			require.NoError(t, r.ReadPlaneInto(z, want))
			var got []byte
			ok, err := r.ReadView(z, func(v []byte) { got = bytes.Clone(v) })
			require.NoError(t, err, f.File)
			if !raw {
				require.False(t, ok, "%s: no view of a compressed, tiled or byte-swapped plane", f.File)
				continue
			}
			if ok {
				views++
				require.True(t, bytes.Equal(want, got), "%s plane %d", f.File, z)
			}
		}
		require.NoError(t, r.Close())
	}
	require.Greater(t, views, 0, "some fixtures are viewed")
}

// Planes this package writes, in both layouts (through the page cache and
// with direct I/O), are viewed as written.
func TestReadViewOfWrittenFiles(t *testing.T) {
	smallDirect(t)
	dir := t.TempDir()
	s := stack.Shape{Z: 4, Y: 64, X: 256}
	planes := testPlanes(stack.Uint16, s, 9)
	for _, cached := range []bool{true, false} {
		path := filepath.Join(dir, "w.tif")
		writePlanes(t, path, WriterOptions{Shape: s, DType: stack.Uint16, Cached: cached}, planes)
		r, err := Open(path)
		require.NoError(t, err)
		for z := range s.Z {
			ok, err := r.ReadView(z, func(v []byte) {
				require.True(t, bytes.Equal(planes[z], v), "cached=%v plane %d", cached, z)
			})
			require.NoError(t, err)
			require.True(t, ok, "cached=%v plane %d", cached, z)
		}
		require.NoError(t, r.Close())
		ok, err := r.ReadView(0, func([]byte) {})
		require.NoError(t, err)
		require.False(t, ok, "no view after Close")
	}
	// A Reader over an io.ReaderAt maps nothing.
	b, err := os.ReadFile(filepath.Join(dir, "w.tif"))
	require.NoError(t, err)
	r, err := NewReader(bytes.NewReader(b), int64(len(b)))
	require.NoError(t, err)
	ok, err := r.ReadView(0, func([]byte) {})
	require.NoError(t, err)
	require.False(t, ok)
}

// A file cut short by someone else while it is open gives an error from
// ReadView, not a crash.
func TestReadViewOfTruncatedFile(t *testing.T) {
	dir := t.TempDir()
	s := stack.Shape{Z: 4, Y: 256, X: 256}
	path := filepath.Join(dir, "t.tif")
	writePlanes(t, path, WriterOptions{Shape: s, DType: stack.Uint16, Cached: true}, testPlanes(stack.Uint16, s, 1))
	r, err := Open(path)
	require.NoError(t, err)
	defer r.Close()
	require.NoError(t, os.Truncate(path, 4096))
	sum := 0
	ok, err := r.ReadView(s.Z-1, func(v []byte) {
		for _, x := range v {
			sum += int(x)
		}
	})
	require.True(t, ok)
	require.Error(t, err)
	require.True(t, errors.Is(err, ErrFileChanged), "%v", err)
	require.ErrorContains(t, err, path)
	require.ErrorContains(t, err, "plane 3")
}

// touched keeps the reads of TestReadViewKeepsResidentSetFlat from being
// optimised away.
var touched int

// rssFile is the process's resident file-backed memory in bytes.
func rssFile(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/status")
	require.NoError(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "RssFile:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			require.NoError(t, err)
			return kb << 10
		}
	}
	t.Skip("no RssFile in /proc/self/status")
	return 0
}

// Viewing every plane of a 48 MiB file leaves the process's resident set
// about where it was: each plane's pages are dropped once it is read.
func TestReadViewKeepsResidentSetFlat(t *testing.T) {
	dir := t.TempDir()
	s := stack.Shape{Z: 24, Y: 1024, X: 1024}
	path := filepath.Join(dir, "big.tif")
	plane := make([]byte, s.Y*s.X*2)
	for i := range plane {
		plane[i] = byte(i * 7)
	}
	w, err := Create(path, WriterOptions{Shape: s, DType: stack.Uint16, Cached: true})
	require.NoError(t, err)
	for range s.Z {
		require.NoError(t, w.WritePlane(plane))
	}
	require.NoError(t, w.Close())
	r, err := Open(path)
	require.NoError(t, err)
	defer r.Close()
	before := rssFile(t)
	for z := range s.Z {
		ok, err := r.ReadView(z, func(v []byte) {
			require.Equal(t, plane[len(plane)-1], v[len(v)-1]) // touch the whole plane's last page
			for i := 0; i < len(v); i += 4096 {
				touched += int(v[i])
			}
		})
		require.NoError(t, err)
		require.True(t, ok)
	}
	grew := rssFile(t) - before
	t.Logf("before %d grew %d", before, grew)
	require.Less(t, grew, int64(8<<20), "resident file pages grew by %d bytes over a %d-byte file", grew, s.Z*len(plane))
}
