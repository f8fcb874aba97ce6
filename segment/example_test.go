package segment_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/segstack/segstack/segment"
	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/synth"
)

// Segment an in-memory stack plane by plane and write the labels and the
// per-object statistics.
func ExampleRun() {
	dir, _ := os.MkdirTemp("", "segment-example-")
	defer os.RemoveAll(dir)

	opt := segment.DefaultOptions() // sigma 1, 0.33 × max, connectivity 4
	opt.Source = segment.VolumeSource(synth.Nuclei(stack.Shape{Z: 3, Y: 128, X: 128}, 1))
	opt.Output = filepath.Join(dir, "labels.tif")
	opt.Stats = filepath.Join(dir, "objects.csv")
	rep, err := segment.Run(context.Background(), opt)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("objects per plane:", rep.Counts, "labels:", rep.LabelDType)
	// Output: objects per plane: [5 5 5] labels: uint16
}
