package cuda_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPTXUpToDate rebuilds the PTX from src/*.cu with clang-19, as
// `go generate` does, and requires the committed files to be identical.
func TestPTXUpToDate(t *testing.T) {
	clang, err := exec.LookPath("clang-19")
	if err != nil {
		t.Skip("clang-19 is not installed: the committed PTX is not checked against src/*.cu (apt-get install clang-19)")
	}
	out := t.TempDir()
	cmd := exec.Command("bash", "src/genptx.sh")
	cmd.Env = append(os.Environ(), "CLANG="+clang, "OUT="+out)
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", b)
	srcs, err := filepath.Glob("src/*.cu")
	require.NoError(t, err)
	require.NotEmpty(t, srcs)
	committed, err := filepath.Glob("ptx/*.ptx")
	require.NoError(t, err)
	require.Len(t, committed, len(srcs), "one ptx/*.ptx per src/*.cu")
	for _, f := range committed {
		want, err := os.ReadFile(filepath.Join(out, filepath.Base(f)))
		require.NoError(t, err, "%s has no source in src/", f)
		got, err := os.ReadFile(f)
		require.NoError(t, err)
		require.True(t, bytes.Equal(want, got), "%s differs from what src/ compiles to: run go generate ./kernels/cuda", f)
	}
}
