package delayed

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segstack/segstack/sched"
	"github.com/stretchr/testify/require"
)

func inc(_ context.Context, x int) (int, error)    { return x + 1, nil }
func add(_ context.Context, a, b int) (int, error) { return a + b, nil }

// executors returns the executors every test runs on.
func executors(t *testing.T) map[string]Executor {
	c, err := sched.NewLocalCluster(sched.Options{Workers: 3})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Close()) })
	return map[string]Executor{"serial": Serial(), "parallel": Parallel(4), "cluster": c}
}

func TestBasic(t *testing.T) {
	t.Parallel()
	for name, ex := range executors(t) {
		t.Run(name, func(t *testing.T) {
			x := Call1("inc", inc, Of(1))
			y := Call1("inc", inc, Of(2))
			z := Call2("add", add, x, y)
			_, err := z.Result()
			require.ErrorIs(t, err, ErrNotComputed)
			got, err := Compute1(context.Background(), ex, z)
			require.NoError(t, err)
			require.Equal(t, 5, got)
			// Intermediates are dropped; targets and constants keep results.
			_, err = x.Result()
			require.ErrorIs(t, err, ErrNotComputed)
			c, err := Of(7).Result()
			require.NoError(t, err)
			require.Equal(t, 7, c)

			// Several targets at once, of different types.
			s := Call1("str", func(_ context.Context, v int) (string, error) { return fmt.Sprint(v), nil }, z)
			require.NoError(t, Compute(context.Background(), ex, x, s))
			xv, err := x.Result()
			require.NoError(t, err)
			require.Equal(t, 2, xv)
			sv, err := s.Result()
			require.NoError(t, err)
			require.Equal(t, "5", sv)
		})
	}
}

func TestArities(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a := Call0("zero", func(context.Context) (int, error) { return 10, nil })
	b := Call3("three", func(_ context.Context, x int, y string, z float64) (string, error) {
		return fmt.Sprintf("%d%s%g", x, y, z), nil
	}, a, Of("-"), Of(1.5))
	c := Call4("four", func(_ context.Context, w string, x, y, z int) (int, error) {
		return len(w) + x + y + z, nil
	}, b, Of(1), Of(2), a)
	d := CallN("sum", func(_ context.Context, xs []int) (int, error) {
		s := 0
		for _, x := range xs {
			s += x
		}
		return s, nil
	}, []Value[int]{a, c, Of(100)})
	got, err := Compute1(ctx, Parallel(2), d)
	require.NoError(t, err)
	// b = "10-1.5" (6 chars), c = 6+1+2+10 = 19, d = 10+19+100.
	require.Equal(t, 129, got)
}

// Each node runs after its dependencies, and independent nodes overlap.
func TestDependenciesAndParallelism(t *testing.T) {
	t.Parallel()
	for name, ex := range executors(t) {
		if name == "serial" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			var mu sync.Mutex
			finished := map[string]time.Time{}
			started := map[string]time.Time{}
			var live, peak atomic.Int32
			mk := func(label string) func(context.Context, int, int) (int, error) {
				return func(_ context.Context, a, b int) (int, error) {
					mu.Lock()
					started[label] = time.Now()
					mu.Unlock()
					n := live.Add(1)
					for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
					}
					time.Sleep(20 * time.Millisecond)
					live.Add(-1)
					mu.Lock()
					finished[label] = time.Now()
					mu.Unlock()
					return a + b, nil
				}
			}
			l1 := Call2("l1", mk("l1"), Of(1), Of(2))
			l2 := Call2("l2", mk("l2"), Of(3), Of(4))
			l3 := Call2("l3", mk("l3"), Of(5), Of(6))
			m := Call2("m", mk("m"), l1, l2)
			top := Call2("top", mk("top"), m, l3)
			got, err := Compute1(context.Background(), ex, top)
			require.NoError(t, err)
			require.Equal(t, 21, got)
			require.False(t, started["m"].Before(finished["l1"]))
			require.False(t, started["m"].Before(finished["l2"]))
			require.False(t, started["top"].Before(finished["m"]))
			require.False(t, started["top"].Before(finished["l3"]))
			require.GreaterOrEqual(t, peak.Load(), int32(2), "independent leaves should overlap")
		})
	}
}

var calls atomic.Int64

func counted(_ context.Context, x int) (int, error) {
	calls.Add(1)
	return x * 10, nil
}

func TestSharedSubgraphOnce(t *testing.T) {
	// Not parallel: counts calls of a package-level function.
	for name, ex := range executors(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			// The same Value used twice runs once.
			var n atomic.Int32
			shared := Call1("shared", func(_ context.Context, x int) (int, error) { n.Add(1); return x, nil }, Of(4))
			sum := Call2("add", add, shared, shared)
			sum2 := Call2("add", add, sum, shared)
			got, err := Compute1(ctx, ex, sum2)
			require.NoError(t, err)
			require.Equal(t, 12, got)
			require.EqualValues(t, 1, n.Load())

			// Pure calls built twice with equal arguments share a key and
			// run once.
			calls.Store(0)
			a := Call1("counted", counted, Of(3), Pure())
			b := Call1("counted", counted, Of(3), Pure())
			other := Call1("counted", counted, Of(4), Pure())
			require.Equal(t, a.Key(), b.Key())
			require.NotEqual(t, a.Key(), other.Key())
			top := Call2("add", add, Call2("add", add, a, b), other)
			got, err = Compute1(ctx, ex, top)
			require.NoError(t, err)
			require.Equal(t, 100, got)
			require.EqualValues(t, 2, calls.Load())
			require.Equal(t, 4, GraphOf(top).Calls()) // counted(3), counted(4), two adds
		})
	}
}

func TestKeys(t *testing.T) {
	t.Parallel()
	// Without Pure keys are unique.
	a := Call1("counted", counted, Of(3))
	b := Call1("counted", counted, Of(3))
	require.NotEqual(t, a.Key(), b.Key())
	// Pure on a closure cannot be keyed by value: it stays unique.
	k := 2
	cl := func(_ context.Context, x int) (int, error) { return x * k, nil }
	c1 := Call1("closure", cl, Of(3), Pure())
	c2 := Call1("closure", cl, Of(3), Pure())
	require.NotEqual(t, c1.Key(), c2.Key())
	// Explicit keys merge.
	var n atomic.Int32
	f := func(_ context.Context, x int) (int, error) { n.Add(1); return x, nil }
	e1 := Call1("e", f, Of(1), Key("plane-1"))
	e2 := Call1("e", f, Of(1), Key("plane-1"))
	got, err := Compute1(context.Background(), Serial(), Call2("add", add, e1, e2))
	require.NoError(t, err)
	require.Equal(t, 2, got)
	require.EqualValues(t, 1, n.Load())
	// Pure keys follow the arguments' keys through the graph.
	p1 := Call1("counted", counted, Call1("counted", counted, Of(1), Pure()), Pure())
	p2 := Call1("counted", counted, Call1("counted", counted, Of(1), Pure()), Pure())
	require.Equal(t, p1.Key(), p2.Key())
	require.True(t, strings.HasPrefix(p1.Key(), "counted-"))
	require.NotEqual(t, Of([]int{1}).Key(), Of([]int{1}).Key())
	require.Equal(t, Of(1.5).Key(), Of(1.5).Key())
	require.Equal(t, "x", OfKey("x", []int{1}).Key())

	require.True(t, isClosureName("main.f.func1"))
	require.True(t, isClosureName("main.f.func1.2"))
	require.True(t, isClosureName("main.T.M-fm"))
	require.False(t, isClosureName("github.com/a/b.counted"))
	require.False(t, isClosureName("github.com/a/b.T.Method"))

	// Results of mismatched types under one key are an error, not a crash.
	s1 := Call0("s", func(context.Context) (string, error) { return "a", nil }, Key("dup"))
	s2 := Call0("i", func(context.Context) (int, error) { return 1, nil }, Key("dup"))
	err = Compute(context.Background(), Serial(), s1, s2)
	require.ErrorContains(t, err, "share key dup")
}

func TestErrors(t *testing.T) {
	t.Parallel()
	for name, ex := range executors(t) {
		t.Run(name, func(t *testing.T) {
			boom := errors.New("boom")
			var after atomic.Int32
			bad := Call1("bad", func(_ context.Context, x int) (int, error) { return 0, boom }, Of(1), Key("bad-key"))
			dep := Call1("dependent", func(_ context.Context, x int) (int, error) { after.Add(1); return x, nil }, bad)
			good := Call1("good", inc, Of(1))
			err := Compute(context.Background(), ex, dep, good)
			require.ErrorIs(t, err, boom)
			var ne *NodeError
			require.ErrorAs(t, err, &ne)
			require.Equal(t, "bad", ne.Name)
			require.Equal(t, "bad-key", ne.Key)
			require.Contains(t, err.Error(), `"bad"`)
			require.Contains(t, err.Error(), "bad-key")
			require.Zero(t, after.Load(), "a node depending on a failure must not run")
			_, err = dep.Result()
			require.ErrorIs(t, err, ErrNotComputed)
		})
	}
}

func panicky(context.Context, int) (int, error) { panic(fmt.Errorf("wrapped %w", context.Canceled)) }

func TestPanics(t *testing.T) {
	t.Parallel()
	for name, ex := range executors(t) {
		t.Run(name, func(t *testing.T) {
			v := Call1("panicky", panicky, Of(1))
			_, err := Compute1(context.Background(), ex, Call1("inc", inc, v))
			var pe *sched.PanicError
			require.ErrorAs(t, err, &pe)
			require.Contains(t, string(pe.Stack), "panicky")
			var ne *NodeError
			require.ErrorAs(t, err, &ne)
			require.Equal(t, "panicky", ne.Name)
		})
	}
}

// A failure cancels what is running elsewhere in the graph.
func TestFailureCancelsRunning(t *testing.T) {
	t.Parallel()
	for name, ex := range executors(t) {
		if name == "serial" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			started := make(chan struct{})
			slow := Call0("slow", func(ctx context.Context) (int, error) {
				close(started)
				select {
				case <-ctx.Done():
					return 0, ctx.Err()
				case <-time.After(10 * time.Second):
					return 1, nil
				}
			})
			bad := Call0("bad", func(context.Context) (int, error) {
				<-started
				return 0, errors.New("bad")
			})
			t0 := time.Now()
			err := Compute(context.Background(), ex, slow, bad)
			require.ErrorContains(t, err, "bad")
			require.Less(t, time.Since(t0), 5*time.Second)
		})
	}
}

func TestCancelMidGraph(t *testing.T) {
	t.Parallel()
	for name, ex := range executors(t) {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			var ran atomic.Int32
			step := func(_ context.Context, x int) (int, error) {
				if ran.Add(1) == 5 {
					cancel()
				}
				return x + 1, nil
			}
			v := Of(0)
			for i := 0; i < 50; i++ {
				v = Call1("step", step, v)
			}
			_, err := Compute1(ctx, ex, v)
			require.ErrorIs(t, err, context.Canceled)
			require.Less(t, ran.Load(), int32(8), "the chain must stop soon after cancellation")
		})
	}
}

func TestPersist(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var n atomic.Int32
	base := Call1("expensive", func(_ context.Context, x int) (int, error) { n.Add(1); return x * 2, nil }, Of(21))
	p, err := Persist(ctx, Parallel(2), base)
	require.NoError(t, err)
	require.EqualValues(t, 1, n.Load())
	require.Equal(t, base.Key(), p.Key())
	for i := 0; i < 3; i++ {
		got, err := Compute1(ctx, Parallel(2), Call1("inc", inc, p))
		require.NoError(t, err)
		require.Equal(t, 43, got)
	}
	require.EqualValues(t, 1, n.Load())
	v, err := p.Result()
	require.NoError(t, err)
	require.Equal(t, 42, v)
	// Persist of a failing value reports the failure.
	_, err = Persist(ctx, Serial(), Call0("f", func(context.Context) (int, error) { return 0, errors.New("nope") }))
	require.ErrorContains(t, err, "nope")
}

func TestBusy(t *testing.T) {
	t.Parallel()
	gate := make(chan struct{})
	started := make(chan struct{})
	var once sync.Once
	v := Call0("block", func(context.Context) (int, error) { once.Do(func() { close(started) }); <-gate; return 1, nil })
	top := Call1("inc", inc, v)
	errc := make(chan error)
	go func() { errc <- Compute(context.Background(), Parallel(1), top) }()
	<-started
	require.ErrorIs(t, Compute(context.Background(), Serial(), Call1("inc", inc, v)), ErrBusy)
	// A refused computation leaves no node claimed.
	w := Call2("add", add, Call1("inc", inc, Of(1)), v)
	require.ErrorIs(t, Compute(context.Background(), Serial(), w), ErrBusy)
	close(gate)
	require.NoError(t, <-errc)
	// Once done the nodes are free again.
	got, err := Compute1(context.Background(), Serial(), w)
	require.NoError(t, err)
	require.Equal(t, 3, got)
}

func TestGraphDot(t *testing.T) {
	t.Parallel()
	x := Call1("inc", inc, Of(1))
	y := Call1("inc", inc, Of(2))
	z := Call2("add", add, x, y, Kind("sum"))
	g := GraphOf(z)
	require.Equal(t, 5, g.Len())
	require.Equal(t, 3, g.Calls())
	require.Equal(t, map[string]int{"inc": 2, "sum": 1}, g.CountByKind())
	dot := g.Dot()
	require.True(t, strings.HasPrefix(dot, "digraph delayed {"))
	require.Equal(t, 2, strings.Count(dot, `label="inc", shape=ellipse`))
	require.Equal(t, 2, strings.Count(dot, `label="const", shape=box`))
	require.Equal(t, 4, strings.Count(dot, "->"))
	require.Contains(t, dot, "n4 [label=\"add\"")
	require.Contains(t, dot, "n1 -> n4;")
	require.Contains(t, dot, "n3 -> n4;")
}

// Random DAGs of sums computed on every executor agree with a direct
// evaluation.
func TestRandomDAGs(t *testing.T) {
	t.Parallel()
	exs := executors(t)
	r := rand.New(rand.NewPCG(7, 11))
	for trial := 0; trial < 20; trial++ {
		n := 1 + r.IntN(200)
		vals := make([]Value[int], 0, n)
		ref := make([]int, 0, n)
		for i := 0; i < n; i++ {
			switch {
			case i < 3 || r.IntN(5) == 0:
				x := r.IntN(100)
				vals = append(vals, Of(x))
				ref = append(ref, x)
			case r.IntN(2) == 0:
				a := r.IntN(i)
				vals = append(vals, Call1("inc", inc, vals[a]))
				ref = append(ref, ref[a]+1)
			default:
				a, b := r.IntN(i), r.IntN(i)
				vals = append(vals, Call2("add", add, vals[a], vals[b]))
				ref = append(ref, ref[a]+ref[b])
			}
		}
		targets := []Node{}
		want := map[int]int{}
		for k := 0; k < 5; k++ {
			i := r.IntN(n)
			targets = append(targets, vals[i])
			want[i] = ref[i]
		}
		for name, ex := range exs {
			require.NoError(t, Compute(context.Background(), ex, targets...), name)
			for i, w := range want {
				got, err := vals[i].Result()
				require.NoError(t, err, name)
				require.Equal(t, w, got, "%s trial %d node %d", name, trial, i)
			}
		}
	}
}

// A wide graph of many chunks, as the lazy arrays build.
func TestLargeGraph(t *testing.T) {
	t.Parallel()
	n := 20_000
	if testing.Short() {
		n = 5_000
	}
	c, err := sched.NewLocalCluster(sched.Options{Workers: 4, MaxPending: 256})
	require.NoError(t, err)
	defer c.Close()
	chunks := make([]Value[int], n)
	for i := range chunks {
		chunks[i] = Call1("double", func(_ context.Context, x int) (int, error) { return 2 * x, nil }, Call1("inc", inc, Of(i)))
	}
	// A tree reduction, fan-in 4.
	level := chunks
	for len(level) > 1 {
		var next []Value[int]
		for i := 0; i < len(level); i += 4 {
			group := level[i:min(i+4, len(level))]
			next = append(next, CallN("sum", func(_ context.Context, xs []int) (int, error) {
				s := 0
				for _, x := range xs {
					s += x
				}
				return s, nil
			}, group))
		}
		level = next
	}
	got, err := Compute1(context.Background(), c, level[0])
	require.NoError(t, err)
	// sum of 2*(i+1) for i < n.
	require.Equal(t, n*(n+1), got)
	done := map[string]int{}
	for _, ks := range c.Stats().Kinds {
		done[ks.Kind] = ks.Done
	}
	require.Equal(t, n, done["inc"])
	require.Equal(t, n, done["double"])
}

// Ready nodes run depth first: a reduction runs as soon as its inputs are
// there, before the next inputs are made; user priorities come first.
func TestExecutionOrder(t *testing.T) {
	t.Parallel()
	c, err := sched.NewLocalCluster(sched.Options{Workers: 1})
	require.NoError(t, err)
	defer c.Close()
	for name, ex := range map[string]Executor{"serial": Serial(), "cluster": c} {
		t.Run(name, func(t *testing.T) {
			var mu sync.Mutex
			var order []string
			rec := func(label string) func(context.Context, []int) (int, error) {
				return func(_ context.Context, xs []int) (int, error) {
					mu.Lock()
					order = append(order, label)
					mu.Unlock()
					return len(xs), nil
				}
			}
			var sums []Value[int]
			for g := 0; g < 2; g++ {
				var leaves []Value[int]
				for k := 0; k < 3; k++ {
					leaves = append(leaves, CallN("leaf", rec(fmt.Sprintf("leaf%d%d", g, k)), nil))
				}
				sums = append(sums, CallN("sum", rec(fmt.Sprintf("sum%d", g)), leaves))
			}
			urgent := CallN("urgent", rec("urgent"), nil, Priority(-1))
			top := CallN("top", rec("top"), append(sums, urgent))
			_, err := Compute1(context.Background(), ex, top)
			require.NoError(t, err)
			if name == "serial" {
				require.Equal(t, []string{"urgent", "leaf00", "leaf01", "leaf02", "sum0", "leaf10", "leaf11", "leaf12", "sum1", "top"}, order)
				return
			}
			// On a cluster a worker may take a queued input before the
			// reduction that just became ready reaches the queue.
			require.Len(t, order, 10)
			require.Equal(t, "urgent", order[0])
			require.Equal(t, "top", order[9])
			pos := map[string]int{}
			for i, s := range order {
				pos[s] = i
			}
			for g := 0; g < 2; g++ {
				for k := 0; k < 3; k++ {
					require.Less(t, pos[fmt.Sprintf("leaf%d%d", g, k)], pos[fmt.Sprintf("sum%d", g)])
				}
			}
		})
	}
}

// Compute announces its nodes to a cluster (Plan) so progress covers the
// whole graph, and withdraws what never ran after a failure.
func TestPlansOnCluster(t *testing.T) {
	t.Parallel()
	c, err := sched.NewLocalCluster(sched.Options{Workers: 1})
	require.NoError(t, err)
	defer c.Close()
	gate := make(chan struct{})
	first := Call0("first", func(context.Context) (int, error) { <-gate; return 1, nil }, Kind("read"))
	v := first
	for i := 0; i < 9; i++ {
		v = Call1("next", inc, v, Kind("label"))
	}
	errc := make(chan error)
	go func() { errc <- Compute(context.Background(), c, v) }()
	kinds := func() map[string]sched.KindStats {
		m := map[string]sched.KindStats{}
		for _, k := range c.Stats().Kinds {
			m[k.Kind] = k
		}
		return m
	}
	require.Eventually(t, func() bool { return kinds()["read"].Running == 1 }, 5*time.Second, time.Millisecond)
	require.Equal(t, 9, kinds()["label"].Planned, "the chain waiting on its input is planned")
	close(gate)
	require.NoError(t, <-errc)
	require.Zero(t, kinds()["label"].Planned)
	require.Equal(t, 9, kinds()["label"].Done)

	bad := Call0("bad", func(context.Context) (int, error) { return 0, errors.New("x") }, Kind("read"))
	w := bad
	for i := 0; i < 5; i++ {
		w = Call1("next", inc, w, Kind("write"))
	}
	require.Error(t, Compute(context.Background(), c, w))
	require.Zero(t, kinds()["write"].Planned, "nodes that will never run are withdrawn")
	require.Zero(t, kinds()["write"].Submitted)
}

func TestWorkerOf(t *testing.T) {
	t.Parallel()
	c, err := sched.NewLocalCluster(sched.Options{Workers: 1, Devices: []sched.Device{{Kind: "GPU"}}})
	require.NoError(t, err)
	defer c.Close()
	where := func(ctx context.Context) (string, error) {
		w, ok := WorkerOf(ctx)
		if !ok {
			return "unknown", nil
		}
		return w.Kind, nil
	}
	gpu := Call0("where", where, Resources(sched.GPU))
	plain := Call0("where", where)
	require.NoError(t, Compute(context.Background(), c, gpu, plain))
	g, _ := gpu.Result()
	p, _ := plain.Result()
	require.Equal(t, "GPU", g)
	require.Equal(t, "unknown", p)
}
