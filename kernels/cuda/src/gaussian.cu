// gaussian.cu: the separable Gaussian filter, one axis per launch, with
// the arithmetic of the CPU backend's pure-Go path so that results are
// bit-identical: each output starts as w[0]*centre and adds the folded
// symmetric taps with one fused multiply-add each, k = 1..r in order,
//   acc = fmaf(w[k], x[c-k] + x[c+k], acc),
// rounded to float32 after every pass. The first pass converts its 8- or
// 16-bit input to float32 as it reads it (exact), and the last pass
// reduces the maximum of what it writes (when maxOut is not null).
//
// The grid: x over the X axis (blocks of SEG_THREADS), y over rows, z over
// planes, each a grid-stride loop, so any volume fits and every index is
// 64-bit.
#include "common.h"

SEG_DEVICE float seg_load_f32(const float* p) { return *p; }
SEG_DEVICE float seg_load_f32(const unsigned char* p) { return (float)*p; }
SEG_DEVICE float seg_load_f32(const unsigned short* p) { return (float)*p; }

// seg_gauss_pass filters along axis (0 Z, 1 Y, 2 X) of the Z x Y x X
// volume src into dst with the r+1 weights w (offsets 0..r).
template <typename T>
SEG_DEVICE void seg_gauss_pass(float* __restrict__ dst,
                               const T* __restrict__ src, long long Z,
                               long long Y, long long X, int axis,
                               const float* __restrict__ w, int r, int mode,
                               float cval, float* maxOut) {
  long long len = axis == 0 ? Z : (axis == 1 ? Y : X);
  long long stride = axis == 0 ? X * Y : (axis == 1 ? X : 1);
  float m = seg_int_as_float((int)SEG_NEG_INF_BITS);
  float w0 = w[0];
  for (long long z = blockIdx.z; z < Z; z += gridDim.z) {
    for (long long y = blockIdx.y; y < Y; y += gridDim.y) {
      long long row = (z * Y + y) * X;
      for (long long x = (long long)blockIdx.x * blockDim.x + threadIdx.x;
           x < X; x += (long long)gridDim.x * blockDim.x) {
        long long i = row + x;
        long long c = axis == 0 ? z : (axis == 1 ? y : x);
        const T* p = src + i;
        float acc = w0 * seg_load_f32(p);
        if (c >= r && c + r < len) {
          for (int k = 1; k <= r; k++) {
            long long d = (long long)k * stride;
            float a = seg_load_f32(p - d) + seg_load_f32(p + d);
            acc = seg_fmaf(w[k], a, acc);
          }
        } else {
          const T* line = p - c * stride;
          for (int k = 1; k <= r; k++) {
            long long jl = seg_map_index(c - k, len, mode);
            long long jr = seg_map_index(c + k, len, mode);
            float vl = jl < 0 ? cval : seg_load_f32(line + jl * stride);
            float vr = jr < 0 ? cval : seg_load_f32(line + jr * stride);
            acc = seg_fmaf(w[k], vl + vr, acc);
          }
        }
        dst[i] = acc;
        m = seg_maxf(m, acc);
      }
    }
  }
  if (maxOut) seg_block_max(m, maxOut);
}

#define SEG_GAUSS_PASS(name, T)                                               \
  SEG_GLOBAL void name(float* dst, const T* src, long long Z, long long Y,    \
                       long long X, int axis, const float* w, int r,          \
                       int mode, float cval, float* maxOut) {                 \
    seg_gauss_pass<T>(dst, src, Z, Y, X, axis, w, r, mode, cval, maxOut);     \
  }                                                                           \
  SEG_KERNEL_REGISTER(name)

SEG_GAUSS_PASS(seg_gauss_pass_f32, float)
SEG_GAUSS_PASS(seg_gauss_pass_u8, unsigned char)
SEG_GAUSS_PASS(seg_gauss_pass_u16, unsigned short)

// seg_convert converts n elements of src to float32 into dst and raises
// *maxOut (when not null) to their maximum: the Gaussian when no axis is
// filtered.
template <typename T>
SEG_DEVICE void seg_convert(float* __restrict__ dst, const T* __restrict__ src,
                            long long n, float* maxOut) {
  float m = seg_int_as_float((int)SEG_NEG_INF_BITS);
  for (long long i = seg_grid_first(); i < n; i += seg_grid_stride()) {
    float v = seg_load_f32(src + i);
    dst[i] = v;
    m = seg_maxf(m, v);
  }
  if (maxOut) seg_block_max(m, maxOut);
}

#define SEG_CONVERT(name, T)                                                  \
  SEG_GLOBAL void name(float* dst, const T* src, long long n,                 \
                       float* maxOut) {                                       \
    seg_convert<T>(dst, src, n, maxOut);                                      \
  }                                                                           \
  SEG_KERNEL_REGISTER(name)

SEG_CONVERT(seg_convert_f32, float)
SEG_CONVERT(seg_convert_u8, unsigned char)
SEG_CONVERT(seg_convert_u16, unsigned short)
