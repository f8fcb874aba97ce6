package dashboard

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segstack/segstack/sched"
	"github.com/stretchr/testify/require"
)

// raceEnabled is set under the race detector, which slows the tests that
// run many tasks.
var raceEnabled bool

func newCluster(t *testing.T, opts sched.Options) *sched.LocalCluster {
	t.Helper()
	c, err := sched.NewLocalCluster(opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Close()) })
	return c
}

// newDashboard returns a dashboard of c that the test closes when it ends.
func newDashboard(t *testing.T, c *sched.LocalCluster, opts Options) *Dashboard {
	t.Helper()
	d := New(c, opts)
	t.Cleanup(func() { require.NoError(t, d.Close()) })
	return d
}

// serve returns a dashboard of c listening on a loopback port, and its
// address.
func serve(t *testing.T, c *sched.LocalCluster) (*Dashboard, string) {
	t.Helper()
	d := newDashboard(t, c, Options{})
	addr, err := d.Listen(":0")
	require.NoError(t, err)
	return d, addr
}

func toAwaitable[T any](fs []*sched.Future[T]) []sched.Awaitable {
	out := make([]sched.Awaitable, len(fs))
	for i, f := range fs {
		out[i] = f
	}
	return out
}

// testClient never keeps connections, so nothing outlives a test.
var testClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}

func get(t *testing.T, url string) (string, http.Header) {
	t.Helper()
	resp, err := testClient.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, url)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b), resp.Header
}

func getStatus(t *testing.T, addr string) (Status, int) {
	t.Helper()
	body, h := get(t, "http://"+addr+"/api/status")
	require.Equal(t, "application/json", h.Get("Content-Type"))
	var s Status
	require.NoError(t, json.Unmarshal([]byte(body), &s))
	return s, len(body)
}

// metricLine is one sample line of the Prometheus text format.
var metricLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*)\})? (\S+)$`)

// parseMetrics checks the exposition format line by line and returns the
// samples keyed by name{labels}.
func parseMetrics(t *testing.T, text string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	typed := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "# HELP ") {
			continue
		}
		if rest, ok := strings.CutPrefix(line, "# TYPE "); ok {
			f := strings.Fields(rest)
			require.Len(t, f, 2, line)
			require.Contains(t, []string{"counter", "gauge"}, f[1], line)
			require.False(t, typed[f[0]], "family %s typed twice", f[0])
			typed[f[0]] = true
			continue
		}
		m := metricLine.FindStringSubmatch(line)
		require.NotNil(t, m, "bad metrics line %q", line)
		require.True(t, typed[m[1]], "sample %s before its TYPE", m[1])
		v, err := strconv.ParseFloat(m[4], 64)
		require.NoError(t, err, line)
		key := m[1]
		if m[3] != "" {
			key += "{" + m[3] + "}"
		}
		_, dup := out[key]
		require.False(t, dup, "duplicate sample %s", key)
		out[key] = v
	}
	return out
}

func TestDashboardAPI(t *testing.T) {
	t.Parallel()
	c := newCluster(t, sched.Options{Workers: 3, Devices: []sched.Device{{Kind: "GPU", Name: "fake-gpu"}}})
	d, addr := serve(t, c)
	require.True(t, strings.HasPrefix(addr, "127.0.0.1:"), addr)
	require.Equal(t, []string{addr}, d.Addrs())
	var poolBytes sync.Mutex
	held := 3.0 * (1 << 20)
	d.RegisterGauge("pool_bytes", "bytes held by the plane pool", func() float64 {
		poolBytes.Lock()
		defer poolBytes.Unlock()
		return held
	})

	ctx := context.Background()
	kinds := []string{"read", "gaussian", "label", "write"}
	want := map[string][2]int{} // done, failed
	var fs []*sched.Future[int]
	c.Plan("write", 10)
	for i := 0; i < 400; i++ {
		k := kinds[i%4]
		fail := i%50 == 7 // "gaussian" i = 7, 57, ...
		w := want[k]
		if fail {
			w[1]++
		} else {
			w[0]++
		}
		want[k] = w
		opts := []sched.TaskOption{sched.Kind(k), sched.Name(fmt.Sprintf("%s-%d", k, i))}
		if k == "label" {
			opts = append(opts, sched.CPU, sched.GPU)
		}
		fs = append(fs, sched.Submit(ctx, c, func(context.Context) (int, error) {
			time.Sleep(50 * time.Microsecond)
			if fail {
				return 0, errors.New("plane unreadable")
			}
			return i, nil
		}, opts...))
	}
	_ = sched.Wait(ctx, toAwaitable(fs)...)

	s, _ := getStatus(t, addr)
	require.Len(t, s.Kinds, 4)
	for _, k := range s.Kinds {
		require.Equal(t, want[k.Kind][0], k.Done, k.Kind)
		require.Equal(t, want[k.Kind][1], k.Failed, k.Kind)
		require.Equal(t, 100, k.Submitted)
		require.Zero(t, k.Waiting)
		require.Zero(t, k.Running)
		require.Zero(t, k.Planned, "the planned writes were all submitted")
	}
	require.Len(t, s.Workers, 4)
	require.Equal(t, "GPU", s.Workers[3].Kind)
	require.Equal(t, "fake-gpu", s.Workers[3].Device)
	tasks := 0
	for _, w := range s.Workers {
		tasks += w.Tasks
	}
	require.Equal(t, 400, tasks)
	require.Equal(t, 400, s.Stream.Tasks)
	require.ElementsMatch(t, kinds, s.Stream.KindNames)
	merged := 0
	for _, sp := range s.Stream.Spans {
		require.Less(t, sp[2], int64(1)) // relative to now
		require.LessOrEqual(t, sp[2], sp[3])
		merged += int(sp[5])
	}
	require.Equal(t, 400, merged)
	require.Len(t, s.Failures, 8)
	require.Equal(t, "plane unreadable", s.Failures[0].Err)
	require.Greater(t, s.Memory.RSS, int64(1<<20))
	require.Len(t, s.Gauges, 1)
	require.Equal(t, held, s.Gauges[0].Value)

	text, h := get(t, "http://"+addr+"/metrics")
	require.Contains(t, h.Get("Content-Type"), "text/plain")
	m := parseMetrics(t, text)
	for k, w := range want {
		require.EqualValues(t, w[0], m[fmt.Sprintf(`segstack_tasks_total{kind="%s",state="finished"}`, k)], k)
		require.EqualValues(t, w[1], m[fmt.Sprintf(`segstack_tasks_total{kind="%s",state="failed"}`, k)], k)
		require.EqualValues(t, 100, m[fmt.Sprintf(`segstack_tasks_total{kind="%s",state="submitted"}`, k)], k)
	}
	busy := 0.0
	for i, w := range s.Workers {
		busy += m[fmt.Sprintf(`segstack_worker_busy_seconds_total{worker="%d",kind="%s"}`, i, w.Kind)]
		require.EqualValues(t, w.Tasks, m[fmt.Sprintf(`segstack_worker_tasks_total{worker="%d",kind="%s"}`, i, w.Kind)])
	}
	require.Greater(t, busy, 400*50e-6)
	require.Greater(t, m["segstack_process_resident_bytes"], float64(1<<20))
	require.Equal(t, held, m["segstack_pool_bytes"])

	page, _ := get(t, "http://"+addr+"/")
	require.Contains(t, page, `<canvas id="stream"`)
	require.NotContains(t, page, "http://", "the page must not load anything from elsewhere")
	js, _ := get(t, "http://"+addr+"/static/app.js")
	require.Contains(t, js, "EventSource")
	require.NotContains(t, js, "http")
	css, _ := get(t, "http://"+addr+"/static/style.css")
	require.NotContains(t, css, "url(")

	// The event stream pushes whole snapshots.
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(rctx, "GET", "http://"+addr+"/api/events", nil)
	resp, err := testClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	br := bufio.NewReader(resp.Body)
	var snaps []Status
	for len(snaps) < 2 {
		line, err := br.ReadString('\n')
		require.NoError(t, err)
		if data, ok := strings.CutPrefix(line, "data: "); ok {
			var st Status
			require.NoError(t, json.Unmarshal([]byte(data), &st))
			snaps = append(snaps, st)
		}
	}
	require.Equal(t, 400, snaps[1].Stream.Tasks)
	require.Greater(t, snaps[1].Time, snaps[0].Time)
}

func TestDashboardAddresses(t *testing.T) {
	t.Parallel()
	c := newCluster(t, sched.Options{Workers: 1})
	d := newDashboard(t, c, Options{})
	_, err := d.Listen("0.0.0.0:0")
	require.ErrorIs(t, err, ErrRemote)
	_, err = d.Listen("not-an-address")
	require.Error(t, err)
	addr, err := d.Listen("localhost:0")
	require.NoError(t, err)
	require.Contains(t, addr, "127.0.0.1:")

	var log strings.Builder
	r := newDashboard(t, c, Options{AllowRemote: true, Log: &log})
	_, err = r.Listen("0.0.0.0:0")
	require.NoError(t, err)
	require.Len(t, r.Addrs(), 1)
	require.Contains(t, log.String(), "WARNING")
	require.Contains(t, log.String(), "reachable from other machines")

	// Serve, on a loopback address.
	o, err := Serve(c, "127.0.0.1:0")
	require.NoError(t, err)
	require.Len(t, o.Addrs(), 1)
	require.NoError(t, o.Close())
	_, err = Serve(c, "192.0.2.1:0")
	require.ErrorIs(t, err, ErrRemote)
}

// With 100 000 tasks the snapshot stays small: the stream is merged and
// capped.
func TestStatusBounded(t *testing.T) {
	t.Parallel()
	n := 100_000
	if testing.Short() || raceEnabled {
		n = 20_000
	}
	c := newCluster(t, sched.Options{Workers: 4, MaxPending: 4096})
	_, addr := serve(t, c)
	ctx := context.Background()
	kinds := []string{"read", "gaussian", "label", "write"}
	fs := make([]*sched.Future[int], n)
	for i := range fs {
		fs[i] = sched.Submit(ctx, c, func(context.Context) (int, error) { return i, nil }, sched.Kind(kinds[i%4]))
	}
	_, err := sched.Gather(ctx, fs)
	require.NoError(t, err)
	s, size := getStatus(t, addr)
	t.Logf("%d tasks: status %d bytes, %d spans, %d tasks in the stream window", n, size, len(s.Stream.Spans), s.Stream.Tasks)
	require.LessOrEqual(t, len(s.Stream.Spans), streamMaxSpans)
	require.Less(t, size, 400_000)
	done := 0
	for _, k := range s.Kinds {
		done += k.Done
	}
	require.Equal(t, n, done)
}

func TestStatusRateAndETA(t *testing.T) {
	t.Parallel()
	c := newCluster(t, sched.Options{Workers: 1})
	d := newDashboard(t, c, Options{})
	c.Plan("write", 10)
	s := d.Status()
	require.Len(t, s.Kinds, 1)
	require.Equal(t, 10, s.Kinds[0].Planned)
	require.EqualValues(t, -1, s.Kinds[0].ETA, "no rate yet")
	ctx := context.Background()
	for i := 0; i < 4; i++ {
		_, err := sched.Submit(ctx, c, func(context.Context) (int, error) { return 0, nil }, sched.Kind("write")).Get(ctx)
		require.NoError(t, err)
	}
	s = d.Status()
	require.Equal(t, 6, s.Kinds[0].Planned)
	require.Equal(t, 4, s.Kinds[0].Done)
	c.Plan("write", -100)
	require.Zero(t, d.Status().Kinds[0].Planned)
	require.Zero(t, d.Status().Kinds[0].ETA)
}

func TestEscapeLabel(t *testing.T) {
	t.Parallel()
	require.Equal(t, `a\"b\\c\nd`, escapeLabel("a\"b\\c\nd"))
	require.Equal(t, "plain", escapeLabel("plain"))
	require.Equal(t, "pool_bytes_x", sanitizeName("pool-bytes.x"))
	m := parseMetrics(t, "# TYPE x counter\nx{kind=\"a\\\"b\"} 3\n")
	require.EqualValues(t, 3, m[`x{kind="a\"b"}`])
}

// Closing the cluster closes its dashboard: open event streams end, the
// server stops promptly, and the dashboard serves nothing more.
func TestDashboardClosesWithCluster(t *testing.T) {
	t.Parallel()
	c, err := sched.NewLocalCluster(sched.Options{Workers: 1})
	require.NoError(t, err)
	d := New(c, Options{})
	addr, err := d.Listen(":0")
	require.NoError(t, err)
	resp, err := testClient.Get("http://" + addr + "/api/events")
	require.NoError(t, err)
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	line, err := br.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "event: status\n", line)
	t0 := time.Now()
	require.NoError(t, c.Close())
	_, err = io.ReadAll(br)
	require.NoError(t, err, "the stream ends cleanly")
	require.Less(t, time.Since(t0), 2*time.Second)
	_, err = testClient.Get("http://" + addr + "/api/status")
	require.Error(t, err, "the server is gone")
	_, err = d.Listen(":0")
	require.ErrorIs(t, err, ErrClosed)
	require.NoError(t, d.Close(), "closing again is harmless")
}

// Close ends open event streams and stops the server and the sampler
// promptly while the cluster goes on.
func TestDashboardClose(t *testing.T) {
	t.Parallel()
	c := newCluster(t, sched.Options{Workers: 1})
	d := New(c, Options{})
	addr, err := d.Listen(":0")
	require.NoError(t, err)
	resp, err := testClient.Get("http://" + addr + "/api/events")
	require.NoError(t, err)
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	_, err = br.ReadString('\n')
	require.NoError(t, err)
	t0 := time.Now()
	require.NoError(t, d.Close())
	require.Less(t, time.Since(t0), 2*time.Second)
	_, err = io.ReadAll(br)
	require.NoError(t, err, "the stream ends cleanly")
	_, err = testClient.Get("http://" + addr + "/api/status")
	require.Error(t, err, "the server is gone")
	_, err = d.Listen(":0")
	require.ErrorIs(t, err, ErrClosed)
	require.Empty(t, d.Addrs())
	v, err := sched.Submit(context.Background(), c, func(context.Context) (int, error) { return 7, nil }).Get(context.Background())
	require.NoError(t, err)
	require.Equal(t, 7, v, "the cluster still runs tasks")
}

// Handler serves the same routes on a server of the caller's.
func TestHandler(t *testing.T) {
	t.Parallel()
	c := newCluster(t, sched.Options{Workers: 2})
	d := newDashboard(t, c, Options{})
	srv := httptest.NewServer(d.Handler())
	defer srv.Close()
	_, err := sched.Submit(context.Background(), c, func(context.Context) (int, error) { return 0, nil }, sched.Kind("read")).Get(context.Background())
	require.NoError(t, err)
	body, _ := get(t, srv.URL+"/api/status")
	var s Status
	require.NoError(t, json.Unmarshal([]byte(body), &s))
	require.Len(t, s.Workers, 2)
	require.Equal(t, "read", s.Kinds[0].Kind)
	require.Equal(t, 1, s.Kinds[0].Done)
	page, _ := get(t, srv.URL+"/")
	require.Contains(t, page, `<canvas id="stream"`)
}
