package zarr

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/segstack/segstack/internal/outfile"
)

// tmpMarker is part of the name of every temporary file this package
// writes, and of directories on their way out: the names are those of
// outfile.TempName ("." + final name + marker + PID-hex), the one scheme
// segstack's outputs share. An entry with it in its name is work a killed
// process never finished; RemoveTemporaries, Create and the image writers
// remove them.
const tmpMarker = outfile.Marker

// isTemporary reports whether a file name is one of this package's
// temporaries.
func isTemporary(name string) bool {
	return strings.HasPrefix(name, ".") && strings.Contains(name, tmpMarker)
}

// writeFileAtomic writes data to path through a temporary file in the same
// directory, renamed over path once complete: a reader sees the old file or
// the new one, never part of one. With durable the data is synced to the
// disk before the rename.
func writeFileAtomic(path string, data []byte, durable bool) error {
	var f *os.File
	var tmp string
	for try := 0; ; try++ {
		tmp = outfile.TempName(path)
		var err error
		f, err = os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrExist) || try > 8 {
			return err
		}
	}
	_, err := f.Write(data)
	if err == nil && durable {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// writeFileDirect writes data to path in place, for files inside a
// staging directory that no reader sees before it is complete.
func writeFileDirect(path string, data []byte, durable bool) error {
	if !durable {
		// Chunk files are written whole in one call: no *os.File, whose
		// registration with the poller costs more system calls than the
		// write itself for a small chunk.
		if err := writeWhole(path, data); err != errNoRawWrite {
			return err
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil && durable {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir makes a directory's entries durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// RemoveTemporaries deletes, under root, the temporary files and
// directories that writes killed before they finished left behind, and
// returns how many it removed. It must not run while another process
// writes under root.
func RemoveTemporaries(root string) (int, error) {
	n := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if !isTemporary(d.Name()) {
			return nil
		}
		if err := os.RemoveAll(p); err != nil {
			return err
		}
		n++
		if d.IsDir() {
			return fs.SkipDir
		}
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("zarr: removing temporaries under %s: %w", root, err)
	}
	return n, nil
}

// removeTemporaries removes the temporaries directly in dir whose names
// start with prefix (all of them for "").
func removeTemporaries(dir, prefix string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if isTemporary(e.Name()) && strings.HasPrefix(e.Name(), prefix) {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}
