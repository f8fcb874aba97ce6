package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/segstack/segstack/segment"
)

// RunEmbedded runs the job opt describes on a NATS server and workers
// started in this process for the time of the job: the distributed path on
// one machine, with nothing installed. workers is the number of tasks run
// at once (0: GOMAXPROCS); device is the kernels' device.
func RunEmbedded(ctx context.Context, opt segment.Options, workers int, device string, so SubmitOptions) (Outcome, error) {
	store, err := os.MkdirTemp("", "segstack-engine-")
	if err != nil {
		return Outcome{}, err
	}
	defer os.RemoveAll(store)
	srv, err := ServeNATS(ServerOptions{Listen: "127.0.0.1:0", Store: store})
	if err != nil {
		return Outcome{}, err
	}
	defer srv.Close()
	nc, err := Connect(srv.URL(), ConnOptions{Name: "segstack coordinator"})
	if err != nil {
		return Outcome{}, err
	}
	defer nc.Close()
	wc, err := Connect(srv.URL(), ConnOptions{Name: "segstack worker"})
	if err != nil {
		return Outcome{}, err
	}
	defer wc.Close()
	w, err := NewWorker(ctx, wc, WorkerOptions{Root: string(os.PathSeparator), Workers: workers, Device: device, Settings: so.Settings})
	if err != nil {
		return Outcome{}, err
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
	if err == nil && werr != nil {
		err = fmt.Errorf("worker: %w", werr)
	}
	return out, errors.Join(err)
}
