package tiff

import (
	"bytes"
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
