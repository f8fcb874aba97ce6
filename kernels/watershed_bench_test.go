package kernels

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/stack"
)

// Watershed benchmark inputs, shared with bench/anchors/watershed_anchor.py
// through TestWriteWatershedBench:
//
//	float: the blurred noise of the labelling benchmarks (values in [0, 1),
//	       nearly no ties), seeds on a grid every 32 pixels;
//	uint8: the same quantised to 0..255 (many ties), the same seeds;
//	masked: the float field flooded only inside its 0.5 mask (the mask of
//	        the labelling benchmarks), the same seeds.
var wsBenchKinds = []string{"float", "uint8", "masked"}

func wsBenchInput(kind string, s stack.Shape) (*stack.Volume[float32], *stack.Volume[uint32], *stack.Volume[uint8]) {
	f := blobField(s)
	img := stack.New[float32](s)
	for i, v := range f.Data {
		switch kind {
		case "uint8":
			img.Data[i] = float32(math.Floor(float64(v) * 255))
		default:
			img.Data[i] = v
		}
	}
	mk := stack.New[uint32](s)
	n := uint32(0)
	step := 32
	if s.Z > 1 {
		step = 16
	}
	for z := 0; z < s.Z; z += max(1, min(step, s.Z/2)) {
		for y := step / 2; y < s.Y; y += step {
			for x := step / 2; x < s.X; x += step {
				n++
				mk.Data[(z*s.Y+y)*s.X+x] = n
			}
		}
	}
	var mask *stack.Volume[uint8]
	if kind == "masked" {
		mask = blobMask(s)
	}
	return img, mk, mask
}

// wsBenchConn is the connectivity the watershed benchmarks flood s with:
// 8 in 2-D, 26 in 3-D.
func wsBenchConn(s stack.Shape) Connectivity {
	if s.Z > 1 {
		return Conn26
	}
	return Conn8
}

var wsBenchShapes = map[string]stack.Shape{
	"1024x1024":  {Z: 1, Y: 1024, X: 1024},
	"64x256x256": {Z: 64, Y: 256, X: 256},
}

func BenchmarkWatershed(b *testing.B) {
	for _, name := range []string{"1024x1024", "64x256x256"} {
		s := wsBenchShapes[name]
		conn := wsBenchConn(s)
		for _, kind := range wsBenchKinds {
			b.Run(fmt.Sprintf("%s/conn=%d/%s", kind, conn, name), func(b *testing.B) {
				img, mk, mask := wsBenchInput(kind, s)
				b.SetBytes(int64(4 * s.Len()))
				benchFloods(b, img, mk, mask, conn)
			})
		}
	}
}

// benchFloods times Watershed on one input. It makes one call before
// timing, as the scikit-image anchor makes one (its check of the labels):
// the timed calls then find the flood's buffers allocated, as every call
// but the first of a run of planes does. It returns the contests of one
// call.
func benchFloods(b *testing.B, img *stack.Volume[float32], mk *stack.Volume[uint32], mask *stack.Volume[uint8], conn Connectivity) int64 {
	dst := stack.New[uint32](img.Shape)
	ctx := context.Background()
	c0 := wsContests.Load()
	if err := Watershed(ctx, dst, img, mk, mask, conn); err != nil {
		b.Fatal(err)
	}
	contests := wsContests.Load() - c0
	runtime.GC()
	cpu0 := processCPU()
	for b.Loop() {
		if err := Watershed(ctx, dst, img, mk, mask, conn); err != nil {
			b.Fatal(err)
		}
	}
	reportLabelRate(b, img.Shape, cpu0)
	return contests
}

// wsContestInput is a stack on which tied seeds contest many times: a
// 9-wide running mean of uniform noise along each axis, stretched to the
// integers 0..255 (so that many voxels, and many seeds, share a value),
// seeded on a grid every dz planes and every d rows and columns.
func wsContestInput(s stack.Shape, dz, d int) (*stack.Volume[float32], *stack.Volume[uint32]) {
	img := blurredNoise(s, 9, 1, 4)
	lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
	for _, v := range img.Data {
		lo, hi = min(lo, v), max(hi, v)
	}
	for i, v := range img.Data {
		img.Data[i] = float32(math.Floor(float64((v - lo) / (hi - lo) * 255)))
	}
	mk := stack.New[uint32](s)
	n := uint32(0)
	for z := dz / 2; z < s.Z; z += dz {
		for y := d / 2; y < s.Y; y += d {
			for x := d / 2; x < s.X; x += d {
				n++
				mk.Data[(z*s.Y+y)*s.X+x] = n
			}
		}
	}
	return img, mk
}

// BenchmarkWatershedContests floods 32×512² stacks on which the tracked
// flood meets contests (wsContestInput, connectivity 26), with the flood's
// rule after a contest (back: go back to the kept state, up to
// wsMaxContests times) beside running the heap to the end at the first
// (heap), in the same run. With seeds every 16 columns (4096 seeds) three
// contests come early and going back saves; with seeds every 8 columns and
// 4 planes (32768) contests keep coming, and wsMaxContests bounds what
// going back loses. It reports the contests of one call.
func BenchmarkWatershedContests(b *testing.B) {
	s := stack.Shape{Z: 32, Y: 512, X: 512}
	for _, g := range []struct {
		name  string
		dz, d int
	}{{"seeds=4096", 8, 16}, {"seeds=32768", 4, 8}} {
		img, mk := wsContestInput(s, g.dz, g.d)
		for _, rule := range []struct {
			name string
			max  int
		}{{"back", wsMaxContests}, {"heap", 1}} {
			b.Run(g.name+"/"+rule.name, func(b *testing.B) {
				defer func(n int) { wsMaxContests = n }(wsMaxContests)
				wsMaxContests = rule.max
				b.ReportMetric(float64(benchFloods(b, img, mk, nil, Conn26)), "contests")
			})
		}
	}
}

// BenchmarkWatershedHeap measures the floor that scikit-image's order of
// tied seeds sets on the uint8 rows of BenchmarkWatershed. On those inputs
// seeds of one value tie until the flood has nearly ended, so the exact
// binary heap (binHeap) carries almost the whole flood. Here it replays
// alone, with no image work, every push and pop of the reference flood
// (refWatershedTrace, container/heap): its CPU time is what any flood
// that pops as scikit-image does pays for this heap, to set beside
// scikit-image's whole call (bench/anchors/watershed_anchor.py). Before
// timing, it requires every pop to return the reference's pixel.
func BenchmarkWatershedHeap(b *testing.B) {
	for _, name := range []string{"1024x1024", "64x256x256"} {
		s := wsBenchShapes[name]
		conn := wsBenchConn(s)
		b.Run(fmt.Sprintf("uint8/conn=%d/%s", conn, name), func(b *testing.B) {
			img, mk, mask := wsBenchInput("uint8", s)
			var ops []refHeapOp
			refWatershedTrace(img, mk, mask, conn, func(o refHeapOp) { ops = append(ops, o) })
			var h binHeap
			replay := func() int {
				h.reset()
				for i, o := range ops {
					if !o.pop {
						h.push(o.key, o.p)
					} else if _, p := h.pop(); p != o.p {
						return i
					}
				}
				return -1
			}
			if i := replay(); i >= 0 {
				b.Fatalf("operation %d: the heap popped another pixel than the reference", i)
			}
			cpu0 := processCPU()
			for b.Loop() {
				replay()
			}
			reportLabelRate(b, s, cpu0)
		})
	}
}

func BenchmarkWatershedPlanes(b *testing.B) {
	s := stack.Shape{Z: 16, Y: 512, X: 512}
	img, mk, _ := wsBenchInput("float", s)
	dst := stack.New[uint32](s)
	ctx := context.Background()
	b.SetBytes(int64(4 * s.Len()))
	cpu0 := processCPU()
	for b.Loop() {
		if err := WatershedPlanes(ctx, dst, img, mk, nil, Conn8, 0); err != nil {
			b.Fatal(err)
		}
	}
	reportLabelRate(b, s, cpu0)
}

func writeLE[T float32 | uint32](path string, data []T) error {
	buf := make([]byte, 4*len(data))
	for i, v := range data {
		var u uint32
		switch x := any(v).(type) {
		case float32:
			u = math.Float32bits(x)
		case uint32:
			u = x
		}
		binary.LittleEndian.PutUint32(buf[4*i:], u)
	}
	return os.WriteFile(path, buf, 0o644)
}

// TestWriteWatershedBench writes the benchmark inputs and segstack's labels
// as raw little-endian arrays (ZYX) into $SEGSTACK_WATERSHED_BENCH_DIR, for
// bench/anchors/watershed_anchor.py to time scikit-image on and check
// against.
func TestWriteWatershedBench(t *testing.T) {
	dir := os.Getenv("SEGSTACK_WATERSHED_BENCH_DIR")
	if dir == "" {
		t.Skip("SKIP: SEGSTACK_WATERSHED_BENCH_DIR not set")
	}
	ctx := context.Background()
	for name, s := range wsBenchShapes {
		conn := wsBenchConn(s)
		for _, kind := range wsBenchKinds {
			img, mk, mask := wsBenchInput(kind, s)
			dst := stack.New[uint32](s)
			require.NoError(t, Watershed(ctx, dst, img, mk, mask, conn))
			base := filepath.Join(dir, kind+"_"+name)
			require.NoError(t, writeLE(base+".image.f4", img.Data))
			require.NoError(t, writeLE(base+".markers.u4", mk.Data))
			require.NoError(t, writeLE(base+".segstack.u4", dst.Data))
			if mask != nil {
				require.NoError(t, os.WriteFile(base+".mask.u1", mask.Data, 0o644))
			}
		}
	}
}
