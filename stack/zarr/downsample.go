package zarr

// Pyramid levels halve Y and X (rounding up); an output pixel stands for
// the block of up to 2×2 input pixels at twice its coordinates.

// halve returns the extent of the next level.
func halve(n int) int { return (n + 1) / 2 }

// downsampleMean writes into dst (halve(h)×halve(w) elements of type dt)
// the mean of each block of src (h×w), rounded to the nearest value, halves
// upwards, for integer types.
func downsampleMean(dst, src []byte, h, w int, dt DType) {
	switch dt {
	case Uint8:
		meanInt(dst, src, h, w)
	case Uint16:
		meanInt(asElems[uint16](dst), asElems[uint16](src), h, w)
	case Int16:
		meanInt(asElems[int16](dst), asElems[int16](src), h, w)
	case Uint32:
		meanInt(asElems[uint32](dst), asElems[uint32](src), h, w)
	case Int32:
		meanInt(asElems[int32](dst), asElems[int32](src), h, w)
	case Float32:
		meanFloat(asElems[float32](dst), asElems[float32](src), h, w)
	case Float64:
		meanFloat(asElems[float64](dst), asElems[float64](src), h, w)
	}
}

func meanInt[T uint8 | uint16 | int16 | uint32 | int32](dst, src []T, h, w int) {
	oh, ow := halve(h), halve(w)
	for oy := 0; oy < oh; oy++ {
		r0 := src[2*oy*w : 2*oy*w+w]
		r1 := r0
		ny := int64(1)
		if 2*oy+1 < h {
			r1 = src[(2*oy+1)*w : (2*oy+2)*w]
			ny = 2
		}
		out := dst[oy*ow : oy*ow+ow]
		for ox := range out {
			x := 2 * ox
			sum := int64(r0[x])
			n := int64(1)
			if ny == 2 {
				sum += int64(r1[x])
				n++
			}
			if x+1 < w {
				sum += int64(r0[x+1])
				n++
				if ny == 2 {
					sum += int64(r1[x+1])
					n++
				}
			}
			// floor((2·sum + n) / (2n)): the nearest integer, halves up
			num, den := 2*sum+n, 2*n
			q := num / den
			if num%den != 0 && num < 0 {
				q--
			}
			out[ox] = T(q)
		}
	}
}

func meanFloat[T float32 | float64](dst, src []T, h, w int) {
	oh, ow := halve(h), halve(w)
	for oy := 0; oy < oh; oy++ {
		for ox := 0; ox < ow; ox++ {
			sum, n := 0.0, 0.0
			for y := 2 * oy; y < min(2*oy+2, h); y++ {
				for x := 2 * ox; x < min(2*ox+2, w); x++ {
					sum += float64(src[y*w+x])
					n++
				}
			}
			dst[oy*ow+ox] = T(sum / n)
		}
	}
}

// downsampleFirst writes into dst the top-left pixel of each block: the
// way labels are reduced, so that every output value is a label of the
// input.
func downsampleFirst(dst, src []byte, h, w, elem int) {
	oh, ow := halve(h), halve(w)
	for oy := 0; oy < oh; oy++ {
		row := src[2*oy*w*elem : (2*oy*w+w)*elem]
		out := dst[oy*ow*elem : (oy*ow+ow)*elem]
		switch elem {
		case 1:
			for ox := range out {
				out[ox] = row[2*ox]
			}
		case 2:
			o, r := asElems[uint16](out), asElems[uint16](row)
			for ox := range o {
				o[ox] = r[2*ox]
			}
		case 4:
			o, r := asElems[uint32](out), asElems[uint32](row)
			for ox := range o {
				o[ox] = r[2*ox]
			}
		default:
			for ox := 0; ox < ow; ox++ {
				copy(out[ox*elem:(ox+1)*elem], row[2*ox*elem:(2*ox+1)*elem])
			}
		}
	}
}
