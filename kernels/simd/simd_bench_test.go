package simd

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// Kernel throughput on cache-resident rows, per path.
func BenchmarkConvRow(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, p := range impls() {
		for _, c := range [][2]int{{4, 512}, {4, 2048}, {12, 512}, {12, 2048}} {
			r, n := c[0], c[1]
			src := randSlice(rng, n+2*r)
			dst := make([]float32, n)
			w := kernel(r)
			b.Run(fmt.Sprintf("%s/r=%d/n=%d", p.name, r, n), func(b *testing.B) {
				b.SetBytes(int64(4 * n))
				for range b.N {
					p.convRow(dst, src, w)
				}
			})
		}
	}
}

func BenchmarkConvCols(b *testing.B) {
	rng := rand.New(rand.NewPCG(2, 2))
	for _, p := range impls() {
		for _, c := range [][2]int{{4, 512}, {4, 2048}, {12, 256}, {12, 2048}} {
			r, n := c[0], c[1]
			rows := make([][]float32, 2*r+1)
			for i := range rows {
				rows[i] = randSlice(rng, n)
			}
			dst := make([]float32, n)
			w := kernel(r)
			b.Run(fmt.Sprintf("%s/r=%d/n=%d", p.name, r, n), func(b *testing.B) {
				b.SetBytes(int64(4 * n))
				for range b.N {
					p.convCols(dst, rows, w)
				}
			})
		}
	}
}

// ConvColsN making 8 outputs from 8+2r cache-resident rows.
func BenchmarkConvColsN(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 3))
	const m = 8
	for _, p := range impls() {
		for _, c := range [][2]int{{4, 512}, {12, 2048}} {
			r, n := c[0], c[1]
			rows := make([][]float32, m+2*r)
			for i := range rows {
				rows[i] = randSlice(rng, n)
			}
			dst := make([][]float32, m)
			for j := range dst {
				dst[j] = make([]float32, n)
			}
			w := kernel(r)
			b.Run(fmt.Sprintf("%s/r=%d/n=%d", p.name, r, n), func(b *testing.B) {
				b.SetBytes(int64(4 * n * m))
				for range b.N {
					p.convColsN(dst, rows, w, colsInPlace)
				}
			})
		}
	}
}
