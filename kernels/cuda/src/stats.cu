// stats.cu: per-label region statistics (kernels.RegionSums on device).
#include "common.h"

// SegRegion is one label's sums, 80 bytes; DecodeRegions in ops_label.go
// reads this layout.
struct SegRegion {
  unsigned long long area;   // 0
  unsigned long long cz;     // 8: sum of z over the voxels
  unsigned long long cy;     // 16
  unsigned long long cx;     // 24
  double sum;                // 32: intensity sum
  unsigned lo[3];            // 40: Z, Y, X
  unsigned hi[3];            // 52: largest coordinate + 1
  float mn, mx;              // 64, 68: intensity min and max
  unsigned pad[2];           // 72
};

// SEG_STATS_RUN is the row segment one thread scans.
#define SEG_STATS_RUN 32

SEG_GLOBAL void seg_stats_init(SegRegion* r, long long n) {
  for (long long i = seg_grid_first(); i < n; i += seg_grid_stride()) {
    SegRegion* s = r + i;
    s->area = 0;
    s->cz = 0;
    s->cy = 0;
    s->cx = 0;
    s->sum = 0;
    for (int a = 0; a < 3; a++) {
      s->lo[a] = 0xffffffffu;
      s->hi[a] = 0;
    }
    s->mn = seg_int_as_float((int)SEG_POS_INF_BITS);
    s->mx = seg_int_as_float((int)SEG_NEG_INF_BITS);
    s->pad[0] = 0;
    s->pad[1] = 0;
  }
}
SEG_KERNEL_REGISTER(seg_stats_init)

// seg_stats_flush adds the run [x0, x1) of row (z, y), with its intensity
// sum, min and max, to region s.
SEG_DEVICE void seg_stats_flush(SegRegion* s, long long z, long long y,
                                long long x0, long long x1, double sum,
                                float mn, float mx, bool intensity) {
  unsigned long long n = (unsigned long long)(x1 - x0);
  seg_atomic_add_u64(&s->area, n);
  seg_atomic_add_u64(&s->cz, (unsigned long long)z * n);
  seg_atomic_add_u64(&s->cy, (unsigned long long)y * n);
  seg_atomic_add_u64(&s->cx, (unsigned long long)(x0 + x1 - 1) * n / 2);
  seg_atomic_min_u32(&s->lo[0], (unsigned)z);
  seg_atomic_min_u32(&s->lo[1], (unsigned)y);
  seg_atomic_min_u32(&s->lo[2], (unsigned)x0);
  seg_atomic_max_u32(&s->hi[0], (unsigned)(z + 1));
  seg_atomic_max_u32(&s->hi[1], (unsigned)(y + 1));
  seg_atomic_max_u32(&s->hi[2], (unsigned)x1);
  if (intensity) {
    seg_atomic_add_f64(&s->sum, sum);
    seg_atomic_min_f32(&s->mn, mn);
    seg_atomic_max_f32(&s->mx, mx);
  }
}

// seg_stats_accum measures the labels (1..nl; others ignored) of the
// Z x Y x X volume with the intensity volume (may be null): each thread
// walks SEG_STATS_RUN voxels of a row and adds each run of one label with
// one set of atomics.
SEG_GLOBAL void seg_stats_accum(SegRegion* r, const unsigned* labels,
                                const float* intensity, long long Z,
                                long long Y, long long X, long long nl) {
  bool hasI = intensity != 0;
  for (long long z = blockIdx.z; z < Z; z += gridDim.z) {
    for (long long y = blockIdx.y; y < Y; y += gridDim.y) {
      long long row = (z * Y + y) * X;
      for (long long xs = ((long long)blockIdx.x * blockDim.x + threadIdx.x) * SEG_STATS_RUN;
           xs < X; xs += (long long)gridDim.x * blockDim.x * SEG_STATS_RUN) {
        long long xe = xs + SEG_STATS_RUN < X ? xs + SEG_STATS_RUN : X;
        unsigned cur = 0;
        long long x0 = xs;
        double sum = 0;
        float mn = 0, mx = 0;
        for (long long x = xs; x < xe; x++) {
          unsigned l = labels[row + x];
          if (l != cur) {
            if (cur != 0 && cur <= nl)
              seg_stats_flush(r + (cur - 1), z, y, x0, x, sum, mn, mx, hasI);
            cur = l;
            x0 = x;
            sum = 0;
            if (hasI) {
              mn = intensity[row + x];
              mx = mn;
            }
          }
          if (hasI && l != 0) {
            float v = intensity[row + x];
            sum += (double)v;
            mn = seg_minf(mn, v);
            mx = seg_maxf(mx, v);
          }
        }
        if (cur != 0 && cur <= nl)
          seg_stats_flush(r + (cur - 1), z, y, x0, xe, sum, mn, mx, hasI);
      }
    }
  }
}
SEG_KERNEL_REGISTER(seg_stats_accum)
