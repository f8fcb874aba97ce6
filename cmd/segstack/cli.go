package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/segstack/segstack/segment"
)

// checkInput gives a clear error for an input that is missing or is a
// directory, before any reader sees it.
func checkInput(path string) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("input %s does not exist", path)
	case err != nil:
		return fmt.Errorf("input %s: %w", path, err)
	case fi.IsDir() && !segment.IsZarrPath(path) && !isZarrStore(path):
		return fmt.Errorf("input %s is a directory, not a TIFF file or Zarr store", path)
	}
	return nil
}

// checkOutput refuses to overwrite an existing file unless force is set,
// and refuses a directory or a missing parent directory.
func checkOutput(path string, force bool) error {
	if path == "" {
		return errors.New("no output given: use -o FILE")
	}
	fi, err := os.Stat(path)
	switch {
	case err == nil && fi.IsDir() && !segment.IsZarrPath(path) && !isZarrStore(path):
		return fmt.Errorf("output %s is a directory", path)
	case err == nil && !force:
		return fmt.Errorf("output %s exists (use --force to overwrite)", path)
	}
	if dir := filepath.Dir(path); dir != "" {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return fmt.Errorf("output %s: directory %s does not exist", path, dir)
		}
	}
	return nil
}
