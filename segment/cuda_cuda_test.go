//go:build cuda

package segment

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/kernels"
	_ "github.com/segstack/segstack/kernels/cuda" // the "cuda" family
	"github.com/segstack/segstack/kernels/cuda/emutest"
	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/synth"
)

// With the cuda tag the package's tests run against the emulated CUDA
// driver (two devices), so --device auto picks the GPU; see emutest.
func TestMain(m *testing.M) { os.Exit(emutest.Main(m, 2)) }

// The pipeline on --device cuda (one GPU and both) gives the CPU's labels,
// statistics and counts bit for bit, per plane and in 3-D.
func TestPipelineOnCUDA(t *testing.T) {
	vol := synth.Nuclei(stack.Shape{Z: 4, Y: 48, X: 40}, 3)
	type variant struct {
		name  string
		setup func(*Options)
	}
	for _, v := range []variant{
		{"2d", func(o *Options) {}},
		{"2d/per-plane", func(o *Options) { o.Numbering = NumberPerPlane }},
		{"3d", func(o *Options) { o.Mode = Mode3D; o.Connectivity = kernels.Conn26 }},
		{"3d/6", func(o *Options) { o.Mode = Mode3D; o.Connectivity = kernels.Conn6 }},
	} {
		base := DefaultOptions()
		base.Source = VolumeSource(vol)
		base.Workers = 2
		v.setup(&base)
		base.Device = "cpu"
		want, wantDT, wantStats, wantRep := runFiles(t, base)
		require.Positive(t, wantRep.Objects, v.name)
		for _, dev := range []string{"cuda", "cuda:0,1"} {
			opt := base
			opt.Device = dev
			opt.Force = true
			got, gotDT, gotStats, rep := runFiles(t, opt)
			require.Equal(t, wantDT, gotDT, v.name)
			require.Equal(t, want.Data, got.Data, "%s on %s", v.name, dev)
			require.Equal(t, string(wantStats), string(gotStats), "%s on %s", v.name, dev)
			require.Equal(t, wantRep.Counts, rep.Counts, v.name)
			require.True(t, strings.HasPrefix(rep.Backend, "cuda:0"), "%s ran on %s", v.name, rep.Backend)
		}
	}
}
