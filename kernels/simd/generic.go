package simd

import "math"

// FMA32 returns x*y+z rounded once to float32, as a vector FMA instruction
// computes it. The product is exact in float64, so the float64 sum is off
// from the exact result by less than half a float64 ulp; rounding that sum
// to float32 gives the correctly rounded result unless it landed exactly on
// a float32 rounding midpoint, or in the float32 subnormal range. Those rare
// cases take fma32Slow.
func FMA32(x, y, z float32) float32 {
	s := float64(x)*float64(y) + float64(z)
	if fmaHard(s) {
		return fma32Slow(x, y, z)
	}
	return float32(s)
}

// fmaHard reports whether the float64 sum s needs fma32Slow.
func fmaHard(s float64) bool {
	b := math.Float64bits(s)
	return b&0x1fffffff == 0x10000000 || b&0x7ff0000000000000 < 0x3810000000000000
}

// fma32Slow rounds the float64 sum to odd, which makes the second rounding
// to float32 exact in every case.
func fma32Slow(x, y, z float32) float32 {
	p := float64(x) * float64(y)
	zz := float64(z)
	s := p + zz
	// Error of the float64 sum (TwoSum), exact.
	bb := s - p
	e := (p - (s - bb)) + (zz - bb)
	if e != 0 {
		b := math.Float64bits(s)
		if b&1 == 0 {
			if (e > 0) == (s > 0) {
				b++
			} else {
				b--
			}
			s = math.Float64frombits(b)
		}
	}
	return float32(s)
}

// maxOf matches the vector max instruction: a when a > b, else b.
func maxOf(a, b float32) float32 {
	if a > b {
		return a
	}
	return b
}

func minOf(a, b float32) float32 {
	if a < b {
		return a
	}
	return b
}

func convRowGo(dst, src, w []float32) float32 {
	r := len(w) - 1
	m := negInf
	src = src[:len(dst)+2*r]
	w0 := w[0]
	for i := range dst {
		c := i + r
		acc := w0 * src[c]
		for k := 1; k <= r; k++ {
			// FMA32, with its common case inlined.
			a := src[c-k] + src[c+k]
			if f := float64(w[k])*float64(a) + float64(acc); !fmaHard(f) {
				acc = float32(f)
			} else {
				acc = fma32Slow(w[k], a, acc)
			}
		}
		dst[i] = acc
		m = maxOf(m, acc)
	}
	return m
}

// convColsGo computes columns off..len(dst) of ConvCols.
func convColsGo(dst []float32, rows [][]float32, w []float32, off int) float32 {
	r := len(w) - 1
	m := negInf
	center := rows[r]
	for i := off; i < len(dst); i++ {
		acc := w[0] * center[i]
		for k := 1; k <= r; k++ {
			a := rows[r-k][i] + rows[r+k][i]
			if f := float64(w[k])*float64(a) + float64(acc); !fmaHard(f) {
				acc = float32(f)
			} else {
				acc = fma32Slow(w[k], a, acc)
			}
		}
		dst[i] = acc
		m = maxOf(m, acc)
	}
	return m
}

// convColsNGo is ConvColsN on the Go path.
func convColsNGo(dst, rows [][]float32, w []float32, _ colsMode) float32 {
	return convColsNEach(dst, rows, w, func(d []float32, rs [][]float32) float32 { return convColsGo(d, rs, w, 0) })
}

// convColsNEach computes ConvColsN one output at a time with f, a
// ConvCols of one output row from its 2r+1 rows.
func convColsNEach(dst, rows [][]float32, w []float32, f func(d []float32, rs [][]float32) float32) float32 {
	k := 2*len(w) - 1
	m := negInf
	for j, d := range dst {
		m = maxOf(m, f(d, rows[j:j+k]))
	}
	return m
}

func maxGo(x []float32) float32 {
	m := negInf
	for _, v := range x {
		m = maxOf(m, v)
	}
	return m
}

func minGo(x []float32) float32 {
	m := posInf
	for _, v := range x {
		m = minOf(m, v)
	}
	return m
}

// sumLanes is the number of interleaved float64 partial sums every path keeps.
const sumLanes = 32

// sumBlocksGo adds x (a multiple of sumLanes long) lane by lane into acc.
func sumBlocksGo(x []float32, acc *[sumLanes]float64) {
	for len(x) >= sumLanes {
		for j := range sumLanes {
			acc[j] += float64(x[j])
		}
		x = x[sumLanes:]
	}
}

// sumFinish adds the tail and the partial sums in a fixed order.
func sumFinish(acc *[sumLanes]float64, tail []float32) float64 {
	for i, v := range tail {
		acc[i] += float64(v)
	}
	s := 0.0
	for _, a := range acc {
		s += a
	}
	return s
}

func sumGo(x []float32) float64 {
	var acc [sumLanes]float64
	n := len(x) &^ (sumLanes - 1)
	sumBlocksGo(x[:n], &acc)
	return sumFinish(&acc, x[n:])
}

func copyMaxGo(dst, src []float32) float32 {
	copy(dst, src)
	return maxGo(src)
}

func greaterMaskGo(dst []uint8, src []float32, t float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		var b uint8
		if v > t {
			b = 1
		}
		dst[i] = b
	}
}

func u8ToF32Go(dst []float32, src []uint8) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = float32(v)
	}
}

func u16ToF32Go(dst []float32, src []uint16) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = float32(v)
	}
}
