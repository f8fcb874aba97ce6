// A fake libcuda.so.1: the CUDA driver API entry points segstack's cuda
// backend binds, implemented on the host so the backend and its kernels are
// tested without a GPU. Device memory is host memory, so kernels compiled as
// C++ (see segemu.h) dereference device pointers directly; streams run
// their work when it is enqueued, which keeps each stream in order; a
// launch runs the kernel registered under the module's .entry name on the
// grid emulator (runtime.cpp). Several devices, their memory and injected
// failures are set by environment variables at load time or by segemuSet:
//
//	SEGSTACK_FAKECUDA_DEVICES   number of devices (default 1)
//	SEGSTACK_FAKECUDA_MEMORY    bytes of memory per device (default 256 MiB)
//	SEGSTACK_FAKECUDA_FAIL      "launch:N" (the Nth launch from now fails,
//	                            reported by the stream's next synchronize),
//	                            "launch-name:ENTRY" (every launch of ENTRY
//	                            fails), "alloc:N" (the Nth cuMemAlloc from
//	                            now is out of memory), "" (none)
//
// Test infrastructure only: nothing shipped depends on it.
#include "emu.h"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;

enum {
	OK = 0,
	ERR_INVALID_VALUE = 1,
	ERR_OUT_OF_MEMORY = 2,
	ERR_NOT_INITIALIZED = 3,
	ERR_NO_DEVICE = 100,
	ERR_INVALID_DEVICE = 101,
	ERR_INVALID_CONTEXT = 201,
	ERR_INVALID_PTX = 218,
	ERR_INVALID_HANDLE = 400,
	ERR_NOT_FOUND = 500,
	ERR_LAUNCH_OUT_OF_RESOURCES = 701,
	ERR_LAUNCH_FAILED = 719,
};

namespace {

struct context;

struct stream {
	context* ctx;
	CUresult err = OK; // a failure of enqueued work, reported by synchronize
};

struct event {
	std::chrono::steady_clock::time_point t;
	bool recorded = false;
};

struct module {
	context* ctx;
	std::vector<std::string> entries;
};

struct function {
	module* mod;
	std::string name;
	segemu::launcher fn;
};

struct context {
	int dev;
	int refs = 0;
	size_t used = 0;
	std::map<uintptr_t, size_t> allocs; // device memory: address -> size
	std::set<stream*> streams;
	std::set<module*> modules;
	stream null_stream{this};
};

std::recursive_mutex mu; // guards everything below
bool initialised = false;
int ndevices = 1;
size_t memory = 256u << 20;
std::vector<context*> contexts;
std::set<void*> pinned;
std::set<event*> events;
std::set<function*> functions;

// Injected failures.
long fail_launch = 0;     // the Nth launch from now fails; 0: none
long fail_alloc = 0;      // the Nth alloc from now is out of memory
std::string fail_name;    // every launch of this entry fails

thread_local context* current = nullptr;

void set_fail(const char* v) {
	fail_launch = fail_alloc = 0;
	fail_name.clear();
	if (!v || !*v)
		return;
	std::string s(v);
	if (s.rfind("launch:", 0) == 0)
		fail_launch = atol(s.c_str() + 7);
	else if (s.rfind("alloc:", 0) == 0)
		fail_alloc = atol(s.c_str() + 6);
	else if (s.rfind("launch-name:", 0) == 0)
		fail_name = s.substr(12);
}

bool configured = false;

// configure_once reads the environment, before anything segemuSet set.
void configure_once() {
	if (configured)
		return;
	configured = true;
	if (const char* v = getenv("SEGSTACK_FAKECUDA_DEVICES"))
		ndevices = atoi(v);
	if (const char* v = getenv("SEGSTACK_FAKECUDA_MEMORY"))
		memory = strtoull(v, nullptr, 10);
	set_fail(getenv("SEGSTACK_FAKECUDA_FAIL"));
}

// stream_of resolves a stream handle of the current context (0: its null
// stream).
stream* stream_of(void* h) {
	if (!current)
		return nullptr;
	if (!h)
		return &current->null_stream;
	auto* s = static_cast<stream*>(h);
	return current->streams.count(s) ? s : nullptr;
}

// device_range reports whether [p, p+n) lies in one allocation of the
// current context.
bool device_range(CUdeviceptr p, size_t n) {
	auto& a = current->allocs;
	auto it = a.upper_bound(static_cast<uintptr_t>(p));
	if (it == a.begin())
		return false;
	--it;
	return p >= it->first && p + n <= it->first + it->second;
}

// ctx_check is the common prologue: initialised, a current context, and
// for calls taking a stream, the stream.
#define NEED_CTX()                                                                                                     \
	std::lock_guard<std::recursive_mutex> lock(mu);                                                                \
	if (!initialised)                                                                                              \
		return ERR_NOT_INITIALIZED;                                                                            \
	if (!current)                                                                                                  \
		return ERR_INVALID_CONTEXT

const char* error_name(CUresult r) {
	switch (r) {
	case OK: return "CUDA_SUCCESS";
	case ERR_INVALID_VALUE: return "CUDA_ERROR_INVALID_VALUE";
	case ERR_OUT_OF_MEMORY: return "CUDA_ERROR_OUT_OF_MEMORY";
	case ERR_NOT_INITIALIZED: return "CUDA_ERROR_NOT_INITIALIZED";
	case ERR_NO_DEVICE: return "CUDA_ERROR_NO_DEVICE";
	case ERR_INVALID_DEVICE: return "CUDA_ERROR_INVALID_DEVICE";
	case ERR_INVALID_CONTEXT: return "CUDA_ERROR_INVALID_CONTEXT";
	case ERR_INVALID_PTX: return "CUDA_ERROR_INVALID_PTX";
	case ERR_INVALID_HANDLE: return "CUDA_ERROR_INVALID_HANDLE";
	case ERR_NOT_FOUND: return "CUDA_ERROR_NOT_FOUND";
	case ERR_LAUNCH_OUT_OF_RESOURCES: return "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES";
	case ERR_LAUNCH_FAILED: return "CUDA_ERROR_LAUNCH_FAILED";
	}
	return nullptr;
}

const char* error_string(CUresult r) {
	switch (r) {
	case OK: return "no error";
	case ERR_INVALID_VALUE: return "invalid argument";
	case ERR_OUT_OF_MEMORY: return "out of memory";
	case ERR_NOT_INITIALIZED: return "initialization error";
	case ERR_NO_DEVICE: return "no CUDA-capable device is detected";
	case ERR_INVALID_DEVICE: return "invalid device ordinal";
	case ERR_INVALID_CONTEXT: return "invalid device context";
	case ERR_INVALID_PTX: return "a PTX JIT compilation failed";
	case ERR_INVALID_HANDLE: return "invalid resource handle";
	case ERR_NOT_FOUND: return "named symbol not found";
	case ERR_LAUNCH_OUT_OF_RESOURCES: return "too many resources requested for launch";
	case ERR_LAUNCH_FAILED: return "unspecified launch failure";
	}
	return nullptr;
}

// ptx_entries returns the .entry names of a PTX text.
std::vector<std::string> ptx_entries(const char* ptx) {
	std::vector<std::string> out;
	const char* p = ptx;
	while ((p = strstr(p, ".entry")) != nullptr) {
		p += 6;
		if (*p != ' ' && *p != '\t')
			continue;
		while (*p == ' ' || *p == '\t')
			p++;
		const char* e = p;
		while (*e && *e != '(' && *e != ' ' && *e != '\t' && *e != '\n')
			e++;
		if (e > p)
			out.emplace_back(p, e);
		p = e;
	}
	return out;
}

} // namespace

extern "C" {

int segemuSet(const char* key, const char* value) {
	std::lock_guard<std::recursive_mutex> lock(mu);
	configure_once();
	std::string k(key ? key : "");
	if (k == "fail")
		set_fail(value);
	else if (k == "memory")
		memory = strtoull(value, nullptr, 10);
	else if (k == "devices" && !initialised)
		ndevices = atoi(value);
	else
		return ERR_INVALID_VALUE;
	return OK;
}

CUresult cuInit(unsigned flags) {
	std::lock_guard<std::recursive_mutex> lock(mu);
	if (flags != 0)
		return ERR_INVALID_VALUE;
	if (!initialised) {
		configure_once();
		for (int i = 0; i < ndevices; i++) {
			contexts.push_back(new context());
			contexts.back()->dev = i;
		}
		initialised = true;
	}
	return ndevices > 0 ? OK : ERR_NO_DEVICE;
}

CUresult cuDriverGetVersion(int* v) {
	if (!v)
		return ERR_INVALID_VALUE;
	*v = 13000;
	return OK;
}

CUresult cuDeviceGetCount(int* n) {
	std::lock_guard<std::recursive_mutex> lock(mu);
	if (!initialised)
		return ERR_NOT_INITIALIZED;
	if (!n)
		return ERR_INVALID_VALUE;
	*n = ndevices;
	return OK;
}

CUresult cuDeviceGet(CUdevice* d, int ordinal) {
	std::lock_guard<std::recursive_mutex> lock(mu);
	if (!initialised)
		return ERR_NOT_INITIALIZED;
	if (!d)
		return ERR_INVALID_VALUE;
	if (ordinal < 0 || ordinal >= ndevices)
		return ERR_INVALID_DEVICE;
	*d = ordinal;
	return OK;
}

CUresult cuDeviceGetName(char* name, int len, CUdevice d) {
	std::lock_guard<std::recursive_mutex> lock(mu);
	if (!initialised)
		return ERR_NOT_INITIALIZED;
	if (d < 0 || d >= ndevices)
		return ERR_INVALID_DEVICE;
	if (!name || len <= 0)
		return ERR_INVALID_VALUE;
	snprintf(name, len, "segstack emulated device %d", d);
	return OK;
}

CUresult cuDeviceTotalMem_v2(size_t* bytes, CUdevice d) {
	std::lock_guard<std::recursive_mutex> lock(mu);
	if (!initialised)
		return ERR_NOT_INITIALIZED;
	if (d < 0 || d >= ndevices)
		return ERR_INVALID_DEVICE;
	if (!bytes)
		return ERR_INVALID_VALUE;
	*bytes = memory;
	return OK;
}

CUresult cuDeviceGetAttribute(int* v, int attr, CUdevice d) {
	std::lock_guard<std::recursive_mutex> lock(mu);
	if (!initialised)
		return ERR_NOT_INITIALIZED;
	if (d < 0 || d >= ndevices)
		return ERR_INVALID_DEVICE;
	if (!v)
		return ERR_INVALID_VALUE;
	switch (attr) {
	case 1: *v = 1024; break;                 // max threads per block
	case 2: case 3: *v = 1024; break;         // max block dim x, y
	case 4: *v = 64; break;                   // max block dim z
	case 5: *v = 2147483647; break;           // max grid dim x
	case 6: case 7: *v = 65535; break;        // max grid dim y, z
	case 8: *v = 48 << 10; break;             // shared memory per block
	case 10: *v = 32; break;                  // warp size
	case 16: *v = 2; break;                   // multiprocessors
	case 40: *v = 2; break;                   // async engines
	case 75: *v = 9; break;                   // compute capability major
	case 76: *v = 0; break;                   // compute capability minor
	case 97: *v = 227 << 10; break;           // shared memory per block, opt-in
	default: *v = 0;
	}
	return OK;
}

CUresult cuDevicePrimaryCtxRetain(void** ctx, CUdevice d) {
	std::lock_guard<std::recursive_mutex> lock(mu);
	if (!initialised)
		return ERR_NOT_INITIALIZED;
	if (d < 0 || d >= ndevices)
		return ERR_INVALID_DEVICE;
	if (!ctx)
		return ERR_INVALID_VALUE;
	contexts[d]->refs++;
	*ctx = contexts[d];
	return OK;
}

CUresult cuDevicePrimaryCtxRelease_v2(CUdevice d) {
	std::lock_guard<std::recursive_mutex> lock(mu);
	if (!initialised)
		return ERR_NOT_INITIALIZED;
	if (d < 0 || d >= ndevices)
		return ERR_INVALID_DEVICE;
	context* c = contexts[d];
	if (c->refs == 0)
		return ERR_INVALID_CONTEXT;
	if (--c->refs == 0) {
		// The primary context is reset: its memory, streams and modules go.
		for (auto& a : c->allocs)
			free(reinterpret_cast<void*>(a.first));
		c->allocs.clear();
		c->used = 0;
		for (stream* s : c->streams)
			delete s;
		c->streams.clear();
		for (module* m : c->modules)
			delete m;
		c->modules.clear();
		c->null_stream.err = OK;
	}
	return OK;
}

CUresult cuCtxSetCurrent(void* ctx) {
	std::lock_guard<std::recursive_mutex> lock(mu);
	if (!initialised)
		return ERR_NOT_INITIALIZED;
	if (!ctx) {
		current = nullptr;
		return OK;
	}
	for (context* c : contexts)
		if (c == ctx && c->refs > 0) {
			current = c;
			return OK;
		}
	return ERR_INVALID_CONTEXT;
}

CUresult cuCtxGetCurrent(void** ctx) {
	if (!ctx)
		return ERR_INVALID_VALUE;
	*ctx = current;
	return OK;
}

CUresult cuCtxSynchronize() {
	NEED_CTX();
	CUresult r = current->null_stream.err;
	current->null_stream.err = OK;
	for (stream* s : current->streams)
		if (r == OK && s->err != OK) {
			r = s->err;
			s->err = OK;
		}
	return r;
}

CUresult cuMemGetInfo_v2(size_t* free_, size_t* total) {
	NEED_CTX();
	if (!free_ || !total)
		return ERR_INVALID_VALUE;
	*total = memory;
	*free_ = memory > current->used ? memory - current->used : 0;
	return OK;
}

CUresult cuMemAlloc_v2(CUdeviceptr* p, size_t n) {
	NEED_CTX();
	if (!p || n == 0)
		return ERR_INVALID_VALUE;
	if (fail_alloc > 0 && --fail_alloc == 0)
		return ERR_OUT_OF_MEMORY;
	if (current->used + n > memory)
		return ERR_OUT_OF_MEMORY;
	void* m = aligned_alloc(256, (n + 255) / 256 * 256);
	if (!m)
		return ERR_OUT_OF_MEMORY;
	current->allocs[reinterpret_cast<uintptr_t>(m)] = n;
	current->used += n;
	*p = reinterpret_cast<uintptr_t>(m);
	return OK;
}

CUresult cuMemFree_v2(CUdeviceptr p) {
	NEED_CTX();
	auto it = current->allocs.find(static_cast<uintptr_t>(p));
	if (it == current->allocs.end())
		return ERR_INVALID_VALUE;
	current->used -= it->second;
	free(reinterpret_cast<void*>(it->first));
	current->allocs.erase(it);
	return OK;
}

CUresult cuMemAllocHost_v2(void** p, size_t n) {
	NEED_CTX();
	if (!p || n == 0)
		return ERR_INVALID_VALUE;
	void* m = aligned_alloc(4096, (n + 4095) / 4096 * 4096);
	if (!m)
		return ERR_OUT_OF_MEMORY;
	pinned.insert(m);
	*p = m;
	return OK;
}

CUresult cuMemFreeHost(void* p) {
	NEED_CTX();
	if (!pinned.erase(p))
		return ERR_INVALID_VALUE;
	free(p);
	return OK;
}

CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void* src, size_t n, void* h) {
	NEED_CTX();
	stream* s = stream_of(h);
	if (!s)
		return ERR_INVALID_HANDLE;
	if (!src || !device_range(dst, n))
		return ERR_INVALID_VALUE;
	if (s->err == OK)
		memcpy(reinterpret_cast<void*>(dst), src, n);
	return OK;
}

CUresult cuMemcpyDtoHAsync_v2(void* dst, CUdeviceptr src, size_t n, void* h) {
	NEED_CTX();
	stream* s = stream_of(h);
	if (!s)
		return ERR_INVALID_HANDLE;
	if (!dst || !device_range(src, n))
		return ERR_INVALID_VALUE;
	if (s->err == OK)
		memcpy(dst, reinterpret_cast<void*>(src), n);
	return OK;
}

CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t n, void* h) {
	NEED_CTX();
	stream* s = stream_of(h);
	if (!s)
		return ERR_INVALID_HANDLE;
	if (!device_range(dst, n) || !device_range(src, n))
		return ERR_INVALID_VALUE;
	if (s->err == OK)
		memmove(reinterpret_cast<void*>(dst), reinterpret_cast<void*>(src), n);
	return OK;
}

CUresult cuMemsetD8Async(CUdeviceptr dst, unsigned char v, size_t n, void* h) {
	NEED_CTX();
	stream* s = stream_of(h);
	if (!s)
		return ERR_INVALID_HANDLE;
	if (!device_range(dst, n))
		return ERR_INVALID_VALUE;
	if (s->err == OK)
		memset(reinterpret_cast<void*>(dst), v, n);
	return OK;
}

CUresult cuMemsetD32Async(CUdeviceptr dst, unsigned v, size_t n, void* h) {
	NEED_CTX();
	stream* s = stream_of(h);
	if (!s)
		return ERR_INVALID_HANDLE;
	if ((dst & 3) != 0 || !device_range(dst, n * 4))
		return ERR_INVALID_VALUE;
	if (s->err == OK) {
		unsigned* p = reinterpret_cast<unsigned*>(dst);
		for (size_t i = 0; i < n; i++)
			p[i] = v;
	}
	return OK;
}

CUresult cuStreamCreate(void** h, unsigned flags) {
	NEED_CTX();
	if (!h || flags > 1)
		return ERR_INVALID_VALUE;
	auto* s = new stream{current};
	current->streams.insert(s);
	*h = s;
	return OK;
}

CUresult cuStreamDestroy_v2(void* h) {
	NEED_CTX();
	auto* s = static_cast<stream*>(h);
	if (!h || !current->streams.erase(s))
		return ERR_INVALID_HANDLE;
	delete s;
	return OK;
}

CUresult cuStreamSynchronize(void* h) {
	NEED_CTX();
	stream* s = stream_of(h);
	if (!s)
		return ERR_INVALID_HANDLE;
	CUresult r = s->err;
	s->err = OK;
	return r;
}

CUresult cuStreamQuery(void* h) {
	NEED_CTX();
	return stream_of(h) ? OK : ERR_INVALID_HANDLE;
}

CUresult cuEventCreate(void** h, unsigned flags) {
	NEED_CTX();
	(void)flags;
	if (!h)
		return ERR_INVALID_VALUE;
	auto* e = new event();
	events.insert(e);
	*h = e;
	return OK;
}

CUresult cuEventDestroy_v2(void* h) {
	NEED_CTX();
	auto* e = static_cast<event*>(h);
	if (!events.erase(e))
		return ERR_INVALID_HANDLE;
	delete e;
	return OK;
}

CUresult cuEventRecord(void* h, void* sh) {
	NEED_CTX();
	auto* e = static_cast<event*>(h);
	if (!events.count(e) || !stream_of(sh))
		return ERR_INVALID_HANDLE;
	e->t = std::chrono::steady_clock::now();
	e->recorded = true;
	return OK;
}

CUresult cuEventSynchronize(void* h) {
	NEED_CTX();
	return events.count(static_cast<event*>(h)) ? OK : ERR_INVALID_HANDLE;
}

CUresult cuEventElapsedTime(float* ms, void* a, void* b) {
	NEED_CTX();
	auto *ea = static_cast<event*>(a), *eb = static_cast<event*>(b);
	if (!ms)
		return ERR_INVALID_VALUE;
	if (!events.count(ea) || !events.count(eb) || !ea->recorded || !eb->recorded)
		return ERR_INVALID_HANDLE;
	*ms = std::chrono::duration<float, std::milli>(eb->t - ea->t).count();
	return OK;
}

CUresult cuStreamWaitEvent(void* sh, void* h, unsigned flags) {
	NEED_CTX();
	if (flags != 0)
		return ERR_INVALID_VALUE;
	// Work runs when enqueued, so every recorded event has completed.
	return stream_of(sh) && events.count(static_cast<event*>(h)) ? OK : ERR_INVALID_HANDLE;
}

CUresult cuModuleLoadDataEx(void** mod, const void* image, unsigned nopt, int* opts, void** vals) {
	NEED_CTX();
	if (!mod || !image)
		return ERR_INVALID_VALUE;
	const char* ptx = static_cast<const char*>(image);
	std::vector<std::string> entries = ptx_entries(ptx);
	std::string log;
	if (!strstr(ptx, ".version") || !strstr(ptx, ".target"))
		log = "ptxas fatal   : the image is not PTX (no .version or .target directive)";
	else
		for (auto& e : entries)
			if (!segemu::find_kernel(e.c_str()))
				log += "ptxas error   : entry " + e + " has no kernel in the emulator\n";
	if (!log.empty()) {
		// Report through the error log buffer options, as the JIT does.
		char* buf = nullptr;
		size_t size = 0;
		int size_at = -1;
		for (unsigned i = 0; i < nopt; i++) {
			if (opts[i] == 5)
				buf = static_cast<char*>(vals[i]);
			if (opts[i] == 6) {
				size = reinterpret_cast<uintptr_t>(vals[i]);
				size_at = i;
			}
		}
		if (buf && size > 0) {
			snprintf(buf, size, "%s", log.c_str());
			vals[size_at] = reinterpret_cast<void*>(static_cast<uintptr_t>(strlen(buf) + 1));
		}
		return ERR_INVALID_PTX;
	}
	auto* m = new module{current, entries};
	current->modules.insert(m);
	*mod = m;
	return OK;
}

CUresult cuModuleUnload(void* h) {
	NEED_CTX();
	auto* m = static_cast<module*>(h);
	if (!current->modules.erase(m))
		return ERR_INVALID_HANDLE;
	delete m;
	return OK;
}

CUresult cuModuleGetFunction(void** f, void* h, const char* name) {
	NEED_CTX();
	auto* m = static_cast<module*>(h);
	if (!f || !name)
		return ERR_INVALID_VALUE;
	if (!current->modules.count(m))
		return ERR_INVALID_HANDLE;
	for (auto& e : m->entries)
		if (e == name) {
			auto* fn = new function{m, name, segemu::find_kernel(name)};
			functions.insert(fn);
			*f = fn;
			return OK;
		}
	return ERR_NOT_FOUND;
}

CUresult cuFuncGetAttribute(int* v, int attr, void* f) {
	NEED_CTX();
	if (!v)
		return ERR_INVALID_VALUE;
	if (!functions.count(static_cast<function*>(f)))
		return ERR_INVALID_HANDLE;
	switch (attr) {
	case 0: *v = 1024; break; // max threads per block
	case 4: *v = 32; break;   // registers
	case 5: case 6: *v = 80; break;
	default: *v = 0;
	}
	return OK;
}

CUresult cuLaunchKernel(void* f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                        unsigned shared, void* sh, void** params, void** extra) {
	std::unique_lock<std::recursive_mutex> lock(mu);
	if (!initialised)
		return ERR_NOT_INITIALIZED;
	if (!current)
		return ERR_INVALID_CONTEXT;
	auto* fn = static_cast<function*>(f);
	if (!functions.count(fn) || !current->modules.count(fn->mod))
		return ERR_INVALID_HANDLE;
	stream* s = stream_of(sh);
	if (!s)
		return ERR_INVALID_HANDLE;
	if (extra || (!params && fn->fn))
		return ERR_INVALID_VALUE;
	if (gx == 0 || gy == 0 || gz == 0 || bx == 0 || by == 0 || bz == 0 || gy > 65535 || gz > 65535 || bz > 64)
		return ERR_INVALID_VALUE;
	if (static_cast<unsigned long long>(bx) * by * bz > 1024 || shared > (227u << 10))
		return ERR_LAUNCH_OUT_OF_RESOURCES;
	bool fail = (fail_launch > 0 && --fail_launch == 0) || fail_name == fn->name;
	if (s->err != OK)
		return OK; // a stream that failed runs nothing until synchronized
	if (fail) {
		s->err = ERR_LAUNCH_FAILED;
		return OK;
	}
	// The kernel runs without the lock, so that kernels of other contexts'
	// streams are not held up by it (launches themselves are serialised).
	lock.unlock();
	int rc = segemu::run_grid(fn->fn, params, {gx, gy, gz}, {bx, by, bz}, shared);
	// Taking the lock again orders the kernel's writes before the later
	// driver calls of any thread (a copy of the results, a free), as the
	// stream orders them on a device.
	lock.lock();
	return rc != 0 ? ERR_LAUNCH_OUT_OF_RESOURCES : OK;
}

CUresult cuGetErrorName(CUresult r, const char** s) {
	if (!s)
		return ERR_INVALID_VALUE;
	*s = error_name(r);
	return *s ? OK : ERR_INVALID_VALUE;
}

CUresult cuGetErrorString(CUresult r, const char** s) {
	if (!s)
		return ERR_INVALID_VALUE;
	*s = error_string(r);
	return *s ? OK : ERR_INVALID_VALUE;
}

} // extern "C"
