package simd

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// Every path's 3x3 median equals the median of the nine samples, on rows
// of every length up to a few vectors of the widest path, at unaligned
// offsets, with a guard sample after the output that must stay put.
func TestMedian3x3(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, path := range Paths() {
		prev, err := Use(path)
		if err != nil {
			t.Fatal(err)
		}
		markTested(path)
		for n := 0; n < 200; n++ {
			off := n % 3
			a8, b8, c8 := make([]uint8, n+2+off), make([]uint8, n+2+off), make([]uint8, n+2+off)
			af, bf, cf := make([]float32, n+2+off), make([]float32, n+2+off), make([]float32, n+2+off)
			for i := range a8 {
				a8[i], b8[i], c8[i] = uint8(r.IntN(256)), uint8(r.IntN(4)), uint8(r.IntN(256))
				af[i], bf[i], cf[i] = float32(r.NormFloat64()), float32(r.IntN(3)), float32(r.NormFloat64())
			}
			o8 := make([]uint8, n+1)
			o8[n] = 99
			Median3x3U8(o8[:n], a8[off:], b8[off:], c8[off:])
			of := make([]float32, n+1)
			of[n] = 99
			Median3x3F32(of[:n], af[off:], bf[off:], cf[off:])
			for x := range n {
				w8 := []uint8{a8[off+x], a8[off+x+1], a8[off+x+2], b8[off+x], b8[off+x+1], b8[off+x+2], c8[off+x], c8[off+x+1], c8[off+x+2]}
				slices.Sort(w8)
				wf := []float32{af[off+x], af[off+x+1], af[off+x+2], bf[off+x], bf[off+x+1], bf[off+x+2], cf[off+x], cf[off+x+1], cf[off+x+2]}
				slices.Sort(wf)
				if o8[x] != w8[4] || of[x] != wf[4] {
					t.Fatalf("%s n=%d x=%d: got %d %v, want %d %v", path, n, x, o8[x], of[x], w8[4], wf[4])
				}
			}
			if o8[n] != 99 || of[n] != 99 {
				t.Fatalf("%s n=%d: wrote past the output", path, n)
			}
		}
		if _, err := Use(prev); err != nil {
			t.Fatal(err)
		}
	}
}

// MaxFloat32 and MinFloat32 on every path equal the element-wise max and
// min, for every length up to a few vectors.
func TestFoldFloat32(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	for _, path := range Paths() {
		prev, err := Use(path)
		if err != nil {
			t.Fatal(err)
		}
		markTested(path)
		for n := 0; n < 140; n++ {
			a, b := make([]float32, n+1), make([]float32, n)
			for i := range b {
				a[i], b[i] = float32(r.NormFloat64()), float32(r.NormFloat64())
			}
			a[n] = 99
			mx, mn := slices.Clone(a), slices.Clone(a)
			MaxFloat32(mx[:n], b)
			MinFloat32(mn[:n], b)
			for i := range n {
				if mx[i] != max(a[i], b[i]) || mn[i] != min(a[i], b[i]) {
					t.Fatalf("%s n=%d i=%d", path, n, i)
				}
			}
			if mx[n] != 99 || mn[n] != 99 {
				t.Fatalf("%s n=%d: wrote past the output", path, n)
			}
		}
		if _, err := Use(prev); err != nil {
			t.Fatal(err)
		}
	}
}
