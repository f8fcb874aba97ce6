package segment

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/synth"
	"github.com/segstack/segstack/stack/tiff"
)

// splitFixture is one run of bench/anchors/split_reference.py on
// testdata/split/input.tif (see make_split_fixtures.sh).
type splitFixture struct {
	name  string
	mode  Mode
	conn  kernels.Connectivity
	split SplitOptions
	stats bool
}

// The split pipeline gives the labels (and regionprops_table rows) of the
// scipy + scikit-image reference script, voxel for voxel.
func TestSplitMatchesReference(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	in := filepath.Join("testdata", "split", "input.tif")
	raw, err := tiff.ReadFile[uint16](ctx, in)
	require.NoError(t, err)
	// The fixtures were made from synth's stack: it must not drift.
	want, err := synth.NucleiDense(stack.Shape{Z: 3, Y: 128, X: 128}, 11, 0.45)
	require.NoError(t, err)
	require.Equal(t, want.Data, raw.Data, "synth.NucleiDense no longer makes testdata/split/input.tif")

	for _, f := range []splitFixture{
		{name: "2d_intensity", mode: Mode2D, conn: kernels.Conn4, stats: true,
			split: SplitOptions{Method: SplitWatershed, MinSize: DefaultMinSize}},
		{name: "2d_distance", mode: Mode2D, conn: kernels.Conn8,
			split: SplitOptions{Method: SplitWatershed, Seeds: SeedsDistance, FillHoles: true, MinDistance: 2, MinSize: 30, MaxSize: 600}},
		{name: "3d_intensity", mode: Mode3D, conn: kernels.Conn26, stats: true,
			split: SplitOptions{Method: SplitWatershed, MinDistance: 4, MinSize: DefaultMinSize}},
	} {
		t.Run(f.name, func(t *testing.T) {
			dir := t.TempDir()
			opt := DefaultOptions()
			opt.Input = in
			opt.Output = filepath.Join(dir, "labels.tif")
			if f.stats {
				opt.Stats = filepath.Join(dir, "objects.csv")
			}
			opt.Mode, opt.Connectivity, opt.Split = f.mode, f.conn, f.split
			rep, err := Run(ctx, opt)
			require.NoError(t, err)
			got, _ := readLabels(t, opt.Output)
			ref, _ := readLabels(t, filepath.Join("testdata", "split", f.name+".tif"))
			require.Equal(t, ref.Shape, got.Shape)
			var top uint32
			for i, l := range ref.Data {
				top = max(top, l)
				if got.Data[i] != l {
					z, rem := i/ref.Shape.PlaneLen(), i%ref.Shape.PlaneLen()
					t.Fatalf("label at (%d,%d,%d) is %d, the reference says %d", z, rem/ref.Shape.X, rem%ref.Shape.X, got.Data[i], l)
				}
			}
			require.EqualValues(t, top, rep.Objects)
			require.NotNil(t, rep.Split)
			require.Equal(t, "watershed", rep.Split.Method)
			if f.stats {
				requireStatsMatch(t, f.name, readCSV(t, filepath.Join("testdata", "split", f.name+".csv")), readCSV(t, opt.Stats))
			}
		})
	}
}

// On a dense stack the split finds the true number of nuclei within 5%,
// where labelling the mask undercounts them by more than that.
func TestSplitRecoversTrueCount(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("SKIP: -short: a 6 x 512 x 512 stack")
	}
	// Seed 21: not a stack the defaults were chosen on (seed 2).
	s := stack.Shape{Z: 6, Y: 512, X: 512}
	const seed, density = 21, 0.45
	vol, err := synth.NucleiDense(s, seed, density)
	require.NoError(t, err)
	run := func(split SplitOptions) Report {
		opt := DefaultOptions()
		opt.Source = VolumeSource(vol)
		opt.Input = "dense"
		opt.Split = split
		rep, err := Run(context.Background(), opt)
		require.NoError(t, err)
		return rep
	}
	plain := run(SplitOptions{})
	split := run(SplitOptions{Method: SplitWatershed, MinSize: DefaultMinSize})
	var thr float64
	for _, x := range split.Thresholds {
		thr += float64(x)
	}
	// The nuclei a threshold can see: the sections of the ground truth
	// brighter than the mean threshold, of at least MinSize pixels.
	truth, err := synth.Truth(s, seed, density, thr/float64(s.Z)-synth.Background)
	require.NoError(t, err)
	perPlane, _ := synth.CountObjects(truth, DefaultMinSize)
	want := 0
	for _, n := range perPlane {
		want += n
	}
	require.Greater(t, want, 1000)
	ratio := float64(split.Objects) / float64(want)
	t.Logf("true %d, split %d (%.3f), plain labelling %d (%.3f)", want, split.Objects, ratio, plain.Objects, float64(plain.Objects)/float64(want))
	require.InDelta(t, 1, ratio, 0.05, "split: %d objects for %d true", split.Objects, want)
	require.Less(t, float64(plain.Objects), 0.9*float64(want), "plain labelling should merge touching nuclei")
}

// The split's results do not depend on the number of workers, in 2d
// (planes on different workers, uint16 and unique numbering) or 3d.
func TestSplitWorkersDeterministic(t *testing.T) {
	t.Parallel()
	vol, err := synth.NucleiDense(stack.Shape{Z: 5, Y: 96, X: 80}, 4, 0.4)
	require.NoError(t, err)
	for _, mode := range []Mode{Mode2D, Mode3D} {
		var first *stack.Volume[uint32]
		var firstStats []byte
		for _, w := range []int{1, 3} {
			opt := DefaultOptions()
			opt.Source = VolumeSource(vol)
			opt.Input = "dense"
			opt.Mode = mode
			opt.Workers = w
			opt.Split = SplitOptions{Method: SplitWatershed, Seeds: SeedsDistance, MinSize: 10}
			lab, _, st, rep := runFiles(t, opt)
			require.Positive(t, rep.Objects)
			if first == nil {
				first, firstStats = lab, st
				continue
			}
			require.Equal(t, first.Data, lab.Data, "%v, %d workers", mode, w)
			require.Equal(t, firstStats, st)
		}
	}
}

func TestSplitOptionErrors(t *testing.T) {
	t.Parallel()
	vol := synth.Nuclei(stack.Shape{Z: 1, Y: 32, X: 32}, 1)
	for _, c := range []struct {
		split SplitOptions
		field string
	}{
		{SplitOptions{Method: 7}, "method"},
		{SplitOptions{Method: SplitWatershed, Seeds: 5}, "seeds"},
		{SplitOptions{Method: SplitWatershed, MinDistance: -1}, "min distance"},
		{SplitOptions{Method: SplitWatershed, MinSize: -2}, "min size"},
		{SplitOptions{Method: SplitWatershed, MaxSize: -2}, "max size"},
		{SplitOptions{Method: SplitWatershed, MinSize: 50, MaxSize: 10}, "max size"},
	} {
		opt := DefaultOptions()
		opt.Source = VolumeSource(vol)
		opt.Input = "x"
		opt.Split = c.split
		_, err := Run(context.Background(), opt)
		var se *SplitError
		require.True(t, errors.As(err, &se), "%+v: %v", c.split, err)
		require.Equal(t, c.field, se.Field)
	}
	for _, s := range []string{"", "none", "watershed", "Watershed"} {
		_, err := ParseSplit(s)
		require.NoError(t, err, s)
	}
	_, err := ParseSplit("random-walker")
	require.Error(t, err)
	sd, err := ParseSeeds("distance")
	require.NoError(t, err)
	require.Equal(t, SeedsDistance, sd)
	require.Equal(t, "distance", sd.String())
	_, err = ParseSeeds("edges")
	require.Error(t, err)
}

// BenchmarkSplit times the split of one dense plane (threshold mask, seeds,
// watershed, size filter) after its Gaussian, on one core's worth of
// kernels calls.
func BenchmarkSplit(b *testing.B) {
	ctx := context.Background()
	for _, seeds := range []Seeds{SeedsIntensity, SeedsDistance} {
		ps := stack.Shape{Z: 1, Y: 1024, X: 1024}
		vol, err := synth.NucleiDense(stack.Shape{Z: 8, Y: 1024, X: 1024}, 1, 0.3)
		require.NoError(b, err)
		raw := stack.Convert[float32](&stack.Volume[uint16]{Shape: ps, Data: vol.Plane(4)})
		be, err := kernels.Select("cpu")
		require.NoError(b, err)
		sm := stack.New[float32](ps)
		m, err := be.Gaussian(ctx, sm, raw, kernels.GaussianOptions{Sigma: [3]float64{0, 1, 1}})
		require.NoError(b, err)
		sc, dst := newSplitScratch(ps), stack.New[uint32](ps)
		opt := SplitOptions{Method: SplitWatershed, Seeds: seeds, MinSize: DefaultMinSize}
		b.Run("2d/"+seeds.String()+"/1024x1024", func(b *testing.B) {
			b.SetBytes(int64(ps.Len() * 4))
			c0 := processCPU()
			for b.Loop() {
				if _, err := splitObjects(ctx, be, opt, kernels.Conn4, dst, sm, 0.33*m, [3]float64{}, 1, sc); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(ps.Len())/1e6*float64(b.N)/b.Elapsed().Seconds(), "Mpix/s")
			b.ReportMetric((processCPU()-c0)*1e3/float64(b.N), "cpu-ms/op")
		})
	}
}
