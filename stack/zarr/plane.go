package zarr

import (
	"context"
	"fmt"
	"sync"

	"github.com/segstack/segstack/stack"
)

// Planes presents an array of two or more dimensions as a stack of Y×X
// planes, the last two dimensions, numbered in C order over all the
// leading ones: a (C, Z, Y, X) array has C·Z planes, plane c·Z+z holding
// channel c at depth z. It serves the pipeline as the TIFF reader does:
// Shape, DType and ReadPlane read any plane on demand. Planes is safe for
// concurrent use.
type Planes struct {
	a     *Array
	lead  []int // extents of the leading dimensions
	shape stack.Shape
	pool  sync.Pool // plane buffers for conversions
}

// Planes returns the array's plane view. It fails for arrays of fewer than
// two dimensions, empty arrays, and planes too large for an int.
func (a *Array) Planes() (*Planes, error) {
	s := a.meta.shape
	nd := len(s)
	if nd < 2 {
		return nil, fmt.Errorf("zarr: %s: a %d-dimensional array has no planes", a.path, nd)
	}
	z := product(s[:nd-2])
	sh := stack.Shape{Z: z, Y: s[nd-2], X: s[nd-1]}
	if err := sh.Validate(); err != nil {
		return nil, fmt.Errorf("zarr: %s: %w", a.path, err)
	}
	return &Planes{a: a, lead: s[:nd-2], shape: sh}, nil
}

// Array is the array the planes belong to.
func (p *Planes) Array() *Array { return p.a }

// Shape is the stack's extent: Z counts the planes.
func (p *Planes) Shape() stack.Shape { return p.shape }

// DType is the element type planes are read as: the array's, except that
// float64 arrays read as float32.
func (p *Planes) DType() stack.DType { return p.a.meta.dtype.Stack() }

// PlaneBytes is the size of one plane of the array's own element type.
func (p *Planes) PlaneBytes() int { return p.shape.PlaneLen() * p.a.meta.dtype.Size() }

// region returns the origin and shape of plane z in the array.
func (p *Planes) region(z int) (origin, shape []int, err error) {
	if z < 0 || z >= p.shape.Z {
		return nil, nil, fmt.Errorf("zarr: plane %d out of range [0, %d)", z, p.shape.Z)
	}
	nd := len(p.lead) + 2
	origin = make([]int, nd)
	shape = make([]int, nd)
	for i := len(p.lead) - 1; i >= 0; i-- {
		origin[i] = z % p.lead[i]
		z /= p.lead[i]
		shape[i] = 1
	}
	shape[nd-2], shape[nd-1] = p.shape.Y, p.shape.X
	return origin, shape, nil
}

// ReadPlaneInto reads plane z into dst, PlaneBytes bytes of the array's
// element type in the machine's byte order.
func (p *Planes) ReadPlaneInto(ctx context.Context, z int, dst []byte) error {
	origin, shape, err := p.region(z)
	if err != nil {
		return err
	}
	if len(dst) != p.PlaneBytes() {
		return fmt.Errorf("zarr: destination holds %d bytes, a plane needs %d", len(dst), p.PlaneBytes())
	}
	if err := p.a.Read(ctx, origin, shape, dst); err != nil {
		return fmt.Errorf("plane %d: %w", z, err)
	}
	return nil
}

// ReadPlane converts plane z to float32 into dst (Y·X elements).
func (p *Planes) ReadPlane(ctx context.Context, z int, dst []float32) error {
	if len(dst) != p.shape.PlaneLen() {
		return fmt.Errorf("zarr: destination holds %d elements, a plane has %d", len(dst), p.shape.PlaneLen())
	}
	dt := p.a.meta.dtype
	if dt == Float32 {
		return p.ReadPlaneInto(ctx, z, asBytes(dst))
	}
	buf := p.getPlane()
	defer p.pool.Put(buf)
	if err := p.ReadPlaneInto(ctx, z, *buf); err != nil {
		return err
	}
	toFloat32(dst, *buf, dt)
	return nil
}

func (p *Planes) getPlane() *[]byte {
	if b, ok := p.pool.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, p.PlaneBytes())
	return &b
}

// ReadPlane reads plane z into dst, which holds Y·X elements of the
// array's element type; a float64 array is read into float32.
func ReadPlane[T stack.Elem](ctx context.Context, p *Planes, z int, dst []T) error {
	want := stack.DTypeOf[T]()
	dt := p.a.meta.dtype
	if dt == Float64 && want == stack.Float32 {
		return p.ReadPlane(ctx, z, asElems[float32](asBytes(dst)))
	}
	if FromStack(want) != dt {
		return fmt.Errorf("zarr: array holds %v, destination is %v", dt, want)
	}
	if len(dst) != p.shape.PlaneLen() {
		return fmt.Errorf("zarr: destination holds %d elements, a plane has %d", len(dst), p.shape.PlaneLen())
	}
	return p.ReadPlaneInto(ctx, z, asBytes(dst))
}

// ReadVolume reads every plane into a new volume; T must match the array's
// element type as for ReadPlane. It is meant for stacks that fit in memory.
func ReadVolume[T stack.Elem](ctx context.Context, p *Planes) (*stack.Volume[T], error) {
	v, err := stack.FromSlice(p.shape, make([]T, p.shape.Len()))
	if err != nil {
		return nil, err
	}
	for z := 0; z < p.shape.Z; z++ {
		if err := ReadPlane(ctx, p, z, v.Plane(z)); err != nil {
			return nil, err
		}
	}
	return v, nil
}
