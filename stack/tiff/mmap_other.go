//go:build !linux

package tiff

import "os"

// mapFile maps nothing where the package does not use mappings: planes are
// read with ReadAt.
func mapFile(f *os.File, size int64) []byte { return nil }

func unmapFile(b []byte) error { return nil }

func releaseMapped(mapped []byte, off, n uint64) {}

func populateMapped(mapped []byte, off, n uint64) {}
