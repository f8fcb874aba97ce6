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

// zWindow streams a volume's Z pass plane by plane: to make output plane z
// it holds the raw planes that Mode maps positions z-r .. z+r onto (at most
// 2r+1 of them, fewer where a mode maps several positions onto one plane)
// and combines them with the Z taps. Walking a run of consecutive output
// planes reads each raw plane once, so memory is (2r+1) planes however
// thick the run is.
//
// The result equals the Z pass of kernels.Gaussian on the whole volume bit
// for bit: the same taps, the same simd.ConvCols over the same column
// pieces, and the same boundary mapping.
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

// plane writes the Z-smoothed plane z into dst (planeLen elements). Planes
// no longer needed for z are given back to the pool before new ones are
// read, so at most 2r+1 are held.
func (zw *zWindow) plane(ctx context.Context, z int, dst []float32) error {
	if zw.w == nil {
		return zw.read(ctx, z, dst[:zw.planeLen])
	}
	need := make(map[int]bool, 2*zw.r+1)
	for k := -zw.r; k <= zw.r; k++ {
		if j := zw.source(z + k); j >= 0 {
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
	planes := make([][]float32, 2*zw.r+1)
	for k := -zw.r; k <= zw.r; k++ {
		if j := zw.source(z + k); j >= 0 {
			planes[k+zw.r] = zw.have[j]
		} else {
			planes[k+zw.r] = zw.cvalPlane
		}
	}
	for o := 0; o < zw.planeLen; o += zw.nx {
		for c0 := 0; c0 < zw.nx; c0 += zColumnChunk {
			c1 := min(zw.nx, c0+zColumnChunk)
			for k, p := range planes {
				zw.rows[k] = p[o+c0 : o+c1]
			}
			simd.ConvCols(dst[o+c0:o+c1], zw.rows, zw.w)
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
