// Package tiff reads and writes multi-page TIFF and BigTIFF stacks of
// grayscale planes, as produced by Fiji/ImageJ, tifffile, microscope
// software and OME tools.
//
// Reading is lazy and random-access: Open parses only the chain of image
// file directories (IFDs) and keeps the file open; each plane is decoded on
// demand into a buffer the caller owns, with ReadAt only, so several
// goroutines may read planes of one Reader at the same time.
//
// Writing is streaming: Create returns a Writer to which planes are
// appended one at a time. The file has no name until Close links it into
// place (an O_TMPFILE on Linux, a temporary name the next run removes
// elsewhere), so a failed, cancelled or killed write never leaves a partial
// file under the final name. Names ending in ".ome.tif" get an OME-XML
// description. Large files are written with direct I/O where the system
// allows it (see WriterOptions.Cached): raw planes go to the disk from the
// caller's memory, and Close's fsync finds little left to do.
//
// Supported: classic TIFF and BigTIFF, little- and big-endian files of
// 8/16/32-bit unsigned, 16/32-bit signed or 32/64-bit floating-point
// samples, 1-bit bilevel images (read as uint8 0/1, 1 for white), 2- and
// 4-bit samples (read as uint8) and
// palette images (read as their indices, see ColorMap), one or several
// samples per pixel (RGB, RGBA, multi-sample grey), interleaved
// (PlanarConfiguration 1) or in separate planes (2): each sample of a page
// is read as a plane of its own, a channel, the samples of a page
// adjacent; no compression, LZW, Deflate and PackBits, with the
// horizontal-differencing (2) and floating-point (3) predictors; strips
// and tiles. ImageJ hyperstack descriptions, OME-XML and tifffile's
// "shaped" JSON descriptions are parsed into Metadata. Anything else is
// reported as an UnsupportedError; damaged files are reported as a
// FormatError.
package tiff
