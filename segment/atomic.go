package segment

import (
	"bufio"
	"fmt"

	"github.com/segstack/segstack/internal/outfile"
)

// atomicFile writes a file that appears under its final name only on
// Commit: an unnamed O_TMPFILE on Linux, a temporary name elsewhere (see
// internal/outfile), so that an interrupted run, even one killed with
// SIGKILL, never leaves a partial file under the final name nor a stray
// temporary.
type atomicFile struct {
	path string
	f    *outfile.File
	w    *bufio.Writer
	done bool
}

func createAtomic(path string) (*atomicFile, error) {
	f, err := outfile.Create(path)
	if err != nil {
		return nil, err
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
	if err != nil {
		a.f.Abort()
		return fmt.Errorf("write %s: %w", a.path, err)
	}
	return a.f.Commit()
}

// Abort closes and removes the temporary file; it is a no-op after Commit.
func (a *atomicFile) Abort() {
	if a.done {
		return
	}
	a.done = true
	a.f.Abort()
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
