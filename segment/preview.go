package segment

import (
	"bufio"
	"image"
	"image/color"
	"image/png"
	"math"
	"sort"
)

// previewTile is one plane of the preview montage, already reduced to at
// most previewSide pixels along its longer side.
type previewTile struct {
	z      int
	w, h   int
	raw    []float32
	labels []uint32
}

const (
	previewSide   = 384 // longest side of a tile, in pixels
	previewPlanes = 4   // tiles in the montage
	previewGap    = 4   // pixels between tiles
)

// previewPlanesOf picks up to previewPlanes planes spread evenly over nz.
func previewPlanesOf(nz int) []int {
	k := min(nz, previewPlanes)
	out := make([]int, 0, k)
	for i := range k {
		z := 0
		if k > 1 {
			z = i * (nz - 1) / (k - 1)
		}
		if len(out) == 0 || out[len(out)-1] != z {
			out = append(out, z)
		}
	}
	return out
}

// newPreviewTile samples plane z (ny×nx) down to a tile, keeping every
// step-th pixel so that labels stay exact.
func newPreviewTile(z, ny, nx int, raw []float32, labels []uint32) previewTile {
	step := max(1, int(math.Ceil(float64(max(ny, nx))/previewSide)))
	h, w := (ny+step-1)/step, (nx+step-1)/step
	t := previewTile{z: z, w: w, h: h, raw: make([]float32, w*h), labels: make([]uint32, w*h)}
	for ty := range h {
		for tx := range w {
			i := ty*step*nx + tx*step
			t.raw[ty*w+tx] = raw[i]
			t.labels[ty*w+tx] = labels[i]
		}
	}
	return t
}

// labelColor gives label l a saturated colour that depends only on l:
// hues step by the golden angle so that neighbouring labels differ.
func labelColor(l uint32) (r, g, b float64) {
	h := math.Mod(float64(l)*0.6180339887498949, 1) * 6
	s, v := 0.85, 1.0
	i := int(h)
	f := h - float64(i)
	p, q, t := v*(1-s), v*(1-s*f), v*(1-s*(1-f))
	switch i {
	case 0:
		return v, t, p
	case 1:
		return q, v, p
	case 2:
		return p, v, t
	case 3:
		return p, q, v
	case 4:
		return t, p, v
	}
	return v, p, q
}

// renderPreview lays the tiles out in a row: each plane's raw intensities in
// grey, stretched between its 0.5th and 99.5th percentiles, with every
// object blended over it in its label's colour.
func renderPreview(tiles []previewTile) *image.RGBA {
	W, H := 0, 0
	for i, t := range tiles {
		if i > 0 {
			W += previewGap
		}
		W += t.w
		H = max(H, t.h)
	}
	img := image.NewRGBA(image.Rect(0, 0, max(W, 1), max(H, 1)))
	for i := range img.Pix {
		img.Pix[i] = 255 // white gaps
	}
	x0 := 0
	for _, t := range tiles {
		lo, hi := percentiles(t.raw)
		scale := 0.0
		if hi > lo {
			scale = 1 / (hi - lo)
		}
		for y := range t.h {
			for x := range t.w {
				g := min(1, max(0, (float64(t.raw[y*t.w+x])-lo)*scale))
				r, gg, b := g, g, g
				if l := t.labels[y*t.w+x]; l != 0 {
					cr, cg, cb := labelColor(l)
					const a = 0.55
					r, gg, b = (1-a)*g+a*cr, (1-a)*g+a*cg, (1-a)*g+a*cb
				}
				img.SetRGBA(x0+x, y, color.RGBA{uint8(r*255 + 0.5), uint8(gg*255 + 0.5), uint8(b*255 + 0.5), 255})
			}
		}
		x0 += t.w + previewGap
	}
	return img
}

func percentiles(v []float32) (lo, hi float64) {
	if len(v) == 0 {
		return 0, 0
	}
	s := append([]float32(nil), v...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return float64(s[len(s)*5/1000]), float64(s[(len(s)-1)*995/1000])
}

// renderPreviewFile renders the tiles as a PNG into a temporary file that
// becomes path on Commit.
func renderPreviewFile(path string, tiles []previewTile) (*atomicFile, error) {
	sort.Slice(tiles, func(i, j int) bool { return tiles[i].z < tiles[j].z })
	img := renderPreview(tiles)
	return fillAtomic(path, func(w *bufio.Writer) error {
		return png.Encode(w, img)
	})
}
