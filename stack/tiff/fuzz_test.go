package tiff

import (
	"bytes"
	"encoding/hex"
	"math/bits"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/segstack/segstack/stack"
)

// fuzzLimits keep fuzzed files from asking for large buffers.
var fuzzLimits = []Option{WithMaxPlaneBytes(1 << 20), WithMaxPages(256)}

// addFixtureSeeds seeds a fuzz target with the small fixtures and crafted
// files (the committed corpus in testdata/fuzz adds the regressions).
func addFixtureSeeds(f *testing.F, add func([]byte)) {
	names, _ := filepath.Glob(filepath.Join("testdata", "fixtures", "*.tif"))
	for _, n := range names {
		if b, err := os.ReadFile(n); err == nil && len(b) < 16<<10 {
			add(b)
		}
	}
	add(craft(false, twoPages()))
	add(craft(true, twoPages()))
	// 2x2-subsampled YCbCr: 2x2 units of 4 luma, Cb and Cr.
	ycc := with(grayFields(4, 3, 1, 24), shortField(tagSamplesPerPixel, 3), shortField(tagPhotometric, 6),
		field{tagYCbCrSubSampling, typeShort, 2, []byte{2, 0, 2, 0}})
	add(craft(false, []craftPage{{ycc, bytes.Repeat([]byte{1, 2, 3, 4, 5, 6}, 4), 0}}))
	// A JBIG strip of 1-bit pixels.
	if bie, err := hex.DecodeString(jbigSeedHex); err == nil {
		for i := range bie {
			bie[i] = bits.Reverse8(bie[i])
		}
		add(craft(false, []craftPage{{with(grayFields(jbigSeedW, jbigSeedH, uint16(compJBIG), uint32(len(bie))), shortField(tagBitsPerSample, 1)), bie, 0}}))
	}
	// A LERC strip of float32 samples with a mask of valid pixels.
	if blob, err := hex.DecodeString(lercSeeds[0].hex); err == nil {
		add(craft(false, []craftPage{{with(grayFields(uint32(lercSeeds[0].w), uint32(lercSeeds[0].h), uint16(compLERC), uint32(len(blob))),
			shortField(tagBitsPerSample, 32), shortField(tagSampleFormat, sampleFloat)), blob, 0}}))
	}
	// 12-bit grey, rows of 6 bytes.
	add(craft(false, []craftPage{{with(grayFields(4, 3, 1, 18), shortField(tagBitsPerSample, 12)), bytes.Repeat([]byte{0xab}, 18), 0}}))
}

// FuzzOpen parses arbitrary bytes as a TIFF and, when that succeeds, reads
// every plane: errors are fine, panics and runaway allocations are not.
func FuzzOpen(f *testing.F) {
	addFixtureSeeds(f, func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), int64(len(data)), fuzzLimits...)
		if err != nil {
			return
		}
		_ = r.Metadata()
		_ = r.WriterOptions()
		buf := make([]byte, r.PlaneBytes())
		for i := 0; i < min(r.Pages(), 8); i++ {
			_ = r.ReadPlaneInto(i, buf)
		}
	})
}

// FuzzReadPlane reads one plane of a fuzzed file through the typed API and
// checks that a successful read is repeatable (no state leaks between
// calls through the scratch pools).
func FuzzReadPlane(f *testing.F) {
	addFixtureSeeds(f, func(b []byte) { f.Add(b, uint8(1)) })
	f.Fuzz(func(t *testing.T, data []byte, plane uint8) {
		r, err := NewReader(bytes.NewReader(data), int64(len(data)), fuzzLimits...)
		if err != nil {
			return
		}
		i := int(plane) % r.Pages()
		var a, b []byte
		switch r.DType() {
		case stack.Uint16:
			x, y := make([]uint16, r.Shape().PlaneLen()), make([]uint16, r.Shape().PlaneLen())
			if ReadPlane(r, i, x) != nil {
				return
			}
			if err := ReadPlane(r, i, y); err != nil {
				t.Fatalf("second read failed: %v", err)
			}
			a, b = asBytes(x), asBytes(y)
		default:
			a, b = make([]byte, r.PlaneBytes()), make([]byte, r.PlaneBytes())
			if r.ReadPlaneInto(i, a) != nil {
				return
			}
			if err := r.ReadPlaneInto(i, b); err != nil {
				t.Fatalf("second read failed: %v", err)
			}
		}
		if !bytes.Equal(a, b) {
			t.Fatal("two reads of the same plane differ")
		}
	})
}

// TestRandomCorruption flips, overwrites and truncates bytes of the
// fixtures at random (deterministically) and reads the results: a cheap,
// always-run complement to the fuzz targets. Any panic fails the test.
func TestRandomCorruption(t *testing.T) {
	names, err := filepath.Glob(filepath.Join("testdata", "fixtures", "*.tif"))
	if err != nil || len(names) == 0 {
		t.Fatal("no fixtures")
	}
	files := make([][]byte, len(names))
	for i, n := range names {
		if files[i], err = os.ReadFile(n); err != nil {
			t.Fatal(err)
		}
	}
	rng := rand.New(rand.NewPCG(11, 12))
	iters := 4000
	if testing.Short() {
		iters = 500
	}
	opened := 0
	for it := 0; it < iters; it++ {
		b := append([]byte(nil), files[rng.IntN(len(files))]...)
		for k := 0; k < 1+rng.IntN(6); k++ {
			i := rng.IntN(len(b))
			switch rng.IntN(4) {
			case 0:
				b[i] ^= 1 << rng.IntN(8)
			case 1:
				b[i] = byte(rng.IntN(256))
			case 2:
				b[i] = 0xff
			case 3:
				b = b[:i+1]
			}
		}
		r, err := NewReader(bytes.NewReader(b), int64(len(b)), fuzzLimits...)
		if err != nil {
			continue
		}
		opened++
		buf := make([]byte, r.PlaneBytes())
		for i := 0; i < min(r.Pages(), 8); i++ {
			_ = r.ReadPlaneInto(i, buf)
		}
	}
	t.Logf("%d of %d corrupted files opened", opened, iters)
	if opened == 0 {
		t.Fatal("no corrupted file opened: the mutations are too destructive to test decoding")
	}
}
