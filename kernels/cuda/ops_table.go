//go:build cuda

package cuda

import (
	"fmt"

	"github.com/segstack/segstack/kernels/offload"
)

// argKind is the Go type a kernel parameter takes, and so its PTX type.
type argKind byte

const (
	argPtr   argKind = 'p' // a device address: uint64 or offload.Buffer; .u64
	argI64   argKind = 'l' // long long: int64; .u64
	argI32   argKind = 'i' // int: int32; .u32
	argU32   argKind = 'u' // unsigned: uint32; .u32
	argFloat argKind = 'f' // float: float32; .f32
)

// ptxType is the parameter type clang gives the kind in a .entry.
func (k argKind) ptxType() string {
	switch k {
	case argPtr, argI64:
		return ".u64"
	case argI32, argU32:
		return ".u32"
	case argFloat:
		return ".f32"
	}
	return "?"
}

// entries is every kernel of src/*.cu with its parameters, as the Go side
// launches them. TestLaunchTableMatchesPTX holds it to the PTX, and
// g.kernel holds every launch to it.
var entries = map[string]string{
	// gaussian.cu
	"seg_gauss_pass_f32": "pplllipiifp", // dst, src, Z, Y, X, axis, w, r, mode, cval, maxOut
	"seg_gauss_pass_u8":  "pplllipiifp",
	"seg_gauss_pass_u16": "pplllipiifp",
	"seg_gauss_yx_f32":   "pplllpipiifp", // dst, src, Z, Y, X, wy, ry, wx, rx, mode, cval, maxOut
	"seg_gauss_yx_u8":    "pplllpipiifp",
	"seg_gauss_yx_u16":   "pplllpipiifp",
	"seg_convert_f32":    "pplp", // dst, src, n, maxOut
	"seg_convert_u8":     "pplp",
	"seg_convert_u16":    "pplp",
	// reduce.cu
	"seg_fill_u32":  "plu",        // dst, n, v
	"seg_max_box":   "ppllllllll", // out, src, Y, X, z0, y0, x0, dz, dy, dx
	"seg_threshold": "pplf",       // dst, src, n, t
	// label.cu
	"seg_label_scan":         "plp",    // counts, nb, count
	"seg_label_init_u32":     "pplllf", // P, src, Z, Y, X, t
	"seg_label_merge_u32":    "pllli",  // P, Z, Y, X, conn
	"seg_label_compress_u32": "pl",
	"seg_label_count_u32":    "plp",
	"seg_label_number_u32":   "plp",
	"seg_label_write32_u32":  "ppl",
	"seg_label_write16_u32":  "ppl",
	"seg_label_init_u64":     "pplllf",
	"seg_label_merge_u64":    "pllli",
	"seg_label_compress_u64": "pl",
	"seg_label_count_u64":    "plp",
	"seg_label_number_u64":   "plp",
	"seg_label_write32_u64":  "ppl",
	"seg_label_write16_u64":  "ppl",
	// stats.cu
	"seg_stats_init":  "pl",      // regions, n
	"seg_stats_accum": "pppllll", // regions, labels, intensity, Z, Y, X, nl
}

// threadsPerBlock is SEG_THREADS of common.h: the block size of every
// launch.
const threadsPerBlock = 256

// kernel checks args against the entry's parameters and launches it with
// blocks of threadsPerBlock threads.
func (g *gpu) kernel(entry string, grid [3]uint32, s offload.Stream, args ...any) error {
	kinds, ok := entries[entry]
	if !ok {
		return fmt.Errorf("cuda: no kernel %q in the launch table", entry)
	}
	if len(args) != len(kinds) {
		return fmt.Errorf("cuda: %s takes %d arguments, given %d", entry, len(kinds), len(args))
	}
	for i, a := range args {
		var good bool
		switch argKind(kinds[i]) {
		case argPtr:
			switch a.(type) {
			case uint64, offload.Buffer:
				good = true
			}
		case argI64:
			_, good = a.(int64)
		case argI32:
			_, good = a.(int32)
		case argU32:
			_, good = a.(uint32)
		case argFloat:
			_, good = a.(float32)
		}
		if !good {
			return fmt.Errorf("cuda: %s argument %d: %T where the kernel takes %c", entry, i, a, kinds[i])
		}
	}
	return g.launch(entry, grid, [3]uint32{threadsPerBlock, 1, 1}, 0, s, args...)
}

// grid1 is the grid of a 1-D grid-stride kernel over n elements.
func grid1(n int64) [3]uint32 {
	b := (n + threadsPerBlock - 1) / threadsPerBlock
	return [3]uint32{uint32(min(max(b, 1), maxBlocks)), 1, 1}
}

// grid3 is the grid of a kernel over a Z x Y x X volume with X across the
// threads of a block (each thread taking perThread voxels of a row), Y and
// Z across blocks; the kernels loop over what the grid does not cover.
func grid3(z, y, x int64, perThread int64) [3]uint32 {
	span := threadsPerBlock * perThread
	gx := min(max((x+span-1)/span, 1), maxBlocks)
	gy := min(max(y, 1), 65535, max(maxBlocks/gx, 1))
	gz := min(max(z, 1), 65535, max(maxBlocks/(gx*gy), 1))
	return [3]uint32{uint32(gx), uint32(gy), uint32(gz)}
}

// maxBlocks bounds a grid: enough blocks to fill any current GPU several
// times over, the rest covered by the kernels' grid-stride loops. Tests
// lower it to run those loops (and the emulator) with few blocks.
var maxBlocks int64 = 1 << 16
