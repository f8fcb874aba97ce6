package segment

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/sched"
	"github.com/segstack/segstack/sched/dashboard"
	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/tiff"
)

// run is the state of one Run shared by the 2-D and 3-D pipelines.
type run struct {
	opt     Options
	src     Source
	shape   stack.Shape
	backend kernels.Backend
	cluster *sched.LocalCluster
	workers int
	sink    labelSink
	stats   *statsWriter
	preview []previewTile
	rep     *Report
	// dash is the run's dashboard, nil without Options.Dashboard.
	dash *dashboard.Dashboard
	// stageSnap feeds the dashboard's stage gauges.
	stageSnap stageSnapshot
	// splits keeps the scratch of 2-D splits (Options.Split).
	splits *splitPool
	// splitSpacing is the voxel size a 3-D split measures distances in;
	// zero for isotropic voxels (2-D mode, or no Z spacing known).
	splitSpacing [3]float64
	// wantStats asks the tasks for statistics when another process
	// writes them (a distributed run's coordinator): stats is then nil.
	wantStats bool
}

// Run segments the stack that opt describes and writes the outputs it asks
// for. Outputs are written under temporary names and renamed into place only
// when the whole run succeeds: on an error or when ctx is cancelled, Run
// removes whatever it had written and returns the error.
func Run(ctx context.Context, opt Options) (rep Report, err error) {
	start := time.Now()
	r := &run{opt: opt, rep: &rep}
	rep.Started = start.UTC()
	if err := r.normalize(); err != nil {
		return rep, err
	}
	opt = r.opt
	if err := r.checkOutputs(); err != nil {
		return rep, err
	}

	src := opt.Source
	if src == nil {
		s, closeSrc, err := OpenSource(opt.Input, opt.Channel)
		if err != nil {
			return rep, err
		}
		defer closeSrc()
		src = s
	}
	r.src, r.shape = src, src.Shape()
	if err := r.shape.Validate(); err != nil {
		return rep, err
	}
	rep.Shape = r.shape.Dims()
	rep.InputDType = src.DType().String()
	rep.InputBytes = int64(r.shape.Len()) * int64(max(src.DType().Size(), 1))
	if opt.Mode == Mode3D && opt.Split.Method == SplitWatershed {
		r.splitSpacing = splitSpacingOf(pixelSizeOf(opt.PixelSize, src))
		if r.splitSpacing != ([3]float64{}) && rep.Split != nil {
			rep.Split.Spacing = r.splitSpacing[:]
		}
	}

	r.backend = opt.Backend
	if r.backend == nil {
		b, err := kernels.Select(r.opt.Device)
		if err != nil {
			return rep, err // Select's errors name the device
		}
		defer b.Close()
		r.backend = b
	}
	rep.Backend = r.backend.Name()

	cl, err := sched.NewLocalCluster(sched.Options{Workers: r.workers})
	if err != nil {
		return rep, fmt.Errorf("start workers: %w", err)
	}
	r.cluster = cl
	defer cl.Shutdown()
	if opt.Dashboard != "" {
		d, err := dashboard.Serve(cl, opt.Dashboard)
		if err != nil {
			return rep, fmt.Errorf("serve the dashboard: %w", err)
		}
		// Closed before the cluster, when the run returns: the page
		// lasts as long as the run.
		defer d.Close()
		r.dash = d
		rep.Dashboard = d.Addrs()[0]
		r.watchStages()
		if opt.OnDashboard != nil {
			opt.OnDashboard(rep.Dashboard)
		}
	}

	// Every output is created up front, so that a bad path fails before
	// any work, and aborted together on any failure.
	defer func() {
		if err != nil {
			r.abort()
			if errors.Is(err, syscall.ENOSPC) {
				err = fmt.Errorf("disk full; the partial outputs were removed: %w", err)
			}
		}
	}()
	if opt.Output != "" {
		if r.sink, err = r.newSink(ctx, src, metadataOf(src)); err != nil {
			return rep, err
		}
		if z, ok := r.sink.(*zarrSink); ok {
			// The image copied beside the labels is written as the
			// pipeline reads it.
			r.src = z.tee(r.src)
		}
	}
	if opt.Stats != "" {
		phys := physicalOf(pixelSizeOf(opt.PixelSize, src), opt.Mode == Mode3D)
		if r.stats, err = newStatsWriter(opt.Stats, opt.Mode == Mode3D, phys); err != nil {
			return rep, err
		}
	}

	if opt.Mode == Mode3D {
		err = r.run3D(ctx)
	} else {
		err = r.run2D(ctx)
	}
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return rep, err
	}

	// Every output is complete and on the disk before the first appears
	// under its name; then they are linked into place one right after
	// another, the labels last where their format allows (OME-Zarr and
	// Zarr: what a reader polling for the labels finds beside them is
	// then complete), first for TIFF, whose writer links the labels as it
	// finishes them. What a reader (or a SIGKILL) can catch between the
	// first link and the last is some of the outputs, each complete, for
	// the time of a few link(2) or rename(2) calls and directory syncs;
	// if a link fails, the outputs already in place are removed again, so
	// that a run that returns leaves all of its outputs or none.
	var pending []*atomicFile
	var committed []string
	defer func() {
		for _, f := range pending {
			f.Abort()
		}
		if err != nil {
			for _, p := range committed {
				os.Remove(p)
			}
		}
	}()
	if opt.Preview != "" {
		f, err := renderPreviewFile(opt.Preview, r.preview)
		if err != nil {
			return rep, err
		}
		pending = append(pending, f)
	}
	if r.stats != nil {
		pending = append(pending, r.stats.f)
	}
	for _, f := range pending {
		if err = f.sync(); err != nil {
			return rep, err
		}
	}
	if r.sink != nil {
		rep.LabelDType = r.sink.dtype()
		// Finishing flushes and syncs the labels: part of the run's time.
		if err = r.sink.finish(); err != nil {
			return rep, err
		}
		if _, tiffOut := r.sink.(*tiffSink); tiffOut {
			committed = append(committed, opt.Output)
		}
	}
	wall := time.Since(start).Seconds()
	rep.WallSeconds = wall
	if wall > 0 {
		rep.MBPerSecond = float64(rep.InputBytes) / 1e6 / wall
		rep.PlanesPerSec = float64(r.shape.Z) / wall
	}
	rep.PeakRSSBytes = peakRSS()
	if opt.Report != "" {
		f, err := reportFile(opt.Report, &rep)
		if err != nil {
			return rep, err
		}
		pending = append(pending, f)
		if err = f.sync(); err != nil {
			return rep, err
		}
	}
	for _, f := range pending {
		if err = f.Commit(); err != nil {
			return rep, err
		}
		committed = append(committed, f.path)
	}
	if r.sink != nil {
		if err = r.sink.publish(); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// splitSpacingOf is the voxel size a 3-D split uses: ps's Z, Y and X when
// all three are positive and finite (the unit does not matter, only their
// ratios do), else zero (isotropic voxels).
func splitSpacingOf(ps PixelSize) [3]float64 {
	sp := [3]float64{ps.Z, ps.Y, ps.X}
	for _, v := range sp {
		if !(v > 0) || math.IsInf(v, 0) {
			return [3]float64{}
		}
	}
	if sp[0] == sp[1] && sp[1] == sp[2] {
		// Isotropic: scikit-image's pixels exactly.
		return [3]float64{}
	}
	return sp
}

// metadataOf is the TIFF metadata of src, nil for a Source without.
func metadataOf(src Source) *tiff.Metadata {
	if m, ok := src.(interface{ Metadata() tiff.Metadata }); ok {
		md := m.Metadata()
		return &md
	}
	return nil
}

// pixelSizeOf is ps when it is set, else the pixel size src declares: a
// Source with a PixelSize method, or with a TIFF's Metadata.
func pixelSizeOf(ps PixelSize, src Source) PixelSize {
	if ps != (PixelSize{}) {
		return ps
	}
	switch s := src.(type) {
	case interface{ PixelSize() PixelSize }:
		return s.PixelSize()
	case interface{ Metadata() tiff.Metadata }:
		md := s.Metadata()
		return PixelSize{Z: md.PixelSizeZ, Y: md.PixelSizeY, X: md.PixelSizeX, Unit: md.Unit}
	}
	return PixelSize{}
}

// reportFile writes rep as indented JSON to a temporary file that becomes
// path on Commit.
func reportFile(path string, rep *Report) (*atomicFile, error) {
	return fillAtomic(path, func(w *bufio.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	})
}

// abort removes every output written so far.
func (r *run) abort() {
	if r.sink != nil {
		r.sink.abort()
	}
	if r.stats != nil {
		r.stats.f.Abort()
	}
}

func (r *run) normalize() error {
	o := &r.opt
	if o.Source == nil && o.Input == "" {
		return errors.New("no input stack given")
	}
	for _, s := range o.Sigma {
		if s < 0 || s != s || s > 1e4 {
			return fmt.Errorf("sigma %v: every value must be between 0 and 10000", o.Sigma)
		}
	}
	if o.Mode == Mode2D {
		o.Sigma[0] = 0
	}
	if o.Connectivity == 0 {
		o.Connectivity = defaultConn(o.Mode)
	}
	if err := checkConn(o.Connectivity, o.Mode); err != nil {
		return err
	}
	if o.Mode == Mode3D {
		// 3-D labels are unique across the volume already.
		o.Numbering = NumberUnique
	}
	if o.Numbering != NumberUnique && o.Numbering != NumberPerPlane {
		return fmt.Errorf("label numbering %d: want NumberUnique or NumberPerPlane", o.Numbering)
	}
	if err := o.Split.check(); err != nil {
		return err
	}
	if o.Device == "" {
		o.Device = "auto"
	}
	r.workers = o.Workers
	if r.workers <= 0 {
		r.workers = runtime.GOMAXPROCS(0)
	}
	r.splits = newSplitPool(2 * r.workers)
	rep := r.rep
	rep.Input = o.Input
	rep.Output = o.Output
	rep.Channel = o.Channel
	rep.Mode = o.Mode.String()
	rep.Sigma = o.Sigma
	rep.Threshold = o.Threshold.String()
	rep.Connectivity = int(o.Connectivity)
	rep.Labels = o.Numbering.String()
	rep.UniqueLabels = o.Numbering == NumberUnique
	rep.LabelDType = o.LabelDType.String()
	rep.Chunks = o.Chunks.Dims()
	if o.Split.Method == SplitWatershed {
		o.Split.MinDistance = o.Split.minDistance()
		rep.Split = &SplitReport{Method: o.Split.Method.String(), Seeds: o.Split.Seeds.String(), MinDistance: o.Split.MinDistance,
			FillHoles: o.Split.FillHoles, MinSize: o.Split.MinSize, MaxSize: o.Split.MaxSize}
	}
	rep.Workers = r.workers
	rep.Device = o.Device
	rep.GOMAXPROCS = runtime.GOMAXPROCS(0)
	return nil
}

// checkOutputs refuses outputs that exist (unless Force), that name the
// input, or that name each other.
func (r *run) checkOutputs() error {
	seen := map[string]string{}
	skipLabels := false
	if out := r.opt.Output; out != "" && (r.opt.Format == FormatAuto || r.opt.Format == FormatOMEZarr) && isImageGroup(out) {
		// Labels added to an existing image, the input itself maybe: only
		// the label image must be new.
		name := r.opt.Zarr.LabelName
		if name == "" {
			name = LabelNameOf(r.opt.Input)
		}
		lp := filepath.Join(out, "labels", name)
		if _, err := os.Stat(lp); err == nil && !r.opt.Force {
			return fmt.Errorf("%s: %w", lp, ErrExists)
		}
		skipLabels = true
	}
	if r.opt.Input != "" && r.opt.Source == nil {
		if abs, err := filepath.Abs(r.opt.Input); err == nil {
			seen[abs] = "input"
		}
	}
	for _, o := range []struct{ what, path string }{
		{"labels", r.opt.Output}, {"stats", r.opt.Stats}, {"preview", r.opt.Preview}, {"report", r.opt.Report},
	} {
		if o.path == "" || (o.what == "labels" && skipLabels) {
			continue
		}
		abs, err := filepath.Abs(o.path)
		if err != nil {
			return err
		}
		if other, ok := seen[abs]; ok {
			return fmt.Errorf("%s output %s is also the %s", o.what, o.path, other)
		}
		seen[abs] = o.what + " output"
		fi, err := os.Stat(o.path)
		switch {
		case err == nil && fi.IsDir() && !(o.what == "labels" && r.zarrOutput()):
			return fmt.Errorf("%s output %s is a directory", o.what, o.path)
		case err == nil && !r.opt.Force:
			return fmt.Errorf("%s: %w", o.path, ErrExists)
		}
		if dir := filepath.Dir(o.path); dir != "" {
			if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
				return fmt.Errorf("%s output %s: directory %s does not exist", o.what, o.path, dir)
			}
		}
	}
	return nil
}

// newSink creates the labels output in the format Options.Format names.
func (r *run) newSink(ctx context.Context, src Source, meta *tiff.Metadata) (labelSink, error) {
	o := r.opt
	f := o.Format
	if f == FormatAuto {
		f = FormatOf(o.Output)
	}
	switch f {
	case FormatZarr, FormatOMEZarr:
		s, err := newZarrSink(ctx, o.Output, f == FormatOMEZarr, src, o.LabelDType, meta, o.Zarr, o.Input, r.backend)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	s, err := newTIFFSink(o.Output, r.shape, o.LabelDType, meta, r.backend)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// zarrOutput is whether the labels output is a Zarr store.
func (r *run) zarrOutput() bool {
	f := r.opt.Format
	if f == FormatAuto {
		f = FormatOf(r.opt.Output)
	}
	return f == FormatZarr || f == FormatOMEZarr
}
