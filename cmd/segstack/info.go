package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/segstack/segstack/segment"
	"github.com/segstack/segstack/stack/tiff"
	"github.com/spf13/cobra"
)

// infoReport is what `segstack info --json` prints.
type infoReport struct {
	File         string        `json:"file"`
	Shape        [3]int        `json:"shape"`
	DType        string        `json:"dtype"`
	Pages        int           `json:"pages"`
	Compression  string        `json:"compression"`
	Predictor    string        `json:"predictor"`
	Tiled        bool          `json:"tiled"`
	TileWidth    int           `json:"tile_width,omitempty"`
	TileLength   int           `json:"tile_length,omitempty"`
	RowsPerStrip int           `json:"rows_per_strip,omitempty"`
	BigTIFF      bool          `json:"bigtiff"`
	ByteOrder    string        `json:"byte_order"`
	PlaneBytes   int           `json:"plane_bytes"`
	Channels     int           `json:"channels"`
	Samples      int           `json:"samples_per_pixel"`
	Planar       string        `json:"planar_configuration,omitempty"`
	Photometric  string        `json:"photometric"`
	Bilevel      bool          `json:"bilevel,omitempty"`
	Bits         int           `json:"bits_per_sample"`
	StoredAs     string        `json:"stored_as,omitempty"`
	Subsampling  []int         `json:"ycbcr_subsampling,omitempty"`
	ColorMap     [][3]uint16   `json:"colormap,omitempty"`
	Metadata     tiff.Metadata `json:"metadata"`
}

func newInfoReport(path string, r *tiff.Reader) infoReport {
	s := r.Shape()
	rep := infoReport{
		File: path, Shape: s.Dims(), DType: r.DType().String(), Pages: r.Pages(),
		Compression: r.Compression().String(), Predictor: r.Predictor().String(),
		Tiled: r.Tiled(), BigTIFF: r.BigTIFF(), ByteOrder: "little", PlaneBytes: r.PlaneBytes(),
		Channels: r.Channels(), Metadata: r.Metadata(),
	}
	rep.Photometric = photometricName(r.Photometric())
	rep.Bilevel, rep.ColorMap, rep.Bits = r.Bilevel(), r.ColorMap(), r.BitsPerSample()
	rep.Samples = r.SamplesPerPixel()
	rep.StoredAs = r.Widened()
	if h, v := r.Subsampling(); h*v > 1 {
		rep.Subsampling = []int{h, v}
	}
	if rep.Samples > 1 {
		rep.Planar = "contiguous"
		if r.SeparatePlanes() {
			rep.Planar = "separate"
		}
	}
	if r.ByteOrder().String() == "BigEndian" {
		rep.ByteOrder = "big"
	}
	w, h := r.TileSize()
	if r.Tiled() {
		rep.TileWidth, rep.TileLength = w, h
	} else {
		rep.RowsPerStrip = h
	}
	return rep
}

// photometricName names a TIFF PhotometricInterpretation.
func photometricName(p int) string {
	switch p {
	case 0:
		return "WhiteIsZero"
	case 1:
		return "BlackIsZero"
	case 2:
		return "RGB"
	case 3:
		return "palette"
	case 5:
		return "separated (CMYK)"
	case 6:
		return "YCbCr"
	}
	return fmt.Sprintf("%d", p)
}

func writeInfoText(w io.Writer, rep infoReport) error {
	var b strings.Builder
	line := func(k, format string, args ...any) {
		fmt.Fprintf(&b, "%-12s %s\n", k+":", fmt.Sprintf(format, args...))
	}
	s := rep.Shape
	line("file", "%s", rep.File)
	line("shape", "%d x %d x %d (Z x Y x X)", s[0], s[1], s[2])
	line("dtype", "%s", rep.DType)
	line("pages", "%d", rep.Pages)
	line("photometric", "%s", rep.Photometric)
	if rep.Bilevel {
		line("bilevel", "1-bit samples, read as uint8 0/1 (1 = white)")
	} else if rep.StoredAs != "" {
		line("bits", "%d-bit samples (%s), read exactly as %s", rep.Bits, rep.StoredAs, rep.DType)
	}
	if ss := rep.Subsampling; ss != nil {
		line("subsampling", "YCbCr chroma %dx%d, replicated over the pixels it covers (channels Y, Cb, Cr)", ss[0], ss[1])
	} else if rep.Photometric == "YCbCr" {
		line("subsampling", "none (channels Y, Cb, Cr as stored)")
	}
	if cm := rep.ColorMap; cm != nil {
		var head []string
		for _, c := range cm[:min(len(cm), 4)] {
			head = append(head, fmt.Sprintf("%d:(%d,%d,%d)", len(head), c[0], c[1], c[2]))
		}
		line("palette", "%d colours (16-bit RGB), planes read as indices; %s ...", len(cm), strings.Join(head, " "))
	}
	if rep.Samples > 1 {
		line("samples", "%d per pixel, %s (each read as a channel; pages = TIFF pages x samples)", rep.Samples, rep.Planar)
	}
	if rep.Predictor != "none" {
		line("compression", "%s (predictor %s)", rep.Compression, rep.Predictor)
	} else {
		line("compression", "%s", rep.Compression)
	}
	if rep.Tiled {
		line("layout", "tiles %dx%d", rep.TileWidth, rep.TileLength)
	} else {
		line("layout", "strips of %d rows", rep.RowsPerStrip)
	}
	line("bigtiff", "%t", rep.BigTIFF)
	line("byte order", "%s-endian", rep.ByteOrder)
	md := rep.Metadata
	order := md.DimensionOrder
	if order == "" {
		order = "unknown"
	}
	line("hyperstack", "%d channels x %d slices x %d frames (order %s)", md.Channels, md.Slices, md.Frames, order)
	if md.PixelSizeX > 0 || md.PixelSizeY > 0 || md.PixelSizeZ > 0 {
		line("pixel size", "%g x %g x %g %s (X x Y x Z)", md.PixelSizeX, md.PixelSizeY, md.PixelSizeZ, md.Unit)
	}
	if ij := md.ImageJ; ij != nil {
		text := fmt.Sprintf("version %s, images=%d", ij.Version, ij.Images)
		if ij.Spacing != 0 {
			text += fmt.Sprintf(", spacing=%g", ij.Spacing)
		}
		if ij.Unit != "" {
			text += fmt.Sprintf(", unit=%s", ij.Unit)
		}
		line("imagej", "%s", text)
	}
	if o := md.OME; o != nil {
		line("ome", "SizeX=%d SizeY=%d SizeZ=%d SizeC=%d SizeT=%d DimensionOrder=%s Type=%s (%d images)",
			o.SizeX, o.SizeY, o.SizeZ, o.SizeC, o.SizeT, o.DimensionOrder, o.Type, o.Images)
	}
	if md.Shaped != nil {
		line("shaped", "%v", md.Shaped)
	}
	if md.Software != "" {
		line("software", "%s", md.Software)
	}
	if md.Description != "" && md.ImageJ == nil && md.OME == nil && md.Shaped == nil {
		d := strings.ReplaceAll(md.Description, "\n", `\n`)
		if len(d) > 200 {
			d = d[:200] + "..."
		}
		line("description", "%s", d)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func init() {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "info [--json] FILE|STORE.zarr",
		Short: "Describe a TIFF stack: shape, dtype, compression, layout, ImageJ/OME metadata",
		Long: `info reads only the TIFF's directory chain (no pixel data) and prints the
stack's shape (Z = pages), element type, compression and predictor, strip or
tile layout, BigTIFF and byte order, and what ImageJ or OME-XML metadata says
(channels, slices, frames, pixel size). For a Zarr array or OME-Zarr image it
prints the shape and axes, element type, chunks, codec, the resolution
levels with their scales and unit, and the label images under labels/.`,
		Example: `  segstack info cells.tif
  segstack info --json cells.tif | jq .shape
  segstack info cells.ome.zarr
  segstack info cells.ome.zarr/labels/cells`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := args[0]
			if err := checkInput(path); err != nil {
				return err
			}
			if segment.IsZarrPath(path) || isZarrStore(path) {
				return runInfoZarr(cmd, path, asJSON)
			}
			r, err := tiff.Open(path)
			if err != nil {
				return err
			}
			defer r.Close()
			rep := newInfoReport(path, r)
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				return enc.Encode(rep)
			}
			return writeInfoText(cmd.OutOrStdout(), rep)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	root.AddCommand(cmd)
}
