package tiff

// NeXT's 2-bit compression (TIFF code 32766) codes each row on its own.
// Its first byte says how:
//
//	0x00  the row follows, raw
//	0x40  a span: offset and length (big-endian 16-bit each) in bytes,
//	      then that many raw bytes, the rest of the row staying white
//	else  runs: each byte holds a 2-bit grey (its top bits) and a 6-bit
//	      count, until the row's pixels are all set
//
// Rows start white (all ones, min-is-black). Run rows write each byte's
// pixels from its first: a run row that ends inside a byte leaves the
// bits after it zero, as libtiff's decoder does.
const (
	compNeXT Compression = 32766

	nextLiteralRow  = 0x00
	nextLiteralSpan = 0x40
)

// nextDecode decodes NeXT data into dst, rows of rowBytes bytes holding
// width 2-bit pixels. Rows the data does not reach stay white.
func nextDecode(src, dst []byte, width, rowBytes int) (int, error) {
	for i := range dst {
		dst[i] = 0xff
	}
	if rowBytes <= 0 || width <= 0 {
		return 0, FormatError("next: empty rows")
	}
	p := 0
	for row := 0; row+rowBytes <= len(dst) && p < len(src); row += rowBytes {
		r := dst[row : row+rowBytes]
		code := src[p]
		p++
		switch code {
		case nextLiteralRow:
			if len(src)-p < rowBytes {
				return 0, formatErrorf("next: row %d: %d bytes left for a row of %d", row/rowBytes, len(src)-p, rowBytes)
			}
			copy(r, src[p:p+rowBytes])
			p += rowBytes
		case nextLiteralSpan:
			if len(src)-p < 4 {
				return 0, formatErrorf("next: row %d: truncated span", row/rowBytes)
			}
			off := int(src[p])<<8 | int(src[p+1])
			n := int(src[p+2])<<8 | int(src[p+3])
			p += 4
			if len(src)-p < n || off+n > rowBytes {
				return 0, formatErrorf("next: row %d: span of %d bytes at %d in a row of %d", row/rowBytes, n, off, rowBytes)
			}
			copy(r[off:], src[p:p+n])
			p += n
		default:
			npix, o := 0, 0
			for {
				grey := code >> 6
				for n := code & 0x3f; n > 0 && npix < width && o < rowBytes; n-- {
					switch npix & 3 {
					case 0:
						r[o] = grey << 6
					case 1:
						r[o] |= grey << 4
					case 2:
						r[o] |= grey << 2
					case 3:
						r[o] |= grey
						o++
					}
					npix++
				}
				if npix >= width {
					break
				}
				if o >= rowBytes {
					return 0, formatErrorf("next: row %d: runs past the row", row/rowBytes)
				}
				if p >= len(src) {
					return 0, formatErrorf("next: row %d: runs end after %d of %d pixels", row/rowBytes, npix, width)
				}
				code = src[p]
				p++
			}
		}
	}
	return len(dst), nil
}
