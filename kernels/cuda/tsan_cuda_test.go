//go:build cuda

package cuda

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/kernels/cuda/emutest"
)

// tsanRun selects the tests run again on the emulator built with the
// thread sanitizer, with -test.short: those tests keep to small cases
// then, since a sanitized emulator runs several times slower.
const tsanRun = `^(TestEmulator|TestLabelMatchesCPU|TestRegionStatsMatchCPU|TestMaxAndThreshold)`

// TestThreadSanitizer builds the emulated driver with -fsanitize=thread and
// runs small cases in child processes with the sanitizer's runtime
// preloaded: a deliberately racy kernel must be reported, and the kernels'
// cases must run clean (union-find kernels that read parents without atomic
// or volatile loads would not).
func TestThreadSanitizer(t *testing.T) {
	if os.Getenv("SEGSTACK_CUDA_CHILD") == "race" {
		g := testGPU(t, 0)
		s, err := g.NewStream()
		require.NoError(t, err)
		b, err := g.Alloc(4)
		require.NoError(t, err)
		require.NoError(t, g.launch("segemu_test_race", [3]uint32{1, 1, 1}, [3]uint32{64, 1, 1}, 0, s, b))
		require.NoError(t, g.Synchronize(s))
		return
	}
	if os.Getenv("SEGSTACK_CUDA_CHILD") != "" {
		t.Skip("a child run")
	}
	emulatedOnly(t)
	if testing.Short() {
		t.Skip("builds the emulator again with the thread sanitizer")
	}
	out, err := exec.Command("g++", "-print-file-name=libtsan.so").Output()
	require.NoError(t, err)
	tsan := strings.TrimSpace(string(out))
	if !filepath.IsAbs(tsan) {
		t.Skipf("g++ has no thread sanitizer runtime (%s)", tsan)
	}
	lib, err := emutest.Build(t.TempDir(), emutest.Options{Sanitize: true})
	require.NoError(t, err)
	child := func(run, mode string) (string, error) {
		cmd := exec.Command(os.Args[0], "-test.run="+run, "-test.count=1", "-test.v", "-test.short")
		cmd.Env = append(os.Environ(), "LD_PRELOAD="+tsan, emutest.Env+"="+lib, "SEGSTACK_CUDA_CHILD="+mode,
			"TSAN_OPTIONS=halt_on_error=0")
		b, err := cmd.CombinedOutput()
		return string(b), err
	}

	// The Go runtime exits without the sanitizer's exit hook, so its
	// reports are read from the output rather than the exit status.
	out2, _ := child("^TestThreadSanitizer$", "race")
	require.Contains(t, out2, "ThreadSanitizer: data race", "the racy kernel is reported")

	out3, err := child(tsanRun, "tsan")
	require.NoError(t, err, "%s", out3)
	require.NotContains(t, out3, "ThreadSanitizer")
	require.Contains(t, out3, "--- PASS: TestEmulatorBarrierSharedAtomics")
	t.Logf("under the thread sanitizer:\n%s", out3)
}
