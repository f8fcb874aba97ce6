//go:build cuda

package cuda

// Compiled reports whether this binary was built with the cuda tag.
const Compiled = true

// ErrUnavailable is what the family's List and Open report in this build:
// the tag is set, but this version has no CUDA device implementation, so
// the family says so rather than claim devices it cannot drive. It wraps
// kernels.ErrNoDevice.
var ErrUnavailable error = &unavailable{
	msg: "cuda: this version of segstack has no CUDA device implementation yet; the cuda tag has no effect",
}

func init() { register() }
