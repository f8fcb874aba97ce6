//go:build cuda

package cuda

import (
	"encoding/binary"
	"errors"
	"math"
	"os"
	"os/exec"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/kernels/cuda/emutest"
	"github.com/segstack/segstack/kernels/offload"
)

// selftestPTX names the emulator's own test kernels (emu/selftest.cpp); the
// emulated driver reads only the directives and .entry names.
const selftestPTX = `.version 7.0
.target sm_80
.address_size 64
.visible .entry segemu_test_iota(.param .u64 p0, .param .u64 p1) { ret; }
.visible .entry segemu_test_blocksum(.param .u64 p0, .param .u64 p1, .param .u64 p2, .param .u64 p3) { ret; }
.visible .entry segemu_test_reverse(.param .u64 p0, .param .u64 p1) { ret; }
.visible .entry segemu_test_count(.param .u64 p0) { ret; }
.visible .entry segemu_test_race(.param .u64 p0) { ret; }
`

func testDriver(t *testing.T) *driver {
	t.Helper()
	d, err := loadDriver()
	require.NoError(t, err)
	return d
}

func emulatedOnly(t *testing.T) {
	t.Helper()
	if !emutest.Emulated() {
		t.Skip("checks the emulated driver's own kernels and injected failures")
	}
}

// testGPU opens device ord with the emulator's test kernels loaded.
func testGPU(t *testing.T, ord int) *gpu {
	t.Helper()
	g, err := openGPU(testDriver(t), ord)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, g.Close()) })
	require.NoError(t, g.loadModule("selftest", []byte(selftestPTX)))
	return g
}

func u32s(b []byte) []uint32 {
	out := make([]uint32, len(b)/4)
	for i := range out {
		out[i] = binary.NativeEndian.Uint32(b[4*i:])
	}
	return out
}

func TestListDevices(t *testing.T) {
	devs, err := kernels.Drivers()[0], error(nil)
	_ = err
	require.Equal(t, Kind, devs.Kind)
	require.NoError(t, devs.Err)
	require.NotEmpty(t, devs.Devices)
	for i, d := range devs.Devices {
		require.Equal(t, "cuda:"+string(rune('0'+i)), d.Name)
		require.Equal(t, Kind, d.Kind)
		require.NotEmpty(t, d.Model)
		require.Positive(t, d.MemoryBytes)
		require.Regexp(t, `^\d+\.\d$`, d.Compute)
		require.Regexp(t, `^\d+\.\d+$`, d.Driver)
	}
	if emutest.Emulated() {
		require.Len(t, devs.Devices, emulatedDevices)
		require.Equal(t, "segstack emulated device 1", devs.Devices[1].Model)
		require.Equal(t, "9.0", devs.Devices[0].Compute)
		require.Equal(t, "13.0", devs.Devices[0].Driver)
		require.Equal(t, int64(256<<20), devs.Devices[0].MemoryBytes)
	}
}

func TestNoDriverMessage(t *testing.T) {
	_, err := openDriver("/nonexistent/libcuda.so.1")
	require.ErrorIs(t, err, kernels.ErrNoDevice)
	require.Contains(t, err.Error(), "no CUDA driver (/nonexistent/libcuda.so.1 not found")
	// The default library is absent on machines without a GPU driver;
	// where it is present it must load.
	if _, err := openDriver(defaultLibrary); err != nil {
		require.Equal(t, ErrNoDriver, err)
		require.Equal(t, "cuda: no CUDA driver (libcuda.so.1 not found)", err.Error())
	}
}

// TestNoDriverFallsBackToCPU runs the package's tests in a child process
// whose loader finds no driver: "auto" is the CPU and "cuda" says why.
func TestNoDriverFallsBackToCPU(t *testing.T) {
	if os.Getenv("SEGSTACK_CUDA_CHILD") == "nodriver" {
		b, err := kernels.Select("auto")
		require.NoError(t, err)
		require.Equal(t, kernels.CPU().Name(), b.Name())
		_, err = kernels.Select("cuda")
		require.ErrorIs(t, err, kernels.ErrNoDevice)
		require.Contains(t, err.Error(), "no CUDA driver (/nonexistent/libcuda.so.1 not found")
		st := kernels.Drivers()
		require.Len(t, st, 1)
		require.ErrorIs(t, st[0].Err, kernels.ErrNoDevice)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestNoDriverFallsBackToCPU$", "-test.count=1")
	cmd.Env = append(os.Environ(), "SEGSTACK_CUDA_CHILD=nodriver", emutest.Env+"=/nonexistent/libcuda.so.1", emutest.RealEnv+"=real")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "PASS")
}

func TestEmulatorGridIndices(t *testing.T) {
	emulatedOnly(t)
	g := testGPU(t, 0)
	s, err := g.NewStream()
	require.NoError(t, err)
	// A 3x2 grid of 4x2x2 blocks: 96 threads, n = 90 of them write.
	const n = 90
	buf, err := g.Alloc(4 * 96)
	require.NoError(t, err)
	host, err := g.AllocHost(4 * 96)
	require.NoError(t, err)
	require.NoError(t, g.memset(s, buf, 0, 4*96, 0xff))
	require.NoError(t, g.launch("segemu_test_iota", [3]uint32{3, 2, 1}, [3]uint32{4, 2, 2}, 0, s, buf, int64(n)))
	require.NoError(t, g.CopyToHost(s, host.Bytes(), buf, 0))
	require.NoError(t, g.Synchronize(s))
	got := u32s(host.Bytes())
	for i := range 96 {
		if i < n {
			require.Equal(t, uint32(i), got[i], "thread %d", i)
		} else {
			require.Equal(t, uint32(math.MaxUint32), got[i], "thread %d is past n", i)
		}
	}
}

func TestEmulatorBarrierSharedAtomics(t *testing.T) {
	emulatedOnly(t)
	g := testGPU(t, 1)
	s, err := g.NewStream()
	require.NoError(t, err)
	const n, block, blocks = 1000, 64, 16
	in, err := g.Alloc(4 * n)
	require.NoError(t, err)
	sum, err := g.Alloc(8)
	require.NoError(t, err)
	sums, err := g.Alloc(4 * blocks)
	require.NoError(t, err)
	h, err := g.AllocHost(4 * n)
	require.NoError(t, err)
	want := make([]uint64, blocks)
	var total uint64
	for i := range n {
		v := uint32(i*i%977 + 1)
		binary.NativeEndian.PutUint32(h.Bytes()[4*i:], v)
		want[i/block] += uint64(v)
		total += uint64(v)
	}
	require.NoError(t, g.CopyToDevice(s, in, 0, h.Bytes()))
	require.NoError(t, g.memset(s, sum, 0, 8, 0))
	require.NoError(t, g.launch("segemu_test_blocksum", [3]uint32{blocks, 1, 1}, [3]uint32{block, 1, 1}, 0, s,
		g.ptr(in), sum, sums, int64(n)))
	require.NoError(t, g.CopyToHost(s, h.Bytes()[:8], sum, 0))
	require.NoError(t, g.CopyToHost(s, h.Bytes()[8:8+4*blocks], sums, 0))
	require.NoError(t, g.Synchronize(s))
	require.Equal(t, total, binary.NativeEndian.Uint64(h.Bytes()))
	for b, v := range u32s(h.Bytes()[8 : 8+4*blocks]) {
		require.Equal(t, uint32(want[b]), v, "block %d", b)
	}
}

func TestEmulatorBarrierWithReturnedThreads(t *testing.T) {
	emulatedOnly(t)
	g := testGPU(t, 0)
	s, err := g.NewStream()
	require.NoError(t, err)
	const block, blocks = 10, 3
	in, err := g.Alloc(4 * block * blocks)
	require.NoError(t, err)
	out, err := g.Alloc(4 * block * blocks)
	require.NoError(t, err)
	h, err := g.AllocHost(4 * block * blocks)
	require.NoError(t, err)
	for i := range block * blocks {
		binary.NativeEndian.PutUint32(h.Bytes()[4*i:], math.Float32bits(float32(i+1)))
	}
	require.NoError(t, g.CopyToDevice(s, in, 0, h.Bytes()))
	require.NoError(t, g.memset(s, out, 0, out.Len(), 0))
	require.NoError(t, g.launch("segemu_test_reverse", [3]uint32{blocks, 1, 1}, [3]uint32{block, 1, 1}, 4*block, s, in, out))
	require.NoError(t, g.CopyToHost(s, h.Bytes(), out, 0))
	require.NoError(t, g.Synchronize(s))
	got := u32s(h.Bytes())
	for b := range blocks {
		for tid := 0; tid < block; tid += 2 {
			// Thread tid reads what even thread block-2-tid... wrote:
			// slot half-1-tid/2 holds in[base + 2*(half-1-tid/2)].
			src := b*block + 2*(block/2-1-tid/2)
			require.Equal(t, float32(src+1), math.Float32frombits(got[b*block+tid]), "block %d thread %d", b, tid)
			require.Zero(t, got[b*block+tid+1], "odd threads returned")
		}
	}
}

func TestEmulatorManyGoroutines(t *testing.T) {
	emulatedOnly(t)
	// Each call sets the context on its own locked thread: goroutines on
	// two devices at once, each with its own stream, all see their data.
	var wg sync.WaitGroup
	errs := make([]error, 8)
	gs := []*gpu{testGPU(t, 0), testGPU(t, 1)}
	for i := range errs {
		wg.Go(func() {
			g := gs[i%2]
			errs[i] = func() error {
				s, err := g.NewStream()
				if err != nil {
					return err
				}
				defer g.DestroyStream(s)
				b, err := g.Alloc(4)
				if err != nil {
					return err
				}
				defer g.Free(b)
				h, err := g.AllocHost(4)
				if err != nil {
					return err
				}
				defer g.FreeHost(h)
				for range 20 {
					if err := g.memset(s, b, 0, 4, 0); err != nil {
						return err
					}
					if err := g.launch("segemu_test_count", [3]uint32{3, 1, 1}, [3]uint32{7, 1, 1}, 0, s, b); err != nil {
						return err
					}
					if err := g.CopyToHost(s, h.Bytes(), b, 0); err != nil {
						return err
					}
					if err := g.Synchronize(s); err != nil {
						return err
					}
					if v := binary.NativeEndian.Uint32(h.Bytes()); v != 21 {
						return errors.New("count is not 21")
					}
				}
				return nil
			}()
		})
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...))
}

func TestModuleLoadErrorCarriesJITLog(t *testing.T) {
	g := testGPU(t, 0)
	err := g.loadModule("broken", []byte("this is not PTX"))
	var e *Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, "CUDA_ERROR_INVALID_PTX", e.Name)
	require.NotEmpty(t, e.Log, "the JIT's error log is kept")
	require.Contains(t, err.Error(), "broken")
}

func TestErrorsAreReported(t *testing.T) {
	g := testGPU(t, 0)
	s, err := g.NewStream()
	require.NoError(t, err)
	b, err := g.Alloc(16)
	require.NoError(t, err)

	_, _, err = g.MemInfo()
	require.NoError(t, err)
	_, err = g.Alloc(1 << 50)
	require.ErrorIs(t, err, offload.ErrOutOfMemory)
	require.Contains(t, err.Error(), "CUDA_ERROR_OUT_OF_MEMORY")

	require.ErrorContains(t, g.launch("no_such_kernel", [3]uint32{1, 1, 1}, [3]uint32{1, 1, 1}, 0, s, b), `no kernel "no_such_kernel"`)
	require.ErrorContains(t, g.launch("segemu_test_count", [3]uint32{1, 1, 1}, [3]uint32{1, 1, 1}, 0, s, "x"), "type string")
	require.ErrorContains(t, g.launch("segemu_test_count", [3]uint32{0, 1, 1}, [3]uint32{1, 1, 1}, 0, s, b), "empty grid")
	require.ErrorContains(t, g.launch("segemu_test_count", [3]uint32{1, 1, 1}, [3]uint32{1024, 2, 1}, 0, s, b), "1..1024")
	require.ErrorContains(t, g.CopyToHost(s, make([]byte, 4), b, 0), "not pinned")
	h, err := g.AllocHost(64)
	require.NoError(t, err)
	require.ErrorContains(t, g.CopyToHost(s, h.Bytes()[:32], b, 0), "overruns")
	require.NoError(t, g.Free(b))
	require.ErrorContains(t, g.Free(b), "was freed")
	require.NoError(t, g.DestroyStream(s))
	require.ErrorContains(t, g.Synchronize(s), "destroyed")
}

func TestInjectedFailures(t *testing.T) {
	emulatedOnly(t)
	g := testGPU(t, 0)
	s, err := g.NewStream()
	require.NoError(t, err)
	b, err := g.Alloc(4)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, emutest.Set("fail", "")) })

	require.NoError(t, emutest.Set("fail", "launch:2"))
	count := func() error {
		return g.launch("segemu_test_count", [3]uint32{1, 1, 1}, [3]uint32{1, 1, 1}, 0, s, b)
	}
	require.NoError(t, count())
	require.NoError(t, g.Synchronize(s))
	require.NoError(t, count(), "a failing launch is reported by the stream")
	err = g.Synchronize(s)
	var e *Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, "CUDA_ERROR_LAUNCH_FAILED", e.Name)
	require.NoError(t, count())
	require.NoError(t, g.Synchronize(s), "the stream works again")

	require.NoError(t, emutest.Set("fail", "alloc:1"))
	_, err = g.Alloc(4)
	require.ErrorIs(t, err, offload.ErrOutOfMemory)
	_, err = g.Alloc(4)
	require.NoError(t, err)
}
