package zarr_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/zarr"
)

// Write an array chunk by chunk, commit it, and read a region back.
func ExampleCreate() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "a.zarr")
	ctx := context.Background()

	w, err := zarr.Create(path, zarr.ArrayOptions{
		Shape: []int{4, 6}, Chunks: []int{2, 4}, DType: zarr.Uint8, Codec: zarr.BloscLZ4(5),
	})
	if err != nil {
		log.Fatal(err)
	}
	data := make([]byte, 24)
	for i := range data {
		data[i] = byte(i)
	}
	// Any chunk-aligned region; chunks may also be written one by one,
	// from several goroutines, with WriteChunk.
	if err := w.Write(ctx, []int{0, 0}, []int{4, 6}, data); err != nil {
		log.Fatal(err)
	}
	if err := w.Commit(); err != nil { // the metadata, last
		log.Fatal(err)
	}

	a, err := zarr.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	region := make([]byte, 2*3)
	if err := a.Read(ctx, []int{1, 2}, []int{2, 3}, region); err != nil {
		log.Fatal(err)
	}
	fmt.Println(a.Shape(), a.Chunks(), a.DType(), a.Codec())
	fmt.Println(region)
	// Output:
	// [4 6] [2 4] uint8 blosc-lz4:5
	// [8 9 10 14 15 16]
}

// Stream planes into an array and read them back one at a time, as the
// pipeline does with its sources.
func ExampleNewPlaneWriter() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "stack.zarr")
	ctx := context.Background()

	w, err := zarr.Create(path, zarr.ArrayOptions{
		ZarrFormat: 3, Shape: []int{3, 4, 5}, Chunks: []int{1, 4, 5}, DType: zarr.Uint16, Codec: zarr.Zstd(3),
	})
	if err != nil {
		log.Fatal(err)
	}
	pw, err := zarr.NewPlaneWriter(ctx, w, 2)
	if err != nil {
		log.Fatal(err)
	}
	plane := make([]uint16, 4*5)
	for z := 0; z < 3; z++ {
		for i := range plane {
			plane[i] = uint16(100*z + i)
		}
		if err := zarr.WritePlaneOf(ctx, pw, z, plane); err != nil {
			log.Fatal(err)
		}
	}
	if err := pw.Close(); err != nil {
		log.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		log.Fatal(err)
	}

	a, err := zarr.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	planes, err := a.Planes()
	if err != nil {
		log.Fatal(err)
	}
	f := make([]float32, planes.Shape().PlaneLen())
	if err := planes.ReadPlane(ctx, 2, f); err != nil {
		log.Fatal(err)
	}
	fmt.Println(planes.Shape(), planes.DType(), f[:4])
	// Output:
	// 3x4x5 uint16 [200 201 202 203]
}

// Write an OME-NGFF image with its labels, then open it as a viewer would.
func ExampleCreateImage() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	root := filepath.Join(dir, "cells.ome.zarr")
	ctx := context.Background()

	shape := stack.Shape{Z: 2, Y: 300, X: 200}
	o := zarr.ImageOptions{
		Name: "cells", Shape: shape, DType: zarr.Uint16, Chunks: stack.Shape{Z: 1, Y: 128, X: 128},
		Codec: zarr.BloscLZ4(5), PixelSizeZ: 2, PixelSizeY: 0.3, PixelSizeX: 0.3, Unit: "micron",
	}
	img, err := zarr.CreateImage(ctx, root, o)
	if err != nil {
		log.Fatal(err)
	}
	o.DType = zarr.Uint32
	labels, err := zarr.CreateLabels(ctx, root, "cells", o)
	if err != nil {
		log.Fatal(err)
	}
	plane := make([]uint16, shape.PlaneLen())
	lab := make([]uint32, shape.PlaneLen())
	for z := 0; z < shape.Z; z++ {
		for i := range plane {
			plane[i] = uint16(i % 500)
			lab[i] = uint32(i / 20000)
		}
		if err := zarr.WriteImagePlane(ctx, img, z, plane); err != nil {
			log.Fatal(err)
		}
		if err := zarr.WriteImagePlane(ctx, labels, z, lab); err != nil {
			log.Fatal(err)
		}
	}
	if err := img.Close(); err != nil {
		log.Fatal(err)
	}
	if err := labels.Close(); err != nil {
		log.Fatal(err)
	}

	im, err := zarr.OpenImage(root)
	if err != nil {
		log.Fatal(err)
	}
	z, y, x, unit := im.PixelSize()
	fmt.Println(im.Version, len(im.Levels), z, y, x, unit, im.Labels)
	for _, l := range im.Levels {
		fmt.Println(l.Path, l.Scale)
	}
	// Output:
	// 0.4 3 2 0.3 0.3 micrometer [cells]
	// 0 [2 0.3 0.3]
	// 1 [2 0.6 0.6]
	// 2 [2 1.2 1.2]
}

// An array's chunks are read one at a time on demand; missing chunks read
// as the fill value.
func ExampleArray_ReadChunk() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "sparse.zarr")
	ctx := context.Background()
	w, err := zarr.Create(path, zarr.ArrayOptions{Shape: []int{4, 4}, Chunks: []int{2, 2}, DType: zarr.Int16, FillValue: -1})
	if err != nil {
		log.Fatal(err)
	}
	if err := w.WriteChunk(ctx, []int{1, 1}, make([]byte, 8)); err != nil { // four zeros
		log.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		log.Fatal(err)
	}
	a, err := zarr.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	buf := make([]byte, a.ChunkBytes())
	for _, idx := range [][]int{{0, 0}, {1, 1}} {
		found, err := a.ReadChunk(ctx, idx, buf)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(idx, found, int16(binary.NativeEndian.Uint16(buf)))
	}
	// Output:
	// [0 0] false -1
	// [1 1] true 0
}
