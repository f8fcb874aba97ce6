package simd

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestOrderedKeyOrder checks OrderedKey against the floats' own order on
// every pair of a set of values that holds the extremes, both zeros,
// subnormals and random floats: key order is value order, and equal
// values (only -0 and +0 among distinct bits) share a key.
func TestOrderedKeyOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	vals := []float32{float32(math.Inf(-1)), -math.MaxFloat32, -1, -math.SmallestNonzeroFloat32, float32(math.Copysign(0, -1)), 0, math.SmallestNonzeroFloat32, 1, math.MaxFloat32, float32(math.Inf(1))}
	for range 300 {
		vals = append(vals, math.Float32frombits(rng.Uint32()&^0x7f800000|rng.Uint32N(255)<<23))
	}
	for _, a := range vals {
		for _, b := range vals {
			ka, kb := OrderedKey(math.Float32bits(a)), OrderedKey(math.Float32bits(b))
			require.Equal(t, a < b, ka < kb, "%g < %g", a, b)
			require.Equal(t, a == b, ka == kb, "%g == %g", a, b)
		}
	}
}

// TestKeyPairsPathsMatchGo runs every assembly path of KeyPairs against
// a plain loop written here from KeyPairs's contract (and against the Go
// twin), on rows of every length up to 150 at three alignments, with
// NaN, both zeros, infinities, the reserved label and markers placed at
// random, with and without a mask, both flips, and guard bands around dst
// and marks.
func TestKeyPairsPathsMatchGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	special := []float32{float32(math.NaN()), float32(math.Copysign(0, -1)), 0, float32(math.Inf(1)), float32(math.Inf(-1)), -1, 1}
	for _, p := range underTest(t, true) {
		for n := 0; n <= 150; n++ {
			for round := range 8 {
				off := (n + round) % 3
				src := make([]float32, n+off)[off:]
				labels := make([]uint32, n+off)[off:]
				var mask []uint8
				if round%4 >= 2 {
					mask = make([]uint8, n+off)[off:]
				}
				for i := range src {
					if mask != nil && rng.IntN(3) != 0 {
						mask[i] = uint8(1 + rng.IntN(255))
					}
					switch rng.IntN(8) {
					case 0:
						src[i] = special[rng.IntN(len(special))]
					default:
						src[i] = float32(rng.NormFloat64() * 100)
					}
					switch r := rng.IntN(10); {
					case r < 6:
						labels[i] = 0
					case r == 6 && round%3 == 0:
						labels[i] = math.MaxUint32
					default:
						labels[i] = rng.Uint32N(1000) + 1
					}
					if round%2 == 1 && src[i] != src[i] {
						src[i] = 3 // rounds without NaN
					}
				}
				flip := uint32(0)
				if round >= 4 {
					flip = 1 << 31
				}
				// The contract, written plainly.
				wantDst := make([]uint32, 2*n)
				wantMarks := make([]uint64, (n+63)/64)
				wantOr, wantAnd, wantBad := uint32(0), uint32(math.MaxUint32), false
				for i, v := range src {
					f := math.Float32frombits(math.Float32bits(v) ^ flip)
					var k uint32
					switch {
					case f == 0:
						k = 0x80000000
					case f != f:
						wantBad = true
						k = OrderedKey(math.Float32bits(f))
					case f > 0:
						k = math.Float32bits(f) | 0x80000000
					default:
						k = ^math.Float32bits(f)
					}
					l := labels[i]
					if mask != nil && mask[i] == 0 {
						// Outside: the blocked label, counted nowhere.
						wantDst[2*i], wantDst[2*i+1] = math.MaxUint32, k
						continue
					}
					if l == math.MaxUint32 {
						wantBad = true
					}
					wantDst[2*i], wantDst[2*i+1] = l, k
					wantOr |= k
					wantAnd &= k
					if l != 0 && l != math.MaxUint32 {
						wantMarks[i/64] |= 1 << (i % 64)
					}
				}
				g := newGuarded(2*n, off, uint32(0xa5a5a5a5), 7)
				gm := newGuarded((n+63)/64, off, sentinelU64, math.MaxUint64)
				or, and, bad := p.keyPairs(g.data(), src, labels, mask, flip, gm.data())
				require.Equal(t, wantBad, bad, "path %s n=%d round %d: bad", p.name, n, round)
				require.Equal(t, wantOr, or, "path %s n=%d round %d: or", p.name, n, round)
				require.Equal(t, wantAnd, and, "path %s n=%d round %d: and", p.name, n, round)
				require.True(t, slices.Equal(wantDst, g.data()), "path %s n=%d round %d: pairs", p.name, n, round)
				require.Equal(t, wantMarks, gm.data(), "path %s n=%d round %d: marks", p.name, n, round)
				g.check(t, "path %s n=%d: pairs", p.name, n)
				gm.check(t, "path %s n=%d: marks", p.name, n)
			}
		}
	}
}
