// Counts allocations by wrapping the C heap's entry points at link time
// (-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc in ports/cortex-m4/CMakeLists.txt):
// every call from our code, libstdc++'s containers and operator new lands
// here first. newlib's own reentrant entry points (_malloc_r) are not
// wrapped; nothing of ours calls them.
#include "heap_count.hpp"

#include <cstdlib>

namespace {
size_t g_allocations = 0;
}  // namespace

extern "C" {
void* __real_malloc(size_t size);
void* __real_calloc(size_t count, size_t size);
void* __real_realloc(void* p, size_t size);

void* __wrap_malloc(size_t size) {
  ++g_allocations;
  return __real_malloc(size);
}

void* __wrap_calloc(size_t count, size_t size) {
  ++g_allocations;
  return __real_calloc(count, size);
}

void* __wrap_realloc(void* p, size_t size) {
  ++g_allocations;
  return __real_realloc(p, size);
}
}

size_t runtime_heap_allocations() {
  return g_allocations;
}
