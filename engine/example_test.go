package engine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/segstack/segstack/engine"
	"github.com/segstack/segstack/segment"
	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/synth"
	"github.com/segstack/segstack/stack/tiff"
)

// RunEmbedded runs a job on a NATS server and workers inside this process:
// the distributed path with nothing installed. Submit does the same on
// the workers of a server started elsewhere (engine.Connect).
func ExampleRunEmbedded() {
	dir, _ := os.MkdirTemp("", "segstack-example-")
	defer os.RemoveAll(dir)
	in := filepath.Join(dir, "cells.tif")
	shape := stack.Shape{Z: 4, Y: 64, X: 64}
	w, _ := tiff.Create(in, tiff.WriterOptions{Shape: shape, DType: stack.Uint16})
	vol := synth.Nuclei(shape, 1)
	for z := range shape.Z {
		tiff.WritePlaneOf(w, vol.Plane(z))
	}
	w.Close()

	opt := segment.DefaultOptions()
	opt.Input, opt.Output = in, filepath.Join(dir, "cells.ome.zarr")
	out, err := engine.RunEmbedded(context.Background(), opt, 2, "cpu", engine.SubmitOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(out.Objects > 0, out.LabelDType, out.Tasks)
	// Output: true uint16 8
}
