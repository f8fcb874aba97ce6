// Internal declarations shared by the fake driver and the grid emulator.
#ifndef SEGSTACK_EMU_H
#define SEGSTACK_EMU_H

#include "segemu.h"

namespace segemu {
// find_kernel returns the kernel registered under name, or nullptr.
launcher find_kernel(const char* name);
// run_grid runs fn over the grid; it returns 0 or an errno from starting
// the worker threads.
int run_grid(launcher fn, void** params, uint3_ grid, uint3_ block, unsigned shared_bytes);
} // namespace segemu

#endif
