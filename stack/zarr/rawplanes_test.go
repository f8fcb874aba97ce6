package zarr

import (
	"bytes"
	"os"
	"testing"
)

// rawPlanes reads 1024×1024 uint16 planes, stored one after another
// without a header, from the file named by the environment variable env
// (e.g. planes of the benchmark stack and of its labels, written with
// numpy's tofile); the benchmark is skipped without it.
func rawPlanes(b *testing.B, env string) [][]byte {
	name := os.Getenv(env)
	if name == "" {
		b.Skip(env + " names no file of raw planes")
	}
	data, err := os.ReadFile(name)
	if err != nil {
		b.Fatal(err)
	}
	const pb = 2 << 20
	var out [][]byte
	for i := 0; i+pb <= len(data); i += pb {
		out = append(out, data[i:i+pb])
	}
	if len(out) == 0 {
		b.Fatalf("%s holds no whole 1024×1024 uint16 plane", name)
	}
	return out
}

// benchStreams times lz4Runs on the streams Blosc makes of the planes in
// 64 KiB blocks: the two halves of each block (labels, no shuffle), or
// the high bytes of each block shuffled (image), after checking that it
// writes the blocks lz4RunsRef writes.
func benchStreams(b *testing.B, planes [][]byte, shuffled bool) {
	var streams [][]byte
	for _, p := range planes {
		for o := 0; o < len(p); o += 64 << 10 {
			blk := p[o : o+64<<10]
			if shuffled {
				s0, s1 := make([]byte, 32<<10), make([]byte, 32<<10)
				shuffle2(s0, s1, blk)
				streams = append(streams, s1)
			} else {
				streams = append(streams, blk[:32<<10], blk[32<<10:])
			}
		}
	}
	period := 2
	if shuffled {
		period = 1
	}
	dst, ref := make([]byte, lz4RunsBound(32<<10)), make([]byte, lz4RunsBound(32<<10))
	for i, s := range streams {
		n, m := lz4Runs(dst, s, period), lz4RunsRef(ref, s, period)
		if n != m || !bytes.Equal(dst[:n], ref[:m]) {
			b.Fatalf("stream %d: lz4Runs and lz4RunsRef write different blocks", i)
		}
	}
	b.SetBytes(int64(len(planes) * (2 << 20)))
	for b.Loop() {
		for _, s := range streams {
			lz4Runs(dst, s, period)
		}
	}
}

// BenchmarkRawLabels: ZRAW_LAB names label planes (uint16).
func BenchmarkRawLabels(b *testing.B) { benchStreams(b, rawPlanes(b, "ZRAW_LAB"), false) }

// BenchmarkRawImageHigh: ZRAW_IMG names image planes (uint16); only the
// high bytes' stream is encoded (the low bytes are stored raw), but the
// bytes per second count whole planes.
func BenchmarkRawImageHigh(b *testing.B) { benchStreams(b, rawPlanes(b, "ZRAW_IMG"), true) }
