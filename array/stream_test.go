package array

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/delayed"
	"github.com/segstack/segstack/sched"
	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/tiff"
)

// planRecorder is an executor that runs tasks serially and records what
// delayed plans on it; with workers > 0 it also reports its parallelism.
type planRecorder struct {
	mu      sync.Mutex
	plan    map[string]int
	running int
	most    int
}

func (p *planRecorder) Plan(kind string, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.plan == nil {
		p.plan = map[string]int{}
	}
	p.plan[kind] += n
}

func (p *planRecorder) Go(ctx context.Context, spec sched.TaskSpec, job sched.Job) {
	p.mu.Lock()
	p.running++
	p.most = max(p.most, p.running)
	p.mu.Unlock()
	// Finish later, from another goroutine, as a cluster does: the bound
	// on tasks held is then visible.
	go func() {
		err := job.Run(ctx, sched.WorkerInfo{Kind: "cpu", Threads: 1, Resources: sched.CPU})
		p.mu.Lock()
		p.running--
		p.mu.Unlock()
		job.Finish(err)
	}()
}

type parallelRecorder struct{ planRecorder }

func (*parallelRecorder) Parallelism() int { return 2 }

// TestExecutorsSeePlan checks that delayed's plan of an array's tasks
// reaches the executor, whether delayed bounds the tasks in flight itself
// (executors that report their parallelism) or the array's gate does.
func TestExecutorsSeePlan(t *testing.T) {
	a := Random([]int{40, 8, 8}, []int{1, 8, 8}, 7)
	want, err := Data[float64](compute(t, a.Max(0)))
	require.NoError(t, err)
	bare, par := &planRecorder{}, &parallelRecorder{}
	for _, exec := range []delayed.Executor{bare, par} {
		res, err := a.Max(0).Compute(context.Background(), exec)
		require.NoError(t, err)
		got, err := Data[float64](res)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
	for _, rec := range []*planRecorder{bare, &par.planRecorder} {
		// 40 chunks: ten combines that each read and fold four chunks
		// (the reads and summaries run inside them), three combines of
		// those, and the aggregate. Nothing else is a task.
		require.Equal(t, map[string]int{"max-combine": 13, "max-aggregate": 1}, rec.plan)
	}
	require.LessOrEqual(t, bare.most, workersOf(bare)+1, "the gate bounds executors that do not report their parallelism")
}

// TestStreamedReductionErrors checks that a failing input made inside a
// fused combine fails the computation with its error, and that a cancelled
// context stops it.
func TestStreamedReductionErrors(t *testing.T) {
	boom := errors.New("boom")
	calls := 0
	var mu sync.Mutex
	a := MapBlocks(Random([]int{12, 4, 4}, []int{1, 4, 4}, 3).Astype(stack.Float32), func(_ context.Context, v *stack.Volume[float32]) (*stack.Volume[float32], error) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n == 6 {
			return nil, boom
		}
		return v, nil
	})
	g, err := a.Max(0).Graph()
	require.NoError(t, err)
	require.Equal(t, 3+1, g.Len(), "three fused combines and the aggregate")
	_, err = a.Max(0).Compute(context.Background(), delayed.Serial())
	require.ErrorIs(t, err, boom)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Random([]int{12, 4, 4}, []int{1, 4, 4}, 3).Min(0).Compute(ctx, delayed.Serial())
	require.ErrorIs(t, err, context.Canceled)
}

// TestFusedMIPGraph checks the task graph of a MIP over a TIFF stack: each
// combine task reads its planes itself, so the graph has no read tasks.
func TestFusedMIPGraph(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.tif")
	want := writeStack(t, path, stack.Shape{Z: 16, Y: 8, X: 8})
	r, err := tiff.Open(path)
	require.NoError(t, err)
	defer r.Close()
	m := FromTIFF(r, nil).Max(0)
	g, err := m.Graph()
	require.NoError(t, err)
	require.Equal(t, 4+1, g.Len())
	require.NotContains(t, g.Dot(), "imread")
	got, err := Data[uint16](compute(t, m))
	require.NoError(t, err)
	require.Equal(t, want, got)
}

// TestClusterShowsPlannedTasks checks, on a real LocalCluster, that an
// array's tasks still waiting for their inputs are counted as planned
// while the computation runs (what the dashboard's ETA is made of).
func TestClusterShowsPlannedTasks(t *testing.T) {
	c, err := sched.NewLocalCluster(sched.Options{Workers: 2})
	require.NoError(t, err)
	defer c.Close()
	release := make(chan struct{})
	var once sync.Once
	let := func() { once.Do(func() { close(release) }) }
	defer let() // before the cluster closes, should a check fail
	a := MapBlocks(Random([]int{16, 4, 4}, []int{1, 4, 4}, 5).Astype(stack.Float32), func(ctx context.Context, v *stack.Volume[float32]) (*stack.Volume[float32], error) {
		select {
		case <-release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return v, nil
	})
	done := make(chan error, 1)
	go func() {
		_, err := a.Max(0).Compute(context.Background(), c)
		done <- err
	}()
	planned := func(kind string) int {
		for _, k := range c.Stats().Kinds {
			if k.Kind == kind {
				return k.Planned
			}
		}
		return -1
	}
	require.Eventually(t, func() bool { return planned("max-aggregate") == 1 }, 10*time.Second, time.Millisecond,
		"the aggregate waits for its inputs and is counted as planned")
	let()
	require.NoError(t, <-done)
	require.Zero(t, planned("max-aggregate"))
}
