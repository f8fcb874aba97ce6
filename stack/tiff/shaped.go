package tiff

import "math/bits"

// reshapeShaped applies tifffile's shaped description when it lays the
// pixels out differently from the pages. tifffile drops axes of length 1
// before it chooses the page shape, so it stores a (Z, Y, 1) array as one
// Z×Y page, and a (Z, 1, X) one as one Z×X page; the description keeps the
// array's true shape. The stack is then the pages' samples in order,
// reshaped to the description: its last two axes are a plane's Y and X,
// and the axes before them are planes. Reading the pages as planes instead
// would smooth and label the wrong neighbours.
//
// Such pages are read as the planes they hold when they are stored raw
// (as tifffile stores them by default). Compressed or tiled ones are
// refused with an UnsupportedError rather than read with the wrong shape.
// A description whose size does not match the pages is ignored, as
// tifffile ignores it.
func (r *Reader) reshapeShaped() error {
	sh := r.meta.Shaped
	if sh == nil || r.meta.ImageJ != nil || len(r.pages) == 0 {
		return nil
	}
	y, x := 1, 1
	if n := len(sh); n >= 2 {
		y, x = sh[n-2], sh[n-1]
	} else {
		x = sh[0]
	}
	if y == r.shape.Y && x == r.shape.X {
		return nil
	}
	total := uint64(1)
	for _, d := range sh {
		if d <= 0 {
			return nil
		}
		hi, lo := bits.Mul64(total, uint64(d))
		if hi != 0 {
			return nil
		}
		total = lo
	}
	pageLen := uint64(r.shape.Y) * uint64(r.shape.X)
	planeLen := uint64(y) * uint64(x)
	if total != pageLen*uint64(len(r.pages)) || pageLen%planeLen != 0 {
		return nil
	}
	per := int(pageLen / planeLen) // planes in each page
	if per > 1 && len(r.pages)*per > r.opts.maxPages {
		return &LimitError{What: "page count", Size: uint64(len(r.pages) * per), Limit: uint64(r.opts.maxPages)}
	}
	size := uint64(r.dtype.Size())
	planes := make([]page, 0, len(r.pages)*per)
	for i := range r.pages {
		p := r.pages[i]
		off, ok, err := r.rawRun(&p)
		if err != nil {
			return err
		}
		if !ok {
			return unsupportedf("tifffile shape %v stores %d-pixel planes in %dx%d pages; only uncompressed such pages can be read (page %d is %s%s)",
				sh, planeLen, r.shape.Y, r.shape.X, i, p.comp, map[bool]string{true: ", tiled"}[p.tiled])
		}
		for k := range per {
			q := p
			q.tiled, q.across, q.blocks = false, 1, 1
			q.blockW, q.blockH = x, y
			q.contig = int64(off + uint64(k)*planeLen*size)
			planes = append(planes, q)
		}
	}
	if end := uint64(planes[len(planes)-1].contig) + planeLen*size; end > uint64(r.src.size) {
		return formatErrorf("tifffile shape %v needs %d bytes of pixel data past offset %d, beyond the end of the file", sh, end, planes[0].contig)
	}
	r.pages = planes
	r.shape.Y, r.shape.X = y, x
	return nil
}
