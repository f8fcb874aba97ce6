//go:build unix

package main

import "syscall"

// selfPeakRSSMiB is this process's peak resident set in MiB (ru_maxrss is
// in KiB on Linux).
func selfPeakRSSMiB() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Maxrss) / 1024
}
