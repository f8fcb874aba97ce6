package tiff

import (
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/segstack/segstack/stack"
)

// benchShape is a 128 MiB uint16 stack.
var benchShape = stack.Shape{Z: 64, Y: 1024, X: 1024}

// benchPlanes returns smooth-plus-noise planes like a microscope's, so that
// Deflate has realistic work.
func benchPlanes(s stack.Shape) [][]uint16 {
	rng := rand.New(rand.NewPCG(7, 8))
	planes := make([][]uint16, s.Z)
	for z := range planes {
		p := make([]uint16, s.Y*s.X)
		for y := 0; y < s.Y; y++ {
			for x := 0; x < s.X; x++ {
				p[y*s.X+x] = uint16(100 + (x*y+z*50)%2000/4 + rng.IntN(24))
			}
		}
		planes[z] = p
	}
	return planes
}

func benchWrite(b *testing.B, path string, opts WriterOptions, planes [][]uint16) {
	w, err := Create(path, opts)
	if err != nil {
		b.Fatal(err)
	}
	for _, p := range planes {
		if err := WritePlaneOf(w, p); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
}

// readWholeFile is the anchor: the file's bytes copied into a buffer.
func readWholeFile(b *testing.B, path string, buf []byte) {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if _, err := io.ReadFull(f, buf); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRead decodes every plane of a 64×1024×1024 uint16 stack; the
// filecopy case reads the uncompressed file whole into memory, the floor
// any reader pays.
func BenchmarkRead(b *testing.B) {
	dir := b.TempDir()
	planes := benchPlanes(benchShape)
	name := benchShape.String()
	files := map[string]string{}
	for _, c := range []struct {
		name string
		comp Compression
		pred Predictor
	}{{"none", None, NoPredictor}, {"deflate", Deflate, Horizontal}, {"lzw", LZW, Horizontal}} {
		path := filepath.Join(dir, c.name+".tif")
		benchWrite(b, path, WriterOptions{Shape: benchShape, DType: stack.Uint16, Compression: c.comp, Predictor: c.pred}, planes)
		files[c.name] = path
	}
	planeBytes := int64(benchShape.Y * benchShape.X * 2)
	b.Run("filecopy/"+name+"/uint16", func(b *testing.B) {
		st, _ := os.Stat(files["none"])
		buf := make([]byte, st.Size())
		b.SetBytes(st.Size())
		for b.Loop() {
			readWholeFile(b, files["none"], buf)
		}
	})
	for _, c := range []string{"none", "deflate", "lzw"} {
		b.Run(c+"/"+name+"/uint16", func(b *testing.B) {
			r, err := Open(files[c])
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			dst := make([]uint16, benchShape.Y*benchShape.X)
			b.SetBytes(planeBytes * int64(benchShape.Z))
			for b.Loop() {
				for z := 0; z < r.Pages(); z++ {
					if err := ReadPlane(r, z, dst); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// BenchmarkWrite writes the stack through the Writer (fsync and rename
// included); the filecopy case writes the same number of bytes to a file
// and syncs it.
func BenchmarkWrite(b *testing.B) {
	dir := b.TempDir()
	planes := benchPlanes(benchShape)
	name := benchShape.String()
	total := int64(benchShape.Len() * 2)
	b.Run("filecopy/"+name+"/uint16", func(b *testing.B) {
		b.SetBytes(total)
		for b.Loop() {
			f, err := os.Create(filepath.Join(dir, "copy.raw"))
			if err != nil {
				b.Fatal(err)
			}
			for _, p := range planes {
				if _, err := f.Write(asBytes(p)); err != nil {
					b.Fatal(err)
				}
			}
			if err := f.Sync(); err != nil {
				b.Fatal(err)
			}
			f.Close()
		}
	})
	for _, c := range []struct {
		name string
		comp Compression
		pred Predictor
	}{{"none", None, NoPredictor}, {"deflate", Deflate, Horizontal}, {"lzw", LZW, Horizontal}} {
		b.Run(c.name+"/"+name+"/uint16", func(b *testing.B) {
			b.SetBytes(total)
			for b.Loop() {
				benchWrite(b, filepath.Join(dir, c.name+".tif"), WriterOptions{Shape: benchShape, DType: stack.Uint16, Compression: c.comp, Predictor: c.pred}, planes)
			}
		})
	}
}

// BenchmarkCodec measures the strip codecs alone on one differenced
// 1024×1024 uint16 plane (2 MiB, in 256 KiB strips as the Writer cuts it).
func BenchmarkCodec(b *testing.B) {
	plane := asBytes(benchPlanes(stack.Shape{Z: 1, Y: 1024, X: 1024})[0])
	src := append([]byte(nil), plane...)
	doHorizontal(src, 1024, 2)
	const strip = 256 << 10
	var enc lzwEncoder
	var lzwStrips [][]byte
	for i := 0; i < len(src); i += strip {
		lzwStrips = append(lzwStrips, enc.encode(nil, src[i:i+strip]))
	}
	b.Run("lzw-encode", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		var out []byte
		for b.Loop() {
			for i := 0; i < len(src); i += strip {
				out = enc.encode(out[:0], src[i:i+strip])
			}
		}
	})
	b.Run("lzw-decode", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		dst := make([]byte, strip)
		for b.Loop() {
			for _, s := range lzwStrips {
				if _, err := lzwDecode(s, dst); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("horizontal-undo", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		buf := append([]byte(nil), src...)
		for b.Loop() {
			undoHorizontal(buf, 1024, 2, 1)
		}
	})
}
