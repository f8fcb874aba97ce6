//go:build !unix

package zarr

import "errors"

var errNoRawWrite = errors.New("zarr: no raw write here")

// writeWhole is the unix-only fast path of writeFileDirect; elsewhere
// writeFileDirect uses os.File.
func writeWhole(path string, data []byte) error { return errNoRawWrite }

// writeWholeParts is writeWhole of several buffers.
func writeWholeParts(path string, bufs [][]byte) error { return errNoRawWrite }
