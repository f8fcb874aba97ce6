//go:build unix

// Command peakrss runs a command and writes its wall time and its own peak
// resident set size as JSON:
//
//	peakrss --out FILE -- COMMAND [ARG…]
//
// The harness starts every timed process through it because a process
// started directly by a large parent does not have a peak RSS of its own:
// Linux starts a child with vfork semantics (as Go does) or fork, and at
// exec it keeps the high-water mark of the memory image it replaces, so the
// child's rusage ru_maxrss can be no smaller than the parent's own peak.
// This program is small, so what it hands on is about a megabyte or two,
// reported as floor_kib; the child's own figure is read from wait4.
//
// The exit status is the command's; stdin, stdout and stderr are passed
// through.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type report struct {
	WallS    float64 `json:"wall_s"`
	MaxRSSKB int64   `json:"maxrss_kib"`
	FloorKB  int64   `json:"floor_kib"`
	UserS    float64 `json:"user_s"`
	SysS     float64 `json:"sys_s"`
	Exit     int     `json:"exit"`
}

func main() {
	args := os.Args[1:]
	if len(args) < 4 || args[0] != "--out" || args[2] != "--" {
		fmt.Fprintln(os.Stderr, "usage: peakrss --out FILE -- COMMAND [ARG...]")
		os.Exit(2)
	}
	out, argv := args[1], args[3:]

	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		fmt.Fprintln(os.Stderr, "peakrss:", err)
		os.Exit(127)
	}
	r := report{WallS: wall.Seconds(), FloorKB: vmHWM(), Exit: cmd.ProcessState.ExitCode()}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.MaxRSSKB = int64(ru.Maxrss) // int32 on 32-bit Linux
		r.UserS = time.Duration(ru.Utime.Nano()).Seconds()
		r.SysS = time.Duration(ru.Stime.Nano()).Seconds()
	}
	b, _ := json.Marshal(r)
	if werr := os.WriteFile(out, b, 0o644); werr != nil {
		fmt.Fprintln(os.Stderr, "peakrss:", werr)
		os.Exit(127)
	}
	os.Exit(max(r.Exit, 0))
}

// vmHWM is this process's own memory high-water mark in KiB — what the
// child inherits. (Its ru_maxrss would include its parent's.)
func vmHWM() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return 0
}
