//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/segstack/segstack/internal/outfile"
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
// scratch file), segment to OME-Zarr, and convert to TIFF and OME-Zarr; a
// Zarr store is always written under a temporary folder name, which is
// the one kind of leftover allowed with unnamed files.
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
		{"convertzarr", []string{"convert", "in.tif", "out/c.ome.zarr"}, []string{"c.ome.zarr"}},
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
			// Files are unnamed until linked; a Zarr store, a folder of
			// many files, is always written under a temporary name.
			for _, name := range stray {
				fi, err := os.Stat(filepath.Join(outDir, name))
				_, temp := outfile.TempPID(name)
				require.True(t, err == nil && fi.IsDir() && temp && strings.Contains(name, ".zarr"+outfile.Marker),
					"round %d (%s): %s left by a SIGKILL", round, j.name, name)
			}
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

// TestSIGKILLLabelsInPlace kills, at random moments, a run that adds
// labels to an existing OME-Zarr image in place (segment img.ome.zarr -o
// img.ome.zarr). Whatever the moment, every file of the store is as it
// was before the run or as a complete run leaves it, the label image is
// there whole or not at all, and only temporaries under labels/ are left;
// the next run succeeds without --force unless the labels were complete,
// and leaves the store exactly as a run that was never killed.
func TestSIGKILLLabelsInPlace(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIP: -short: kills several runs on a 32-plane stack")
	}
	dir := t.TempDir()
	_, stderr, code := run(t, dir, "gen", "in.tif", "--shape", "32,1024,1024", "--seed", "5")
	require.Zero(t, code, stderr)
	require.NoError(t, os.Mkdir(filepath.Join(dir, "base"), 0o755))
	_, stderr, code = run(t, dir, "convert", "in.tif", "base/img.ome.zarr")
	require.Zero(t, code, stderr)
	base := treeFiles(t, filepath.Join(dir, "base", "img.ome.zarr"))
	args := []string{"segment", "out/img.ome.zarr", "-o", "out/img.ome.zarr", "-q"}
	store := filepath.Join(dir, "out", "img.ome.zarr")
	reset := func() {
		require.NoError(t, os.RemoveAll(filepath.Join(dir, "out")))
		require.NoError(t, os.CopyFS(filepath.Join(dir, "out"), os.DirFS(filepath.Join(dir, "base"))))
	}

	reset()
	start := time.Now()
	_, stderr, code = run(t, dir, args...)
	require.Zero(t, code, stderr)
	took := time.Since(start)
	complete := treeFiles(t, store)
	labelDir := filepath.Join("labels", "img") + string(filepath.Separator)
	nLabel := 0
	for p := range complete {
		if strings.HasPrefix(p, labelDir) {
			nLabel++
		}
	}
	require.NotZero(t, nLabel)
	t.Logf("labels added in place: %v uninterrupted, %d files in the label image", took.Round(time.Millisecond), nLabel)

	rng := rand.New(rand.NewPCG(23, uint64(time.Now().UnixNano())))
	deadline := time.Now().Add(45 * time.Second)
	kills, leftovers, before, partway, after := 0, 0, 0, 0, 0
	for round := 0; round < 12 && time.Now().Before(deadline); round++ {
		reset()
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		require.NoError(t, cmd.Start())
		time.Sleep(time.Duration(rng.Int64N(int64(took) * 21 / 20)))
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		if cmd.Wait() != nil {
			kills++
		}

		got := treeFiles(t, store)
		labelFiles := 0
		for p, b := range got {
			if strings.Contains(p, outfile.Marker) {
				require.True(t, strings.HasPrefix(p, "labels"+string(filepath.Separator)), "round %d: temporary %s outside labels/", round, p)
				leftovers++
				continue
			}
			if strings.HasPrefix(p, labelDir) {
				labelFiles++
			}
			want, inComplete := complete[p]
			old, inBase := base[p]
			require.True(t, (inComplete && b == want) || (inBase && b == old), "round %d: %s is neither as it was nor as a complete run leaves it", round, p)
		}
		require.Contains(t, []int{0, nLabel}, labelFiles, "round %d: the label image is there whole or not at all", round)
		switch {
		case labelFiles == 0 && got[filepath.Join("labels", ".zattrs")] == complete[filepath.Join("labels", ".zattrs")]:
			partway++ // listed, not yet moved into place
		case labelFiles == 0:
			before++
		default:
			after++
		}

		// The next run needs --force only when the labels are there.
		rerun := args
		if labelFiles > 0 {
			rerun = append(append([]string{}, args...), "--force")
		}
		_, stderr, code := run(t, dir, rerun...)
		require.Zero(t, code, "round %d rerun: %s", round, stderr)
		require.Equal(t, complete, treeFiles(t, store), "round %d: the rerun leaves the store as an uninterrupted run", round)
		top, err := os.ReadDir(filepath.Join(dir, "out"))
		require.NoError(t, err)
		require.Len(t, top, 1, "round %d: only the store in out/", round)
	}
	t.Logf("%d runs killed: %d before the labels were listed, %d listed but not yet in place, %d complete; %d temporaries left, all removed by the reruns",
		kills, before, partway, after, leftovers)
	require.NotZero(t, kills)
}

// treeFiles maps every file under root to its content, by path relative
// to root.
func treeFiles(t *testing.T, root string) map[string]string {
	t.Helper()
	files := map[string]string{}
	require.NoError(t, filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil // removed while walking
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		files[rel] = string(b)
		return nil
	}))
	return files
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
