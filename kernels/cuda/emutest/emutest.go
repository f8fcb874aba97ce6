//go:build cuda

// Package emutest builds and loads the emulated CUDA driver for tests: a
// fake libcuda.so.1 compiled with g++ from kernels/cuda/emu (the driver
// calls and the grid emulator) and kernels/cuda/src (the same .cu kernels
// the GPU runs, compiled as C++). Tests of packages that run on the cuda
// backend call Main from their TestMain; `go test -tags cuda` then works on
// any machine with g++ and no GPU. With SEGSTACK_CUDA_TEST_DRIVER=real the
// tests run against the real driver instead (on a GPU machine).
//
// Test infrastructure only: nothing shipped imports it.
package emutest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/ebitengine/purego"
)

// Env names the variable the driver loader reads for the library's path
// (kernels/cuda.LibraryEnv).
const Env = "SEGSTACK_LIBCUDA"

// RealEnv, set to "real", makes Main use the installed driver.
const RealEnv = "SEGSTACK_CUDA_TEST_DRIVER"

// Options change the build.
type Options struct {
	// Sanitize builds with the thread sanitizer (-fsanitize=thread).
	Sanitize bool
}

// Sources returns the emulator's C++ files and the kernels' .cu files, and
// the kernels' include directory.
func Sources() (emu, cu []string, include string, err error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return nil, nil, "", errors.New("emutest: cannot locate the sources")
	}
	root := filepath.Dir(filepath.Dir(file)) // kernels/cuda
	if emu, err = filepath.Glob(filepath.Join(root, "emu", "*.cpp")); err != nil {
		return nil, nil, "", err
	}
	if cu, err = filepath.Glob(filepath.Join(root, "src", "*.cu")); err != nil {
		return nil, nil, "", err
	}
	if len(emu) == 0 {
		return nil, nil, "", fmt.Errorf("emutest: no emulator sources in %s", filepath.Join(root, "emu"))
	}
	sort.Strings(emu)
	sort.Strings(cu)
	return emu, cu, filepath.Join(root, "src"), nil
}

// Build compiles the emulated driver into dir and returns the path of the
// library, dir/libcuda.so.1. Translation units compile in parallel.
func Build(dir string, opt Options) (string, error) {
	emu, cu, inc, err := Sources()
	if err != nil {
		return "", err
	}
	common := []string{"-O1", "-fPIC", "-pthread", "-ffp-contract=off", "-Wall"}
	if opt.Sanitize {
		common = append(common, "-fsanitize=thread", "-g")
	}
	type unit struct {
		src  string
		args []string
	}
	var units []unit
	for _, f := range emu {
		// The emulator waits on atomics (C++20); the kernels are C++17.
		units = append(units, unit{f, append(append([]string{"-std=c++20"}, common...), "-c", f)})
	}
	for _, f := range cu {
		units = append(units, unit{f, append(append([]string{"-std=c++17"}, common...),
			"-DSEGSTACK_EMU", "-I", inc, "-include", filepath.Join(inc, "segcuda.h"), "-x", "c++", "-c", f)})
	}
	objs := make([]string, len(units))
	errs := make([]error, len(units))
	sem := make(chan struct{}, max(runtime.NumCPU(), 1))
	var wg sync.WaitGroup
	for i, u := range units {
		objs[i] = filepath.Join(dir, fmt.Sprintf("%02d-%s.o", i, strings.TrimSuffix(filepath.Base(u.src), filepath.Ext(u.src))))
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = gxx(append(u.args, "-o", objs[i]))
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return "", err
	}
	lib := filepath.Join(dir, "libcuda.so.1")
	args := append([]string{"-shared", "-pthread", "-o", lib}, objs...)
	if opt.Sanitize {
		args = append(args, "-fsanitize=thread")
	}
	if err := gxx(args); err != nil {
		return "", err
	}
	return lib, nil
}

func gxx(args []string) error {
	cmd := exec.Command("g++", args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("emutest: g++ %s: %w\n%s", strings.Join(args, " "), err, out.String())
	}
	return nil
}

var lib struct {
	sync.Mutex
	handle uintptr
	set    func(key, value *byte) int32
}

// Set changes the loaded emulator's configuration (see segemuSet in
// emu/driver.cpp): "fail" ("launch:N", "launch-name:ENTRY", "alloc:N" or
// ""), "memory" (bytes per device), "devices" (before the driver starts).
// It fails when the tests run against the real driver.
func Set(key, value string) error {
	lib.Lock()
	defer lib.Unlock()
	if lib.set == nil {
		p := os.Getenv(Env)
		if p == "" {
			return errors.New("emutest: no emulated driver loaded")
		}
		h, err := purego.Dlopen(p, purego.RTLD_NOW|purego.RTLD_LOCAL)
		if err != nil {
			return fmt.Errorf("emutest: %w", err)
		}
		sym, err := purego.Dlsym(h, "segemuSet")
		if err != nil {
			return fmt.Errorf("emutest: %s is not the emulated driver: %w", p, err)
		}
		lib.handle = h
		purego.RegisterFunc(&lib.set, sym)
	}
	if r := lib.set(cstr(key), cstr(value)); r != 0 {
		return fmt.Errorf("emutest: segemuSet(%q, %q) = %d", key, value, r)
	}
	return nil
}

func cstr(s string) *byte {
	b := make([]byte, len(s)+1)
	copy(b, s)
	return &b[0]
}

// Emulated reports whether the tests run on the emulated driver.
func Emulated() bool { return os.Getenv(RealEnv) != "real" }

// Main is a TestMain: unless SEGSTACK_CUDA_TEST_DRIVER=real, it builds the
// emulated driver with g++ into a temporary directory, points the loader at
// it, configures the given number of emulated devices, runs the tests and
// removes the directory. When SEGSTACK_LIBCUDA is set already it names an
// emulated driver built before (see Build), which the tests use as is. It
// returns the exit code for os.Exit.
func Main(m *testing.M, devices int) int {
	if !Emulated() {
		return m.Run()
	}
	if os.Getenv(Env) != "" {
		// A library built already, e.g. with the thread sanitizer.
		if err := Set("devices", fmt.Sprint(devices)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "segstack-fakecuda-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	p, err := Build(dir, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	os.Setenv(Env, p)
	if err := Set("devices", fmt.Sprint(devices)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}
