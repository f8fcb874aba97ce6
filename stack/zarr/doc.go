// Package zarr reads and writes Zarr arrays (format versions 2 and 3) and
// OME-NGFF images (NGFF 0.4 on Zarr v2, 0.5 on Zarr v3) on a local file
// system, for stacks too large for one file or written by many processes.
//
// Reading is lazy and random-access: Open reads only an array's metadata;
// chunks are read and decoded when a region, a chunk (ReadChunk) or a plane
// (Planes, which serves the pipeline as the TIFF reader does) is asked for.
// Chunks that were never written read as the fill value. Decoded chunks a
// read uses only in part are kept in a small cache for the next read.
//
// Writing is chunk-parallel and crash-safe: Create starts an array, chunks
// are written in any order from any number of goroutines (or processes, see
// OpenWriter), each to a temporary file renamed into place, and Commit
// writes the metadata last. A reader never sees an array whose metadata
// promises chunks that are not there yet, a rerun replaces the old array
// cleanly, and temporaries of killed writers carry a name that Create and
// RemoveTemporaries recognise and remove. PlaneWriter streams planes into an
// array in bounded memory; ImageWriter does the same for an OME-NGFF image
// with its resolution pyramid, and CreateLabels adds label images.
//
// Supported: data types uint8, uint16, int16, uint32, int32, float32 and
// float64, little- and big-endian; C order (F order and the v3 transpose
// codec on read); v2 keys with "." or "/" and v3 "default" and "v2" chunk
// key encodings; regular chunk grids with partial edge chunks. Codecs:
// Blosc 1 (written with lz4, zstd or zlib and byte shuffle or none; read
// also with blosclz and bit shuffle), zstd, zlib (v2), gzip, and on read
// numcodecs' lz4 (v2) and crc32c (v3). Anything else, such as sharding,
// filters, Blosc2 chunks, snappy, bz2 or lzma, is reported as an
// UnsupportedError; damaged metadata or chunks as a FormatError; arrays
// whose chunks exceed the reader's memory limit as a LimitError.
package zarr
