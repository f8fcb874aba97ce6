package tiff

import (
	"os"

	"golang.org/x/sys/unix"
)

// startWriteback asks the kernel to begin writing [off, off+n) of f to disk
// without waiting for it. It is only a hint: errors surface at fsync.
func startWriteback(f *os.File, off, n uint64) {
	_ = unix.SyncFileRange(int(f.Fd()), int64(off), int64(n), unix.SYNC_FILE_RANGE_WRITE)
}
