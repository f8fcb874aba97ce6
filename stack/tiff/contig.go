package tiff

// The usual layout of a streamed file is IFD, data, IFD, data, ... For a
// stack whose planes are tiny next to its first IFD that layout misleads
// readers that infer a contiguous stack from offsets: tifffile reads a
// shaped series as one run from plane 0's data when the second IFD lies
// beyond the first IFD plus the whole stack's bytes, and an ImageJ series
// likewise when every image would fit before the second IFD. Both then
// read IFD bytes or padding as pixels. Small uncompressed stacks are
// therefore written the way tifffile and ImageJ write them: the first IFD,
// then all the data back to back (which makes those inferences true), then
// the other IFDs, whose contents are known from the shape alone.

// contigSlackBytes is added to the first IFD's size in contiguousLayout's
// test, a margin for out-of-line values and padding.
const contigSlackBytes = 64 << 10

// contiguousLayout reports whether the stack is small enough for a reader
// to mistake the interleaved layout for a contiguous one: uncompressed
// strips, more than one plane, and every plane after the first together
// smaller than the first IFD with a wide margin.
func (w *Writer) contiguousLayout() bool {
	o := &w.opts
	if o.Compression != None || o.Tile > 0 || o.Shape.Z < 2 {
		return false
	}
	pb := uint64(o.Shape.Y) * uint64(o.Shape.X) * uint64(o.DType.Size())
	return uint64(o.Shape.Z-1)*pb <= uint64(len(w.desc))+contigSlackBytes
}

// planeBytes is the size of one raw plane.
func (w *Writer) planeBytes() uint64 {
	o := &w.opts
	return uint64(o.Shape.Y) * uint64(o.Shape.X) * uint64(o.DType.Size())
}

// stripOffsets returns the strip offsets of plane k in the contiguous
// layout, given the strips' byte counts.
func (w *Writer) stripOffsets(k int, counts []uint64) []uint64 {
	offs := make([]uint64, len(counts))
	pos := w.data0 + uint64(k)*w.planeBytes()
	for i, c := range counts {
		offs[i] = pos
		pos += c
	}
	return offs
}

// contigIFD encodes the IFD of plane k at file offset at.
func (w *Writer) contigIFD(k int, counts []uint64, at, next uint64) []byte {
	planes := w.planes
	w.planes = k // fields() puts the description on plane 0 only
	base := w.fields()
	w.planes = planes
	f := append(base, offsetField(tagStripOffsets, w.big, w.stripOffsets(k, counts)), offsetField(tagStripByteCounts, w.big, counts))
	return encodeIFD(f, w.big, at, next)
}

// writeContig writes plane w.planes in the contiguous layout: plane 0
// with the first IFD in front of it, the others as bare data.
func (w *Writer) writeContig(raw []byte, counts []uint64) error {
	if w.planes == 0 {
		ifdLen := uint64(len(w.contigIFD(0, counts, w.pos, 0)))
		w.data0 = w.pos + ifdLen
		end := w.data0 + uint64(w.opts.Shape.Z)*w.planeBytes()
		if err := w.write(w.contigIFD(0, counts, w.pos, end+end&1)); err != nil {
			return err
		}
	}
	if err := w.writeFrom(raw); err != nil {
		return err
	}
	w.planes++
	return nil
}

// writeTrailingIFDs writes the IFDs of planes 1.. after the data.
func (w *Writer) writeTrailingIFDs() error {
	if w.pos&1 == 1 {
		if err := w.write([]byte{0}); err != nil {
			return err
		}
	}
	o := &w.opts
	rowBytes := uint64(o.Shape.X * o.DType.Size())
	counts := make([]uint64, w.blocks)
	for k := range counts {
		counts[k] = uint64(min(w.blockH, o.Shape.Y-k*w.blockH)) * rowBytes
	}
	for k := 1; k < o.Shape.Z; k++ {
		n := uint64(len(w.contigIFD(k, counts, w.pos, 0)))
		next := uint64(0)
		if k+1 < o.Shape.Z {
			next = w.pos + n + n&1
		}
		b := w.contigIFD(k, counts, w.pos, next)
		if len(b)&1 == 1 {
			b = append(b, 0)
		}
		if err := w.write(b); err != nil {
			return err
		}
	}
	return nil
}
