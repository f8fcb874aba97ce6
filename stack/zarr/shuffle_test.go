package zarr

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// withVectors runs f with the assembly paths on (AVX-512 where the machine
// has it, then AVX2 alone) and off.
func withVectors(t *testing.T, f func(t *testing.T)) {
	has2, has512 := hasAVX2, hasAVX512
	t.Cleanup(func() { hasAVX2, hasAVX512 = has2, has512 })
	modes := []string{"avx2", "go"}
	if has512 {
		modes = append([]string{"avx512"}, modes...)
	}
	for _, m := range modes {
		hasAVX2 = has2 && m != "go"
		hasAVX512 = has512 && m == "avx512"
		name := m
		if m != "go" {
			name = "vector-" + m
		}
		t.Run(name, f)
	}
}

// TestShuffleBytesReference checks the byte shuffle, with and without its
// vector part, against the definition: byte j of element i goes to
// j*ne+i, and bytes past the last whole element stay where they are.
func TestShuffleBytesReference(t *testing.T) { withVectors(t, testShuffleBytes) }

func testShuffleBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, ts := range []int{1, 2, 3, 4, 8} {
		for _, n := range []int{0, 1, 2, 3, 31, 32, 63, 64, 65, 127, 128, 129, 1000, 4096 + 7, 1 << 16} {
			src := make([]byte, n)
			for i := range src {
				src[i] = byte(rng.Uint32())
			}
			ne := n / ts
			want := make([]byte, n)
			for i := range ne {
				for j := range ts {
					want[j*ne+i] = src[i*ts+j]
				}
			}
			copy(want[ne*ts:], src[ne*ts:])
			got := make([]byte, n)
			shuffleBytes(got, src, ts)
			require.Equal(t, want, got, "typesize %d, %d bytes", ts, n)
			back := make([]byte, n)
			unshuffleBytes(back, got, ts)
			require.Equal(t, src, back, "typesize %d, %d bytes", ts, n)
		}
	}
}

// TestRangeUint16 checks the uint16 range, vector part and tail, against a
// plain loop, with the extremes placed everywhere, the tail included.
func TestRangeUint16(t *testing.T) { withVectors(t, testRangeUint16) }

func testRangeUint16(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{1, 2, 15, 16, 17, 31, 32, 33, 47, 48, 64, 100, 1023, 1 << 14} {
		for trial := range 20 {
			s := make([]uint16, n)
			for i := range s {
				s[i] = uint16(1000 + rng.IntN(50000))
			}
			switch trial % 4 {
			case 1:
				s[rng.IntN(n)] = 0
				s[rng.IntN(n)] = math.MaxUint16
			case 2:
				s[n-1] = 3
			case 3:
				s[n-1] = 65000
			}
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, v := range s {
				lo, hi = math.Min(lo, float64(v)), math.Max(hi, float64(v))
			}
			gl, gh := rangeUint16(s)
			require.Equal(t, lo, gl, "n %d trial %d", n, trial)
			require.Equal(t, hi, gh, "n %d trial %d", n, trial)
			gl, gh = intRange(s)
			require.Equal(t, lo, gl, "n %d trial %d", n, trial)
			require.Equal(t, hi, gh, "n %d trial %d", n, trial)
		}
	}
}

func BenchmarkRangeUint16(b *testing.B) {
	s := asElems[uint16](imageLike(Uint16, []int{1024, 1024}, 1))
	b.SetBytes(int64(2 * len(s)))
	for b.Loop() {
		rangeUint16(s)
	}
}

// TestShuffle2Range checks the shuffle of 2-byte elements that also
// gathers their range (AVX2 64 bytes a step, then Go)
// against the definition and a plain loop, at lengths around every step
// and with the extremes placed anywhere, the tail included.
func TestShuffle2Range(t *testing.T) { withVectors(t, testShuffle2Range) }

func testShuffle2Range(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, ne := range []int{1, 2, 15, 16, 31, 32, 33, 63, 64, 65, 95, 96, 127, 128, 129, 200, 1000, 1 << 15} {
		for trial := range 12 {
			src := make([]byte, 2*ne+trial%2) // an odd last byte is left out
			for i := range src {
				src[i] = byte(rng.Uint32())
			}
			if trial%3 == 1 {
				src[2*rng.IntN(ne)], src[2*rng.IntN(ne)+1] = 0, 0
			} else if trial%3 == 2 {
				i := 2 * (ne - 1 - rng.IntN(min(ne, 40)))
				src[i], src[i+1] = 0xff, 0xff
			}
			d0, d1 := make([]byte, ne), make([]byte, ne)
			var r u16Range
			shuffle2Range(d0, d1, src, &r)
			lo, hi := uint16(math.MaxUint16), uint16(0)
			for i := range ne {
				require.Equal(t, src[2*i], d0[i], "%d elements, even byte %d", ne, i)
				require.Equal(t, src[2*i+1], d1[i], "%d elements, odd byte %d", ne, i)
				v := uint16(src[2*i]) | uint16(src[2*i+1])<<8
				lo, hi = min(lo, v), max(hi, v)
			}
			require.True(t, r.seen)
			require.Equal(t, lo, r.lo, "%d elements trial %d", ne, trial)
			require.Equal(t, hi, r.hi, "%d elements trial %d", ne, trial)
		}
	}
}

// BenchmarkShuffle2Range shuffles eight image planes (16 MiB, more than
// the caches hold, as in a write) in 64 KiB blocks.
func BenchmarkShuffle2Range(b *testing.B) {
	src := imageLike(Uint16, []int{8, 1024, 1024}, 1)
	d0, d1 := make([]byte, 32<<10), make([]byte, 32<<10)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		var r u16Range
		for o := 0; o < len(src); o += 64 << 10 {
			shuffle2Range(d0, d1, src[o:o+64<<10], &r)
		}
	}
}
