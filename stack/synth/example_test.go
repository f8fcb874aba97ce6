package synth_test

import (
	"fmt"
	"slices"

	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/synth"
)

// Nuclei makes the same stack for the same shape and seed on any machine:
// soft-edged blobs over a noise floor near synth.Background.
func ExampleNuclei() {
	s := stack.Shape{Z: 4, Y: 64, X: 64}
	a, b := synth.Nuclei(s, 7), synth.Nuclei(s, 7)
	fmt.Println(slices.Equal(a.Data, b.Data), len(synth.Blobs(s, 7)) == synth.BlobCount(s))
	bright := 0
	for _, v := range a.Data {
		if v > synth.Background+6*synth.Noise {
			bright++
		}
	}
	fmt.Println(bright > 0, bright < s.Len()/2)
	// Output:
	// true true
	// true true
}

// NucleiPlanes hands out the planes of the same stack one at a time, so a
// stack larger than memory can be streamed to a file.
func ExampleNucleiPlanes() {
	s := stack.Shape{Z: 3, Y: 32, X: 48}
	whole := synth.Nuclei(s, 1)
	same := true
	err := synth.NucleiPlanes(s, 1, func(z int, plane []uint16) error {
		same = same && slices.Equal(plane, whole.Plane(z))
		return nil
	})
	fmt.Println(err, same)
	// Output:
	// <nil> true
}

// NucleiDense packs nuclei so that they touch; Truth says which nucleus
// each voxel belongs to, so a segmentation can be scored against it.
func ExampleNucleiDense() {
	s := stack.Shape{Z: 4, Y: 128, X: 128}
	img, err := synth.NucleiDense(s, 1, 0.4)
	if err != nil {
		fmt.Println(err)
		return
	}
	truth, err := synth.Truth(s, 1, 0.4, 900)
	if err != nil {
		fmt.Println(err)
		return
	}
	blobs, _ := synth.DenseBlobs(s, 1, 0.4)
	perPlane, _ := synth.CountObjects(truth, 20)
	fmt.Println(img.Shape == s, len(blobs) > synth.BlobCount(s), perPlane[0] > 10)
	_, err = synth.NucleiDense(s, 1, 0.9)
	fmt.Println(err)
	// Output:
	// true true true
	// density 0.9 is outside (0, 0.6] (0 selects the sparse default)
}
