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
	// synced is whether sync has written the data out.
	synced bool
}

func createAtomic(path string) (*atomicFile, error) {
	f, err := outfile.Create(path)
	if err != nil {
		return nil, err
	}
	return &atomicFile{path: path, f: f, w: bufio.NewWriterSize(f, 1<<16)}, nil
}

func (a *atomicFile) Write(p []byte) (int, error) { return a.w.Write(p) }

// sync flushes the file and syncs it to the disk, the slow part of
// Commit, so that Commit then only links it into place. On error the file
// is aborted.
func (a *atomicFile) sync() error {
	if a.done || a.synced {
		return nil
	}
	err := a.w.Flush()
	if err == nil {
		err = a.f.Sync()
	}
	if err != nil {
		a.Abort()
		return fmt.Errorf("write %s: %w", a.path, err)
	}
	a.synced = true
	return nil
}

// Commit flushes and syncs the file (unless sync did), closes it and
// links or renames it into place.
func (a *atomicFile) Commit() error {
	if a.done {
		return nil
	}
	if err := a.sync(); err != nil {
		return err
	}
	a.done = true
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
