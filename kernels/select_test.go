package kernels_test

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/kernels/simd"
)

func TestParseDevice(t *testing.T) {
	t.Parallel()
	good := []struct {
		in   string
		want kernels.DeviceSpec
		str  string
	}{
		{"", kernels.DeviceSpec{Kind: "auto"}, "auto"},
		{" Auto ", kernels.DeviceSpec{Kind: "auto"}, "auto"},
		{"cpu", kernels.DeviceSpec{Kind: "cpu"}, "cpu"},
		{"cuda", kernels.DeviceSpec{Kind: "cuda", Indices: []int{0}}, "cuda:0"},
		{"CUDA:3", kernels.DeviceSpec{Kind: "cuda", Indices: []int{3}}, "cuda:3"},
		{"cuda:1, 0", kernels.DeviceSpec{Kind: "cuda", Indices: []int{1, 0}}, "cuda:1,0"},
		{"rocm:2", kernels.DeviceSpec{Kind: "rocm", Indices: []int{2}}, "rocm:2"},
	}
	for _, g := range good {
		got, err := kernels.ParseDevice(g.in)
		require.NoError(t, err, g.in)
		require.Equal(t, g.want, got, g.in)
		require.Equal(t, g.str, got.String())
		again, err := kernels.ParseDevice(got.String())
		require.NoError(t, err)
		require.Equal(t, got, again, "String round-trips")
	}
	for _, bad := range []string{"cpu:0", "auto:1", "cuda:", "cuda:-1", "cuda:x", "cuda:0,0", "cuda:0,,1", "gpu!", ":0", "cu da"} {
		_, err := kernels.ParseDevice(bad)
		require.Error(t, err, bad)
	}
}

func TestSelectCPU(t *testing.T) {
	t.Parallel()
	b, err := kernels.Select("cpu")
	require.NoError(t, err)
	require.Equal(t, "cpu/"+simd.Path(), b.Name())
	require.NoError(t, b.Close())
}

func TestSelectUnregistered(t *testing.T) {
	t.Parallel()
	// This test binary does not import kernels/cuda.
	_, err := kernels.Select("cuda:0")
	require.ErrorIs(t, err, kernels.ErrNoDevice)
	require.Contains(t, err.Error(), "go build -tags cuda")
	_, err = kernels.Select("tpu")
	require.ErrorIs(t, err, kernels.ErrNoDevice)
	_, err = kernels.Select("cuda:x")
	require.Error(t, err)
	require.NotErrorIs(t, err, kernels.ErrNoDevice, "a malformed request is not a missing device")
}

// testFamily is a registered family whose presence and behaviour a test
// switches.
var testFamily = struct {
	sync.Mutex
	present bool
	openErr error
	opened  [][]int
}{}

type namedBackend struct {
	kernels.Backend
	name string
}

func (b namedBackend) Name() string { return b.name }

var registerTestFamily = sync.OnceValue(func() error {
	return kernels.RegisterDriver(kernels.Driver{
		Kind: "aatest", // sorts before any real family, for "auto"
		List: func() ([]kernels.DeviceInfo, error) {
			testFamily.Lock()
			defer testFamily.Unlock()
			if !testFamily.present {
				return nil, fmt.Errorf("aatest: driver not loaded: %w", kernels.ErrNoDevice)
			}
			return []kernels.DeviceInfo{
				{Name: "aatest:0", Kind: "aatest", Model: "Test A", Cores: 4, MemoryBytes: 1 << 30},
				{Name: "aatest:1", Kind: "aatest", Model: "Test B", Cores: 8, MemoryBytes: 2 << 30},
			}, nil
		},
		Open: func(idx []int) (kernels.Backend, error) {
			testFamily.Lock()
			defer testFamily.Unlock()
			if testFamily.openErr != nil {
				return nil, testFamily.openErr
			}
			testFamily.opened = append(testFamily.opened, idx)
			return namedBackend{kernels.CPU(), fmt.Sprint("aatest", idx)}, nil
		},
	})
})

func setTestFamily(present bool, openErr error) {
	testFamily.Lock()
	defer testFamily.Unlock()
	testFamily.present, testFamily.openErr, testFamily.opened = present, openErr, nil
}

// TestSelectRegistered is not parallel: it switches the test family.
func TestSelectRegistered(t *testing.T) {
	require.NoError(t, registerTestFamily())
	t.Cleanup(func() { setTestFamily(false, nil) })

	setTestFamily(false, nil)
	b, err := kernels.Select("auto")
	require.NoError(t, err)
	require.Equal(t, kernels.CPU().Name(), b.Name(), "auto without devices is the CPU")
	_, err = kernels.Select("aatest:0")
	require.ErrorIs(t, err, kernels.ErrNoDevice)
	require.Contains(t, err.Error(), "driver not loaded")
	require.Len(t, kernels.Devices(), 1)

	setTestFamily(true, nil)
	for _, c := range []struct {
		in   string
		name string
	}{{"auto", "aatest[0]"}, {"aatest", "aatest[0]"}, {"aatest:1", "aatest[1]"}, {"aatest:1,0", "aatest[1 0]"}} {
		b, err := kernels.Select(c.in)
		require.NoError(t, err, c.in)
		require.Equal(t, c.name, b.Name(), c.in)
	}
	_, err = kernels.Select("aatest:2")
	require.ErrorIs(t, err, kernels.ErrNoDevice)
	require.Contains(t, err.Error(), "2 aatest device(s) present")

	devs := kernels.Devices()
	require.Len(t, devs, 3)
	require.Equal(t, "cpu", devs[0].Name)
	require.Equal(t, []string{"aatest:0", "aatest:1"}, []string{devs[1].Name, devs[2].Name})

	broken := errors.New("context creation failed")
	setTestFamily(true, broken)
	_, err = kernels.Select("auto")
	require.ErrorIs(t, err, broken, "auto reports a present device that fails to open")
	setTestFamily(true, fmt.Errorf("gone: %w", kernels.ErrNoDevice))
	b, err = kernels.Select("auto")
	require.NoError(t, err)
	require.Equal(t, kernels.CPU().Name(), b.Name(), "auto skips a device that vanished")

	var found bool
	for _, st := range kernels.Drivers() {
		if st.Kind == "aatest" {
			found = true
			require.NoError(t, st.Err)
			require.Len(t, st.Devices, 2)
		}
	}
	require.True(t, found)
}

func TestRegisterDriverValidates(t *testing.T) {
	t.Parallel()
	list := func() ([]kernels.DeviceInfo, error) { return nil, nil }
	open := func([]int) (kernels.Backend, error) { return nil, nil }
	for _, d := range []kernels.Driver{
		{Kind: "", Open: open, List: list},
		{Kind: "cpu", Open: open, List: list},
		{Kind: "auto", Open: open, List: list},
		{Kind: "Upper", Open: open, List: list},
		{Kind: "a:b", Open: open, List: list},
		{Kind: "nolist", Open: open},
		{Kind: "noopen", List: list},
	} {
		require.Error(t, kernels.RegisterDriver(d), "%q", d.Kind)
	}
	require.NoError(t, kernels.RegisterDriver(kernels.Driver{Kind: "zzdup", Open: open, List: list}))
	require.Error(t, kernels.RegisterDriver(kernels.Driver{Kind: "zzdup", Open: open, List: list}))
}

func TestCPUInfo(t *testing.T) {
	t.Parallel()
	c := kernels.CPUInfo()
	require.Equal(t, "cpu", c.Name)
	require.Equal(t, "cpu", c.Kind)
	require.NotEmpty(t, c.Model)
	require.Equal(t, runtime.NumCPU(), c.Cores)
	require.Equal(t, simd.Path(), c.SIMD)
	require.Equal(t, c, kernels.Devices()[0])
}
