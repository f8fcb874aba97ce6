package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// proc is one finished subprocess: its wall time, its peak resident set
// (the largest of the process and the descendants it waited for, as the
// kernel's wait4 reports it) and its output.
type proc struct {
	Wall    time.Duration
	PeakRSS float64 // MiB
	// CPU is the process's user + system time, from the spawner (zero
	// without one).
	CPU    time.Duration
	Stdout []byte
	Stderr string
}

// command is a subprocess to run: argv, extra environment, directory.
type command struct {
	Args []string
	Env  []string
	Dir  string
	// Spawn, when set, is bench/cmd/peakrss: the command runs under it so
	// that its peak RSS is its own (see that command's documentation), and
	// its wall time is taken there, next to the process.
	Spawn string
}

// String renders the command as a shell line, for the report.
func (c command) String() string {
	var b strings.Builder
	for _, e := range c.Env {
		b.WriteString(e + " ")
	}
	for i, a := range c.Args {
		if i > 0 {
			b.WriteByte(' ')
		}
		if strings.ContainsAny(a, " \t'\"") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		b.WriteString(a)
	}
	return b.String()
}

// run executes c and waits for it. A non-zero exit is an error that
// carries the end of stderr.
func (c command) run(ctx context.Context) (proc, error) {
	args := c.Args
	var rusage string
	if c.Spawn != "" {
		f, err := os.CreateTemp("", "peakrss-*.json")
		if err != nil {
			return proc{}, err
		}
		rusage = f.Name()
		f.Close()
		defer os.Remove(rusage)
		args = append([]string{c.Spawn, "--out", rusage, "--"}, args...)
	}
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Dir = c.Dir
	cmd.Env = append(os.Environ(), c.Env...)
	var out, errb bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &errb
	start := time.Now()
	err := cmd.Run()
	p := proc{Wall: time.Since(start), Stdout: out.Bytes(), Stderr: errb.String()}
	if cmd.ProcessState != nil {
		// Without the spawner this includes the harness's own peak.
		p.PeakRSS = maxRSSMiB(cmd.ProcessState)
	}
	if rusage != "" {
		var r struct {
			WallS    float64 `json:"wall_s"`
			MaxRSSKB float64 `json:"maxrss_kib"`
			UserS    float64 `json:"user_s"`
			SysS     float64 `json:"sys_s"`
		}
		if b, rerr := os.ReadFile(rusage); rerr == nil && json.Unmarshal(b, &r) == nil && r.WallS > 0 {
			p.Wall = time.Duration(r.WallS * float64(time.Second))
			p.PeakRSS = r.MaxRSSKB / 1024
			p.CPU = time.Duration((r.UserS + r.SysS) * float64(time.Second))
		} else if err == nil {
			return p, fmt.Errorf("%s: no rusage from %s", c.Args[0], c.Spawn)
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return p, ctx.Err()
		}
		return p, fmt.Errorf("%s: %w: %s", c.Args[0], err, tail(p.Stderr, 600))
	}
	return p, nil
}

// runJSON runs c and decodes the last line of its stdout into v.
func (c command) runJSON(ctx context.Context, v any) (proc, error) {
	p, err := c.run(ctx)
	if err != nil {
		return p, err
	}
	lines := strings.Split(strings.TrimSpace(string(p.Stdout)), "\n")
	last := lines[len(lines)-1]
	if err := json.Unmarshal([]byte(last), v); err != nil {
		return p, fmt.Errorf("%s: reply is not JSON (%v): %s", c.Args[0], err, tail(last, 300))
	}
	return p, nil
}

func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
