package stack

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// anonHugeBytes is the AnonHugePages of the mapping of /proc/self/smaps
// that holds addr.
func anonHugeBytes(t *testing.T, addr uintptr) int64 {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skipf("no smaps: %v", err)
	}
	defer f.Close()
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if lo, hi, ok := strings.Cut(fields[0], "-"); ok && !strings.HasSuffix(fields[0], ":") {
			a, err1 := strconv.ParseUint(lo, 16, 64)
			b, err2 := strconv.ParseUint(hi, 16, 64)
			in = err1 == nil && err2 == nil && uint64(addr) >= a && uint64(addr) < b
			continue
		}
		if in && fields[0] == "AnonHugePages:" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			require.NoError(t, err)
			return kb << 10
		}
	}
	return 0
}

// A large volume is backed by huge pages once written, where transparent
// huge pages are available to advised memory.
func TestNewAdvisesHugePages(t *testing.T) {
	mode, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil || strings.Contains(string(mode), "[never]") {
		t.Skipf("transparent huge pages off: %q %v", mode, err)
	}
	v := New[float32](Shape{Z: 8, Y: 1024, X: 1024}) // 32 MiB
	for i := range v.Data {
		v.Data[i] = 1
	}
	got := anonHugeBytes(t, uintptr(unsafe.Pointer(&v.Data[len(v.Data)/2])))
	if got == 0 && strings.Contains(string(mode), "[always]") {
		t.Skip("no huge pages given even to unadvised memory (fragmented?)")
	}
	require.Greater(t, got, int64(0), "huge pages back the volume")
}
