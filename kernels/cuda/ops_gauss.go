//go:build cuda

package cuda

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/kernels/offload"
	"github.com/segstack/segstack/stack"
)

// opsState is what the compute operations keep per gpu: the Gaussian
// weights uploaded so far and each stream's intermediate buffer. Its
// buffers are device memory of the gpu, released with it by Close.
type opsState struct {
	mu      sync.Mutex
	weights map[[2]float64]offload.Buffer // (sigma, truncate) → taps 0..r
	tmp     map[offload.Stream]offload.Buffer
}

var states struct {
	sync.Mutex
	m map[*gpu]*opsState
}

func (g *gpu) ops() *opsState {
	states.Lock()
	defer states.Unlock()
	if states.m == nil {
		states.m = map[*gpu]*opsState{}
	}
	st := states.m[g]
	if st == nil {
		st = &opsState{weights: map[[2]float64]offload.Buffer{}, tmp: map[offload.Stream]offload.Buffer{}}
		states.m[g] = st
	}
	return st
}

// gaussAxis is one filtered axis: its weights on the device and radius.
type gaussAxis struct {
	axis int32
	w    offload.Buffer
	r    int32
}

// gaussAxes validates opt for shape as kernels.Gaussian does and returns
// the filtered axes in scipy's order (Z, Y, X), their weights uploaded.
func (g *gpu) gaussAxes(shape stack.Shape, opt kernels.GaussianOptions) ([]gaussAxis, error) {
	if err := shape.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", kernels.ErrInvalid, err)
	}
	if opt.Mode < stack.Reflect || opt.Mode > stack.Wrap {
		return nil, fmt.Errorf("%w: unknown boundary mode %v", kernels.ErrInvalid, opt.Mode)
	}
	tr := opt.Truncate
	if tr == 0 {
		tr = kernels.DefaultTruncate
	}
	if !(tr > 0) || math.IsInf(tr, 0) {
		return nil, fmt.Errorf("%w: truncate %v must be positive and finite", kernels.ErrInvalid, opt.Truncate)
	}
	var axes []gaussAxis
	for a, sigma := range opt.Sigma {
		if !(sigma >= 0) || math.IsInf(sigma, 0) {
			return nil, fmt.Errorf("%w: sigma %v must be finite and not negative", kernels.ErrInvalid, sigma)
		}
		k := kernels.Kernel1D(sigma, tr)
		if k == nil {
			return nil, fmt.Errorf("%w: sigma %v with truncate %v gives too wide a kernel", kernels.ErrInvalid, sigma, tr)
		}
		if len(k) == 1 {
			continue // sigma ≈ 0: the axis is left alone, as scipy does
		}
		r := len(k) / 2
		w, err := g.weights(sigma, tr, k[r:])
		if err != nil {
			return nil, err
		}
		axes = append(axes, gaussAxis{axis: int32(a), w: w, r: int32(r)})
	}
	return axes, nil
}

// weights returns the device copy of the taps k (offsets 0..r) rounded to
// float32, as the CPU's plan rounds them, uploading them on first use.
// The upload runs on a stream of its own and is waited for, so that every
// stream can use the buffer at once.
func (g *gpu) weights(sigma, truncate float64, k []float64) (offload.Buffer, error) {
	st := g.ops()
	st.mu.Lock()
	defer st.mu.Unlock()
	key := [2]float64{sigma, truncate}
	if b, ok := st.weights[key]; ok {
		return b, nil
	}
	n := 4 * len(k)
	b, err := g.Alloc(n)
	if err != nil {
		return nil, err
	}
	h, err := g.AllocHost(n)
	if err != nil {
		return nil, errors.Join(err, g.Free(b))
	}
	defer g.FreeHost(h)
	hb := h.Bytes()[:n]
	for i, v := range k {
		binary.LittleEndian.PutUint32(hb[4*i:], math.Float32bits(float32(v)))
	}
	s, err := g.NewStream()
	if err != nil {
		return nil, errors.Join(err, g.Free(b))
	}
	err = g.CopyToDevice(s, b, 0, hb)
	if err == nil {
		err = g.Synchronize(s)
	}
	err = errors.Join(err, g.DestroyStream(s))
	if err != nil {
		return nil, errors.Join(err, g.Free(b))
	}
	st.weights[key] = b
	return b, nil
}

// temp returns an intermediate buffer of at least n bytes for stream s.
// A stream's work runs in order, so one buffer a stream is enough; a
// smaller one it replaces stays allocated (it may still be in use by work
// enqueued earlier) until the device is closed.
func (g *gpu) temp(s offload.Stream, n int) (offload.Buffer, error) {
	st := g.ops()
	st.mu.Lock()
	defer st.mu.Unlock()
	if b, ok := st.tmp[s]; ok && b.Len() >= n {
		return b, nil
	}
	b, err := g.Alloc(n)
	if err != nil {
		return nil, err
	}
	st.tmp[s] = b
	return b, nil
}

// srcElem names the element types the first Gaussian pass converts.
type srcElem struct {
	suffix string
	size   int
}

var (
	elemF32 = srcElem{"f32", 4}
	elemU8  = srcElem{"u8", 1}
	elemU16 = srcElem{"u16", 2}
)

// Gaussian enqueues the Gaussian filter of the float32 volume in src into
// dst, bit-identical to kernels.Gaussian; the maximum is not kept (see
// GaussianMax).
func (g *gpu) Gaussian(s offload.Stream, dst, src offload.Buffer, shape stack.Shape, opt kernels.GaussianOptions) error {
	return g.gaussian(s, dst, src, elemF32, shape, opt, 0)
}

// GaussianMax is Gaussian that also stores the maximum of dst as a float32
// at the start of maxOut, found by the last pass as it writes.
func (g *gpu) GaussianMax(s offload.Stream, dst, src, maxOut offload.Buffer, shape stack.Shape, opt kernels.GaussianOptions) error {
	return g.gaussian(s, dst, src, elemF32, shape, opt, g.ptr(maxOut))
}

// GaussianOf is GaussianMax for 8- or 16-bit source data (elemSize 1 or
// 2), converted to float32 by the first pass as it reads it, as
// kernels.GaussianOf converts. maxOut may be nil.
func (g *gpu) GaussianOf(s offload.Stream, dst, src, maxOut offload.Buffer, elemSize int, shape stack.Shape, opt kernels.GaussianOptions) error {
	var e srcElem
	switch elemSize {
	case 1:
		e = elemU8
	case 2:
		e = elemU16
	case 4:
		e = elemF32
	default:
		return fmt.Errorf("%w: Gaussian of %d-byte elements (want 1, 2 or 4)", kernels.ErrInvalid, elemSize)
	}
	var m uint64
	if maxOut != nil {
		if m = g.ptr(maxOut); m == 0 {
			return fmt.Errorf("cuda: Gaussian maximum: buffer is not live memory of %s", g.info.Name)
		}
	}
	return g.gaussian(s, dst, src, e, shape, opt, m)
}

func (g *gpu) gaussian(s offload.Stream, dst, src offload.Buffer, e srcElem, shape stack.Shape, opt kernels.GaussianOptions, maxOut uint64) error {
	axes, err := g.gaussAxes(shape, opt)
	if err != nil {
		return err
	}
	n := int64(shape.Len())
	if dst == src && e != elemF32 {
		return fmt.Errorf("%w: Gaussian of %s data in place", kernels.ErrInvalid, e.suffix)
	}
	if dst.Len() < 4*int(n) || src.Len() < e.size*int(n) {
		return fmt.Errorf("%w: Gaussian of %v in buffers of %d and %d bytes", kernels.ErrInvalid, shape, src.Len(), dst.Len())
	}
	if maxOut != 0 {
		if err := g.kernel("seg_fill_u32", grid1(1), s, maxOut, int64(1), uint32(negInfBits)); err != nil {
			return err
		}
	}
	if len(axes) == 0 {
		if dst == src && e == elemF32 {
			// Nothing to filter in place: only the maximum is wanted.
			if maxOut == 0 {
				return nil
			}
			return g.kernel("seg_max_box", grid3(int64(shape.Z), int64(shape.Y), int64(shape.X), 1), s, maxOut,
				g.ptr(src), int64(shape.Y), int64(shape.X), int64(0), int64(0), int64(0), int64(shape.Z), int64(shape.Y), int64(shape.X))
		}
		return g.kernel("seg_convert_"+e.suffix, grid1(n), s, g.ptr(dst), g.ptr(src), n, maxOut)
	}
	// The steps: one launch an axis, except that Y and X together are one
	// fused launch when their radii fit its tile (yxMaxRadius).
	type step struct{ a, b *gaussAxis }
	var steps []step
	for i := 0; i < len(axes); i++ {
		if i+1 < len(axes) && axes[i].axis == 1 && axes[i+1].axis == 2 && fuseYX &&
			axes[i].r <= yxMaxRadius && axes[i+1].r <= yxMaxRadius {
			steps = append(steps, step{&axes[i], &axes[i+1]})
			i++
			continue
		}
		steps = append(steps, step{a: &axes[i]})
	}
	// The steps alternate between dst and a temporary so that the last
	// writes dst; no step reads the buffer it writes.
	outs := make([]uint64, len(steps))
	var tmp offload.Buffer
	same := dst == src
	if len(steps) > 1 || same {
		if tmp, err = g.temp(s, 4*int(n)); err != nil {
			return err
		}
	}
	copyBack := same && len(steps)%2 == 1
	for i := range outs {
		left := len(steps) - 1 - i // steps after this one
		if copyBack {
			left++
		}
		if left%2 == 0 {
			outs[i] = g.ptr(dst)
		} else {
			outs[i] = g.ptr(tmp)
		}
	}
	in, suffix := g.ptr(src), e.suffix
	Z, Y, X := int64(shape.Z), int64(shape.Y), int64(shape.X)
	for i, st := range steps {
		m := uint64(0)
		if i == len(steps)-1 && !copyBack {
			m = maxOut
		}
		var err error
		if st.b != nil {
			grid := [3]uint32{
				uint32(min((X+yxTileX-1)/yxTileX, maxBlocks)),
				uint32(min((Y+yxTileY-1)/yxTileY, 65535, max(maxBlocks/((X+yxTileX-1)/yxTileX), 1))),
				1,
			}
			grid[2] = uint32(min(Z, 65535, max(maxBlocks/(int64(grid[0])*int64(grid[1])), 1)))
			err = g.kernel("seg_gauss_yx_"+suffix, grid, s, outs[i], in, Z, Y, X,
				g.ptr(st.a.w), st.a.r, g.ptr(st.b.w), st.b.r, int32(opt.Mode), float32(opt.Cval), m)
		} else {
			err = g.kernel("seg_gauss_pass_"+suffix, grid3(Z, Y, X, 1), s, outs[i], in, Z, Y, X,
				st.a.axis, g.ptr(st.a.w), st.a.r, int32(opt.Mode), float32(opt.Cval), m)
		}
		if err != nil {
			return err
		}
		in, suffix = outs[i], elemF32.suffix
	}
	if copyBack {
		return g.kernel("seg_convert_f32", grid1(n), s, g.ptr(dst), in, n, maxOut)
	}
	return nil
}

const negInfBits = 0xff800000

// The fused Y and X step's tile (SEG_YX_TX, SEG_YX_TY and SEG_YX_RMAX of
// gaussian.cu).
const (
	yxTileX     = 64
	yxTileY     = 32
	yxMaxRadius = 16
)

// fuseYX enables the fused Y and X step (a variable so that tests cover
// the separate passes too).
var fuseYX = true

// Max enqueues the reduction of region of the float32 volume src (shape)
// to its largest element, stored as a float32 at the start of dst.
func (g *gpu) Max(s offload.Stream, dst, src offload.Buffer, shape stack.Shape, region stack.Box) error {
	if err := shape.Validate(); err != nil {
		return fmt.Errorf("%w: %w", kernels.ErrInvalid, err)
	}
	dims := shape.Dims()
	for a := range 3 {
		if region.Lo[a] < 0 || region.Hi[a] > dims[a] || region.Lo[a] >= region.Hi[a] {
			return fmt.Errorf("%w: max over %v of a %v volume", kernels.ErrInvalid, region, shape)
		}
	}
	if dst.Len() < 4 || src.Len() < 4*shape.Len() {
		return fmt.Errorf("%w: max of %v in buffers of %d and %d bytes", kernels.ErrInvalid, shape, src.Len(), dst.Len())
	}
	out := g.ptr(dst)
	if err := g.kernel("seg_fill_u32", grid1(1), s, out, int64(1), uint32(negInfBits)); err != nil {
		return err
	}
	b := region.Shape()
	return g.kernel("seg_max_box", grid3(int64(b.Z), int64(b.Y), int64(b.X), 1), s, out, g.ptr(src),
		int64(shape.Y), int64(shape.X), int64(region.Lo[0]), int64(region.Lo[1]), int64(region.Lo[2]),
		int64(b.Z), int64(b.Y), int64(b.X))
}

// Threshold enqueues dst[i] = src[i] > t for the first n float32 elements
// of src, dst holding uint8.
func (g *gpu) Threshold(s offload.Stream, dst, src offload.Buffer, n int, t float32) error {
	if n <= 0 || dst.Len() < n || src.Len() < 4*n {
		return fmt.Errorf("%w: threshold of %d elements in buffers of %d and %d bytes", kernels.ErrInvalid, n, src.Len(), dst.Len())
	}
	return g.kernel("seg_threshold", grid1(int64(n)), s, g.ptr(dst), g.ptr(src), int64(n), t)
}
