package synth

import (
	"fmt"
	"math"

	"github.com/segstack/segstack/stack"
)

// MaxDensity is the largest density DenseBlobs accepts: beyond it random
// sequential placement cannot fit the nuclei without merging them.
const MaxDensity = 0.6

// denseSeparation is how close two dense nuclei may come: their centres are
// at least this fraction of the sum of their semi-axes apart (in the
// ellipsoids' scaled metric), so neighbours touch and overlap a little, as
// packed nuclei do, but each keeps its own bright core.
const denseSeparation = 0.8

// denseMaxMisses is how many rejected draws in a row end the placement of
// a stack too small or too full to reach its density.
const denseMaxMisses = 2000

// DensityError says that a density is outside (0, MaxDensity].
type DensityError struct{ Density float64 }

func (e *DensityError) Error() string {
	return fmt.Sprintf("density %g is outside (0, %g] (0 selects the sparse default)", e.Density, MaxDensity)
}

// DenseBlobs returns the nuclei NucleiDense(shape, seed, density) draws.
// Density 0 returns Blobs(shape, seed). Otherwise density is the fraction of
// the volume the nuclei's ellipsoids fill, up to MaxDensity: blobs of
// Blobs' size and brightness distribution are placed one after another at
// random, each kept only if its centre is at least 0.8 times the sum of the
// two semi-axes from every blob already placed (per axis, in the ellipsoids'
// scaled metric), until their volumes sum to density times the stack's.
// Neighbours therefore touch and overlap slightly, but no nucleus hides
// another. A stack too small to hold that many nuclei gets as many as
// random placement fits.
func DenseBlobs(shape stack.Shape, seed uint64, density float64) ([]Blob, error) {
	if err := shape.Validate(); err != nil {
		return nil, err
	}
	if density == 0 {
		return Blobs(shape, seed), nil
	}
	if !(density > 0 && density <= MaxDensity) {
		return nil, &DensityError{Density: density}
	}
	r := newRNG(seed, 0x64656e7365)
	target := density * float64(shape.Len())
	// A spatial hash with cells as large as the largest possible sum of
	// semi-axes, so that a conflict can only be with a neighbouring cell.
	const cellZ, cellXY = 10.0, 35.0
	nz, ny, nx := int(float64(shape.Z)/cellZ)+1, int(float64(shape.Y)/cellXY)+1, int(float64(shape.X)/cellXY)+1
	grid := map[[3]int][]int32{}
	var blobs []Blob
	var filled float64
	for misses := 0; filled < target && misses < denseMaxMisses; {
		rxy := 5 + 9*r.float()
		b := Blob{
			Center: [3]float64{r.float() * float64(shape.Z), r.float() * float64(shape.Y), r.float() * float64(shape.X)},
			Radius: [3]float64{1.5 + 3.5*r.float(), rxy * (0.75 + 0.5*r.float()), rxy * (0.75 + 0.5*r.float())},
			Peak:   1500 + 1500*r.float(),
		}
		cell := [3]int{int(b.Center[0] / cellZ), int(b.Center[1] / cellXY), int(b.Center[2] / cellXY)}
		if conflicts(blobs, grid, cell, b, nz, ny, nx) {
			misses++
			continue
		}
		misses = 0
		grid[cell] = append(grid[cell], int32(len(blobs)))
		blobs = append(blobs, b)
		filled += 4 * math.Pi / 3 * b.Radius[0] * b.Radius[1] * b.Radius[2]
	}
	return blobs, nil
}

// conflicts reports whether b comes closer than denseSeparation to a blob
// of the cells around cell.
func conflicts(blobs []Blob, grid map[[3]int][]int32, cell [3]int, b Blob, nz, ny, nx int) bool {
	for cz := max(0, cell[0]-1); cz <= min(nz-1, cell[0]+1); cz++ {
		for cy := max(0, cell[1]-1); cy <= min(ny-1, cell[1]+1); cy++ {
			for cx := max(0, cell[2]-1); cx <= min(nx-1, cell[2]+1); cx++ {
				for _, i := range grid[[3]int{cz, cy, cx}] {
					o := blobs[i]
					var d2 float64
					for a := range 3 {
						d := (b.Center[a] - o.Center[a]) / (b.Radius[a] + o.Radius[a])
						d2 += d * d
					}
					if d2 < denseSeparation*denseSeparation {
						return true
					}
				}
			}
		}
	}
	return false
}

// NucleiDense returns a stack like Nuclei's whose nuclei fill the given
// fraction of the volume (DenseBlobs), so that many of them touch. Density
// 0 gives exactly Nuclei(shape, seed). The result depends only on shape,
// seed and density.
func NucleiDense(shape stack.Shape, seed uint64, density float64) (*stack.Volume[uint16], error) {
	blobs, err := DenseBlobs(shape, seed, density)
	if err != nil {
		return nil, err
	}
	v := stack.New[uint16](shape)
	g := newGen(shape, seed, blobs)
	parallelPlanes(shape.Z, func(z int) {
		g.plane(v.Plane(z), make([]float32, shape.PlaneLen()), make([]float32, shape.PlaneLen()), z)
	})
	return v, nil
}

// NucleiDensePlanes makes the planes of NucleiDense(shape, seed, density)
// one after another and hands each to fn in order, as NucleiPlanes does.
func NucleiDensePlanes(shape stack.Shape, seed uint64, density float64, fn func(z int, plane []uint16) error) error {
	blobs, err := DenseBlobs(shape, seed, density)
	if err != nil {
		return err
	}
	return newGen(shape, seed, blobs).planes(fn)
}

// Truth returns the ground truth of NucleiDense(shape, seed, density): each
// voxel holds i+1 where blob i of DenseBlobs is the one that shows there
// (the brightest, as in the image; the first of equals) and its brightness
// above the background is at least level, and 0 elsewhere. With level 0
// every blob is its whole ellipsoid; a level near a segmentation's
// threshold (less Background) keeps the part of each nucleus a threshold can
// see, whose objects are the ones a segmentation should find.
func Truth(shape stack.Shape, seed uint64, density, level float64) (*stack.Volume[uint32], error) {
	blobs, err := DenseBlobs(shape, seed, density)
	if err != nil {
		return nil, err
	}
	g := newGen(shape, seed, blobs)
	v := stack.New[uint32](shape)
	parallelPlanes(shape.Z, func(z int) {
		best := make([]float32, shape.PlaneLen())
		labels := v.Plane(z)
		for _, bi := range g.perPlane[z] {
			truthBlob(best, labels, shape, z, blobs[bi], uint32(bi)+1)
		}
		for i, b := range best {
			if float64(b) < level || b == 0 {
				labels[i] = 0
			}
		}
	})
	return v, nil
}

// truthBlob marks with label the pixels of plane z where blob b is brighter
// than best, as addBlob raises the image.
func truthBlob(best []float32, labels []uint32, shape stack.Shape, z int, b Blob, label uint32) {
	dz := (float64(z) - b.Center[0]) / b.Radius[0]
	rest := 1 - dz*dz
	if rest <= 0 {
		return
	}
	ry, rx := b.Radius[1]*math.Sqrt(rest), b.Radius[2]*math.Sqrt(rest)
	y0 := max(0, int(math.Ceil(b.Center[1]-ry)))
	y1 := min(shape.Y-1, int(math.Floor(b.Center[1]+ry)))
	x0 := max(0, int(math.Ceil(b.Center[2]-rx)))
	x1 := min(shape.X-1, int(math.Floor(b.Center[2]+rx)))
	for y := y0; y <= y1; y++ {
		fy := (float64(y) - b.Center[1]) / b.Radius[1]
		for x := x0; x <= x1; x++ {
			fx := (float64(x) - b.Center[2]) / b.Radius[2]
			d2 := dz*dz + fy*fy + fx*fx
			if d2 >= 1 {
				continue
			}
			i := y*shape.X + x
			if f := float32(b.Peak * math.Sqrt(1-d2)); f > best[i] {
				best[i], labels[i] = f, label
			}
		}
	}
}

// CountObjects counts the objects of a label volume that have at least
// minSize voxels: in every plane on its own (perPlane, the count a 2-D
// segmentation should find in that plane) and in the volume as a whole.
func CountObjects(labels *stack.Volume[uint32], minSize int) (perPlane []int, volume int) {
	total := map[uint32]int{}
	perPlane = make([]int, labels.Shape.Z)
	for z := range labels.Shape.Z {
		plane := map[uint32]int{}
		for _, l := range labels.Plane(z) {
			if l != 0 {
				plane[l]++
			}
		}
		for l, n := range plane {
			if n >= minSize {
				perPlane[z]++
			}
			total[l] += n
		}
	}
	for _, n := range total {
		if n >= minSize {
			volume++
		}
	}
	return perPlane, volume
}
