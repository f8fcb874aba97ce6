package tiff

import (
	"os"

	"golang.org/x/sys/unix"
)

// mapFile maps size bytes of f read-only, or returns nil where it cannot.
func mapFile(f *os.File, size int64) []byte {
	if size <= 0 || int64(int(size)) != size {
		return nil
	}
	b, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil
	}
	return b
}

func unmapFile(b []byte) error { return unix.Munmap(b) }

// releaseMapped unmaps the pages of mapped that hold [off, off+n) from the
// process (rounded out to whole pages: the data stays in the page cache and
// a later read of a neighbouring plane faults it back in).
func releaseMapped(mapped []byte, off, n uint64) {
	ps := uint64(os.Getpagesize())
	lo := off &^ (ps - 1)
	hi := min(uint64(len(mapped)), (off+n+ps-1)&^(ps-1))
	if lo < hi {
		_ = unix.Madvise(mapped[lo:hi], unix.MADV_DONTNEED)
	}
}
