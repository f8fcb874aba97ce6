package tiff

import (
	"fmt"
	"strings"
)

// TIFF tags this package reads or writes.
const (
	tagNewSubfileType   = 254
	tagImageWidth       = 256
	tagImageLength      = 257
	tagBitsPerSample    = 258
	tagCompression      = 259
	tagPhotometric      = 262
	tagFillOrder        = 266
	tagImageDescription = 270
	tagStripOffsets     = 273
	tagSamplesPerPixel  = 277
	tagRowsPerStrip     = 278
	tagStripByteCounts  = 279
	tagXResolution      = 282
	tagYResolution      = 283
	tagPlanarConfig     = 284
	tagResolutionUnit   = 296
	tagSoftware         = 305
	tagPredictor        = 317
	tagColorMap         = 320
	tagTileWidth        = 322
	tagTileLength       = 323
	tagTileOffsets      = 324
	tagTileByteCounts   = 325
	tagSampleFormat     = 339
	tagExtraSamples     = 338
	tagYCbCrSubSampling = 530
	tagImageDepth       = 32997
)

// Field types of IFD entries.
const (
	typeByte      = 1
	typeASCII     = 2
	typeShort     = 3
	typeLong      = 4
	typeRational  = 5
	typeSByte     = 6
	typeUndefined = 7
	typeSShort    = 8
	typeSLong     = 9
	typeSRational = 10
	typeFloat     = 11
	typeDouble    = 12
	typeIFD       = 13
	typeLong8     = 16
	typeSLong8    = 17
	typeIFD8      = 18
)

// typeSize is the size in bytes of one value of a field type, 0 if unknown.
func typeSize(t uint16) int {
	switch t {
	case typeByte, typeASCII, typeSByte, typeUndefined:
		return 1
	case typeShort, typeSShort:
		return 2
	case typeLong, typeSLong, typeFloat, typeIFD:
		return 4
	case typeRational, typeSRational, typeDouble, typeLong8, typeSLong8, typeIFD8:
		return 8
	}
	return 0
}

// Sample formats.
const (
	sampleUint  = 1
	sampleInt   = 2
	sampleFloat = 3
	sampleVoid  = 4
)

// Compression is a TIFF compression scheme, numbered as in the Compression tag.
type Compression int

// Compression schemes this package reads and writes.
const (
	None     Compression = 1
	LZW      Compression = 5
	Deflate  Compression = 8
	PackBits Compression = 32773
	// deflateOld is the pre-TIFF-6 code for the same zlib stream.
	deflateOld Compression = 32946
)

// String returns the name used on the command line: none, lzw, deflate,
// packbits, or "compression(N)" for others.
func (c Compression) String() string {
	switch c {
	case None, 0:
		return "none"
	case LZW:
		return "lzw"
	case Deflate, deflateOld:
		return "deflate"
	case PackBits:
		return "packbits"
	case 6, 7:
		return "jpeg"
	case 34712:
		return "jpeg2000"
	case 50000:
		return "zstd"
	case 34887:
		return "lerc"
	case 34925:
		return "lzma"
	case 50001:
		return "webp"
	case 2:
		return "ccitt-rle"
	case 3:
		return "ccitt-fax3"
	case 4:
		return "ccitt-fax4"
	case 34676, 34677:
		return "logluv"
	case compNeXT:
		return "next"
	case compThunder:
		return "thunderscan"
	case 32909:
		return "pixarlog"
	case 34661:
		return "jbig"
	}
	return fmt.Sprintf("compression(%d)", int(c))
}

// ParseCompression accepts none, lzw, deflate (also zip or zlib) and packbits.
func ParseCompression(s string) (Compression, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "none", "raw":
		return None, nil
	case "lzw":
		return LZW, nil
	case "deflate", "zip", "zlib", "adobe_deflate":
		return Deflate, nil
	case "packbits":
		return PackBits, nil
	}
	return 0, fmt.Errorf("tiff: unknown compression %q (want none, lzw, deflate or packbits)", s)
}

// Predictor is the TIFF Predictor tag: a transform applied before
// compression that makes smooth images compress better.
type Predictor int

// Predictors.
const (
	// NoPredictor leaves samples as they are.
	NoPredictor Predictor = 1
	// Horizontal stores each sample as the difference from its left
	// neighbour (integer types).
	Horizontal Predictor = 2
	// FloatingPoint splits float samples into byte planes and differences
	// those (float32).
	FloatingPoint Predictor = 3
)

// String returns "none", "horizontal" or "float".
func (p Predictor) String() string {
	switch p {
	case 0, NoPredictor:
		return "none"
	case Horizontal:
		return "horizontal"
	case FloatingPoint:
		return "float"
	}
	return fmt.Sprintf("predictor(%d)", int(p))
}

// ParsePredictor accepts none, horizontal (or 2) and float (or 3).
func ParsePredictor(s string) (Predictor, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "none", "1":
		return NoPredictor, nil
	case "horizontal", "2":
		return Horizontal, nil
	case "float", "floatingpoint", "3":
		return FloatingPoint, nil
	}
	return 0, fmt.Errorf("tiff: unknown predictor %q (want none, horizontal or float)", s)
}
