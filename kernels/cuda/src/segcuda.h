// segcuda.h: the few CUDA language pieces segstack's kernels use, written
// for two compilers so that the same .cu files run on a GPU and on the
// test grid emulator.
//
//   - clang CUDA device compile (clang -x cuda --cuda-device-only -nocudainc
//     -nocudalib): qualifiers as attributes, the thread index variables
//     read from the PTX special registers, barriers and atomics through
//     clang's NVPTX builtins. No NVIDIA header is needed.
//   - emulation (g++ -std=c++17 -DSEGSTACK_EMU -ffp-contract=off -x c++): the kernels become plain
//     C++ functions run by the emulator, one host thread per CUDA thread of
//     a block. Index variables are the emulator's thread-locals, the
//     barrier is the block's, shared arrays are allocated per block, and
//     atomics are GCC's __atomic builtins. SEG_KERNEL_REGISTER records each
//     kernel with a launcher that unpacks the driver's kernelParams array
//     (void**, one pointer per argument) into the kernel's argument types.
//
// Kernel code uses: SEG_GLOBAL (an extern "C" kernel, so that the PTX
// .entry name is the C name), SEG_DEVICE (a device helper), threadIdx,
// blockIdx, blockDim, gridDim, __syncthreads(), SEG_SHARED(type, name, n),
// the seg_atomic_* and seg_load/seg_store helpers, seg_fmaf, and
// SEG_KERNEL_REGISTER(name) after each kernel.
//
// Rules that keep the two sides equal: every floating-point operation is
// written out (contraction is off on both sides, -ffp-contract=off), fused
// multiply-adds only through seg_fmaf; memory that other threads write
// concurrently is read with seg_load (volatile on the device, a relaxed
// atomic in the emulator, so that the thread sanitizer sees it).
#ifndef SEGSTACK_SEGCUDA_H
#define SEGSTACK_SEGCUDA_H

#if defined(SEGSTACK_EMU)

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

namespace segemu {
struct uint3_ {
  unsigned x, y, z;
};
extern thread_local uint3_ threadIdx_, blockIdx_;
extern thread_local uint3_ blockDim_, gridDim_;
void syncthreads();
void* shared_alloc(const char* key, size_t bytes);
typedef void (*launcher)(void** params);
int register_kernel(const char* name, launcher fn);

// kernel_launcher<F>::call<fn> unpacks params[i] as a pointer to the i-th
// argument of fn and calls fn, as cuLaunchKernel does on a device.
template <typename F>
struct kernel_launcher;
template <typename... A>
struct kernel_launcher<void (*)(A...)> {
  template <void (*fn)(A...), size_t... I>
  static void call_seq(void** params, std::index_sequence<I...>) {
    fn(*static_cast<typename std::remove_reference<A>::type*>(params[I])...);
  }
  template <void (*fn)(A...)>
  static void call(void** params) {
    call_seq<fn>(params, std::index_sequence_for<A...>{});
  }
};
}  // namespace segemu

#define SEG_GLOBAL extern "C"
#define SEG_DEVICE static inline
#define threadIdx (segemu::threadIdx_)
#define blockIdx (segemu::blockIdx_)
#define blockDim (segemu::blockDim_)
#define gridDim (segemu::gridDim_)
#define __syncthreads() segemu::syncthreads()

#define SEG_STR2_(x) #x
#define SEG_STR_(x) SEG_STR2_(x)
// SEG_SHARED declares a block-shared array of n elements of type T.
#define SEG_SHARED(T, name, n)                                                \
  T* name = static_cast<T*>(segemu::shared_alloc(                             \
      __FILE__ ":" SEG_STR_(__LINE__) ":" #name, sizeof(T) * (size_t)(n)))

#define SEG_KERNEL_REGISTER(name)                                             \
  static const int seg_registered_##name = segemu::register_kernel(           \
      #name, &segemu::kernel_launcher<decltype(&name)>::template call<&name>);

static inline float seg_fmaf(float a, float b, float c) {
  return __builtin_fmaf(a, b, c);
}

template <typename T>
static inline T seg_load(const T* p) {
  return __atomic_load_n(p, __ATOMIC_RELAXED);
}
template <typename T>
static inline void seg_store(T* p, T v) {
  __atomic_store_n(p, v, __ATOMIC_RELAXED);
}
// The atomics return the old value, as CUDA's atomicAdd etc. do.
static inline unsigned seg_atomic_add_u32(unsigned* p, unsigned v) {
  return __atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}
static inline unsigned long long seg_atomic_add_u64(unsigned long long* p,
                                                    unsigned long long v) {
  return __atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}
static inline unsigned seg_atomic_cas_u32(unsigned* p, unsigned cmp,
                                          unsigned v) {
  __atomic_compare_exchange_n(p, &cmp, v, false, __ATOMIC_RELAXED,
                              __ATOMIC_RELAXED);
  return cmp;
}
static inline unsigned long long seg_atomic_cas_u64(unsigned long long* p,
                                                    unsigned long long cmp,
                                                    unsigned long long v) {
  __atomic_compare_exchange_n(p, &cmp, v, false, __ATOMIC_RELAXED,
                              __ATOMIC_RELAXED);
  return cmp;
}
template <typename T>
static inline T seg_atomic_min_(T* p, T v) {
  T old = __atomic_load_n(p, __ATOMIC_RELAXED);
  while (v < old && !__atomic_compare_exchange_n(p, &old, v, true,
                                                 __ATOMIC_RELAXED,
                                                 __ATOMIC_RELAXED)) {
  }
  return old;
}
template <typename T>
static inline T seg_atomic_max_(T* p, T v) {
  T old = __atomic_load_n(p, __ATOMIC_RELAXED);
  while (v > old && !__atomic_compare_exchange_n(p, &old, v, true,
                                                 __ATOMIC_RELAXED,
                                                 __ATOMIC_RELAXED)) {
  }
  return old;
}
static inline unsigned seg_atomic_min_u32(unsigned* p, unsigned v) {
  return seg_atomic_min_(p, v);
}
static inline unsigned seg_atomic_max_u32(unsigned* p, unsigned v) {
  return seg_atomic_max_(p, v);
}
static inline int seg_atomic_max_i32(int* p, int v) {
  return seg_atomic_max_(p, v);
}
static inline int seg_atomic_min_i32(int* p, int v) {
  return seg_atomic_min_(p, v);
}
static inline double seg_atomic_add_f64(double* p, double v) {
  unsigned long long* q = reinterpret_cast<unsigned long long*>(p);
  unsigned long long old = __atomic_load_n(q, __ATOMIC_RELAXED);
  for (;;) {
    double o, n;
    __builtin_memcpy(&o, &old, 8);
    n = o + v;
    unsigned long long nb;
    __builtin_memcpy(&nb, &n, 8);
    if (__atomic_compare_exchange_n(q, &old, nb, true, __ATOMIC_RELAXED,
                                    __ATOMIC_RELAXED)) {
      return o;
    }
  }
}
static inline unsigned long long seg_atomic_min_u64(unsigned long long* p,
                                                    unsigned long long v) {
  return seg_atomic_min_(p, v);
}
static inline unsigned long long seg_atomic_max_u64(unsigned long long* p,
                                                    unsigned long long v) {
  return seg_atomic_max_(p, v);
}
static inline int seg_float_as_int(float f) {
  int i;
  __builtin_memcpy(&i, &f, 4);
  return i;
}
static inline float seg_int_as_float(int i) {
  float f;
  __builtin_memcpy(&f, &i, 4);
  return f;
}

#elif defined(__CUDA__)

#define SEG_GLOBAL extern "C" __attribute__((global))
#define SEG_DEVICE static __attribute__((device)) __attribute__((always_inline)) inline

// The index variables, as properties read from the special registers (the
// way clang's own __clang_cuda_builtin_vars.h declares them).
#define SEG_BUILTIN_FIELD_(FIELD, INTR)                                      \
  __declspec(property(get = seg_get_##FIELD)) unsigned int FIELD;           \
  static inline __attribute__((always_inline)) __attribute__((device))      \
  unsigned int seg_get_##FIELD(void) {                                      \
    return INTR;                                                            \
  }
struct seg_threadIdx_t {
  SEG_BUILTIN_FIELD_(x, __nvvm_read_ptx_sreg_tid_x())
  SEG_BUILTIN_FIELD_(y, __nvvm_read_ptx_sreg_tid_y())
  SEG_BUILTIN_FIELD_(z, __nvvm_read_ptx_sreg_tid_z())
};
struct seg_blockIdx_t {
  SEG_BUILTIN_FIELD_(x, __nvvm_read_ptx_sreg_ctaid_x())
  SEG_BUILTIN_FIELD_(y, __nvvm_read_ptx_sreg_ctaid_y())
  SEG_BUILTIN_FIELD_(z, __nvvm_read_ptx_sreg_ctaid_z())
};
struct seg_blockDim_t {
  SEG_BUILTIN_FIELD_(x, __nvvm_read_ptx_sreg_ntid_x())
  SEG_BUILTIN_FIELD_(y, __nvvm_read_ptx_sreg_ntid_y())
  SEG_BUILTIN_FIELD_(z, __nvvm_read_ptx_sreg_ntid_z())
};
struct seg_gridDim_t {
  SEG_BUILTIN_FIELD_(x, __nvvm_read_ptx_sreg_nctaid_x())
  SEG_BUILTIN_FIELD_(y, __nvvm_read_ptx_sreg_nctaid_y())
  SEG_BUILTIN_FIELD_(z, __nvvm_read_ptx_sreg_nctaid_z())
};
#undef SEG_BUILTIN_FIELD_
extern const __attribute__((device)) seg_threadIdx_t threadIdx;
extern const __attribute__((device)) seg_blockIdx_t blockIdx;
extern const __attribute__((device)) seg_blockDim_t blockDim;
extern const __attribute__((device)) seg_gridDim_t gridDim;

#define __syncthreads() __nvvm_bar_sync(0)

// SEG_SHARED declares a block-shared array of n elements of type T (n a
// constant expression).
#define SEG_SHARED(T, name, n) __attribute__((shared)) T name[n]

#define SEG_KERNEL_REGISTER(name)

SEG_DEVICE float seg_fmaf(float a, float b, float c) {
  return __builtin_fmaf(a, b, c);
}

template <typename T>
SEG_DEVICE T seg_load(const T* p) {
  return *(const volatile T*)p;
}
template <typename T>
SEG_DEVICE void seg_store(T* p, T v) {
  *(volatile T*)p = v;
}
SEG_DEVICE unsigned seg_atomic_add_u32(unsigned* p, unsigned v) {
  return (unsigned)__nvvm_atom_add_gen_i((int*)p, (int)v);
}
SEG_DEVICE unsigned long long seg_atomic_add_u64(unsigned long long* p,
                                                 unsigned long long v) {
  return (unsigned long long)__nvvm_atom_add_gen_ll((long long*)p,
                                                    (long long)v);
}
SEG_DEVICE unsigned seg_atomic_cas_u32(unsigned* p, unsigned cmp, unsigned v) {
  return (unsigned)__nvvm_atom_cas_gen_i((int*)p, (int)cmp, (int)v);
}
SEG_DEVICE unsigned long long seg_atomic_cas_u64(unsigned long long* p,
                                                 unsigned long long cmp,
                                                 unsigned long long v) {
  return (unsigned long long)__nvvm_atom_cas_gen_ll(
      (long long*)p, (long long)cmp, (long long)v);
}
SEG_DEVICE unsigned seg_atomic_min_u32(unsigned* p, unsigned v) {
  return __nvvm_atom_min_gen_ui(p, v);
}
SEG_DEVICE unsigned seg_atomic_max_u32(unsigned* p, unsigned v) {
  return __nvvm_atom_max_gen_ui(p, v);
}
SEG_DEVICE int seg_atomic_max_i32(int* p, int v) {
  return __nvvm_atom_max_gen_i(p, v);
}
SEG_DEVICE int seg_atomic_min_i32(int* p, int v) {
  return __nvvm_atom_min_gen_i(p, v);
}
SEG_DEVICE double seg_atomic_add_f64(double* p, double v) {
  return __nvvm_atom_add_gen_d(p, v);
}
SEG_DEVICE unsigned long long seg_atomic_min_u64(unsigned long long* p,
                                                 unsigned long long v) {
  return __nvvm_atom_min_gen_ull(p, v);
}
SEG_DEVICE unsigned long long seg_atomic_max_u64(unsigned long long* p,
                                                 unsigned long long v) {
  return __nvvm_atom_max_gen_ull(p, v);
}
SEG_DEVICE int seg_float_as_int(float f) { return __builtin_bit_cast(int, f); }
SEG_DEVICE float seg_int_as_float(int i) { return __builtin_bit_cast(float, i); }

#else
#error "segcuda.h: compile as CUDA (clang -x cuda) or with -DSEGSTACK_EMU"
#endif

// seg_atomic_max_f32 raises *p to v, for any non-NaN v, *p holding a
// float's bits: non-negative floats order as signed integers, negative
// ones in reverse as unsigned integers, and a non-negative float is above
// every negative one either way. Start *p at the bits of -Inf.
SEG_DEVICE void seg_atomic_max_f32(float* p, float v) {
  int b = seg_float_as_int(v);
  if (b >= 0) {
    seg_atomic_max_i32((int*)p, b);
  } else {
    seg_atomic_min_u32((unsigned*)p, (unsigned)b);
  }
}

// seg_atomic_min_f32 lowers *p to v, the mirror of seg_atomic_max_f32.
// Start *p at the bits of +Inf.
SEG_DEVICE void seg_atomic_min_f32(float* p, float v) {
  int b = seg_float_as_int(v);
  if (b >= 0) {
    seg_atomic_min_i32((int*)p, b);
  } else {
    seg_atomic_max_u32((unsigned*)p, (unsigned)b);
  }
}

#endif  // SEGSTACK_SEGCUDA_H
