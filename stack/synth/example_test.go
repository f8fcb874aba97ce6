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
