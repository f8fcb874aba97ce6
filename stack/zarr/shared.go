package zarr

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
)

// Join describes how JoinImage takes part in an image written by several
// processes.
type Join struct {
	// Create starts the image (its group and the pending arrays of every
	// level) as CreateImage does, in place at the path; without it the
	// arrays that a Join with Create started are opened (OpenWriter).
	Create bool
	// Label makes the image a label image named Name, written in place in
	// its image's labels group: Close lists Name there.
	Label bool
	Name  string
}

// JoinImage opens an OME-NGFF image that several writers, in this process
// or others, write at once: one Join with Create starts it, writers join it
// (with the same options) and write some of its planes each, calling
// Release when their planes are written, and one last joined writer
// reports what the others observed (Observe) and calls Close, which
// commits the arrays and writes the group metadata, last. The image's
// chunks must be one plane deep, so that the planes of different writers
// never share a chunk.
func JoinImage(ctx context.Context, path string, o ImageOptions, j Join) (*ImageWriter, error) {
	if o.Chunks.Z > 1 {
		return nil, fmt.Errorf("zarr: %s: a shared image needs chunks one plane deep, not %d", path, o.Chunks.Z)
	}
	if j.Label {
		if j.Name == "" || j.Name == "." || j.Name == ".." || filepath.Base(j.Name) != j.Name {
			return nil, fmt.Errorf("zarr: label name %q is not a plain name", j.Name)
		}
		if o.DType.Float() {
			return nil, fmt.Errorf("zarr: labels must have an integer type, not %v", o.DType)
		}
		o.Name = j.Name
	}
	open := func(p string, _ ArrayOptions) (*Writer, error) { return OpenWriter(p) }
	if j.Create {
		if err := prepareGroup(path, max(o.ZarrFormat, 2)); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		open = Create
	}
	iw, err := buildImageWriter(ctx, path, o, j.Label, j.Name, open)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return iw, nil
}

// Release waits until the planes this writer was given are written and
// lets go of the image without committing it: what a writer of a shared
// image (JoinImage) calls when its part is done.
func (iw *ImageWriter) Release() error {
	iw.mu.Lock()
	if iw.closed {
		iw.mu.Unlock()
		return errors.New("zarr: image writer already closed")
	}
	iw.closed = true
	iw.mu.Unlock()
	var first error
	for _, l := range iw.levels {
		if err := l.pw.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Observe adds what other writers of a shared image saw to what goes in
// its metadata: the value range lo..hi of channel c of an image, or, of a
// label image, its largest label maxLabel.
func (iw *ImageWriter) Observe(c int, lo, hi float64, maxLabel uint64) {
	iw.mu.Lock()
	defer iw.mu.Unlock()
	iw.maxLabel = max(iw.maxLabel, maxLabel)
	if !iw.label && c >= 0 && c < len(iw.lo) && lo <= hi {
		iw.lo[c] = math.Min(iw.lo[c], lo)
		iw.hi[c] = math.Max(iw.hi[c], hi)
	}
}

// Observed returns the value range of channel c seen in the planes this
// writer wrote (lo > hi when it wrote none) and the largest label.
func (iw *ImageWriter) Observed(c int) (lo, hi float64, maxLabel uint64) {
	iw.mu.Lock()
	defer iw.mu.Unlock()
	if iw.label || c < 0 || c >= len(iw.lo) {
		return math.Inf(1), math.Inf(-1), iw.maxLabel
	}
	return iw.lo[c], iw.hi[c], iw.maxLabel
}
