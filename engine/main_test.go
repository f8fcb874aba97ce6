package engine_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"

	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/segstack/segstack/engine"
	"github.com/segstack/segstack/internal/filetree"
	"github.com/segstack/segstack/segment"
	"github.com/segstack/segstack/stack/zarr"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// bin is the segstack binary the tests run as worker, coordinator and
// server processes.
var bin string

// procs are the processes the tests started; TestMain checks that every
// one of them was waited for.
var (
	procsMu sync.Mutex
	procs   []*proc
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "segstack-engine-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "segstack")
	build := exec.Command("go", "build", "-o", bin, "../cmd/segstack")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build segstack:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	procsMu.Lock()
	for _, p := range procs {
		if !p.exited() {
			fmt.Fprintf(os.Stderr, "process leak: %v still running\n", p.cmd.Args)
			p.cmd.Process.Kill()
			code = 1
		}
	}
	procsMu.Unlock()
	os.RemoveAll(dir)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goroutine leak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// proc is a segstack process started by a test.
type proc struct {
	cmd  *exec.Cmd
	out  *lockedBuffer
	done chan struct{}
	err  error
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// start runs segstack with args; the test's cleanup kills and waits for it.
func start(t *testing.T, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(bin, args...), out: &lockedBuffer{}, done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	require.NoError(t, p.cmd.Start())
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	procsMu.Lock()
	procs = append(procs, p)
	procsMu.Unlock()
	t.Cleanup(func() { p.kill(syscall.SIGKILL) })
	return p
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kill sends sig and waits for the process to end.
func (p *proc) kill(sig syscall.Signal) {
	if !p.exited() {
		p.cmd.Process.Signal(sig)
	}
	<-p.done
}

// wait waits for the process to end within d.
func (p *proc) wait(t *testing.T, d time.Duration) error {
	t.Helper()
	select {
	case <-p.done:
		return p.err
	case <-time.After(d):
		p.kill(syscall.SIGKILL)
		t.Fatalf("%v did not end within %v; output:\n%s", p.cmd.Args, d, p.out)
		return nil
	}
}

// server starts a NATS server in the test process.
func server(t *testing.T) *engine.Server {
	t.Helper()
	s, err := engine.ServeNATS(engine.ServerOptions{Listen: "127.0.0.1:0", Store: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s
}

func connect(t *testing.T, url string) *nats.Conn {
	t.Helper()
	nc, err := engine.Connect(url, engine.ConnOptions{Name: "test"})
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	return nc
}

// settings are the tests' timings: a short ack wait, so that the tasks of
// a killed worker come back quickly.
var settings = engine.Settings{AckWait: time.Second, MaxDeliver: 5}

// workers starts n worker processes on url with root.
func workers(t *testing.T, url, root string, n int, extra ...string) []*proc {
	t.Helper()
	var ps []*proc
	for range n {
		args := append([]string{"worker", "--engine", url, "--root", root, "--workers", "2", "--device", "cpu", "--ack-wait", "1s", "--max-deliver", "5"}, extra...)
		ps = append(ps, start(t, args...))
	}
	return ps
}

// genStack writes a synthetic stack into dir.
func genStack(t *testing.T, dir, shape string, seed int) string {
	t.Helper()
	in := filepath.Join(dir, "in.tif")
	out, err := exec.Command(bin, "gen", in, "--shape", shape, "--seed", fmt.Sprint(seed)).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return in
}

// local runs the job segment.Run runs on this machine.
func local(t *testing.T, opt segment.Options) {
	t.Helper()
	opt.Workers, opt.Device = 2, "cpu"
	_, err := segment.Run(context.Background(), opt)
	require.NoError(t, err)
}

// options are a run's options as `segstack segment` sets them.
func options(t *testing.T, in, out, stats, mode string, chunksZ int) segment.Options {
	t.Helper()
	opt := segment.DefaultOptions()
	var err error
	opt.Mode, err = segment.ParseMode(mode)
	require.NoError(t, err)
	opt.Connectivity, err = segment.ParseConnectivity("", opt.Mode)
	require.NoError(t, err)
	if opt.Mode == segment.Mode2D {
		opt.Sigma[0] = 0
	}
	opt.Input, opt.Output, opt.Stats = in, out, stats
	opt.Chunks.Z = chunksZ
	return opt
}

// sameOutputs checks that two OME-Zarr outputs hold the same files, byte
// for byte, that their labels decode to the same voxels (and some
// objects), and that the statistics CSVs have the same rows.
func sameOutputs(t *testing.T, want, got, wantCSV, gotCSV string) {
	t.Helper()
	files := func(root string) map[string][]byte {
		m, err := filetree.Read(root)
		require.NoError(t, err)
		return m
	}
	wf, gf := files(want), files(got)
	require.Equal(t, len(wf), len(gf), "file count")
	for name, b := range wf {
		require.Contains(t, gf, name)
		require.True(t, bytes.Equal(b, gf[name]), "%s differs", name)
	}
	labels := func(root string) ([]byte, int) {
		im, err := zarr.OpenImage(root)
		require.NoError(t, err)
		require.NotEmpty(t, im.Labels)
		a, err := zarr.Open(filepath.Join(root, "labels", im.Labels[0], "0"))
		require.NoError(t, err)
		sh := a.Shape()
		buf := make([]byte, sh[0]*sh[1]*sh[2]*a.DType().Size())
		require.NoError(t, a.Read(context.Background(), []int{0, 0, 0}, sh, buf))
		nz := 0
		for _, v := range buf {
			if v != 0 {
				nz++
			}
		}
		return buf, nz
	}
	wl, nz := labels(want)
	gl, _ := labels(got)
	require.Greater(t, nz, 0, "the reference labels hold objects")
	require.True(t, bytes.Equal(wl, gl), "labels differ")
	if wantCSV != "" {
		rows := func(p string) []string {
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			return strings.Split(strings.TrimSpace(string(b)), "\n")
		}
		wr, gr := rows(wantCSV), rows(gotCSV)
		require.Greater(t, len(wr), 2)
		require.Equal(t, wr, gr)
	}
}

// freePort returns a loopback address free at the time of the call.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

// waitFor polls cond every 20 ms for up to d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out after %v waiting for %s", d, what)
}

// lines returns the output's lines.
func lines(s string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

func mkdir(d string) error { return os.MkdirAll(d, 0o755) }
