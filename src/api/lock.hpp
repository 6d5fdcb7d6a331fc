// The lock of the public API's shared state (characteristic values, the
// notification queue, the security settings). Application threads and the
// stack's thread take it for a few copies at most. Single-threaded targets
// (arm-none-eabi's newlib has no threads, so no std::mutex) need none.
#pragma once

#include <mutex>

namespace sable::detail {

#if defined(_GLIBCXX_HAS_GTHREADS)
using Mutex = std::mutex;
#else
class Mutex {
 public:
  void lock() {}
  void unlock() {}
};
#endif
using LockGuard = std::lock_guard<Mutex>;

}  // namespace sable::detail
