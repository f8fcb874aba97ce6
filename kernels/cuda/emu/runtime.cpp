// The grid emulator: runs a kernel compiled as C++ over a CUDA grid with one
// OS thread per CUDA thread of a block, the blocks one after another, a
// barrier for __syncthreads and per-block shared memory. Test
// infrastructure for the fake driver (driver.cpp); nothing shipped uses it.
#include "segemu.h"
#include "emu.h"

#include <pthread.h>

#include <condition_variable>
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

// pool is the set of worker threads, grown to the largest block launched
// and reused by later launches. One launch runs at a time.
struct pool {
	std::mutex m;
	std::condition_variable start, done, bar;
	std::vector<pthread_t> threads;
	unsigned long long epoch = 0; // counts blocks started

	// The block being run.
	launcher fn = nullptr;
	void** params = nullptr;
	uint3_ grid{}, block{}, bidx{};
	unsigned nthreads = 0, running = 0;
	bool quit = false;

	// The block's barrier: threads still in the kernel, threads waiting.
	unsigned expected = 0, arrived = 0;
	unsigned long long gen = 0;

	std::map<std::string, std::vector<unsigned char>> shared;
	std::vector<unsigned char> dyn;
};

pool P;
std::mutex launch_mu; // one launch at a time

struct worker_arg {
	unsigned id;
};

void* worker(void* a) {
	unsigned id = static_cast<worker_arg*>(a)->id;
	delete static_cast<worker_arg*>(a);
	unsigned long long seen = 0;
	for (;;) {
		launcher fn;
		void** params;
		{
			std::unique_lock<std::mutex> l(P.m);
			P.start.wait(l, [&] { return P.quit || (P.epoch != seen && id < P.nthreads); });
			if (P.quit)
				return nullptr;
			seen = P.epoch;
			fn = P.fn;
			params = P.params;
			blockDim_ = P.block;
			gridDim_ = P.grid;
			blockIdx_ = P.bidx;
		}
		threadIdx_.x = id % blockDim_.x;
		threadIdx_.y = id / blockDim_.x % blockDim_.y;
		threadIdx_.z = id / (blockDim_.x * blockDim_.y);
		fn(params);
		{
			std::lock_guard<std::mutex> l(P.m);
			// A thread that returned no longer takes part in barriers.
			P.expected--;
			if (P.arrived > 0 && P.arrived == P.expected) {
				P.arrived = 0;
				P.gen++;
				P.bar.notify_all();
			}
			if (--P.running == 0)
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
		int rc;
		{
			std::lock_guard<std::mutex> l(P.m);
			rc = pthread_create(&t, &attr, worker, a);
			if (rc == 0)
				P.threads.push_back(t);
		}
		pthread_attr_destroy(&attr);
		if (rc != 0) {
			delete a;
			return rc;
		}
	}
	return 0;
}

} // namespace

void syncthreads() {
	std::unique_lock<std::mutex> l(P.m);
	if (++P.arrived == P.expected) {
		P.arrived = 0;
		P.gen++;
		P.bar.notify_all();
		return;
	}
	unsigned long long g = P.gen;
	P.bar.wait(l, [&] { return P.gen != g; });
}

void* shared_alloc(const char* key, size_t bytes) {
	std::lock_guard<std::mutex> l(P.m);
	auto& v = P.shared[key];
	if (v.size() < bytes)
		v.resize(bytes); // zero-filled; the first thread of the block sizes it
	return v.data();
}

void* dynamic_shared() {
	std::lock_guard<std::mutex> l(P.m);
	return P.dyn.data();
}

int run_grid(launcher fn, void** params, uint3_ grid, uint3_ block, unsigned shared_bytes) {
	std::lock_guard<std::mutex> ll(launch_mu);
	unsigned n = block.x * block.y * block.z;
	if (int rc = grow(n))
		return rc;
	for (unsigned z = 0; z < grid.z; z++)
		for (unsigned y = 0; y < grid.y; y++)
			for (unsigned x = 0; x < grid.x; x++) {
				std::unique_lock<std::mutex> l(P.m);
				P.fn = fn;
				P.params = params;
				P.grid = grid;
				P.block = block;
				P.bidx = uint3_{x, y, z};
				P.nthreads = n;
				P.running = n;
				P.expected = n;
				P.arrived = 0;
				P.shared.clear();
				P.dyn.assign(shared_bytes, 0);
				P.epoch++;
				P.start.notify_all();
				P.done.wait(l, [&] { return P.running == 0; });
			}
	return 0;
}

// shutdown stops the workers; called when the library is unloaded.
__attribute__((destructor)) static void shutdown() {
	{
		std::lock_guard<std::mutex> l(P.m);
		P.quit = true;
		P.start.notify_all();
	}
	for (pthread_t t : P.threads)
		pthread_join(t, nullptr);
	P.threads.clear();
}

} // namespace segemu
