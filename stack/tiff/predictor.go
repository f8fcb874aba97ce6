package tiff

import (
	"encoding/binary"
	"math/bits"
)

// nativeLE reports whether this machine is little-endian.
var nativeLE = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// swapBytes reverses the byte order of every size-byte sample of b.
func swapBytes(b []byte, size int) {
	switch size {
	case 2:
		for i := 0; i+1 < len(b); i += 2 {
			v := binary.LittleEndian.Uint16(b[i:])
			binary.LittleEndian.PutUint16(b[i:], bits.ReverseBytes16(v))
		}
	case 4:
		for i := 0; i+3 < len(b); i += 4 {
			v := binary.LittleEndian.Uint32(b[i:])
			binary.LittleEndian.PutUint32(b[i:], bits.ReverseBytes32(v))
		}
	case 8:
		for i := 0; i+7 < len(b); i += 8 {
			v := binary.LittleEndian.Uint64(b[i:])
			binary.LittleEndian.PutUint64(b[i:], bits.ReverseBytes64(v))
		}
	}
}

// undoHorizontal reverses horizontal differencing in place. b holds rows of
// rowLen native-order samples of size bytes; each sample was differenced
// from the one stride samples before it (the samples per pixel of
// interleaved pixels, else 1).
func undoHorizontal(b []byte, rowLen, size, stride int) {
	rowBytes := rowLen * size
	ne := binary.NativeEndian
	if stride > 1 {
		for r := 0; r+rowBytes <= len(b); r += rowBytes {
			row := b[r : r+rowBytes]
			for i := stride; i < rowLen; i++ {
				switch size {
				case 1:
					row[i] += row[i-stride]
				case 2:
					ne.PutUint16(row[2*i:], ne.Uint16(row[2*i:])+ne.Uint16(row[2*(i-stride):]))
				case 4:
					ne.PutUint32(row[4*i:], ne.Uint32(row[4*i:])+ne.Uint32(row[4*(i-stride):]))
				case 8:
					ne.PutUint64(row[8*i:], ne.Uint64(row[8*i:])+ne.Uint64(row[8*(i-stride):]))
				}
			}
		}
		return
	}
	for r := 0; r+rowBytes <= len(b); r += rowBytes {
		row := b[r : r+rowBytes]
		switch size {
		case 1:
			for i := 1; i < len(row); i++ {
				row[i] += row[i-1]
			}
		case 2:
			acc := ne.Uint16(row)
			for i := 2; i+1 < len(row); i += 2 {
				acc += ne.Uint16(row[i:])
				ne.PutUint16(row[i:], acc)
			}
		case 4:
			acc := ne.Uint32(row)
			for i := 4; i+3 < len(row); i += 4 {
				acc += ne.Uint32(row[i:])
				ne.PutUint32(row[i:], acc)
			}
		case 8:
			acc := ne.Uint64(row)
			for i := 8; i+7 < len(row); i += 8 {
				acc += ne.Uint64(row[i:])
				ne.PutUint64(row[i:], acc)
			}
		}
	}
}

// doHorizontal applies horizontal differencing in place (the inverse of
// undoHorizontal).
func doHorizontal(b []byte, rowLen, size int) {
	rowBytes := rowLen * size
	ne := binary.NativeEndian
	for r := 0; r+rowBytes <= len(b); r += rowBytes {
		row := b[r : r+rowBytes]
		switch size {
		case 1:
			for i := len(row) - 1; i > 0; i-- {
				row[i] -= row[i-1]
			}
		case 2:
			for i := len(row) - 2; i > 0; i -= 2 {
				ne.PutUint16(row[i:], ne.Uint16(row[i:])-ne.Uint16(row[i-2:]))
			}
		case 4:
			for i := len(row) - 4; i > 0; i -= 4 {
				ne.PutUint32(row[i:], ne.Uint32(row[i:])-ne.Uint32(row[i-4:]))
			}
		}
	}
}

// The floating-point predictor (Adobe Photoshop TIFF Technical Note 3)
// stores each row as byte planes, most significant bytes first, and then
// differences consecutive bytes. Decoding yields native-order samples
// whatever the file's byte order.

// undoFloat reverses the floating-point predictor in place; tmp must hold
// at least one row (rowLen*size bytes). The byte differences span stride
// bytes (the samples per pixel of interleaved pixels, else 1).
func undoFloat(b, tmp []byte, rowLen, size, stride int) {
	rowBytes := rowLen * size
	tmp = tmp[:rowBytes]
	for r := 0; r+rowBytes <= len(b); r += rowBytes {
		row := b[r : r+rowBytes]
		for i := stride; i < len(row); i++ {
			row[i] += row[i-stride]
		}
		copy(tmp, row)
		for k := 0; k < rowLen; k++ {
			for j := 0; j < size; j++ { // j = 0 is the most significant byte
				if nativeLE {
					row[k*size+size-1-j] = tmp[j*rowLen+k]
				} else {
					row[k*size+j] = tmp[j*rowLen+k]
				}
			}
		}
	}
}

// doFloat applies the floating-point predictor in place to rows of
// native-order samples; tmp must hold at least one row.
func doFloat(b, tmp []byte, rowLen, size int) {
	rowBytes := rowLen * size
	tmp = tmp[:rowBytes]
	for r := 0; r+rowBytes <= len(b); r += rowBytes {
		row := b[r : r+rowBytes]
		for k := 0; k < rowLen; k++ {
			for j := 0; j < size; j++ {
				if nativeLE {
					tmp[j*rowLen+k] = row[k*size+size-1-j]
				} else {
					tmp[j*rowLen+k] = row[k*size+j]
				}
			}
		}
		copy(row, tmp)
		for i := len(row) - 1; i > 0; i-- {
			row[i] -= row[i-1]
		}
	}
}
