package engine

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/segstack/segstack/segment"
)

// RunEmbedded runs the job opt describes on a NATS server and workers
// started in this process for the time of the job: the distributed path on
// one machine, with nothing installed. workers is the number of tasks run
// at once (0: GOMAXPROCS); device is the kernels' device.
//
// The server, its coordinator and its workers live and die together, and
// a run started again starts a new server: the server keeps the task
// stream and the job bucket in memory, its clients reach it without a
// socket, and the chunks are not synced one by one before their tasks are
// acknowledged (a local run does not sync them either); the workers keep
// each plane's labels from the first pass for the second (WorkerOptions.
// LabelCache). What the tasks compute and write is the distributed path's.
func RunEmbedded(ctx context.Context, opt segment.Options, workers int, device string, so SubmitOptions) (Outcome, error) {
	out, _, err := runEmbedded(ctx, opt, WorkerOptions{Workers: workers, Device: device}, so)
	return out, err
}

// runEmbedded is RunEmbedded with the worker's options (Root and Settings
// are set here); it returns the worker too, for its counts.
func runEmbedded(ctx context.Context, opt segment.Options, wo WorkerOptions, so SubmitOptions) (Outcome, *Worker, error) {
	store, err := os.MkdirTemp("", "segstack-engine-")
	if err != nil {
		return Outcome{}, nil, err
	}
	defer os.RemoveAll(store)
	srv, err := serveEmbedded(store)
	if err != nil {
		return Outcome{}, nil, err
	}
	defer srv.Close()
	so.Settings.memory = true
	so.volatile = true
	nc, err := connectEmbedded(srv, "segstack coordinator")
	if err != nil {
		return Outcome{}, nil, err
	}
	defer nc.Close()
	wc, err := connectEmbedded(srv, "segstack worker")
	if err != nil {
		return Outcome{}, nil, err
	}
	defer wc.Close()
	wo.Root, wo.Settings = string(os.PathSeparator), so.Settings
	w, err := NewWorker(ctx, wc, wo)
	if err != nil {
		return Outcome{}, nil, err
	}
	wctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var werr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		werr = w.Run(wctx)
	}()
	out, err := Submit(ctx, nc, opt, so)
	stop()
	wg.Wait()
	// The worker's last pull request would hold the server's shutdown
	// for 50 ms; the consumer goes with it (the server goes too).
	dctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	w.res.js.DeleteConsumer(dctx, Stream, Consumer)
	cancel()
	if err == nil && werr != nil {
		err = fmt.Errorf("worker: %w", werr)
	}
	return out, w, err
}

// serveEmbedded starts a server for RunEmbedded: JetStream on, store in
// dir (which memory streams leave empty), no listener.
func serveEmbedded(dir string) (*Server, error) {
	opts := &server.Options{JetStream: true, StoreDir: dir, DontListen: true, NoSigs: true, NoLog: true,
		MaxPayload: 8 << 20, ServerName: "segstack-embedded"}
	return startServer(opts)
}

// connectEmbedded connects to an embedded server in this process.
func connectEmbedded(s *Server, name string) (*nats.Conn, error) {
	nc, err := nats.Connect("", nats.Name(name), nats.InProcessServer(s.s))
	if err != nil {
		return nil, fmt.Errorf("connect to the embedded server: %w", err)
	}
	return nc, nil
}
