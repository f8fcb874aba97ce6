package segment

import "github.com/segstack/segstack/kernels/simd"

// narrow16 stores each label of src, which must all be at most 65535, as a
// uint16 in dst; dst must be at least as long as src.
func narrow16(dst []uint16, src []uint32) { simd.NarrowUint32(dst, src) }
