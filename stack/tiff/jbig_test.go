package tiff

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math/bits"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// jbigSeedHex is a bi-level image entity coded by jbigkit (make_codecs.py's
// jbg_encode with options TPBON, L0 4, MX 8; in the standard bit order) of
// jbigSeedPixel over 37x23 pixels: six stripes ended by SDNORM, a stuffed
// 0xFF among the coded bytes, four blank lines for typical prediction.
const jbigSeedHex = "0000010000000025000000170000000408000308eeabcd315b9836ed1857189fff02c204f3fb9bcf64c6c8c1" +
	"80ff02d7ff00a130c851078bbaff02c0c2d7cc8034f00b70ff027f7d2080ff023adabc1289fc08611320ff02"

const jbigSeedW, jbigSeedH = 37, 23

func jbigSeedPixel(x, y int) bool { return (y < 10 || y >= 14) && (x*x+3*y)%11 < 4 }

// jbigSeed returns the entity as libtiff stores it under FillOrder 1
// (bits reversed), which is what jbigDecode expects.
func jbigSeed(t testing.TB) []byte {
	b, err := hex.DecodeString(jbigSeedHex)
	require.NoError(t, err)
	for i := range b {
		b[i] = bits.Reverse8(b[i])
	}
	return b
}

func TestJBIGDecodesSeed(t *testing.T) {
	for _, reversed := range []bool{true, false} {
		src := jbigSeed(t)
		if !reversed {
			// The standard bit order is recognised too.
			for i := range src {
				src[i] = bits.Reverse8(src[i])
			}
		}
		row := (jbigSeedW + 7) / 8
		dst := make([]byte, row*jbigSeedH)
		require.NoError(t, jbigDecode(src, dst, jbigSeedW, jbigSeedH))
		for y := range jbigSeedH {
			for x := range jbigSeedW {
				require.Equal(t, jbigSeedPixel(x, y), dst[y*row+x/8]>>(7-x%8)&1 == 1, "pixel %d,%d", x, y)
			}
		}
	}
}

// TestJBIGCorrupt feeds damaged entities to the decoder: every truncation,
// byte flips, and headers with absurd or unsupported values. Each gives an
// error of this package's kinds (or, for a flip the coder absorbs, some
// image), never a panic, and returns promptly.
func TestJBIGCorrupt(t *testing.T) {
	w, h := jbigSeedW, jbigSeedH
	dst := make([]byte, (w+7)/8*h)
	kind := func(t *testing.T, err error) {
		var fe FormatError
		var ue UnsupportedError
		require.True(t, errors.As(err, &fe) || errors.As(err, &ue), "got %v", err)
	}
	full := jbigSeed(t)
	for n := range len(full) {
		err := jbigDecode(append([]byte(nil), full[:n]...), dst, w, h)
		require.Error(t, err, "a prefix of %d bytes", n)
		kind(t, err)
	}
	rng := rand.New(rand.NewPCG(7, 17))
	for range 2000 {
		b := append([]byte(nil), full...)
		for range 1 + rng.IntN(3) {
			b[rng.IntN(len(b))] ^= byte(1 + rng.IntN(255))
		}
		if err := jbigDecode(b, dst, w, h); err != nil {
			kind(t, err)
		}
	}
	std := func(edit func(b []byte)) []byte {
		b := jbigSeed(t)
		for i := range b {
			b[i] = bits.Reverse8(b[i])
		}
		edit(b)
		return b
	}
	be := binary.BigEndian
	for _, c := range []struct {
		name string
		bie  []byte
		want string
	}{
		{"wider", std(func(b []byte) { be.PutUint32(b[4:], 0xffffffff) }), "pixels wide"},
		{"taller", std(func(b []byte) { be.PutUint32(b[8:], 0xffffffff) }), "lines"},
		{"shorter", std(func(b []byte) { be.PutUint32(b[8:], 5) }), "lines"},
		{"taller with VLENGTH", std(func(b []byte) { be.PutUint32(b[8:], 0xffffffff); b[19] |= jbigVLENGTH }), "more than the strip"},
		{"stripes of 0 lines", std(func(b []byte) { be.PutUint32(b[12:], 0) }), "0 lines"},
		{"layers", std(func(b []byte) { b[1] = 2 }), "resolution layers"},
		{"planes", std(func(b []byte) { b[2] = 3 }), "bit planes"},
		{"reserved", std(func(b []byte) { b[3] = 1 }), "reserved"},
		{"mx", std(func(b []byte) { b[16] = 200 }), "adaptive template"},
		{"DP table missing", std(func(b []byte) { b[19] |= jbigDPON | jbigDPPRIV }), ""},
		{"ABORT", append(std(func([]byte) {})[:20], 0xff, jbigABORT), "ABORT"},
		{"bad ATMOVE", append(std(func([]byte) {})[:20:20], append([]byte{0xff, jbigATMOVE, 0, 0, 0, 1, 2, 0}, full[20:]...)...), "adaptive template"},
		{"ATMOVE up", append(std(func([]byte) {})[:20:20], append([]byte{0xff, jbigATMOVE, 0, 0, 0, 1, 4, 1}, full[20:]...)...), "lines up"},
		{"long COMMENT", append(std(func([]byte) {})[:20:20], 0xff, jbigCOMMENT, 0x7f, 0xff, 0xff, 0xff, 1, 2), "COMMENT"},
		{"growing NEWLEN", append(std(func([]byte) {})[:20:20], 0xff, jbigNEWLEN, 0, 0, 1, 0), "NEWLEN"},
		{"marker in a stripe", append(std(func([]byte) {})[:22:22], 0xff, jbigRESERVE), "marker"},
	} {
		t.Run(c.name, func(t *testing.T) {
			// Back to libtiff's order where the header still says one
			// plane; otherwise the decoder keeps the bytes as they are.
			b := c.bie
			if b[2] == 1 {
				for i := range b {
					b[i] = bits.Reverse8(b[i])
				}
			}
			err := jbigDecode(b, dst, w, h)
			require.Error(t, err)
			kind(t, err)
			require.Contains(t, err.Error(), c.want)
		})
	}
}

// TestJBIGLayoutsRefused checks that JBIG data in a layout libtiff does not
// decode (several strips, samples of more than one bit) is refused when the
// file is opened.
func TestJBIGLayoutsRefused(t *testing.T) {
	seed := jbigSeed(t)
	for _, c := range []struct {
		name   string
		fields []field
		want   string
	}{
		{"two strips", with(grayFields(jbigSeedW, jbigSeedH, uint16(compJBIG), uint32(len(seed))), shortField(tagBitsPerSample, 1), shortField(tagRowsPerStrip, 12)), "2 strips"},
		{"8-bit", grayFields(jbigSeedW, jbigSeedH, uint16(compJBIG), uint32(len(seed))), "8-bit"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := openBytes(craft(false, []craftPage{{c.fields, seed, 0}}))
			var ue UnsupportedError
			require.True(t, errors.As(err, &ue), "got %v", err)
			require.Contains(t, err.Error(), c.want)
		})
	}
	// The same entity in one strip of a 1-bit page reads.
	r, err := openBytes(craft(false, []craftPage{{with(grayFields(jbigSeedW, jbigSeedH, uint16(compJBIG), uint32(len(seed))), shortField(tagBitsPerSample, 1)), seed, 0}}))
	require.NoError(t, err)
	buf := make([]byte, r.PlaneBytes())
	require.NoError(t, r.ReadPlaneInto(0, buf))
	for y := range jbigSeedH {
		for x := range jbigSeedW {
			// MinIsBlack: JBIG's 1 (black) reads as 1.
			require.Equal(t, jbigSeedPixel(x, y), buf[y*jbigSeedW+x] == 1)
		}
	}
}

// FuzzJBIG decodes arbitrary entities into images of arbitrary small
// sizes: errors are fine, panics and hangs are not.
func FuzzJBIG(f *testing.F) {
	f.Add(jbigSeed(f), uint8(jbigSeedW), uint8(jbigSeedH))
	f.Fuzz(func(t *testing.T, data []byte, w, h uint8) {
		if w == 0 || h == 0 {
			return
		}
		dst := make([]byte, (int(w)+7)/8*int(h))
		_ = jbigDecode(data, dst, int(w), int(h))
	})
}
