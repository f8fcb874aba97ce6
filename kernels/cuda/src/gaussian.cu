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

// The fused Y and X passes: a block filters a tile of SEG_YX_TY rows by
// SEG_YX_TX columns of one plane, its input with a halo in shared memory,
// the Y pass into a second shared array (the tile's rows with the X halo),
// then the X pass into dst, so that the volume is read and written once
// for both passes. Every value is the one the separate passes make: halo
// columns outside the plane hold the Y pass of the column the mode maps
// them to (or cval), halo rows the input row the mode maps to (or cval).
// Radii up to SEG_YX_RMAX; wider kernels use the separate passes.
#define SEG_YX_TX 64
#define SEG_YX_TY 32
#define SEG_YX_RMAX 16
#define SEG_YX_IW (SEG_YX_TX + 2 * SEG_YX_RMAX)
#define SEG_YX_IH (SEG_YX_TY + 2 * SEG_YX_RMAX)

template <typename T>
SEG_DEVICE void seg_gauss_yx(float* __restrict__ dst, const T* __restrict__ src,
                             long long Z, long long Y, long long X,
                             const float* __restrict__ wy, int ry,
                             const float* __restrict__ wx, int rx, int mode,
                             float cval, float* maxOut) {
  SEG_SHARED(float, in, SEG_YX_IH * SEG_YX_IW);
  SEG_SHARED(float, mid, SEG_YX_TY * SEG_YX_IW);
  float m = seg_int_as_float((int)SEG_NEG_INF_BITS);
  const int iw = SEG_YX_TX + 2 * rx;  // used width of a row of in and mid
  const int ih = SEG_YX_TY + 2 * ry;
  const unsigned t = threadIdx.x, nt = blockDim.x;
  long long tilesX = (X + SEG_YX_TX - 1) / SEG_YX_TX;
  long long tilesY = (Y + SEG_YX_TY - 1) / SEG_YX_TY;
  for (long long z = blockIdx.z; z < Z; z += gridDim.z) {
    const T* plane = src + z * Y * X;
    for (long long ty = blockIdx.y; ty < tilesY; ty += gridDim.y) {
      long long y0 = ty * SEG_YX_TY;
      for (long long tx = blockIdx.x; tx < tilesX; tx += gridDim.x) {
        long long x0 = tx * SEG_YX_TX;
        for (int k = t; k < ih * iw; k += nt) {
          int py = k / iw, px = k % iw;
          long long xx = seg_map_index(x0 - rx + px, X, mode);
          long long yy = seg_map_index(y0 - ry + py, Y, mode);
          float v = cval;
          if (xx >= 0 && yy >= 0) v = seg_load_f32(plane + yy * X + xx);
          in[py * SEG_YX_IW + px] = v;
        }
        __syncthreads();
        for (int k = t; k < SEG_YX_TY * iw; k += nt) {
          int py = k / iw, px = k % iw;
          float acc = cval;
          if (seg_map_index(x0 - rx + px, X, mode) >= 0) {
            const float* c = in + (py + ry) * SEG_YX_IW + px;
            acc = wy[0] * c[0];
            for (int j = 1; j <= ry; j++) {
              acc = seg_fmaf(wy[j], c[-j * SEG_YX_IW] + c[j * SEG_YX_IW], acc);
            }
          }
          mid[py * SEG_YX_IW + px] = acc;
        }
        __syncthreads();
        for (int k = t; k < SEG_YX_TY * SEG_YX_TX; k += nt) {
          int py = k / SEG_YX_TX, px = k % SEG_YX_TX;
          long long y = y0 + py, x = x0 + px;
          if (y >= Y || x >= X) continue;
          const float* c = mid + py * SEG_YX_IW + px + rx;
          float acc = wx[0] * c[0];
          for (int j = 1; j <= rx; j++) {
            acc = seg_fmaf(wx[j], c[-j] + c[j], acc);
          }
          dst[(z * Y + y) * X + x] = acc;
          m = seg_maxf(m, acc);
        }
        __syncthreads();
      }
    }
  }
  if (maxOut) seg_block_max(m, maxOut);
}

#define SEG_GAUSS_YX(name, T)                                                 \
  SEG_GLOBAL void name(float* dst, const T* src, long long Z, long long Y,    \
                       long long X, const float* wy, int ry, const float* wx, \
                       int rx, int mode, float cval, float* maxOut) {         \
    seg_gauss_yx<T>(dst, src, Z, Y, X, wy, ry, wx, rx, mode, cval, maxOut);   \
  }                                                                           \
  SEG_KERNEL_REGISTER(name)

SEG_GAUSS_YX(seg_gauss_yx_f32, float)
SEG_GAUSS_YX(seg_gauss_yx_u8, unsigned char)
SEG_GAUSS_YX(seg_gauss_yx_u16, unsigned short)

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
