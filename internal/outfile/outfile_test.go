package outfile

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// entries lists the names in dir.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestCreateCommitAbort(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.tif")
	f, err := Create(path)
	require.NoError(t, err)
	if runtime.GOOS == "linux" {
		require.True(t, f.Unnamed(), "O_TMPFILE on Linux's temporary directory")
		require.Empty(t, entries(t, dir), "an unnamed file has no name until committed")
	}
	_, err = f.Write([]byte("hello"))
	require.NoError(t, err)
	require.NoError(t, f.Commit())
	require.Equal(t, []string{"out.tif"}, entries(t, dir))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "hello", string(b))
	st, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o644)&^umask(), st.Mode().Perm())
	require.Error(t, f.Commit(), "twice")

	// Replacing an existing file.
	f, err = Create(path)
	require.NoError(t, err)
	_, err = f.Write([]byte("second"))
	require.NoError(t, err)
	require.NoError(t, f.Commit())
	b, err = os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "second", string(b))
	require.Equal(t, []string{"out.tif"}, entries(t, dir))

	// Abort leaves the old file and nothing else.
	f, err = Create(path)
	require.NoError(t, err)
	_, err = f.Write([]byte("third"))
	require.NoError(t, err)
	f.Abort()
	f.Abort()
	require.Equal(t, []string{"out.tif"}, entries(t, dir))
	b, err = os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "second", string(b))
}

func TestNamedFallback(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "o.csv")
	f, tmp, err := createNamed(path)
	require.NoError(t, err)
	pid, ok := TempPID(filepath.Base(tmp))
	require.True(t, ok)
	require.Equal(t, os.Getpid(), pid)
	of := &File{File: f, path: path, tmp: tmp}
	_, err = of.Write([]byte("a,b\n"))
	require.NoError(t, err)
	require.NoError(t, of.Commit())
	require.Equal(t, []string{"o.csv"}, entries(t, dir))
}

func TestTempPID(t *testing.T) {
	for name, want := range map[string]int{
		".out.tif.segstack-tmp-123-abc":    123,
		".a.segstack-tmp-7-0":              7,
		"out.tif.segstack-tmp-123-abc":     0,
		".out.tif.tmp-123":                 0,
		".x.segstack-tmp-abc":              0,
		".x.segstack-tmp-0-1":              0,
		".y.zarr.segstack-tmp-99-ff":       99,
		".c.segstack-tmp-5-1.segstack-tmp": 0,
	} {
		pid, ok := TempPID(name)
		require.Equal(t, want != 0, ok, name)
		require.Equal(t, want, pid, name)
	}
}

// TestRemoveStale leaves the temporaries of live processes (this one and a
// running child) and removes those of a process that has exited.
func TestRemoveStale(t *testing.T) {
	dir := t.TempDir()
	child := exec.Command("sleep", "30")
	if err := child.Start(); err != nil {
		t.Skipf("SKIP: cannot start a child process: %v", err)
	}
	defer func() { child.Process.Kill(); child.Wait() }()
	dead := exec.Command("true")
	require.NoError(t, dead.Run())
	mk := func(name string, isDir bool) {
		p := filepath.Join(dir, name)
		if isDir {
			require.NoError(t, os.MkdirAll(filepath.Join(p, "c"), 0o755))
			return
		}
		require.NoError(t, os.WriteFile(p, []byte("x"), 0o644))
	}
	self := ".a.tif" + Marker + strconv.Itoa(os.Getpid()) + "-1"
	live := ".b.csv" + Marker + strconv.Itoa(child.Process.Pid) + "-2"
	gone := ".c.png" + Marker + strconv.Itoa(dead.Process.Pid) + "-3"
	goneDir := ".d.zarr" + Marker + strconv.Itoa(dead.Process.Pid) + "-4"
	for _, n := range []string{self, live, gone, "keep.tif", ".keep.tif.tmp-1"} {
		mk(n, false)
	}
	mk(goneDir, true)
	n, err := RemoveStale(dir)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	require.ElementsMatch(t, []string{self, live, "keep.tif", ".keep.tif.tmp-1"}, entries(t, dir))
}

// TestReplaceDir moves a finished tree into place: onto a free name, over
// a tree there (which goes, leaving no temporary) and over a file.
func TestReplaceDir(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "store")
	fill := func(content string) string {
		tmp := TempName(path)
		require.NoError(t, os.MkdirAll(filepath.Join(tmp, "a", "b"), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(tmp, "a", "b", "f"), []byte(content), 0o644))
		return tmp
	}
	read := func() string {
		b, err := os.ReadFile(filepath.Join(path, "a", "b", "f"))
		require.NoError(t, err)
		return string(b)
	}
	require.NoError(t, ReplaceDir(fill("one"), path))
	require.Equal(t, "one", read())
	require.Equal(t, []string{"store"}, entries(t, dir))

	require.NoError(t, os.WriteFile(filepath.Join(path, "old-only"), nil, 0o644))
	require.NoError(t, ReplaceDir(fill("two"), path))
	require.Equal(t, "two", read())
	require.NoFileExists(t, filepath.Join(path, "old-only"), "the old tree is replaced, not merged")
	require.Equal(t, []string{"store"}, entries(t, dir), "the old tree leaves no temporary")

	require.NoError(t, os.RemoveAll(path))
	require.NoError(t, os.WriteFile(path, []byte("a file"), 0o644))
	require.NoError(t, ReplaceDir(fill("three"), path))
	require.Equal(t, "three", read())
	require.Equal(t, []string{"store"}, entries(t, dir))

	require.Error(t, ReplaceDir(filepath.Join(dir, ".missing"+Marker+"1-1"), path), "a missing tree is an error")
	require.Equal(t, "three", read(), "and leaves the tree in place")
}
