package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAddOffsetMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 2, 3, 4, 5, 7, 8, 63, 64, 65, 1000} {
		l16 := make([]uint16, n+2)
		l32 := make([]uint32, n+2)
		for i := range n {
			if rng.IntN(3) > 0 {
				l16[i+1] = uint16(1 + rng.IntN(1000))
			}
			l32[i+1] = uint32(l16[i+1])
		}
		l16[0], l16[n+1], l32[0], l32[n+1] = 0xbeef, 0xbeef, 0xdeadbeef, 0xdeadbeef
		want := make([]uint32, n)
		for i := range n {
			if v := l32[i+1]; v != 0 {
				want[i] = v + 500
			}
		}
		wide := make([]uint32, n+1)
		wide[n] = 7
		WidenOffset(wide[:n], l16[1:n+1], 500)
		AddOffset(l16[1:n+1], 500)
		AddOffset(l32[1:n+1], 500)
		for i := range n {
			require.Equal(t, uint16(want[i]), l16[i+1], "n %d, uint16 %d", n, i)
		}
		require.Equal(t, want, l32[1:n+1], "n %d, uint32", n)
		require.Equal(t, want, wide[:n], "n %d, widened", n)
		require.Equal(t, uint16(0xbeef), l16[0])
		require.Equal(t, uint16(0xbeef), l16[n+1])
		require.Equal(t, uint32(0xdeadbeef), l32[n+1])
		require.Equal(t, uint32(7), wide[n], "n %d: nothing past the end", n)
	}
}

// TestAddOffset16Wraps: the four-at-a-time uint16 path wraps each label
// as uint16 arithmetic does, without carrying into the next label, for
// every label value next to the offset's edge.
func TestAddOffset16Wraps(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, off := range []uint16{1, 2, 500, 0x7fff, 0x8000, 0xfffe, 0xffff} {
		for range 50 {
			n := rng.IntN(70)
			l := make([]uint16, n)
			for i := range l {
				switch rng.IntN(4) {
				case 0:
				case 1:
					l[i] = 0xffff - uint16(rng.IntN(3))
				case 2:
					l[i] = 0x8000 + uint16(rng.IntN(3)) - 1
				default:
					l[i] = uint16(rng.Uint32())
				}
			}
			want := make([]uint16, n)
			for i, v := range l {
				if v != 0 {
					want[i] = v + off
				}
			}
			AddOffset(l, off)
			require.Equal(t, want, l, "offset %d", off)
		}
	}
}

func ExampleAddOffset() {
	labels := []uint16{0, 1, 1, 0, 2}
	AddOffset(labels, 10)
	fmt.Println(labels)
	// Output: [0 11 11 0 12]
}

func BenchmarkAddOffset16(b *testing.B) {
	labels := make([]uint16, 1<<20)
	rng := rand.New(rand.NewPCG(1, 1))
	run := 0
	var v uint16
	for i := range labels {
		if run == 0 {
			run = 1 + rng.IntN(20)
			v = 0
			if rng.IntN(2) == 0 {
				v = uint16(1 + rng.IntN(1000))
			}
		}
		labels[i] = v
		run--
	}
	b.SetBytes(2 << 20)
	for b.Loop() {
		AddOffset(labels, 0) // no-op guard
		AddOffset(labels, 1)
	}
}
