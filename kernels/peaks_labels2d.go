package kernels

import (
	"context"
	"math"
	"slices"
)

// peaksPerLabel2D is peaksPerLabel for a 2-D image without an excluded
// border, in one pass over the image instead of a maximum filter per
// label's box. scikit-image filters each box with the other labels' pixels
// set to a floor (peaksPerLabel uses -MaxFloat32); a pixel of label k is
// a candidate when no pixel of its window is greater, and in the box the
// window holds only pixels of k and floor pixels, which are never greater
// than a finite value. So a pixel of k is a candidate exactly when no
// pixel of k in its window (clipped to the image: the box holds every
// pixel of k) is greater. That needs finite values (lo > -Inf) and a
// threshold above the floor, so that no floor pixel is ever a peak;
// otherwise, or for labels too sparse for a table, ok is false and the
// caller takes the box by box path. Most pixels fail on a neighbour
// before the window is searched.
//
// A label whose pixels are all candidates is scikit-image's trivial image:
// its peaks are then its pixels that the opening with the cross removes.
func peaksPerLabel2D(ctx context.Context, v []float32, lab []uint32, dims []int, pr peakReach, thr, lo float32) (out [][3]int, ok bool, err error) {
	if len(dims) != 2 || pr.zero() || !(lo > float32(math.Inf(-1))) || !(thr > -math.MaxFloat32) {
		return nil, false, nil
	}
	Y, X := dims[0], dims[1]
	ry, rx := pr.r[0], pr.r[1]
	limit := int64(len(lab)) + 1
	// notAll[k] is set once a pixel of k is not a candidate; present[k]
	// once k is met.
	var notAll, present []bool
	var rowLo, rowHi []int32 // the first and last rows of each label
	type cand struct {
		l uint32
		p int32
	}
	var cands []cand
	for y := range Y {
		if y%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, false, err
			}
		}
		row := y * X
		lr := lab[row : row+X]
		vr := v[row : row+X]
		y0, y1 := max(y-ry, 0), min(y+ry, Y-1)
		for x, k := range lr {
			if k == 0 {
				continue
			}
			if int(k) >= len(present) {
				if int64(k) > limit {
					return nil, false, nil
				}
				n := max(int(k)+1, 2*len(present))
				present = append(present, make([]bool, n-len(present))...)
				notAll = append(notAll, make([]bool, n-len(notAll))...)
				rowLo = append(rowLo, make([]int32, n-len(rowLo))...)
				rowHi = append(rowHi, make([]int32, n-len(rowHi))...)
			}
			if !present[k] {
				present[k] = true
				rowLo[k] = int32(y)
			}
			rowHi[k] = int32(y)
			val := vr[x]
			// The row's neighbours first: most pixels fail there.
			if (x+1 < X && rx > 0 && lr[x+1] == k && vr[x+1] > val) || (x > 0 && rx > 0 && lr[x-1] == k && vr[x-1] > val) {
				notAll[k] = true
				continue
			}
			x0, x1 := max(x-rx, 0), min(x+rx, X-1)
			peak := true
		window:
			for yy := y0; yy <= y1; yy++ {
				o := yy * X
				lw, vw := lab[o+x0:o+x1+1], v[o+x0:o+x1+1]
				for i, l := range lw {
					if l == k && vw[i] > val {
						peak = false
						break window
					}
				}
			}
			if !peak {
				notAll[k] = true
				continue
			}
			if val > thr {
				cands = append(cands, cand{k, int32(row + x)})
			}
		}
	}
	// Labels all of whose pixels are candidates: their peaks are the
	// pixels their opening removes, found in a second pass.
	trivial := false
	var scanRow []bool
	for k := 1; k < len(present); k++ {
		if present[k] && !notAll[k] {
			if !trivial {
				trivial = true
				scanRow = make([]bool, Y)
			}
			for y := rowLo[k]; y <= rowHi[k]; y++ {
				scanRow[y] = true
			}
		}
	}
	if trivial {
		kept := cands[:0]
		for _, c := range cands {
			if notAll[c.l] {
				kept = append(kept, c)
			}
		}
		cands = kept
		in := func(y, x int, k uint32) bool { return y >= 0 && y < Y && x >= 0 && x < X && lab[y*X+x] == k }
		eroded := func(y, x int, k uint32) bool {
			return in(y, x, k) && in(y-1, x, k) && in(y+1, x, k) && in(y, x-1, k) && in(y, x+1, k)
		}
		for y := range Y {
			if !scanRow[y] {
				continue
			}
			for x := range X {
				p := y*X + x
				k := lab[p]
				if k == 0 || notAll[k] || !(v[p] > thr) {
					continue
				}
				if eroded(y, x, k) || eroded(y-1, x, k) || eroded(y+1, x, k) || eroded(y, x-1, k) || eroded(y, x+1, k) {
					continue
				}
				cands = append(cands, cand{k, int32(p)})
			}
		}
	}
	// By label, then by decreasing value, raster order among equals (the
	// candidates were listed in raster order, the trivial labels' apart).
	slices.SortStableFunc(cands, func(a, b cand) int {
		if a.l != b.l {
			if a.l < b.l {
				return -1
			}
			return 1
		}
		va, vb := v[a.p], v[b.p]
		switch {
		case va > vb:
			return -1
		case va < vb:
			return 1
		}
		return 0
	})
	out = [][3]int{}
	idx := make([]int, 0, 16)
	for i := 0; i < len(cands); {
		j := i
		idx = idx[:0]
		for ; j < len(cands) && cands[j].l == cands[i].l; j++ {
			idx = append(idx, int(cands[j].p))
		}
		if pr.spaced {
			idx = spacePeaks2D(idx, Y, X, pr.t)
		}
		for _, p := range idx {
			out = append(out, [3]int{0, p / X, p % X})
		}
		i = j
	}
	return out, true, nil
}

// spacePeaks2D is ensureSpacing for the few peaks of one label: each is
// compared with the ones kept before it.
func spacePeaks2D(idx []int, Y, X int, t []int) []int {
	if len(idx) > 64 {
		return ensureSpacing(idx, []int{Y, X}, t, 0)
	}
	kept := idx[:0]
	for _, p := range idx {
		y, x := p/X, p%X
		ok := true
		for _, q := range kept {
			if absDiff(q/X, y) < t[0] && absDiff(q%X, x) < t[1] {
				ok = false
				break
			}
		}
		if ok {
			kept = append(kept, p)
		}
	}
	return kept
}
