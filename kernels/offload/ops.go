package offload

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/kernels/offload/internal/view"
	"github.com/segstack/segstack/stack"
)

// f32 reads the float32 at the start of b, as a device stored it.
func f32(b []byte) float32 { return math.Float32frombits(binary.NativeEndian.Uint32(b)) }

func checkVolume[T stack.Elem](what string, v *stack.Volume[T]) error {
	if v == nil {
		return fmt.Errorf("offload: %s volume is nil", what)
	}
	if err := v.Shape.Validate(); err != nil {
		return fmt.Errorf("offload: %s volume: %w", what, err)
	}
	if len(v.Data) != v.Shape.Len() {
		return fmt.Errorf("offload: %s volume has %d elements for shape %v", what, len(v.Data), v.Shape)
	}
	return nil
}

func checkPair[D, S stack.Elem](dst *stack.Volume[D], src *stack.Volume[S]) error {
	if err := checkVolume("source", src); err != nil {
		return err
	}
	if err := checkVolume("destination", dst); err != nil {
		return err
	}
	if dst.Shape != src.Shape {
		return fmt.Errorf("offload: destination shape %v differs from source shape %v", dst.Shape, src.Shape)
	}
	return nil
}

// extract copies tile t's region of src into dst (of the tile's shape).
// Only wrapped halos reach outside src (see tile.ext), and they do so
// symmetrically, so the region is the core grown by a depth per axis.
func extract(src *stack.Volume[float32], t tile, wrap bool, dst *stack.Volume[float32]) error {
	var err error
	if wrap {
		var depth [3]int
		for a := range 3 {
			depth[a] = t.core.Lo[a] - t.ext.Lo[a]
		}
		_, err = stack.ExtractTile(src, t.core, depth, stack.Wrap, 0, dst)
	} else {
		_, err = stack.ExtractTile(src, t.ext, [3]int{}, stack.Reflect, 0, dst)
	}
	return err
}

// loadTile returns a job's load step: it fills a tile's input buffer with
// the tile's region of src.
func loadTile(src *stack.Volume[float32], wrap bool) func(tile, []byte) error {
	return func(t tile, in []byte) error {
		v, err := view.Volume[float32](in, t.shape())
		if err != nil {
			return err
		}
		return extract(src, t, wrap, v)
	}
}

// tileOf returns a new volume holding tile t's region of src, for the
// fallback's run of one tile.
func tileOf(src *stack.Volume[float32], t tile, wrap bool) (*stack.Volume[float32], error) {
	in := stack.New[float32](t.shape())
	if err := extract(src, t, wrap, in); err != nil {
		return nil, err
	}
	return in, nil
}

// maxParts gathers a reducing job's maximum: one partial per tile, or the
// fallback's answer when it ran on the whole volume.
type maxParts struct {
	partial  []float32
	whole    float32
	wholeRan bool
}

func (m *maxParts) begin(n int) { m.partial = make([]float32, n) }

// runMax runs j, whose steps fill m, and returns the maximum they found.
func (e *Executor) runMax(ctx context.Context, j *job, m *maxParts) (float32, error) {
	if err := e.run(ctx, j); err != nil {
		return 0, err
	}
	if m.wholeRan {
		return m.whole, nil
	}
	return e.maxOf(ctx, m.partial)
}

// writeCore copies the core of tile t from v (of the tile's shape) into dst.
func writeCore[T stack.Elem](dst *stack.Volume[T], v *stack.Volume[T], t tile) {
	c := t.coreInTile()
	for z := t.core.Lo[0]; z < t.core.Hi[0]; z++ {
		for y := t.core.Lo[1]; y < t.core.Hi[1]; y++ {
			row := v.Row(z-t.ext.Lo[0], y-t.ext.Lo[1])
			copy(dst.Row(z, y)[t.core.Lo[2]:t.core.Hi[2]], row[c.Lo[2]:c.Hi[2]])
		}
	}
}

// maxOf combines per-tile maxima with the fallback's own reduction, so that
// the result follows its rules (NaN included) exactly.
func (e *Executor) maxOf(ctx context.Context, partial []float32) (float32, error) {
	v, err := stack.FromSlice(stack.Shape{Z: 1, Y: 1, X: len(partial)}, partial)
	if err != nil {
		return 0, err
	}
	return e.fb.Max(ctx, v)
}

// Gaussian smooths src into dst tile by tile on the devices, each tile
// carrying a halo of the filter's radius, and returns the maximum of dst.
// Tiles are cut so that the result equals the filter run on the whole
// volume: with mode Wrap the halo is filled by wrapping, with every other
// mode it is clipped at the volume's edges, where the device applies the
// mode itself.
func (e *Executor) Gaussian(ctx context.Context, dst, src *stack.Volume[float32], opt kernels.GaussianOptions) (float32, error) {
	if err := checkPair(dst, src); err != nil {
		return 0, err
	}
	r, err := radius(opt)
	if err != nil {
		return 0, err
	}
	if view.Overlap(dst.Data, src.Data) {
		// Tiles read halos that earlier tiles would already have written.
		src = src.Clone()
	}
	wrap := opt.Mode == stack.Wrap
	var m maxParts
	j := &job{
		op: "gaussian", shape: src.Shape, halo: r, wrap: wrap, inSize: 4, outSize: 4, red: true,
		begin: m.begin,
		load:  loadTile(src, wrap),
		launch: func(d Device, s Stream, t tile, in, out, red Buffer) error {
			if err := d.Gaussian(s, out, in, t.shape(), opt); err != nil {
				return err
			}
			return d.Max(s, red, out, t.shape(), t.coreInTile())
		},
		store: func(i int, t tile, out []byte, tileMax float32) error {
			v, err := view.Volume[float32](out, t.shape())
			if err != nil {
				return err
			}
			writeCore(dst, v, t)
			m.partial[i] = tileMax
			return nil
		},
		cpu: func(i int, t tile) error {
			in, err := tileOf(src, t, wrap)
			if err != nil {
				return err
			}
			out := stack.New[float32](t.shape())
			if _, err := e.fb.Gaussian(ctx, out, in, opt); err != nil {
				return err
			}
			writeCore(dst, out, t)
			core, err := stack.ExtractTile(out, t.coreInTile(), [3]int{}, stack.Reflect, 0, nil)
			if err != nil {
				return err
			}
			m.partial[i], err = e.fb.Max(ctx, core)
			return err
		},
		whole: func() error {
			m.wholeRan = true
			var err error
			m.whole, err = e.fb.Gaussian(ctx, dst, src, opt)
			return err
		},
	}
	return e.runMax(ctx, j, &m)
}

// Max returns the largest element of src, reduced per tile on the devices.
func (e *Executor) Max(ctx context.Context, src *stack.Volume[float32]) (float32, error) {
	if err := checkVolume("source", src); err != nil {
		return 0, err
	}
	var m maxParts
	j := &job{
		op: "max", shape: src.Shape, inSize: 4, red: true,
		begin: m.begin,
		load:  loadTile(src, false),
		launch: func(d Device, s Stream, t tile, in, _, red Buffer) error {
			return d.Max(s, red, in, t.shape(), stack.Box{Hi: t.shape().Dims()})
		},
		store: func(i int, _ tile, _ []byte, tileMax float32) error {
			m.partial[i] = tileMax
			return nil
		},
		cpu: func(i int, t tile) error {
			in, err := tileOf(src, t, false)
			if err != nil {
				return err
			}
			m.partial[i], err = e.fb.Max(ctx, in)
			return err
		},
		whole: func() error {
			m.wholeRan = true
			var err error
			m.whole, err = e.fb.Max(ctx, src)
			return err
		},
	}
	return e.runMax(ctx, j, &m)
}

// Threshold sets dst to 1 where src > t and to 0 elsewhere, tile by tile
// on the devices.
func (e *Executor) Threshold(ctx context.Context, dst *stack.Volume[uint8], src *stack.Volume[float32], th float32) error {
	if err := checkPair(dst, src); err != nil {
		return err
	}
	j := &job{
		op: "threshold", shape: src.Shape, inSize: 4, outSize: 1,
		begin: func(int) {},
		load:  loadTile(src, false),
		launch: func(d Device, s Stream, t tile, in, out, _ Buffer) error {
			return d.Threshold(s, out, in, t.shape().Len(), th)
		},
		store: func(_ int, t tile, out []byte, _ float32) error {
			v, err := view.Volume[uint8](out, t.shape())
			if err != nil {
				return err
			}
			writeCore(dst, v, t)
			return nil
		},
		cpu: func(_ int, t tile) error {
			in, err := tileOf(src, t, false)
			if err != nil {
				return err
			}
			out := stack.New[uint8](t.shape())
			if err := e.fb.Threshold(ctx, out, in, th); err != nil {
				return err
			}
			writeCore(dst, out, t)
			return nil
		},
		whole: func() error { return e.fb.Threshold(ctx, dst, src, th) },
	}
	return e.run(ctx, j)
}

// Label labels mask on the fallback backend; labelling on a device is not
// implemented yet.
func (e *Executor) Label(ctx context.Context, dst *stack.Volume[uint32], mask *stack.Volume[uint8], conn kernels.Connectivity) (int, error) {
	if e.isClosed() {
		return 0, errClosed
	}
	return e.fb.Label(ctx, dst, mask, conn)
}

// LabelChunkAbove labels one chunk of a grid for the chunk merge on the
// fallback backend.
func (e *Executor) LabelChunkAbove(ctx context.Context, grid stack.Grid, idx int, dst *stack.Volume[uint32], src *stack.Volume[float32], t float32, intensity *stack.Volume[float32], conn kernels.Connectivity) (*kernels.ChunkLabels, error) {
	if e.isClosed() {
		return nil, errClosed
	}
	return e.fb.LabelChunkAbove(ctx, grid, idx, dst, src, t, intensity, conn)
}

// Narrow16 narrows labels on the fallback backend: the labels are on the
// host already, and a copy to a device would cost more than the work.
func (e *Executor) Narrow16(ctx context.Context, dst *stack.Volume[uint16], src *stack.Volume[uint32]) error {
	if e.isClosed() {
		return errClosed
	}
	return e.fb.Narrow16(ctx, dst, src)
}

// Min returns the smallest element of src, on the fallback backend (the
// Device interface has no minimum).
func (e *Executor) Min(ctx context.Context, src *stack.Volume[float32]) (float32, error) {
	if e.isClosed() {
		return 0, errClosed
	}
	return e.fb.Min(ctx, src)
}

// GaussianZ is the fallback backend's streamed Z pass: its planes are
// made one at a time from planes the caller reads, too little work per
// plane for a round trip to a device to pay.
func (e *Executor) GaussianZ(opt kernels.GaussianOptions, shape stack.Shape, pool *stack.Pool[float32], read kernels.PlaneReader) (kernels.ZStream, error) {
	if e.isClosed() {
		return nil, errClosed
	}
	return e.fb.GaussianZ(opt, shape, pool, read)
}

func (e *Executor) isClosed() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.closed
}

var _ kernels.Backend = (*Executor)(nil)
