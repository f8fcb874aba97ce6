//go:build unix

package segment

import "syscall"

// processCPU returns the process's user+system CPU time in seconds, so
// benchmarks on a shared machine can report the work done beside wall time.
func processCPU() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
