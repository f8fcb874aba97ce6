package delayed_test

import (
	"context"
	"fmt"
	"time"

	"github.com/segstack/segstack/delayed"
	"github.com/segstack/segstack/sched"
)

// increment is the tutorial's slow function: it takes 100 ms.
func increment(ctx context.Context, x int) (int, error) {
	select {
	case <-time.After(100 * time.Millisecond):
		return x + 1, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

func sum(_ context.Context, xs []int) (int, error) {
	s := 0
	for _, x := range xs {
		s += x
	}
	return s, nil
}

// Eight calls of increment take 800 ms one after another. Built lazily and
// computed on a cluster of four workers they take two rounds, about 200 ms:
// each of the graph's nine calls runs as one task.
func Example_increment() {
	ctx := context.Background()
	cluster, err := sched.NewLocalCluster(sched.Options{Workers: 4})
	if err != nil {
		panic(err)
	}
	defer cluster.Close()

	data := []int{1, 2, 3, 4, 5, 6, 7, 8}
	results := make([]delayed.Value[int], len(data))
	for i, x := range data {
		results[i] = delayed.Call1("increment", increment, delayed.Of(x))
	}
	total := delayed.CallN("sum", sum, results)
	fmt.Println("nodes before compute:", delayed.GraphOf(total).Calls())

	got, err := delayed.Compute1(ctx, cluster, total)
	if err != nil {
		panic(err)
	}
	fmt.Println("total:", got)
	done := map[string]int{} // tasks run, by kind (a call's kind is its name)
	for _, k := range cluster.Stats().Kinds {
		done[k.Kind] = k.Done
	}
	fmt.Println("tasks run:", done["increment"], "increment,", done["sum"], "sum")
	// Output:
	// nodes before compute: 9
	// total: 44
	// tasks run: 8 increment, 1 sum
}

// Persist computes a value once; later graphs reuse it.
func ExamplePersist() {
	ctx := context.Background()
	y := delayed.Call1("increment", increment, delayed.Of(41))
	y, err := delayed.Persist(ctx, delayed.Parallel(2), y)
	if err != nil {
		panic(err)
	}
	z := delayed.Call1("increment", increment, y)
	fmt.Println(delayed.GraphOf(z).Calls(), "call to run")
	v, _ := delayed.Compute1(ctx, delayed.Serial(), z)
	fmt.Println(v)
	// Output:
	// 1 call to run
	// 43
}

func add(_ context.Context, a, b int) (int, error) { return a + b, nil }

// Dot draws the graph for Graphviz, like dask's visualize. Pure calls are
// keyed by their function and arguments, so the drawing is reproducible.
func ExampleGraph_Dot() {
	x := delayed.Call1("inc", increment, delayed.Of(1), delayed.Pure())
	z := delayed.Call2("add", add, x, delayed.Of(10), delayed.Pure())
	fmt.Print(delayed.GraphOf(z).Dot())
	// Output:
	// digraph delayed {
	// 	rankdir=BT;
	// 	n0 [label="const", shape=box, tooltip="int:1"];
	// 	n1 [label="inc", shape=ellipse, tooltip="inc-111c1e5a7e428be5"];
	// 	n2 [label="const", shape=box, tooltip="int:10"];
	// 	n3 [label="add", shape=ellipse, tooltip="add-11d7ebe105f5846b"];
	// 	n0 -> n1;
	// 	n1 -> n3;
	// 	n2 -> n3;
	// }
}
