package tiff

// ThunderScan's 4-bit compression (TIFF code 32809) codes each row as a
// sequence of bytes whose top two bits say what the low six hold:
//
//	00  a run: the last pixel repeated that many times
//	01  three 2-bit deltas from the last pixel (0, +1, skip, -1)
//	10  two 3-bit deltas (0, +1, +2, +3, skip, -3, -2, -1)
//	11  a raw pixel (the low four bits)
//
// Pixels are 4 bits, two per byte, the first in the high nibble; a row
// decodes to exactly its width in pixels, else the data is damaged. The
// last pixel starts at 0 on each row. A run that ends a row exactly is
// written out (libtiff's decoder counts those pixels without storing
// them, leaving whatever its buffer held).
const compThunder Compression = 32809

var (
	thunderDelta2 = [4]int{0, 1, 0, -1}
	thunderDelta3 = [8]int{0, 1, 2, 3, 0, -3, -2, -1}
)

// thunderDecode decodes ThunderScan data into dst, rows of rowBytes bytes
// holding width pixels each.
func thunderDecode(src, dst []byte, width, rowBytes int) (int, error) {
	if rowBytes <= 0 || width <= 0 || len(dst)%rowBytes != 0 {
		return 0, FormatError("thunderscan: rows do not fill the block")
	}
	p := 0
	for row := 0; row < len(dst); row += rowBytes {
		r := dst[row : row+rowBytes]
		clear(r)
		last, npix := 0, 0
		set := func(v int) {
			last = v & 0xf
			if npix < width {
				if npix&1 == 1 {
					r[npix>>1] |= byte(last)
				} else {
					r[npix>>1] = byte(last << 4)
				}
				npix++
			}
		}
		for p < len(src) && npix < width {
			c := int(src[p])
			p++
			switch c & 0xc0 {
			case 0x00:
				n := c & 0x3f
				if npix+n > width {
					return 0, formatErrorf("thunderscan: row %d: a run of %d past %d of %d pixels", row/rowBytes, n, npix, width)
				}
				for ; n > 0; n-- {
					set(last)
				}
			case 0x40:
				for _, sh := range [3]uint{4, 2, 0} {
					if d := c >> sh & 3; d != 2 {
						set(last + thunderDelta2[d])
					}
				}
			case 0x80:
				for _, sh := range [2]uint{3, 0} {
					if d := c >> sh & 7; d != 4 {
						set(last + thunderDelta3[d])
					}
				}
			default:
				set(c)
			}
		}
		if npix != width {
			return 0, formatErrorf("thunderscan: row %d: %d of %d pixels", row/rowBytes, npix, width)
		}
	}
	return len(dst), nil
}
