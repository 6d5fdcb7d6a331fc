// Counts a test binary's heap allocations (heap_count.cpp replaces the global
// operator new; tests/CMakeLists.txt links it into the binaries whose tests
// require an operation to allocate nothing: common, hci, store).
#pragma once

#include <cstdint>

namespace sable::testing {

// operator new calls (every form) since the program started.
uint64_t heap_allocations();

}  // namespace sable::testing
