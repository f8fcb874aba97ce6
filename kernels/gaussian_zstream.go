package kernels

import (
	"context"
	"fmt"

	"github.com/segstack/segstack/stack"
)

// PlaneReader fills dst (one plane of Y*X samples) with plane z of a
// volume, as float32.
type PlaneReader func(ctx context.Context, z int, dst []float32) error

// ZStream makes the Z pass of a Gaussian filter plane by plane, reading the
// raw planes it needs on demand, so that a volume too large for memory can
// be smoothed in 3-D: the Y and X passes of the filter are then the 2-D
// filter of each Z-smoothed plane. A ZStream is used by one goroutine at a
// time.
type ZStream interface {
	// Planes writes the Z-smoothed planes z0, z0+1, ... into dst, one plane
	// of Y*X samples each. Consecutive calls for consecutive planes read
	// each raw plane once.
	Planes(ctx context.Context, z0 int, dst [][]float32) error
	// Close gives back every raw plane the stream holds.
	Close()
}

// NewZStream returns the CPU's ZStream for the Z pass of the Gaussian opt
// (only Sigma[0], Truncate, Mode and Cval count) over a volume of shape.
// read supplies raw planes; their buffers come from pool, whose buffers
// must be one plane long. Making planes z0..z1-1 in order holds the 2r+1
// raw planes around the plane being made (2r plus one per plane made in
// one call), however many planes the run covers. The result equals the Z
// pass of Gaussian on the whole volume bit for bit: both use the same taps,
// boundary mapping and arithmetic (axisPlan.convZ).
func NewZStream(opt GaussianOptions, shape stack.Shape, pool *stack.Pool[float32], read PlaneReader) (ZStream, error) {
	tr, err := checkGaussian(shape, opt)
	if err != nil {
		return nil, err
	}
	if pool == nil || read == nil {
		return nil, fmt.Errorf("%w: Z stream needs a plane pool and a reader", ErrInvalid)
	}
	planeLen := shape.PlaneLen()
	if pool.Len() != planeLen {
		return nil, fmt.Errorf("%w: plane pool of %d elements for %dx%d planes", ErrInvalid, pool.Len(), shape.Y, shape.X)
	}
	az, err := newAxisPlan(shape.Z, opt.Sigma[0], tr, opt.Mode)
	if err != nil {
		return nil, err
	}
	zw := &zWindow{nz: shape.Z, planeLen: planeLen, nx: shape.X, pool: pool, read: read, have: map[int][]float32{}}
	if az.r == 0 {
		// No Z pass, or one of radius 0 whose single tap is exactly 1:
		// either way the raw plane itself.
		return zw, nil
	}
	zw.az = az
	if opt.Mode == stack.Constant {
		zw.cvalPlane = make([]float32, planeLen)
		for i := range zw.cvalPlane {
			zw.cvalPlane[i] = float32(opt.Cval)
		}
	}
	return zw, nil
}

// zWindow is the CPU's ZStream: to make output planes z0..z1-1 it holds the
// raw planes that the mode maps positions z0-r .. z1-1+r onto (fewer where
// the mode maps several positions onto one plane) and combines their rows
// with axisPlan.convZ.
type zWindow struct {
	nz, planeLen, nx int
	az               axisPlan // the Z axis; inactive when planes pass through
	cvalPlane        []float32
	pool             *stack.Pool[float32]
	read             PlaneReader

	have map[int][]float32 // raw planes held, by source plane index
	in   [][]float32       // the planes of positions z0-r .. z1-1+r
	rows [][]float32       // one row of each of in
	outs [][]float32       // one row of each output
}

// Planes implements ZStream. Planes no longer needed are given back to the
// pool before new ones are read, so at most len(dst)+2r are held.
func (zw *zWindow) Planes(ctx context.Context, z0 int, dst [][]float32) error {
	n := len(dst)
	if z0 < 0 || z0+n > zw.nz {
		return fmt.Errorf("%w: planes %d..%d of a volume of %d", ErrInvalid, z0, z0+n-1, zw.nz)
	}
	for _, d := range dst {
		if len(d) < zw.planeLen {
			return fmt.Errorf("%w: output plane of %d elements, want %d", ErrInvalid, len(d), zw.planeLen)
		}
	}
	if !zw.az.active() {
		for i, d := range dst {
			if err := zw.read(ctx, z0+i, d[:zw.planeLen]); err != nil {
				return err
			}
		}
		return nil
	}
	r := zw.az.r
	span := n + 2*r // input positions z0-r .. z0+n-1+r
	need := make(map[int]bool, span)
	for p := z0 - r; p < z0+n+r; p++ {
		if j := zw.az.at(p); j >= 0 {
			need[j] = true
		}
	}
	for j, buf := range zw.have {
		if !need[j] {
			zw.pool.Put(buf)
			delete(zw.have, j)
		}
	}
	for j := range need {
		if _, ok := zw.have[j]; ok {
			continue
		}
		buf := zw.pool.Get()
		if err := zw.read(ctx, j, buf); err != nil {
			zw.pool.Put(buf)
			return err
		}
		zw.have[j] = buf
	}
	if cap(zw.in) < span {
		zw.in = make([][]float32, span)
		zw.rows = make([][]float32, span)
	}
	in, rows := zw.in[:span], zw.rows[:span]
	for i := range in {
		if j := zw.az.at(z0 - r + i); j >= 0 {
			in[i] = zw.have[j]
		} else {
			in[i] = zw.cvalPlane
		}
	}
	if cap(zw.outs) < n {
		zw.outs = make([][]float32, n)
	}
	outs := zw.outs[:n]
	for o := 0; o < zw.planeLen; o += zw.nx {
		for k, p := range in {
			rows[k] = p[o : o+zw.nx]
		}
		for i, d := range dst {
			outs[i] = d[o : o+zw.nx]
		}
		zw.az.convZ(outs, rows)
	}
	return nil
}

// Close implements ZStream.
func (zw *zWindow) Close() {
	for j, buf := range zw.have {
		zw.pool.Put(buf)
		delete(zw.have, j)
	}
}
