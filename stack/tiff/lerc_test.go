package tiff

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/compress/zlib"
	"github.com/stretchr/testify/require"
)

// lercSeeds are blobs coded by liblerc (imagecodecs.lerc_encode with the
// options named) for the corrupt-input tests and the fuzz target; the
// pixel-exact checks against libtiff are in TestRareCodecsMatchLibtiff.
var lercSeeds = []struct {
	w, h, dt int
	hex      string
}{
	// float32, 12x10, MaxZError 0.01, a mask of valid pixels, version 4
	{12, 10, lercFloat, "4c6572633220040000002448fb260a0000000c00000001000000660000000800000017010000060000007b14ae47e17a843f" +
		"00000000ee8ba73f00000020bafa4840130000000f007fffbeebfefffafdffdfbf9afed7ff0080705f3c3dd1d54742000170" +
		"5f3c3d8c35e26750c85208bcb33f6fd04381298c3c383d996609a0d687362288e61600dd573172f145cba7241d23021b490d" +
		"3e5839e4c36a85046409016c32b63ab5536f2ed99a0f477e7cc14a5a7931eb03001f090551061c408c1c008094e5051df3d4" +
		"221d1847ca2318b262757a8447d5514fde416c1c26756b613551c76771d34e8be89201f88d0c3e8c0e032818ee130b5a1881" +
		"57212b57840800101e4f939005f004aa408b077c211e004e8fbab3e915"},
	// uint8, 16x12, lossless: Huffman-coded differences, version 4
	{16, 12, lercByte, "4c6572633220040000003d1831610c0000001000000001000000c0000000080000009500000001000000000000000000e03f" +
		"0000000000000000000000000000284000000000000c00010400000000010000ff000000030100008204db0000002ca7ce3a" +
		"a785cecd69d7066567d6426d4e82325475b59ca1ea6783cc09d906ad663507414285aa75d328eb5c9d0000004d6512ab7e"},
	// int16, 12x10, lossless, version 2 (bits stuffed most significant first)
	{12, 10, lercShort, "4c6572633220020000000a0000000c00000078000000080000000701000002000000000000000000e03f00000000002497c0" +
		"000000000044974000000000000164fa8c406a8e905caa2be4319c326a4b6995663ae57dcaa063d85ddb3698e02b630351a6" +
		"8e212c245ed78308188535544015a475957cb723010000eb34664bf8ad93e6757313fa41101539e535d0a0a6824b747595c9" +
		"844798b929ac848f9384ffe051580537fa8c20a79aeb81620d49197103b86baa334b939a2b18756a91a49a6073c690081fbb" +
		"020000993560dc8129e705ab21221b23c80145fa8c10a5a0e66702005ca3a7d15373b819c629189cdb913ba66ef3046ffdc8" +
		"028ffe25fe3c0059fbce00bb05"},
	// uint16, 12x10, four distinct values (lookup tables), version 3
	{12, 10, lercUShort, "4c657263322003000000902ce8510a0000000c00000078000000080000003301000003000000000000000000e03f00000000" +
		"00005940000000000088e34000000000016400b80b64008403409c84038403409c8403640064006400b80b409c409cb80b84" +
		"03409c8403b80b409c6400b80bb80b6400b80bb80b6400409c8403b80b409c409c6400b80b6400409c64006400b80b840340" +
		"9c840364008403409cb80b6400b80bb80bb80b409cb80b6400640084038403409c640084036400409c84038403409c409c64" +
		"008403409c409c409c6400b80b840364006400409c8403b80b8403409c6400409c8403409cb80bb80bb80b640064006400b8" +
		"0b6400b80b64008403409c8403409c64008403409cb80b840384038403409c409cb80b840364006400409c8403409cb80b40" +
		"9cb80bb80b8403"},
	// float32, 12x10, lossless, version 6: the lossless floating-point coding
	{12, 10, lercFloat, "4c657263322006000000f9da44fb0a0000000c00000001000000780000000800000047020000060000000000000000000000" +
		"0000000000000000000000e05e0057c0000000609ce258400000000000000000000000000000000000000000f702b8c2e314" +
		"c742010000000000000000000000000000000000000000000000000000000000000080000000800000008000000080000000" +
		"80bde00242509efd4159b6e5411686bf41606d8d412c13254180201440b3a0bac090db59c1956da4c136b4d1c104f1f1c111" +
		"59774292a86f427711594252fb344285a4054219fd9b413ef98b40ec5a30c1b9ddcdc1a0601bc2452946c2d09f64c2504ba8" +
		"42f50fa3422ab193422a47764207dc35428844d4417d79be4072fb6fc1f8110cc29a6f53c2ecd386c2038e9bc23863c24234" +
		"58bc425697aa42323b8e425e0e5242d32df541c701dc4064988ac19dc921c2e33774c27dbb9bc243acb3c2e314c74283e4c0" +
		"42e5b5ae4271aa9142e42057427a19fb41d151e14029f18dc1c1b125c2991d7ac2327e9fc2f702b8c207dcb542b734b042c2" +
		"989f4287108542a9844442a160e541e4d3cd40b7a981c14a5c17c28a7a64c211b291c2d917a8c2ff9d9042131f8c42b8d37d" +
		"422ba1534224461c427467b64152ada34033384ec159baf0c17cb035c2e0b767c285ab85c2b8e836420d3931428e84204220" +
		"d5054201a7c54186b36641fe034f40496902c1ea3b98c11bcce5c1538912c2331029c2c1ca6141cfc55a41b1264641a23525" +
		"41edfdf34001658e40e28c7f3f74fc20c0deecbbc02bd60dc14fe434c139b350c1"},
}

func lercSeed(t testing.TB, i int) ([]byte, lercSegment) {
	s := lercSeeds[i]
	b, err := hex.DecodeString(s.hex)
	require.NoError(t, err)
	return b, lercSegment{w: s.w, h: s.h, samples: 1, dt: s.dt}
}

func lercOut(seg lercSegment) []byte {
	return make([]byte, seg.w*seg.h*seg.samples*lercTypeSize[seg.dt])
}

// lercFixChecksum rewrites a blob's checksum to match its bytes, so that a
// damaged blob reaches the decoder's later checks.
func lercFixChecksum(b []byte) {
	if len(b) >= 14 && string(b[:6]) == "Lerc2 " && binary.LittleEndian.Uint32(b[6:]) >= 3 {
		at := 30 // the blob size, after the rows, columns, valid pixels and block size
		if binary.LittleEndian.Uint32(b[6:]) >= 4 {
			at = 34 // and the depth
		}
		if len(b) < at+4 {
			return
		}
		n := int(binary.LittleEndian.Uint32(b[at:]))
		if n >= 14 && n <= len(b) {
			binary.LittleEndian.PutUint32(b[10:], lercFletcher32(b[14:n]))
		}
	}
}

func requireRefusal(t *testing.T, err error) {
	t.Helper()
	var fe FormatError
	var ue UnsupportedError
	require.True(t, errors.As(err, &fe) || errors.As(err, &ue), "got %v", err)
}

// TestLERCSeedsDecode decodes each seed directly and through a TIFF whose
// strip it is (no LercParameters tag: no additional compression), with the
// same result.
func TestLERCSeedsDecode(t *testing.T) {
	bits := map[int]uint16{lercFloat: 32, lercByte: 8, lercShort: 16, lercUShort: 16}
	format := map[int]uint16{lercFloat: sampleFloat, lercByte: sampleUint, lercShort: sampleInt, lercUShort: sampleUint}
	for i := range lercSeeds {
		b, seg := lercSeed(t, i)
		want := lercOut(seg)
		require.NoError(t, lercDecode(append([]byte(nil), b...), want, seg), "seed %d", i)
		page := with(grayFields(uint32(seg.w), uint32(seg.h), uint16(compLERC), uint32(len(b))),
			shortField(tagBitsPerSample, bits[seg.dt]), shortField(tagSampleFormat, format[seg.dt]))
		r, err := openBytes(craft(false, []craftPage{{page, b, 0}}))
		require.NoError(t, err)
		got := make([]byte, r.PlaneBytes())
		require.NoError(t, r.ReadPlaneInto(0, got))
		if nativeLE {
			require.Equal(t, want, got, "seed %d", i)
		}
	}
}

// TestLERCCorrupt feeds damaged blobs to the decoder: every truncation,
// random byte changes (with the checksum left wrong, and made right so that
// the damage reaches the parser), and headers with absurd values. Each
// gives an error of this package's kinds, or some image; never a panic.
func TestLERCCorrupt(t *testing.T) {
	rng := rand.New(rand.NewPCG(34887, 1))
	for i := range lercSeeds {
		full, seg := lercSeed(t, i)
		out := lercOut(seg)
		for n := range len(full) {
			err := lercDecode(append([]byte(nil), full[:n]...), out, seg)
			require.Error(t, err, "seed %d cut to %d bytes", i, n)
			requireRefusal(t, err)
		}
		for k := range 3000 {
			b := append([]byte(nil), full...)
			for range 1 + rng.IntN(4) {
				b[14+rng.IntN(len(b)-14)] ^= byte(1 + rng.IntN(255))
			}
			if k%2 == 0 {
				lercFixChecksum(b)
			}
			if err := lercDecode(b, out, seg); err != nil {
				requireRefusal(t, err)
			}
		}
	}
	full, seg := lercSeed(t, 0) // version 4: ints at 14, doubles at 42
	out := lercOut(seg)
	le := binary.LittleEndian
	edit := func(f func(b []byte)) []byte {
		b := append([]byte(nil), full...)
		f(b)
		lercFixChecksum(b)
		return b
	}
	for _, c := range []struct {
		name string
		blob []byte
		seg  lercSegment
		want string
	}{
		{"not LERC", []byte("CntZImage 1234567890"), seg, "LERC1"},
		{"version 9", edit(func(b []byte) { le.PutUint32(b[6:], 9) }), seg, "version 9"},
		{"huge rows", edit(func(b []byte) { le.PutUint32(b[14:], 1<<30) }), seg, ""},
		{"negative columns", edit(func(b []byte) { le.PutUint32(b[18:], 0xffffff00) }), seg, "header"},
		{"other size", edit(func(b []byte) { le.PutUint32(b[14:], 9) }), seg, "block"},
		{"huge depth", edit(func(b []byte) { le.PutUint32(b[22:], 1<<30) }), seg, "values a pixel"},
		{"too many valid", edit(func(b []byte) { le.PutUint32(b[26:], 121) }), seg, "valid"},
		{"blocks of 0", edit(func(b []byte) { le.PutUint32(b[30:], 0) }), seg, "blocks of 0"},
		{"blocks of 1000", edit(func(b []byte) { le.PutUint32(b[30:], 1000) }), seg, "micro-blocks"},
		{"huge blob size", edit(func(b []byte) { le.PutUint32(b[34:], 1<<30) }), seg, "blob of"},
		{"data type 9", edit(func(b []byte) { le.PutUint32(b[38:], 9) }), seg, "data type 9"},
		{"other data type", edit(func(b []byte) { le.PutUint32(b[38:], lercInt) }), seg, "data type"},
		{"huge mask", edit(func(b []byte) { le.PutUint32(b[66:], 1<<30) }), seg, "truncated"},
		{"bad checksum", func() []byte { b := append([]byte(nil), full...); b[60] ^= 1; return b }(), seg, "checksum"},
		{"two samples", full, lercSegment{w: 12, h: 10, samples: 2, dt: lercFloat}, "bands for 2 samples"},
		{"two integer samples", func() []byte { b, _ := lercSeed(t, 3); return b }(), lercSegment{w: 12, h: 10, samples: 2, dt: lercUShort}, "values a pixel"},
		{"garbage after", append(append([]byte(nil), full...), 1, 2, 3), seg, "after the blobs"},
		{"deflate bomb", func() []byte {
			var z bytes.Buffer
			zw := zlib.NewWriter(&z)
			zw.Write(make([]byte, 1<<20))
			zw.Close()
			return z.Bytes()
		}(), lercSegment{w: 12, h: 10, samples: 1, dt: lercFloat, add: 1}, "bytes of LERC data"},
		{"bad zstd", []byte{1, 2, 3, 4}, lercSegment{w: 12, h: 10, samples: 1, dt: lercFloat, add: 2}, "zstd"},
		{"additional compression 3", full, lercSegment{w: 12, h: 10, samples: 1, dt: lercFloat, add: 3}, "additional compression"},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := out
			if c.seg != seg {
				o = lercOut(c.seg)
			}
			err := lercDecode(c.blob, o, c.seg)
			require.Error(t, err)
			requireRefusal(t, err)
			require.Contains(t, err.Error(), c.want)
		})
	}
}

// FuzzLERC decodes arbitrary data as LERC segments of small arbitrary
// shapes and types; fix makes a damaged blob's checksum right so that the
// mutations reach past it. Errors are fine, panics and hangs are not.
func FuzzLERC(f *testing.F) {
	for i := range lercSeeds {
		b, seg := lercSeed(f, i)
		f.Add(b, uint8(seg.w), uint8(seg.h), uint8(1), uint8(seg.dt), uint8(0), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, w, h, samples, dt, add uint8, fix bool) {
		seg := lercSegment{w: int(w%64) + 1, h: int(h%64) + 1, samples: int(samples%4) + 1, dt: int(dt % 8), add: int(add % 4), alpha: samples&0x80 != 0}
		if fix {
			lercFixChecksum(data)
		}
		_ = lercDecode(data, lercOut(seg), seg)
	})
}
