package filetree

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "a", "b"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "x"), []byte("1"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a", "b", "y"), []byte("22"), 0o644))
	m, err := Read(dir)
	require.NoError(t, err)
	require.Equal(t, map[string][]byte{"x": []byte("1"), filepath.Join("a", "b", "y"): []byte("22")}, m)
	one, err := Read(filepath.Join(dir, "x"))
	require.NoError(t, err)
	require.Equal(t, map[string][]byte{".": []byte("1")}, one)
	_, err = Read(filepath.Join(dir, "missing"))
	require.Error(t, err)
}
