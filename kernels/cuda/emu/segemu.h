// The grid emulator's runtime, used by kernels compiled as C++ for the fake
// driver (test infrastructure only; nothing shipped depends on it). The
// kernels' header maps CUDA's builtin variables, __syncthreads, shared
// memory and kernel registration onto these.
#ifndef SEGSTACK_SEGEMU_H
#define SEGSTACK_SEGEMU_H

#include <cstddef>

namespace segemu {
struct uint3_ {
	unsigned x, y, z;
};
extern thread_local uint3_ threadIdx_, blockIdx_;
extern thread_local uint3_ blockDim_, gridDim_;
// syncthreads waits until every thread of the current block that has not
// returned from the kernel reaches it.
void syncthreads();
// shared_alloc returns the current block's array named key, the same for
// every thread of the block, zero-filled when the block starts.
void* shared_alloc(const char* key, size_t bytes);
// dynamic_shared returns the current block's dynamic shared memory (the
// launch's sharedBytes).
void* dynamic_shared();
typedef void (*launcher)(void** params);
// register_kernel makes fn the kernel that a module's .entry name runs.
int register_kernel(const char* name, launcher fn);
} // namespace segemu

#endif
