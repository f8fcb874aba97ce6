package array

import "fmt"

// chunks lists the chunk extents along each internal axis, like dask's
// chunks tuple. Internal shapes are always 3-D: an array of rank r uses the
// last r axes and has extent 1 (a single chunk) along the others.
type chunks [3][]int

// maxChunks bounds the chunks of one array, so that a tiny chunk shape on
// a huge array is an error rather than an allocation of billions of tasks.
const maxChunks = 1 << 26

// regular splits each extent into pieces of the given size, the last one
// ragged.
func regular(shape, size [3]int) (chunks, error) {
	var c chunks
	for a := range 3 {
		if size[a] <= 0 {
			return c, fmt.Errorf("%w: chunk extent %d must be positive", ErrShape, size[a])
		}
		n := shape[a]
		s := min(size[a], n)
		total := 1
		for b := range a {
			total *= len(c[b])
		}
		if total*((n+s-1)/s) > maxChunks {
			return c, fmt.Errorf("%w: chunks %v split shape %v into more than %d chunks", ErrShape, size, shape, maxChunks)
		}
		for lo := 0; lo < n; lo += s {
			c[a] = append(c[a], min(s, n-lo))
		}
	}
	return c, nil
}

// counts is the number of chunks along each axis.
func (c chunks) counts() [3]int { return [3]int{len(c[0]), len(c[1]), len(c[2])} }

// len is the number of chunks.
func (c chunks) len() int { return len(c[0]) * len(c[1]) * len(c[2]) }

// starts returns the offset of each chunk along each axis.
func (c chunks) starts() [3][]int {
	var s [3][]int
	for a := range 3 {
		s[a] = make([]int, len(c[a])+1)
		for i, n := range c[a] {
			s[a][i+1] = s[a][i] + n
		}
	}
	return s
}

// index is the raster position of chunk (i, j, k).
func (c chunks) index(idx [3]int) int {
	return (idx[0]*len(c[1])+idx[1])*len(c[2]) + idx[2]
}

// coords is the inverse of index.
func (c chunks) coords(i int) [3]int {
	n := c.counts()
	return [3]int{i / (n[1] * n[2]), (i / n[2]) % n[1], i % n[2]}
}

// shapeOf is the shape of chunk (i, j, k).
func (c chunks) shapeOf(idx [3]int) [3]int {
	return [3]int{c[0][idx[0]], c[1][idx[1]], c[2][idx[2]]}
}

func (c chunks) equal(d chunks) bool {
	for a := range 3 {
		if len(c[a]) != len(d[a]) {
			return false
		}
		for i := range c[a] {
			if c[a][i] != d[a][i] {
				return false
			}
		}
	}
	return true
}

// largest is the shape of the largest chunk, as dask reports it.
func (c chunks) largest() [3]int {
	var s [3]int
	for a := range 3 {
		for _, n := range c[a] {
			s[a] = max(s[a], n)
		}
	}
	return s
}

// locate returns the chunk holding coordinate x along an axis with chunk
// offsets starts, and x's position inside it.
func locate(starts []int, x int) (chunk, local int) {
	lo, hi := 0, len(starts)-2
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if starts[mid] <= x {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo, x - starts[lo]
}

// refine is the common refinement of two chunkings of the same extent: the
// union of their boundaries, as used to align two arrays before an
// element-wise operation.
func refine(a, b []int) []int {
	var out []int
	i, j := 0, 0
	ra, rb := 0, 0 // remaining in the current chunk of a and b
	for i < len(a) || j < len(b) {
		if ra == 0 {
			ra = a[i]
			i++
		}
		if rb == 0 {
			rb = b[j]
			j++
		}
		n := min(ra, rb)
		out = append(out, n)
		ra -= n
		rb -= n
	}
	return out
}
