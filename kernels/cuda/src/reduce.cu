// reduce.cu: element-wise kernels and reductions: fill, the maximum of a
// box, threshold.
#include "common.h"

// seg_fill_u32 sets n 32-bit words of dst to v (the starting value of an
// atomic reduction, such as the bits of -Inf for a maximum).
SEG_GLOBAL void seg_fill_u32(unsigned* dst, long long n, unsigned v) {
  for (long long i = seg_grid_first(); i < n; i += seg_grid_stride()) dst[i] = v;
}
SEG_KERNEL_REGISTER(seg_fill_u32)

// seg_max_box raises *out to the maximum of the box [lo, lo+dim) of the
// Z x Y x X volume src (Z is not needed: the box lies inside). NaNs are not
// supported, as kernels.Max does not support them.
SEG_GLOBAL void seg_max_box(float* out, const float* src, long long Y,
                            long long X, long long z0, long long y0,
                            long long x0, long long dz, long long dy,
                            long long dx) {
  float m = seg_int_as_float((int)SEG_NEG_INF_BITS);
  for (long long z = blockIdx.z; z < dz; z += gridDim.z) {
    for (long long y = blockIdx.y; y < dy; y += gridDim.y) {
      const float* row = src + ((z0 + z) * Y + (y0 + y)) * X + x0;
      for (long long x = (long long)blockIdx.x * blockDim.x + threadIdx.x;
           x < dx; x += (long long)gridDim.x * blockDim.x) {
        m = seg_maxf(m, row[x]);
      }
    }
  }
  seg_block_max(m, out);
}
SEG_KERNEL_REGISTER(seg_max_box)

// seg_threshold sets dst[i] = src[i] > t for n elements.
SEG_GLOBAL void seg_threshold(unsigned char* dst, const float* src,
                              long long n, float t) {
  for (long long i = seg_grid_first(); i < n; i += seg_grid_stride()) {
    dst[i] = src[i] > t ? 1 : 0;
  }
}
SEG_KERNEL_REGISTER(seg_threshold)
