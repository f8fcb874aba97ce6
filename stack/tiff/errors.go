package tiff

import "fmt"

// FormatError reports that the input is not a valid TIFF file or is damaged
// (truncated, offsets past the end, loops in the IFD chain, bad counts...).
type FormatError string

// Error describes what is wrong with the file.
func (e FormatError) Error() string { return "tiff: invalid format: " + string(e) }

// UnsupportedError reports a valid TIFF feature that this package does not
// handle, such as JPEG, CCITT, LogLuv or WebP compression, integers of
// other widths above 32 bits or complex samples.
type UnsupportedError string

// Error names the unsupported feature.
func (e UnsupportedError) Error() string { return "tiff: unsupported feature: " + string(e) }

// LimitError reports that a file asks for more memory than the reader was
// allowed to use (see WithMaxPlaneBytes). Raising the limit may help.
type LimitError struct {
	What  string // what exceeds the limit, e.g. "plane"
	Size  uint64 // bytes the file asks for
	Limit uint64 // bytes allowed
}

// Error says what exceeds which limit.
func (e *LimitError) Error() string {
	return fmt.Sprintf("tiff: %s needs %d bytes, more than the limit of %d", e.What, e.Size, e.Limit)
}

func formatErrorf(format string, args ...any) error {
	return FormatError(fmt.Sprintf(format, args...))
}

func unsupportedf(format string, args ...any) error {
	return UnsupportedError(fmt.Sprintf(format, args...))
}
