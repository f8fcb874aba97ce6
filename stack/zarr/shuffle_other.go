//go:build !amd64 || noasm

package zarr

// hasAVX2 and hasAVX512 are false: there is no assembly in this build.
var hasAVX2, hasAVX512 = false, false

// shuffle2Fast has no vector version here: it does nothing and returns 0.
func shuffle2Fast(d0, d1, src []byte) int { return 0 }

// rangeU16Fast has no vector version here: it looks at nothing.
func rangeU16Fast(s []uint16) (lo, hi uint16, n int) { return 0, 0, 0 }

// diffBitsFast has no vector version here: it does nothing and returns 0.
func diffBitsFast(bm, prev, cur []byte) int { return 0 }

// shuffle2RangeFast has no vector version here: it does nothing.
func shuffle2RangeFast(d0, d1, src []byte) (lo, hi uint16, n int) { return 0, 0, 0 }
