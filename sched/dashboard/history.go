package dashboard

import (
	"bytes"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

// historyLen is how many samples the history keeps: five minutes at 1 Hz.
const historyLen = 300

// sampleInterval is how often the history is sampled.
const sampleInterval = time.Second

type gauge struct {
	name, help string
	fn         func() float64
}

// history holds the registered gauges and a ring of samples taken about
// once a second by its own goroutine: memory and gauges over time, and the
// counts that rates and busy fractions are measured against.
type history struct {
	mu      sync.Mutex
	gauges  []gauge
	samples []sample // ring of historyLen
	next    int
	stopCh  chan struct{}
	done    chan struct{}
}

type sample struct {
	at     time.Time
	rss    int64
	heap   int64
	gauges []float64
	kinds  map[string]int // tasks ended (done + failed) per kind
	stages map[string]int // spans ended per kind
	busy   []time.Duration
}

// RegisterGauge adds a value to the dashboard and to /metrics (as
// segstack_<name>), sampled about once a second; fn must be cheap and safe
// to call from another goroutine. Use it for, e.g., the bytes held by a
// buffer pool ("pool_bytes"); a name ending in _bytes is shown as a size.
// Registering a name again replaces its function.
func (d *Dashboard) RegisterGauge(name, help string, fn func() float64) {
	h := &d.hist
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := range h.gauges {
		if h.gauges[i].name == name {
			h.gauges[i] = gauge{name, help, fn}
			return
		}
	}
	h.gauges = append(h.gauges, gauge{name, help, fn})
}

// start runs take at once and then every sampleInterval until stop.
func (h *history) start(take func() sample) {
	h.stopCh = make(chan struct{})
	h.done = make(chan struct{})
	go func() {
		defer close(h.done)
		t := time.NewTicker(sampleInterval)
		defer t.Stop()
		h.add(take())
		for {
			select {
			case <-h.stopCh:
				return
			case <-t.C:
				h.add(take())
			}
		}
	}()
}

// stop ends the sampling goroutine and waits for it; call it once.
func (h *history) stop() {
	close(h.stopCh)
	<-h.done
}

// sample takes one sample of the cluster, the process and the gauges.
func (d *Dashboard) sample() sample {
	snap := d.c.Snapshot(0)
	s := sample{at: time.Now(), kinds: map[string]int{}, stages: map[string]int{}}
	s.rss, s.heap = memory()
	for _, k := range snap.Stats.Kinds {
		s.kinds[k.Kind] = k.Done + k.Failed
	}
	for _, k := range snap.Spans {
		s.stages[k.Kind] = k.Done
	}
	for _, w := range snap.Stats.Workers {
		s.busy = append(s.busy, w.Busy)
	}
	for _, g := range d.hist.gaugeList() {
		s.gauges = append(s.gauges, g.fn())
	}
	return s
}

func (h *history) add(s sample) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.samples) < historyLen {
		h.samples = append(h.samples, s)
	} else {
		h.samples[h.next] = s
		h.next = (h.next + 1) % historyLen
	}
}

// gaugeList returns the registered gauges.
func (h *history) gaugeList() []gauge {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]gauge(nil), h.gauges...)
}

// history returns the samples oldest first, and the registered gauges.
func (h *history) history() ([]sample, []gauge) {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := len(h.samples)
	out := make([]sample, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, h.samples[(h.next+i)%n])
	}
	return out, append([]gauge(nil), h.gauges...)
}

var pageSize = int64(os.Getpagesize())

// memory returns the resident set size and the Go heap in use.
func memory() (rss, heap int64) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heap = int64(ms.HeapInuse)
	if b, err := os.ReadFile("/proc/self/statm"); err == nil {
		f := bytes.Fields(b)
		if len(f) > 1 {
			if n, err := strconv.ParseInt(string(f[1]), 10, 64); err == nil {
				return n * pageSize, heap
			}
		}
	}
	return int64(ms.Sys), heap
}
