// Package engine spreads segmentation jobs over any number of processes and
// machines on NATS JetStream: a coordinator (Submit) cuts a job into the
// plane and slab tasks of segment.Tasks and publishes them to a work-queue
// stream; workers (Worker) on any node pull them, run them on their own
// sched.LocalCluster and write their chunks of the shared OME-Zarr output;
// the job's state and every task's result live in a key-value bucket.
//
// The work model:
//
//   - A task is acknowledged only once its chunks (or scratch files) are
//     written and its result is stored; a worker sends in-progress
//     heartbeats while it works, and a task whose worker dies is delivered
//     again after the ack wait, at most MaxDeliver times: a task that keeps
//     failing fails its job with its error.
//   - Writes are idempotent: a task delivered twice writes the same chunks
//     again (each to a temporary name renamed into place) and the same
//     result. The coordinator writes the arrays' and groups' metadata last,
//     then moves the finished store into place.
//   - The coordinator keeps nothing that the bucket does not: started again
//     with the same job, it finds the job's state and results there and
//     resumes where the job stands.
//
// 2-D jobs run two passes, planes (labels numbered per plane, counts,
// thresholds, statistics; the input plane copied into the image from the
// labelling's read) and writes (labels offset for unique numbering: those
// the plane task kept in the worker's label cache, packed, or the plane
// labelled again where it ran elsewhere); 3-D jobs smooth runs of planes
// into a shared scratch file, count Otsu's histogram slab by slab when the
// threshold is Otsu's, label slabs for the chunk merge
// (kernels.ChunkMerger, at the coordinator), and relabel and write the
// slabs; a 3-D job that splits touching objects splits the whole volume in
// one task and writes its labels slab by slab. The output is the one
// segment.Run writes for the same options, voxel for voxel and row for
// row in the statistics.
//
// Every path a job names must lie under the worker's root, and every
// message is checked (size, fields, ranges) before anything is read or
// written.
package engine
