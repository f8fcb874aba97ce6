package zarr

import "fmt"

// FormatError reports that stored data is not valid Zarr: metadata that is
// not JSON or contradicts itself, chunks that are truncated, corrupt or
// decode to the wrong size.
type FormatError string

// Error describes what is wrong with the data.
func (e FormatError) Error() string { return "zarr: invalid format: " + string(e) }

// UnsupportedError reports valid Zarr or OME-NGFF content that this package
// does not handle, such as a codec, data type or chunk grid it does not know.
type UnsupportedError string

// Error names the unsupported feature.
func (e UnsupportedError) Error() string { return "zarr: unsupported feature: " + string(e) }

// LimitError reports that an array asks for more memory than the reader
// allows for one chunk (see WithMaxChunkBytes). Raising the limit may help.
type LimitError struct {
	What  string // what exceeds the limit, e.g. "chunk"
	Size  uint64 // bytes it needs
	Limit uint64 // bytes allowed
}

// Error says what exceeds which limit.
func (e *LimitError) Error() string {
	return fmt.Sprintf("zarr: %s needs %d bytes, more than the limit of %d", e.What, e.Size, e.Limit)
}

func formatErrorf(format string, args ...any) error {
	return FormatError(fmt.Sprintf(format, args...))
}

func unsupportedf(format string, args ...any) error {
	return UnsupportedError(fmt.Sprintf(format, args...))
}
