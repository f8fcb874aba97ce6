package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/segstack/segstack/segment"
	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/tiff"
	"github.com/segstack/segstack/stack/zarr"
	"github.com/spf13/cobra"
)

// convertZarr are convert's Zarr flags (--format, --zarr-version,
// --chunks); its --compression names a Zarr codec when the output is Zarr.
var convertZarr zarrFlags

// isZarrConvert is whether a conversion reads or writes Zarr, which
// runConvertZarr does.
func isZarrConvert(in, out string) bool {
	if segment.IsZarrPath(in) || isZarrStore(in) {
		return true
	}
	f, err := convertZarr.outputFormat(out)
	return err != nil || f == segment.FormatZarr || f == segment.FormatOMEZarr
}

// planeSet is a stack read plane by plane as stored: channels × z planes
// of one element type, with its pixel size.
type planeSet struct {
	shape    stack.Shape // of one channel
	channels int
	dtype    stack.DType
	meta     tiff.Metadata
	// read reads plane z of channel c into dst, in the machine's byte
	// order.
	read func(ctx context.Context, c, z int, dst []byte) error
	// planeBytes is the size of one plane.
	planeBytes int
	describe   string
}

// openTIFFPlanes opens a TIFF as a planeSet: its ImageJ or OME channels,
// the slices and frames of each channel as its planes.
func openTIFFPlanes(path string) (*planeSet, func() error, error) {
	r, err := tiff.Open(path)
	if err != nil {
		return nil, nil, err
	}
	s := r.Shape()
	md := r.Metadata()
	ps := &planeSet{shape: s, channels: 1, dtype: r.DType(), meta: md, planeBytes: r.PlaneBytes()}
	nc, nz, nt := max(md.Channels, 1), max(md.Slices, 1), max(md.Frames, 1)
	if nc > 1 && nc*nz*nt == s.Z {
		ps.channels = nc
		ps.shape.Z = nz * nt
		ps.read = func(_ context.Context, c, z int, dst []byte) error {
			page, err := md.PlaneIndex(c, z%nz, z/nz)
			if err != nil {
				return err
			}
			return r.ReadPlaneInto(page, dst)
		}
	} else {
		ps.read = func(_ context.Context, _, z int, dst []byte) error { return r.ReadPlaneInto(z, dst) }
	}
	ps.describe = "TIFF"
	return ps, r.Close, nil
}

// openZarrPlanes opens an OME-Zarr image (its full resolution) or a plain
// Zarr array as a planeSet. A leading "c" axis holds channels; the other
// leading dimensions are flattened into planes.
func openZarrPlanes(path string) (*planeSet, error) {
	var (
		a    *zarr.Array
		axes []string
		meta tiff.Metadata
		kind = "Zarr array"
	)
	if im, err := zarr.OpenImage(path); err == nil {
		if a, err = im.Open(0); err != nil {
			return nil, err
		}
		for _, ax := range im.Axes {
			axes = append(axes, ax.Name)
		}
		meta.PixelSizeZ, meta.PixelSizeY, meta.PixelSizeX, meta.Unit = im.PixelSize()
		kind = "OME-Zarr " + im.Version
	} else {
		var aerr error
		if a, aerr = zarr.Open(path); aerr != nil {
			if errors.Is(aerr, fs.ErrNotExist) {
				return nil, err
			}
			return nil, aerr
		}
		axes = arrayAxes(a)
	}
	p, err := a.Planes()
	if err != nil {
		return nil, err
	}
	ps := &planeSet{shape: p.Shape(), channels: 1, dtype: a.DType().Stack(), meta: meta, planeBytes: p.PlaneBytes(), describe: kind}
	if a.DType() == zarr.Float64 {
		ps.dtype = stack.Float64
	}
	if len(axes) > 2 && len(a.Shape()) > 3 && (axes[0] == "c" || axes[0] == "C") {
		ps.channels = a.Shape()[0]
		ps.shape.Z /= ps.channels
	}
	ps.read = func(ctx context.Context, c, z int, dst []byte) error {
		return p.ReadPlaneInto(ctx, c*ps.shape.Z+z, dst)
	}
	return ps, nil
}

// runConvertZarr converts between TIFF, Zarr arrays and OME-Zarr images,
// pixel for pixel, carrying channels and the pixel size.
func runConvertZarr(cmd *cobra.Command, in, out, compression string, force bool) error {
	ctx := cmd.Context()
	if err := checkInput(in); err != nil {
		return err
	}
	if err := checkOutput(out, force); err != nil {
		return err
	}
	format, err := convertZarr.outputFormat(out)
	if err != nil {
		return err
	}
	var src *planeSet
	if segment.IsZarrPath(in) || isZarrStore(in) {
		if src, err = openZarrPlanes(in); err != nil {
			return err
		}
	} else {
		var closeIn func() error
		if src, closeIn, err = openTIFFPlanes(in); err != nil {
			return err
		}
		defer closeIn()
	}
	nc, s := src.channels, src.shape
	buf := make([]byte, src.planeBytes)
	var summary string
	if format == segment.FormatZarr || format == segment.FormatOMEZarr {
		codec := ""
		if cmd.Flags().Changed("compression") {
			codec = compression
		}
		zo, err := convertZarr.zarrOutput(codec)
		if err != nil {
			return err
		}
		if src.dtype == stack.Int64 || src.dtype == stack.Uint64 {
			return fmt.Errorf("%s: %v samples: Zarr outputs of 64-bit integers are not written yet; a TIFF output keeps them exactly", in, src.dtype)
		}
		zs, err := createZarrStack(ctx, out, format == segment.FormatOMEZarr, s, nc, zarr.FromStack(src.dtype), zo, src.meta)
		if err != nil {
			return err
		}
		defer zs.abort()
		for c := range nc {
			for z := range s.Z {
				if err := ctx.Err(); err != nil {
					return err
				}
				if err := src.read(ctx, c, z, buf); err != nil {
					return err
				}
				if err := zs.write(ctx, c*s.Z+z, buf); err != nil {
					return err
				}
			}
		}
		if err := zs.close(); err != nil {
			return err
		}
		name := "Zarr v2 array"
		if format == segment.FormatOMEZarr {
			name = "OME-Zarr (NGFF 0.4, Zarr v2)"
			if zo.ZarrFormat == 3 {
				name = "OME-Zarr (NGFF 0.5, Zarr v3)"
			}
		} else if zo.ZarrFormat == 3 {
			name = "Zarr v3 array"
		}
		codecName := "blosc-lz4"
		if zo.Codec != nil {
			codecName = zo.Codec.String()
		}
		summary = fmt.Sprintf("%s, %s", name, codecName)
	} else {
		opts := tiff.WriterOptions{Shape: stack.Shape{Z: nc * s.Z, Y: s.Y, X: s.X}, DType: src.dtype, Channels: nc,
			PixelSizeX: src.meta.PixelSizeX, PixelSizeY: src.meta.PixelSizeY, SpacingZ: src.meta.PixelSizeZ, Unit: src.meta.Unit}
		if opts.Unit == "micrometer" {
			opts.Unit = "micron" // ImageJ's spelling
		}
		if opts.PixelSizeX == 1 && opts.PixelSizeY == 1 && opts.SpacingZ == 1 && opts.Unit == "" {
			opts.PixelSizeX, opts.PixelSizeY, opts.SpacingZ = 0, 0, 0
		}
		if cmd.Flags().Changed("compression") {
			comp, err := tiff.ParseCompression(compression)
			if err != nil {
				return fmt.Errorf("--compression: %w", err)
			}
			opts.Compression = comp
		}
		w, err := tiff.Create(out, opts)
		if err != nil {
			return err
		}
		defer w.Abort()
		// ImageJ orders pages channel fastest.
		for z := range s.Z {
			for c := range nc {
				if err := ctx.Err(); err != nil {
					return err
				}
				if err := src.read(ctx, c, z, buf); err != nil {
					return err
				}
				if err := w.WritePlane(buf); err != nil {
					return err
				}
			}
		}
		if err := w.Close(); err != nil {
			return err
		}
		summary = fmt.Sprintf("TIFF, %s", opts.Compression)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s: %d planes %dx%d %s (%d channels) from %s, %s\n", out, nc*s.Z, s.Y, s.X, src.dtype, nc, src.describe, summary)
	return nil
}

// arrayAxes names the dimensions of a plain array: its v3 dimension names,
// or the "_ARRAY_DIMENSIONS" attribute xarray writes on v2.
func arrayAxes(a *zarr.Array) []string {
	if n := a.DimensionNames(); len(n) > 0 {
		return n
	}
	var attrs struct {
		Dims []string `json:"_ARRAY_DIMENSIONS"`
	}
	if err := a.Attributes(&attrs); err != nil || len(attrs.Dims) != len(a.Shape()) {
		return nil
	}
	return attrs.Dims
}
