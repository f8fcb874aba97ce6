//go:build unix

package zarr

import (
	"errors"
	"io/fs"
	"syscall"
)

var errNoRawWrite = errors.New("zarr: no raw write here")

// writeWhole creates (or truncates) path and writes data to it with
// open, write and close alone.
func writeWhole(path string, data []byte) error {
	return writeWholeParts(path, [][]byte{data})
}

// writeWholeParts is writeWhole of the concatenation of bufs.
func writeWholeParts(path string, bufs [][]byte) error {
	var fd int
	var err error
	for {
		fd, err = syscall.Open(path, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_TRUNC|syscall.O_CLOEXEC, 0o644)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return &fs.PathError{Op: "open", Path: path, Err: err}
	}
	for _, data := range bufs {
		for len(data) > 0 && err == nil {
			var n int
			n, err = syscall.Write(fd, data)
			if err == syscall.EINTR {
				err = nil
				continue
			}
			if err == nil && n == 0 {
				err = syscall.EIO
			}
			data = data[max(n, 0):]
		}
	}
	if cerr := syscall.Close(fd); err == nil && cerr != nil && cerr != syscall.EINTR {
		err = cerr
	}
	if err != nil {
		return &fs.PathError{Op: "write", Path: path, Err: err}
	}
	return nil
}
