package dashboard

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/segstack/segstack/internal/cdp"
	"github.com/segstack/segstack/internal/cdp/cdptest"
	"github.com/segstack/segstack/sched"
	"github.com/stretchr/testify/require"
)

// TestDashboardInBrowser loads the page in headless Chromium while tasks
// run and checks that the task stream and the progress table update.
// SEGSTACK_UPDATE_SCREENSHOT=1 also writes testdata/dashboard.png.
func TestDashboardInBrowser(t *testing.T) {
	cdptest.Require(t)
	c := newCluster(t, sched.Options{Workers: 3, Devices: []sched.Device{{Kind: "GPU", Name: "gpu0"}}, MaxPending: 16})
	d, addr := serve(t, c)
	d.RegisterGauge("pool_bytes", "plane pool", func() float64 { return 48 << 20 })

	// A pipeline-like load until the test ends.
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c.Plan("write", 3000)
		for plane := 0; ctx.Err() == nil; plane++ {
			for _, k := range []struct {
				kind string
				d    time.Duration
				opts []sched.TaskOption
			}{
				{"read", 3 * time.Millisecond, nil},
				{"gaussian", 8 * time.Millisecond, []sched.TaskOption{sched.CPU, sched.GPU}},
				{"label", 5 * time.Millisecond, nil},
				{"write", 2 * time.Millisecond, nil},
			} {
				f := sched.Submit(ctx, c, func(ctx context.Context) (int, error) {
					time.Sleep(k.d)
					if k.kind == "label" && plane%40 == 39 {
						return 0, errors.New("too many objects in plane " + strconv.Itoa(plane))
					}
					return plane, nil
				}, append(k.opts, sched.Kind(k.kind), sched.Name(k.kind+" "+strconv.Itoa(plane)), sched.Priority(plane))...)
				_ = f
			}
		}
	}()
	defer func() { stop(); wg.Wait() }()

	b, bctx := cdptest.Browser(t, 1400, 1000, 90*time.Second)
	attr := func(sel, name string) int { return intAttr(t, b, bctx, sel, name) }
	require.NoError(t, b.Navigate(bctx, "http://"+addr+"/"))
	require.NoError(t, b.WaitVisible(bctx, "#stream"))
	err := b.Poll(bctx,
		`Number(document.body.dataset.updates) >= 3 && document.querySelector('#progress tr[data-kind="label"]') !== null`,
		30*time.Second)
	require.NoError(t, err)
	updates1 := attr("body", "data-updates")
	done1 := attr(`#progress tr[data-kind="label"]`, "data-done")
	time.Sleep(1500 * time.Millisecond)
	updates2 := attr("body", "data-updates")
	done2 := attr(`#progress tr[data-kind="label"]`, "data-done")
	spans := attr("#stream", "data-spans")
	streamTasks := attr("#stream", "data-tasks")
	conn, err := b.Text(bctx, "#conn")
	require.NoError(t, err)
	t.Logf("updates %d→%d, label done %d→%d, stream %d spans for %d tasks", updates1, updates2, done1, done2, spans, streamTasks)
	require.Equal(t, "live", conn)
	require.Greater(t, updates2, updates1, "snapshots keep arriving")
	require.Greater(t, done2, done1, "progress advances")
	require.Greater(t, spans, 0)
	require.Greater(t, streamTasks, 0)

	var workerRows int
	err = b.Evaluate(bctx, `document.querySelectorAll('#workers tbody tr').length`, &workerRows)
	require.NoError(t, err)
	require.Equal(t, 4, workerRows)
	err = b.Poll(bctx,
		`document.querySelectorAll('#failures li:not(.none)').length > 0`,
		20*time.Second)
	require.NoError(t, err)
	gaugeText, err := b.Text(bctx, "#gauges .gauge")
	require.NoError(t, err)
	require.Contains(t, gaugeText, "48.0 MiB")

	png, err := b.CaptureScreenshot(bctx)
	require.NoError(t, err)
	require.Greater(t, len(png), 1000)
	shot := filepath.Join(t.TempDir(), "dashboard.png")
	require.NoError(t, os.WriteFile(shot, png, 0o644))
	t.Logf("screenshot: %s (%d bytes)", shot, len(png))
	if os.Getenv("SEGSTACK_UPDATE_SCREENSHOT") == "1" {
		require.NoError(t, os.WriteFile(filepath.Join("testdata", "dashboard.png"), png, 0o644))
	}
}

// intAttr reads an integer attribute of the first element matching sel.
func intAttr(t *testing.T, b *cdp.Browser, bctx context.Context, sel, name string) int {
	t.Helper()
	v, ok, err := b.Attribute(bctx, sel, name)
	require.NoError(t, err)
	require.True(t, ok, "%s has no %s", sel, name)
	n, err := strconv.Atoi(v)
	require.NoError(t, err, v)
	return n
}

// TestDashboardStagesInBrowser runs one task per plane that records its
// stages as spans, and an ordered writer on a row of its own, and checks
// that the page draws and lists the stages.
// SEGSTACK_UPDATE_SCREENSHOT=1 also writes testdata/dashboard-stages.png.
func TestDashboardStagesInBrowser(t *testing.T) {
	cdptest.Require(t)
	c := newCluster(t, sched.Options{Workers: 4, MaxPending: 8})
	_, addr := serve(t, c)

	const planes = 100_000
	stages := []struct {
		kind string
		d    time.Duration
	}{{"read", 4 * time.Millisecond}, {"gaussian", 9 * time.Millisecond}, {"threshold", time.Millisecond}, {"label", 6 * time.Millisecond}}
	for _, st := range stages {
		c.PlanSpans(st.kind, planes)
	}
	c.PlanSpans("write", planes)
	c.Plan("plane", planes)
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		wctx := c.WithSpanRow(ctx, "writer")
		var queue []*sched.Future[int]
		for plane := 0; ctx.Err() == nil && plane < planes; plane++ {
			queue = append(queue, sched.Submit(ctx, c, func(ctx context.Context) (int, error) {
				for _, st := range stages {
					sp := sched.StartSpan(ctx, st.kind)
					time.Sleep(st.d)
					sp.End()
				}
				return plane, nil
			}, sched.Kind("plane"), sched.Name("plane "+strconv.Itoa(plane))))
			if len(queue) == 8 {
				if _, err := queue[0].Get(ctx); err != nil {
					return
				}
				queue = queue[1:]
				sp := sched.StartSpan(wctx, "write")
				time.Sleep(3 * time.Millisecond)
				sp.End()
			}
		}
	}()
	defer func() { stop(); wg.Wait() }()

	b, bctx := cdptest.Browser(t, 1400, 1000, 90*time.Second)
	require.NoError(t, b.Navigate(bctx, "http://"+addr+"/"))
	require.NoError(t, b.WaitVisible(bctx, "#stream"))
	err := b.Poll(bctx,
		`Number(document.body.dataset.updates) >= 3 && document.querySelector('#progress tr[data-stage="write"]') !== null`,
		30*time.Second)
	require.NoError(t, err)
	done1 := intAttr(t, b, bctx, `#progress tr[data-stage="gaussian"]`, "data-done")
	time.Sleep(3 * time.Second)
	done2 := intAttr(t, b, bctx, `#progress tr[data-stage="gaussian"]`, "data-done")
	require.Greater(t, done2, done1, "stage progress advances")
	require.Equal(t, planes, intAttr(t, b, bctx, `#progress tr[data-stage="gaussian"]`, "data-total"))
	require.Greater(t, intAttr(t, b, bctx, "#stream", "data-stages"), 0)
	var legend []string
	err = b.Evaluate(bctx,
		`Array.from(document.querySelectorAll('#legend [data-stage]')).map((e) => e.dataset.stage)`,
		&legend)
	require.NoError(t, err)
	require.Equal(t, []string{"read", "gaussian", "threshold", "label", "write"}, legend)
	eta, err := b.Text(bctx, `#progress tr[data-stage="label"] td:last-child`)
	require.NoError(t, err)
	require.Regexp(t, `^[0-9.]+ (s|min|h)$`, eta, "an ETA from the planned total")

	png, err := b.CaptureScreenshot(bctx)
	require.NoError(t, err)
	shot := filepath.Join(t.TempDir(), "dashboard-stages.png")
	require.NoError(t, os.WriteFile(shot, png, 0o644))
	t.Logf("screenshot: %s (%d bytes)", shot, len(png))
	if os.Getenv("SEGSTACK_UPDATE_SCREENSHOT") == "1" {
		require.NoError(t, os.WriteFile(filepath.Join("testdata", "dashboard-stages.png"), png, 0o644))
	}
}
