package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// progressBar draws "label  done/total [====>    ] rate ETA" on one line of
// a terminal, at most ten times a second. It is safe for concurrent use.
type progressBar struct {
	mu    sync.Mutex
	w     io.Writer
	label string
	unit  string
	start time.Time
	last  time.Time
	drawn bool
}

// newProgress returns a bar on stderr, or nil when stderr is not a terminal
// or quiet is set; a nil bar's methods do nothing.
func newProgress(label, unit string, quiet bool) *progressBar {
	if quiet || !term.IsTerminal(int(os.Stderr.Fd())) {
		return nil
	}
	return &progressBar{w: os.Stderr, label: label, unit: unit, start: time.Now()}
}

// update redraws the bar for done of total.
func (p *progressBar) update(done, total int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if done < total && now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last = now
	p.drawn = true
	fmt.Fprint(p.w, "\r"+renderBar(p.label, p.unit, done, total, now.Sub(p.start))+"\x1b[K")
}

// finish ends the bar's line.
func (p *progressBar) finish() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}

// renderBar formats one state of the bar.
func renderBar(label, unit string, done, total int, elapsed time.Duration) string {
	const width = 30
	frac := 0.0
	if total > 0 {
		frac = min(1, float64(done)/float64(total))
	}
	fill := int(frac * width)
	bar := strings.Repeat("=", fill)
	if fill < width {
		bar += ">" + strings.Repeat(" ", width-fill-1)
	}
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(done) / s
	}
	eta := "--"
	if rate > 0 && done < total {
		eta = (time.Duration(float64(total-done) / rate * float64(time.Second))).Round(100 * time.Millisecond).String()
	} else if done >= total {
		eta = "0s"
	}
	return fmt.Sprintf("%s %d/%d [%s] %5.1f%% %.1f %s/s ETA %s", label, done, total, bar, 100*frac, rate, unit, eta)
}
