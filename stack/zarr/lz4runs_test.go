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

func TestLZ4RunsRoundTrip(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	sizes := []int{0, 1, 12, 13, 14, 17, 20, 31, 32, 33, 64, 100, 255, 256, 1000, 4099, 65536, 131072 + 3}
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
