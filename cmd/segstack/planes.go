package main

import (
	"context"

	"github.com/segstack/segstack/segment"
	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/tiff"
	"github.com/segstack/segstack/stack/zarr"
	"github.com/spf13/cobra"
)

// planeFlags are the flags of the commands that turn a stack into another
// stack (gaussian, threshold, label): where to write, which channel to
// read, whether to overwrite, whether to stay quiet.
type planeFlags struct {
	output       string
	channel      int
	force, quiet bool
	zf           zarrFlags
}

// add registers -o (a TIFF described by what), --channel, --force and
// --quiet.
func (f *planeFlags) add(cmd *cobra.Command, what string) {
	fl := cmd.Flags()
	fl.StringVarP(&f.output, "output", "o", "", what+" TIFF, .zarr or .ome.zarr to write (required)")
	fl.IntVar(&f.channel, "channel", -1, "channel of a multi-channel stack (0-based; required there)")
	fl.BoolVar(&f.force, "force", false, "overwrite an existing output")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress bar or summary")
	f.zf.add(cmd, "zarr-chunks", true)
}

// planeStream is an opened plane-by-plane command: its input stack, the
// output TIFF of the same shape, and its progress bar.
type planeStream struct {
	src      segment.Source
	shape    stack.Shape
	w        *tiff.Writer
	z        *zarrStack
	bar      *progressBar
	closeSrc func() error
}

// open checks the input and the output, opens the input (channel
// f.channel) and creates the output with pixels of type dt. The caller
// defers close.
func (f *planeFlags) open(in string, dt stack.DType) (*planeStream, error) {
	if err := checkInput(in); err != nil {
		return nil, err
	}
	if err := checkOutput(f.output, f.force); err != nil {
		return nil, err
	}
	format, err := f.zf.outputFormat(f.output)
	if err != nil {
		return nil, err
	}
	zo, err := f.zf.zarrOutput(f.zf.compression)
	if err != nil {
		return nil, err
	}
	src, closeSrc, err := segment.OpenSource(in, f.channel)
	if err != nil {
		return nil, err
	}
	s := src.Shape()
	p := &planeStream{src: src, shape: s, bar: newProgress("planes", "planes", f.quiet), closeSrc: closeSrc}
	if format == segment.FormatZarr || format == segment.FormatOMEZarr {
		p.z, err = createZarrStack(context.Background(), f.output, format == segment.FormatOMEZarr, s, 1, zarr.FromStack(dt), zo, sourceMetadata(src))
	} else {
		p.w, err = tiff.Create(f.output, tiff.WriterOptions{Shape: s, DType: dt})
	}
	if err != nil {
		_ = closeSrc()
		return nil, err
	}
	return p, nil
}

// close removes the output unless writePlanes finished it, and closes the
// input.
func (p *planeStream) close() {
	if p.z != nil {
		p.z.abort() // after close, a no-op
	} else {
		p.w.Abort() // after Close, a no-op
	}
	_ = p.closeSrc()
}

// writePlanes appends plane(z) for every plane z of the stack to the
// output, in order, and finishes the output.
func writePlanes[T stack.Elem](ctx context.Context, p *planeStream, plane func(z int) ([]T, error)) error {
	for z := range p.shape.Z {
		if err := ctx.Err(); err != nil {
			return err
		}
		data, err := plane(z)
		if err != nil {
			return err
		}
		if p.z != nil {
			err = p.z.write(ctx, z, bytesOf(data))
		} else {
			err = tiff.WritePlaneOf(p.w, data)
		}
		if err != nil {
			return err
		}
		p.bar.update(z+1, p.shape.Z)
	}
	p.bar.finish()
	if p.z != nil {
		return p.z.close()
	}
	return p.w.Close()
}
