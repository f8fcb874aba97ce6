package tiff

import (
	"encoding/binary"
	"errors"
	"fmt"
	"runtime/debug"
)

// ErrFileChanged is returned by ReadView when the mapped file could not be
// read during the call: it was truncated by someone else, or the storage
// under it failed.
var ErrFileChanged = errors.New("file changed or failed while it was read")

// ReadView calls fn with plane i's samples as they lie in the file, when the
// Reader has the file mapped into memory (Open does that on Linux) and the
// plane is stored raw in native byte order as one contiguous run of bytes,
// suitably aligned for its element type: the caller then reads the plane
// without it being copied. fn must only read view and must not keep it
// after it returns. ok is false when no view is possible; the caller then
// reads the plane with ReadPlaneInto. A fault while fn reads the view (the
// file shrank meanwhile) is returned as an error wrapping ErrFileChanged,
// not a crash.
func (r *Reader) ReadView(i int, fn func(view []byte)) (ok bool, err error) {
	if r.mapped == nil || i < 0 || i >= len(r.pages) {
		return false, nil
	}
	size := r.dtype.Size()
	if size > 1 && (r.src.bo == binary.BigEndian) == nativeLE {
		return false, nil
	}
	off, ok, err := r.rawRun(&r.pages[i])
	if !ok || err != nil || off%uint64(size) != 0 {
		return false, err
	}
	n := uint64(r.PlaneBytes())
	if off > uint64(len(r.mapped)) || n > uint64(len(r.mapped))-off {
		return false, nil // readPlane reports the damage
	}
	// Map the plane's pages in one call rather than a fault per few pages.
	populateMapped(r.mapped, off, n)
	err = faultSafe(func() { fn(r.mapped[off : off+n : off+n]) }, func(addr uintptr) error {
		return fmt.Errorf("%s: plane %d: %w (fault at %#x)", r.name, i, ErrFileChanged, addr)
	})
	// Drop the plane's pages from this process's page tables: the page
	// cache keeps them, but they no longer count in its resident set,
	// which would otherwise grow by every plane read until it held the
	// whole file.
	releaseMapped(r.mapped, off, n)
	return true, err
}

// rawRun returns the file offset of a plane stored raw as one contiguous
// run of strips (or ImageJ's contiguous layout); ok is false otherwise.
func (r *Reader) rawRun(p *page) (off uint64, ok bool, err error) {
	if p.contig >= 0 {
		return uint64(p.contig), true, nil
	}
	if p.tiled || p.comp != None || p.blockSamples() > 1 || p.bits > 0 || p.reversed {
		return 0, false, nil
	}
	offs, counts, err := r.blockTable(p)
	if err != nil {
		return 0, false, err
	}
	pos, _, next, err := r.stripRun(p, offs, counts, 0)
	if err != nil || next != p.blocks {
		return 0, false, nil // several runs, or damage that readPlane reports
	}
	return pos, true, nil
}

// faultSafe runs f with memory faults turned into panics, and returns the
// error wrap makes of a fault's address (nil when f completes).
func faultSafe(f func(), wrap func(addr uintptr) error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if e := recover(); e != nil {
			fe, isFault := e.(interface{ Addr() uintptr })
			if !isFault {
				panic(e)
			}
			err = wrap(fe.Addr())
		}
	}()
	f()
	return nil
}
