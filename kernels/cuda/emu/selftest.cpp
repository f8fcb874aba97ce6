// Kernels that test the grid emulator itself (indices, barriers, shared
// memory, atomics), written against segemu.h directly so that they do not
// depend on the backend's kernels. The Go tests launch them through a small
// PTX text naming their entries.
#include "segemu.h"

#include <cstdint>

using namespace segemu;

namespace {

// iota: out[i] = i for every thread of a 2-D grid of 1-D blocks, i the
// thread's linear index; threads past n do nothing.
void iota(void** p) {
	auto* out = *static_cast<uint32_t**>(p[0]);
	int64_t n = *static_cast<int64_t*>(p[1]);
	int64_t block = int64_t(blockIdx_.y) * gridDim_.x + blockIdx_.x;
	int64_t i = block * (int64_t(blockDim_.x) * blockDim_.y * blockDim_.z) +
	            (int64_t(threadIdx_.z) * blockDim_.y + threadIdx_.y) * blockDim_.x + threadIdx_.x;
	if (i < n)
		out[i] = uint32_t(i);
}

// blocksum: each block reduces its part of in in shared memory, a tree of
// halving strides separated by barriers, and adds the block's sum to *out
// with an atomic; blocks also record the sums in sums[block]. The block
// size must be a power of two.
void blocksum(void** p) {
	auto* in = *static_cast<const uint32_t**>(p[0]);
	auto* out = *static_cast<unsigned long long**>(p[1]);
	auto* sums = *static_cast<uint32_t**>(p[2]);
	int64_t n = *static_cast<int64_t*>(p[3]);
	auto* s = static_cast<uint32_t*>(shared_alloc("blocksum.s", blockDim_.x * sizeof(uint32_t)));
	int64_t i = int64_t(blockIdx_.x) * blockDim_.x + threadIdx_.x;
	s[threadIdx_.x] = i < n ? in[i] : 0;
	syncthreads();
	for (unsigned stride = blockDim_.x / 2; stride > 0; stride /= 2) {
		if (threadIdx_.x < stride)
			s[threadIdx_.x] += s[threadIdx_.x + stride];
		syncthreads();
	}
	if (threadIdx_.x == 0) {
		sums[blockIdx_.x] = s[0];
		__atomic_fetch_add(out, s[0], __ATOMIC_RELAXED);
	}
}

// reverse: threads of odd index return at once; the even ones write their
// value to dynamic shared memory, meet at a barrier, and read back their
// mirror's value, so a barrier that waits for returned threads hangs and
// one that does not wait for the others reads zeros.
void reverse(void** p) {
	auto* in = *static_cast<const float**>(p[0]);
	auto* out = *static_cast<float**>(p[1]);
	unsigned t = threadIdx_.x;
	if (t % 2 == 1)
		return;
	auto* s = static_cast<float*>(dynamic_shared());
	int64_t base = int64_t(blockIdx_.x) * blockDim_.x;
	s[t / 2] = in[base + t];
	syncthreads();
	unsigned half = (blockDim_.x + 1) / 2;
	out[base + t] = s[half - 1 - t / 2];
}

// count: every thread adds one to *out; the total is the grid's size.
void count(void** p) {
	auto* out = *static_cast<uint32_t**>(p[0]);
	__atomic_fetch_add(out, 1u, __ATOMIC_RELAXED);
}

int r1 = register_kernel("segemu_test_iota", iota);
int r2 = register_kernel("segemu_test_blocksum", blocksum);
int r3 = register_kernel("segemu_test_reverse", reverse);
int r4 = register_kernel("segemu_test_count", count);

} // namespace

namespace {

// race: every thread increments *out without an atomic, a data race that
// the thread sanitizer build must report (the test of the sanitizer run
// itself).
void race(void** p) {
	auto* out = *static_cast<uint32_t**>(p[0]);
	*out = *out + 1;
}

int r5 = register_kernel("segemu_test_race", race);

} // namespace
