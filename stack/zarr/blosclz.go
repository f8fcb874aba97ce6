package zarr

// BloscLZ is Blosc's own LZ77 codec, a variant of FastLZ. A stream is a
// sequence of tokens, each starting with a control byte; the top three
// bits of the very first byte carry a format marker and are ignored.
//
//   - ctrl < 32: a literal run of ctrl+1 bytes follows.
//   - ctrl >= 32: a match. Its length is (ctrl>>5)+2; when ctrl>>5 is 7, bytes
//     follow that add to the length, each 255 meaning "more follows". The
//     next byte c and the low five bits h of ctrl give the distance back
//     from the output position, h*256+c+1, except that h = 31 with c = 255
//     announces a far match: a big-endian 16-bit value d follows and the
//     distance is d+8192. Matches may overlap their own output.

// blosclzMaxDistance is the farthest a short match reaches.
const blosclzMaxDistance = 8191

// blosclzDecode decodes a BloscLZ stream into dst and returns the number of
// bytes it wrote.
func blosclzDecode(src, dst []byte) (int, error) {
	if len(src) == 0 {
		return 0, formatErrorf("empty blosclz stream")
	}
	ip, op := 1, 0
	ctrl := int(src[0] & 31)
	for {
		if ctrl >= 32 {
			length := ctrl>>5 - 1
			hi := (ctrl & 31) << 8
			if length == 6 {
				for {
					if ip >= len(src) {
						return op, formatErrorf("blosclz stream is truncated in a match length")
					}
					c := int(src[ip])
					ip++
					length += c
					if c != 255 {
						break
					}
				}
			}
			if ip >= len(src) {
				return op, formatErrorf("blosclz stream is truncated in a match distance")
			}
			c := int(src[ip])
			ip++
			dist := hi + c + 1
			if c == 255 && hi == 31<<8 {
				if ip+2 > len(src) {
					return op, formatErrorf("blosclz stream is truncated in a far distance")
				}
				dist = int(src[ip])<<8 | int(src[ip+1]) + blosclzMaxDistance + 1
				ip += 2
			}
			length += 3
			if dist > op {
				return op, formatErrorf("blosclz match reaches %d bytes back from position %d", dist, op)
			}
			if length > len(dst)-op {
				return op, formatErrorf("blosclz stream decodes to more than %d bytes", len(dst))
			}
			from := op - dist
			if dist >= length {
				copy(dst[op:op+length], dst[from:from+length])
			} else {
				for i := 0; i < length; i++ { // overlapping: byte by byte
					dst[op+i] = dst[from+i]
				}
			}
			op += length
		} else {
			n := ctrl + 1
			if n > len(src)-ip {
				return op, formatErrorf("blosclz literal run of %d bytes is truncated", n)
			}
			if n > len(dst)-op {
				return op, formatErrorf("blosclz stream decodes to more than %d bytes", len(dst))
			}
			copy(dst[op:], src[ip:ip+n])
			ip += n
			op += n
		}
		if ip >= len(src) {
			return op, nil
		}
		ctrl = int(src[ip])
		ip++
	}
}
