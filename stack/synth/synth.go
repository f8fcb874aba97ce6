// Package synth makes synthetic Z-stacks for tests, demos and benchmarks:
// nuclei-like blobs on a noisy background, and uniform random volumes. Every
// generator is deterministic for a given shape and seed, whatever the number
// of cores it runs on.
package synth

import (
	"math"
	"runtime"
	"sync"

	"github.com/segstack/segstack/stack"
)

// Blob is one synthetic nucleus: an ellipsoid with a soft edge.
type Blob struct {
	// Center is the blob's centre in voxels, ordered Z, Y, X.
	Center [3]float64
	// Radius is the ellipsoid's semi-axis per axis, ordered Z, Y, X.
	Radius [3]float64
	// Peak is the brightness added at the centre, above the background.
	Peak float64
}

// Background is the mean grey level of the noise floor in Nuclei's output;
// Noise is its standard deviation.
const (
	Background = 100
	Noise      = 12
)

// BlobCount is len(Blobs(shape, seed)), whatever the seed.
func BlobCount(shape stack.Shape) int { return max(1, shape.Len()/6000) }

// Blobs returns the nuclei that Nuclei(shape, seed) draws: about one per
// 6000 voxels of the volume (at least one), with X/Y semi-axes of 5 to 14
// pixels, Z semi-axes of 1.5 to 5 planes and peak brightness 1500 to 3000
// above the background.
func Blobs(shape stack.Shape, seed uint64) []Blob {
	r := newRNG(seed, 0x6e75636c6569)
	blobs := make([]Blob, BlobCount(shape))
	for i := range blobs {
		rxy := 5 + 9*r.float()
		b := Blob{
			Center: [3]float64{
				r.float() * float64(shape.Z),
				r.float() * float64(shape.Y),
				r.float() * float64(shape.X),
			},
			Radius: [3]float64{
				1.5 + 3.5*r.float(),
				rxy * (0.75 + 0.5*r.float()),
				rxy * (0.75 + 0.5*r.float()),
			},
			Peak: 1500 + 1500*r.float(),
		}
		blobs[i] = b
	}
	return blobs
}

// Nuclei returns a uint16 stack of ellipsoidal nuclei of varied size and
// brightness (Blobs) on a background of mean Background and standard
// deviation about Noise. Brightness falls off smoothly towards each
// ellipsoid's surface and is zero beyond it; where blobs overlap the
// brighter one shows, as touching nuclei do. Planes are made in parallel; the result depends only
// on shape and seed. It panics on an invalid shape, as stack.New does.
func Nuclei(shape stack.Shape, seed uint64) *stack.Volume[uint16] {
	v := stack.New[uint16](shape)
	g := newNucleiGen(shape, seed)
	parallelPlanes(shape.Z, func(z int) {
		g.plane(v.Plane(z), make([]float32, shape.PlaneLen()), make([]float32, shape.PlaneLen()), z)
	})
	return v
}

// NucleiPlanes makes the planes of Nuclei(shape, seed) one after another
// and hands each to fn in order, so that a stack of any size is made in the
// memory of a few planes (a plane is only valid during its call). Planes
// are made in parallel, a batch of GOMAXPROCS at a time. It stops at the
// first error fn returns and returns it.
func NucleiPlanes(shape stack.Shape, seed uint64, fn func(z int, plane []uint16) error) error {
	if err := shape.Validate(); err != nil {
		return err
	}
	return newNucleiGen(shape, seed).planes(fn)
}

// planes makes g's planes in order, a batch of GOMAXPROCS at a time, and
// hands each to fn.
func (g *nucleiGen) planes(fn func(z int, plane []uint16) error) error {
	shape := g.shape
	batch := min(shape.Z, runtime.GOMAXPROCS(0))
	planes := make([][]uint16, batch)
	blobs, noise := make([][]float32, batch), make([][]float32, batch)
	for i := range planes {
		planes[i] = make([]uint16, shape.PlaneLen())
		blobs[i] = make([]float32, shape.PlaneLen())
		noise[i] = make([]float32, shape.PlaneLen())
	}
	for z0 := 0; z0 < shape.Z; z0 += batch {
		n := min(batch, shape.Z-z0)
		parallelPlanes(n, func(i int) { g.plane(planes[i], blobs[i], noise[i], z0+i) })
		for i := range n {
			if err := fn(z0+i, planes[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// nucleiGen holds what every plane of a Nuclei stack needs.
type nucleiGen struct {
	shape stack.Shape
	seed  uint64
	blobs []Blob
	// perPlane lists the blobs that touch each plane, so that a plane
	// visits only its own.
	perPlane [][]int32
}

func newNucleiGen(shape stack.Shape, seed uint64) *nucleiGen {
	return newGen(shape, seed, Blobs(shape, seed))
}

// newGen is the generator of a stack with the given blobs.
func newGen(shape stack.Shape, seed uint64, blobs []Blob) *nucleiGen {
	g := &nucleiGen{shape: shape, seed: seed, blobs: blobs, perPlane: make([][]int32, shape.Z)}
	for i, b := range g.blobs {
		z0 := max(0, int(math.Floor(b.Center[0]-b.Radius[0])))
		z1 := min(shape.Z-1, int(math.Ceil(b.Center[0]+b.Radius[0])))
		for z := z0; z <= z1; z++ {
			g.perPlane[z] = append(g.perPlane[z], int32(i))
		}
	}
	return g
}

// plane makes plane z into plane, with blob and noise (a plane's length
// each) as scratch.
func (g *nucleiGen) plane(plane []uint16, blob, noise []float32, z int) {
	clear(blob)
	for _, bi := range g.perPlane[z] {
		addBlob(blob, g.shape, z, g.blobs[bi])
	}
	noisePlane(noise, g.seed, z)
	for i, a := range blob {
		a += noise[i]
		switch {
		case a <= 0:
			plane[i] = 0
		case a >= 65535:
			plane[i] = 65535
		default:
			plane[i] = uint16(a + 0.5)
		}
	}
}

// addBlob raises acc to blob b's cross-section at plane z where that is brighter.
func addBlob(acc []float32, shape stack.Shape, z int, b Blob) {
	dz := (float64(z) - b.Center[0]) / b.Radius[0]
	rest := 1 - dz*dz
	if rest <= 0 {
		return
	}
	// Semi-axes of the ellipse where the plane cuts the ellipsoid.
	ry, rx := b.Radius[1]*math.Sqrt(rest), b.Radius[2]*math.Sqrt(rest)
	y0 := max(0, int(math.Ceil(b.Center[1]-ry)))
	y1 := min(shape.Y-1, int(math.Floor(b.Center[1]+ry)))
	x0 := max(0, int(math.Ceil(b.Center[2]-rx)))
	x1 := min(shape.X-1, int(math.Floor(b.Center[2]+rx)))
	for y := y0; y <= y1; y++ {
		fy := (float64(y) - b.Center[1]) / b.Radius[1]
		row := acc[y*shape.X : (y+1)*shape.X]
		for x := x0; x <= x1; x++ {
			fx := (float64(x) - b.Center[2]) / b.Radius[2]
			d2 := dz*dz + fy*fy + fx*fx
			if d2 >= 1 {
				continue
			}
			// A flat top with a soft shoulder: (1 - d²)^0.5 rises fast
			// at the surface and levels off inside, like a stained nucleus.
			row[x] = max(row[x], float32(b.Peak*math.Sqrt(1-d2)))
		}
	}
}

// noisePlane fills acc with plane z's background: Background plus the sum of
// three uniform deviates scaled to standard deviation Noise.
func noisePlane(acc []float32, seed uint64, z int) {
	r := newRNG(seed, uint64(z)+1)
	// The sum of three U(-0.5, 0.5) has variance 1/4.
	const scale = Noise * 2
	for i := range acc {
		u := r.next()
		a := float64(u&0x1fffff) / (1 << 21)
		b := float64((u>>21)&0x1fffff) / (1 << 21)
		c := float64((u>>42)&0x1fffff) / (1 << 21)
		acc[i] = float32(Background + scale*(a+b+c-1.5))
	}
}

// Random returns a float32 volume of independent uniform values in [0, 1),
// the tutorial's random test array. Planes are filled in parallel; the result
// depends only on shape and seed. It panics on an invalid shape.
func Random(shape stack.Shape, seed uint64) *stack.Volume[float32] {
	v := stack.New[float32](shape)
	parallelPlanes(shape.Z, func(z int) {
		r := newRNG(seed, 0x72616e64<<20+uint64(z))
		p := v.Plane(z)
		for i := range p {
			p[i] = float32(r.next()>>40) / (1 << 24)
		}
	})
	return v
}

// parallelPlanes calls f(z) for every z in [0, n) on up to GOMAXPROCS
// goroutines and returns when all are done.
func parallelPlanes(n int, f func(z int)) {
	workers := min(n, runtime.GOMAXPROCS(0))
	var next sync.Mutex
	z := 0
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				next.Lock()
				i := z
				z++
				next.Unlock()
				if i >= n {
					return
				}
				f(i)
			}
		})
	}
	wg.Wait()
}

// rng is SplitMix64: tiny, fast and good enough for test images. Streams for
// different (seed, stream) pairs are decorrelated by mixing both into the
// starting state.
type rng struct{ s uint64 }

func newRNG(seed, stream uint64) *rng {
	r := &rng{s: seed ^ (stream * 0x9e3779b97f4a7c15)}
	r.next()
	r.s ^= mix(stream + 0x632be59bd9b4e019)
	return r
}

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	return mix(r.s)
}

func (r *rng) float() float64 { return float64(r.next()>>11) / (1 << 53) }

func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
