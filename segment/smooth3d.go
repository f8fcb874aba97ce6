package segment

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
)

// smoothRuns is how many runs of planes per worker the 3-D smoothing pass
// is split into: more than one so that a worker slowed by others on the
// machine does not hold up the end of the pass, few because each run
// re-reads the 2r raw planes around it.
const smoothRuns = 2

// zGroup3D is how many planes the 3-D smoothing pass takes through the Z
// pass at once: each input row is then read from memory once per group
// rather than once per output, for zGroup3D-1 more raw planes and zGroup3D
// Z-smoothed planes held per worker.
const zGroup3D = 2

// smoothRun is what one 3-D smoothing task hands back.
type smoothRun struct {
	z0, z1 int
	lo, hi float32
	times  StageSeconds
}

// smooth3D smooths the volume into the scratch file f (float32 planes in
// order) and returns the extremes of the smoothed volume. Each task streams
// a run of consecutive planes, zGroup3D at a time: the Z pass through a
// window of the 2r+zGroup3D raw planes they need (the backend's
// GaussianZ), then the Y and X passes on each Z-smoothed plane. A worker holds 2r+2*zGroup3D+1 planes
// whatever the run's length, and no plane is smoothed twice. Plane buffers
// come from planes (one plane each). done is called with each run's plane
// count, in order.
func (r *run) smooth3D(ctx context.Context, f *os.File, planes *stack.Pool[float32], done func(planes int)) (lo, hi float32, err error) {
	s := r.shape
	nruns := min(s.Z, smoothRuns*r.workers)
	thick := (s.Z + nruns - 1) / nruns
	nruns = (s.Z + thick - 1) / thick

	err = forEachOrdered(ctx, r, nruns, "smooth", func(ctx context.Context, k int) (smoothRun, error) {
		return r.smoothPlanes(ctx, f, planes, k*thick, min(s.Z, (k+1)*thick))
	}, func(k int, out smoothRun) error {
		if k == 0 {
			lo, hi = out.lo, out.hi
		}
		lo, hi = min(lo, out.lo), max(hi, out.hi)
		r.addTimes(out.times)
		done(out.z1 - out.z0)
		return nil
	})
	return lo, hi, err
}

// smoothPlanes smooths planes z0..z1-1 of the volume into f (see smooth3D),
// streaming the raw planes through the backend's Z pass.
func (r *run) smoothPlanes(ctx context.Context, f *os.File, planes *stack.Pool[float32], z0, z1 int) (smoothRun, error) {
	s := r.shape
	planeLen := s.PlaneLen()
	gopt := kernels.GaussianOptions{Sigma: r.opt.Sigma, Mode: stack.Reflect}
	plane := stack.Shape{Z: 1, Y: s.Y, X: s.X}
	out := smoothRun{z0: z0, z1: z1}
	var readSec float64
	read := func(ctx context.Context, z int, dst []float32) error {
		t0 := time.Now()
		defer func() { readSec += time.Since(t0).Seconds() }()
		if err := r.src.ReadPlane(ctx, z, dst); err != nil {
			return fmt.Errorf("read plane %d: %w", z, err)
		}
		return nil
	}
	zstream, err := r.backend.GaussianZ(gopt, s, planes, read)
	if err != nil {
		return out, fmt.Errorf("gaussian: %w", err)
	}
	defer zstream.Close()
	zs := make([]*stack.Volume[float32], zGroup3D)
	for i := range zs {
		zs[i] = &stack.Volume[float32]{Shape: plane, Data: planes.Get()}
		defer planes.Put(zs[i].Data)
	}
	sm := &stack.Volume[float32]{Shape: plane, Data: planes.Get()}
	defer planes.Put(sm.Data)
	group := make([][]float32, zGroup3D)
	var smoothSec, writeSec float64
	for g0 := out.z0; g0 < out.z1; g0 += zGroup3D {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		t0 := time.Now()
		before := readSec
		n := min(zGroup3D, out.z1-g0)
		for i := range n {
			group[i] = zs[i].Data
		}
		if err := zstream.Planes(ctx, g0, group[:n]); err != nil {
			return out, err
		}
		smoothSec -= readSec - before
		for i := range n {
			z := g0 + i
			// The Y and X passes of the volume's filter are the 2-D
			// filter of each Z-smoothed plane (r.gaussian drops the
			// Z sigma of a one-plane volume).
			h, err := r.gaussian(ctx, sm, zs[i])
			if err != nil {
				return out, fmt.Errorf("gaussian: %w", err)
			}
			l, err := r.backend.Min(ctx, sm)
			if err != nil {
				return out, err
			}
			if z == out.z0 {
				out.lo, out.hi = l, h
			}
			out.lo, out.hi = min(out.lo, l), max(out.hi, h)
			t1 := time.Now()
			smoothSec += t1.Sub(t0).Seconds()
			if _, err := f.WriteAt(f32Bytes(sm.Data), int64(z)*int64(planeLen)*4); err != nil {
				return out, fmt.Errorf("scratch file: %w", err)
			}
			t0 = time.Now()
			writeSec += t0.Sub(t1).Seconds()
		}
	}
	out.times = StageSeconds{Read: readSec, Gaussian: smoothSec, Write: writeSec}
	return out, nil
}
