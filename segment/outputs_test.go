package segment

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/synth"
	"github.com/stretchr/testify/require"
)

func TestPreviewAndReport(t *testing.T) {
	t.Parallel()
	vol := synth.Nuclei(stack.Shape{Z: 7, Y: 100, X: 900}, 3)
	var first []byte
	for _, workers := range []int{1, 3} {
		dir := t.TempDir()
		opt := DefaultOptions()
		opt.Source = VolumeSource(vol)
		opt.Input = "synthetic"
		opt.Workers = workers
		opt.Output = filepath.Join(dir, "l.tif")
		opt.Preview = filepath.Join(dir, "p.png")
		opt.Report = filepath.Join(dir, "r.json")
		rep, err := Run(context.Background(), opt)
		require.NoError(t, err)
		b, err := os.ReadFile(opt.Preview)
		require.NoError(t, err)
		if first == nil {
			first = b
		} else {
			require.Equal(t, first, b, "the preview does not depend on the workers")
		}
		img, err := png.Decode(bytes.NewReader(b))
		require.NoError(t, err)
		// Four planes, 900 wide sampled every 3rd pixel: 4 × 300 + 3 gaps.
		require.Equal(t, 4*300+3*previewGap, img.Bounds().Dx())
		require.Equal(t, 34, img.Bounds().Dy())
		lab, _ := readLabels(t, opt.Output)
		coloured, grey := 0, 0
		for i, z := range previewPlanesOf(7) {
			x0 := i * (300 + previewGap)
			for y := range 34 {
				for x := range 300 {
					r, g, b, _ := img.At(x0+x, y).RGBA()
					if lab.At(z, 3*y, 3*x) != 0 {
						require.False(t, r == g && g == b, "an object pixel is coloured")
						coloured++
					} else {
						require.True(t, r == g && g == b, "background is grey")
						grey++
					}
				}
			}
		}
		require.Positive(t, coloured)
		require.Positive(t, grey)

		var got Report
		rb, err := os.ReadFile(opt.Report)
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(rb, &got))
		require.Equal(t, rep.Counts, got.Counts)
		require.Equal(t, workers, got.Workers)
		require.Equal(t, "uint16", got.LabelDType)
		require.Equal(t, int64(7*100*900*2), got.InputBytes)
		require.Positive(t, got.WallSeconds)
		require.Positive(t, got.PeakRSSBytes)
		require.Positive(t, got.Stages.Gaussian)
		require.Positive(t, got.Stages.Label)
		require.InDelta(t, float64(got.InputBytes)/1e6/got.WallSeconds, got.MBPerSecond, 1e-6*got.MBPerSecond)
	}
}

// failingSource fails at one plane with a given error.
type failingSource struct {
	Source
	at  int
	err error
}

func (f failingSource) ReadPlane(ctx context.Context, z int, dst []float32) error {
	if z == f.at {
		return f.err
	}
	return f.Source.ReadPlane(ctx, z, dst)
}

// Any failure mid-run removes every output, in both modes.
func TestFailureRemovesOutputs(t *testing.T) {
	t.Parallel()
	vol := synth.Nuclei(stack.Shape{Z: 12, Y: 40, X: 40}, 8)
	for _, mode := range []Mode{Mode2D, Mode3D} {
		for _, cause := range []error{fmt.Errorf("device gone: %w", syscall.EIO), fmt.Errorf("write: %w", syscall.ENOSPC)} {
			dir := t.TempDir()
			opt := DefaultOptions()
			opt.Source = failingSource{VolumeSource(vol), 9, cause}
			opt.Mode = mode
			opt.Chunks = stack.Shape{Z: 2}
			opt.Output = filepath.Join(dir, "l.tif")
			opt.Stats = filepath.Join(dir, "s.csv")
			opt.Preview = filepath.Join(dir, "p.png")
			opt.Report = filepath.Join(dir, "r.json")
			_, err := Run(context.Background(), opt)
			require.ErrorIs(t, err, cause)
			require.ErrorContains(t, err, "plane 9")
			if errors.Is(cause, syscall.ENOSPC) {
				require.ErrorContains(t, err, "disk full")
			}
			requireEmptyDir(t, dir)
		}
	}
}

// The scheduler's dashboard serves while the run lasts.
func TestDashboard(t *testing.T) {
	t.Parallel()
	opt := DefaultOptions()
	opt.Source = VolumeSource(synth.Nuclei(stack.Shape{Z: 4, Y: 64, X: 64}, 1))
	opt.Dashboard = "127.0.0.1:0"
	var addr string
	opt.OnDashboard = func(a string) { addr = a }
	status := 0
	opt.Progress = func(done, total int) {
		if done == 1 {
			resp, err := http.Get("http://" + addr + "/api/status")
			if err == nil {
				status = resp.StatusCode
				resp.Body.Close()
			}
		}
	}
	rep, err := Run(context.Background(), opt)
	require.NoError(t, err)
	require.NotEmpty(t, addr)
	require.Equal(t, addr, rep.Dashboard)
	require.Equal(t, http.StatusOK, status)
}
