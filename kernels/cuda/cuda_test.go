//go:build !cuda

package cuda_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/kernels/cuda"
)

func TestFamilyReportsUnavailable(t *testing.T) {
	for _, dev := range []string{"cuda", "cuda:0", "CUDA:1", "cuda:0,1"} {
		b, err := kernels.Select(dev)
		require.Nil(t, b)
		require.ErrorIs(t, err, kernels.ErrNoDevice, dev)
		require.ErrorIs(t, err, cuda.ErrUnavailable, dev)
		if !cuda.Compiled {
			require.Contains(t, err.Error(), "-tags cuda", dev)
		}
	}
	st := kernels.Drivers()
	require.Len(t, st, 1)
	require.Equal(t, cuda.Kind, st[0].Kind)
	require.Empty(t, st[0].Devices)
	require.ErrorIs(t, st[0].Err, cuda.ErrUnavailable)
}

func TestAutoFallsThroughToCPU(t *testing.T) {
	b, err := kernels.Select("auto")
	require.NoError(t, err)
	require.Equal(t, kernels.CPU().Name(), b.Name())
	require.NoError(t, b.Close())
	devs := kernels.Devices()
	require.Len(t, devs, 1, "only the CPU is usable")
	require.Equal(t, "cpu", devs[0].Kind)
}

func TestSecondRegistrationRefused(t *testing.T) {
	err := kernels.RegisterDriver(kernels.Driver{
		Kind: cuda.Kind,
		Open: func([]int) (kernels.Backend, error) { return nil, nil },
		List: func() ([]kernels.DeviceInfo, error) { return nil, nil },
	})
	require.Error(t, err)
}
