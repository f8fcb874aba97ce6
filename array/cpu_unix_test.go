//go:build unix

package array

import "syscall"

// cpuNanos is the CPU time (user and system) this process has used, which
// a machine shared with other work does not inflate as it does wall time.
func cpuNanos() int64 {
	var u syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &u) != nil {
		return 0
	}
	return u.Utime.Nano() + u.Stime.Nano()
}
