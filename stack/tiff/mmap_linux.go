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

// populateMapped maps the pages of mapped that hold [off, off+n) into the
// process ahead of use, reading them in where they are not cached. It is
// only a hint: a failure (an older kernel, a file cut short) leaves the
// pages to be faulted in, or the fault to be reported, as they are read.
func populateMapped(mapped []byte, off, n uint64) {
	lo, hi := pageSpan(mapped, off, n)
	if lo < hi {
		_ = unix.Madvise(mapped[lo:hi], unix.MADV_POPULATE_READ)
	}
}

// pageSpan is [off, off+n) rounded out to whole pages within mapped.
func pageSpan(mapped []byte, off, n uint64) (lo, hi uint64) {
	ps := uint64(os.Getpagesize())
	return off &^ (ps - 1), min(uint64(len(mapped)), (off+n+ps-1)&^(ps-1))
}

// releaseMapped unmaps the pages of mapped that hold [off, off+n) from the
// process (rounded out to whole pages: the data stays in the page cache and
// a later read of a neighbouring plane faults it back in).
func releaseMapped(mapped []byte, off, n uint64) {
	lo, hi := pageSpan(mapped, off, n)
	if lo < hi {
		_ = unix.Madvise(mapped[lo:hi], unix.MADV_DONTNEED)
	}
}
