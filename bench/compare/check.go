package main

import (
	"fmt"
	"math"
	"slices"

	"github.com/segstack/segstack/bench/internal/npy"
)

// Check outcomes. Only an implementation whose output passed is timed.
const (
	checkReference = "reference"              // segstack itself: what the others are held to
	checkOK        = "ok"                     // identical (labels) or within tolerance (floats)
	checkRenumber  = "ok (numbering differs)" // the same objects, numbered in another order
)

// gaussTol is the relative tolerance on Gaussian outputs (DESIGN.md: within
// 1e-5 relative of scipy on float32 data).
const gaussTol = 1e-5

// checkFloat compares a float32 output with segstack's. An element passes
// when |got-ref| <= tol*max(|ref|, 1e-3*max|ref|): relative, with a floor so
// that values near zero are held to the scale of the data.
func checkFloat(got, ref []float32, tol float64) (string, bool) {
	if len(got) != len(ref) {
		return fmt.Sprintf("MISMATCH: %d elements, want %d", len(got), len(ref)), false
	}
	scale := 0.0
	for _, r := range ref {
		scale = max(scale, math.Abs(float64(r)))
	}
	floor := 1e-3 * scale
	bad, worst := 0, 0.0
	for i, r := range ref {
		d := math.Abs(float64(got[i]) - float64(r))
		den := max(math.Abs(float64(r)), floor)
		if den == 0 {
			den = 1
		}
		rel := d / den
		if math.IsNaN(rel) {
			rel = math.Inf(1)
		}
		worst = max(worst, rel)
		if rel > tol {
			bad++
		}
	}
	if bad > 0 {
		return fmt.Sprintf("MISMATCH: %d of %d elements beyond %.0e relative (worst %.2e)", bad, len(ref), tol, worst), false
	}
	return fmt.Sprintf("%s (max rel err %.1e)", checkOK, worst), true
}

// checkLabels compares a label image with segstack's: equal is ok; the same
// partition of the foreground under other numbers is ok with a note (OpenCV
// does not promise scipy's numbering); anything else is a mismatch. Labels
// numbered afresh in each block of block voxels (a plane, for per-plane
// labelling) are compared block by block; block 0 means one block.
func checkLabels(got, ref []uint32, block int) (string, bool) {
	if len(got) != len(ref) {
		return fmt.Sprintf("MISMATCH: %d voxels, want %d", len(got), len(ref)), false
	}
	if slices.Equal(got, ref) {
		return checkOK, true
	}
	if block <= 0 {
		block = len(ref)
	}
	diff := 0
	fwd := map[uint32]uint32{}
	back := map[uint32]uint32{}
	same := true
	for i, r := range ref {
		if i%block == 0 {
			clear(fwd)
			clear(back)
		}
		g := got[i]
		if g != r {
			diff++
		}
		if (g == 0) != (r == 0) {
			same = false
			continue
		}
		if r == 0 {
			continue
		}
		if m, ok := fwd[r]; ok && m != g {
			same = false
		} else {
			fwd[r] = g
		}
		if m, ok := back[g]; ok && m != r {
			same = false
		} else {
			back[g] = r
		}
	}
	if same {
		return checkRenumber, true
	}
	return fmt.Sprintf("MISMATCH: %d of %d voxels differ", diff, len(ref)), false
}

// checkScalar compares a reduction's value with segstack's.
func checkScalar(got, ref, tol float64) (string, bool) {
	d := math.Abs(got - ref)
	if d <= tol*math.Abs(ref) {
		if d == 0 {
			return checkOK, true
		}
		return fmt.Sprintf("%s (rel err %.1e)", checkOK, d/math.Abs(ref)), true
	}
	return fmt.Sprintf("MISMATCH: %g, segstack %g", got, ref), false
}

// checkKernelOutput compares one kernel's output files (or scalar values)
// of an implementation with segstack's.
func checkKernelOutput(kernel, gotPath, refPath string, gotVal, refVal *float64) (string, bool) {
	switch family(kernel) {
	case "max":
		if gotVal == nil || refVal == nil {
			return "MISMATCH: no value reported", false
		}
		return checkScalar(*gotVal, *refVal, 0)
	case "otsu":
		if gotVal == nil || refVal == nil {
			return "MISMATCH: no value reported", false
		}
		return checkScalar(*gotVal, *refVal, gaussTol)
	}
	g, err := npy.Read(gotPath)
	if err != nil {
		return "MISMATCH: " + err.Error(), false
	}
	r, err := npy.Read(refPath)
	if err != nil {
		return "no reference: " + err.Error(), false
	}
	if !slices.Equal(g.Shape, r.Shape) {
		return fmt.Sprintf("MISMATCH: shape %v, segstack %v", g.Shape, r.Shape), false
	}
	if f := family(kernel); f == "gauss2d" || f == "gauss3d" || f == "edt2d" || f == "edt3d" {
		gf, err := g.Float32()
		if err != nil {
			return "MISMATCH: " + err.Error(), false
		}
		rf, err := r.Float32()
		if err != nil {
			return "no reference: " + err.Error(), false
		}
		return checkFloat(gf, rf, gaussTol)
	}
	gl, err := g.Labels()
	if err != nil {
		return "MISMATCH: " + err.Error(), false
	}
	rl, err := r.Labels()
	if err != nil {
		return "no reference: " + err.Error(), false
	}
	block := 0
	if family(kernel) == "label2d" && len(r.Shape) == 3 {
		block = r.Shape[1] * r.Shape[2]
	}
	return checkLabels(gl, rl, block)
}
