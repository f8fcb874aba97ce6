package tiff_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/tiff"
)

// Create a stack plane by plane; the file appears under its name only when
// Close succeeds.
func ExampleCreate() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "stack.tif")

	w, err := tiff.Create(path, tiff.WriterOptions{
		Shape:       stack.Shape{Z: 3, Y: 4, X: 5},
		DType:       stack.Uint16,
		Compression: tiff.Deflate,
		Predictor:   tiff.Horizontal,
		PixelSizeX:  0.2, PixelSizeY: 0.2, SpacingZ: 1, Unit: "micron",
	})
	if err != nil {
		log.Fatal(err)
	}
	plane := make([]uint16, 4*5)
	for z := 0; z < 3; z++ {
		for i := range plane {
			plane[i] = uint16(100*z + i)
		}
		if err := tiff.WritePlaneOf(w, plane); err != nil {
			w.Abort()
			log.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}

	r, err := tiff.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	md := r.Metadata()
	fmt.Println(r.Shape(), r.DType(), r.Compression(), md.PixelSizeX, md.Unit)
	// Output: 3x4x5 uint16 deflate 0.2 micron
}

// Open reads only the directory chain; ReadPlane decodes one plane on
// demand, here the last one first.
func ExampleOpen() {
	r, err := tiff.Open("testdata/fixtures/imagej_hyper_u16.tif")
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	fmt.Println("shape", r.Shape(), "dtype", r.DType(), "channels", r.Channels())

	md := r.Metadata()
	page, err := md.PlaneIndex(1, 2, 0) // channel 1 of slice 2
	if err != nil {
		log.Fatal(err)
	}
	plane := make([]uint16, r.Shape().PlaneLen())
	if err := tiff.ReadPlane(r, page, plane); err != nil {
		log.Fatal(err)
	}
	fmt.Println("page", page, "first pixels", plane[:3])
	// Output:
	// shape 6x20x17 dtype uint16 channels 2
	// page 5 first pixels [65535 65535 65535]
}
