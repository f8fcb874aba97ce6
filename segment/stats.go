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
