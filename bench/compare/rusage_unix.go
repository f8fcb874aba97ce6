//go:build unix

package main

import (
	"os"
	"runtime"
	"syscall"
)

// maxRSSMiB is the child's peak resident set from its rusage.
func maxRSSMiB(ps *os.ProcessState) float64 {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	// Linux reports ru_maxrss in KiB, Darwin in bytes.
	if runtime.GOOS == "darwin" {
		return float64(ru.Maxrss) / (1 << 20)
	}
	return float64(ru.Maxrss) / 1024
}
