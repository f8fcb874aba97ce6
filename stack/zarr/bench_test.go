package zarr

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/synth"
)

// benchShape is a 128 MiB uint16 stack.
var benchShape = stack.Shape{Z: 64, Y: 1024, X: 1024}

// benchPlanes returns a few synthetic nuclei planes (realistic work for
// the codecs); the benchmarks cycle through them.
func benchPlanes(b *testing.B) [][]uint16 {
	b.Helper()
	s := stack.Shape{Z: 8, Y: benchShape.Y, X: benchShape.X}
	planes := make([][]uint16, s.Z)
	err := synth.NucleiPlanes(s, 1, func(z int, p []uint16) error {
		planes[z] = append([]uint16(nil), p...)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return planes
}

// reportCPU reports the uncompressed MB written per CPU second since cpu0
// (the CPU time of untimed cleanup included, which is small).
func reportCPU(b *testing.B, cpu0 time.Duration) {
	if used := cpuTime() - cpu0; used > 0 {
		b.ReportMetric(float64(b.N)*float64(benchShape.Len()*2)/1e6/used.Seconds(), "MB/cpu-s")
	}
}

func dirBytes(dir string) int64 {
	var n int64
	filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return nil
	})
	return n
}

// BenchmarkWrite streams a 64×1024×1024 uint16 stack plane by plane into a
// new array (metadata committed) with each codec and chunk shape; MB/s are
// of uncompressed data.
func BenchmarkWrite(b *testing.B) {
	planes := benchPlanes(b)
	ctx := context.Background()
	for _, chunks := range []stack.Shape{{Z: 1, Y: 1024, X: 1024}, {Z: 1, Y: 256, X: 256}} {
		for _, c := range []Codec{{}, BloscLZ4(5), BloscZstd(3), Zstd(3)} {
			name := fmt.Sprintf("chunks=%dx%dx%d/%v/%v", chunks.Z, chunks.Y, chunks.X, c, benchShape)
			b.Run(name, func(b *testing.B) {
				dir := b.TempDir()
				b.SetBytes(int64(benchShape.Len() * 2))
				var stored int64
				i := 0
				cpu0 := cpuTime()
				for b.Loop() {
					path := filepath.Join(dir, fmt.Sprint(i))
					i++
					w, err := Create(path, ArrayOptions{Shape: []int{benchShape.Z, benchShape.Y, benchShape.X},
						Chunks: []int{chunks.Z, chunks.Y, chunks.X}, DType: Uint16, Codec: c})
					if err != nil {
						b.Fatal(err)
					}
					pw, err := NewPlaneWriter(ctx, w, 0)
					if err != nil {
						b.Fatal(err)
					}
					for z := 0; z < benchShape.Z; z++ {
						if err := WritePlaneOf(ctx, pw, z, planes[z%len(planes)]); err != nil {
							b.Fatal(err)
						}
					}
					if err := pw.Close(); err != nil {
						b.Fatal(err)
					}
					if err := w.Commit(); err != nil {
						b.Fatal(err)
					}
					b.StopTimer()
					stored = dirBytes(path)
					os.RemoveAll(path)
					b.StartTimer()
				}
				b.ReportMetric(float64(benchShape.Len()*2)/float64(stored), "ratio")
				reportCPU(b, cpu0)
			})
		}
	}
}

// BenchmarkReadPlane reads every plane of such a stack as float32, the way
// the pipeline reads a source.
func BenchmarkReadPlane(b *testing.B) {
	planes := benchPlanes(b)
	ctx := context.Background()
	for _, chunks := range []stack.Shape{{Z: 1, Y: 1024, X: 1024}, {Z: 1, Y: 256, X: 256}, {Z: 8, Y: 256, X: 256}} {
		for _, c := range []Codec{BloscLZ4(5), Zstd(3)} {
			name := fmt.Sprintf("chunks=%dx%dx%d/%v/%v", chunks.Z, chunks.Y, chunks.X, c, benchShape)
			b.Run(name, func(b *testing.B) {
				path := filepath.Join(b.TempDir(), "a.zarr")
				w, err := Create(path, ArrayOptions{Shape: []int{benchShape.Z, benchShape.Y, benchShape.X},
					Chunks: []int{chunks.Z, chunks.Y, chunks.X}, DType: Uint16, Codec: c})
				if err != nil {
					b.Fatal(err)
				}
				pw, _ := NewPlaneWriter(ctx, w, 0)
				for z := 0; z < benchShape.Z; z++ {
					if err := WritePlaneOf(ctx, pw, z, planes[z%len(planes)]); err != nil {
						b.Fatal(err)
					}
				}
				if err := pw.Close(); err != nil {
					b.Fatal(err)
				}
				if err := w.Commit(); err != nil {
					b.Fatal(err)
				}
				a, err := Open(path)
				if err != nil {
					b.Fatal(err)
				}
				p, err := a.Planes()
				if err != nil {
					b.Fatal(err)
				}
				dst := make([]float32, benchShape.PlaneLen())
				b.SetBytes(int64(benchShape.Len() * 2))
				for b.Loop() {
					for z := 0; z < benchShape.Z; z++ {
						if err := p.ReadPlane(ctx, z, dst); err != nil {
							b.Fatal(err)
						}
					}
				}
			})
		}
	}
}

// BenchmarkWriteImage streams the stack into an OME-NGFF image with its
// pyramid (levels down to one 256×256 chunk).
func BenchmarkWriteImage(b *testing.B) {
	planes := benchPlanes(b)
	ctx := context.Background()
	for _, c := range []Codec{BloscLZ4(5), Zstd(3)} {
		b.Run(fmt.Sprintf("chunks=1x256x256/%v/%v", c, benchShape), func(b *testing.B) {
			dir := b.TempDir()
			b.SetBytes(int64(benchShape.Len() * 2))
			cpu0 := cpuTime()
			for b.Loop() {
				root := filepath.Join(dir, "img.ome.zarr")
				iw, err := CreateImage(ctx, root, ImageOptions{Shape: benchShape, DType: Uint16,
					Chunks: stack.Shape{Z: 1, Y: 256, X: 256}, Codec: c, PixelSizeX: 0.2, PixelSizeY: 0.2, Unit: "micron"})
				if err != nil {
					b.Fatal(err)
				}
				for z := 0; z < benchShape.Z; z++ {
					if err := WriteImagePlane(ctx, iw, z, planes[z%len(planes)]); err != nil {
						b.Fatal(err)
					}
				}
				if err := iw.Close(); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				os.RemoveAll(root)
				b.StartTimer()
			}
			reportCPU(b, cpu0)
		})
	}
}

// BenchmarkBloscRuns encodes whole planes with segment's codecs for the
// image copy (Blosc LZ4 level 1, byte shuffle) and the labels (level 1,
// no shuffle), both encoded by lz4Runs: the synthetic nuclei planes, and
// label-like planes made from them (one value per object row band, zero
// elsewhere). MB/s are of uncompressed data.
func BenchmarkBloscRuns(b *testing.B) {
	planes := benchPlanes(b)
	labels := make([][]uint16, len(planes))
	for z, p := range planes {
		l := make([]uint16, len(p))
		for i, v := range p {
			if v > 1000 {
				l[i] = uint16(1 + z*4096 + (i/benchShape.X)/8)
			}
		}
		labels[z] = l
	}
	for _, c := range []struct {
		name   string
		codec  *bloscCodec
		planes [][]uint16
	}{
		{"image/shuffle", &bloscCodec{cname: "lz4", level: 1, shuffle: ByteShuffle, typesize: 2}, planes},
		{"labels/noshuffle", &bloscCodec{cname: "lz4", level: 1, shuffle: NoShuffle, typesize: 2}, labels},
	} {
		b.Run(c.name, func(b *testing.B) {
			n := benchShape.Y * benchShape.X * 2
			dst := make([]byte, 0, n+n/8)
			b.SetBytes(int64(n))
			var out int
			i := 0
			for b.Loop() {
				enc, err := c.codec.encode(dst[:0], asBytes(c.planes[i%len(c.planes)]))
				if err != nil {
					b.Fatal(err)
				}
				out += len(enc)
				i++
			}
			b.ReportMetric(float64(out)/float64(i*n), "ratio")
		})
	}
}
