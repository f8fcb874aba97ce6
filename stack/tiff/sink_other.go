//go:build !linux

package tiff

import "os"

// startWriteback is a no-op where the system has no write-back hint; Close's
// fsync then writes everything.
func startWriteback(f *os.File, off, n uint64) {}

// newDirectSink reports that direct I/O is not used on this system.
func newDirectSink(f *os.File) (sink, error) { return nil, errNoDirectIO }
