package sched

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"sync"
	"time"
)

//go:embed web
var webFS embed.FS

// ErrRemoteDashboard is returned for a dashboard address that is not
// loopback when Options.AllowRemote is not set.
var ErrRemoteDashboard = errors.New("sched: dashboard address is not loopback; set Options.AllowRemote to serve it")

// snapshotInterval is how often the page is sent a snapshot.
const snapshotInterval = 300 * time.Millisecond

type dashboard struct {
	srv  *http.Server
	ln   net.Listener
	done chan struct{}
	wg   sync.WaitGroup
}

// ServeDashboard serves the live dashboard on addr and returns the address
// it listens on (useful with port 0). An address without a host (":8787",
// ":0") listens on 127.0.0.1; any other address must be loopback unless
// Options.AllowRemote is set, in which case a warning is written to
// standard error, since the page shows task names and errors to anyone who
// can reach it (Options.Log redirects the warning). The server stops when the cluster closes.
//
// Routes: / is the page (self-contained, no external resources);
// /api/status is the Status as JSON; /api/events streams a Status about
// three times a second as server-sent events; /metrics is the Prometheus
// text format.
func (c *LocalCluster) ServeDashboard(addr string) (string, error) {
	return c.serveDashboard(addr, c.opts.AllowRemote)
}

// DashboardAddrs returns the addresses the cluster's dashboards listen on.
func (c *LocalCluster) DashboardAddrs() []string {
	c.dashMu.Lock()
	defer c.dashMu.Unlock()
	var out []string
	for _, d := range c.dash {
		out = append(out, d.ln.Addr().String())
	}
	return out
}

func (c *LocalCluster) serveDashboard(addr string, allowRemote bool) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("sched: dashboard address %q: %w", addr, err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	loopback := host == "localhost"
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		loopback = true
	}
	if !loopback && !allowRemote {
		return "", fmt.Errorf("%w: %q", ErrRemoteDashboard, addr)
	}
	select {
	case <-c.closedCh:
		return "", ErrClosed
	default:
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return "", fmt.Errorf("sched: dashboard: %w", err)
	}
	if !loopback {
		log := c.opts.Log
		if log == nil {
			log = os.Stderr
		}
		fmt.Fprintf(log, "WARNING: segstack dashboard is listening on %s, reachable from other machines; it shows task names and errors to anyone who can connect\n", ln.Addr())
	}
	d := &dashboard{ln: ln, done: make(chan struct{})}
	d.srv = &http.Server{Handler: c.dashboardHandler(d), ReadHeaderTimeout: 10 * time.Second}
	c.startSampler()
	c.dashMu.Lock()
	c.dash = append(c.dash, d)
	c.dashMu.Unlock()
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		_ = d.srv.Serve(ln)
	}()
	return ln.Addr().String(), nil
}

func (c *LocalCluster) stopDashboards() error {
	c.dashMu.Lock()
	ds := c.dash
	c.dash = nil
	c.dashMu.Unlock()
	var errs []error
	for _, d := range ds {
		close(d.done)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if err := d.srv.Shutdown(ctx); err != nil {
			errs = append(errs, d.srv.Close())
		}
		cancel()
		d.wg.Wait()
	}
	c.stopSampler()
	return errors.Join(errs...)
}

func (c *LocalCluster) dashboardHandler(d *dashboard) http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(webFS, "web")
	files := http.FileServerFS(static)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		files.ServeHTTP(w, r)
	})
	mux.Handle("GET /static/", http.StripPrefix("/static/", files))
	mux.HandleFunc("GET /api/status", func(w http.ResponseWriter, r *http.Request) {
		b, err := c.statusJSON()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(b)
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		_ = c.WriteMetrics(w)
	})
	mux.HandleFunc("GET /api/events", func(w http.ResponseWriter, r *http.Request) {
		fl, ok := w.(http.Flusher)
		if !ok {
			http.Error(w, "streaming unsupported", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Accel-Buffering", "no")
		t := time.NewTicker(snapshotInterval)
		defer t.Stop()
		for {
			b, err := c.statusJSON()
			if err != nil {
				return
			}
			if err := writeEvent(w, b); err != nil {
				return
			}
			fl.Flush()
			select {
			case <-r.Context().Done():
				return
			case <-d.done:
				return
			case <-t.C:
			}
		}
	})
	return mux
}

// statusJSON returns the Status as JSON, built at most once per
// statusMaxAge however many pages are open.
func (c *LocalCluster) statusJSON() ([]byte, error) {
	sc := &c.statusCache
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.b != nil && time.Since(sc.at) < statusMaxAge {
		return sc.b, nil
	}
	b, err := json.Marshal(c.Status())
	if err != nil {
		return nil, err
	}
	sc.b, sc.at = b, time.Now()
	return b, nil
}

// statusMaxAge is how long a built status is reused.
const statusMaxAge = 100 * time.Millisecond

type statusCache struct {
	mu sync.Mutex
	at time.Time
	b  []byte
}

func writeEvent(w io.Writer, b []byte) error {
	if _, err := io.WriteString(w, "event: status\ndata: "); err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n\n")
	return err
}
