package segment

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/kernels/offload"
	"github.com/segstack/segstack/kernels/offload/fakedev"
	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/synth"
)

// recordingBackend is a Backend of its own type (so no assertion to the CPU
// backend's type can succeed) that counts the calls of each method and
// hands them to the CPU.
type recordingBackend struct {
	kernels.Backend
	mu    sync.Mutex
	calls map[string]int
}

func newRecordingBackend() *recordingBackend {
	return &recordingBackend{Backend: kernels.CPU(), calls: map[string]int{}}
}

func (b *recordingBackend) count(name string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls[name]++
}

func (b *recordingBackend) Name() string { return "recording" }

func (b *recordingBackend) Gaussian(ctx context.Context, dst, src *stack.Volume[float32], opt kernels.GaussianOptions) (float32, error) {
	b.count("Gaussian")
	return b.Backend.Gaussian(ctx, dst, src, opt)
}

func (b *recordingBackend) LabelAbove(ctx context.Context, dst *stack.Volume[uint32], src *stack.Volume[float32], t float32, conn kernels.Connectivity) (int, error) {
	b.count("LabelAbove")
	return b.Backend.LabelAbove(ctx, dst, src, t, conn)
}

func (b *recordingBackend) LabelAbove16(ctx context.Context, dst *stack.Volume[uint16], src *stack.Volume[float32], t float32, conn kernels.Connectivity) (int, error) {
	b.count("LabelAbove16")
	return b.Backend.LabelAbove16(ctx, dst, src, t, conn)
}

func (b *recordingBackend) LabelAboveWithStats(ctx context.Context, dst *stack.Volume[uint32], src *stack.Volume[float32], t float32, conn kernels.Connectivity, intensity *stack.Volume[float32]) (int, []kernels.Region, error) {
	b.count("LabelAboveWithStats")
	return b.Backend.LabelAboveWithStats(ctx, dst, src, t, conn, intensity)
}

func (b *recordingBackend) LabelChunkAbove(ctx context.Context, grid stack.Grid, idx int, dst *stack.Volume[uint32], src *stack.Volume[float32], t float32, intensity *stack.Volume[float32], conn kernels.Connectivity) (*kernels.ChunkLabels, error) {
	b.count("LabelChunkAbove")
	return b.Backend.LabelChunkAbove(ctx, grid, idx, dst, src, t, intensity, conn)
}

func (b *recordingBackend) Narrow16(ctx context.Context, dst *stack.Volume[uint16], src *stack.Volume[uint32]) error {
	b.count("Narrow16")
	return b.Backend.Narrow16(ctx, dst, src)
}

func (b *recordingBackend) Min(ctx context.Context, src *stack.Volume[float32]) (float32, error) {
	b.count("Min")
	return b.Backend.Min(ctx, src)
}

func (b *recordingBackend) GaussianZ(opt kernels.GaussianOptions, shape stack.Shape, pool *stack.Pool[float32], read kernels.PlaneReader) (kernels.ZStream, error) {
	b.count("GaussianZ")
	return b.Backend.GaussianZ(opt, shape, pool, read)
}

// Every way through the pipeline runs on a Backend that is not the CPU
// backend, through its methods, with the CPU backend's results: uint16
// labels made directly or narrowed, labels with statistics, the 3-D
// streamed smoothing and labelling.
func TestPipelineRunsOnAnyBackend(t *testing.T) {
	t.Parallel()
	vol := synth.Nuclei(stack.Shape{Z: 7, Y: 60, X: 50}, 3)
	type variant struct {
		name  string
		setup func(*Options)
		uses  []string
	}
	variants := []variant{
		{"2d", func(o *Options) {}, []string{"Gaussian", "LabelAboveWithStats"}},
		{"2d/preview", func(o *Options) { o.Preview = "preview.png" }, []string{"Gaussian", "LabelAboveWithStats", "Narrow16"}},
		{"2d/per-plane", func(o *Options) { o.Numbering = NumberPerPlane }, []string{"Gaussian", "LabelAboveWithStats"}},
		{"3d", func(o *Options) { o.Mode = Mode3D; o.Connectivity = kernels.Conn26 }, []string{"GaussianZ", "Gaussian", "Min", "LabelChunkAbove", "LabelAbove"}},
		{"3d/otsu", func(o *Options) {
			o.Mode = Mode3D
			o.Threshold = kernels.ThresholdSpec{Kind: kernels.ThresholdOtsu}
			o.Chunks = stack.Shape{Z: 3}
		}, []string{"GaussianZ", "Gaussian", "Min", "LabelChunkAbove", "LabelAbove"}},
	}
	for _, v := range variants {
		base := DefaultOptions()
		base.Source = VolumeSource(vol)
		base.Workers = 2
		v.setup(&base)
		dir := t.TempDir()
		if base.Preview != "" {
			base.Preview = dir + "/" + base.Preview
		}
		base.Backend = kernels.CPU()
		want, wantDT, wantStats, wantRep := runFiles(t, base)
		require.Positive(t, wantRep.Objects, v.name)

		rec := newRecordingBackend()
		opt := base
		opt.Backend = rec
		opt.Force = true
		got, gotDT, gotStats, rep := runFiles(t, opt)
		require.Equal(t, wantDT, gotDT, v.name)
		require.Equal(t, want.Data, got.Data, v.name)
		require.Equal(t, string(wantStats), string(gotStats), v.name)
		require.Equal(t, wantRep.Counts, rep.Counts, v.name)
		require.Equal(t, "recording", rep.Backend, v.name)
		for _, m := range v.uses {
			require.Positive(t, rec.calls[m], "%s: %s not called (calls %v)", v.name, m, rec.calls)
		}

		// The same run on a device executor (a fake device; labelling
		// and the streamed Z pass on its fallback).
		exec, err := offload.New([]offload.Device{fakedev.New(fakedev.Config{})}, offload.Options{})
		require.NoError(t, err)
		opt.Backend = exec
		got, gotDT, gotStats, _ = runFiles(t, opt)
		require.NoError(t, exec.Close())
		require.Equal(t, wantDT, gotDT, v.name)
		require.Equal(t, want.Data, got.Data, v.name)
		require.Equal(t, string(wantStats), string(gotStats), v.name)
		require.Positive(t, exec.Stats().Tiles, "%s: no tile ran on the device", v.name)
	}
}

// Without statistics or a preview, 2-D planes that fit uint16 are labelled
// straight into uint16 by the backend.
func TestPipelineLabelsUint16OnBackend(t *testing.T) {
	t.Parallel()
	vol := synth.Nuclei(stack.Shape{Z: 3, Y: 40, X: 40}, 4)
	rec := newRecordingBackend()
	opt := DefaultOptions()
	opt.Source = VolumeSource(vol)
	opt.Backend = rec
	opt.Output = t.TempDir() + "/labels.tif"
	rep, err := Run(context.Background(), opt)
	require.NoError(t, err)
	require.Equal(t, "uint16", rep.LabelDType)
	require.Equal(t, vol.Shape.Z, rec.calls["LabelAbove16"], fmt.Sprint(rec.calls))
	require.Zero(t, rec.calls["LabelAbove"], fmt.Sprint(rec.calls))
}
