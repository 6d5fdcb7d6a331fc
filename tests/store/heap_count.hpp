// Counts the store test binary's heap allocations (heap_count.cpp replaces the
// global operator new for this binary only), so that a test can require an
// operation to allocate nothing.
#pragma once

#include <cstdint>

namespace sable::store::testing {

// operator new calls (every form) since the program started.
uint64_t heap_allocations();

}  // namespace sable::store::testing
