//go:build cuda

package cuda

import (
	"errors"
	"fmt"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/kernels/offload"
)

// Compiled reports whether this binary was built with the cuda tag.
const Compiled = true

// ErrUnavailable is what the family's List and Open report when the CUDA
// driver cannot be loaded (ErrNoDriver); it wraps kernels.ErrNoDevice, so
// Select("auto") then uses the CPU.
var ErrUnavailable = ErrNoDriver

func init() {
	_ = kernels.RegisterDriver(kernels.Driver{Kind: Kind, Open: open, List: list})
}

func list() ([]kernels.DeviceInfo, error) {
	d, err := loadDriver()
	if err != nil {
		return nil, err
	}
	return listDevices(d)
}

// open returns an offload.Executor over the GPUs with the given indices.
func open(indices []int) (kernels.Backend, error) {
	d, err := loadDriver()
	if err != nil {
		return nil, err
	}
	var n int32
	if err := d.check("cuDeviceGetCount", d.cuDeviceGetCount(&n)); err != nil {
		return nil, err
	}
	var devs []*gpu
	closeAll := func() error {
		var errs []error
		for _, g := range devs {
			errs = append(errs, g.Close())
		}
		return errors.Join(errs...)
	}
	for _, i := range indices {
		if i < 0 || i >= int(n) {
			return nil, errors.Join(fmt.Errorf("cuda: no device %d (%d present): %w", i, n, kernels.ErrNoDevice), closeAll())
		}
		g, err := openGPU(d, i)
		if err != nil {
			return nil, errors.Join(err, closeAll())
		}
		devs = append(devs, g)
	}
	ds := make([]offload.Device, len(devs))
	for i, g := range devs {
		ds[i] = g
	}
	e, err := offload.New(ds, offload.Options{})
	if err != nil {
		return nil, errors.Join(err, closeAll())
	}
	return e, nil
}

var _ offload.Device = (*gpu)(nil)
var _ offload.Labeler = (*gpu)(nil)
