// Package delayed builds lazy task graphs, the Go analogue of dask.delayed.
//
// Call0 … Call4 record a call of a function on arguments that are other
// lazy values (or constants made with Of) and return a Value; nothing runs
// until Compute hands the graph to an Executor — a *sched.LocalCluster, or
// Serial() and Parallel(n) for small jobs and tests:
//
//	inc := func(_ context.Context, x int) (int, error) { return x + 1, nil }
//	add := func(_ context.Context, a, b int) (int, error) { return a + b, nil }
//	x := delayed.Call1("inc", inc, delayed.Of(1))
//	y := delayed.Call1("inc", inc, delayed.Of(2))
//	z := delayed.Call2("add", add, x, y)
//	total, err := delayed.Compute1(ctx, cluster, z) // 5
//
// Independent nodes run in parallel; a node runs once all its arguments are
// ready; an intermediate result is dropped as soon as every node that needs
// it in this computation has run, so a graph of many chunks holds only the
// chunks in flight. A failing node (an error or a panic) cancels the
// computation and Compute returns a *NodeError naming it; nodes that depend
// on it never run.
//
// Every node has a key. By default it is unique to the node, like
// dask.delayed(pure=False). With the Pure option the key is a token of the
// function and its arguments' keys, like dask's tokenize, so identical
// sub-graphs built twice are computed once per Compute; Key sets a key
// explicitly. Persist computes a value once and returns a leaf that later
// graphs use without recomputing it. GraphOf describes a graph and draws it
// as Graphviz with Dot.
package delayed
