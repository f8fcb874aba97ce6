package engine

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// BenchmarkCoordinatorTasks measures the coordinator's path through the
// server: a phase of b.N tasks published to the work queue, pulled by
// workers that do no work but store a result and acknowledge, and the
// results watched back by the coordinator. It is the load a job puts on
// the coordinator and the server per task, whatever the tasks compute.
func BenchmarkCoordinatorTasks(b *testing.B) {
	s, err := ServeNATS(ServerOptions{Listen: "127.0.0.1:0", Store: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	nc, err := Connect(s.URL(), ConnOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res, err := open(ctx, nc, Settings{})
	if err != nil {
		b.Fatal(err)
	}
	cons, err := res.consumer(ctx)
	if err != nil {
		b.Fatal(err)
	}
	// Four no-op workers, each on its own connection.
	var wg sync.WaitGroup
	for range 4 {
		wc, err := Connect(s.URL(), ConnOptions{})
		if err != nil {
			b.Fatal(err)
		}
		defer wc.Close()
		wr, err := open(ctx, wc, Settings{})
		if err != nil {
			b.Fatal(err)
		}
		it, err := cons.Messages(jetstream.PullMaxMessages(256))
		if err != nil {
			b.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				msg, err := it.Next()
				if err != nil {
					return
				}
				t, err := ParseTask(msg.Data())
				if err != nil {
					msg.Term()
					continue
				}
				r, _ := json.Marshal(Result{N: 3, Threshold: 1, Lo: 0, Hi: 1})
				if _, err := wr.kv.Put(ctx, resKey(t.Job, t.Phase, t.Index), r); err != nil {
					return
				}
				msg.Ack()
			}
		}()
		defer it.Stop()
	}
	spec := &Spec{Version: 1, ID: "0123456789abcdef", Mode: "2d", Shape: [3]int{b.N, 1024, 1024}}
	c := &coordinator{nc: nc, res: res, spec: spec, seen: map[string]time.Time{}}
	st := &State{Status: "running", Phase: phasePlane, Started: time.Now()}
	b.ResetTimer()
	start := time.Now()
	results, err := c.phase(ctx, st, phasePlane, func(int) Task { return Task{} })
	el := time.Since(start)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	if len(results) != b.N {
		b.Fatalf("%d results, want %d", len(results), b.N)
	}
	b.ReportMetric(float64(b.N)/el.Seconds(), "tasks/s")
	c.purge(ctx)
	cancel()
}
