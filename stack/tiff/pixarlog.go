package tiff

import (
	"encoding/binary"
	"math"
	"sync"
)

// PixarLog (TIFF code 32909) stores 11-bit companded codes, differenced
// along each row per sample, as 16-bit words in a zlib stream. The codes
// map to linear values through a table that is linear up to about 0.018
// and logarithmic above, up to about 25 (1250 is exactly 1.0). What a
// reader gets is the type BitsPerSample and SampleFormat name (libtiff's
// default data format): 8-bit samples are the linear value times 255,
// 16-bit ones times 65535 (rounded, clamped), 32-bit floats the value
// itself.
const compPixarLog Compression = 32909

const (
	pixarTableSize = 2048
	pixarOne       = 1250 // the code of 1.0
	pixarRatio     = 1.004
	pixarMask      = 0x7ff
)

// pixarTables are the code-to-value tables, built once.
var pixarTables = sync.OnceValue(func() (t struct {
	f   [pixarTableSize + 1]float32
	u16 [pixarTableSize + 1]uint16
	u8  [pixarTableSize + 1]uint8
}) {
	c := math.Log(pixarRatio)
	nlin := int(1 / c)
	c = 1 / float64(nlin)
	b := math.Exp(-c * pixarOne)
	linstep := b * c * math.Exp(1)
	for i := range nlin {
		t.f[i] = float32(float64(i) * linstep)
	}
	for i := nlin; i < pixarTableSize; i++ {
		t.f[i] = float32(b * math.Exp(c*float64(i)))
	}
	t.f[pixarTableSize] = t.f[pixarTableSize-1]
	for i, f := range t.f {
		v := float64(f)*65535 + 0.5
		if v > 65535 {
			t.u16[i] = 65535
		} else {
			t.u16[i] = uint16(v)
		}
		v = float64(f)*255 + 0.5
		if v > 255 {
			t.u8[i] = 255
		} else {
			t.u8[i] = uint8(v)
		}
	}
	return t
})

// pixarLogDecode decodes a PixarLog block of rows of width pixels of ns
// samples into dst, samples of size bytes (1: uint8, 2: uint16, 4:
// float32) in the byte order bo (the file's, which the caller swaps to
// the machine's as for any other codec).
func pixarLogDecode(src, dst []byte, width, ns, size int, bo binary.ByteOrder) error {
	rowLen := width * ns
	if rowLen <= 0 || len(dst)%(rowLen*size) != 0 {
		return FormatError("pixarlog: rows do not fill the block")
	}
	n := len(dst) / size
	words := make([]byte, 2*n)
	got, err := inflate(src, words)
	if err != nil {
		return err
	}
	if got < len(words) {
		return formatErrorf("pixarlog data decodes to %d bytes, want %d", got, len(words))
	}
	t := pixarTables()
	w := make([]uint16, n)
	for i := range w {
		w[i] = bo.Uint16(words[2*i:])
	}
	put := func(i int, v uint16) {
		k := int(v & pixarMask)
		o := i * size
		switch size {
		case 1:
			dst[o] = t.u8[k]
		case 2:
			bo.PutUint16(dst[o:], t.u16[k])
		case 4:
			bo.PutUint32(dst[o:], math.Float32bits(t.f[k]))
		}
	}
	for r := 0; r < n; r += rowLen {
		if ns == 3 || ns == 4 {
			// Each sample adds the one ns before it, as the encoder
			// differenced them; only the low 11 bits count.
			for i := r + ns; i < r+rowLen; i++ {
				w[i] += w[i-ns]
			}
			for i := r; i < r+rowLen; i++ {
				put(i, w[i])
			}
			continue
		}
		// For other sample counts libtiff's decoder (the reference for
		// what these files hold) adds each sample to the one after it
		// and takes the sample before the addition: the first pixel's
		// samples are never added, and the row's last ones are added
		// into the next row's first.
		for i := r; i < r+ns; i++ {
			put(i, w[i])
		}
		for i := r + ns; i < r+rowLen; i++ {
			if i+ns < n {
				w[i+ns] += w[i]
			}
			put(i, w[i])
		}
	}
	return nil
}
