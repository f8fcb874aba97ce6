//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestSIGKILLLeavesNothing starts the binary on a stack that takes a second
// or so to segment, kills it with SIGKILL at random moments, and checks
// that no temporary file is left and that nothing partial lies under an
// output's name: each output there is the complete output of the run (the
// kill came after it was committed). It does so with unnamed O_TMPFILE
// outputs (Linux's default) and with named temporaries
// (SEGSTACK_OUTFILE=named), which a kill leaves behind and the next run
// removes. Runs cover 2d segment with every output, 3d segment (its
// scratch file) and convert.
func TestSIGKILLLeavesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIP: -short: kills several runs of a 48-plane stack")
	}
	dir := t.TempDir()
	_, stderr, code := run(t, dir, "gen", "in.tif", "--shape", "48,1024,1024", "--seed", "4")
	require.Zero(t, code, stderr)

	jobs := []struct {
		name    string
		args    []string
		outputs []string
	}{
		{"segment2d", []string{"segment", "in.tif", "-o", "out/l.tif", "--stats", "out/o.csv", "--preview", "out/p.png", "--report", "out/r.json", "-q"},
			[]string{"l.tif", "o.csv", "p.png", "r.json"}},
		{"segment3d", []string{"segment", "in.tif", "-o", "out/l.ome.tif", "--mode", "3d", "-q"}, []string{"l.ome.tif"}},
		{"convert", []string{"convert", "in.tif", "out/c.tif", "--compression", "deflate"}, []string{"c.tif"}},
		{"omezarr", []string{"segment", "in.tif", "-o", "out/l.ome.zarr", "--stats", "out/o.csv", "-q"}, []string{"l.ome.zarr", "o.csv"}},
	}
	// The complete outputs, from runs that are not killed.
	want := map[string][]byte{}
	took := map[string]time.Duration{}
	for _, j := range jobs {
		outDir := filepath.Join(dir, "out")
		require.NoError(t, os.MkdirAll(outDir, 0o755))
		start := time.Now()
		_, stderr, code := run(t, dir, j.args...)
		require.Zero(t, code, stderr)
		took[j.name] = time.Since(start)
		t.Logf("%s: %v uninterrupted", j.name, took[j.name].Round(time.Millisecond))
		for _, o := range j.outputs {
			want[j.name+"/"+o] = readTree(t, filepath.Join(outDir, o))
		}
		require.NoError(t, os.RemoveAll(outDir))
	}

	rng := rand.New(rand.NewPCG(17, uint64(time.Now().UnixNano())))
	deadline := time.Now().Add(60 * time.Second)
	kills, leftovers := 0, 0
	for round := 0; round < 16 && time.Now().Before(deadline); round++ {
		j := jobs[round%len(jobs)]
		named := round%2 == 1
		outDir := filepath.Join(dir, "out")
		require.NoError(t, os.RemoveAll(outDir))
		require.NoError(t, os.MkdirAll(outDir, 0o755))
		cmd := exec.Command(bin, j.args...)
		cmd.Dir = dir
		cmd.Env = os.Environ()
		if named {
			cmd.Env = append(cmd.Env, "SEGSTACK_OUTFILE=named")
		}
		var errOut bytes.Buffer
		cmd.Stderr = &errOut
		require.NoError(t, cmd.Start())
		// Most kills land while the run works, a few after it is done.
		time.Sleep(time.Duration(rng.Int64N(int64(took[j.name]) * 19 / 20)))
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		err := cmd.Wait()
		killed := err != nil
		if killed {
			kills++
		}

		var stray []string
		ents, err := os.ReadDir(outDir)
		require.NoError(t, err)
		for _, e := range ents {
			b, ok := want[j.name+"/"+e.Name()]
			if !ok {
				stray = append(stray, e.Name())
				continue
			}
			got := readTree(t, filepath.Join(outDir, e.Name()))
			if e.Name() == "r.json" {
				var v map[string]any
				require.NoError(t, json.Unmarshal(got, &v), "round %d: the report is whole", round)
				continue
			}
			require.True(t, bytes.Equal(b, got), "round %d (%s, named=%v): %s under its final name is not the complete output", round, j.name, named, e.Name())
		}
		if !named {
			require.Empty(t, stray, "round %d (%s): files left by a SIGKILL", round, j.name)
		}
		leftovers += len(stray)
		// dir holds only the input, the output folder and what the
		// previous rounds left there.
		top, err := os.ReadDir(dir)
		require.NoError(t, err)
		for _, e := range top {
			require.Contains(t, []string{"in.tif", "out"}, e.Name(), "round %d: stray file beside the input", round)
		}

		// A rerun succeeds, writes every output and removes the leftovers
		// of the killed run.
		_, stderr, code := run(t, dir, append(j.args, "--force")...)
		require.Zero(t, code, "round %d rerun: %s", round, stderr)
		ents, err = os.ReadDir(outDir)
		require.NoError(t, err)
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		require.ElementsMatch(t, j.outputs, names, "round %d (%s, named=%v, stray after kill %v): the rerun leaves exactly its outputs", round, j.name, named, stray)
	}
	t.Logf("%d of the runs killed; %d named temporaries left by them, all removed by the reruns", kills, leftovers)
	require.NotZero(t, kills)
}

// readTree returns a file's bytes, or for a directory (a Zarr store) every
// file below it as "relative path\x00bytes\x00", in name order.
func readTree(t *testing.T, path string) []byte {
	t.Helper()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	if !fi.IsDir() {
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		return b
	}
	var out bytes.Buffer
	require.NoError(t, filepath.WalkDir(path, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(path, p)
		out.WriteString(rel + "\x00")
		out.Write(b)
		out.WriteString("\x00")
		return nil
	}))
	return out.Bytes()
}
