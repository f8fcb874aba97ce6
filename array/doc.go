// Package array is a lazy chunked N-dimensional array (1-D to 3-D), the Go
// counterpart of the Dask Array half of the tutorial that segstack follows.
//
// An Array is a grid of chunks, each produced by a small task. Operations
// (element-wise arithmetic and comparisons, Astype, Transpose, Slice,
// Rechunk, tree reductions, MapBlocks, MapOverlap) add tasks and return a
// new Array at once; nothing runs until Compute, Persist or ToTIFF, which
// hand the task graph to the delayed package and run it on a sched cluster.
//
// # Errors
//
// Building an array cannot fail loudly: an operation on arrays of
// mismatched shapes, an out-of-range axis or a bad slice returns an Array
// that carries the error (see Err). Every later operation passes the first
// error on, and Compute returns it, so chains such as
//
//	z := y.Slice(array.Every(2), array.From(50)).Mean(1)
//
// read like the numpy expressions they mirror and are checked once.
//
// # Element types and promotion
//
// Arrays hold uint8, uint16, uint32, uint64, int16, int32, int64, float32 or
// float64 elements, named at run time by stack.DType (Astype(stack.Uint16),
// say) and in generic calls by the stack.Number constraint. The rules
// follow numpy's:
//
//   - Between two arrays the result type is numpy's result_type of the two
//     (uint8+int16 → int16, uint16+int16 → int32, uint32+int32 → int64,
//     16-bit ints with float32 → float32, 32- and 64-bit ints with float32 →
//     float64, uint64 with a signed int → float64).
//   - With a scalar the array's type is kept when the scalar is a whole number
//     that the type can hold, or when the array is floating point; otherwise
//     the result is float64 (numpy would pick the smallest integer type for
//     an out-of-range integer scalar; we use float64).
//   - Div is true division: integer operands give float64, float32 stays
//     float32. Integer Add, Sub and Mul wrap around as numpy's do.
//   - Comparisons give uint8 arrays of 0 and 1 (numpy gives bool).
//   - Sum of signed integers gives int64, of unsigned integers uint64, of
//     floats the same float type. Mean and Std of integers give float64, of
//     float32 float32. Partial sums, means and variances are accumulated in
//     float64 (integers in 64-bit integers), so float32 results can differ
//     from numpy's float32 pairwise sums in the last bits.
//   - Min and Max keep the type.
//   - Astype converts as numpy's astype does for in-range values: floats are
//     truncated toward zero when converted to integers.
//
// # Running
//
// Compute, Persist and ToTIFF take a delayed.Executor: a *sched.LocalCluster,
// delayed.Serial() or delayed.Parallel(n); nil starts a LocalCluster with one
// worker per core for the call. The chunk tasks are turned into delayed
// nodes, with linear chains fused into one task (a chunk read and its
// reduction summary, say), and a reduction's combine runs the fused chains
// of its inputs itself when nothing else uses them, folding each result in
// as soon as it exists: the maximum over Z of a TIFF stack reads a plane
// into a pooled buffer, folds it into the running maximum and recycles the
// buffer for the next plane. delayed keeps a few tasks per worker handed to
// executors that report their parallelism (sched's LocalCluster,
// delayed.Parallel) and starts them in depth-first order, and announces
// them with Plan (the dashboard's counts and ETA); other executors are
// handed at most one task more than they have workers. A reduction
// therefore streams: a MIP holds a few planes per level of the reduction
// tree plus the tasks in flight, whatever the stack's depth. ToTIFF
// computes and writes windows of planes in turn.
//
// Random fills an array from a counter-based generator (SplitMix64 of the
// seed and the element's flat index), so its values do not depend on the
// chunk shape and can be reproduced in a few lines of numpy.
package array
