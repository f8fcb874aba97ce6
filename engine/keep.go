package engine

import (
	"sync"
	"sync/atomic"
	"unsafe"
)

// packedPlane is a plane of labels kept between a plane task and its
// write task as the runs of non-zero labels along the plane's rows in
// raster order: a few tens of kilobytes where the plane holds megabytes,
// so that a worker keeps many planes and the plane-sized buffers go back
// to their pool at once (fresh memory for every kept plane costs the
// system a page fault per 4 KiB).
type packedPlane struct {
	// n is the plane's object count, pixels its length.
	n, pixels int
	// runs holds a triple per run: first pixel, length, label.
	runs []uint32
}

func (p *packedPlane) bytes() int64 { return 4*int64(cap(p.runs)) + 64 }

// packLabels packs a plane of labels; scratch, when not nil, is a buffer
// of runs to reuse across calls.
func packLabels[T uint16 | uint32](labels []T, n int, scratch *[]uint32) *packedPlane {
	p := &packedPlane{n: n, pixels: len(labels)}
	var runs []uint32
	if scratch != nil {
		runs = (*scratch)[:0]
	}
	// Zeros are skipped, and runs followed, eight bytes at a time from the
	// first element on an 8-byte boundary (a0) on.
	size := int(unsafe.Sizeof(T(0)))
	per := 8 / size
	a0 := 0
	var words []uint64
	if len(labels) > 0 {
		base := uintptr(unsafe.Pointer(unsafe.SliceData(labels)))
		a0 = int((8-base%8)%8) / size
		if a0 < len(labels) && (len(labels)-a0)/per > 0 {
			words = unsafe.Slice((*uint64)(unsafe.Pointer(&labels[a0])), (len(labels)-a0)/per)
		}
	}
	aligned := func(i int) bool { return i >= a0 && (i-a0)%per == 0 }
	for i := 0; i < len(labels); {
		if aligned(i) {
			w := (i - a0) / per
			for w < len(words) && words[w] == 0 {
				w++
			}
			if i = a0 + w*per; i >= len(labels) {
				break
			}
		}
		l := labels[i]
		if l == 0 {
			i++
			continue
		}
		j := i + 1
		for j < len(labels) && !aligned(j) && labels[j] == l {
			j++
		}
		if aligned(j) {
			var pat uint64
			for range per {
				pat = pat<<(8*size) | uint64(l)
			}
			w := (j - a0) / per
			for w < len(words) && words[w] == pat {
				w++
			}
			j = a0 + w*per
		}
		for j < len(labels) && labels[j] == l {
			j++
		}
		runs = append(runs, uint32(i), uint32(j-i), uint32(l))
		i = j
	}
	p.runs = append([]uint32(nil), runs...)
	if scratch != nil {
		*scratch = runs
	}
	return p
}

// unpackLabels writes the packed plane into dst (its length), with off
// added to every label; the caller makes sure the labels fit T.
func unpackLabels[T uint16 | uint32](dst []T, p *packedPlane, off uint64) {
	clear(dst)
	o := T(off)
	for k := 0; k+2 < len(p.runs); k += 3 {
		s, n, l := p.runs[k], p.runs[k+1], T(p.runs[k+2])+o
		run := dst[s : s+n]
		for i := range run {
			run[i] = l
		}
	}
}

// labelCache keeps the packed labels of a job's plane tasks, by run and
// plane, within the worker's budget.
type labelCache struct {
	mu     sync.Mutex
	planes map[keptPlane]*packedPlane
}

type keptPlane struct {
	run int64
	z   int
}

// put keeps p for the write task of plane z of run, when the budget
// allows.
func (c *labelCache) put(used *atomic.Int64, budget int64, run int64, z int, p *packedPlane) {
	n := p.bytes()
	if budget <= 0 || used.Add(n) > budget {
		used.Add(-n)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.planes == nil {
		c.planes = map[keptPlane]*packedPlane{}
	}
	k := keptPlane{run, z}
	if old := c.planes[k]; old != nil { // the task ran again
		used.Add(-old.bytes())
	}
	c.planes[k] = p
}

// take hands over the labels kept for plane z of run, or nil.
func (c *labelCache) take(used *atomic.Int64, run int64, z int) *packedPlane {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := keptPlane{run, z}
	p := c.planes[k]
	if p != nil {
		delete(c.planes, k)
		used.Add(-p.bytes())
	}
	return p
}

// drop forgets every plane kept.
func (c *labelCache) drop(used *atomic.Int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, p := range c.planes {
		used.Add(-p.bytes())
		delete(c.planes, k)
	}
}
