package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/segstack/segstack/engine"
	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/segment"
	"github.com/segstack/segstack/stack/zarr"
	"github.com/stretchr/testify/require"
)

// The output of the engine, with worker processes, equals a local run's:
// 2-D through `segstack segment --engine`, 3-D through Submit.
func TestEqualsLocal(t *testing.T) {
	dir := t.TempDir()
	in := genStack(t, dir, "10,96,128", 3)
	s := server(t)
	workers(t, s.URL(), dir, 3)

	t.Run("2d", func(t *testing.T) {
		local(t, options(t, in, filepath.Join(dir, "l2.ome.zarr"), filepath.Join(dir, "l2.csv"), "2d", 0))
		p := start(t, "segment", in, "-o", filepath.Join(dir, "e2.ome.zarr"), "--stats", filepath.Join(dir, "e2.csv"),
			"--engine", s.URL(), "--ack-wait", "1s", "--max-deliver", "5")
		require.NoError(t, p.wait(t, 60*time.Second), "%s", p.out)
		require.Contains(t, p.out.String(), "workers alive")
		sameOutputs(t, filepath.Join(dir, "l2.ome.zarr"), filepath.Join(dir, "e2.ome.zarr"), filepath.Join(dir, "l2.csv"), filepath.Join(dir, "e2.csv"))
	})
	t.Run("2d-per-plane-uint32", func(t *testing.T) {
		opt := options(t, in, filepath.Join(dir, "lp.ome.zarr"), "", "2d", 0)
		opt.Numbering, opt.LabelDType = segment.NumberPerPlane, segment.LabelUint32
		local(t, opt)
		opt.Output = filepath.Join(dir, "ep.ome.zarr")
		_, err := engine.Submit(context.Background(), connect(t, s.URL()), opt, engine.SubmitOptions{Settings: settings})
		require.NoError(t, err)
		sameOutputs(t, filepath.Join(dir, "lp.ome.zarr"), opt.Output, "", "")
	})
	t.Run("2d-codecs", func(t *testing.T) {
		// The label and image codecs travel with the job, unset ones as
		// segment's defaults (labels without shuffle, the image with).
		for i, cs := range [][2]*zarr.Codec{{nil, nil}, {ptr(zarr.Zstd(3)), ptr(zarr.Codec{})}} {
			opt := options(t, in, filepath.Join(dir, fmt.Sprintf("lc%d.ome.zarr", i)), "", "2d", 0)
			opt.Zarr.Codec, opt.Zarr.ImageCodec = cs[0], cs[1]
			local(t, opt)
			opt.Output = filepath.Join(dir, fmt.Sprintf("ec%d.ome.zarr", i))
			_, err := engine.Submit(context.Background(), connect(t, s.URL()), opt, engine.SubmitOptions{Settings: settings})
			require.NoError(t, err)
			sameOutputs(t, filepath.Join(dir, fmt.Sprintf("lc%d.ome.zarr", i)), opt.Output, "", "")
		}
	})
	t.Run("3d", func(t *testing.T) {
		opt := options(t, in, filepath.Join(dir, "l3.ome.zarr"), filepath.Join(dir, "l3.csv"), "3d", 3)
		local(t, opt)
		opt.Output, opt.Stats = filepath.Join(dir, "e3.ome.zarr"), filepath.Join(dir, "e3.csv")
		out, err := engine.Submit(context.Background(), connect(t, s.URL()), opt, engine.SubmitOptions{Settings: settings})
		require.NoError(t, err)
		require.Positive(t, out.Objects)
		sameOutputs(t, filepath.Join(dir, "l3.ome.zarr"), opt.Output, filepath.Join(dir, "l3.csv"), opt.Stats)
	})
	t.Run("3d-otsu", func(t *testing.T) {
		// Otsu's threshold over the whole smoothed volume, from the
		// histograms the workers count slab by slab.
		opt := options(t, in, filepath.Join(dir, "lo.ome.zarr"), filepath.Join(dir, "lo.csv"), "3d", 4)
		opt.Threshold, _ = kernels.ParseThreshold("otsu")
		local(t, opt)
		opt.Output, opt.Stats = filepath.Join(dir, "eo.ome.zarr"), filepath.Join(dir, "eo.csv")
		out, err := engine.Submit(context.Background(), connect(t, s.URL()), opt, engine.SubmitOptions{Settings: settings})
		require.NoError(t, err)
		require.Positive(t, out.Objects)
		require.Equal(t, 2+3+2*3, out.Tasks, "smoothing, histogram, label and relabel tasks")
		sameOutputs(t, filepath.Join(dir, "lo.ome.zarr"), opt.Output, filepath.Join(dir, "lo.csv"), opt.Stats)
	})
	t.Run("3d-split", func(t *testing.T) {
		// The split over the whole volume is one task; the labels are
		// written slab by slab.
		opt := options(t, in, filepath.Join(dir, "ls.ome.zarr"), filepath.Join(dir, "ls.csv"), "3d", 4)
		opt.Split = segment.SplitOptions{Method: segment.SplitWatershed, Seeds: segment.SeedsDistance, MinDistance: segment.DefaultMinDistance, MinSize: segment.DefaultMinSize}
		local(t, opt)
		opt.Output, opt.Stats = filepath.Join(dir, "es.ome.zarr"), filepath.Join(dir, "es.csv")
		out, err := engine.Submit(context.Background(), connect(t, s.URL()), opt, engine.SubmitOptions{Settings: settings})
		require.NoError(t, err)
		require.Positive(t, out.Objects)
		require.Equal(t, 2+1+3, out.Tasks, "smoothing, split and write tasks")
		sameOutputs(t, filepath.Join(dir, "ls.ome.zarr"), opt.Output, filepath.Join(dir, "ls.csv"), opt.Stats)
	})
	t.Run("embedded", func(t *testing.T) {
		p := start(t, "segment", in, "-o", filepath.Join(dir, "m3.ome.zarr"), "--mode", "3d", "--sigma", "1,1.5,1.5", "--engine", "embedded", "-q")
		require.NoError(t, p.wait(t, 60*time.Second), "%s", p.out)
		q := start(t, "segment", in, "-o", filepath.Join(dir, "n3.ome.zarr"), "--mode", "3d", "--sigma", "1,1.5,1.5", "-q")
		require.NoError(t, q.wait(t, 60*time.Second), "%s", q.out)
		sameOutputs(t, filepath.Join(dir, "n3.ome.zarr"), filepath.Join(dir, "m3.ome.zarr"), "", "")
	})
	t.Run("embedded-3d-otsu-split", func(t *testing.T) {
		args := []string{"--mode", "3d", "--chunks", "3,96,128", "--threshold", "otsu", "--split", "watershed", "-q"}
		p := start(t, append([]string{"segment", in, "-o", filepath.Join(dir, "mo.ome.zarr"), "--stats", filepath.Join(dir, "mo.csv"), "--engine", "embedded"}, args...)...)
		require.NoError(t, p.wait(t, 60*time.Second), "%s", p.out)
		q := start(t, append([]string{"segment", in, "-o", filepath.Join(dir, "no.ome.zarr"), "--stats", filepath.Join(dir, "no.csv")}, args...)...)
		require.NoError(t, q.wait(t, 60*time.Second), "%s", q.out)
		sameOutputs(t, filepath.Join(dir, "no.ome.zarr"), filepath.Join(dir, "mo.ome.zarr"), filepath.Join(dir, "no.csv"), filepath.Join(dir, "mo.csv"))
	})
}

// A worker killed with SIGKILL in the middle of its tasks loses nothing:
// they are delivered again to the others and the output is the same.
func TestWorkerKilled(t *testing.T) {
	dir := t.TempDir()
	in := genStack(t, dir, "16,64,64", 5)
	s := server(t)
	// These workers keep no labels: every write task labels its plane again.
	ws := workers(t, s.URL(), dir, 3, "--task-delay", "400ms", "--verbose", "--label-cache", "0")
	opt := options(t, in, filepath.Join(dir, "local.ome.zarr"), filepath.Join(dir, "local.csv"), "2d", 0)
	local(t, opt)
	opt.Output, opt.Stats = filepath.Join(dir, "eng.ome.zarr"), filepath.Join(dir, "eng.csv")
	nc := connect(t, s.URL())
	// The first worker is killed as soon as it has started a task (each
	// lasts at least 400 ms) and not finished it.
	killed := make(chan struct{})
	go func() {
		defer close(killed)
		for len(unfinished(ws[0].out.String())) == 0 {
			time.Sleep(2 * time.Millisecond)
		}
		ws[0].kill(syscall.SIGKILL)
	}()
	_, err := engine.Submit(context.Background(), nc, opt, engine.SubmitOptions{Settings: settings})
	require.NoError(t, err)
	<-killed
	// The tasks the killed worker started and never finished went to
	// the others, delivered once more.
	started := unfinished(ws[0].out.String())
	require.NotEmpty(t, started, "the worker was killed in the middle of a task:\n%s", ws[0].out)
	others := ws[1].out.String() + ws[2].out.String()
	for task := range started {
		require.Regexp(t, "task [0-9a-f]+ "+task+" delivery [2-9]", others, "task %s delivered again", task)
	}
	sameOutputs(t, filepath.Join(dir, "local.ome.zarr"), opt.Output, filepath.Join(dir, "local.csv"), opt.Stats)
}

// unfinished are the tasks a verbose worker's output shows started and not
// done, as "PHASE INDEX".
func unfinished(out string) map[string]bool {
	started := map[string]bool{}
	for _, l := range lines(out) {
		if f := strings.Fields(l); len(f) == 8 && f[2] == "task" {
			started[f[4]+" "+f[5]] = true
		} else if len(f) == 6 && f[2] == "done" {
			delete(started, f[4]+" "+f[5])
		}
	}
	return started
}

// A coordinator killed in the middle of a job and started again with the
// same command resumes the job and finishes it.
func TestCoordinatorRestarted(t *testing.T) {
	dir := t.TempDir()
	in := genStack(t, dir, "12,64,64", 7)
	s := server(t)
	workers(t, s.URL(), dir, 2, "--task-delay", "100ms")
	local(t, options(t, in, filepath.Join(dir, "local.ome.zarr"), filepath.Join(dir, "local.csv"), "3d", 2))
	args := []string{"segment", in, "-o", filepath.Join(dir, "eng.ome.zarr"), "--stats", filepath.Join(dir, "eng.csv"),
		"--mode", "3d", "--chunks", "2,64,64", "--engine", s.URL(), "--ack-wait", "1s", "--max-deliver", "5"}
	first := start(t, args...)
	waitFor(t, 30*time.Second, "the job's label pass", func() bool { return strings.Contains(first.out.String(), " label ") })
	first.kill(syscall.SIGKILL)
	second := start(t, args...)
	require.NoError(t, second.wait(t, 60*time.Second), "%s", second.out)
	require.Contains(t, second.out.String(), "resumed and finished")
	sameOutputs(t, filepath.Join(dir, "local.ome.zarr"), filepath.Join(dir, "eng.ome.zarr"), filepath.Join(dir, "local.csv"), filepath.Join(dir, "eng.csv"))
}

// A server restarted from its store keeps its jobs: queued tasks and job
// state survive, and the job finishes once workers come.
func TestServerRestarted(t *testing.T) {
	dir := t.TempDir()
	in := genStack(t, dir, "8,64,64", 9)
	store := filepath.Join(dir, "store")
	addr := freePort(t)
	url := "nats://" + addr
	srv := start(t, "engine", "serve", "--listen", addr, "--store", store)
	waitFor(t, 20*time.Second, "the server", func() bool { return strings.Contains(srv.out.String(), "serving") })
	opt := options(t, in, filepath.Join(dir, "local.ome.zarr"), "", "2d", 0)
	local(t, opt)
	opt.Output = filepath.Join(dir, "eng.ome.zarr")
	nc := connect(t, url)
	type result struct {
		out engine.Outcome
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := engine.Submit(context.Background(), nc, opt, engine.SubmitOptions{Settings: settings})
		done <- result{out, err}
	}()
	// No worker yet: the job waits with its tasks queued.
	waitFor(t, 20*time.Second, "the job to be listed", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		jobs, err := engine.Jobs(ctx, nc)
		return err == nil && len(jobs) == 1 && jobs[0].State.Status == "running"
	})
	time.Sleep(200 * time.Millisecond) // the tasks' publication
	srv.kill(syscall.SIGTERM)
	srv = start(t, "engine", "serve", "--listen", addr, "--store", store)
	waitFor(t, 20*time.Second, "the restarted server", func() bool { return strings.Contains(srv.out.String(), "serving") })
	jobs := start(t, "jobs", "--engine", url)
	require.NoError(t, jobs.wait(t, 20*time.Second), "%s", jobs.out)
	require.Contains(t, jobs.out.String(), "running")
	require.Contains(t, jobs.out.String(), "eng.ome.zarr")
	workers(t, url, dir, 2)
	select {
	case r := <-done:
		require.NoError(t, r.err)
		require.False(t, r.out.Resumed)
	case <-time.After(60 * time.Second):
		t.Fatal("the job did not finish after the server came back")
	}
	sameOutputs(t, filepath.Join(dir, "local.ome.zarr"), opt.Output, "", "")
	nc.Close()
	srv.kill(syscall.SIGTERM)
}

// Bad task messages are refused with a clear error and never run; a job
// naming a path outside a worker's root fails with that error.
func TestRefused(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	other := filepath.Join(dir, "elsewhere")
	for _, d := range []string{root, other} {
		require.NoError(t, mkdir(d))
	}
	in := genStack(t, other, "4,32,32", 1)
	s := server(t)
	ws := workers(t, s.URL(), root, 1)
	nc := connect(t, s.URL())

	opt := options(t, in, filepath.Join(other, "out.ome.zarr"), "", "2d", 0)
	_, err := engine.Submit(context.Background(), nc, opt, engine.SubmitOptions{Settings: settings})
	require.Error(t, err)
	require.Contains(t, err.Error(), "outside the worker's root "+root)
	require.NoFileExists(t, filepath.Join(other, "out.ome.zarr"))

	// Nor through a symbolic link under the root.
	require.NoError(t, os.Symlink(other, filepath.Join(root, "link")))
	opt = options(t, filepath.Join(root, "link", "in.tif"), filepath.Join(root, "out.ome.zarr"), "", "2d", 0)
	_, err = engine.Submit(context.Background(), nc, opt, engine.SubmitOptions{Settings: settings})
	require.ErrorContains(t, err, "input path "+filepath.Join(root, "link", "in.tif")+" is outside the worker's root")
	require.NoFileExists(t, filepath.Join(root, "out.ome.zarr"))

	js, err := jetstream.New(nc)
	require.NoError(t, err)
	bad := []string{
		`{"job":"0123456789abcdef","phase":"plane","index":0,"path":"/etc/passwd"}`,
		`{"job":"../../etc","phase":"plane","index":0}`,
		`{"job":"0123456789abcdef","phase":"rm -rf","index":0}`,
		`{"job":"0123456789abcdef","phase":"plane","index":-3}`,
		`{"job":"0123456789abcdef","phase":"write","index":0,"dtype":"float64"}`,
		`not json`,
		`{"job":"0123456789abcdef","phase":"plane","index":0,"thr":1} trailing`,
		`{"job":"0123456789abcdef","phase":"plane","index":0,"pad":"` + strings.Repeat("x", 5000) + `"}`,
	}
	ctx := context.Background()
	for _, b := range bad {
		_, err := js.Publish(ctx, "segstack.task.0123456789abcdef", []byte(b))
		if len(b) > 4096 {
			require.Error(t, err, "an oversized task is refused by the stream")
			continue
		}
		require.NoError(t, err)
	}
	waitFor(t, 20*time.Second, "the bad tasks to be refused", func() bool {
		return strings.Count(ws[0].out.String(), "refused task on segstack.task.0123456789abcdef") >= len(bad)-1
	})
	out := ws[0].out.String()
	for _, want := range []string{"unknown field \"path\"", "is not 16 hex digits", "unknown phase", "is negative", "label type \"float64\"", "bad job message", "data after the message"} {
		require.Contains(t, out, want)
	}
	st, err := js.Stream(ctx, engine.Stream)
	require.NoError(t, err)
	waitFor(t, 10*time.Second, "the refused tasks to leave the queue", func() bool {
		info, err := st.Info(ctx)
		return err == nil && info.State.Msgs == 0
	})

	// The parser alone.
	for _, b := range bad {
		_, err := engine.ParseTask([]byte(b))
		var bm *engine.BadMessageError
		require.True(t, errors.As(err, &bm), "%s: %v", b, err)
	}
	task, err := engine.ParseTask([]byte(`{"job":"0123456789abcdef","phase":"relabel","index":2,"thr":3.5,"max":9,"dtype":"uint16"}`))
	require.NoError(t, err)
	b, _ := json.Marshal(task)
	require.JSONEq(t, `{"job":"0123456789abcdef","phase":"relabel","index":2,"thr":3.5,"max":9,"dtype":"uint16"}`, string(b))
}

// engine serve refuses to listen beyond loopback without authentication.
func TestServeNeedsAuth(t *testing.T) {
	_, err := engine.ServeNATS(engine.ServerOptions{Listen: "0.0.0.0:0", Store: t.TempDir()})
	require.ErrorIs(t, err, engine.ErrOpenListen)
	p := start(t, "engine", "serve", "--listen", "0.0.0.0:0", "--store", t.TempDir())
	require.Error(t, p.wait(t, 20*time.Second))
	require.Contains(t, p.out.String(), "without authentication")
	s, err := engine.ServeNATS(engine.ServerOptions{Listen: "0.0.0.0:0", Store: t.TempDir(), User: "seg", Password: "secret"})
	require.NoError(t, err)
	defer s.Close()
	port := s.Addr().String()[strings.LastIndex(s.Addr().String(), ":"):]
	_, err = engine.Connect("nats://127.0.0.1"+port, engine.ConnOptions{})
	require.Error(t, err, "no credentials")
	nc, err := engine.Connect("nats://127.0.0.1"+port, engine.ConnOptions{User: "seg", Password: "secret"})
	require.NoError(t, err)
	nc.Close()
}

func ptr[T any](v T) *T { return &v }
