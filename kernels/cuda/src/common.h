// common.h: helpers shared by segstack's kernels (included after segcuda.h).
#ifndef SEGSTACK_COMMON_H
#define SEGSTACK_COMMON_H

#include "segcuda.h"

// SEG_THREADS is the block size every 1-D launch uses; the Go side
// launches with the same number (threadsPerBlock in ops_launch.go).
#define SEG_THREADS 256

#define SEG_NEG_INF_BITS 0xff800000u
#define SEG_POS_INF_BITS 0x7f800000u

// The boundary modes, numbered as stack.Mode numbers them.
#define SEG_MODE_REFLECT 0
#define SEG_MODE_NEAREST 1
#define SEG_MODE_MIRROR 2
#define SEG_MODE_CONSTANT 3
#define SEG_MODE_WRAP 4

SEG_DEVICE long long seg_mod(long long i, long long n) {
  long long r = i % n;
  return r < 0 ? r + n : r;
}

// seg_map_index maps position i on an axis of n samples to the sample it
// reads under mode, or -1 for the constant (stack.Mode.MapIndex).
SEG_DEVICE long long seg_map_index(long long i, long long n, int mode) {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case SEG_MODE_NEAREST:
      return i < 0 ? 0 : n - 1;
    case SEG_MODE_MIRROR: {
      if (n == 1) return 0;
      long long p = 2 * n - 2;
      long long j = seg_mod(i, p);
      return j >= n ? p - j : j;
    }
    case SEG_MODE_CONSTANT:
      return -1;
    case SEG_MODE_WRAP:
      return seg_mod(i, n);
    default: {
      long long p = 2 * n;
      long long j = seg_mod(i, p);
      return j >= n ? p - 1 - j : j;
    }
  }
}

// seg_maxf is the CPU's maxOf: a when a > b, else b.
SEG_DEVICE float seg_maxf(float a, float b) { return a > b ? a : b; }
SEG_DEVICE float seg_minf(float a, float b) { return a < b ? a : b; }

// seg_block_max reduces v over a block of at most 1024 threads (x only)
// and raises *out to it with one atomic. Every thread of the block must
// call it.
SEG_DEVICE void seg_block_max(float v, float* out) {
  SEG_SHARED(float, part, 1024);
  unsigned t = threadIdx.x;
  part[t] = v;
  __syncthreads();
  for (unsigned s = 512; s > 0; s >>= 1) {
    if (t < s && t + s < blockDim.x) part[t] = seg_maxf(part[t], part[t + s]);
    __syncthreads();
  }
  if (t == 0) seg_atomic_max_f32(out, part[0]);
}

// seg_grid_stride is the distance between a thread's successive elements in
// a 1-D grid-stride loop.
SEG_DEVICE long long seg_grid_stride() {
  return (long long)gridDim.x * (long long)blockDim.x;
}
SEG_DEVICE long long seg_grid_first() {
  return (long long)blockIdx.x * (long long)blockDim.x + (long long)threadIdx.x;
}

#endif  // SEGSTACK_COMMON_H
