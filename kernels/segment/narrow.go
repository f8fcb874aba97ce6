package segment

// narrow16 stores each label of src, which must all be at most 65535, as a
// uint16 in dst; dst must be at least as long as src. The loop is bound by
// memory bandwidth (a packed 64-bit variant measured no faster), so it is
// kept plain; re-slicing dst lets the compiler drop the bounds checks.
func narrow16(dst []uint16, src []uint32) {
	dst = dst[:len(src)]
	for i, l := range src {
		dst[i] = uint16(l)
	}
}
