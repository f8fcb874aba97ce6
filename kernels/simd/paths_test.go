package simd

import (
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"unsafe"
)

// The tests record which paths they ran, and TestMain prints them as the
// last line of the package's output ("simd paths tested: avx512 avx2
// go"), so that a run on a CPU without AVX-512 says so instead of passing
// silently. SEGSTACK_REQUIRE_SIMD=avx512 (or avx2, or a comma-separated
// list) turns a missing path into a failure: a machine that is meant to
// test a path cannot skip it unnoticed.

// requireEnv names the paths the tests must exercise.
const requireEnv = "SEGSTACK_REQUIRE_SIMD"

var (
	testedMu sync.Mutex
	tested   = map[string]bool{}
)

// markTested records that a test ran the kernels of the named path.
func markTested(name string) {
	testedMu.Lock()
	tested[name] = true
	testedMu.Unlock()
}

// testedPaths lists the paths the tests ran, widest first.
func testedPaths() []string {
	testedMu.Lock()
	defer testedMu.Unlock()
	var l []string
	for _, p := range []string{PathAVX512, PathAVX2, PathGo} {
		if tested[p] {
			l = append(l, p)
		}
	}
	return l
}

// requiredPaths parses SEGSTACK_REQUIRE_SIMD.
func requiredPaths() []string {
	var l []string
	for _, f := range strings.Split(os.Getenv(requireEnv), ",") {
		if f = strings.ToLower(strings.TrimSpace(f)); f != "" {
			l = append(l, f)
		}
	}
	return l
}

func TestMain(m *testing.M) {
	code := m.Run()
	got := testedPaths()
	line := "none"
	if len(got) > 0 {
		line = strings.Join(got, " ")
	}
	fmt.Printf("simd paths tested: %s\n", line)
	// TestRequiredPathsPresent fails when a required path is absent; this
	// also catches a run that had the path but did not exercise it (a
	// -run filter, say).
	for _, p := range requiredPaths() {
		if !slices.Contains(got, p) {
			fmt.Printf("FAIL: %s=%s: path %s was not tested\n", requireEnv, os.Getenv(requireEnv), p)
			if code == 0 {
				code = 1
			}
		}
	}
	os.Exit(code)
}

// TestRequiredPathsPresent fails, rather than skips, when a path named in
// SEGSTACK_REQUIRE_SIMD is missing on this CPU or build.
func TestRequiredPathsPresent(t *testing.T) {
	req := requiredPaths()
	if len(req) == 0 {
		t.Logf("%s not set; paths on this CPU and build: %v", requireEnv, Paths())
		return
	}
	for _, p := range req {
		switch p {
		case PathAVX512, PathAVX2, PathGo:
		default:
			t.Errorf("%s names %q, which is not a path (want avx512, avx2 or go)", requireEnv, p)
			continue
		}
		if !slices.Contains(Paths(), p) {
			t.Errorf("%s requires the %s path, which this CPU or build does not have (have %v)", requireEnv, p, Paths())
		}
	}
}

// underTest returns the vector paths present on this machine (and the Go
// path when withGo), records them as tested and logs them, so that the
// verbose output of each test says which paths it ran.
func underTest(t *testing.T, withGo bool) []*impl {
	t.Helper()
	p := asmImpls()
	if withGo {
		p = append(p, goImpl)
	}
	names := make([]string, len(p))
	for i, x := range p {
		names[i] = x.name
		markTested(x.name)
	}
	if len(asmImpls()) == 0 {
		t.Log("no assembly path on this CPU or build; only the Go twins run")
	} else {
		t.Logf("paths tested: %s", strings.Join(names, " "))
	}
	return p
}

// eachPath runs f with every path of Paths() switched on through Use, in
// turn, records each as tested and restores the path in use afterwards.
func eachPath(t *testing.T, f func(path string)) {
	t.Helper()
	prev := Path()
	defer func() { _, _ = Use(prev) }()
	t.Logf("paths tested: %s", strings.Join(Paths(), " "))
	for _, p := range Paths() {
		if _, err := Use(p); err != nil {
			t.Fatal(err)
		}
		markTested(p)
		f(p)
	}
}

// Guard bands: every output a test hands a kernel lies in a larger buffer
// whose elements just before and after it hold a sentinel (a NaN with a
// payload no kernel makes, for float32), so a kernel that writes one
// element too far, at either end, fails the test.

// guardLen is the number of sentinels on each side of an output: more
// than the widest vector (64 bytes) in elements of any type.
const guardLen = 80

// Sentinels, one per element type.
var (
	sentinelF32 = math.Float32frombits(0x7fc5a5a5)
	sentinelU8  = uint8(0xa5)
	sentinelU16 = uint16(0xa5a5)
	sentinelU64 = uint64(0xa5a5a5a5a5a5a5a5)
)

// guarded is an output of n elements inside a buffer of sentinels.
type guarded[T comparable] struct {
	buf      []T
	lo, n    int
	sentinel T
}

// newGuarded returns n elements, each set to fill, that start lag
// elements after a 64-byte boundary, with guardLen or more sentinels on
// each side.
func newGuarded[T comparable](n, lag int, sentinel, fill T) *guarded[T] {
	buf := make([]T, guardLen+64+lag+n+guardLen)
	k := guardLen
	for uintptr(unsafe.Pointer(&buf[k]))&63 != 0 {
		k++
	}
	for i := range buf {
		buf[i] = sentinel
	}
	g := &guarded[T]{buf: buf, lo: k + lag, n: n, sentinel: sentinel}
	for i := range g.data() {
		g.buf[g.lo+i] = fill
	}
	return g
}

// data is the output itself, capped so that append cannot reach the band.
func (g *guarded[T]) data() []T { return g.buf[g.lo : g.lo+g.n : g.lo+g.n] }

// check fails t unless both bands still hold only sentinels.
func (g *guarded[T]) check(t *testing.T, msg string, args ...any) {
	t.Helper()
	if o := g.overrun(); o != "" {
		t.Fatalf("%s: %s", o, fmt.Sprintf(msg, args...))
	}
}

// overrun describes the first element of either band that is no longer
// the sentinel, or returns "" when there is none.
func (g *guarded[T]) overrun() string {
	for i, v := range g.buf {
		if i >= g.lo && i < g.lo+g.n {
			continue
		}
		if !sameBits(v, g.sentinel) {
			where := fmt.Sprintf("%d elements before the output", g.lo-i)
			if i >= g.lo+g.n {
				where = fmt.Sprintf("%d elements past the end of the output", i-(g.lo+g.n)+1)
			}
			return fmt.Sprintf("guard band overwritten %s (%v, output of %d)", where, v, g.n)
		}
	}
	return ""
}

// sameBits compares float32 values by their bits (a NaN sentinel equals
// itself) and other values with ==.
func sameBits[T comparable](a, b T) bool {
	if fa, ok := any(a).(float32); ok {
		return math.Float32bits(fa) == math.Float32bits(any(b).(float32))
	}
	return a == b
}

// guardF32 is a float32 output of n zeros lag elements after a 64-byte
// boundary, in NaN guard bands.
func guardF32(n, lag int) *guarded[float32] { return newGuarded(n, lag, sentinelF32, 0) }

// guardRowsF32 makes m guarded float32 outputs of n elements each and
// returns them with their data.
func guardRowsF32(m, n, lag int) ([]*guarded[float32], [][]float32) {
	gs := make([]*guarded[float32], m)
	rows := make([][]float32, m)
	for i := range gs {
		gs[i] = guardF32(n, lag)
		rows[i] = gs[i].data()
	}
	return gs, rows
}

// TestGuardBandsCatchOverruns checks the guard itself: a write one element
// before or past the output is reported, writes inside it are not.
func TestGuardBandsCatchOverruns(t *testing.T) {
	for _, lag := range []int{0, 1, 5} {
		g := guardF32(17, lag)
		for i := range g.data() {
			g.data()[i] = float32(i)
		}
		if o := g.overrun(); o != "" {
			t.Fatalf("lag %d: writes inside the output reported: %s", lag, o)
		}
		for _, i := range []int{g.lo - 1, g.lo + g.n} {
			g.buf[i] = 0
			if g.overrun() == "" {
				t.Fatalf("lag %d: a write at %d (output %d..%d) not reported", lag, i, g.lo, g.lo+g.n-1)
			}
			g.buf[i] = sentinelF32
		}
	}
	u := newGuarded(3, 0, sentinelU16, 7)
	u.buf[u.lo+3] = 7
	if u.overrun() == "" {
		t.Fatal("uint16: a write just past the output not reported")
	}
}
