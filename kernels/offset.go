package kernels

// Labels offset: numbering objects uniquely across a stack adds to each
// plane's labels the number of objects in the planes before it. The
// background (0) stays 0.

// AddOffset adds off to every non-zero label of labels in place. The
// caller makes sure the results fit T.
func AddOffset[T uint16 | uint32](labels []T, off T) {
	if off == 0 {
		return
	}
	// min(l, 1) is 0 for the background and 1 for a label: a conditional
	// move rather than a branch, which mispredicts at every object edge.
	for len(labels) >= 4 {
		l := labels[:4:4]
		l[0] += off * min(l[0], 1)
		l[1] += off * min(l[1], 1)
		l[2] += off * min(l[2], 1)
		l[3] += off * min(l[3], 1)
		labels = labels[4:]
	}
	for i, l := range labels {
		labels[i] = l + off*min(l, 1)
	}
}

// WidenOffset stores in dst (len(dst) >= len(src)) the uint16 labels of src
// as uint32 with off added to the non-zero ones.
func WidenOffset(dst []uint32, src []uint16, off uint32) {
	dst = dst[:len(src)]
	for i, l := range src {
		w := uint32(l)
		dst[i] = w + off*min(w, 1)
	}
}
