package offload_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/kernels/offload"
	"github.com/segstack/segstack/kernels/offload/fakedev"
	"github.com/segstack/segstack/stack"
)

// TestSelectOpensExecutor registers a device family the way a GPU package
// does — Open wraps the requested devices in an Executor — and drives it
// through kernels.Select.
func TestSelectOpensExecutor(t *testing.T) {
	const kind = "fakegpu"
	cfg := func(i int) fakedev.Config {
		return fakedev.Config{Name: fmt.Sprintf("%s:%d", kind, i), Memory: 128 << 10}
	}
	require.NoError(t, kernels.RegisterDriver(kernels.Driver{
		Kind: kind,
		List: func() ([]kernels.DeviceInfo, error) {
			return []kernels.DeviceInfo{fakedev.New(cfg(0)).Info(), fakedev.New(cfg(1)).Info()}, nil
		},
		Open: func(idx []int) (kernels.Backend, error) {
			var devs []offload.Device
			for _, i := range idx {
				devs = append(devs, fakedev.New(cfg(i)))
			}
			return offload.New(devs, offload.Options{})
		},
	}))
	b, err := kernels.Select(kind + ":1,0")
	require.NoError(t, err)
	defer func() { require.NoError(t, b.Close()) }()
	require.Equal(t, "fakegpu:1+fakegpu:0", b.Name())

	src := randVolume(30, stack.Shape{Z: 3, Y: 70, X: 90})
	opt := kernels.GaussianOptions{Sigma: [3]float64{1, 1, 1}, Mode: stack.Constant, Cval: -3}
	want, wantMax := cpuGaussian(t, src, opt)
	got := stack.New[float32](src.Shape)
	m, err := b.Gaussian(context.Background(), got, src, opt)
	require.NoError(t, err)
	requireSame(t, want.Data, got.Data, "through Select")
	require.Equal(t, wantMax, m)
	st := b.(*offload.Executor).Stats()
	require.Greater(t, st.Tiles, int64(2))
	require.Zero(t, st.FallbackTiles+st.FallbackCalls)

	names := map[string]bool{}
	for _, d := range kernels.Devices() {
		names[d.Name] = true
	}
	require.True(t, names["fakegpu:0"] && names["fakegpu:1"] && names["cpu"], "%v", names)
}
