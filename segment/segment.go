// Package segment is segstack's end-to-end pipeline: it reads a Z-stack
// plane by plane, smooths it with a Gaussian, thresholds it and labels its
// connected components, writing labels, per-object statistics, a preview and
// a run report, with memory bounded by the number of workers rather than the
// size of the stack.
//
// In 2-D mode each plane is one task on a sched.LocalCluster: read, convert
// to float32, Gaussian (the plane's maximum comes out of the same pass),
// threshold, label (with region statistics in the labelling pass when
// asked). At most two tasks per worker are in flight, and labels are written
// in plane order as tasks finish. In 3-D mode the stack is smoothed plane
// by plane, each worker streaming a run of planes through a window of the
// 2r+1 raw planes the Z pass needs, into a scratch file; the threshold is
// taken over the whole smoothed volume, slabs (one plane by default) are
// labelled independently and their objects merged across slab faces by
// kernels' chunk merge (kernels.LabelChunkAbove, kernels.ChunkMerger: the
// merge that kernels.MergeChunks makes), and a final pass labels each slab
// again and writes its labels renumbered in scipy.ndimage.label's order
// (kernels.RelabelChunk). Every computation runs on the Backend's methods
// or kernels functions, so any Backend runs the whole pipeline. Results never depend on the
// number of workers or on the chunk shape.
package segment

import (
	"errors"
	"time"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
)

// Options describe one segmentation run. Start from DefaultOptions, which
// is the reference workload (sigma 1, threshold 0.33 of the maximum,
// connectivity 4, 2-D), and set Input (or Source) and the outputs.
type Options struct {
	// Input is the TIFF stack or Zarr store to segment (see OpenSource). Source, when not nil, is used
	// instead (Input then only names it in the report).
	Input  string
	Source Source
	// Channel picks the channel of a multi-channel TIFF stack (0-based);
	// -1 means none was chosen, which is an error for such a stack.
	Channel int

	// Output is the labels TIFF, Zarr array or OME-Zarr image to write;
	// empty writes none. An existing OME-Zarr image (the input itself, for
	// one) gets the labels added under its labels/ group.
	Output string
	// Format is the container of Output; FormatAuto picks it from the
	// name (see FormatOf).
	Format OutputFormat
	// Zarr are the settings of a Zarr or OME-Zarr output.
	Zarr ZarrOutput
	// Stats, Preview and Report are the CSV, PNG and JSON files to write;
	// empty writes none.
	Stats, Preview, Report string
	// PixelSize, when set, is the physical size of a voxel, which adds
	// physical columns (area or volume, centroid) to Stats. Left zero, it
	// is the input's: a Source with a PixelSize() PixelSize method, or a
	// TIFF's calibration (ImageJ or OME metadata, or its resolution tags).
	PixelSize PixelSize
	// Force overwrites existing outputs; otherwise an existing output is an
	// error wrapping ErrExists.
	Force bool

	// Mode is per-plane (Mode2D) or volumetric (Mode3D).
	Mode Mode
	// Sigma is the Gaussian's standard deviation per axis, ordered Z, Y, X;
	// Mode2D ignores Z. A zero sigma leaves its axis unsmoothed.
	Sigma [3]float64
	// Threshold is where foreground starts: a voxel is foreground when its
	// smoothed value is strictly greater. A fraction of the maximum (and
	// Otsu) is taken of each plane in Mode2D, of the volume in Mode3D. The
	// zero value is 0.33 of the maximum.
	Threshold kernels.ThresholdSpec
	// Connectivity is 4 or 8 in Mode2D, 6, 18 or 26 in Mode3D; zero means
	// 4 or 6.
	Connectivity kernels.Connectivity
	// Numbering says how Mode2D numbers objects: unique across the stack
	// (NumberUnique, the zero value: each plane's labels offset past the
	// previous planes') or from 1 in every plane (NumberPerPlane). Mode3D
	// ignores it.
	Numbering Numbering
	// LabelDType is the labels' pixel type.
	LabelDType LabelDType
	// Chunks splits the work: in Mode3D, Chunks.Z is the thickness of the
	// slabs labelled as one; Chunks.Y and Chunks.X tile each plane for the
	// Gaussian. Zero extents mean whole planes and one-plane slabs.
	Chunks stack.Shape
	// Split, with Method SplitWatershed, splits touching objects after
	// thresholding (seeds, seeded watershed, size filter) before they are
	// numbered, measured and written; see SplitOptions.
	Split SplitOptions

	// Workers is the number of CPU workers; zero means GOMAXPROCS.
	Workers int
	// Device is "auto", "cpu" or "cuda[:N]" (kernels.Select); empty means
	// auto. Backend, when not nil, is used instead.
	Device  string
	Backend kernels.Backend
	// Dashboard, when not empty, serves the scheduler's live dashboard on
	// this address while the run lasts.
	Dashboard string

	// Progress, when not nil, is called from one goroutine after each plane
	// is written (or, in Mode3D, after each step of each pass), with the
	// work done and the total.
	Progress func(done, total int)
	// OnDashboard, when not nil, is told the address the dashboard
	// listens on once it serves (useful with port 0).
	OnDashboard func(addr string)
}

// DefaultOptions returns the reference workload's options: 2-D, sigma 1,
// threshold 0.33 of each plane's maximum, connectivity 4, automatic label
// type, every core, the best device, no channel chosen.
func DefaultOptions() Options {
	return Options{
		Channel:   -1,
		Sigma:     [3]float64{1, 1, 1},
		Threshold: kernels.ThresholdSpec{Kind: kernels.ThresholdFractionOfMax, Value: 0.33},
		Device:    "auto",
		Split:     SplitOptions{MinDistance: DefaultMinDistance, MinSize: DefaultMinSize},
	}
}

// ErrExists is wrapped by the error for an output that exists when
// Options.Force is false (set it to overwrite).
var ErrExists = errors.New("output exists")

// ErrLabelOverflow is wrapped by the error for a label that does not fit
// the requested LabelUint16 (LabelUint32 or LabelAuto hold it).
var ErrLabelOverflow = errors.New("label exceeds 65535")

// StageSeconds are the seconds spent in each stage, summed over tasks (so
// with several workers their sum exceeds the wall time).
type StageSeconds struct {
	Read      float64 `json:"read"`
	Gaussian  float64 `json:"gaussian"`
	Threshold float64 `json:"threshold"`
	Label     float64 `json:"label"`
	Merge     float64 `json:"merge,omitempty"`
	// Split is the splitting of touching objects (threshold mask, seeds,
	// watershed, size filter) when the run splits them; it takes the place
	// of Label.
	Split float64 `json:"split,omitempty"`
	Write float64 `json:"write"`
}

// Report describes a finished run; it is what --report writes as JSON.
type Report struct {
	// Input and Output are the paths of the stack and of the labels.
	Input  string `json:"input"`
	Output string `json:"output,omitempty"`
	// Shape is the segmented stack's extent (of the chosen channel).
	Shape      [3]int `json:"shape_zyx"`
	InputDType string `json:"input_dtype"`
	Channel    int    `json:"channel"`
	// Mode, Sigma, Threshold, Connectivity, Labels and Chunks are the
	// parameters as run (after defaults were applied). Labels is the
	// numbering, "unique" or "per-plane" (always "unique" in 3-D mode);
	// UniqueLabels is whether it is "unique".
	Mode         string     `json:"mode"`
	Sigma        [3]float64 `json:"sigma_zyx"`
	Threshold    string     `json:"threshold"`
	Connectivity int        `json:"connectivity"`
	Labels       string     `json:"labels"`
	UniqueLabels bool       `json:"unique_labels"`
	Chunks       [3]int     `json:"chunks_zyx"`
	// Split is the split of touching objects as run, when there was one.
	Split *SplitReport `json:"split,omitempty"`
	// LabelDType is the labels' pixel type as written.
	LabelDType string `json:"label_dtype"`
	// Workers is the number of CPU workers; Backend names the kernels'
	// code path (e.g. "cpu/avx512") and Device what was asked for.
	Workers    int    `json:"workers"`
	Backend    string `json:"backend"`
	Device     string `json:"device"`
	GOMAXPROCS int    `json:"gomaxprocs"`

	// Objects is the number of objects: summed over planes in Mode2D.
	Objects int64 `json:"objects"`
	// Counts is the number of objects in each plane (Mode2D) or, in Mode3D,
	// a single count for the volume.
	Counts []int `json:"counts"`
	// Thresholds is the threshold applied to each plane (Mode2D) or to the
	// volume (Mode3D).
	Thresholds []float32 `json:"thresholds"`

	// Stages are the seconds per stage, summed over tasks.
	Stages StageSeconds `json:"stage_seconds"`
	// WallSeconds runs from the start of Run until the labels and stats
	// are flushed, synced and in place (the report itself excluded).
	WallSeconds float64 `json:"wall_seconds"`
	// InputBytes is the size of the segmented samples (Z*Y*X*dtype size);
	// MBPerSecond is InputBytes/1e6 per second of wall time.
	InputBytes   int64   `json:"input_bytes"`
	MBPerSecond  float64 `json:"mb_per_second"`
	PlanesPerSec float64 `json:"planes_per_second"`
	// PeakRSSBytes is the process's peak resident memory (VmHWM) so far.
	PeakRSSBytes int64     `json:"peak_rss_bytes"`
	Started      time.Time `json:"started"`
	// Dashboard is the address the scheduler's dashboard served on.
	Dashboard string `json:"dashboard,omitempty"`
}

// SplitReport is the split of touching objects as run.
type SplitReport struct {
	Method      string `json:"method"`
	Seeds       string `json:"seeds"`
	MinDistance int    `json:"min_distance"`
	FillHoles   bool   `json:"fill_holes"`
	MinSize     int    `json:"min_size"`
	MaxSize     int    `json:"max_size,omitempty"`
	// Spacing is the voxel size (Z, Y, X) a 3-D split measured distances
	// in (the distance transform's sampling, the seeds' min distance in X
	// spacings), when the input declares one.
	Spacing []float64 `json:"spacing,omitempty"`
}
