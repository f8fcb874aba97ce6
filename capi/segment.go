//go:build cgo

package main

/*
#include <stddef.h>
#include <stdint.h>
*/
import "C"

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unsafe"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/segment"
	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/tiff"
)

// segstack_source_shape stores the shape (Z, Y, X) of the stack at path
// (a TIFF, Zarr array or OME-Zarr image; channel -1 for none) in shape
// and writes its dtype's name into dtype (n bytes).
//
//export segstack_source_shape
func segstack_source_shape(path *C.char, channel C.int, shape *C.int64_t, dtype *C.char, n C.size_t,
	errbuf *C.char, errlen C.size_t) (rc C.int) {
	defer guard(&rc, errbuf, errlen)
	if path == nil || shape == nil {
		return fail(fmt.Errorf("%w: source_shape: NULL path or shape", errInvalid), errbuf, errlen)
	}
	src, closeSrc, err := segment.OpenSource(C.GoString(path), int(channel))
	if err != nil {
		return fail(err, errbuf, errlen)
	}
	defer closeSrc()
	d := src.Shape().Dims()
	out := unsafe.Slice((*int64)(unsafe.Pointer(shape)), 3)
	for i := range 3 {
		out[i] = int64(d[i])
	}
	writeString(src.DType().String(), dtype, n)
	return codeOK
}

// segstack_segment runs the segmentation pipeline (segment.Run) on the
// array src (or, when src is NULL, on the stack at path, channel -1 for
// none) and writes the labels, uint32, into labels, whose shape (Z, Y, X)
// lshape gives and must be the input's. mode is "2d" or "3d", sigma three
// values (Z, Y, X), threshold as "0.33max", "otsu" or a number, conn 0 for
// the mode's default, numbering "unique" or "per-plane", workers 0 for
// every core, device "auto", "cpu" or "cuda[:N]", split NULL or "" for no
// split, else JSON {"method": "watershed", "seeds": "intensity" or
// "distance", "min_distance", "fill_holes", "min_size", "max_size"} (absent
// fields keep segment.DefaultOptions' values). *res receives a result
// handle whose table is the objects' statistics (regionprops_table's
// columns, then plane in 2-D mode) and whose text is the run report as
// JSON; free it with segstack_free.
//
//export segstack_segment
func segstack_segment(tok C.int64_t, src unsafe.Pointer, dtype *C.char, ndim C.int, shape *C.int64_t,
	path *C.char, channel C.int, mode *C.char, sigma *C.double, threshold *C.char, conn C.int,
	numbering *C.char, workers C.int, device *C.char, split *C.char, labels *C.uint32_t, lshape *C.int64_t,
	res *C.int64_t, errbuf *C.char, errlen C.size_t) (rc C.int) {
	defer guard(&rc, errbuf, errlen)
	r, err := runSegment(tok, src, dtype, ndim, shape, path, channel, mode, sigma, threshold, conn, numbering, workers, device, split, labels, lshape)
	if err != nil {
		return fail(err, errbuf, errlen)
	}
	if res == nil {
		return fail(fmt.Errorf("%w: segment: NULL result", errInvalid), errbuf, errlen)
	}
	*res = C.int64_t(storeResult(r))
	return codeOK
}

func runSegment(tok C.int64_t, src unsafe.Pointer, dtype *C.char, ndim C.int, shape *C.int64_t,
	path *C.char, channel C.int, mode *C.char, sigma *C.double, threshold *C.char, conn C.int,
	numbering *C.char, workers C.int, device *C.char, split *C.char, labels *C.uint32_t, lshape *C.int64_t) (*result, error) {
	ctx, err := contextOf(tok)
	if err != nil {
		return nil, err
	}
	if mode == nil || sigma == nil || threshold == nil || numbering == nil || labels == nil || lshape == nil {
		return nil, fmt.Errorf("%w: segment: NULL argument", errInvalid)
	}
	opt := segment.DefaultOptions()
	opt.Channel = int(channel)
	if src != nil {
		a, err := parseArray("segment", src, dtype, ndim, shape)
		if err != nil {
			return nil, err
		}
		opt.Input = fmt.Sprintf("<%s array %v>", a.dtype, a.shape)
		switch a.dtype {
		case stack.Uint8:
			opt.Source = segment.VolumeSource(volumeOf[uint8](a))
		case stack.Uint16:
			opt.Source = segment.VolumeSource(volumeOf[uint16](a))
		case stack.Uint32:
			opt.Source = segment.VolumeSource(volumeOf[uint32](a))
		case stack.Int16:
			opt.Source = segment.VolumeSource(volumeOf[int16](a))
		case stack.Int32:
			opt.Source = segment.VolumeSource(volumeOf[int32](a))
		case stack.Float32:
			opt.Source = segment.VolumeSource(volumeOf[float32](a))
		default:
			f, err := float32Of(a)
			if err != nil {
				return nil, err
			}
			opt.Source = segment.VolumeSource(&stack.Volume[float32]{Shape: a.shape, Data: f})
		}
	} else {
		if path == nil {
			return nil, fmt.Errorf("%w: segment: neither an array nor a path", errInvalid)
		}
		opt.Input = C.GoString(path)
	}
	if opt.Mode, err = segment.ParseMode(C.GoString(mode)); err != nil {
		return nil, fmt.Errorf("%w: segment: %w", errInvalid, err)
	}
	sig := unsafe.Slice((*float64)(unsafe.Pointer(sigma)), 3)
	for i, s := range sig {
		if !finite(s) || s < 0 {
			return nil, fmt.Errorf("%w: segment: sigma %v on axis %d must be a finite number >= 0", errInvalid, s, i)
		}
		opt.Sigma[i] = s
	}
	if opt.Threshold, err = kernels.ParseThreshold(C.GoString(threshold)); err != nil {
		return nil, fmt.Errorf("segment: %w", err)
	}
	opt.Connectivity = kernels.Connectivity(conn)
	if opt.Numbering, err = segment.ParseNumbering(C.GoString(numbering)); err != nil {
		return nil, fmt.Errorf("%w: segment: %w", errInvalid, err)
	}
	if workers < 0 {
		return nil, fmt.Errorf("%w: segment: workers %d must be >= 0", errInvalid, int(workers))
	}
	opt.Workers = int(workers)
	if device != nil {
		opt.Device = C.GoString(device)
	}
	if split != nil {
		if opt.Split, err = parseSplit(C.GoString(split), opt.Split); err != nil {
			return nil, err
		}
	}

	// The pipeline writes its outputs to files; they go to a private
	// folder and are read back into the caller's buffer.
	tmp, err := os.MkdirTemp("", "segstack-capi-")
	if err != nil {
		return nil, fmt.Errorf("segment: %w", err)
	}
	defer os.RemoveAll(tmp)
	opt.Output = filepath.Join(tmp, "labels.tif")
	opt.Stats = filepath.Join(tmp, "objects.csv")
	opt.LabelDType = segment.LabelUint32
	rep, err := segment.Run(ctx, opt)
	if err != nil {
		return nil, fmt.Errorf("segment: %w", err)
	}
	want := unsafe.Slice((*int64)(unsafe.Pointer(lshape)), 3)
	if want[0] != int64(rep.Shape[0]) || want[1] != int64(rep.Shape[1]) || want[2] != int64(rep.Shape[2]) {
		return nil, fmt.Errorf("%w: segment: labels buffer of shape %v for an input of shape %v", errInvalid, want, rep.Shape)
	}
	s := stack.ShapeOf(rep.Shape)
	if err := readLabels(opt.Output, s, unsafe.Slice((*uint32)(unsafe.Pointer(labels)), s.Len())); err != nil {
		return nil, err
	}
	t, err := readTable(opt.Stats)
	if err != nil {
		return nil, err
	}
	text, err := json.Marshal(rep)
	if err != nil {
		return nil, fmt.Errorf("segment: report: %w", err)
	}
	return &result{table: t, text: string(text)}, nil
}

// readLabels reads the uint32 labels TIFF at path into dst.
func readLabels(path string, s stack.Shape, dst []uint32) error {
	r, err := tiff.Open(path)
	if err != nil {
		return fmt.Errorf("segment: labels: %w", err)
	}
	defer r.Close()
	if r.Shape() != s || r.DType() != stack.Uint32 {
		return fmt.Errorf("segment: labels: %v %v written for an input of shape %v", r.DType(), r.Shape(), s)
	}
	n := s.PlaneLen()
	for z := range s.Z {
		if err := tiff.ReadPlane(r, z, dst[z*n:(z+1)*n]); err != nil {
			return fmt.Errorf("segment: labels plane %d: %w", z, err)
		}
	}
	return nil
}

// readTable reads the statistics CSV at path.
func readTable(path string) (*table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("segment: statistics: %w", err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("segment: statistics: %w", err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("segment: statistics: no header")
	}
	t := newTable(recs[0], len(recs)-1)
	row := make([]float64, len(recs[0]))
	for i, rec := range recs[1:] {
		for c, v := range rec {
			if row[c], err = strconv.ParseFloat(v, 64); err != nil {
				return nil, fmt.Errorf("segment: statistics row %d column %s: %w", i+1, recs[0][c], err)
			}
		}
		t.setRow(i, row)
	}
	return t, nil
}

// splitSpec is segstack_segment's split argument: JSON with the fields of
// segment.SplitOptions; absent fields keep their defaults.
type splitSpec struct {
	Method      string `json:"method"`
	Seeds       string `json:"seeds"`
	MinDistance *int   `json:"min_distance"`
	FillHoles   bool   `json:"fill_holes"`
	MinSize     *int   `json:"min_size"`
	MaxSize     int    `json:"max_size"`
}

// parseSplit reads a splitSpec ("" is no split) over the defaults def.
func parseSplit(s string, def segment.SplitOptions) (segment.SplitOptions, error) {
	o := def
	if strings.TrimSpace(s) == "" {
		return o, nil
	}
	var sp splitSpec
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sp); err != nil {
		return o, fmt.Errorf("%w: segment: split %s: %w", errInvalid, s, err)
	}
	var err error
	if o.Method, err = segment.ParseSplit(sp.Method); err != nil {
		return o, fmt.Errorf("%w: segment: split: %w", errInvalid, err)
	}
	if o.Seeds, err = segment.ParseSeeds(sp.Seeds); err != nil {
		return o, fmt.Errorf("%w: segment: split: %w", errInvalid, err)
	}
	if sp.MinDistance != nil {
		if *sp.MinDistance < 1 {
			return o, fmt.Errorf("%w: segment: split min_distance %d must be >= 1", errInvalid, *sp.MinDistance)
		}
		o.MinDistance = *sp.MinDistance
	}
	if sp.MinSize != nil {
		if *sp.MinSize < 0 {
			return o, fmt.Errorf("%w: segment: split min_size %d must be >= 0", errInvalid, *sp.MinSize)
		}
		o.MinSize = *sp.MinSize
	}
	if sp.MaxSize < 0 || (sp.MaxSize > 0 && sp.MaxSize < o.MinSize) {
		return o, fmt.Errorf("%w: segment: split max_size %d must be 0 (no bound) or >= min_size %d", errInvalid, sp.MaxSize, o.MinSize)
	}
	o.MaxSize = sp.MaxSize
	o.FillHoles = sp.FillHoles
	return o, nil
}
