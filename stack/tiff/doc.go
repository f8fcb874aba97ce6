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
// samples, read as they are; samples the stack package has no type for,
// widened exactly (see Reader.Widened): int8 to int16, float16 to float32,
// and integers of any other width up to 32 bits (packed, rows padded to
// whole bytes; 24-bit ones in whole bytes) to the smallest type that holds
// them, so 1-bit bilevel images (uint8 0/1, 1 for white), 2-, 4- and
// 12-bit ones to uint8 or uint16, 24-bit ones to uint32 or int32; palette
// images (read as their indices, see ColorMap); one or several samples
// per pixel (RGB, RGBA, CMYK, YCbCr, multi-sample grey), interleaved
// (PlanarConfiguration 1) or in separate planes (2): each sample of a page
// is read as a plane of its own, a channel, the samples of a page
// adjacent; YCbCr is read as stored (Y, Cb, Cr, no conversion to RGB),
// subsampled chroma replicated over the pixels it covers. Compressions:
// none, LZW, Deflate, PackBits, Zstandard, LZMA, NeXT, ThunderScan,
// PixarLog (decoded to 8-bit, 16-bit or float samples as libtiff does by
// default), JBIG (1-bit images in one strip, as libtiff writes and
// reads them) and LERC (LERC2 blobs, lossless or lossy, optionally
// deflated or zstd-compressed, decoded as libtiff decodes them); 24-bit floats widen to float32, 64-bit integers read as
// stack.Int64 and stack.Uint64; with the
// horizontal-differencing (2) and floating-point (3) predictors where
// libtiff allows them; strips and tiles. ImageJ hyperstack descriptions,
// OME-XML and tifffile's "shaped" JSON descriptions are parsed into
// Metadata. Anything else (JPEG, CCITT fax, LogLuv or WebP
// compression, integers of other widths above 32 bits, complex samples)
// is reported as an UnsupportedError; files
// whose bytes are stored least significant bit first (FillOrder 2) are read
// as libtiff reads them, the bits of the stored data reversed; damaged
// files are reported as a FormatError. Writing covers the types read as
// they are.
package tiff
