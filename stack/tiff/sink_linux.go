package tiff

import (
	"fmt"
	"os"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// startWriteback asks the kernel to begin writing [off, off+n) of f to disk
// without waiting for it. It is only a hint: errors surface at fsync.
func startWriteback(f *os.File, off, n uint64) {
	_ = unix.SyncFileRange(int(f.Fd()), int64(off), int64(n), unix.SYNC_FILE_RANGE_WRITE)
}

// directAlign is the alignment of direct writes' buffers, file offsets and
// lengths: a multiple of every common logical block size (512 and 4096
// bytes).
const directAlign = 4096

// directChunkBytes is the size of one direct write and directBuffers the
// number of chunk buffers: up to directBuffers-1 chunks are on their way
// to the disk while the next is filled. Variables so that tests can use
// small chunks.
var (
	directChunkBytes = 2 << 20
	directBuffers    = 3
)

// directWrite writes one aligned chunk at off; tests replace it to inject
// failures.
var directWrite = func(f *os.File, b []byte, off int64) error {
	_, err := f.WriteAt(b, off)
	return err
}

// directSink writes with O_DIRECT: bytes are gathered into aligned chunks,
// each written by a goroutine of its own straight from the buffer to the
// disk, so the caller goes on filling the next chunk meanwhile.
type directSink struct {
	f    *os.File
	free chan []byte // chunk buffers not in use
	cur  []byte      // the chunk being filled: len is its bytes so far
	off  int64       // file offset of cur[0]
	wg   sync.WaitGroup
	mu   sync.Mutex
	err  error // first failed chunk write
}

// alignedBuffer returns n bytes starting at a directAlign boundary.
func alignedBuffer(n int) []byte {
	b := make([]byte, n+directAlign)
	o := 0
	if r := int(uintptr(unsafe.Pointer(&b[0])) % directAlign); r != 0 {
		o = directAlign - r
	}
	return b[o : o+n : o+n]
}

// setFlags sets the file status flags of f.
func setFlags(f *os.File, update func(int) int) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) {
		var fl int
		if fl, ferr = unix.FcntlInt(fd, unix.F_GETFL, 0); ferr == nil {
			_, ferr = unix.FcntlInt(fd, unix.F_SETFL, update(fl))
		}
	}); err != nil {
		return err
	}
	return ferr
}

// newDirectSink switches the empty file f to direct I/O and proves that
// it works with one aligned write, which it then truncates away. On any
// failure f is left as it was (buffered, empty) and the error says why.
func newDirectSink(f *os.File) (sink, error) {
	if err := setFlags(f, func(fl int) int { return fl | unix.O_DIRECT }); err != nil {
		return nil, fmt.Errorf("%w: %w", errNoDirectIO, err)
	}
	undo := func(err error) (sink, error) {
		setFlags(f, func(fl int) int { return fl &^ unix.O_DIRECT })
		f.Truncate(0)
		return nil, fmt.Errorf("%w: %w", errNoDirectIO, err)
	}
	s := &directSink{f: f, free: make(chan []byte, directBuffers)}
	for i := 0; i < directBuffers; i++ {
		s.free <- alignedBuffer(directChunkBytes)
	}
	s.cur = (<-s.free)[:0]
	if err := directWrite(f, s.cur[:directAlign], 0); err != nil {
		return undo(err)
	}
	if err := f.Truncate(0); err != nil {
		return undo(err)
	}
	return s, nil
}

func (s *directSink) failed() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// submit starts writing the full chunk in s.cur and takes a free buffer
// for the next one, waiting for a write to finish when none is free.
func (s *directSink) submit() {
	buf, off := s.cur, s.off
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := directWrite(s.f, buf, off); err != nil {
			s.mu.Lock()
			if s.err == nil {
				s.err = err
			}
			s.mu.Unlock()
		}
		s.free <- buf
	}()
	s.off += int64(len(buf))
	s.cur = (<-s.free)[:0]
}

func (s *directSink) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		if err := s.failed(); err != nil {
			return n, err
		}
		k := copy(s.cur[len(s.cur):cap(s.cur)], p)
		s.cur = s.cur[:len(s.cur)+k]
		p, n = p[k:], n+k
		if len(s.cur) == cap(s.cur) {
			s.submit()
		}
	}
	return n, nil
}

// finish writes the last, partial chunk padded to the alignment, then
// truncates the padding off.
func (s *directSink) finish() error {
	s.wg.Wait()
	if err := s.failed(); err != nil {
		return err
	}
	n := len(s.cur)
	if n > 0 {
		padded := (n + directAlign - 1) &^ (directAlign - 1)
		tail := s.cur[:padded]
		clear(tail[n:])
		if err := directWrite(s.f, tail, s.off); err != nil {
			return err
		}
	}
	return s.f.Truncate(s.off + int64(n))
}

func (s *directSink) abandon() { s.wg.Wait() }

func (s *directSink) aligned() bool { return true }

// writeFrom writes b straight from the caller's memory when b, its length
// and the file position are all block-aligned (the caller then pays for no
// copy, and the CPU's caches are not swept by one); otherwise it copies b
// like Write.
func (s *directSink) writeFrom(b []byte) error {
	if len(b) == 0 || len(b)%directAlign != 0 || len(s.cur)%directAlign != 0 ||
		uintptr(unsafe.Pointer(&b[0]))%directAlign != 0 {
		_, err := s.Write(b)
		return err
	}
	if err := s.failed(); err != nil {
		return err
	}
	if len(s.cur) > 0 {
		s.submit()
	}
	if err := directWrite(s.f, b, s.off); err != nil {
		return err
	}
	s.off += int64(len(b))
	return nil
}
