package zarr

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/pierrec/lz4/v4"
	"github.com/stretchr/testify/require"
)

// checkLZ4Block parses an LZ4 block on its own and checks the rules of the
// format that a lenient decoder may let pass: every sequence but the last
// ends with a match of at least four bytes at an offset inside the
// output, the last sequence has none, the last five bytes are literals
// and no match starts in the last twelve. It returns the decoded length.
func checkLZ4Block(t *testing.T, b []byte) int {
	t.Helper()
	i, out, lastMatch := 0, 0, -1
	length := func(v int) int {
		if v < 15 {
			return v
		}
		for {
			require.Less(t, i, len(b), "length runs past the block")
			x := int(b[i])
			i++
			v += x
			if x != 255 {
				return v
			}
		}
	}
	for {
		require.Less(t, i, len(b), "block ends without its last literals")
		tok := b[i]
		i++
		lit := length(int(tok >> 4))
		require.LessOrEqual(t, i+lit, len(b), "literals run past the block")
		i += lit
		out += lit
		if i == len(b) {
			require.Zero(t, tok&15, "the last sequence has a match length")
			break
		}
		require.LessOrEqual(t, i+2, len(b))
		off := int(binary.LittleEndian.Uint16(b[i:]))
		i += 2
		require.True(t, off >= 1 && off <= out, "offset %d at output %d", off, out)
		ml := length(int(tok&15)) + 4
		lastMatch = out
		out += ml
	}
	if lastMatch >= 0 {
		require.GreaterOrEqual(t, out-lastMatch, 12, "a match starts in the last 12 bytes")
	}
	return out
}

// runsOf returns n bytes made of runs of elements of size period: each
// run repeats one random element (often zero) a random number of times,
// some runs being a single element.
func runsOf(rng *rand.Rand, n, period int) []byte {
	b := make([]byte, 0, n+64*period)
	for len(b) < n {
		e := make([]byte, period)
		if rng.IntN(3) > 0 {
			for k := range e {
				e[k] = byte(rng.IntN(4))
			}
		}
		reps := 1 + rng.IntN(40)
		if rng.IntN(4) == 0 {
			reps = 1
		}
		for range reps {
			b = append(b, e...)
		}
	}
	return b[:n]
}

// TestLZ4RunsRoundTrip decodes what lz4Runs writes, with and without the
// vector pass of its bit map, on sizes around the block's end rules and
// the sample (4*lz4SampleBytes+8 bytes and more).
func TestLZ4RunsRoundTrip(t *testing.T) { withVectors(t, testLZ4RunsRoundTrip) }

func testLZ4RunsRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	sizes := []int{0, 1, 12, 13, 14, 17, 20, 31, 32, 33, 64, 65, 71, 72, 100, 255, 256, 1000, 4099,
		4*lz4SampleBytes + 7, 4*lz4SampleBytes + 8, 4*lz4SampleBytes + 9, 65536, 131072 + 3}
	compressed := 0
	for period := 1; period <= 8; period++ {
		for _, n := range sizes {
			for kind := range 4 {
				var src []byte
				switch kind {
				case 0:
					src = runsOf(rng, n, period)
				case 1:
					src = make([]byte, n) // one run
				case 2:
					src = make([]byte, n) // noise: nothing to find
					for i := range src {
						src[i] = byte(rng.Uint32())
					}
				case 3: // runs broken by noise near the end
					src = runsOf(rng, n, period)
					for i := max(0, n-20); i < n; i += 3 {
						src[i] = byte(rng.Uint32())
					}
				}
				t.Run(fmt.Sprintf("period=%d/n=%d/kind=%d", period, n, kind), func(t *testing.T) {
					dst := make([]byte, lz4RunsBound(n))
					for i := range dst {
						dst[i] = 0xa5 // no reliance on a cleared buffer
					}
					m := lz4Runs(dst, src, period)
					if m == 0 {
						return // stored raw by the caller
					}
					compressed++
					require.Less(t, m, n, "a block that does not shrink must be refused")
					require.Equal(t, n, checkLZ4Block(t, dst[:m]))
					got := make([]byte, n)
					k, err := lz4.UncompressBlock(dst[:m], got)
					require.NoError(t, err)
					require.Equal(t, n, k)
					require.Equal(t, src, got)
				})
			}
		}
	}
	require.Greater(t, compressed, 200, "too few inputs compressed: the encoder finds no runs")
}

// TestLZ4RunsRatio holds the encoder to the ratio that makes it worth
// having: label-like runs shrink about as far as a full LZ4 search takes
// them.
func TestLZ4RunsRatio(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	src := make([]byte, 0, 1<<17)
	for len(src) < 1<<17 { // rows of background with objects of one label
		v := uint16(rng.IntN(60000) + 1)
		for range 40 + rng.IntN(200) {
			src = binary.LittleEndian.AppendUint16(src, 0)
		}
		for range 5 + rng.IntN(50) {
			src = binary.LittleEndian.AppendUint16(src, v)
		}
	}
	src = src[:1<<17]
	dst := make([]byte, lz4RunsBound(len(src)))
	m := lz4Runs(dst, src, 2)
	ref := make([]byte, lz4.CompressBlockBound(len(src)))
	r, err := lz4.CompressBlock(src, ref, nil)
	require.NoError(t, err)
	require.NotZero(t, m)
	t.Logf("runs %d bytes, full LZ4 %d bytes, of %d", m, r, len(src))
	require.Less(t, float64(m), 1.25*float64(r))
}

func TestLZ4RunsRefusesBadArguments(t *testing.T) {
	t.Parallel()
	src := make([]byte, 1000)
	require.Zero(t, lz4Runs(make([]byte, lz4RunsBound(len(src))), src, 0))
	require.Zero(t, lz4Runs(make([]byte, lz4RunsBound(len(src))), src, 9))
	require.Zero(t, lz4Runs(make([]byte, len(src)), src, 1), "dst too small")
}

// TestDiffBitsReference checks the bit map lz4Runs parses, with and
// without its vector pass, against the definition, whole and in two
// parts as lz4Runs makes it after a sample; and the set bits past the
// end that stop the parse.
func TestDiffBitsReference(t *testing.T) { withVectors(t, testDiffBits) }

func testDiffBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for period := 1; period <= 8; period++ {
		for _, n := range []int{0, 1, 7, 8, 9, 63, 64, 65, 71, 72, 73, 127, 128, 200, 1000, 4096 + 13, 1 << 15} {
			src := runsOf(rng, n, period)
			for i := range src {
				if rng.IntN(7) == 0 {
					src[i] = byte(rng.Uint32())
				}
			}
			for _, from := range []int{0, 8, 64, 72, 1024 + 8} {
				if from > n {
					continue
				}
				bm := make([]byte, n/8+16)
				for i := range bm {
					bm[i] = 0x5a // no reliance on a cleared map
				}
				if from > 0 {
					diffBits(bm, src[:from], period, 0)
				}
				diffBits(bm, src, period, from)
				for i := 0; i < n; i++ {
					want := i < period || src[i] != src[i-period]
					got := bm[i>>3]>>(i&7)&1 == 1
					if got != want {
						t.Fatalf("period %d, n %d, from %d: bit %d is %v, want %v", period, n, from, i, got, want)
					}
				}
				for i := n; i < (n>>3+16)*8; i++ {
					require.Equal(t, byte(1), bm[i>>3]>>(i&7)&1, "period %d, n %d: bit %d past the end is not set", period, n, i)
				}
			}
		}
	}
}

// TestLZ4RunsSample: a stream whose sample is noise is stored raw even
// where its rest has runs (what the sample costs), and one whose sample
// has runs is compressed.
func TestLZ4RunsSample(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(9, 10))
	n := 1 << 15
	noisy := make([]byte, n) // noise, then zeros
	for i := range lz4SampleBytes + 8 {
		noisy[i] = byte(rng.Uint32())
	}
	dst := make([]byte, lz4RunsBound(n))
	require.Zero(t, lz4Runs(dst, noisy, 1))
	runs := make([]byte, n) // zeros, then noise up to the end but for a run
	for i := lz4SampleBytes; i < n; i++ {
		runs[i] = byte(rng.Uint32())
	}
	for i := n / 2; i < n/2+4096; i++ {
		runs[i] = 7
	}
	m := lz4Runs(dst, runs, 1)
	require.NotZero(t, m)
	got := make([]byte, n)
	k, err := lz4.UncompressBlock(dst[:m], got)
	require.NoError(t, err)
	require.Equal(t, runs, got[:k])
}
