//go:build cuda

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/kernels/cuda/emutest"
)

// TestCUDAEndToEnd builds segstack with the cuda tag and without cgo, as
// for the GPU machine, and runs it against the emulated driver (two
// devices): `devices` lists the GPUs, `segment --device cuda` writes the
// labels and statistics of `--device cpu` byte for byte, in 2-D and 3-D,
// and without a driver `--device auto` runs on the CPU while
// `--device cuda` says why it cannot.
func TestCUDAEndToEnd(t *testing.T) {
	if !emutest.Emulated() {
		t.Skip("runs against the emulated driver")
	}
	dir := t.TempDir()
	cudaBin := filepath.Join(dir, "segstack-cuda")
	build := exec.Command("go", "build", "-tags", "cuda", "-o", cudaBin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)
	lib, err := emutest.Build(t.TempDir(), emutest.Options{})
	require.NoError(t, err)

	runCUDA := func(env []string, args ...string) (string, string, int) {
		t.Helper()
		cmd := exec.Command(cudaBin, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), env...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else {
			require.NoError(t, err)
		}
		return stdout.String(), stderr.String(), code
	}
	fake := []string{"SEGSTACK_LIBCUDA=" + lib, "SEGSTACK_FAKECUDA_DEVICES=2"}

	stdout, stderr, code := runCUDA(fake, "devices")
	require.Zero(t, code, stderr)
	require.Contains(t, stdout, "cuda:0")
	require.Contains(t, stdout, "cuda:1")
	require.Contains(t, stdout, "segstack emulated device 1")
	require.Contains(t, stdout, "compute=9.0 driver=13.0")
	require.Contains(t, stdout, "256 MiB")
	require.Contains(t, stdout, "--device auto uses: cuda:0")

	_, stderr, code = runCUDA(fake, "gen", "in.tif", "--shape", "4,96,80", "--seed", "3")
	require.Zero(t, code, stderr)
	for _, mode := range []string{"2d", "3d"} {
		var files [2][2][]byte
		for i, dev := range []string{"cpu", "cuda:0,1"} {
			lab, st := mode+"-"+strings.ReplaceAll(dev, ",", "")+".tif", mode+"-"+strings.ReplaceAll(dev, ",", "")+".csv"
			_, stderr, code := runCUDA(fake, "segment", "in.tif", "-o", lab, "--stats", st, "--mode", mode, "--device", dev, "-q")
			require.Zero(t, code, stderr)
			files[i][0], err = os.ReadFile(filepath.Join(dir, lab))
			require.NoError(t, err)
			files[i][1], err = os.ReadFile(filepath.Join(dir, st))
			require.NoError(t, err)
		}
		require.Equal(t, files[0][0], files[1][0], "%s labels: cuda and cpu differ", mode)
		require.Equal(t, files[0][1], files[1][1], "%s statistics: cuda and cpu differ", mode)
		require.Greater(t, bytes.Count(files[0][1], []byte("\n")), 3, "%s found objects", mode)
	}

	nodriver := []string{"SEGSTACK_LIBCUDA=/nonexistent/libcuda.so.1"}
	stdout, stderr, code = runCUDA(nodriver, "devices")
	require.Zero(t, code, stderr)
	require.Contains(t, stdout, "no CUDA driver (/nonexistent/libcuda.so.1 not found")
	require.Contains(t, stdout, "--device auto uses: cpu")
	_, stderr, code = runCUDA(nodriver, "segment", "in.tif", "-o", "auto.tif", "--device", "auto", "-q")
	require.Zero(t, code, stderr)
	_, stderr, code = runCUDA(nodriver, "segment", "in.tif", "-o", "cuda.tif", "--device", "cuda", "-q")
	require.NotZero(t, code)
	require.Contains(t, stderr, "no CUDA driver")
}
