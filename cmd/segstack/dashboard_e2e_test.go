package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/segstack/segstack/internal/cdp/cdptest"
	"github.com/segstack/segstack/sched/dashboard"
	"github.com/segstack/segstack/segment"
	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/synth"
	"github.com/segstack/segstack/stack/tiff"
	"github.com/stretchr/testify/require"
)

// lockedBuffer is a bytes.Buffer that a running command writes while the
// test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// slowSource reads planes like a slow disk would: until release is
// closed, each read takes delay and the planes from hold on wait, so that
// the run lasts while the browser looks, however slowly it starts.
type slowSource struct {
	segment.Source
	delay   time.Duration
	hold    int
	release <-chan struct{}
}

func (s slowSource) ReadPlane(ctx context.Context, z int, dst []float32) error {
	var wait <-chan time.Time
	if z < s.hold {
		t := time.NewTimer(s.delay)
		defer t.Stop()
		wait = t.C
	}
	select {
	case <-wait:
	case <-s.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	return s.Source.ReadPlane(ctx, z, dst)
}

// TestSegmentDashboardInBrowser runs `segstack segment --dashboard
// 127.0.0.1:0` in process on a stack whose reads are slowed down, reads the
// address the command prints, and loads the page in headless Chromium while
// the run lasts: the plane tasks appear with the whole stack planned, the
// done count and the snapshots advance, both workers have rows and bars in
// the task stream, and the per-stage gauges are there. Then the run is let
// go and must finish with its labels written and its dashboard closed.
// A screenshot goes to the test's temporary directory and, when
// SEGSTACK_SCREENSHOT_DIR is set, to dashboard-segment.png there.
func TestSegmentDashboardInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the browser test in -short mode")
	}
	cdptest.Require(t)
	const planes, workers = 300, 2
	dir := t.TempDir()
	in, out := filepath.Join(dir, "cells.tif"), filepath.Join(dir, "labels.tif")
	vol := synth.Nuclei(stack.Shape{Z: planes, Y: 160, X: 160}, 7)
	require.NoError(t, tiff.WriteVolume(context.Background(), in, vol, tiff.WriterOptions{}))

	// 80 ms a read on two workers: about 12 s for the stack, and the last
	// planes wait until the test lets them go.
	release := make(chan struct{})
	var releaseOnce sync.Once
	letGo := func() { releaseOnce.Do(func() { close(release) }) }
	var hookErr error
	var closers []func() error
	segmentHook = func(opt *segment.Options) {
		src, closeSrc, err := segment.OpenTIFF(opt.Input, opt.Channel)
		if err != nil {
			hookErr = err
			return
		}
		closers = append(closers, closeSrc)
		opt.Source = slowSource{Source: src, delay: 80 * time.Millisecond, hold: planes - 2, release: release}
	}

	seg, _, err := root.Find([]string{"segment"})
	require.NoError(t, err)
	resetFlags(seg)
	ctx, cancel := context.WithCancel(context.Background())
	seg.SetContext(ctx)
	var stdout, stderr lockedBuffer
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	root.SetArgs([]string{"segment", in, "-o", out, "--workers", strconv.Itoa(workers), "--dashboard", "127.0.0.1:0"})
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- root.ExecuteContext(ctx) }()
	var finished bool
	t.Cleanup(func() {
		if !finished {
			cancel()
			letGo()
			<-done
		}
		cancel()
		segmentHook = nil
		for _, c := range closers {
			_ = c()
		}
		root.SetOut(nil)
		root.SetErr(nil)
		root.SetArgs(nil)
		resetFlags(seg)
	})

	// The command says where the dashboard is.
	addrRE := regexp.MustCompile(`(?m)^dashboard: http://(127\.0\.0\.1:\d+)/$`)
	var addr string
	require.Eventually(t, func() bool {
		if m := addrRE.FindStringSubmatch(stderr.String()); m != nil {
			addr = m[1]
			return true
		}
		return false
	}, 10*time.Second, 10*time.Millisecond, "no dashboard address on stderr: %q", stderr.String())
	require.NoError(t, hookErr)

	// The status the page is built from: the whole stack is planned and
	// every stage has its gauge (merge only in 3-D).
	var st dashboard.Status
	resp, err := http.Get("http://" + addr + "/api/status")
	require.NoError(t, err)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	require.NoError(t, resp.Body.Close())
	require.Len(t, st.Workers, workers)
	require.Len(t, st.Kinds, 1)
	require.Equal(t, "plane", st.Kinds[0].Kind)
	require.Equal(t, planes, st.Kinds[0].Planned+st.Kinds[0].Submitted, "the whole stack is planned from the start")
	var gauges []string
	for _, g := range st.Gauges {
		gauges = append(gauges, g.Name)
	}
	require.ElementsMatch(t, []string{"stage_read_seconds", "stage_gaussian_seconds", "stage_threshold_seconds",
		"stage_label_seconds", "stage_write_seconds"}, gauges)

	b, bctx := cdptest.Browser(t, 1280, 1000, 60*time.Second)

	attr := func(sel, name string) int {
		t.Helper()
		v, ok, err := b.Attribute(bctx, sel, name)
		require.NoError(t, err)
		require.True(t, ok, "%s has no %s", sel, name)
		n, err := strconv.Atoi(v)
		require.NoError(t, err, v)
		return n
	}
	const row = `#progress tr[data-kind="plane"]`
	require.NoError(t, b.Navigate(bctx, "http://"+addr+"/"))
	require.NoError(t, b.WaitVisible(bctx, "#stream"))
	err = b.Poll(bctx,
		`Number(document.body.dataset.updates) >= 2 && Number(document.querySelector('`+row+`')?.dataset.done) > 0`,
		20*time.Second)
	require.NoError(t, err, "the page never showed a finished plane")
	updates1, done1 := attr("body", "data-updates"), attr(row, "data-done")
	time.Sleep(1200 * time.Millisecond)
	updates2, done2 := attr("body", "data-updates"), attr(row, "data-done")
	planned2 := attr(row, "data-planned")
	t.Logf("after %.1fs: updates %d→%d, planes done %d→%d, %d still planned",
		time.Since(start).Seconds(), updates1, updates2, done1, done2, planned2)
	require.Greater(t, updates2, updates1, "snapshots keep arriving")
	require.Greater(t, done2, done1, "progress advances")
	require.Less(t, done2, planes, "the run was still going while the page was read")

	conn, err := b.Text(bctx, "#conn")
	require.NoError(t, err)
	require.Equal(t, "live", conn)
	var cells []string
	err = b.Evaluate(bctx,
		`Array.from(document.querySelectorAll('`+row+` td')).map((td) => td.textContent)`,
		&cells)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(cells), 3)
	require.Equal(t, "plane", cells[0])
	require.Regexp(t, `^\d+ / `+strconv.Itoa(planes)+`$`, cells[2], "done out of the whole stack")
	legend, err := b.Text(bctx, "#legend")
	require.NoError(t, err)
	require.Contains(t, legend, "plane")

	// Both workers: a row in the table with tasks done, and bars in the
	// task stream.
	var workerTasks []int
	err = b.Evaluate(bctx,
		`Array.from(document.querySelectorAll('#workers tbody tr')).map((tr) => Number(tr.dataset.tasks))`,
		&workerTasks)
	require.NoError(t, err)
	require.Len(t, workerTasks, workers)
	for i, n := range workerTasks {
		require.Greater(t, n, 0, "worker %d has run no task", i)
	}
	require.Greater(t, attr("#stream", "data-spans"), 0)
	require.Greater(t, attr("#stream", "data-tasks"), 0)
	var streamRows []int
	err = b.Evaluate(bctx, `(() => {
		// Rows of the task-stream canvas with pixels of the plane tasks'
		// colour (#3b7dd8), the strip under each worker's stages.
		const cv = document.getElementById('stream');
		const px = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
		const rows = [];
		for (let y = 0; y < cv.height; y++) {
			let n = 0;
			for (let x = Math.floor(cv.width / 2); x < cv.width; x++) {
				const i = 4 * (y * cv.width + x);
				if (Math.abs(px[i] - 0x3b) < 10 && Math.abs(px[i + 1] - 0x7d) < 10 && Math.abs(px[i + 2] - 0xd8) < 10) n++;
			}
			if (n > 0) rows.push(y);
		}
		return rows;
	})()`, &streamRows)
	require.NoError(t, err)
	require.NotEmpty(t, streamRows, "the task stream has no bars")
	// A worker's strip of task bars is at most 7 CSS pixels high: bars on
	// pixel rows further apart than that belong to both workers.
	require.Greater(t, streamRows[len(streamRows)-1]-streamRows[0], 12, "bars on one worker's row only: %v", streamRows)

	// The stages inside the plane tasks are spans: in /api/status on the
	// workers' rows (writes on the writer's), each stage planned for the
	// whole stack, and in the page's legend and progress table.
	resp, err = http.Get("http://" + addr + "/api/status")
	require.NoError(t, err)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	require.NoError(t, resp.Body.Close())
	require.Equal(t, []string{"writer"}, st.Stream.Rows)
	spans := map[string]int64{}
	for _, sp := range st.Stream.Stages {
		k := st.Stream.KindNames[sp[1]]
		spans[k] += sp[5]
		if k == "write" {
			require.EqualValues(t, workers, sp[0], "writes on the writer row")
		} else {
			require.Less(t, sp[0], int64(workers), "%s spans on a worker row", k)
		}
	}
	stageDone := map[string]int{}
	for _, k := range st.Stages {
		stageDone[k.Kind] = k.Done
		require.Equal(t, planes, k.Total, "%s planned for the whole stack", k.Kind)
	}
	t.Logf("stage spans in the stream: %v; done: %v", spans, stageDone)
	for _, k := range []string{"read", "gaussian", "threshold", "label", "write"} {
		require.Greater(t, spans[k], int64(0), "no %s spans in the stream", k)
		require.Greater(t, stageDone[k], 0, k)
	}
	var legendStages []string
	err = b.Evaluate(bctx,
		`Array.from(document.querySelectorAll('#legend [data-stage]')).map((e) => e.dataset.stage)`,
		&legendStages)
	require.NoError(t, err)
	require.Subset(t, legendStages, []string{"read", "gaussian", "label"})
	require.Greater(t, attr("#stream", "data-stages"), 0)
	require.Greater(t, attr(`#progress tr[data-stage="read"]`, "data-done"), 0)
	require.Equal(t, planes, attr(`#progress tr[data-stage="gaussian"]`, "data-total"))

	// Stage gauges: every stage of the plane task is shown, and reading
	// (slowed down here) has taken time.
	err = b.Poll(bctx,
		`Number(document.querySelector('#gauges [data-gauge="stage_read_seconds"]')?.dataset.value) > 0`,
		10*time.Second)
	require.NoError(t, err, "the read gauge never moved")
	gaugeText, err := b.Text(bctx, "#gauges")
	require.NoError(t, err)
	for _, stage := range []string{"read", "gaussian", "threshold", "label", "write"} {
		require.Contains(t, gaugeText, stage+" seconds")
	}

	// A few seconds of history make a fuller picture of the stream.
	if d := 6*time.Second - time.Since(start); d > 0 {
		time.Sleep(d)
	}
	png, err := b.CaptureScreenshot(bctx)
	require.NoError(t, err)
	require.Greater(t, len(png), 1000)
	shot := filepath.Join(t.TempDir(), "dashboard-segment.png")
	require.NoError(t, os.WriteFile(shot, png, 0o644))
	t.Logf("screenshot: %s (%d bytes)", shot, len(png))
	if d := os.Getenv("SEGSTACK_SCREENSHOT_DIR"); d != "" {
		require.NoError(t, os.WriteFile(filepath.Join(d, "dashboard-segment.png"), png, 0o644))
	}

	// Let the run finish: labels written, summary printed, page gone.
	letGo()
	select {
	case err = <-done:
		finished = true
	case <-time.After(30 * time.Second):
		t.Fatal("segment did not finish after its reads were let go")
	}
	require.NoError(t, err, stderr.String())
	require.Contains(t, stdout.String(), strconv.Itoa(planes)+" planes 160x160 uint16")
	r, err := tiff.Open(out)
	require.NoError(t, err)
	require.Equal(t, stack.Shape{Z: planes, Y: 160, X: 160}, r.Shape())
	require.NoError(t, r.Close())
	_, err = http.Get("http://" + addr + "/api/status")
	require.Error(t, err, "the dashboard stops with the run")
	t.Logf("whole test %.1fs", time.Since(start).Seconds())
}
