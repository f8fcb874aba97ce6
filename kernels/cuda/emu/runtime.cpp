// The grid emulator: runs a kernel compiled as C++ over a CUDA grid with one
// OS thread per CUDA thread of a block, the blocks one after another, a
// barrier for __syncthreads and per-block shared memory. Test
// infrastructure for the fake driver (driver.cpp); nothing shipped uses it.
#include "segemu.h"
#include "emu.h"

#include <pthread.h>

#include <atomic>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace segemu {

thread_local uint3_ threadIdx_, blockIdx_, blockDim_, gridDim_;

static std::map<std::string, launcher>& registry() {
	static std::map<std::string, launcher> r;
	return r;
}

int register_kernel(const char* name, launcher fn) {
	registry()[name] = fn;
	return 0;
}

launcher find_kernel(const char* name) {
	auto& r = registry();
	auto it = r.find(name);
	return it == r.end() ? nullptr : it->second;
}

namespace {

// The barrier's state in one word, so that exactly one thread sees a
// block's threads all arrived: the threads still in the kernel (high half)
// and those waiting at the barrier (low half).
constexpr unsigned long long kOne = 1ull << 32;

// pool is the set of worker threads, grown to the largest block launched
// and reused by later launches; one launch runs at a time. Workers wait on
// atomics (futexes), not on a shared mutex, so a block's start, its
// barriers and its end wake only the threads concerned.
struct pool {
	std::vector<pthread_t> threads;
	// Counts blocks started (high half) with the block's thread count (low
	// half), in one word so that a thread that wakes late cannot take part
	// in a later block it was not counted in; workers wait on it.
	std::atomic<unsigned long long> epoch{0};
	std::atomic<unsigned> running{0}; // threads of the block still in the kernel
	std::atomic<unsigned> done{0};    // counts blocks finished; the launcher waits on it
	std::atomic<bool> quit{false};

	// The block being run, written before epoch is raised.
	launcher fn = nullptr;
	void** params = nullptr;
	uint3_ grid{}, block{}, bidx{};

	std::atomic<unsigned long long> bar{0}; // expected << 32 | arrived
	std::atomic<unsigned> gen{0};            // counts barrier releases

	std::mutex shared_mu;
	std::map<std::string, std::vector<unsigned char>> shared;
	std::vector<unsigned char> dyn;
};

pool P;
std::mutex launch_mu; // one launch at a time

// release opens the barrier for the waiting threads.
void release() {
	P.gen.fetch_add(1, std::memory_order_acq_rel);
	P.gen.notify_all();
}

struct worker_arg {
	unsigned id;
};

void* worker(void* a) {
	unsigned id = static_cast<worker_arg*>(a)->id;
	delete static_cast<worker_arg*>(a);
	unsigned long long seen = 0;
	for (;;) {
		unsigned long long e;
		while ((e = P.epoch.load(std::memory_order_acquire)) == seen) {
			if (P.quit.load(std::memory_order_acquire))
				return nullptr;
			P.epoch.wait(seen, std::memory_order_acquire);
		}
		seen = e;
		if (P.quit.load(std::memory_order_acquire))
			return nullptr;
		if (id >= unsigned(e))
			continue; // not a thread of this block
		blockDim_ = P.block;
		gridDim_ = P.grid;
		blockIdx_ = P.bidx;
		threadIdx_.x = id % blockDim_.x;
		threadIdx_.y = id / blockDim_.x % blockDim_.y;
		threadIdx_.z = id / (blockDim_.x * blockDim_.y);
		P.fn(P.params);
		// A thread that returned no longer takes part in barriers.
		unsigned long long old = P.bar.fetch_sub(kOne, std::memory_order_acq_rel);
		unsigned long long now = old - kOne;
		unsigned arrived = unsigned(now), expected = unsigned(now >> 32);
		if (arrived > 0 && arrived == expected) {
			P.bar.store(now & ~0xffffffffull, std::memory_order_release);
			release();
		}
		if (P.running.fetch_sub(1, std::memory_order_acq_rel) == 1) {
			P.done.fetch_add(1, std::memory_order_release);
			P.done.notify_all();
		}
	}
}

// grow starts workers until there are n; called with launch_mu held.
int grow(unsigned n) {
	while (P.threads.size() < n) {
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, 1 << 20);
		pthread_t t;
		auto* a = new worker_arg{static_cast<unsigned>(P.threads.size())};
		int rc = pthread_create(&t, &attr, worker, a);
		pthread_attr_destroy(&attr);
		if (rc != 0) {
			delete a;
			return rc;
		}
		P.threads.push_back(t);
	}
	return 0;
}

} // namespace

void syncthreads() {
	unsigned g = P.gen.load(std::memory_order_acquire);
	unsigned long long now = P.bar.fetch_add(1, std::memory_order_acq_rel) + 1;
	if (unsigned(now) == unsigned(now >> 32)) {
		P.bar.store(now & ~0xffffffffull, std::memory_order_release);
		release();
		return;
	}
	while (P.gen.load(std::memory_order_acquire) == g)
		P.gen.wait(g, std::memory_order_acquire);
}

void* shared_alloc(const char* key, size_t bytes) {
	std::lock_guard<std::mutex> l(P.shared_mu);
	auto& v = P.shared[key];
	if (v.size() < bytes)
		v.resize(bytes); // zero-filled; the first thread of the block sizes it
	return v.data();
}

void* dynamic_shared() { return P.dyn.data(); }

int run_grid(launcher fn, void** params, uint3_ grid, uint3_ block, unsigned shared_bytes) {
	std::lock_guard<std::mutex> ll(launch_mu);
	unsigned n = block.x * block.y * block.z;
	if (int rc = grow(n))
		return rc;
	for (unsigned z = 0; z < grid.z; z++)
		for (unsigned y = 0; y < grid.y; y++)
			for (unsigned x = 0; x < grid.x; x++) {
				P.fn = fn;
				P.params = params;
				P.grid = grid;
				P.block = block;
				P.bidx = uint3_{x, y, z};
				P.running.store(n, std::memory_order_relaxed);
				P.bar.store(static_cast<unsigned long long>(n) << 32, std::memory_order_relaxed);
				P.shared.clear();
				P.dyn.assign(shared_bytes, 0);
				unsigned d = P.done.load(std::memory_order_acquire);
				unsigned long long e = P.epoch.load(std::memory_order_relaxed);
				P.epoch.store(((e >> 32) + 1) << 32 | n, std::memory_order_release);
				P.epoch.notify_all();
				while (P.done.load(std::memory_order_acquire) == d)
					P.done.wait(d, std::memory_order_acquire);
			}
	return 0;
}

// shutdown stops the workers; called when the library is unloaded.
__attribute__((destructor)) static void shutdown() {
	P.quit.store(true, std::memory_order_release);
	P.epoch.fetch_add(1ull << 32, std::memory_order_release);
	P.epoch.notify_all();
	for (pthread_t t : P.threads)
		pthread_join(t, nullptr);
	P.threads.clear();
}

} // namespace segemu
