package engine

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/segment"
	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/zarr"
)

// Limits on messages: anything larger is refused before it is parsed.
const (
	maxTaskBytes = 4 << 10
	maxSpecBytes = 64 << 10
)

// The passes of a job, in order: 2-D jobs run phasePlane then phaseWrite,
// 3-D jobs phaseSmooth, phaseHistogram (Otsu thresholds only), phaseLabel
// (or, splitting touching objects, phaseSplit) and phaseRelabel.
const (
	phaseSplit     = "split"
	phasePlane     = "plane"
	phaseWrite     = "write"
	phaseSmooth    = "smooth"
	phaseHistogram = "histogram"
	phaseLabel     = "label"
	phaseRelabel   = "relabel"
	phaseCommit    = "commit"
)

// smoothRun is the number of planes of a 3-D smoothing task: each task
// reads the 2r planes around its run again, so runs are kept a few times
// longer than the kernel.
const smoothRun = 8

// Spec is a job as the coordinator publishes it: the options of the run
// (as segment.Options, in a form every worker reads back) and where its
// files are. Paths are absolute; workers refuse any outside their root.
type Spec struct {
	Version int    `json:"version"`
	ID      string `json:"id"`
	// Input is the stack to segment; Channel its channel (-1: none).
	Input   string `json:"input"`
	Channel int    `json:"channel"`
	// Output is the OME-Zarr image the job writes; Stage is where it is
	// written until the coordinator moves it into place. Stats is the CSV
	// of the objects, when asked for.
	Output string `json:"output"`
	Stage  string `json:"stage"`
	Stats  string `json:"stats,omitempty"`
	// Shape is the stack's extent, Z, Y, X.
	Shape [3]int `json:"shape"`

	Mode         string     `json:"mode"`
	Sigma        [3]float64 `json:"sigma"`
	Threshold    string     `json:"threshold"`
	Connectivity int        `json:"connectivity"`
	Labels       string     `json:"labels"`
	LabelDType   string     `json:"label_dtype"`
	Chunks       [3]int     `json:"chunks"`
	Split        *SplitSpec `json:"split,omitempty"`
	PixelSize    [3]float64 `json:"pixel_size,omitempty"`
	PixelUnit    string     `json:"pixel_unit,omitempty"`

	ZarrFormat int `json:"zarr_format"`
	// Codec and ImageCodec are segment.ZarrOutput's Codec and ImageCodec
	// as zarr.Codec.String writes them; empty leaves segment's defaults.
	Codec      string `json:"codec,omitempty"`
	ImageCodec string `json:"image_codec,omitempty"`
	ZarrChunks [3]int `json:"zarr_chunks"`
	LabelName  string `json:"label_name,omitempty"`
}

// SplitSpec is segment.SplitOptions in a Spec.
type SplitSpec struct {
	Seeds       string `json:"seeds"`
	MinDistance int    `json:"min_distance"`
	FillHoles   bool   `json:"fill_holes"`
	MinSize     int    `json:"min_size"`
	MaxSize     int    `json:"max_size"`
}

// State is where a job stands.
type State struct {
	Status  string    `json:"status"` // running, done or failed
	Phase   string    `json:"phase"`
	Error   string    `json:"error,omitempty"`
	Started time.Time `json:"started"`
	Updated time.Time `json:"updated"`
	// Planes, Objects and LabelDType describe the finished job.
	Objects    int64  `json:"objects,omitempty"`
	LabelDType string `json:"label_dtype,omitempty"`
}

// Task is one task message.
type Task struct {
	Job   string `json:"job"`
	Phase string `json:"phase"`
	Index int    `json:"index"`
	// Threshold is the volume's threshold (3-D label and relabel tasks).
	Threshold float32 `json:"thr,omitempty"`
	// Range is the smoothed volume's extremes, the range of the Otsu
	// histogram of 3-D histogram tasks.
	Range *[2]float32 `json:"range,omitempty"`
	// Offset is the plane's label offset (2-D write tasks); MaxLabel the
	// largest label of the stack (or, per-plane numbering, of any plane)
	// and DType the label type ("uint16" or "uint32") of write and
	// relabel tasks.
	Offset   uint64 `json:"offset,omitempty"`
	MaxLabel uint64 `json:"max,omitempty"`
	DType    string `json:"dtype,omitempty"`
	// N is the plane's object count from its plane task (2-D write
	// tasks), which the labels it writes must have.
	N int `json:"n,omitempty"`
	// Run tells the runs of a job apart (the start of the job, in
	// nanoseconds): a worker keeps a plane's labels from its plane task
	// for the write task of the same run only.
	Run int64 `json:"run,omitempty"`
}

// Result is what a task leaves in the bucket.
type Result struct {
	// N is the task's object count (planes: the plane's; label: the
	// slab's local labels); Threshold the plane's threshold.
	N         int     `json:"n"`
	Threshold float32 `json:"thr"`
	// Lo and Hi are the range of the input planes the task copied into
	// the image (Lo > Hi when none); in 3-D smoothing tasks SLo and SHi
	// are the smoothed planes' extremes.
	Lo  float64 `json:"lo"`
	Hi  float64 `json:"hi"`
	SLo float32 `json:"slo,omitempty"`
	SHi float32 `json:"shi,omitempty"`
	// Objects are the plane's statistics rows (labels from 1).
	Objects []segment.Object `json:"objects,omitempty"`
	// Counts are a slab's Otsu histogram (3-D histogram tasks).
	Counts []int64 `json:"counts,omitempty"`
}

var jobIDPattern = regexp.MustCompile(`^[0-9a-f]{16}$`)

// Keys of the bucket.
func specKey(id string) string  { return id + ".spec" }
func stateKey(id string) string { return id + ".state" }
func failKey(id string) string  { return id + ".fail" }
func resKey(id, phase string, i int) string {
	return fmt.Sprintf("%s.res.%s.%d", id, phase, i)
}

// BadMessageError says why a message was refused.
type BadMessageError struct{ Reason string }

func (e *BadMessageError) Error() string { return "bad job message: " + e.Reason }

func bad(format string, args ...any) error { return &BadMessageError{fmt.Sprintf(format, args...)} }

// decodeStrict parses b into v, refusing unknown fields and trailing data.
func decodeStrict(b []byte, limit int, v any) error {
	if len(b) > limit {
		return bad("%d bytes, more than the %d a message may have", len(b), limit)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return bad("%v", err)
	}
	if d.More() {
		return bad("data after the message")
	}
	return nil
}

// ParseTask reads and checks a task message (not yet against its job).
func ParseTask(b []byte) (Task, error) {
	var t Task
	if err := decodeStrict(b, maxTaskBytes, &t); err != nil {
		return t, err
	}
	if !jobIDPattern.MatchString(t.Job) {
		return t, bad("job id %q is not 16 hex digits", t.Job)
	}
	switch t.Phase {
	case phasePlane, phaseWrite, phaseSmooth, phaseHistogram, phaseLabel, phaseSplit, phaseRelabel:
	default:
		return t, bad("unknown phase %q", t.Phase)
	}
	if t.Index < 0 {
		return t, bad("task index %d is negative", t.Index)
	}
	if t.N < 0 || int64(t.N) > math.MaxUint32 {
		return t, bad("object count %d out of range", t.N)
	}
	if t.DType != "" && t.DType != "uint16" && t.DType != "uint32" {
		return t, bad("label type %q (want uint16 or uint32)", t.DType)
	}
	if t.MaxLabel > math.MaxUint32 || t.Offset > math.MaxUint32 {
		return t, bad("labels past uint32")
	}
	if t.Threshold != t.Threshold {
		return t, bad("threshold is NaN")
	}
	if r := t.Range; r != nil && !(r[0] <= r[1]) {
		return t, bad("histogram range %v is not a range", *r)
	}
	return t, nil
}

// checkTask checks t against its job's spec.
func (s *Spec) checkTask(t Task) error {
	threeD := s.Mode == "3d"
	switch {
	case threeD != (t.Phase == phaseSmooth || t.Phase == phaseHistogram || t.Phase == phaseLabel || t.Phase == phaseSplit || t.Phase == phaseRelabel):
		return bad("phase %q does not belong to a %s job", t.Phase, s.Mode)
	case t.Phase == phaseSplit && s.Split == nil, threeD && t.Phase == phaseLabel && s.Split != nil:
		return bad("phase %q does not belong to a 3d job that splits touching objects or not as this one", t.Phase)
	case t.Phase == phaseHistogram && (t.Range == nil || s.Threshold != "otsu"):
		return bad("a histogram task needs a range and an Otsu threshold")
	case t.Index >= s.tasks(t.Phase):
		return bad("task %d of phase %q: the job has %d", t.Index, t.Phase, s.tasks(t.Phase))
	case (t.Phase == phaseWrite || t.Phase == phaseRelabel) && t.DType == "":
		return bad("phase %q needs a label type", t.Phase)
	case t.DType == "uint16" && t.MaxLabel > 65535:
		return bad("label %d does not fit uint16", t.MaxLabel)
	}
	return nil
}

// tasks is the number of tasks of a phase.
func (s *Spec) tasks(phase string) int {
	z := s.Shape[0]
	switch phase {
	case phasePlane, phaseWrite:
		return z
	case phaseSmooth:
		return (z + smoothRun - 1) / smoothRun
	case phaseSplit:
		return 1
	case phaseHistogram, phaseLabel, phaseRelabel:
		slab := s.Chunks[0]
		if slab <= 0 {
			slab = 1
		}
		return (z + slab - 1) / slab
	}
	return 0
}

// specOf turns a run's options into a Spec; shape is the input's.
func specOf(opt segment.Options, shape stack.Shape) (*Spec, error) {
	abs := func(p string) (string, error) {
		if p == "" {
			return "", nil
		}
		return filepath.Abs(p)
	}
	s := &Spec{Version: 1, Channel: opt.Channel, Mode: opt.Mode.String(), Sigma: opt.Sigma,
		Threshold: opt.Threshold.String(), Connectivity: int(opt.Connectivity), Labels: opt.Numbering.String(),
		LabelDType: opt.LabelDType.String(), Chunks: opt.Chunks.Dims(), Shape: shape.Dims(),
		PixelSize: [3]float64{opt.PixelSize.Z, opt.PixelSize.Y, opt.PixelSize.X}, PixelUnit: opt.PixelSize.Unit,
		ZarrFormat: opt.Zarr.ZarrFormat, ZarrChunks: opt.Zarr.Chunks.Dims(), LabelName: opt.Zarr.LabelName}
	if s.Connectivity == 0 {
		c, _ := segment.ParseConnectivity("", opt.Mode)
		s.Connectivity = int(c)
	}
	if opt.Mode == segment.Mode2D {
		s.Sigma[0] = 0 // unused in 2d, as Run has it
	}
	var err error
	if s.Input, err = abs(opt.Input); err != nil {
		return nil, err
	}
	if s.Output, err = abs(opt.Output); err != nil {
		return nil, err
	}
	if s.Stats, err = abs(opt.Stats); err != nil {
		return nil, err
	}
	if s.ZarrFormat == 0 {
		s.ZarrFormat = 2
	}
	if opt.Zarr.Codec != nil {
		s.Codec = opt.Zarr.Codec.String()
	}
	if opt.Zarr.ImageCodec != nil {
		s.ImageCodec = opt.Zarr.ImageCodec.String()
	}
	if opt.Split.Method == segment.SplitWatershed {
		sp := opt.Split
		s.Split = &SplitSpec{Seeds: sp.Seeds.String(), MinDistance: sp.MinDistance, FillHoles: sp.FillHoles, MinSize: sp.MinSize, MaxSize: sp.MaxSize}
	}
	if _, err := s.Options(); err != nil {
		return nil, err
	}
	b, _ := json.Marshal(s)
	sum := sha256.Sum256(b)
	s.ID = hex.EncodeToString(sum[:8])
	s.Stage = filepath.Join(filepath.Dir(s.Output), "."+filepath.Base(s.Output)+".segstack-job-"+s.ID)
	return s, nil
}

// Options turns the spec back into segment.Options, checking every field.
func (s *Spec) Options() (segment.Options, error) {
	o := segment.DefaultOptions()
	var err error
	if s.Version != 1 {
		return o, bad("spec version %d (want 1)", s.Version)
	}
	if o.Mode, err = segment.ParseMode(s.Mode); err != nil {
		return o, bad("%v", err)
	}
	o.Sigma = s.Sigma
	if o.Threshold, err = kernels.ParseThreshold(s.Threshold); err != nil {
		return o, bad("%v", err)
	}
	if o.Connectivity, err = segment.ParseConnectivity(fmt.Sprint(s.Connectivity), o.Mode); err != nil {
		return o, bad("%v", err)
	}
	if o.Numbering, err = segment.ParseNumbering(s.Labels); err != nil {
		return o, bad("%v", err)
	}
	if o.LabelDType, err = segment.ParseLabelDType(s.LabelDType); err != nil {
		return o, bad("%v", err)
	}
	for _, v := range s.Chunks {
		if v < 0 || v > 1<<20 {
			return o, bad("chunks %v out of range", s.Chunks)
		}
	}
	o.Chunks = stack.Shape{Z: s.Chunks[0], Y: s.Chunks[1], X: s.Chunks[2]}
	if s.Split != nil {
		o.Split.Method = segment.SplitWatershed
		if o.Split.Seeds, err = segment.ParseSeeds(s.Split.Seeds); err != nil {
			return o, bad("%v", err)
		}
		o.Split.MinDistance, o.Split.FillHoles = s.Split.MinDistance, s.Split.FillHoles
		o.Split.MinSize, o.Split.MaxSize = s.Split.MinSize, s.Split.MaxSize
	}
	o.PixelSize = segment.PixelSize{Z: s.PixelSize[0], Y: s.PixelSize[1], X: s.PixelSize[2], Unit: s.PixelUnit}
	o.Zarr.ZarrFormat = s.ZarrFormat
	codec := func(name string) (*zarr.Codec, error) {
		if name == "" {
			return nil, nil
		}
		c, err := zarr.ParseCodec(name)
		if err != nil {
			return nil, bad("%v", err)
		}
		return &c, nil
	}
	if o.Zarr.Codec, err = codec(s.Codec); err != nil {
		return o, err
	}
	if o.Zarr.ImageCodec, err = codec(s.ImageCodec); err != nil {
		return o, err
	}
	o.Zarr.Chunks = stack.Shape{Z: s.ZarrChunks[0], Y: s.ZarrChunks[1], X: s.ZarrChunks[2]}
	if o.Zarr.Chunks.Z > 1 {
		return o, bad("zarr chunks %v: the engine writes chunks one plane deep", s.ZarrChunks)
	}
	o.Zarr.LabelName = s.LabelName
	if s.Input == "" || s.Output == "" {
		return o, bad("no input or no output")
	}
	o.Input, o.Output, o.Stats, o.Channel = s.Input, s.Output, s.Stats, s.Channel
	o.Format = segment.FormatOMEZarr
	o.Device = "cpu"
	for _, v := range s.Shape {
		if v <= 0 || v > 1<<24 {
			return o, bad("shape %v out of range", s.Shape)
		}
	}
	return o, nil
}

// checkPaths refuses a spec whose files are not under root (absolute,
// cleaned, no symbolic-link escape is checked by the caller's root).
func (s *Spec) checkPaths(root string) error {
	root = filepath.Clean(root)
	for _, p := range []struct{ what, path string }{{"input", s.Input}, {"output", s.Output}, {"stage", s.Stage}, {"stats", s.Stats}} {
		if p.path == "" && p.what == "stats" {
			continue
		}
		if !filepath.IsAbs(p.path) {
			return bad("%s path %q is not absolute", p.what, p.path)
		}
		if filepath.Clean(p.path) != p.path || strings.Contains(p.path, "\x00") {
			return bad("%s path %q is not clean", p.what, p.path)
		}
		// The path as written, and as the file system resolves its
		// symbolic links, must both stay under root.
		for _, q := range []string{p.path, resolved(p.path)} {
			rel, err := filepath.Rel(root, q)
			if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				return fmt.Errorf("%w: %s path %s is outside the worker's root %s", ErrOutsideRoot, p.what, p.path, root)
			}
		}
	}
	if want := filepath.Join(filepath.Dir(s.Output), "."+filepath.Base(s.Output)+".segstack-job-"+s.ID); s.Stage != want {
		return bad("stage %q is not the output's (%s)", s.Stage, want)
	}
	return nil
}

// resolved is path with the symbolic links of its longest existing prefix
// resolved.
func resolved(path string) string {
	rest := ""
	for p := path; ; p = filepath.Dir(p) {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Join(r, rest)
		}
		if filepath.Dir(p) == p {
			return path
		}
		rest = filepath.Join(filepath.Base(p), rest)
	}
}

// ErrOutsideRoot is wrapped by the error for a job that names a path
// outside a worker's root.
var ErrOutsideRoot = errors.New("path outside the root")

// scratch is the job's directory of scratch files inside its stage.
func (s *Spec) scratch() string { return filepath.Join(s.Stage, ".scratch") }

func (s *Spec) smoothedPath() string { return filepath.Join(s.scratch(), "smoothed.f32") }
func (s *Spec) chunkPath(k int) string {
	return filepath.Join(s.scratch(), fmt.Sprintf("slab-%d.gob", k))
}
func (s *Spec) relabelPath() string { return filepath.Join(s.scratch(), "relabel.gob") }

// splitLabelsPath holds a 3-D split's labels, uint32 planes in order in
// the machine's byte order; splitObjectsPath its statistics rows.
func (s *Spec) splitLabelsPath() string  { return filepath.Join(s.scratch(), "split.u32") }
func (s *Spec) splitObjectsPath() string { return filepath.Join(s.scratch(), "split-objects.gob") }
