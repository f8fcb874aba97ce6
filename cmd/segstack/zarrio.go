package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"unsafe"

	"github.com/segstack/segstack/internal/outfile"
	"github.com/segstack/segstack/segment"
	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/tiff"
	"github.com/segstack/segstack/stack/zarr"
	"github.com/spf13/cobra"
)

// isZarrStore reports whether path is a directory holding Zarr metadata.
func isZarrStore(path string) bool {
	for _, f := range []string{".zgroup", ".zarray", "zarr.json"} {
		if _, err := os.Stat(filepath.Join(path, f)); err == nil {
			return true
		}
	}
	return false
}

// zarrFlags are the flags that choose an output's container and, for Zarr,
// its layout: --format, --zarr-version, the chunk flag and (where the
// command has no TIFF meaning for it) --compression.
type zarrFlags struct {
	format      string
	version     int
	chunks      string
	compression string
	// imageCompression is segment's --image-compression.
	imageCompression string
	// chunkFlag is the name the chunk flag has in this command.
	chunkFlag string
}

// add registers --format, --zarr-version and the chunk flag under
// chunkFlag; with compression, --compression too.
func (z *zarrFlags) add(cmd *cobra.Command, chunkFlag string, compression bool) {
	fl := cmd.Flags()
	z.chunkFlag = chunkFlag
	fl.StringVar(&z.format, "format", "auto", "output format: tiff, zarr (a plain array) or ome-zarr (default: from the name: .ome.zarr, .zarr, else TIFF)")
	fl.IntVar(&z.version, "zarr-version", 2, "Zarr format of a Zarr output: 2 (OME-NGFF 0.4) or 3 (OME-NGFF 0.5)")
	fl.StringVar(&z.chunks, chunkFlag, "", "Z,Y,X chunk shape of a Zarr output (default 1,1024,1024: one plane deep, planes of up to 1024x1024 in one chunk)")
	if compression {
		fl.StringVar(&z.compression, "compression", "", "Zarr chunk codec: blosc-lz4, blosc-lz4-noshuffle, blosc-zstd, zstd, zlib or none (optionally :LEVEL); default blosc-lz4 (labels of segment: blosc-lz4-noshuffle)")
	}
}

// outputFormat is the format of output: --format, or the name's.
func (z *zarrFlags) outputFormat(output string) (segment.OutputFormat, error) {
	f, err := segment.ParseOutputFormat(z.format)
	if err != nil {
		return 0, fmt.Errorf("--format: %w", err)
	}
	if f == segment.FormatAuto {
		f = segment.FormatOf(output)
	}
	return f, nil
}

// zarrOutput turns the Zarr flags into segment.ZarrOutput; compression is
// the codec name, "" for the default.
func (z *zarrFlags) zarrOutput(compression string) (segment.ZarrOutput, error) {
	var o segment.ZarrOutput
	if z.version != 2 && z.version != 3 {
		return o, fmt.Errorf("--zarr-version %d: want 2 or 3", z.version)
	}
	o.ZarrFormat = z.version
	if compression != "" {
		c, err := zarr.ParseCodec(compression)
		if err != nil {
			return o, fmt.Errorf("--compression: %w", err)
		}
		o.Codec = &c
	}
	if z.imageCompression != "" && z.imageCompression != "auto" {
		c, err := zarr.ParseCodec(z.imageCompression)
		if err != nil {
			return o, fmt.Errorf("--image-compression: %w", err)
		}
		o.ImageCodec = &c
	}
	if z.chunks != "" {
		sh, err := stack.ParseShape(z.chunks)
		if err != nil {
			return o, fmt.Errorf("--%s %q: %w", z.chunkFlag, z.chunks, err)
		}
		o.Chunks = sh
	}
	return o, nil
}

// zarrStack is a stack output written as a Zarr array or an OME-Zarr
// image, plane by plane. A new store is written under a temporary name
// beside its final one (outfile.TempName) and renamed into place by close,
// complete, so that a process killed at any moment leaves no partial
// store, only a temporary that the next run writing there removes. An
// existing store is rewritten in place (an image keeps its labels/).
type zarrStack struct {
	iw      *zarr.ImageWriter
	aw      *zarr.Writer
	pw      *zarr.PlaneWriter
	root    string
	created bool
	done    bool
	// final is the store's name when root is a temporary beside it.
	final string
}

// createZarrStack starts an OME-Zarr image (ome) or a plain array at path
// for channels·shape.Z planes of dt, with the pixel size of meta.
func createZarrStack(ctx context.Context, path string, ome bool, shape stack.Shape, channels int, dt zarr.DType, zo segment.ZarrOutput, meta tiff.Metadata) (*zarrStack, error) {
	chunks := zo.Chunks
	for _, c := range []struct {
		v *int
		d int
	}{{&chunks.Z, segment.DefaultZarrChunks.Z}, {&chunks.Y, segment.DefaultZarrChunks.Y}, {&chunks.X, segment.DefaultZarrChunks.X}} {
		if *c.v <= 0 {
			*c.v = c.d
		}
	}
	name := path // the image is named after the final name, not a temporary
	_, statErr := os.Stat(path)
	s := &zarrStack{root: path, created: os.IsNotExist(statErr)}
	if s.created {
		// Temporaries of runs killed before they finished.
		outfile.RemoveStale(filepath.Dir(path))
		s.final, s.root = path, outfile.TempName(path)
		path = s.root
	}
	codec := zarr.BloscLZ4(5)
	if zo.Codec != nil {
		codec = *zo.Codec
	}
	channels = max(channels, 1)
	// A new store lives under a temporary name until close renames it:
	// its chunks need no temporaries of their own.
	staged := s.final != ""
	if ome {
		o := zarr.ImageOptions{ZarrFormat: zo.ZarrFormat, Name: segment.LabelNameOf(name), Shape: shape, Channels: channels,
			DType: dt, Chunks: chunks, Codec: codec, Staged: staged,
			PixelSizeZ: meta.PixelSizeZ, PixelSizeY: meta.PixelSizeY, PixelSizeX: meta.PixelSizeX}
		if u, err := zarr.NormalizeUnit(meta.Unit); err == nil {
			o.Unit = u
		}
		iw, err := zarr.CreateImage(ctx, path, o)
		if err != nil {
			s.abort()
			return nil, err
		}
		s.iw = iw
		return s, nil
	}
	dims := []int{shape.Z, shape.Y, shape.X}
	names := []string{"z", "y", "x"}
	dimChunks := []int{min(chunks.Z, shape.Z), min(chunks.Y, shape.Y), min(chunks.X, shape.X)}
	if channels > 1 {
		dims = append([]int{channels}, dims...)
		names = append([]string{"c"}, names...)
		dimChunks = append([]int{1}, dimChunks...)
	}
	ao := zarr.ArrayOptions{ZarrFormat: zo.ZarrFormat, Shape: dims, Chunks: dimChunks, DType: dt, Codec: codec, Staged: staged}
	if zo.ZarrFormat == 3 {
		ao.DimensionNames = names
	} else {
		ao.Attributes = map[string]any{"_ARRAY_DIMENSIONS": names} // xarray's convention
	}
	w, err := zarr.Create(path, ao)
	if err != nil {
		s.abort()
		return nil, err
	}
	pw, err := zarr.NewPlaneWriter(ctx, w, 0)
	if err != nil {
		w.Abort()
		s.abort()
		return nil, err
	}
	s.aw, s.pw = w, pw
	return s, nil
}

// write writes plane p (channel-major: c·Z+z) in the machine's byte order.
func (s *zarrStack) write(ctx context.Context, p int, plane []byte) error {
	if s.iw != nil {
		return s.iw.WritePlane(ctx, p, plane)
	}
	return s.pw.WritePlane(ctx, p, plane)
}

// close finishes the store: chunks, then the metadata, last; then a new
// store is renamed into place.
func (s *zarrStack) close() error {
	var err error
	if s.iw != nil {
		err = s.iw.Close()
	} else if err = s.pw.Close(); err == nil {
		err = s.aw.Commit()
	}
	if err == nil && s.final != "" {
		err = outfile.ReplaceDir(s.root, s.final)
	}
	if err != nil {
		s.abort()
		return err
	}
	s.done = true
	return nil
}

// abort removes what was written, unless close finished it.
func (s *zarrStack) abort() {
	if s.done {
		return
	}
	s.done = true
	if s.iw != nil {
		s.iw.Abort()
	}
	if s.pw != nil {
		s.pw.Close()
		s.aw.Abort()
	}
	if s.created {
		os.RemoveAll(s.root)
	}
}

// bytesOf views a slice of samples as bytes.
func bytesOf[T stack.Elem](s []T) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*int(unsafe.Sizeof(s[0])))
}

// sourceMetadata is the pixel size a source carries, if any.
func sourceMetadata(src segment.Source) tiff.Metadata {
	if m, ok := src.(interface{ Metadata() tiff.Metadata }); ok {
		return m.Metadata()
	}
	return tiff.Metadata{}
}
