package segment

import (
	"context"
	"fmt"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/kernels/simd"
	"github.com/segstack/segstack/stack"
)

// zColumnChunk is how many columns of a row one call of the Z combination
// handles, as kernels.Gaussian splits its Z pass, so that both walk a row in
// the same pieces.
const zColumnChunk = 512

// zWindow streams a volume's Z pass: to make output planes z0..z1-1 it
// holds the raw planes that Mode maps positions z0-r .. z1-1+r onto (fewer
// where a mode maps several positions onto one plane) and combines them
// with the Z taps. Walking a run of consecutive output planes reads each raw
// plane once, so memory is 2r+1 planes (plus one per extra output made at
// once) however thick the run is.
//
// The result equals the Z pass of kernels.Gaussian on the whole volume bit
// for bit: the same taps, the same simd.ConvCols arithmetic (ConvColsN
// gives the same values) and the same boundary mapping.
type zWindow struct {
	nz, planeLen, nx int
	r                int
	w                []float32 // taps for offsets 0..r; nil when Z is not smoothed
	mode             stack.Mode
	cvalPlane        []float32 // Constant mode's value outside the volume
	pool             *stack.Pool[float32]
	read             func(ctx context.Context, z int, dst []float32) error

	have map[int][]float32 // raw planes held, by source plane index
	rows [][]float32
}

// newZWindow prepares the Z pass of a Gaussian with opt over nz planes of
// ny×nx samples; read fills a buffer with raw plane z. Buffers come from
// pool (of ny*nx elements).
func newZWindow(opt kernels.GaussianOptions, nz, ny, nx int, pool *stack.Pool[float32], read func(context.Context, int, []float32) error) (*zWindow, error) {
	zw := &zWindow{nz: nz, planeLen: ny * nx, nx: nx, mode: opt.Mode, pool: pool, read: read, have: map[int][]float32{}}
	if pool.Len() != ny*nx {
		return nil, fmt.Errorf("%w: plane pool of %d elements for %dx%d planes", kernels.ErrInvalid, pool.Len(), ny, nx)
	}
	if kernels.Depth(opt)[0] == 0 {
		// No Z pass, or one of radius 0 whose single tap is exactly 1:
		// either way the raw plane itself.
		return zw, nil
	}
	tr := opt.Truncate
	if tr == 0 {
		tr = 4
	}
	k := kernels.Kernel1D(opt.Sigma[0], tr)
	if k == nil {
		return nil, fmt.Errorf("%w: Z sigma %v with truncate %v", kernels.ErrInvalid, opt.Sigma[0], tr)
	}
	zw.r = len(k) / 2
	zw.w = make([]float32, zw.r+1)
	for i := range zw.w {
		zw.w[i] = float32(k[zw.r+i])
	}
	zw.rows = make([][]float32, 2*zw.r+1)
	if opt.Mode == stack.Constant {
		zw.cvalPlane = make([]float32, zw.planeLen)
		for i := range zw.cvalPlane {
			zw.cvalPlane[i] = float32(opt.Cval)
		}
	}
	return zw, nil
}

// source is the raw plane that position p (possibly outside the volume)
// reads, or -1 for Constant mode's cval.
func (zw *zWindow) source(p int) int {
	j, ok := zw.mode.MapIndex(p, zw.nz)
	if !ok {
		return -1
	}
	return j
}

// plane writes the Z-smoothed plane z into dst (planeLen elements).
func (zw *zWindow) plane(ctx context.Context, z int, dst []float32) error {
	return zw.planes(ctx, z, [][]float32{dst})
}

// planes writes the Z-smoothed planes z0, z0+1, ... into dst (one plane of
// planeLen elements each). Planes no longer needed are given back to the
// pool before new ones are read, so at most len(dst)+2r are held; several
// outputs at once read each input row from memory once for all of them.
func (zw *zWindow) planes(ctx context.Context, z0 int, dst [][]float32) error {
	if zw.w == nil {
		for i, d := range dst {
			if err := zw.read(ctx, z0+i, d[:zw.planeLen]); err != nil {
				return err
			}
		}
		return nil
	}
	n := len(dst)
	span := n + 2*zw.r // input positions z0-r .. z0+n-1+r
	need := make(map[int]bool, span)
	for p := z0 - zw.r; p < z0+n+zw.r; p++ {
		if j := zw.source(p); j >= 0 {
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
	in := make([][]float32, span)
	for i := range in {
		if j := zw.source(z0 - zw.r + i); j >= 0 {
			in[i] = zw.have[j]
		} else {
			in[i] = zw.cvalPlane
		}
	}
	if cap(zw.rows) < span {
		zw.rows = make([][]float32, span)
	}
	rows := zw.rows[:span]
	outs := make([][]float32, n)
	for o := 0; o < zw.planeLen; o += zw.nx {
		for c0 := 0; c0 < zw.nx; c0 += zColumnChunk {
			c1 := min(zw.nx, c0+zColumnChunk)
			for k, p := range in {
				rows[k] = p[o+c0 : o+c1]
			}
			if n == 1 {
				simd.ConvCols(dst[0][o+c0:o+c1], rows, zw.w)
				continue
			}
			for i, d := range dst {
				outs[i] = d[o+c0 : o+c1]
			}
			simd.ConvColsN(outs, rows, zw.w)
		}
	}
	return nil
}

// release gives every held plane back to the pool.
func (zw *zWindow) release() {
	for j, buf := range zw.have {
		zw.pool.Put(buf)
		delete(zw.have, j)
	}
}
