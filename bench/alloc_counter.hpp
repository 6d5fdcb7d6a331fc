// Heap allocation counter for the benchmarks: the bench binary replaces
// malloc/calloc/realloc/free and every operator new/delete, and counts each
// allocation (the OS allocator still does the work, through glibc's
// __libc_* entry points). Link alloc_counter.cpp into a binary to enable it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sable::bench {

// Allocations (malloc, calloc, realloc, operator new) since the process started.
uint64_t allocation_count();

// Called on every counted allocation with its size (nullptr: none). The hook
// must not rely on allocating itself; allocations it makes are counted too.
using AllocationHook = void (*)(size_t size);
void set_allocation_hook(AllocationHook hook);

// Counts the allocations made between construction and delta().
class AllocationScope {
 public:
  AllocationScope() : start_(allocation_count()) {}
  uint64_t delta() const { return allocation_count() - start_; }

 private:
  uint64_t start_;
};

}  // namespace sable::bench
