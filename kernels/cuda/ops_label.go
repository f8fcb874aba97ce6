//go:build cuda

package cuda

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/kernels/offload"
	"github.com/segstack/segstack/stack"
)

// labelChunk is SEG_LABEL_CHUNK of label.cu: the voxels one block counts
// and numbers.
const labelChunk = threadsPerBlock * 16

// labelIndex is the width in bytes of the parent indices for a volume of
// n voxels: 32-bit below 2^31 voxels (the top bit tags numbered roots and
// all ones marks the background), 64-bit above.
func labelIndex(n int64) (int64, string) {
	if n < index32Limit {
		return 4, "u32"
	}
	return 8, "u64"
}

// index32Limit is the volume size from which parents are 64-bit (a
// variable so that tests can run the 64-bit kernels on small volumes).
var index32Limit int64 = 1<<31 - 1

// labelLayout is the scratch of a labelling: the parents, then the
// per-chunk root counts at a 256-byte aligned offset.
func labelLayout(n int64) (countsOff, chunks, total int64) {
	w, _ := labelIndex(n)
	chunks = (n + labelChunk - 1) / labelChunk
	countsOff = (n*w + 255) &^ 255
	return countsOff, chunks, countsOff + 8*(chunks+1)
}

// LabelScratch is the scratch LabelAbove needs for a volume of shape.
func (g *gpu) LabelScratch(shape stack.Shape) int {
	_, _, t := labelLayout(int64(shape.Len()))
	return int(t)
}

// normConn resolves conn for shape as kernels' labelling does: 0 is the
// rank's default, 6/18/26 on one plane act as 4/8/8, and 4/8 on several
// planes are refused.
func normConn(conn kernels.Connectivity, s stack.Shape) (kernels.Connectivity, error) {
	planar := s.Z == 1
	switch conn {
	case 0:
		if planar {
			return kernels.Conn4, nil
		}
		return kernels.Conn6, nil
	case kernels.Conn4, kernels.Conn8:
		if !planar {
			return 0, fmt.Errorf("%w: %d is a 2-D connectivity and the volume has %d planes", kernels.ErrConnectivity, conn, s.Z)
		}
		return conn, nil
	case kernels.Conn6:
		if planar {
			return kernels.Conn4, nil
		}
		return conn, nil
	case kernels.Conn18, kernels.Conn26:
		if planar {
			return kernels.Conn8, nil
		}
		return conn, nil
	}
	return 0, fmt.Errorf("%w: %d (want 4 or 8 in 2-D, 6, 18 or 26 in 3-D)", kernels.ErrConnectivity, conn)
}

// LabelAbove enqueues the labelling of the voxels of the float32 volume src
// above t into dst (uint32 for elemSize 4, uint16 for 2), numbered as
// scipy.ndimage.label numbers them, and stores the object count as a
// uint32 at the start of count. With uint16 labels and more than 65535
// objects the labels in dst are truncated: the caller reads the count and
// answers kernels.ErrLabelOverflow16 as the CPU does.
func (g *gpu) LabelAbove(s offload.Stream, dst, count, scratch, src offload.Buffer, shape stack.Shape, t float32, conn kernels.Connectivity, elemSize int) error {
	if err := shape.Validate(); err != nil {
		return fmt.Errorf("%w: %w", kernels.ErrInvalid, err)
	}
	c, err := normConn(conn, shape)
	if err != nil {
		return err
	}
	if elemSize != 2 && elemSize != 4 {
		return fmt.Errorf("%w: labels of %d bytes (want 2 or 4)", kernels.ErrInvalid, elemSize)
	}
	n := int64(shape.Len())
	countsOff, chunks, total := labelLayout(n)
	switch {
	case int64(dst.Len()) < n*int64(elemSize):
		return fmt.Errorf("%w: %d-byte labels of %v in %d bytes", kernels.ErrInvalid, elemSize, shape, dst.Len())
	case int64(src.Len()) < 4*n:
		return fmt.Errorf("%w: labelling %v from %d bytes", kernels.ErrInvalid, shape, src.Len())
	case int64(scratch.Len()) < total:
		return fmt.Errorf("%w: labelling %v needs %d bytes of scratch, given %d", kernels.ErrInvalid, shape, total, scratch.Len())
	case count.Len() < 4:
		return fmt.Errorf("%w: count buffer of %d bytes", kernels.ErrInvalid, count.Len())
	}
	_, sfx := labelIndex(n)
	P := g.ptr(scratch)
	counts := P + uint64(countsOff)
	Z, Y, X := int64(shape.Z), int64(shape.Y), int64(shape.X)
	chunkGrid := [3]uint32{uint32(min(chunks, maxBlocks)), 1, 1}
	write := "seg_label_write32_" + sfx
	if elemSize == 2 {
		write = "seg_label_write16_" + sfx
	}
	steps := []struct {
		entry string
		grid  [3]uint32
		args  []any
	}{
		{"seg_label_init_" + sfx, grid3(Z, Y, X, 1), []any{P, g.ptr(src), Z, Y, X, t}},
		{"seg_label_merge_" + sfx, grid3(Z, Y, X, 1), []any{P, Z, Y, X, int32(c)}},
		{"seg_label_compress_" + sfx, grid1(n), []any{P, n}},
		{"seg_label_count_" + sfx, chunkGrid, []any{P, n, counts}},
		{"seg_label_scan", [3]uint32{1, 1, 1}, []any{counts, chunks, g.ptr(count)}},
		{"seg_label_number_" + sfx, chunkGrid, []any{P, n, counts}},
		{write, grid1(n), []any{g.ptr(dst), P, n}},
	}
	for _, st := range steps {
		if err := g.kernel(st.entry, st.grid, s, st.args...); err != nil {
			return err
		}
	}
	return nil
}

// regionBytes is the size of one label's sums (SegRegion in stats.cu).
const regionBytes = 80

// RegionStatsBytes is the size of the output of RegionStats for n labels.
func (g *gpu) RegionStatsBytes(n int) int { return regionBytes * n }

// RegionStats enqueues the sums of every label 1..n of the uint32 labels
// (shape) with intensity (float32, may be nil) into out, which
// DecodeRegions turns into regions.
func (g *gpu) RegionStats(s offload.Stream, out, labels, intensity offload.Buffer, shape stack.Shape, n int) error {
	if err := shape.Validate(); err != nil {
		return fmt.Errorf("%w: %w", kernels.ErrInvalid, err)
	}
	v := int64(shape.Len())
	switch {
	case n < 0 || out.Len() < regionBytes*n:
		return fmt.Errorf("%w: stats of %d labels in %d bytes", kernels.ErrInvalid, n, out.Len())
	case int64(labels.Len()) < 4*v:
		return fmt.Errorf("%w: labels of %v in %d bytes", kernels.ErrInvalid, shape, labels.Len())
	case intensity != nil && int64(intensity.Len()) < 4*v:
		return fmt.Errorf("%w: intensity of %v in %d bytes", kernels.ErrInvalid, shape, intensity.Len())
	}
	if n == 0 {
		return nil
	}
	var ip uint64
	if intensity != nil {
		ip = g.ptr(intensity)
	}
	o := g.ptr(out)
	if err := g.kernel("seg_stats_init", grid1(int64(n)), s, o, int64(n)); err != nil {
		return err
	}
	return g.kernel("seg_stats_accum", grid3(int64(shape.Z), int64(shape.Y), int64(shape.X), 32), s,
		o, g.ptr(labels), ip, int64(shape.Z), int64(shape.Y), int64(shape.X), int64(n))
}

// DecodeRegions turns RegionStats' output for n labels into regions,
// label i+1 at index i, as kernels.LabelAboveWithStats reports them.
// Without an intensity volume (withIntensity false) the intensity
// statistics are 0, as on the CPU. Areas, boxes and centroids are exact;
// the mean intensity is a float64 sum made in another order than the
// CPU's, so it is the CPU's to the bit when the intensities are integers
// (raw 8- or 16-bit data, whose sums are exact) and within float64
// rounding otherwise.
func (g *gpu) DecodeRegions(out []byte, n int, withIntensity bool) []kernels.Region {
	return decodeRegions(out, n, withIntensity)
}

var _ offload.Labeler = (*gpu)(nil)

func decodeRegions(out []byte, n int, withIntensity bool) []kernels.Region {
	le := binary.LittleEndian
	regs := make([]kernels.Region, n)
	for i := range regs {
		b := out[i*regionBytes : (i+1)*regionBytes]
		var s kernels.RegionSums
		s.Area = int64(le.Uint64(b[0:]))
		for a := range 3 {
			s.Coord[a] = int64(le.Uint64(b[8+8*a:]))
		}
		if s.Area > 0 {
			for a := range 3 {
				s.Lo[a] = int(le.Uint32(b[40+4*a:]))
				s.Hi[a] = int(le.Uint32(b[52+4*a:]))
			}
		}
		if withIntensity && s.Area > 0 {
			s.Sum = math.Float64frombits(le.Uint64(b[32:]))
			s.Min = math.Float32frombits(le.Uint32(b[64:]))
			s.Max = math.Float32frombits(le.Uint32(b[68:]))
		}
		regs[i] = s.Region(uint32(i + 1))
	}
	return regs
}
