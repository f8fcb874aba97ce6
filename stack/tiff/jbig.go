package tiff

import (
	"encoding/binary"
	"math/bits"
)

// JBIG (TIFF code 34661) holds each strip as a bi-level image entity of
// ITU-T T.82 (ISO/IEC 11544), coded with the adaptive binary arithmetic
// coder of that standard. This decoder reads what libtiff writes for 1-bit
// images: one plane, one resolution layer (D = 0), stripes of L0 lines,
// each a stripe data entity ended by SDNORM or SDRST; the three- and
// two-line templates, the adaptive template pixel moved by ATMOVE, typical
// prediction (TPBON), NEWLEN with VLENGTH, COMMENT segments and a private
// deterministic-prediction table (skipped: it applies to higher layers
// only). Higher resolution layers, which libtiff never writes, are
// refused.
//
// libtiff exchanges the bit order of the stored bytes when FillOrder is 1
// (and leaves them when it is 2), the reverse of every other codec; the
// reader has already reversed them for FillOrder 2, so the decoder
// reverses them once more whatever the tag says.
const compJBIG Compression = 34661

// Marker codes of T.82 (each follows an ESC byte, 0xFF).
const (
	jbigESC     = 0xff
	jbigSTUFF   = 0x00
	jbigRESERVE = 0x01
	jbigSDNORM  = 0x02
	jbigSDRST   = 0x03
	jbigABORT   = 0x04
	jbigNEWLEN  = 0x05
	jbigATMOVE  = 0x06
	jbigCOMMENT = 0x07
)

// Option bits of the BIH.
const (
	jbigLRLTWO  = 0x40
	jbigVLENGTH = 0x20
	jbigTPBON   = 0x08
	jbigDPON    = 0x04
	jbigDPPRIV  = 0x02
	jbigDPLAST  = 0x01
)

// Contexts of the typical-prediction pseudo pixel (T.82, 6.3).
const (
	jbigTP3 = 0x0e5 // three-line template
	jbigTP2 = 0x195 // two-line template
)

// The probability estimation table of the arithmetic coder (T.82 Table
// 24, the same as T.81 Table D.3): LSZ, the next state after an MPS and
// after an LPS, and whether an LPS exchanges the MPS sense.
var (
	jbigLSZ = [113]uint16{
		0x5a1d, 0x2586, 0x1114, 0x080b, 0x03d8, 0x01da, 0x00e5, 0x006f, 0x0036, 0x001a, 0x000d, 0x0006,
		0x0003, 0x0001, 0x5a7f, 0x3f25, 0x2cf2, 0x207c, 0x17b9, 0x1182, 0x0cef, 0x09a1, 0x072f, 0x055c,
		0x0406, 0x0303, 0x0240, 0x01b1, 0x0144, 0x00f5, 0x00b7, 0x008a, 0x0068, 0x004e, 0x003b, 0x002c,
		0x5ae1, 0x484c, 0x3a0d, 0x2ef1, 0x261f, 0x1f33, 0x19a8, 0x1518, 0x1177, 0x0e74, 0x0bfb, 0x09f8,
		0x0861, 0x0706, 0x05cd, 0x04de, 0x040f, 0x0363, 0x02d4, 0x025c, 0x01f8, 0x01a4, 0x0160, 0x0125,
		0x00f6, 0x00cb, 0x00ab, 0x008f, 0x5b12, 0x4d04, 0x412c, 0x37d8, 0x2fe8, 0x293c, 0x2379, 0x1edf,
		0x1aa9, 0x174e, 0x1424, 0x119c, 0x0f6b, 0x0d51, 0x0bb6, 0x0a40, 0x5832, 0x4d1c, 0x438e, 0x3bdd,
		0x34ee, 0x2eae, 0x299a, 0x2516, 0x5570, 0x4ca9, 0x44d9, 0x3e22, 0x3824, 0x32b4, 0x2e17, 0x56a8,
		0x4f46, 0x47e5, 0x41cf, 0x3c3d, 0x375e, 0x5231, 0x4c0f, 0x4639, 0x415e, 0x5627, 0x50e7, 0x4b85,
		0x5597, 0x504f, 0x5a10, 0x5522, 0x59eb,
	}
	jbigNMPS = [113]uint8{
		1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 13, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27,
		28, 29, 30, 31, 32, 33, 34, 35, 9, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52,
		53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 32, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77,
		78, 79, 48, 81, 82, 83, 84, 85, 86, 87, 71, 89, 90, 91, 92, 93, 94, 86, 96, 97, 98, 99, 100, 93,
		102, 103, 104, 99, 106, 107, 103, 109, 107, 111, 109, 111,
	}
	jbigNLPS = [113]uint8{
		1, 14, 16, 18, 20, 23, 25, 28, 30, 33, 35, 9, 10, 12, 15, 36, 38, 39, 40, 42, 43, 45, 46, 48, 49,
		51, 52, 54, 56, 57, 59, 60, 62, 63, 32, 33, 37, 64, 65, 67, 68, 69, 70, 72, 73, 74, 75, 77, 78, 79,
		48, 50, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 61, 61, 65, 80, 81, 82, 83, 84, 86, 87, 87, 72, 72,
		74, 74, 75, 77, 77, 80, 88, 89, 90, 91, 92, 93, 86, 88, 95, 96, 97, 99, 99, 93, 95, 101, 102, 103,
		104, 99, 105, 106, 107, 103, 105, 108, 109, 110, 111, 110, 112, 112,
	}
	jbigSwitch = [113]bool{0: true, 14: true, 36: true, 64: true, 80: true, 88: true, 95: true, 105: true, 110: true, 112: true}
)

// jbigArith is the arithmetic decoder of one stripe data entity. The top
// 16 bits of c are compared with the interval a; ct counts the fresh bits
// below them. Past its end the data reads as zeros, as the standard asks.
type jbigArith struct {
	c, a uint32
	ct   int
	data []byte // the stripe's coded data, ESC STUFF pairs included
	pos  int
	// st holds per context the state index (low 7 bits) and the MPS (top
	// bit); the lowest layer's templates have 10 bits of context.
	st [1024]uint8
}

func (d *jbigArith) byteIn() uint32 {
	if d.pos >= len(d.data) {
		return 0
	}
	b := d.data[d.pos]
	d.pos++
	if b == jbigESC {
		d.pos++ // the STUFF byte after an ESC in coded data
	}
	return uint32(b)
}

// start begins a stripe data entity, keeping the context states when keep
// is set (after SDNORM) and clearing them otherwise.
func (d *jbigArith) start(data []byte, keep bool) {
	if !keep {
		clear(d.st[:])
	}
	d.data, d.pos = data, 0
	d.c = d.byteIn()<<24 | d.byteIn()<<16 | d.byteIn()<<8
	d.ct = 8
	d.a = 0x10000
}

func (d *jbigArith) decode(cx int) int {
	s := d.st[cx]
	i, mps := s&0x7f, int(s>>7)
	lsz := uint32(jbigLSZ[i])
	d.a -= lsz
	var pix int
	if d.c>>16 < d.a {
		if d.a >= 0x8000 {
			return mps
		}
		// The MPS sub-interval has become the smaller one: exchange.
		if d.a < lsz {
			pix = 1 - mps
			d.lps(cx, i, mps)
		} else {
			pix = mps
			d.st[cx] = uint8(mps<<7) | jbigNMPS[i]
		}
	} else {
		d.c -= d.a << 16
		if d.a < lsz {
			pix = mps
			d.st[cx] = uint8(mps<<7) | jbigNMPS[i]
		} else {
			pix = 1 - mps
			d.lps(cx, i, mps)
		}
		d.a = lsz
	}
	for d.a < 0x8000 {
		if d.ct == 8 {
			d.c |= d.byteIn()
			d.ct = 16
		}
		d.c <<= 1
		d.a <<= 1
		d.ct--
	}
	return pix
}

func (d *jbigArith) lps(cx int, i uint8, mps int) {
	if jbigSwitch[i] {
		mps = 1 - mps
	}
	d.st[cx] = uint8(mps<<7) | jbigNLPS[i]
}

// jbigDecode decodes the bi-level image entity src (as stored in the
// file, after the reader's FillOrder handling) into dst: h rows of w
// pixels, (w+7)/8 bytes a row, most significant bit first, 1 for black as
// JBIG codes it. src is modified (its bits reversed).
func jbigDecode(src, dst []byte, w, h int) error {
	if len(src) < 20 {
		return formatErrorf("jbig: %d bytes, shorter than the 20-byte header", len(src))
	}
	// A header already in the standard bit order (its plane count, 1,
	// reads as 128 reversed) is taken as it is.
	if src[2] != 1 {
		for i, b := range src {
			src[i] = bits.Reverse8(b)
		}
	}
	be := binary.BigEndian
	dl, d, planes := src[0], src[1], src[2]
	xd, yd, l0 := be.Uint32(src[4:]), be.Uint32(src[8:]), be.Uint32(src[12:])
	mx, opts := int(src[16]), src[19]
	switch {
	case planes != 1:
		return unsupportedf("jbig: %d bit planes (1 is read)", planes)
	case dl != 0 || d != 0:
		return unsupportedf("jbig: resolution layers %d to %d (only the single lowest layer is read)", dl, d)
	case src[3] != 0 || src[18]&0xf0 != 0 || opts&0x80 != 0:
		return FormatError("jbig: reserved header bits set")
	case l0 == 0:
		return FormatError("jbig: stripes of 0 lines")
	case mx > 127:
		return formatErrorf("jbig: adaptive template offset up to %d (at most 127)", mx)
	case int64(xd) != int64(w):
		return formatErrorf("jbig: image is %d pixels wide but the strip %d", xd, w)
	case int64(yd) < int64(h):
		return formatErrorf("jbig: image has %d lines but the strip %d", yd, h)
	case int64(yd) > int64(h) && opts&jbigVLENGTH == 0:
		return formatErrorf("jbig: image has %d lines but the strip %d", yd, h)
	}
	pos := 20
	if opts&(jbigDPON|jbigDPPRIV|jbigDPLAST) == jbigDPON|jbigDPPRIV {
		pos += 1728 // a private prediction table, for differential layers
		if pos > len(src) {
			return FormatError("jbig: truncated deterministic prediction table")
		}
	}
	twoLine := opts&jbigLRLTWO != 0
	minTX, tpCX := 3, jbigTP3
	if twoLine {
		minTX, tpCX = 5, jbigTP2
	}
	row := (w + 7) / 8
	clear(dst[:row*h])
	var ar jbigArith
	keep := false // context states carried over (after SDNORM)
	tx := 0       // adaptive template offset, 0 for its default place
	ltp := 1      // LNTP of the line before
	base := 0     // first line of the current run of lines since SDRST
	y := 0
	type move struct{ line, tx int }
	for int64(y) < int64(yd) {
		// Floating marker segments before the stripe.
		var moves []move
		for pos+1 < len(src) && src[pos] == jbigESC {
			switch src[pos+1] {
			case jbigATMOVE:
				if pos+8 > len(src) {
					return FormatError("jbig: truncated ATMOVE")
				}
				line, t, ty := be.Uint32(src[pos+2:]), int(src[pos+6]), src[pos+7]
				if ty != 0 {
					return unsupportedf("jbig: adaptive template moved %d lines up (only moves within the line are read)", ty)
				}
				if t != 0 && (t < minTX || t > mx) {
					return formatErrorf("jbig: adaptive template moved to %d pixels back (0 or %d to %d allowed)", t, minTX, mx)
				}
				if int64(line) < int64(l0) {
					moves = append(moves, move{int(line), t})
				}
				pos += 8
			case jbigCOMMENT:
				if pos+6 > len(src) {
					return FormatError("jbig: truncated COMMENT")
				}
				n := int64(be.Uint32(src[pos+2:]))
				if n > int64(len(src)-pos-6) {
					return FormatError("jbig: COMMENT runs past the data")
				}
				pos += 6 + int(n)
			case jbigNEWLEN:
				if pos+6 > len(src) {
					return FormatError("jbig: truncated NEWLEN")
				}
				v := be.Uint32(src[pos+2:])
				if v > yd || int64(v) < int64(y) {
					return formatErrorf("jbig: NEWLEN of %d lines (the header says %d, %d are decoded)", v, yd, y)
				}
				yd = v
				pos += 6
			case jbigABORT:
				return FormatError("jbig: the data ends with ABORT")
			default:
				goto pscd
			}
		}
	pscd:
		if int64(y) >= int64(yd) {
			break
		}
		// The stripe's coded data runs to the first ESC that is not
		// followed by STUFF: SDNORM or SDRST.
		end := pos
		for {
			if end+1 >= len(src) {
				return formatErrorf("jbig: truncated: stripe at line %d has no end marker", y)
			}
			if src[end] == jbigESC {
				if src[end+1] != jbigSTUFF {
					break
				}
				end++
			}
			end++
		}
		marker := src[end+1]
		if marker != jbigSDNORM && marker != jbigSDRST {
			return formatErrorf("jbig: marker %#02x inside a stripe at line %d", marker, y)
		}
		next := end + 2
		// A NEWLEN right after the stripe ends the image within it.
		if next+1 < len(src) && src[next] == jbigESC && src[next+1] == jbigNEWLEN {
			if next+6 > len(src) {
				return FormatError("jbig: truncated NEWLEN")
			}
			v := be.Uint32(src[next+2:])
			if v > yd || int64(v) < int64(y) {
				return formatErrorf("jbig: NEWLEN of %d lines (the header says %d, %d are decoded)", v, yd, y)
			}
			yd = v
			next += 6
		}
		n := min(uint64(l0), uint64(yd)-uint64(y))
		if uint64(y)+n > uint64(h) {
			return formatErrorf("jbig: image has more than the strip's %d lines", h)
		}
		lines := int(n)
		ar.start(src[pos:end], keep)
		for i := range lines {
			for _, m := range moves {
				if m.line == i {
					tx = m.tx
				}
			}
			cur := dst[y*row : (y+1)*row]
			if opts&jbigTPBON != 0 {
				ltp = 1 ^ (ar.decode(tpCX) ^ ltp)
				if ltp == 0 {
					// A typical line repeats the one above.
					if y > base {
						copy(cur, dst[(y-1)*row:y*row])
					}
					y++
					continue
				}
			}
			var up1, up2 []byte
			if y-1 >= base {
				up1 = dst[(y-1)*row : y*row]
			}
			if y-2 >= base {
				up2 = dst[(y-2)*row : (y-1)*row]
			}
			jbigLine(&ar, cur, up1, up2, w, tx, twoLine)
			y++
		}
		keep = marker == jbigSDNORM
		if !keep {
			tx, ltp, base = 0, 1, y
		}
		pos = next
	}
	if y != h {
		return formatErrorf("jbig: image has %d lines but the strip %d", y, h)
	}
	return nil
}

// pixelAt returns pixel x of a packed row, 0 outside it or for no row.
func pixelAt(r []byte, x, w int) uint32 {
	if r == nil || x < 0 || x >= w {
		return 0
	}
	return uint32(r[x>>3]>>(7-x&7)) & 1
}

// jbigLine decodes one line of the lowest resolution layer. up1 and up2
// are the lines above (nil above the first line or a reset), tx the
// adaptive template pixel's offset back along the line (0: its default
// place above). The context numbers the template's pixels as T.82 does:
//
//	three-line:  9 8 7          two-line:  9 8 7 6 5 4
//	           6 5 4 3 2                 3 2 1 0 X
//	             1 0 X
//
// with bit 2 (three-line) or 4 (two-line) the adaptive pixel, at x+2 of
// the line above unless moved.
func jbigLine(ar *jbigArith, cur, up1, up2 []byte, w, tx int, twoLine bool) {
	// h1 holds the line's decoded pixels (bit 0 the last), h2 the line
	// above from x+2 (bit 0) back, h3 the one above that from x+1 back.
	var h1 uint32
	h2 := pixelAt(up1, 0, w)<<2 | pixelAt(up1, 1, w)<<1 | pixelAt(up1, 2, w)
	h3 := pixelAt(up2, 0, w)<<1 | pixelAt(up2, 1, w)
	for x := range w {
		var cx uint32
		a := h2 & 1
		if tx != 0 {
			a = 0
			if tx <= x {
				a = pixelAt(cur, x-tx, w)
			}
		}
		if twoLine {
			cx = (h2&0x3e)<<4 | a<<4 | h1&0xf
		} else {
			cx = (h3&7)<<7 | (h2&0x1e)<<2 | a<<2 | h1&3
		}
		pix := ar.decode(int(cx))
		if pix != 0 {
			cur[x>>3] |= 0x80 >> (x & 7)
		}
		h1 = h1<<1 | uint32(pix)
		h2 = h2<<1 | pixelAt(up1, x+3, w)
		h3 = h3<<1 | pixelAt(up2, x+2, w)
	}
}
