package simd

import (
	"fmt"
	"testing"
)

func BenchmarkBits(b *testing.B) {
	for _, n := range []int{1 << 20, 1 << 22} {
		src := make([]uint8, n)
		for i := range src {
			if i%3 == 0 {
				src[i] = 1
			}
		}
		words := make([]uint64, n/64)
		for _, p := range Paths() {
			prev, _ := Use(p)
			b.Run(fmt.Sprintf("pack/%s/%d", p, n), func(b *testing.B) {
				b.SetBytes(int64(n))
				for range b.N {
					PackBits(words, src)
				}
			})
			b.Run(fmt.Sprintf("unpack/%s/%d", p, n), func(b *testing.B) {
				b.SetBytes(int64(n))
				for range b.N {
					UnpackBits(src, words)
				}
			})
			_, _ = Use(prev)
		}
	}
}
