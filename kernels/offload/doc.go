// Package offload runs segstack's kernels on accelerators from the host
// side: it is everything about using a GPU that is not the GPU code itself,
// written in plain Go against the small Device interface so that it is
// tested in CI with a CPU-backed fake device (package fakedev) and shared by
// every real device family.
//
// An Executor wraps one or more Devices and implements kernels.Backend:
//
//   - Tiling. Each volume is split with stack.Grid into tiles that fit the
//     device's free memory (or Options.MaxTileBytes), whole rows and planes
//     first. A Gaussian tile carries a halo of the filter's radius, clipped
//     at the volume's edges where the device applies the boundary mode
//     itself (wrapped around for mode Wrap), so results do not depend on
//     the tiling.
//   - Pipelining. Each device gets Options.Streams streams (3 by default),
//     each with its own device and pinned buffers, used round robin: while
//     the host stages tile k+1 and the copy engine moves it in, the device
//     computes tile k and copies tile k-1 out.
//   - Buffer reuse. Device and pinned buffers come from a pool keyed by
//     size class and go back to it after each call, so a stream of
//     same-sized planes allocates only on the first.
//   - Several devices. Tiles are handed out from one queue to every
//     device's pipeline, so faster devices take more.
//   - Failures. A tile a device fails on is recomputed on the fallback
//     backend (kernels.CPU() unless set) and counted in Stats, or, with
//     Policy Fail, the call returns a *TileError. A device that fails three
//     tiles in a row gets no more tiles in that call. ErrOutOfMemory while
//     setting up makes the call re-plan with tiles half the size, and a
//     volume that fits no tile at all runs on the fallback.
//
// Labelling (LabelAbove, LabelAbove16, LabelAboveWithStats) runs on a
// device when the devices implement the optional Labeler interface and the
// whole volume fits one of them; otherwise, and for Label and the chunked
// labelling, on the fallback.
//
// A Device implementation checks itself with package devicetest, which the
// fake device passes bit for bit.
package offload
