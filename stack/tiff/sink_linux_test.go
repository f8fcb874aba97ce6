package tiff

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/segstack/segstack/stack"
	"github.com/stretchr/testify/require"
)

// smallDirect makes every Writer of the test try direct I/O, with chunks
// small enough that a few planes take many asynchronous chunk writes.
func smallDirect(t *testing.T) {
	minBytes, chunk := directMinBytes, directChunkBytes
	directMinBytes, directChunkBytes = 0, 2*directAlign
	t.Cleanup(func() { directMinBytes, directChunkBytes = minBytes, chunk })
}

// requireDirect skips the test where the temporary directory's file system
// refuses direct I/O.
func requireDirect(t *testing.T, dir string) {
	t.Helper()
	f, err := os.CreateTemp(dir, "probe")
	require.NoError(t, err)
	defer os.Remove(f.Name())
	defer f.Close()
	if _, err := newDirectSink(f); err != nil {
		t.Skipf("no direct I/O in %s: %v", dir, err)
	}
}

// A file written with direct I/O holds the same planes as one written
// through the page cache, for planes of whole blocks (sent from the
// caller's memory at block-aligned offsets) and for planes that are not
// (copied through the chunk buffers), compressed or not.
func TestDirectWriteMatchesCached(t *testing.T) {
	smallDirect(t)
	dir := t.TempDir()
	requireDirect(t, dir)
	cases := []struct {
		s    stack.Shape
		dt   stack.DType
		comp Compression
	}{
		{stack.Shape{Z: 5, Y: 64, X: 256}, stack.Uint16, None},     // 32 KiB planes: zero-copy
		{stack.Shape{Z: 4, Y: 128, X: 96}, stack.Uint32, None},     // 48 KiB planes: zero-copy
		{stack.Shape{Z: 3, Y: 37, X: 29}, stack.Uint16, None},      // odd planes: copied
		{stack.Shape{Z: 6, Y: 100, X: 333}, stack.Uint8, None},     // copied, several strips
		{stack.Shape{Z: 3, Y: 64, X: 128}, stack.Float32, Deflate}, // compressed: copied
	}
	for i, c := range cases {
		planes := testPlanes(c.dt, c.s, uint64(i))
		cached := filepath.Join(dir, "cached"+itoa(i)+".tif")
		direct := filepath.Join(dir, "direct"+itoa(i)+".tif")
		writePlanes(t, cached, WriterOptions{Shape: c.s, DType: c.dt, Compression: c.comp, Cached: true}, planes)

		w, err := Create(direct, WriterOptions{Shape: c.s, DType: c.dt, Compression: c.comp})
		require.NoError(t, err)
		require.True(t, w.Direct(), "case %d", i)
		for _, p := range planes {
			require.NoError(t, w.WritePlane(p))
		}
		require.NoError(t, w.Close())

		zeroCopy := c.comp == None && len(planes[0])%directAlign == 0
		a, err := os.ReadFile(cached)
		require.NoError(t, err)
		b, err := os.ReadFile(direct)
		require.NoError(t, err)
		if !zeroCopy {
			require.True(t, bytes.Equal(a, b), "case %d: same layout, same bytes", i)
		}

		r, err := Open(direct)
		require.NoError(t, err)
		require.Equal(t, c.s, r.Shape())
		buf := make([]byte, r.PlaneBytes())
		var prevEnd, gap uint64
		for z := range c.s.Z {
			require.NoError(t, r.ReadPlaneInto(z, buf))
			require.True(t, bytes.Equal(planes[z], buf), "case %d plane %d", i, z)
			if zeroCopy {
				offs, err := r.src.uints(r.pages[z].offsets, 1)
				require.NoError(t, err)
				off := offs[0]
				require.Zero(t, off%dataAlign, "case %d plane %d starts at a block", i, z)
				if z == 1 {
					gap = off - prevEnd
				} else if z > 1 {
					require.Equal(t, gap, off-prevEnd, "case %d: the same gap before every plane after the first", i)
				}
				prevEnd = off + uint64(len(buf))
			}
		}
		require.NoError(t, r.Close())
		if zeroCopy {
			require.Equal(t, int64(prevEnd), int64(len(b)), "case %d: the file ends with the last plane, padding truncated", i)
		}
	}
	require.Len(t, dirNames(t, dir), 2*len(cases), "no temporary files left")
}

// tifffile reads a zero-copy direct file as the ImageJ stack it is.
func TestDirectWriteReadByTifffile(t *testing.T) {
	if err := exec.Command(systemPython, "-c", "import tifffile, numpy").Run(); err != nil {
		t.Skipf("%s with tifffile not available: %v", systemPython, err)
	}
	smallDirect(t)
	dir := t.TempDir()
	requireDirect(t, dir)
	s := stack.Shape{Z: 7, Y: 64, X: 256}
	planes := testPlanes(stack.Uint16, s, 3)
	path := filepath.Join(dir, "d.tif")
	writePlanes(t, path, WriterOptions{Shape: s, DType: stack.Uint16}, planes)
	raw := filepath.Join(dir, "want.raw")
	require.NoError(t, os.WriteFile(raw, bytes.Join(planes, nil), 0o644))
	script := `
import sys, numpy as np, tifffile
t = tifffile.TiffFile(sys.argv[1])
assert t.is_imagej, "ImageJ metadata"
a = t.asarray()
want = np.fromfile(sys.argv[2], dtype="<u2").reshape(a.shape)
assert a.shape == (7, 64, 256), a.shape
assert (a == want).all(), "pixels differ"
`
	out, err := exec.Command(systemPython, "-c", script, path, raw).CombinedOutput()
	require.NoError(t, err, "%s", out)
}

// A failed chunk write, whether it was copied or sent from the caller's
// plane, fails the writer with an error that names the file and keeps the
// cause, and no file is left behind.
func TestDirectWriteErrorRemovesTemp(t *testing.T) {
	smallDirect(t)
	dir := t.TempDir()
	requireDirect(t, dir)
	write := directWrite
	t.Cleanup(func() { directWrite = write })
	// Chunk writes run on goroutines of their own.
	var calls, failAt atomic.Int64
	directWrite = func(f *os.File, b []byte, off int64) error {
		if calls.Add(1) == failAt.Load() {
			return &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
		}
		return write(f, b, off)
	}
	for _, s := range []stack.Shape{{Z: 8, Y: 64, X: 256}, {Z: 8, Y: 37, X: 291}} {
		// Count the writes of a whole file, then fail each in turn (the
		// first is the probe, which only turns direct I/O off).
		calls.Store(0)
		failAt.Store(0)
		writePlanes(t, filepath.Join(dir, "ok.tif"), WriterOptions{Shape: s, DType: stack.Uint16}, testPlanes(stack.Uint16, s, 1))
		require.NoError(t, os.Remove(filepath.Join(dir, "ok.tif")))
		total := calls.Load()
		require.Greater(t, total, int64(8))
		for k := int64(2); k <= total; k++ {
			calls.Store(0)
			failAt.Store(k)
			path := filepath.Join(dir, "out.tif")
			w, err := Create(path, WriterOptions{Shape: s, DType: stack.Uint16})
			require.NoError(t, err)
			var werr error
			for _, p := range testPlanes(stack.Uint16, s, 1) {
				if werr = w.WritePlane(p); werr != nil {
					break
				}
			}
			if werr == nil {
				werr = w.Close()
			}
			require.Error(t, werr, "fail at write %d of %d", k, total)
			require.True(t, errors.Is(werr, syscall.ENOSPC), "%v", werr)
			require.ErrorContains(t, werr, path)
			require.Equal(t, werr, w.Close())
			require.Empty(t, dirNames(t, dir))
		}
	}
}

// Where the probe write is refused, the file is written through the page
// cache instead, and is complete.
func TestDirectFallsBackToCached(t *testing.T) {
	smallDirect(t)
	write := directWrite
	t.Cleanup(func() { directWrite = write })
	directWrite = func(*os.File, []byte, int64) error { return syscall.EINVAL }
	dir := t.TempDir()
	s := stack.Shape{Z: 3, Y: 64, X: 256}
	planes := testPlanes(stack.Uint16, s, 2)
	path := filepath.Join(dir, "f.tif")
	w, err := Create(path, WriterOptions{Shape: s, DType: stack.Uint16})
	require.NoError(t, err)
	require.False(t, w.Direct())
	for _, p := range planes {
		require.NoError(t, w.WritePlane(p))
	}
	require.NoError(t, w.Close())
	r, err := Open(path)
	require.NoError(t, err)
	defer r.Close()
	buf := make([]byte, r.PlaneBytes())
	for z := range s.Z {
		require.NoError(t, r.ReadPlaneInto(z, buf))
		require.True(t, bytes.Equal(planes[z], buf), "plane %d", z)
	}
}

// TestDirectOnUnnamedFile checks that direct I/O works on the O_TMPFILE
// that Create writes into, and that the file it links into place holds the
// planes.
func TestDirectOnUnnamedFile(t *testing.T) {
	smallDirect(t)
	dir := t.TempDir()
	requireDirect(t, dir)
	s := stack.Shape{Z: 4, Y: 64, X: 256}
	planes := testPlanes(stack.Uint16, s, 7)
	path := filepath.Join(dir, "direct.tif")
	w, err := Create(path, WriterOptions{Shape: s, DType: stack.Uint16})
	require.NoError(t, err)
	if !w.of.Unnamed() {
		w.Abort()
		t.Skipf("SKIP: no O_TMPFILE in %s", dir)
	}
	require.True(t, w.Direct())
	for _, p := range planes {
		require.NoError(t, w.WritePlane(p))
	}
	require.Empty(t, dirNames(t, dir), "nothing has a name before Close")
	require.NoError(t, w.Close())
	r, err := Open(path)
	require.NoError(t, err)
	defer r.Close()
	for i, want := range planes {
		got := make([]byte, r.PlaneBytes())
		require.NoError(t, r.ReadPlaneInto(i, got))
		require.Equal(t, want, got)
	}
}
