package zarr

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBloscHeaderAndLayout(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	smooth := make([]byte, 300000) // a gentle ramp that every codec compresses
	for i := 0; i < len(smooth)/2; i++ {
		binary.LittleEndian.PutUint16(smooth[2*i:], uint16(i/500/4+i%500/4))
	}
	noise := make([]byte, 300000)
	for i := range noise {
		noise[i] = byte(rng.Uint32())
	}
	cases := []struct {
		name       string
		codec      *bloscCodec
		data       []byte
		flags      byte
		blocksize  int
		compressed bool
	}{
		{"lz4 splits", &bloscCodec{cname: "lz4", level: 5, shuffle: ByteShuffle, typesize: 2}, smooth,
			bloscFlagShuffle | bloscFormatLZ4<<5, 256 << 10, true},
		{"zstd does not split", &bloscCodec{cname: "zstd", level: 5, shuffle: ByteShuffle, typesize: 2}, smooth,
			bloscFlagShuffle | bloscFlagNoSplit | bloscFormatZstd<<5, 300000, true},
		{"zlib, no shuffle", &bloscCodec{cname: "zlib", level: 1, shuffle: NoShuffle, typesize: 2}, smooth,
			bloscFlagNoSplit | bloscFormatZlib<<5, 128 << 10, true},
		{"forced block size", &bloscCodec{cname: "lz4", level: 5, shuffle: ByteShuffle, typesize: 2, blocksize: 1001}, smooth,
			bloscFlagShuffle | bloscFormatLZ4<<5, 1000, true},
		{"noise is stored raw", &bloscCodec{cname: "lz4", level: 5, shuffle: ByteShuffle, typesize: 4}, noise,
			bloscFlagShuffle | bloscFlagMemcpyed | bloscFormatLZ4<<5, 256 << 10, false},
		{"tiny is stored raw", &bloscCodec{cname: "zstd", level: 5, shuffle: ByteShuffle, typesize: 2}, smooth[:100],
			bloscFlagShuffle | bloscFlagMemcpyed | bloscFlagNoSplit | bloscFormatZstd<<5, 100, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			enc, err := c.codec.encode(nil, c.data)
			require.NoError(t, err)
			h, err := parseBloscHeader(enc)
			require.NoError(t, err)
			require.EqualValues(t, 2, h.version)
			require.EqualValues(t, 1, h.versionLZ)
			require.Equal(t, c.flags, h.flags, "flags %#x", h.flags)
			require.Equal(t, c.codec.typesize, h.typesize)
			require.Equal(t, len(c.data), h.nbytes)
			require.Equal(t, c.blocksize, h.blocksize)
			require.Equal(t, len(enc), h.cbytes)
			if c.compressed {
				require.Less(t, len(enc), len(c.data)*3/4)
			} else {
				require.Equal(t, len(c.data)+bloscHeaderSize, len(enc))
			}
			dec, err := bloscDecode(enc, len(c.data), 0, nil)
			require.NoError(t, err)
			require.Equal(t, c.data, dec)
		})
	}
}

func TestShuffleRoundTrip(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	for _, ts := range []int{1, 2, 3, 4, 8, 16} {
		for _, n := range []int{0, 1, 7, 64, 1001} {
			src := make([]byte, n)
			for i := range src {
				src[i] = byte(rng.Uint32())
			}
			sh := make([]byte, n)
			shuffleBytes(sh, src, ts)
			ne := n / ts
			for i := 0; i < ne; i++ { // the definition, element by element
				for j := 0; j < ts; j++ {
					require.Equal(t, src[i*ts+j], sh[j*ne+i])
				}
			}
			require.Equal(t, src[ne*ts:], sh[ne*ts:])
			back := make([]byte, n)
			unshuffleBytes(back, sh, ts)
			require.Equal(t, src, back)
		}
	}
}

// bitShuffleRef is Blosc's bit shuffle written from its definition, to test
// bitUnshuffle against.
func bitShuffleRef(src []byte, ts int) []byte {
	ne := len(src) / ts
	ne -= ne % 8
	dst := make([]byte, len(src))
	rowLen := ne / 8
	for e := 0; e < ne; e++ {
		for j := 0; j < ts; j++ {
			for b := 0; b < 8; b++ {
				if src[e*ts+j]&(1<<b) != 0 {
					dst[(8*j+b)*rowLen+e/8] |= 1 << (e % 8)
				}
			}
		}
	}
	copy(dst[ne*ts:], src[ne*ts:])
	return dst
}

func TestBitUnshuffle(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 8))
	for _, ts := range []int{1, 2, 4, 8} {
		for _, n := range []int{8, 13, 64, 1003} {
			src := make([]byte, n*ts)
			for i := range src {
				src[i] = byte(rng.Uint32())
			}
			got := make([]byte, len(src))
			require.NoError(t, bitUnshuffle(got, bitShuffleRef(src, ts), ts))
			require.Equal(t, src, got)
		}
	}
}

func TestBlosclzDecode(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		src  []byte
		want string
	}{
		{"literals, marker bits ignored", []byte{0x20 | 2, 'a', 'b', 'c'}, "abc"},
		{"short match", []byte{2, 'a', 'b', 'c', 1 << 5, 2}, "abcabc"}, // length 3, distance 3
		{"overlapping run", []byte{0, 'x', 2 << 5, 0}, "xxxxx"},        // length 4, distance 1
		{"extended length", append([]byte{0, 'y', 7 << 5, 255, 1, 0}, 0, 'z'), // length code 7 (extended), distance high bits 0; 6+255+1+3 more
			string(repeat('y', 1+6+255+1+3)) + "z"},
	}
	for _, c := range cases {
		dst := make([]byte, len(c.want))
		n, err := blosclzDecode(c.src, dst)
		require.NoError(t, err, c.name)
		require.Equal(t, len(c.want), n, c.name)
		require.Equal(t, c.want, string(dst), c.name)
	}
	// A far match: 8192+d bytes back.
	lit := make([]byte, 9000)
	for i := range lit {
		lit[i] = byte(i * 7)
	}
	var src []byte
	for i := 0; i < len(lit); i += 32 {
		chunk := lit[i:min(i+32, len(lit))]
		src = append(src, byte(len(chunk)-1))
		src = append(src, chunk...)
	}
	// distance 9000 = 8192 + 808: ctrl (len 3 -> code 1), low bits 31, then 255, then 808 big-endian
	src = append(src, 1<<5|31, 255, byte(808>>8), byte(808&255))
	dst := make([]byte, 9003)
	n, err := blosclzDecode(src, dst)
	require.NoError(t, err)
	require.Equal(t, 9003, n)
	require.Equal(t, lit[:3], dst[9000:])

	bad := [][]byte{
		{},                          // empty
		{5, 'a'},                    // literal run past the end
		{0, 'a', 1 << 5},            // match without its distance byte
		{0, 'a', 1 << 5, 5},         // match reaching before the start
		{0, 'a', 7 << 5, 255},       // truncated length
		{0, 'a', 1<<5 | 31, 255, 0}, // truncated far distance
	}
	for _, b := range bad {
		_, err := blosclzDecode(b, make([]byte, 64))
		var f FormatError
		require.True(t, errors.As(err, &f), "%v: %v", b, err)
	}
	_, err = blosclzDecode([]byte{3, 'a', 'b', 'c', 'd'}, make([]byte, 2))
	require.Error(t, err, "overflowing the output")
}

func repeat(c byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = c
	}
	return b
}

func TestBloscRejectsDamage(t *testing.T) {
	t.Parallel()
	data := imageLike(Uint16, []int{1, 100, 400}, 2)
	enc, err := (&bloscCodec{cname: "lz4", level: 5, shuffle: ByteShuffle, typesize: 2, blocksize: 16384}).encode(nil, data)
	require.NoError(t, err)
	mut := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), enc...)) }
	cases := map[string][]byte{
		"truncated":          enc[:len(enc)-10],
		"header only":        enc[:16],
		"short":              enc[:9],
		"blosc2 version":     mut(func(b []byte) []byte { b[0] = 4; return b }),
		"snappy":             mut(func(b []byte) []byte { b[2] = b[2]&0x1f | bloscFormatSnappy<<5; return b }),
		"unknown compressor": mut(func(b []byte) []byte { b[2] = b[2]&0x1f | 7<<5; return b }),
		"zero block size":    mut(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[8:], 0); return b }),
		"zero type size":     mut(func(b []byte) []byte { b[3] = 0; return b }),
		"wrong nbytes":       mut(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[4:], 1000); return b }),
		"block start out":    mut(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[16:], 1<<30); return b }),
		"stream overrun":     mut(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[16+4*5:], 1<<30); return b }),
		"corrupt stream":     mut(func(b []byte) []byte { b[len(b)/2] ^= 0xff; b[len(b)/2+1] ^= 0x55; return b }),
		"huge cbytes":        mut(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[12:], 1<<31); return b }),
	}
	for name, b := range cases {
		out, err := bloscDecode(b, len(data), 0, nil)
		if name == "corrupt stream" && err == nil {
			// LZ4 literals may absorb a flipped byte; the data must then differ.
			require.NotEqual(t, data, out, name)
			continue
		}
		require.Error(t, err, name)
		var f FormatError
		var u UnsupportedError
		require.True(t, errors.As(err, &f) || errors.As(err, &u), "%s: %T %v", name, err, err)
	}
}

func TestParseCodec(t *testing.T) {
	t.Parallel()
	for _, c := range []Codec{{}, BloscLZ4(0), BloscLZ4(9), BloscZstd(3), {Name: "blosc", CName: "zlib", Shuffle: ByteShuffle, Level: 2},
		{Name: "blosc", CName: "lz4", Shuffle: NoShuffle, Level: 1}, Zstd(0), Zstd(19), Zlib(1), Gzip(0)} {
		got, err := ParseCodec(c.String())
		require.NoError(t, err, c.String())
		require.Equal(t, c, got, c.String())
	}
	for _, bad := range []string{"lzma", "zstd:x", "zstd:0", "zstd-noshuffle", "blosc-snappy", "gzip:30"} {
		_, err := ParseCodec(bad)
		require.Error(t, err, bad)
	}
}

func BenchmarkShuffle(b *testing.B) {
	src := imageLike(Uint16, []int{512, 1024}, 1)
	dst := make([]byte, len(src))
	b.Run("shuffle/2", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		for b.Loop() {
			shuffleBytes(dst, src, 2)
		}
	})
	b.Run("unshuffle/2", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		for b.Loop() {
			unshuffleBytes(dst, src, 2)
		}
	})
}

// TestAppendBlock2SameBytes holds the two-stream block path, which
// shuffles the first stream straight into the chunk, to the bytes of the
// general one, for low bytes that are noise (stored raw) and that
// compress, at the runs level and above, with and without vectors.
func TestAppendBlock2SameBytes(t *testing.T) { withVectors(t, testAppendBlock2) }

func testAppendBlock2(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, level := range []int{1, 5} {
		b := &bloscCodec{cname: "lz4", level: level, shuffle: ByteShuffle, typesize: 2}
		for _, bs := range []int{256, 4098, 1 << 16} {
			l := b.layout(bs)
			l.bs = bs
			for kind := range 3 {
				block := make([]byte, bs)
				for i := 0; i < bs; i += 2 {
					v := uint16(i / 64) // smooth: both streams have runs
					switch kind {
					case 1: // noisy low bytes, smooth high bytes
						v = v&0xff00 | uint16(rng.IntN(256))
					case 2: // noise in both
						v = uint16(rng.Uint32())
					}
					block[i], block[i+1] = byte(v), byte(v>>8)
				}
				prefix := []byte{1, 2, 3}
				got, err := b.appendBlock(append([]byte(nil), prefix...), block, l, getScratch(shuffleScratch(bs)), nil)
				require.NoError(t, err)
				want, err := b.appendStreams(append([]byte(nil), prefix...), block, l, getScratch(shuffleScratch(bs)))
				require.NoError(t, err)
				require.Equal(t, want, got, "level %d, block %d, kind %d", level, bs, kind)
			}
		}
	}
}
