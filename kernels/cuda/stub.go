//go:build !cuda

package cuda

// Compiled reports whether this binary was built with the cuda tag.
const Compiled = false

// ErrUnavailable is what the family's List and Open report in this build.
// It wraps kernels.ErrNoDevice.
var ErrUnavailable error = &unavailable{
	msg: "cuda: not compiled in (build with -tags cuda, which needs no CUDA toolkit; the NVIDIA driver at run time)",
}

func init() { register() }
