package cuda

import "github.com/segstack/segstack/kernels"

// unavailable is the family's answer when it cannot be used; its message is
// meant to be shown to users as is.
type unavailable struct{ msg string }

func (e *unavailable) Error() string { return e.msg }

// Unwrap makes the error match kernels.ErrNoDevice.
func (e *unavailable) Unwrap() error { return kernels.ErrNoDevice }

// register adds the family with List and Open reporting ErrUnavailable. A
// failure can only mean that another package already registered "cuda";
// the first registration then stands.
func register() {
	_ = kernels.RegisterDriver(kernels.Driver{
		Kind: Kind,
		Open: func([]int) (kernels.Backend, error) { return nil, ErrUnavailable },
		List: func() ([]kernels.DeviceInfo, error) { return nil, ErrUnavailable },
	})
}
