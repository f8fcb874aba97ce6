// Package filetree reads a tree of files into memory, so that tests can
// compare two outputs file for file.
package filetree

import (
	"io/fs"
	"os"
	"path/filepath"
)

// Read returns every regular file under root (or root itself, when it is
// a file) by its path relative to root, with its contents.
func Read(root string) (map[string][]byte, error) {
	m := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		m[rel] = b
		return nil
	})
	return m, err
}
