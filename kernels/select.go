package kernels

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/klauspost/cpuid/v2"
	"github.com/segstack/segstack/kernels/simd"
)

// DeviceInfo describes one device a binary can run kernels on.
type DeviceInfo struct {
	// Name is what Select accepts for this device: "cpu", "cuda:0".
	Name string `json:"name"`
	// Kind is the device family: "cpu", "cuda".
	Kind string `json:"kind"`
	// Model is the vendor's name for the part.
	Model string `json:"model"`
	// Cores is the number of logical CPUs, or of a GPU's multiprocessors.
	Cores int `json:"cores"`
	// MemoryBytes is the device's own memory; 0 for the CPU, which uses
	// host memory.
	MemoryBytes int64 `json:"memory_bytes,omitempty"`
	// SIMD is the CPU kernels' code path ("avx512", "avx2", "go").
	SIMD string `json:"simd,omitempty"`
	// Compute is an accelerator's architecture, e.g. a CUDA compute
	// capability "9.0".
	Compute string `json:"compute,omitempty"`
	// Driver is the accelerator driver's version, when known.
	Driver string `json:"driver,omitempty"`
	// Note is anything else a user should know, e.g. why the SIMD path
	// differs from the one SEGSTACK_SIMD asked for.
	Note string `json:"note,omitempty"`
}

// Driver makes one family of accelerators available to Select and
// Devices. Accelerator packages register theirs from an init function, so a
// binary offers exactly the families it imports (the CLI imports
// kernels/cuda, which registers "cuda" in every build and reports "not
// compiled in" unless built with the cuda tag).
type Driver struct {
	// Kind is the family's name and the prefix of its device names.
	Kind string
	// Open returns a backend that runs on the devices with these indices
	// (at least one, no duplicates, each below the number List reports).
	// Several indices ask for one backend that spreads work over all of
	// them.
	Open func(indices []int) (Backend, error)
	// List reports the devices present. An error wrapping ErrNoDevice
	// means the family cannot be used at all (not compiled in, no driver
	// installed); its message is shown to users as is.
	List func() ([]DeviceInfo, error)
}

var drivers struct {
	sync.Mutex
	byKind map[string]Driver
}

// RegisterDriver adds an accelerator family. It fails when d has no Kind,
// Open or List, when Kind is "cpu" or "auto" or not a plain lower-case
// word, or when the kind is already registered.
func RegisterDriver(d Driver) error {
	if d.Open == nil || d.List == nil {
		return fmt.Errorf("kernels: driver %q needs both Open and List", d.Kind)
	}
	if !isKindName(d.Kind) || d.Kind == "cpu" || d.Kind == "auto" {
		return fmt.Errorf("kernels: invalid driver kind %q", d.Kind)
	}
	drivers.Lock()
	defer drivers.Unlock()
	if drivers.byKind == nil {
		drivers.byKind = make(map[string]Driver)
	}
	if _, dup := drivers.byKind[d.Kind]; dup {
		return fmt.Errorf("kernels: driver %q registered twice", d.Kind)
	}
	drivers.byKind[d.Kind] = d
	return nil
}

func isKindName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' && r != '_' {
			return false
		}
	}
	return true
}

// registered returns the drivers sorted by kind, so listings are stable.
func registered() []Driver {
	drivers.Lock()
	defer drivers.Unlock()
	out := make([]Driver, 0, len(drivers.byKind))
	for _, d := range drivers.byKind {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b Driver) int { return strings.Compare(a.Kind, b.Kind) })
	return out
}

func lookupDriver(kind string) (Driver, bool) {
	drivers.Lock()
	defer drivers.Unlock()
	d, ok := drivers.byKind[kind]
	return d, ok
}

// DeviceSpec is a parsed device request.
type DeviceSpec struct {
	// Kind is "auto", "cpu" or an accelerator family such as "cuda".
	Kind string
	// Indices are the requested devices of Kind, in the order given; empty
	// for "auto" and "cpu". A bare family name means device 0.
	Indices []int
}

// String formats the spec as ParseDevice reads it.
func (s DeviceSpec) String() string {
	if len(s.Indices) == 0 {
		return s.Kind
	}
	parts := make([]string, len(s.Indices))
	for i, n := range s.Indices {
		parts[i] = strconv.Itoa(n)
	}
	return s.Kind + ":" + strings.Join(parts, ",")
}

// ParseDevice reads a device request: "auto", "cpu", "cuda" (device 0),
// "cuda:N" or a list "cuda:0,1". Any registered family name may stand in
// for "cuda". Case and surrounding space are ignored; "" means "auto".
// It checks syntax only; Select checks that the devices exist.
func ParseDevice(text string) (DeviceSpec, error) {
	s := strings.ToLower(strings.TrimSpace(text))
	if s == "" {
		s = "auto"
	}
	kind, list, hasList := strings.Cut(s, ":")
	switch {
	case kind == "auto" || kind == "cpu":
		if hasList {
			return DeviceSpec{}, fmt.Errorf("kernels: device %q: %q takes no index", text, kind)
		}
		return DeviceSpec{Kind: kind}, nil
	case !isKindName(kind):
		return DeviceSpec{}, fmt.Errorf("kernels: device %q: want auto, cpu, cuda, cuda:N or cuda:N,M", text)
	case !hasList:
		return DeviceSpec{Kind: kind, Indices: []int{0}}, nil
	}
	var idx []int
	for _, p := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 0 {
			return DeviceSpec{}, fmt.Errorf("kernels: device %q: %q is not a device index", text, p)
		}
		if slices.Contains(idx, n) {
			return DeviceSpec{}, fmt.Errorf("kernels: device %q: index %d given twice", text, n)
		}
		idx = append(idx, n)
	}
	return DeviceSpec{Kind: kind, Indices: idx}, nil
}

// Select returns the backend for a device request (see ParseDevice):
//
//   - "cpu" is CPU().
//   - "cuda", "cuda:N", "cuda:N,M" open those devices of the cuda family;
//     several indices give one backend that shares work among them.
//   - "auto" opens device 0 of the first family (by name) that reports a
//     device, and is CPU() when none does.
//
// A family that is not registered, that reports itself unusable, or that
// lacks a requested index gives an error wrapping ErrNoDevice. The caller
// closes the backend it gets.
func Select(device string) (Backend, error) {
	spec, err := ParseDevice(device)
	if err != nil {
		return nil, err
	}
	switch spec.Kind {
	case "cpu":
		return CPU(), nil
	case "auto":
		for _, d := range registered() {
			infos, err := d.List()
			if err != nil || len(infos) == 0 {
				continue
			}
			b, err := d.Open([]int{0})
			if errors.Is(err, ErrNoDevice) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("kernels: auto: %s:0: %w", d.Kind, err)
			}
			return b, nil
		}
		return CPU(), nil
	}
	d, ok := lookupDriver(spec.Kind)
	if !ok {
		if spec.Kind == "cuda" {
			return nil, fmt.Errorf("kernels: device %q: CUDA support is not compiled into this binary; "+
				"rebuild with `go build -tags cuda` (no CUDA toolkit needed; runs where the NVIDIA driver is installed): %w", device, ErrNoDevice)
		}
		return nil, fmt.Errorf("kernels: device %q: no %q devices in this binary: %w", device, spec.Kind, ErrNoDevice)
	}
	infos, err := d.List()
	if err != nil {
		return nil, fmt.Errorf("kernels: device %q: %w", device, err)
	}
	for _, i := range spec.Indices {
		if i >= len(infos) {
			return nil, fmt.Errorf("kernels: device %q: %s:%d does not exist (%d %s device(s) present): %w",
				device, spec.Kind, i, len(infos), spec.Kind, ErrNoDevice)
		}
	}
	b, err := d.Open(spec.Indices)
	if err != nil {
		return nil, fmt.Errorf("kernels: device %q: %w", device, err)
	}
	return b, nil
}

// DriverStatus is what one registered accelerator family reports.
type DriverStatus struct {
	// Kind is the family's name.
	Kind string
	// Devices are the devices present.
	Devices []DeviceInfo
	// Err says why the family cannot be used; nil when it can.
	Err error
}

// Drivers reports every registered accelerator family, sorted by kind.
func Drivers() []DriverStatus {
	var out []DriverStatus
	for _, d := range registered() {
		infos, err := d.List()
		out = append(out, DriverStatus{Kind: d.Kind, Devices: infos, Err: err})
	}
	return out
}

// Devices lists every device Select can open: the CPU first, then the
// devices of each registered family that reports any.
func Devices() []DeviceInfo {
	out := []DeviceInfo{CPUInfo()}
	for _, st := range Drivers() {
		if st.Err == nil {
			out = append(out, st.Devices...)
		}
	}
	return out
}

// CPUInfo describes the host CPU and the SIMD path of the CPU kernels.
func CPUInfo() DeviceInfo {
	return DeviceInfo{
		Name:  "cpu",
		Kind:  "cpu",
		Model: cpuModel(),
		Cores: runtime.NumCPU(),
		SIMD:  simd.Path(),
		Note:  simd.Note(),
	}
}

var cpuModel = sync.OnceValue(func() string {
	if m := strings.TrimSpace(cpuid.CPU.BrandName); m != "" {
		return m
	}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), ":")
			if ok && strings.TrimSpace(k) == "model name" {
				return strings.TrimSpace(v)
			}
		}
	}
	return runtime.GOARCH
})
