package segment

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
)

// atomicFile writes a file under a temporary name in its target directory
// and renames it into place on Commit, so that an interrupted run never
// leaves a partial file under the final name.
type atomicFile struct {
	path string
	f    *os.File
	w    *bufio.Writer
	done bool
}

func createAtomic(path string) (*atomicFile, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".part-*")
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	return &atomicFile{path: path, f: f, w: bufio.NewWriterSize(f, 1<<16)}, nil
}

func (a *atomicFile) Write(p []byte) (int, error) { return a.w.Write(p) }

// Commit flushes, closes and renames the file into place.
func (a *atomicFile) Commit() error {
	if a.done {
		return nil
	}
	a.done = true
	err := a.w.Flush()
	if err == nil {
		err = a.f.Sync()
	}
	if cerr := a.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(a.f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(a.f.Name(), a.path)
	}
	if err != nil {
		os.Remove(a.f.Name())
		return fmt.Errorf("write %s: %w", a.path, err)
	}
	return nil
}

// Abort closes and removes the temporary file; it is a no-op after Commit.
func (a *atomicFile) Abort() {
	if a.done {
		return
	}
	a.done = true
	a.f.Close()
	os.Remove(a.f.Name())
}

// fillAtomic writes what fill produces to a temporary file for path and
// flushes it; the caller commits or aborts it.
func fillAtomic(path string, fill func(w *bufio.Writer) error) (*atomicFile, error) {
	a, err := createAtomic(path)
	if err != nil {
		return nil, err
	}
	err = fill(a.w)
	if err == nil {
		err = a.w.Flush()
	}
	if err != nil {
		a.Abort()
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return a, nil
}
