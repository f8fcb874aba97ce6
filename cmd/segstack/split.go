package main

import (
	"errors"
	"fmt"

	"github.com/segstack/segstack/segment"
	"github.com/spf13/cobra"
)

// splitFlags are the flags that split touching objects, on segment and
// demo.
type splitFlags struct {
	split, seeds     string
	minDistance      int
	fillHoles        bool
	minSize, maxSize int
}

// add registers the flags on cmd.
func (f *splitFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.split, "split", "", "split touching objects: watershed (seeds, seeded watershed within the mask, size filter)")
	fl.StringVar(&f.seeds, "seeds", "intensity", "with --split: seed at the peaks of the smoothed intensity, or of the mask's distance transform (distance)")
	fl.IntVar(&f.minDistance, "min-distance", segment.DefaultMinDistance, "with --split: smallest distance between two seeds, in pixels (peak_local_max's min_distance)")
	fl.BoolVar(&f.fillHoles, "fill-holes", false, "with --split: fill the holes of the mask before seeding (binary_fill_holes)")
	fl.IntVar(&f.minSize, "min-size", segment.DefaultMinSize, "with --split: drop objects of fewer pixels (voxels in 3d)")
	fl.IntVar(&f.maxSize, "max-size", 0, "with --split: drop objects of more pixels (voxels in 3d); 0: no limit")
}

// options reads the flags into split options.
func (f *splitFlags) options(cmd *cobra.Command) (segment.SplitOptions, error) {
	o := segment.SplitOptions{MinDistance: f.minDistance, FillHoles: f.fillHoles, MinSize: f.minSize, MaxSize: f.maxSize}
	var err error
	if o.Method, err = segment.ParseSplit(f.split); err != nil {
		return o, fmt.Errorf("--split: %w", err)
	}
	if o.Method == segment.SplitNone {
		for _, name := range []string{"seeds", "min-distance", "fill-holes", "min-size", "max-size"} {
			if cmd.Flags().Changed(name) {
				return o, fmt.Errorf("--%s applies to splitting touching objects: add --split watershed", name)
			}
		}
		return o, nil
	}
	if o.Seeds, err = segment.ParseSeeds(f.seeds); err != nil {
		return o, fmt.Errorf("--seeds: %w", err)
	}
	switch {
	case f.minDistance < 1:
		return o, fmt.Errorf("--min-distance %d: want 1 or more pixels", f.minDistance)
	case f.minSize < 0:
		return o, fmt.Errorf("--min-size %d: want 0 or more", f.minSize)
	case f.maxSize < 0:
		return o, fmt.Errorf("--max-size %d: want 0 (no limit) or more", f.maxSize)
	case f.maxSize > 0 && f.maxSize < f.minSize:
		return o, errors.New("--max-size is below --min-size: no object could be kept")
	}
	return o, nil
}
