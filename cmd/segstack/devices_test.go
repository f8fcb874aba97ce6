package main

import (
	"bytes"
	"encoding/json"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/kernels/cuda"
	"github.com/segstack/segstack/kernels/simd"
)

// runDevices runs `segstack devices args...` in process and returns what it
// printed.
func runDevices(t *testing.T, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append([]string{"devices"}, args...))
	t.Cleanup(func() {
		root.SetOut(nil)
		root.SetErr(nil)
		root.SetArgs(nil)
		cmd, _, err := root.Find([]string{"devices"})
		require.NoError(t, err)
		require.NoError(t, cmd.Flags().Set("json", "false"))
	})
	require.NoError(t, root.Execute())
	return out.String()
}

func TestDevicesText(t *testing.T) {
	out := runDevices(t)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.GreaterOrEqual(t, len(lines), 3, out)
	require.Regexp(t, `^DEVICE\s+KIND\s+MODEL\s+CORES\s+MEMORY\s+DETAILS$`, lines[0])
	require.Regexp(t, `^cpu\s+cpu\s+.+\s`+strconv.Itoa(runtime.NumCPU())+`\s+-\s+simd=`+simd.Path(), lines[1])
	if !cuda.Compiled {
		require.Contains(t, out, "\ncuda: not compiled in (build with -tags cuda")
	}
	require.Equal(t, "--device auto uses: cpu/"+simd.Path(), lines[len(lines)-1])
}

func TestDevicesJSON(t *testing.T) {
	out := runDevices(t, "--json")
	var r struct {
		Devices []struct {
			Name  string `json:"name"`
			Kind  string `json:"kind"`
			Model string `json:"model"`
			Cores int    `json:"cores"`
			SIMD  string `json:"simd"`
		} `json:"devices"`
		Families []struct {
			Kind      string            `json:"kind"`
			Available bool              `json:"available"`
			Devices   []json.RawMessage `json:"devices"`
			Error     string            `json:"error"`
		} `json:"families"`
		Auto string `json:"auto"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &r), out)
	require.NotEmpty(t, r.Devices)
	cpu := r.Devices[0]
	require.Equal(t, "cpu", cpu.Name)
	require.Equal(t, "cpu", cpu.Kind)
	require.NotEmpty(t, cpu.Model)
	require.Equal(t, runtime.NumCPU(), cpu.Cores)
	require.Equal(t, simd.Path(), cpu.SIMD)
	require.Len(t, r.Families, 1)
	f := r.Families[0]
	require.Equal(t, "cuda", f.Kind)
	require.False(t, f.Available)
	require.NotNil(t, f.Devices)
	require.Empty(t, f.Devices)
	require.Contains(t, f.Error, "cuda:")
	require.Equal(t, "cpu/"+simd.Path(), r.Auto)
}

func TestDevicesRejectsArgs(t *testing.T) {
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs([]string{"devices", "extra"})
	defer func() { root.SetOut(nil); root.SetErr(nil); root.SetArgs(nil) }()
	require.Error(t, root.Execute())
}
