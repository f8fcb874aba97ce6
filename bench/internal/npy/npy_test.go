package npy

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.npy")
	want := []float32{1.5, -2, 3.25, 0, 7, 8}
	require.NoError(t, Write(p, []int{2, 3}, want))
	a, err := Read(p)
	require.NoError(t, err)
	require.Equal(t, []int{2, 3}, a.Shape)
	got, err := a.Float32()
	require.NoError(t, err)
	require.Equal(t, want, got)
	_, err = a.Labels()
	require.Error(t, err, "float data must not pass as labels")

	p = filepath.Join(dir, "l.npy")
	require.NoError(t, Write(p, []int{4}, []uint32{0, 1, 70000, 2}))
	a, err = Read(p)
	require.NoError(t, err)
	l, err := a.Labels()
	require.NoError(t, err)
	require.Equal(t, []uint32{0, 1, 70000, 2}, l)

	require.Error(t, Write(p, []int{3}, []uint8{1, 2}))
}

// TestNumPy checks the files against NumPy itself when Debian's python3 is
// present: NumPy must read what Write writes, and Read must read what NumPy
// writes (int64 labels as scikit-image returns them, int32 as scipy does).
func TestNumPy(t *testing.T) {
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skip("no /usr/bin/python3")
	}
	if err := exec.Command(py, "-c", "import numpy").Run(); err != nil {
		t.Skip("no numpy")
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "go.npy")
	require.NoError(t, Write(in, []int{2, 2, 3}, []uint16{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 65535}))
	script := `
import numpy as np, sys
a = np.load(sys.argv[1])
assert a.dtype == np.uint16 and a.shape == (2, 2, 3), (a.dtype, a.shape)
assert a.ravel().tolist() == [0,1,2,3,4,5,6,7,8,9,10,65535]
np.save(sys.argv[2], np.arange(6, dtype=np.int64).reshape(2, 3) * 3)
np.save(sys.argv[3], np.array([[1.0, -0.5]], dtype=np.float32))
`
	i64 := filepath.Join(dir, "i64.npy")
	f32 := filepath.Join(dir, "f32.npy")
	out, err := exec.Command(py, "-c", script, in, i64, f32).CombinedOutput()
	require.NoError(t, err, string(out))
	a, err := Read(i64)
	require.NoError(t, err)
	require.Equal(t, []int{2, 3}, a.Shape)
	l, err := a.Labels()
	require.NoError(t, err)
	require.Equal(t, []uint32{0, 3, 6, 9, 12, 15}, l)
	a, err = Read(f32)
	require.NoError(t, err)
	f, err := a.Float32()
	require.NoError(t, err)
	require.Equal(t, []float32{1, -0.5}, f)
}

func TestCorrupt(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"empty":  "",
		"magic":  "\x93NUMPX\x01\x00\x10\x00{}",
		"short":  "\x93NUMPY\x01\x00\x40\x00{'descr'",
		"dtype":  "\x93NUMPY\x01\x00\x3c\x00{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }",
		"noData": "\x93NUMPY\x01\x00\x3c\x00{'descr': '<f4', 'fortran_order': False, 'shape': (9,), }",
	} {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
		_, err := Read(p)
		require.Error(t, err, name)
	}
}
