package segment

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/segstack/segstack/internal/outfile"
	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/tiff"
	"github.com/segstack/segstack/stack/zarr"
)

// OutputFormat is the container the labels are written in.
type OutputFormat int

const (
	// FormatAuto picks the format from the output's name: ".ome.zarr"
	// (or an existing OME-Zarr image) is FormatOMEZarr, ".zarr"
	// FormatZarr, anything else FormatTIFF.
	FormatAuto OutputFormat = iota
	// FormatTIFF writes an ImageJ TIFF stack.
	FormatTIFF
	// FormatZarr writes the labels as a plain Zarr array.
	FormatZarr
	// FormatOMEZarr writes an OME-NGFF image holding the input image and,
	// under labels/, its label image.
	FormatOMEZarr
)

func (f OutputFormat) String() string {
	switch f {
	case FormatTIFF:
		return "tiff"
	case FormatZarr:
		return "zarr"
	case FormatOMEZarr:
		return "ome-zarr"
	}
	return "auto"
}

// ParseOutputFormat parses "auto", "tiff", "zarr" or "ome-zarr".
func ParseOutputFormat(s string) (OutputFormat, error) {
	switch strings.ToLower(s) {
	case "", "auto":
		return FormatAuto, nil
	case "tiff", "tif":
		return FormatTIFF, nil
	case "zarr":
		return FormatZarr, nil
	case "ome-zarr", "omezarr", "ome.zarr":
		return FormatOMEZarr, nil
	}
	return 0, fmt.Errorf("unknown format %q (want tiff, zarr or ome-zarr)", s)
}

// FormatOf is the format a path's name implies: ".ome.zarr" or an
// existing OME-Zarr image FormatOMEZarr, ".zarr" or an existing Zarr
// array FormatZarr, anything else FormatTIFF.
func FormatOf(path string) OutputFormat {
	p := strings.ToLower(strings.TrimRight(path, `/\`))
	switch {
	case strings.HasSuffix(p, ".ome.zarr"), isImageGroup(path):
		return FormatOMEZarr
	case strings.HasSuffix(p, ".zarr"), isZarrDir(path):
		return FormatZarr
	}
	return FormatTIFF
}

// isImageGroup reports whether path is an existing OME-NGFF image group.
func isImageGroup(path string) bool {
	if !isZarrDir(path) {
		return false
	}
	_, err := zarr.OpenImage(path)
	return err == nil
}

// ZarrOutput are the settings of a Zarr or OME-Zarr labels output.
type ZarrOutput struct {
	// ZarrFormat is 2 (the default: NGFF 0.4) or 3 (NGFF 0.5).
	ZarrFormat int
	// Codec compresses the chunks of the labels, and of the image copy
	// unless ImageCodec is set; nil means DefaultLabelCodec for the labels,
	// and the zero Codec no compression.
	Codec *zarr.Codec
	// ImageCodec compresses the chunks of an OME-Zarr output's copy of
	// the input image. nil means Codec when that is set, else
	// DefaultImageCodec. (An uncompressed copy of a raw input was
	// measured slower on the benchmark stack: twice the bytes for the page
	// cache to write back.)
	ImageCodec *zarr.Codec
	// Chunks is the chunk shape along Z, Y and X; zero extents pick
	// DefaultZarrChunks' (1, 1024 and 1024).
	Chunks stack.Shape
	// LabelName names the label image under labels/; empty takes the
	// input's base name without its extensions ("cells" for cells.tif).
	LabelName string
}

// DefaultLabelCodec is the labels' codec when ZarrOutput.Codec is nil:
// Blosc LZ4 at level 1 without shuffle. Label planes are long runs of one
// value, which LZ4 finds in the interleaved bytes faster, and packs
// smaller, than in shuffled ones; level 1 encodes only those runs (see
// zarr.Codec), faster than a full LZ4 search for about 5 % more bytes.
var DefaultLabelCodec = zarr.Codec{Name: "blosc", CName: "lz4", Level: 1, Shuffle: zarr.NoShuffle}

// DefaultImageCodec is the image copy's codec when neither
// ZarrOutput.ImageCodec nor Codec is set: Blosc LZ4 at level 1 with byte
// shuffle, whose runs-only encoding of the shuffled bytes is faster than
// a full LZ4 search, for about 9 % more bytes on the benchmark stack.
var DefaultImageCodec = zarr.Codec{Name: "blosc", CName: "lz4", Level: 1, Shuffle: zarr.ByteShuffle}

// DefaultZarrChunks is the chunk shape of Zarr outputs: one plane of up to
// 1024×1024. Whole planes keep the files few and large enough that
// writing an OME-Zarr costs little more than a TIFF, and viewers load them
// as fast as smaller chunks. Chunks one plane deep let the engine's
// workers write the planes of one output independently, so that a local
// run and a run on the engine write the same files. Deeper chunks
// (ZarrOutput.Chunks.Z > 1) are encoded a plane at a time, as the planes
// come (zarr.PlaneWriter.WritePlaneNow).
var DefaultZarrChunks = stack.Shape{Z: 1, Y: 1024, X: 1024}

// LabelNameOf is the label image name a path gives: its base name without
// the extensions of TIFF and Zarr stores ("cells" for cells.ome.tif).
func LabelNameOf(path string) string {
	b := filepath.Base(strings.TrimRight(path, `/\`))
	lower := strings.ToLower(b)
	for _, ext := range []string{".ome.zarr", ".zarr", ".ome.tiff", ".ome.tif", ".tiff", ".tif", ".btf"} {
		if strings.HasSuffix(lower, ext) && len(b) > len(ext) {
			return b[:len(b)-len(ext)]
		}
	}
	if b == "" || b == "." || b == ".." || b == string(filepath.Separator) {
		return "labels"
	}
	return b
}

// labelSink is where the pipeline writes label planes, in plane order.
type labelSink interface {
	// mayWrite16 is whether the labels may be uint16, at their start or
	// for good.
	mayWrite16() bool
	// is16 is whether the labels are being written as uint16 now.
	is16() bool
	// write writes plane z; see tiffSink.write.
	write(ctx context.Context, z int, labels []uint32, labels16 []uint16, maxLabel uint32) error
	// upgrade abandons uint16 labels and starts again as uint32.
	upgrade() error
	dtype() string
	// finish completes the labels; where the format allows, they stay
	// invisible until publish, so that the outputs of a run can appear
	// one right after another.
	finish() error
	// publish makes the finished labels visible under their name.
	publish() error
	abort()
}

func (s *tiffSink) is16() bool { return s.opts.DType == stack.Uint16 }

// labelPlanes turns a plane handed to a sink into the slice of the type
// the sink writes: the narrowing and widening tiffSink.write does, for
// other sinks.
type labelPlanes struct {
	backend kernels.Backend
	want    LabelDType
	shape   stack.Shape
	buf16   []uint16
	buf32   []uint32
}

// as32 returns the plane as uint32 labels.
func (p *labelPlanes) as32(labels []uint32, labels16 []uint16) []uint32 {
	if labels != nil {
		return labels
	}
	if len(p.buf32) != len(labels16) {
		p.buf32 = make([]uint32, len(labels16))
	}
	for i, l := range labels16 {
		p.buf32[i] = uint32(l)
	}
	return p.buf32
}

// as16 returns the plane as uint16 labels, errNeedUint32 (or
// ErrLabelOverflow for LabelUint16) when maxLabel does not fit.
func (p *labelPlanes) as16(ctx context.Context, z int, labels []uint32, labels16 []uint16, maxLabel uint32) ([]uint16, error) {
	if maxLabel > 65535 {
		if p.want == LabelUint16 {
			return nil, fmt.Errorf("plane %d has label %d: %w", z, maxLabel, ErrLabelOverflow)
		}
		return nil, errNeedUint32
	}
	if labels16 != nil {
		return labels16, nil
	}
	if len(p.buf16) != len(labels) {
		p.buf16 = make([]uint16, len(labels))
	}
	plane := stack.Shape{Z: 1, Y: p.shape.Y, X: p.shape.X}
	if err := p.backend.Narrow16(ctx, &stack.Volume[uint16]{Shape: plane, Data: p.buf16}, &stack.Volume[uint32]{Shape: plane, Data: labels}); err != nil {
		return nil, fmt.Errorf("labels: plane %d: %w", z, err)
	}
	return p.buf16, nil
}

// zarrSink writes the labels as an OME-NGFF label image, under labels/ of
// an OME-Zarr image that it writes from the input at the same time (or
// that exists already), or as a plain Zarr array.
//
// A new store is written under a temporary name beside its final name and
// renamed into place by publish, complete. Labels added to an existing
// image are written under a temporary name in its labels/ group
// (zarr.CreateLabels); publish moves them into place in one step and then
// lists them in labels/'s metadata. A run killed at any moment thus
// leaves the output as it was or complete, plus temporaries that the next
// run removes. abort removes what the run wrote, never what was there.
type zarrSink struct {
	ctx    context.Context
	cancel context.CancelFunc
	root   string
	ome    bool
	o      zarr.ImageOptions
	// imageCodec compresses the image copy (see ZarrOutput.ImageCodec).
	imageCodec zarr.Codec
	name       string
	planes     labelPlanes
	// created is whether the run created root (abort removes it).
	created bool
	// inPlace is whether the labels are added to an existing image.
	inPlace bool
	// final is the store's name when root is a temporary directory beside
	// it (a new store, or one replacing a store that is not an image):
	// commit renames root to final, so that a run killed at any moment
	// leaves either no store or a complete one under final, and a
	// temporary that the next run in that folder removes.
	final string

	// lw writes an OME label image, aw and pw a plain array.
	lw *zarr.ImageWriter
	aw *zarr.Writer
	pw *zarr.PlaneWriter

	// The input image, copied beside the labels: by the pipeline's own
	// reads when tee can hand it them, else by goroutines of its own.
	iw      *zarr.ImageWriter
	src     Source
	raw     rawSource
	copying sync.WaitGroup
	copyErr error
	// copied marks the planes written to iw, when the pipeline's reads
	// feed it (tee).
	copied []atomic.Bool
	teeing bool
}

func newZarrSink(ctx context.Context, path string, ome bool, src Source, want LabelDType, meta *tiff.Metadata, zo ZarrOutput, input string, backend kernels.Backend) (*zarrSink, error) {
	shape := src.Shape()
	o, name, err := zarrImageOptions(shape, want, meta, zo, input)
	if err != nil {
		return nil, err
	}
	s := &zarrSink{root: path, ome: ome, o: o, name: name, imageCodec: imageCodecOf(zo, src),
		planes: labelPlanes{backend: backend, want: want, shape: shape}}
	s.ctx, s.cancel = context.WithCancel(ctx)
	inPlace := ome && isImageGroup(path)
	s.inPlace = inPlace
	if inPlace {
		if err := checkImageShape(path, shape); err != nil {
			return nil, err
		}
	} else {
		// Temporaries of runs killed before they committed.
		outfile.RemoveStale(filepath.Dir(path))
		s.final, s.root = path, outfile.TempName(path)
		// Nothing reads the temporary store: its chunks need no
		// temporaries and renames of their own.
		s.o.Staged = true
	}
	_, err = os.Stat(s.root)
	s.created = errors.Is(err, fs.ErrNotExist)
	if ome && !inPlace {
		if err := s.startImage(src); err != nil {
			s.abort()
			return nil, err
		}
	}
	if err := s.create(); err != nil {
		s.abort()
		return nil, err
	}
	return s, nil
}

// zarrImageOptions are the options of the label image (and, with the
// input's type, of the image) a Zarr output of shape has, and the label
// image's name.
func zarrImageOptions(shape stack.Shape, want LabelDType, meta *tiff.Metadata, zo ZarrOutput, input string) (zarr.ImageOptions, string, error) {
	o := zarr.ImageOptions{ZarrFormat: zo.ZarrFormat, Shape: shape, Chunks: withDefaultChunks(zo.Chunks), Codec: DefaultLabelCodec, DType: zarr.Uint16}
	if zo.Codec != nil {
		o.Codec = *zo.Codec
	}
	if o.ZarrFormat == 0 {
		o.ZarrFormat = 2
	}
	if o.ZarrFormat != 2 && o.ZarrFormat != 3 {
		return o, "", fmt.Errorf("zarr format %d: want 2 or 3", o.ZarrFormat)
	}
	if meta != nil {
		o.PixelSizeZ, o.PixelSizeY, o.PixelSizeX = meta.PixelSizeZ, meta.PixelSizeY, meta.PixelSizeX
		if u, err := zarr.NormalizeUnit(meta.Unit); err == nil {
			o.Unit = u
		}
	}
	if want == LabelUint32 {
		o.DType = zarr.Uint32
	}
	name := zo.LabelName
	if name == "" {
		name = LabelNameOf(input)
	}
	if name == "" {
		name = "labels"
	}
	return o, name, nil
}

// imageCodecOf is the image copy's codec: see ZarrOutput.ImageCodec.
func imageCodecOf(zo ZarrOutput, src Source) zarr.Codec {
	switch {
	case zo.ImageCodec != nil:
		return *zo.ImageCodec
	case zo.Codec != nil:
		return *zo.Codec
	}
	return DefaultImageCodec
}

// startImage creates the image group and starts copying the input into
// it.
func (s *zarrSink) startImage(src Source) error {
	o := s.o
	o.Name = s.name
	o.Codec = s.imageCodec
	raw, ok := src.(rawSource)
	o.DType = zarr.Float32
	if ok {
		o.DType = raw.rawDType()
	}
	iw, err := zarr.CreateImage(s.ctx, s.root, o)
	if err != nil {
		return err
	}
	s.iw, s.src, s.raw = iw, src, raw
	if ok && iw.WritesNow() && teeable(raw.rawDType()) {
		// The pipeline's reads will feed the copy: see tee.
		s.copied = make([]atomic.Bool, iw.Planes())
		return nil
	}
	s.copying.Add(1)
	go func() {
		defer s.copying.Done()
		s.copyErr = copyImage(s.ctx, iw, src, raw)
		if s.copyErr != nil {
			s.cancel()
		}
	}()
	return nil
}

// copyImage writes every plane of src to iw, as stored when raw is not
// nil, else as float32. Raw planes are encoded straight from the plane as
// read (ImageWriter.WritePlaneNow), so that the copy keeps no plane of its
// own; when iw writes each plane whole in that call, GOMAXPROCS goroutines
// share the planes and the copy runs beside the labelling on whatever
// cores it leaves idle, else one goroutine writes them in order.
func copyImage(ctx context.Context, iw *zarr.ImageWriter, src Source, raw rawSource) error {
	nz := src.Shape().Z
	if raw == nil {
		f32 := make([]float32, src.Shape().PlaneLen())
		for z := range nz {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := src.ReadPlane(ctx, z, f32); err != nil {
				return fmt.Errorf("copy the image: plane %d: %w", z, err)
			}
			if err := zarr.WriteImagePlane(ctx, iw, z, f32); err != nil {
				return fmt.Errorf("copy the image: plane %d: %w", z, err)
			}
		}
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next    atomic.Int64
		wg      sync.WaitGroup
		errOnce sync.Once
		first   error
	)
	workers := 1
	if iw.WritesNow() {
		workers = min(runtime.GOMAXPROCS(0), nz)
	}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte // for planes that cannot be read in place
			for {
				z := int(next.Add(1) - 1)
				if z >= nz || ctx.Err() != nil {
					return
				}
				if buf == nil {
					buf = make([]byte, iw.PlaneBytes())
				}
				if err := copyRawPlane(ctx, iw, raw, z, buf); err != nil {
					errOnce.Do(func() { first = fmt.Errorf("copy the image: plane %d: %w", z, err) })
					cancel()
					return
				}
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

// copyRawPlane writes plane z of raw, as stored, to iw; buf holds a plane
// for sources that cannot lend theirs.
func copyRawPlane(ctx context.Context, iw *zarr.ImageWriter, raw rawSource, z int, buf []byte) error {
	return raw.useRaw(ctx, z, buf, func(plane []byte) error { return iw.WritePlaneNow(ctx, z, plane) })
}

// teeable reports whether tee can convert planes of dt for the pipeline.
func teeable(dt zarr.DType) bool {
	switch dt {
	case zarr.Uint8, zarr.Uint16, zarr.Float32:
		return true
	}
	return false
}

// tee returns the Source the pipeline should read: src itself, or, when
// the sink copies the input image and can take its planes in any order,
// a Source that writes each plane to the image the first time the
// pipeline reads it, from the same view of the file (or the same decoded
// buffer), so that the input is read once for both. Planes the pipeline
// does not read are copied by finish.
func (s *zarrSink) tee(src Source) Source {
	if s.copied == nil || s.teeing {
		return src
	}
	s.teeing = true
	return &teeSource{Source: src, s: s}
}

// teeSource is the Source tee returns.
type teeSource struct {
	Source
	s    *zarrSink
	bufs sync.Pool // *[]byte planes, for sources that have no view
}

func (t *teeSource) ReadPlane(ctx context.Context, z int, dst []float32) error {
	s := t.s
	if z < 0 || z >= len(s.copied) || len(dst) != s.o.Shape.PlaneLen() || s.copied[z].Load() || !s.copied[z].CompareAndSwap(false, true) {
		return t.Source.ReadPlane(ctx, z, dst)
	}
	buf, _ := t.bufs.Get().(*[]byte)
	if buf == nil {
		b := make([]byte, s.iw.PlaneBytes())
		buf = &b
	}
	defer t.bufs.Put(buf)
	err := s.raw.useRaw(ctx, z, *buf, func(plane []byte) error {
		toFloat32(dst, plane, s.raw.rawDType())
		if err := s.iw.WritePlaneNow(ctx, z, plane); err != nil {
			return fmt.Errorf("copy the image: plane %d: %w", z, err)
		}
		return nil
	})
	if err != nil {
		s.copied[z].Store(false) // not written: finish must not count it
	}
	return err
}

// toFloat32 converts a plane of a teeable type, in the machine's byte
// order, to float32.
func toFloat32(dst []float32, plane []byte, dt zarr.DType) {
	switch dt {
	case zarr.Uint8:
		kernels.ToFloat32(dst, plane)
	case zarr.Uint16:
		kernels.ToFloat32(dst, unsafe.Slice((*uint16)(unsafe.Pointer(unsafe.SliceData(plane))), len(dst)))
	case zarr.Float32:
		copy(dst, unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(plane))), len(dst)))
	}
}

// copyRest writes the planes of the image the pipeline did not read
// through tee.
func (s *zarrSink) copyRest() error {
	for z := range s.copied {
		if s.copied[z].Load() {
			continue
		}
		if err := s.ctx.Err(); err != nil {
			return err
		}
		buf := make([]byte, s.iw.PlaneBytes())
		if err := copyRawPlane(s.ctx, s.iw, s.raw, z, buf); err != nil {
			return fmt.Errorf("copy the image: plane %d: %w", z, err)
		}
		s.copied[z].Store(true)
	}
	return nil
}

// create starts the labels of the current type.
func (s *zarrSink) create() error {
	if s.ome {
		lw, err := zarr.CreateLabels(s.ctx, s.root, s.name, s.o)
		if err != nil {
			return err
		}
		s.lw = lw
		return nil
	}
	sh := s.o.Shape
	cz, cy, cx := s.o.Chunks.Z, s.o.Chunks.Y, s.o.Chunks.X
	ao := zarr.ArrayOptions{ZarrFormat: s.o.ZarrFormat, Shape: []int{sh.Z, sh.Y, sh.X},
		Chunks: []int{min(cz, sh.Z), min(cy, sh.Y), min(cx, sh.X)}, DType: s.o.DType, Codec: s.o.Codec}
	if s.o.ZarrFormat == 3 {
		ao.DimensionNames = []string{"z", "y", "x"}
	} else {
		ao.Attributes = map[string]any{"_ARRAY_DIMENSIONS": []string{"z", "y", "x"}} // xarray's convention
	}
	w, err := zarr.Create(s.root, ao)
	if err != nil {
		return err
	}
	pw, err := zarr.NewPlaneWriter(s.ctx, w, 0)
	if err != nil {
		w.Abort()
		return err
	}
	s.aw, s.pw = w, pw
	return nil
}

func (s *zarrSink) mayWrite16() bool { return s.planes.want != LabelUint32 }
func (s *zarrSink) is16() bool       { return s.o.DType == zarr.Uint16 }
func (s *zarrSink) dtype() string    { return s.o.DType.String() }

func (s *zarrSink) write(ctx context.Context, z int, labels []uint32, labels16 []uint16, maxLabel uint32) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.ctx.Err(); err != nil {
		s.copying.Wait()
		if s.copyErr != nil {
			return s.copyErr
		}
		return err
	}
	var plane []byte
	if s.o.DType == zarr.Uint32 {
		plane = bytesOf(s.planes.as32(labels, labels16))
	} else {
		l16, err := s.planes.as16(ctx, z, labels, labels16, maxLabel)
		if err != nil {
			return err
		}
		plane = bytesOf(l16)
	}
	var err error
	switch {
	case s.lw != nil:
		// The pipeline knows the plane's largest label: no scan for it.
		err = s.lw.WriteLabelPlane(ctx, z, plane, uint64(maxLabel))
	case s.pw.EncodesByPlane():
		err = s.pw.WritePlaneNow(ctx, z, plane) // encoded now: no copy
	default:
		err = s.pw.WritePlane(ctx, z, plane)
	}
	if err != nil {
		return fmt.Errorf("labels: plane %d: %w", z, err)
	}
	return nil
}

// abortLabels removes the labels written so far.
func (s *zarrSink) abortLabels() {
	if s.lw != nil {
		s.lw.Abort()
		s.lw = nil
	}
	if s.pw != nil {
		s.pw.Close()
		s.aw.Abort()
		s.pw, s.aw = nil, nil
	}
}

func (s *zarrSink) upgrade() error {
	s.abortLabels()
	s.o.DType = zarr.Uint32
	s.planes.buf16 = nil
	return s.create()
}

// finish completes the store; only a new store's rename into place, or
// for labels added to an existing image their move into place and listing,
// is left for publish.
func (s *zarrSink) finish() error {
	s.copying.Wait()
	if s.copyErr != nil {
		return s.copyErr
	}
	if s.copied != nil && s.iw != nil {
		if err := s.copyRest(); err != nil {
			return err
		}
	}
	if s.lw != nil {
		if s.inPlace {
			return s.lw.Finish()
		}
		if err := s.lw.Close(); err != nil {
			return err
		}
		s.lw = nil
	}
	if s.pw != nil {
		if err := s.pw.Close(); err != nil {
			return err
		}
		err := s.aw.Commit()
		s.pw, s.aw = nil, nil
		if err != nil {
			return err
		}
	}
	if s.iw != nil {
		err := s.iw.Close()
		s.iw = nil
		if err != nil {
			return err
		}
	}
	return nil
}

// publish moves the finished output into place: a new store with one
// rename (over a store there, in one step where the system can, see
// outfile.ReplaceDir), labels added to an existing image with
// ImageWriter.Close.
func (s *zarrSink) publish() error {
	defer s.cancel()
	if s.inPlace {
		err := s.lw.Close()
		s.lw = nil
		return err
	}
	if err := outfile.ReplaceDir(s.root, s.final); err != nil {
		os.RemoveAll(s.root)
		return err
	}
	s.created = false // abort must not remove the published store
	return nil
}

func (s *zarrSink) abort() {
	s.cancel()
	s.copying.Wait()
	s.abortLabels()
	if s.iw != nil {
		s.iw.Abort()
	}
	// Labels added to an existing image were staged under a temporary
	// name, which lw.Abort removed.
	if s.created {
		os.RemoveAll(s.root)
	}
}

// checkImageShape refuses labels of a shape other than the image's they
// are added to.
func checkImageShape(path string, shape stack.Shape) error {
	im, err := zarr.OpenImage(path)
	if err != nil {
		return err
	}
	a, err := im.Open(0)
	if err != nil {
		return err
	}
	sh := a.Shape()
	got := stack.Shape{Z: 1, Y: sh[len(sh)-2], X: sh[len(sh)-1]}
	if zi := im.AxisIndex("z"); zi >= 0 {
		got.Z = sh[zi]
	}
	if got != shape {
		return fmt.Errorf("%s: the image is %v (Z×Y×X), the labels would be %v", path, got, shape)
	}
	return nil
}

// bytesOf views a slice of labels as bytes in the machine's order.
func bytesOf[T uint16 | uint32](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*int(unsafe.Sizeof(s[0])))
}

// withDefaultChunks fills the zero extents of c from DefaultZarrChunks.
func withDefaultChunks(c stack.Shape) stack.Shape {
	if c.Z <= 0 {
		c.Z = DefaultZarrChunks.Z
	}
	if c.Y <= 0 {
		c.Y = DefaultZarrChunks.Y
	}
	if c.X <= 0 {
		c.X = DefaultZarrChunks.X
	}
	return c
}
