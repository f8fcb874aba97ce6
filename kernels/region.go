package kernels

import (
	"context"
	"math"

	"github.com/segstack/segstack/stack"
)

// Region describes one labelled object, with the meanings of
// skimage.measure.regionprops.
type Region struct {
	// Label is the object's label.
	Label uint32
	// Area is the number of voxels (regionprops' area).
	Area int
	// BBox is the half-open bounding box, ordered Z, Y, X, like
	// regionprops' bbox: Lo is the smallest coordinate, Hi the largest + 1.
	BBox stack.Box
	// Centroid is the mean voxel coordinate, ordered Z, Y, X.
	Centroid [3]float64
	// MeanIntensity, MinIntensity and MaxIntensity summarise the intensity
	// volume over the object; they are 0 when no intensity was given.
	MeanIntensity, MinIntensity, MaxIntensity float64
}

// RegionSums holds the exact running sums behind a Region, so that the parts
// of an object measured in different chunks (or on different machines)
// combine without rounding: Add them, then call Region.
type RegionSums struct {
	// Area is the number of voxels; zero means no voxel has been added.
	Area int64
	// Lo and Hi bound the voxels, half-open, ordered Z, Y, X.
	Lo, Hi [3]int
	// Coord sums each coordinate over the voxels, ordered Z, Y, X.
	Coord [3]int64
	// Sum, Min and Max summarise the intensity (zero without one).
	Sum      float64
	Min, Max float32
}

// Add merges o into s.
func (s *RegionSums) Add(o *RegionSums) {
	if o.Area == 0 {
		return
	}
	if s.Area == 0 {
		*s = *o
		return
	}
	s.Area += o.Area
	for a := range 3 {
		s.Lo[a] = min(s.Lo[a], o.Lo[a])
		s.Hi[a] = max(s.Hi[a], o.Hi[a])
		s.Coord[a] += o.Coord[a]
	}
	s.Sum += o.Sum
	s.Min = min(s.Min, o.Min)
	s.Max = max(s.Max, o.Max)
}

// Region returns the statistics of the sums as the Region of label.
func (s *RegionSums) Region(label uint32) Region {
	r := Region{Label: label, Area: int(s.Area), BBox: stack.Box{Lo: s.Lo, Hi: s.Hi}}
	if s.Area == 0 {
		return r
	}
	n := float64(s.Area)
	for a := range 3 {
		r.Centroid[a] = float64(s.Coord[a]) / n
	}
	r.MeanIntensity = s.Sum / n
	r.MinIntensity = float64(s.Min)
	r.MaxIntensity = float64(s.Max)
	return r
}

// addRun adds the run [x0, x1) of row (z, y) to s, with its intensities from
// irow (nil without an intensity volume).
func (s *RegionSums) addRun(z, y, x0, x1 int, irow []float32) {
	n := int64(x1 - x0)
	var sum float64
	var lo, hi float32
	if irow != nil {
		sum, lo, hi = summarise(irow[x0:x1])
	}
	if s.Area == 0 {
		*s = RegionSums{Lo: [3]int{z, y, x0}, Hi: [3]int{z + 1, y + 1, x1}, Min: lo, Max: hi}
	} else {
		s.Lo[0] = min(s.Lo[0], z)
		s.Lo[1] = min(s.Lo[1], y)
		s.Lo[2] = min(s.Lo[2], x0)
		s.Hi[0] = max(s.Hi[0], z+1)
		s.Hi[1] = max(s.Hi[1], y+1)
		s.Hi[2] = max(s.Hi[2], x1)
		s.Min = min(s.Min, lo)
		s.Max = max(s.Max, hi)
	}
	s.Area += n
	s.Coord[0] += int64(z) * n
	s.Coord[1] += int64(y) * n
	s.Coord[2] += (int64(x0) + int64(x1) - 1) * n / 2
	s.Sum += sum
}

// summarise returns the sum (in float64), minimum and maximum of seg. Four
// partial sums and two lanes of extremes break the dependency chains that
// would otherwise bound the loop by the adder's latency.
func summarise(seg []float32) (float64, float32, float32) {
	var s0, s1, s2, s3 float64
	lo0, hi0 := float32(math.Inf(1)), float32(math.Inf(-1))
	lo1, hi1 := lo0, hi0
	i := 0
	for ; i+4 <= len(seg); i += 4 {
		q := seg[i : i+4 : i+4]
		s0 += float64(q[0])
		s1 += float64(q[1])
		s2 += float64(q[2])
		s3 += float64(q[3])
		lo0, hi0 = min(lo0, q[0], q[2]), max(hi0, q[0], q[2])
		lo1, hi1 = min(lo1, q[1], q[3]), max(hi1, q[1], q[3])
	}
	for _, v := range seg[i:] {
		s0 += float64(v)
		lo0, hi0 = min(lo0, v), max(hi0, v)
	}
	return (s0 + s1) + (s2 + s3), min(lo0, lo1), max(hi0, hi1)
}

// writeWithStats writes the labels like writeStrip, unless dst is nil,
// and returns every label's sums, measured from the runs (the labels
// written are not read back). Each strip keeps dense sums for the labels
// rooted in it (a contiguous range) and a small map for the few objects
// that started in an earlier strip; they are combined in strip order.
func (sc *scan) writeWithStats(dst []uint32, intensity *stack.Volume[float32]) []RegionSums {
	sums := make([]RegionSums, sc.n)
	foreign := make([]map[uint32]*RegionSums, len(sc.strips))
	X, Y := sc.shape.X, sc.shape.Y
	parallel(len(sc.strips), func(k int) {
		st := sc.strips[k]
		if dst != nil {
			writeStrip(sc, st, dst)
		}
		own := sums[st.base-1 : int(st.base-1)+st.roots]
		far := map[uint32]*RegionSums{}
		for r := st.r0; r < st.r1; r++ {
			var irow []float32
			if intensity != nil {
				irow = intensity.Data[r*X : (r+1)*X]
			}
			z, y := r/Y, r%Y
			i0, i1 := st.rowStart[r-st.r0], st.rowStart[r-st.r0+1]
			for i := i0; i < i1; i++ {
				rn := st.runs[i]
				if rn.s >= rn.e || int(rn.e) > X {
					continue // cannot happen: runs are in the row
				}
				l := sc.label(st, int(i))
				var acc *RegionSums
				if l >= st.base {
					acc = &own[l-st.base]
				} else if acc = far[l]; acc == nil {
					acc = &RegionSums{}
					far[l] = acc
				}
				acc.addRun(z, y, int(rn.s), int(rn.e), irow)
			}
		}
		foreign[k] = far
	})
	for _, far := range foreign {
		for l, s := range far {
			sums[l-1].Add(s)
		}
	}
	return sums
}

// regionsOf turns sums into Regions, label i+1 at index i.
func regionsOf(sums []RegionSums) []Region {
	out := make([]Region, len(sums))
	for i := range sums {
		out[i] = sums[i].Region(uint32(i + 1))
	}
	return out
}

// eachLabelRun calls fn for every run of equal non-zero labels along a row
// of labels, in raster order, with the matching row of intensity (nil when
// intensity is nil, which otherwise has labels' shape), checking ctx once
// per plane. It stops at the first error fn returns.
func eachLabelRun(ctx context.Context, labels *stack.Volume[uint32], intensity *stack.Volume[float32], fn func(l uint32, z, y, x0, x1 int, irow []float32) error) error {
	s := labels.Shape
	for z := range s.Z {
		if err := ctx.Err(); err != nil {
			return err
		}
		for y := range s.Y {
			row := labels.Row(z, y)
			var irow []float32
			if intensity != nil {
				irow = intensity.Row(z, y)
			}
			for x0 := 0; x0 < len(row); {
				l := row[x0]
				x1 := x0 + 1
				for x1 < len(row) && row[x1] == l {
					x1++
				}
				if l != 0 {
					if err := fn(l, z, y, x0, x1, irow); err != nil {
						return err
					}
				}
				x0 = x1
			}
		}
	}
	return nil
}
