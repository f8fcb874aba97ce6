package segment

import (
	"context"
	"errors"
	"fmt"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/tiff"
)

// errNeedUint32 tells the pipeline that a label no longer fits the uint16
// file being written: it must call upgrade and write every plane again.
var errNeedUint32 = errors.New("labels need uint32")

// tiffSink writes label planes, in order, to a TIFF stack of uint16 or
// uint32 labels.
//
// With LabelAuto the file starts as uint16. A plane whose largest label
// passes 65535 makes write return errNeedUint32; the pipeline then calls
// upgrade, which abandons the uint16 file (nothing of it ever appears under
// the final name), and writes the earlier planes again as uint32 before it
// goes on. In 2-D mode the earlier planes are recomputed, so a stack that
// overflows at plane k costs k extra planes of work; in 3-D mode the number
// of labels is known before the first plane is written.
type tiffSink struct {
	// backend narrows uint32 planes for a uint16 file.
	backend kernels.Backend
	path    string
	opts    tiff.WriterOptions
	want    LabelDType
	w       *tiff.Writer
	buf16   []uint16
	buf32   []uint32
}

func newTIFFSink(path string, shape stack.Shape, want LabelDType, meta *tiff.Metadata, backend kernels.Backend) (*tiffSink, error) {
	s := &tiffSink{backend: backend, path: path, want: want, opts: tiff.WriterOptions{Shape: shape, DType: stack.Uint16}}
	if meta != nil {
		s.opts.PixelSizeX, s.opts.PixelSizeY, s.opts.SpacingZ = meta.PixelSizeX, meta.PixelSizeY, meta.PixelSizeZ
		s.opts.Unit = meta.Unit
	}
	if want == LabelUint32 {
		s.opts.DType = stack.Uint32
	}
	return s, s.create()
}

// mayWrite16 is whether the file may be uint16, at its start or for good.
func (s *tiffSink) mayWrite16() bool { return s.want != LabelUint32 }

func (s *tiffSink) create() error {
	w, err := tiff.Create(s.path, s.opts)
	if err != nil {
		return err
	}
	s.w = w
	return nil
}

// write appends plane z; maxLabel is its largest label. labels16, when not
// nil, holds the same labels as uint16 and is written as is to a uint16
// file; labels may then be nil.
func (s *tiffSink) write(ctx context.Context, z int, labels []uint32, labels16 []uint16, maxLabel uint32) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.w.Planes() != z {
		return fmt.Errorf("labels: plane %d written out of order (next is %d)", z, s.w.Planes())
	}
	if s.opts.DType == stack.Uint32 {
		if labels == nil {
			// A plane labelled as uint16 before the file switched to
			// uint32.
			if len(s.buf32) != len(labels16) {
				s.buf32 = make([]uint32, len(labels16))
			}
			for i, l := range labels16 {
				s.buf32[i] = uint32(l)
			}
			labels = s.buf32
		}
		return tiff.WritePlaneOf(s.w, labels)
	}
	if maxLabel > 65535 {
		if s.want == LabelUint16 {
			return fmt.Errorf("plane %d has label %d: %w", z, maxLabel, ErrLabelOverflow)
		}
		return errNeedUint32
	}
	if labels16 != nil {
		return tiff.WritePlaneOf(s.w, labels16)
	}
	if len(s.buf16) != len(labels) {
		s.buf16 = make([]uint16, len(labels))
	}
	plane := stack.Shape{Z: 1, Y: s.opts.Shape.Y, X: s.opts.Shape.X}
	if err := s.backend.Narrow16(ctx, &stack.Volume[uint16]{Shape: plane, Data: s.buf16}, &stack.Volume[uint32]{Shape: plane, Data: labels}); err != nil {
		return fmt.Errorf("labels: plane %d: %w", z, err)
	}
	return tiff.WritePlaneOf(s.w, s.buf16)
}

// upgrade abandons the uint16 file and starts a uint32 one.
func (s *tiffSink) upgrade() error {
	s.w.Abort()
	s.opts.DType = stack.Uint32
	s.buf16 = nil
	return s.create()
}

func (s *tiffSink) dtype() string { return s.opts.DType.String() }

// finish flushes the labels and links them into place: a TIFF output
// cannot be finished apart from its link, so publish has nothing left.
func (s *tiffSink) finish() error { return s.w.Close() }

func (s *tiffSink) publish() error { return nil }

func (s *tiffSink) abort() { s.w.Abort() }
