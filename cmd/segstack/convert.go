package main

import (
	"context"
	"fmt"

	"github.com/segstack/segstack/stack/tiff"
	"github.com/spf13/cobra"
)

// convertOptions are the flags of `segstack convert`.
type convertOptions struct {
	compression string
	predictor   string
	bigTIFF     bool
	tile        int
	force       bool
}

func init() {
	var o convertOptions
	cmd := &cobra.Command{
		Use:   "convert IN.tif OUT.tif",
		Short: "Rewrite a TIFF stack with another compression, tiling or BigTIFF, pixel for pixel",
		Long: `convert streams a stack plane by plane into a new TIFF, keeping the pixels
exactly and the ImageJ metadata (hyperstack layout, pixel size, spacing,
unit). Without flags the compression and layout of the input are kept.
The output is written under a temporary name and renamed at the end; an
interrupted conversion (Ctrl-C) leaves no output behind.`,
		Example: `  segstack convert raw.tif small.tif --compression deflate
  segstack convert huge.tif tiled.tif --tile 256 --bigtiff
  segstack convert cells.tif cells.ome.zarr --zarr-version 3 --compression blosc-zstd
  segstack convert cells.ome.zarr cells.tif`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runConvert(cmd, args[0], args[1], o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.compression, "compression", "", "TIFF: none, lzw, deflate or packbits (default: as the input, deflate for zstd and LZMA inputs); Zarr: blosc-lz4 (default), blosc-zstd, zstd, zlib or none")
	fl.StringVar(&o.predictor, "predictor", "", "none, horizontal (integers) or float (float32), with lzw or deflate (default: as the input when the compression is kept, else none)")
	fl.BoolVar(&o.bigTIFF, "bigtiff", false, "write BigTIFF even when classic TIFF would do")
	fl.IntVar(&o.tile, "tile", 0, "write square tiles of this size (a multiple of 16); 0 writes strips (default: as the input)")
	fl.BoolVar(&o.force, "force", false, "overwrite an existing output")
	convertZarr.add(cmd, "chunks", false)
	root.AddCommand(cmd)
}

func runConvert(cmd *cobra.Command, in, out string, o convertOptions) error {
	if isZarrConvert(in, out) {
		return runConvertZarr(cmd, in, out, o.compression, o.force)
	}
	ctx := cmd.Context()
	if err := checkInput(in); err != nil {
		return err
	}
	if err := checkOutput(out, o.force); err != nil {
		return err
	}
	r, err := tiff.Open(in)
	if err != nil {
		return err
	}
	defer r.Close()
	opts := r.WriterOptions()
	if cmd.Flags().Changed("compression") {
		comp, err := tiff.ParseCompression(o.compression)
		if err != nil {
			return fmt.Errorf("--compression: %w", err)
		}
		if comp != opts.Compression {
			opts.Compression, opts.Predictor = comp, tiff.NoPredictor
		}
	}
	if cmd.Flags().Changed("predictor") {
		pred, err := tiff.ParsePredictor(o.predictor)
		if err != nil {
			return fmt.Errorf("--predictor: %w", err)
		}
		opts.Predictor = pred
	}
	if cmd.Flags().Changed("tile") {
		if o.tile < 0 || o.tile%16 != 0 {
			return fmt.Errorf("--tile %d: want 0 (strips) or a positive multiple of 16", o.tile)
		}
		opts.Tile = o.tile
	}
	opts.BigTIFF = o.bigTIFF
	if md := r.Metadata(); md.ImageJ == nil && md.Shaped == nil && md.OME == nil && md.Samples <= 1 && md.Description != "" {
		// Keep a foreign description verbatim, unless it describes the
		// samples per pixel that the output stores as channels.
		opts.Description = md.Description
	}
	w, err := tiff.Create(out, opts)
	if err != nil {
		return err
	}
	if err := copyPlanes(ctx, r, w); err != nil {
		w.Abort()
		return err
	}
	if err := ctx.Err(); err != nil {
		w.Abort()
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	kind := "TIFF"
	if w.BigTIFF() {
		kind = "BigTIFF"
	}
	layout := "strips"
	if opts.Tile > 0 {
		layout = fmt.Sprintf("%dx%d tiles", opts.Tile, opts.Tile)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s: %d planes %dx%d %s, %s, %s, %s\n", out, r.Pages(), r.Shape().Y, r.Shape().X,
		r.DType(), opts.Compression, layout, kind)
	return nil
}

// copyPlanes streams every plane of r into w, decoding plane i+1 while
// plane i is being encoded and written. It stops at the first error or
// when ctx is cancelled.
func copyPlanes(ctx context.Context, r *tiff.Reader, w *tiff.Writer) error {
	type plane struct {
		buf []byte
		err error
	}
	free := make(chan []byte, 2)
	free <- make([]byte, r.PlaneBytes())
	free <- make([]byte, r.PlaneBytes())
	full := make(chan plane, 1)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		defer close(full)
		for i := 0; i < r.Pages(); i++ {
			var buf []byte
			select {
			case buf = <-free:
			case <-stop:
				return
			}
			err := r.ReadPlaneInto(i, buf)
			select {
			case full <- plane{buf, err}:
			case <-stop:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	for p := range full {
		if err := ctx.Err(); err != nil {
			return err
		}
		if p.err != nil {
			return p.err
		}
		if err := w.WritePlane(p.buf); err != nil {
			return err
		}
		free <- p.buf
	}
	return ctx.Err()
}
