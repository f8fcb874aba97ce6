package segment

import (
	"math"
	"strconv"
	"strings"

	"github.com/segstack/segstack/stack"
)

// Object is one labelled object's statistics. Intensities are of the raw
// input (before smoothing); bounding boxes are half-open, [Lo, Hi), ordered
// Z, Y, X, as scikit-image's regionprops gives them.
type Object struct {
	// Plane is the plane the object lies in (2-D mode); -1 in 3-D mode.
	Plane int
	// Label is the object's value in the labels output.
	Label uint32
	// Area is the number of pixels (2-D) or voxels (3-D) in the object.
	Area int64
	// Lo and Hi bound the object: Lo inclusive, Hi exclusive.
	Lo, Hi [3]int
	// Centroid is the mean coordinate of the object's voxels.
	Centroid [3]float64
	// MeanIntensity, MinIntensity and MaxIntensity summarise the raw input
	// over the object.
	MeanIntensity, MinIntensity, MaxIntensity float64
}

// PixelSize is the physical size of a voxel, which adds physical columns to
// the statistics.
type PixelSize struct {
	// Z, Y and X are the spacing along each axis, in Unit.
	Z, Y, X float64
	// Unit is the length unit in any spelling stack.CanonicalUnit reads.
	Unit string
}

// physical is the scale of the physical statistics columns: per-axis sizes
// (Z, Y, X) and the unit's symbol in the column names.
type physical struct {
	size   [3]float64
	symbol string
}

// physicalOf returns the scale for the columns of a run, or nil when the
// pixel size is not known well enough for them: without a unit, or without
// a Z spacing in 3-D mode.
func physicalOf(ps PixelSize, threeD bool) *physical {
	sym := stack.UnitSymbol(ps.Unit)
	if sym == "" || !(ps.Y > 0) || !(ps.X > 0) || math.IsInf(ps.Y, 0) || math.IsInf(ps.X, 0) {
		return nil
	}
	p := &physical{size: [3]float64{ps.Z, ps.Y, ps.X}, symbol: sym}
	if threeD && (!(ps.Z > 0) || math.IsInf(ps.Z, 0)) {
		return nil
	}
	return p
}

// statsHeader is the CSV header: scikit-image's regionprops_table names for
// properties (label, area, bbox, centroid, intensity_mean, intensity_max,
// intensity_min), in that order, then in 2-D mode the plane, then with a
// pixel size the physical area (area_<u>2) or volume (volume_<u>3) and
// centroid (centroid_<u>-0, ...), <u> being the unit's symbol (um for
// micrometres).
func statsHeader(threeD bool, phys *physical) string {
	nd := 2
	if threeD {
		nd = 3
	}
	cols := []string{"label", "area"}
	for a := range 2 * nd {
		cols = append(cols, "bbox-"+strconv.Itoa(a))
	}
	for a := range nd {
		cols = append(cols, "centroid-"+strconv.Itoa(a))
	}
	cols = append(cols, "intensity_mean", "intensity_max", "intensity_min")
	if !threeD {
		cols = append(cols, "plane")
	}
	if phys != nil {
		if threeD {
			cols = append(cols, "volume_"+phys.symbol+"3")
		} else {
			cols = append(cols, "area_"+phys.symbol+"2")
		}
		for a := range nd {
			cols = append(cols, "centroid_"+phys.symbol+"-"+strconv.Itoa(a))
		}
	}
	return strings.Join(cols, ",")
}

// appendCSV appends o's row (2-D or 3-D layout) to buf.
func (o *Object) appendCSV(buf []byte, threeD bool, phys *physical) []byte {
	i := func(v int) { buf = strconv.AppendInt(buf, int64(v), 10); buf = append(buf, ',') }
	f := func(v float64) {
		if math.IsInf(v, 0) || math.IsNaN(v) {
			buf = append(buf, "nan"...)
		} else {
			buf = strconv.AppendFloat(buf, v, 'g', -1, 64)
		}
		buf = append(buf, ',')
	}
	// The 2-D layout leaves Z out of the box and the centroid.
	axis0 := 0
	if !threeD {
		axis0 = 1
	}
	buf = strconv.AppendUint(buf, uint64(o.Label), 10)
	buf = append(buf, ',')
	i(int(o.Area))
	for a := axis0; a < 3; a++ {
		i(o.Lo[a])
	}
	for a := axis0; a < 3; a++ {
		i(o.Hi[a])
	}
	for a := axis0; a < 3; a++ {
		f(o.Centroid[a])
	}
	f(o.MeanIntensity)
	f(o.MaxIntensity)
	f(o.MinIntensity)
	if !threeD {
		i(o.Plane)
	}
	if phys != nil {
		m := float64(o.Area)
		for a := axis0; a < 3; a++ {
			m *= phys.size[a]
		}
		f(m)
		for a := axis0; a < 3; a++ {
			f(o.Centroid[a] * phys.size[a])
		}
	}
	buf[len(buf)-1] = '\n'
	return buf
}

// statsWriter streams object rows into a CSV file written atomically.
type statsWriter struct {
	f      *atomicFile
	threeD bool
	phys   *physical
	buf    []byte
}

func newStatsWriter(path string, threeD bool, phys *physical) (*statsWriter, error) {
	f, err := createAtomic(path)
	if err != nil {
		return nil, err
	}
	if _, err := f.Write([]byte(statsHeader(threeD, phys) + "\n")); err != nil {
		f.Abort()
		return nil, err
	}
	return &statsWriter{f: f, threeD: threeD, phys: phys}, nil
}

func (s *statsWriter) write(objs []Object) error {
	s.buf = s.buf[:0]
	for i := range objs {
		s.buf = objs[i].appendCSV(s.buf, s.threeD, s.phys)
	}
	_, err := s.f.Write(s.buf)
	return err
}
