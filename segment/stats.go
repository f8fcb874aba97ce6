package segment

import (
	"math"
	"strconv"
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
	// MeanIntensity and MaxIntensity summarise the raw input over the object.
	MeanIntensity, MaxIntensity float64
}

// regionAcc accumulates one object's statistics while its voxels are visited.
type regionAcc struct {
	n      int64
	lo, hi [3]int32
	sum    [3]float64
	isum   float64
	imax   float32
}

func (r *regionAcc) add(z, y, x int, v float32) {
	if r.n == 0 {
		r.lo = [3]int32{int32(z), int32(y), int32(x)}
		r.hi = [3]int32{int32(z) + 1, int32(y) + 1, int32(x) + 1}
		r.imax = v
	} else {
		r.lo = [3]int32{min(r.lo[0], int32(z)), min(r.lo[1], int32(y)), min(r.lo[2], int32(x))}
		r.hi = [3]int32{max(r.hi[0], int32(z)+1), max(r.hi[1], int32(y)+1), max(r.hi[2], int32(x)+1)}
		r.imax = max(r.imax, v)
	}
	r.n++
	r.sum[0] += float64(z)
	r.sum[1] += float64(y)
	r.sum[2] += float64(x)
	r.isum += float64(v)
}

// merge folds o into r.
func (r *regionAcc) merge(o *regionAcc) {
	if o.n == 0 {
		return
	}
	if r.n == 0 {
		*r = *o
		return
	}
	for a := range 3 {
		r.lo[a] = min(r.lo[a], o.lo[a])
		r.hi[a] = max(r.hi[a], o.hi[a])
		r.sum[a] += o.sum[a]
	}
	r.n += o.n
	r.isum += o.isum
	r.imax = max(r.imax, o.imax)
}

func (r *regionAcc) object(plane int, label uint32) Object {
	n := float64(r.n)
	return Object{
		Plane:         plane,
		Label:         label,
		Area:          r.n,
		Lo:            [3]int{int(r.lo[0]), int(r.lo[1]), int(r.lo[2])},
		Hi:            [3]int{int(r.hi[0]), int(r.hi[1]), int(r.hi[2])},
		Centroid:      [3]float64{r.sum[0] / n, r.sum[1] / n, r.sum[2] / n},
		MeanIntensity: r.isum / n,
		MaxIntensity:  float64(r.imax),
	}
}

// planeStats gathers the statistics of the n objects labelled 1..n in one
// plane (or slab) whose first plane is z0. raw holds the input intensities
// at the same positions as labels.
func planeStats(labels []uint32, raw []float32, n, z0, ny, nx int) []regionAcc {
	acc := make([]regionAcc, n+1)
	planeLen := ny * nx
	for i, l := range labels {
		if l == 0 {
			continue
		}
		z := i / planeLen
		rem := i - z*planeLen
		y := rem / nx
		acc[l].add(z0+z, y, rem-y*nx, raw[i])
	}
	return acc[1:]
}

// Stats CSV headers: 2-D mode has one row per object per plane, 3-D mode one
// row per object of the volume. Column names follow scikit-image's
// regionprops; boxes are half-open.
const (
	statsHeader2D = "plane,label,area,bbox_y0,bbox_x0,bbox_y1,bbox_x1,centroid_y,centroid_x,mean_intensity,max_intensity"
	statsHeader3D = "label,volume,bbox_z0,bbox_y0,bbox_x0,bbox_z1,bbox_y1,bbox_x1,centroid_z,centroid_y,centroid_x,mean_intensity,max_intensity"
)

// appendCSV appends o's row (2-D or 3-D layout) to buf.
func (o *Object) appendCSV(buf []byte, threeD bool) []byte {
	i := func(v int) { buf = strconv.AppendInt(buf, int64(v), 10); buf = append(buf, ',') }
	f := func(v float64) { buf = strconv.AppendFloat(buf, v, 'g', -1, 64); buf = append(buf, ',') }
	// The 2-D layout leads with the plane and leaves Z out of the box and
	// the centroid.
	axis0 := 0
	if !threeD {
		i(o.Plane)
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
	if math.IsInf(o.MaxIntensity, 0) || math.IsNaN(o.MaxIntensity) {
		buf = append(buf, "nan"...)
	} else {
		buf = strconv.AppendFloat(buf, o.MaxIntensity, 'g', -1, 64)
	}
	return append(buf, '\n')
}

// statsWriter streams object rows into a CSV file written atomically.
type statsWriter struct {
	f      *atomicFile
	threeD bool
	buf    []byte
}

func newStatsWriter(path string, threeD bool) (*statsWriter, error) {
	f, err := createAtomic(path)
	if err != nil {
		return nil, err
	}
	h := statsHeader2D
	if threeD {
		h = statsHeader3D
	}
	if _, err := f.Write([]byte(h + "\n")); err != nil {
		f.Abort()
		return nil, err
	}
	return &statsWriter{f: f, threeD: threeD}, nil
}

func (s *statsWriter) write(objs []Object) error {
	s.buf = s.buf[:0]
	for i := range objs {
		s.buf = objs[i].appendCSV(s.buf, s.threeD)
	}
	_, err := s.f.Write(s.buf)
	return err
}
