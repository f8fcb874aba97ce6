// label.cu: connected-component labelling of the voxels of a float32
// volume that are above a threshold, numbered exactly as
// scipy.ndimage.label numbers them (raster order of each object's first
// voxel).
//
// Union-find on device, in the family of Playne and Hawick's and the
// block-based BKE algorithms:
//   1. init: NONE for the background, and for a voxel above t (the
//      threshold is fused here; no mask is materialised) the first voxel
//      of its run within its row segment (the local phase);
//   2. merge: each foreground voxel unites itself with each foreground
//      neighbour that precedes it in raster order. Links always go from a
//      larger index to a smaller one with an atomic min, so the root of
//      every tree is the smallest linear index of its object: its first
//      voxel in raster order;
//   3. compress: P[i] = root of i;
//   4. count, scan, number: a prefix sum over the roots gives each root its
//      label, 1 + the number of roots before it, stored as P[root] =
//      label | TOP;
//   5. write: dst[i] = label of P[i] as uint32 or uint16.
// Parents are 32-bit for volumes under 2^31 voxels, 64-bit above (the
// _u64 kernels), and every index is 64-bit either way.
#include "common.h"

// SEG_LABEL_CHUNK is the number of voxels one block of SEG_THREADS threads
// counts and numbers (SEG_LABEL_PER_THREAD contiguous voxels a thread).
#define SEG_LABEL_PER_THREAD 16
#define SEG_LABEL_CHUNK (SEG_THREADS * SEG_LABEL_PER_THREAD)

SEG_DEVICE unsigned seg_atomic_min_idx(unsigned* p, unsigned v) {
  return seg_atomic_min_u32(p, v);
}
SEG_DEVICE unsigned long long seg_atomic_min_idx(unsigned long long* p,
                                                 unsigned long long v) {
  return seg_atomic_min_u64(p, v);
}

template <typename I>
SEG_DEVICE I seg_none() {
  return ~(I)0;
}
template <typename I>
SEG_DEVICE I seg_top() {
  return (I)1 << (sizeof(I) * 8 - 1);
}

// seg_find follows parents to the root. Parents change under it (only ever
// to a smaller index of the same object), so they are read with seg_load.
template <typename I>
SEG_DEVICE I seg_find(const I* P, I x) {
  I p = seg_load(P + x);
  while (p != x) {
    x = p;
    p = seg_load(P + x);
  }
  return x;
}

// seg_unite joins the trees of a and b, linking the larger root under the
// smaller. When the larger was linked elsewhere meanwhile, the atomic min
// returns its new parent, and the union continues from there.
template <typename I>
SEG_DEVICE void seg_unite(I* P, I a, I b) {
  for (;;) {
    a = seg_find(P, a);
    b = seg_find(P, b);
    if (a == b) return;
    if (a < b) {
      I t = a;
      a = b;
      b = t;
    }
    I old = seg_atomic_min_idx(P + a, b);
    if (old == a) return;
    a = old;
  }
}

// SEG_LABEL_SEG is the row segment within which init joins runs.
#define SEG_LABEL_SEG 32

// seg_label_init marks the foreground and does the local part of the
// union-find: rows are cut into aligned segments of SEG_LABEL_SEG voxels,
// and every foreground voxel's parent is the first voxel of its run within
// its segment (found by reading back to the run's start, at most
// SEG_LABEL_SEG-1 voxels, from cache). The merge then has no union to make
// inside a segment's runs.
template <typename I>
SEG_DEVICE void seg_label_init(I* P, const float* src, long long Z,
                               long long Y, long long X, float t) {
  for (long long z = blockIdx.z; z < Z; z += gridDim.z) {
    for (long long y = blockIdx.y; y < Y; y += gridDim.y) {
      long long row = (z * Y + y) * X;
      for (long long x = (long long)blockIdx.x * blockDim.x + threadIdx.x;
           x < X; x += (long long)gridDim.x * blockDim.x) {
        const float* p = src + row;
        if (!(p[x] > t)) {
          P[row + x] = seg_none<I>();
          continue;
        }
        long long s0 = x - x % SEG_LABEL_SEG;
        long long b = x;
        while (b > s0 && p[b - 1] > t) b--;
        P[row + x] = (I)(row + b);
      }
    }
  }
}

// seg_label_merge unites each foreground voxel with its foreground
// neighbours that come before it in raster order: for connectivity 4 and
// 6 the faces, for 8 the faces and corners in the plane, for 18 the faces
// and edges, for 26 all 13. Unions that neighbours already imply are
// skipped: a neighbour face-adjacent to another foreground neighbour that
// is united with the voxel is in its object already (their own merge
// joins them), so with the voxel below it in plane z-1 foreground the
// rest of that plane's neighbours are skipped, and with the one above it
// in row y-1 foreground, that row's corners are.
template <typename I>
SEG_DEVICE void seg_label_merge(I* P, long long Z, long long Y, long long X,
                                int conn) {
  const I none = seg_none<I>();
  for (long long z = blockIdx.z; z < Z; z += gridDim.z) {
    for (long long y = blockIdx.y; y < Y; y += gridDim.y) {
      long long row = (z * Y + y) * X;
      for (long long x = (long long)blockIdx.x * blockDim.x + threadIdx.x;
           x < X; x += (long long)gridDim.x * blockDim.x) {
        long long i = row + x;
        if (seg_load(P + i) == none) continue;
        // Plane z-1 (3-D connectivities only).
        if (z > 0 && conn >= 6 && conn != 8) {
          long long c = i - X * Y;
          if (seg_load(P + c) != none) {
            // Every other neighbour in plane z-1 touches c: by a face for
            // 18, by a face or in-plane corner for 26.
            seg_unite(P, (I)i, (I)c);
          } else if (conn != 6) {
            for (int dy = -1; dy <= 1; dy++) {
              long long yy = y + dy;
              if (yy < 0 || yy >= Y) continue;
              for (int dx = -1; dx <= 1; dx++) {
                long long xx = x + dx;
                if (xx < 0 || xx >= X) continue;
                int d = (dy != 0) + (dx != 0);
                if (d == 0 || (conn == 18 && d > 1)) continue;
                long long j = ((z - 1) * Y + yy) * X + xx;
                if (seg_load(P + j) != none) seg_unite(P, (I)i, (I)j);
              }
            }
          }
        }
        bool left = x > 0 && seg_load(P + i - 1) != none;
        // Row y-1 of the same plane.
        if (y > 0) {
          long long u = i - X;
          if (seg_load(P + u) != none) {
            seg_unite(P, (I)i, (I)u);  // its row neighbours touch it
          } else if (conn == 8 || conn == 18 || conn == 26) {
            // The upper-left corner touches the left voxel by a face.
            if (x > 0 && !left && seg_load(P + u - 1) != none)
              seg_unite(P, (I)i, (I)(u - 1));
            if (x + 1 < X && seg_load(P + u + 1) != none)
              seg_unite(P, (I)i, (I)(u + 1));
          }
        }
        // Within a row segment, init has joined the run already.
        if (left && x % SEG_LABEL_SEG == 0) seg_unite(P, (I)i, (I)(i - 1));
      }
    }
  }
}

template <typename I>
SEG_DEVICE void seg_label_compress(I* P, long long n) {
  const I none = seg_none<I>();
  for (long long i = seg_grid_first(); i < n; i += seg_grid_stride()) {
    I p = seg_load(P + i);
    if (p == none || p == (I)i) continue;
    seg_store(P + i, seg_find(P, p));
  }
}

// seg_block_exclusive_scan returns the sum of v over the threads of the
// block before this one, and the block's total in *total. Every thread of
// the block (blockDim.x == SEG_THREADS) must call it.
SEG_DEVICE unsigned long long seg_block_exclusive_scan(unsigned long long v,
                                                       unsigned long long* total) {
  SEG_SHARED(unsigned long long, buf, 2 * SEG_THREADS);
  unsigned t = threadIdx.x;
  unsigned n = blockDim.x;
  int in = 0;
  buf[t] = v;
  __syncthreads();
  for (unsigned s = 1; s < n; s <<= 1) {
    unsigned long long x = buf[in * SEG_THREADS + t];
    if (t >= s) x += buf[in * SEG_THREADS + t - s];
    buf[(1 - in) * SEG_THREADS + t] = x;
    in = 1 - in;
    __syncthreads();
  }
  unsigned long long incl = buf[in * SEG_THREADS + t];
  *total = buf[in * SEG_THREADS + n - 1];
  __syncthreads();
  return incl - v;
}

// seg_label_count stores in counts[b] the number of roots in chunk b.
template <typename I>
SEG_DEVICE void seg_label_count(const I* P, long long n,
                                unsigned long long* counts) {
  for (long long b = blockIdx.x; b * SEG_LABEL_CHUNK < n; b += gridDim.x) {
    long long base = b * SEG_LABEL_CHUNK + (long long)threadIdx.x * SEG_LABEL_PER_THREAD;
    unsigned long long c = 0;
    for (int k = 0; k < SEG_LABEL_PER_THREAD; k++) {
      long long i = base + k;
      if (i < n && P[i] == (I)i) c++;
    }
    unsigned long long total;
    seg_block_exclusive_scan(c, &total);
    if (threadIdx.x == 0) counts[b] = total;
  }
}

// seg_label_scan turns counts[0..nb) into exclusive prefix sums and stores
// the total, the number of objects, at *count (one block).
SEG_GLOBAL void seg_label_scan(unsigned long long* counts, long long nb,
                               unsigned* count) {
  unsigned long long carry = 0;
  for (long long base = 0; base < nb; base += SEG_THREADS) {
    long long i = base + threadIdx.x;
    unsigned long long v = i < nb ? counts[i] : 0;
    unsigned long long total;
    unsigned long long ex = seg_block_exclusive_scan(v, &total);
    if (i < nb) counts[i] = carry + ex;
    carry += total;
  }
  if (threadIdx.x == 0) *count = (unsigned)carry;
}
SEG_KERNEL_REGISTER(seg_label_scan)

// seg_label_number gives each root its label: P[root] = label | TOP.
template <typename I>
SEG_DEVICE void seg_label_number(I* P, long long n,
                                 const unsigned long long* offsets) {
  for (long long b = blockIdx.x; b * SEG_LABEL_CHUNK < n; b += gridDim.x) {
    long long base = b * SEG_LABEL_CHUNK + (long long)threadIdx.x * SEG_LABEL_PER_THREAD;
    unsigned long long c = 0;
    for (int k = 0; k < SEG_LABEL_PER_THREAD; k++) {
      long long i = base + k;
      if (i < n && P[i] == (I)i) c++;
    }
    unsigned long long total;
    unsigned long long next = offsets[b] + seg_block_exclusive_scan(c, &total);
    for (int k = 0; k < SEG_LABEL_PER_THREAD; k++) {
      long long i = base + k;
      if (i < n && P[i] == (I)i) P[i] = (I)(++next) | seg_top<I>();
    }
  }
}

template <typename I, typename L>
SEG_DEVICE void seg_label_write(L* dst, const I* P, long long n) {
  const I none = seg_none<I>();
  const I top = seg_top<I>();
  for (long long i = seg_grid_first(); i < n; i += seg_grid_stride()) {
    I p = P[i];
    L l = 0;
    if (p != none) {
      if (!(p & top)) p = P[p];
      l = (L)(p & ~top);
    }
    dst[i] = l;
  }
}

#define SEG_LABEL_KERNELS(sfx, I)                                             \
  SEG_GLOBAL void seg_label_init_##sfx(I* P, const float* src, long long Z,   \
                                       long long Y, long long X, float t) {   \
    seg_label_init<I>(P, src, Z, Y, X, t);                                    \
  }                                                                           \
  SEG_KERNEL_REGISTER(seg_label_init_##sfx)                                   \
  SEG_GLOBAL void seg_label_merge_##sfx(I* P, long long Z, long long Y,       \
                                        long long X, int conn) {              \
    seg_label_merge<I>(P, Z, Y, X, conn);                                     \
  }                                                                           \
  SEG_KERNEL_REGISTER(seg_label_merge_##sfx)                                  \
  SEG_GLOBAL void seg_label_compress_##sfx(I* P, long long n) {               \
    seg_label_compress<I>(P, n);                                              \
  }                                                                           \
  SEG_KERNEL_REGISTER(seg_label_compress_##sfx)                               \
  SEG_GLOBAL void seg_label_count_##sfx(const I* P, long long n,              \
                                        unsigned long long* counts) {         \
    seg_label_count<I>(P, n, counts);                                         \
  }                                                                           \
  SEG_KERNEL_REGISTER(seg_label_count_##sfx)                                  \
  SEG_GLOBAL void seg_label_number_##sfx(I* P, long long n,                   \
                                         const unsigned long long* offsets) { \
    seg_label_number<I>(P, n, offsets);                                       \
  }                                                                           \
  SEG_KERNEL_REGISTER(seg_label_number_##sfx)                                 \
  SEG_GLOBAL void seg_label_write32_##sfx(unsigned* dst, const I* P,          \
                                          long long n) {                      \
    seg_label_write<I, unsigned>(dst, P, n);                                  \
  }                                                                           \
  SEG_KERNEL_REGISTER(seg_label_write32_##sfx)                                \
  SEG_GLOBAL void seg_label_write16_##sfx(unsigned short* dst, const I* P,    \
                                          long long n) {                      \
    seg_label_write<I, unsigned short>(dst, P, n);                            \
  }                                                                           \
  SEG_KERNEL_REGISTER(seg_label_write16_##sfx)

SEG_LABEL_KERNELS(u32, unsigned)
SEG_LABEL_KERNELS(u64, unsigned long long)
