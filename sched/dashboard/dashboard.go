// Package dashboard serves a live view of a sched.LocalCluster over HTTP: a
// self-contained page with the task stream (each worker's tasks and the
// stages inside them, coloured by kind), progress per task and span kind
// with rate and ETA, the workers, the process's memory and registered
// gauges over time, and the recent failures; the same numbers as JSON
// (Status) and in Prometheus' text format.
//
// The cluster knows nothing of its dashboard: a Dashboard reads it through
// sched.LocalCluster.Snapshot, keeps its own history of samples (about one
// a second) and its own gauges, and stops when the cluster's Context ends
// or when it is closed. One call shows a program's work live:
//
//	d, err := dashboard.Serve(cluster, "127.0.0.1:8787")
//	...
//	defer d.Close()
//
// Routes: / is the page (it loads nothing from elsewhere); /api/status is
// the Status as JSON; /api/events pushes a Status about three times a
// second as server-sent events; /metrics is the Prometheus text format.
package dashboard

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

	"github.com/segstack/segstack/sched"
)

//go:embed web
var webFS embed.FS

// ErrRemote is returned for an address that is not loopback when
// Options.AllowRemote is not set.
var ErrRemote = errors.New("dashboard: address is not loopback; set Options.AllowRemote to serve it")

// ErrClosed is returned by Listen once the dashboard is closed, or its
// cluster is.
var ErrClosed = errors.New("dashboard: closed")

// snapshotInterval is how often an open page is sent a snapshot.
const snapshotInterval = 300 * time.Millisecond

// Options configure a Dashboard. The zero value serves loopback addresses
// only.
type Options struct {
	// AllowRemote permits addresses that are not loopback. The page shows
	// task names and errors to anyone who can reach it, so serving one
	// writes a warning to Log.
	AllowRemote bool
	// Log receives that warning; nil means standard error.
	Log io.Writer
}

// Dashboard watches one cluster: it samples its history, holds the gauges
// registered with it, builds its Status and metrics, and serves them on any
// number of addresses. It is safe for concurrent use. Close it, or close
// the cluster, to stop it.
type Dashboard struct {
	c     *sched.LocalCluster
	opts  Options
	hist  history
	cache statusCache

	mu      sync.Mutex
	servers []*server
	closed  bool

	// unwatch stops the watch on the cluster's context; set under mu.
	unwatch func() bool

	closeOnce sync.Once
	closeErr  error
}

type server struct {
	srv  *http.Server
	ln   net.Listener
	done chan struct{} // closed when the server shuts down: ends streams
	wg   sync.WaitGroup
}

// New returns a dashboard of c that serves nothing yet (see Listen and
// Handler) and starts sampling c's history. It stops when c closes.
func New(c *sched.LocalCluster, opts Options) *Dashboard {
	d := &Dashboard{c: c, opts: opts}
	d.hist.start(d.sample)
	// Under d.mu: when c is already closed, Close may run at once.
	d.mu.Lock()
	d.unwatch = context.AfterFunc(c.Context(), func() { _ = d.Close() })
	d.mu.Unlock()
	return d
}

// Serve returns a dashboard of c with default Options, listening on addr
// (see Listen). Addrs tells the address it listens on.
func Serve(c *sched.LocalCluster, addr string) (*Dashboard, error) {
	d := New(c, Options{})
	if _, err := d.Listen(addr); err != nil {
		_ = d.Close()
		return nil, err
	}
	return d, nil
}

// Listen serves the dashboard on addr and returns the address it listens
// on (useful with port 0). An address without a host (":8787", ":0")
// listens on 127.0.0.1; any other address must be loopback unless
// Options.AllowRemote is set, in which case a warning is written to
// Options.Log. The server stops when the dashboard or the cluster closes.
func (d *Dashboard) Listen(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("dashboard: address %q: %w", addr, err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	loopback := host == "localhost"
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		loopback = true
	}
	if !loopback && !d.opts.AllowRemote {
		return "", fmt.Errorf("%w: %q", ErrRemote, addr)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed || d.c.Context().Err() != nil {
		return "", ErrClosed
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return "", fmt.Errorf("dashboard: %w", err)
	}
	if !loopback {
		log := d.opts.Log
		if log == nil {
			log = os.Stderr
		}
		fmt.Fprintf(log, "WARNING: segstack dashboard is listening on %s, reachable from other machines; it shows task names and errors to anyone who can connect\n", ln.Addr())
	}
	s := &server{ln: ln, done: make(chan struct{})}
	s.srv = &http.Server{Handler: d.handler(s.done), ReadHeaderTimeout: 10 * time.Second}
	// Shutdown closes the listener before it runs this, so a stream that
	// ends because of it ends on a server that takes no more connections.
	s.srv.RegisterOnShutdown(func() { close(s.done) })
	d.servers = append(d.servers, s)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = s.srv.Serve(ln)
	}()
	return ln.Addr().String(), nil
}

// Addrs returns the addresses the dashboard listens on, in the order
// Listen was called.
func (d *Dashboard) Addrs() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for _, s := range d.servers {
		out = append(out, s.ln.Addr().String())
	}
	return out
}

// Handler returns the dashboard's routes, for a program that serves them
// on a server of its own. Its event streams end when the request's context
// does.
func (d *Dashboard) Handler() http.Handler { return d.handler(nil) }

// Close stops the servers, ending open event streams, and the sampler. It
// is safe to call more than once and from several goroutines: every call
// returns once the dashboard has stopped.
func (d *Dashboard) Close() error {
	d.closeOnce.Do(func() {
		d.mu.Lock()
		d.closed = true
		ss := d.servers
		d.servers = nil
		unwatch := d.unwatch
		d.mu.Unlock()
		unwatch()
		var errs []error
		for _, s := range ss {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			if err := s.srv.Shutdown(ctx); err != nil {
				errs = append(errs, s.srv.Close())
			}
			cancel()
			s.wg.Wait()
		}
		d.hist.stop()
		d.closeErr = errors.Join(errs...)
	})
	return d.closeErr
}

// handler returns the routes; done, when not nil, ends event streams.
func (d *Dashboard) handler(done <-chan struct{}) http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(webFS, "web")
	files := http.FileServerFS(static)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		files.ServeHTTP(w, r)
	})
	mux.Handle("GET /static/", http.StripPrefix("/static/", files))
	mux.HandleFunc("GET /api/status", func(w http.ResponseWriter, r *http.Request) {
		b, err := d.statusJSON()
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
		_ = d.WriteMetrics(w)
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
			b, err := d.statusJSON()
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
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return mux
}

// statusJSON returns the Status as JSON, built at most once per
// statusMaxAge however many pages are open.
func (d *Dashboard) statusJSON() ([]byte, error) {
	sc := &d.cache
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.b != nil && time.Since(sc.at) < statusMaxAge {
		return sc.b, nil
	}
	b, err := json.Marshal(d.Status())
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
