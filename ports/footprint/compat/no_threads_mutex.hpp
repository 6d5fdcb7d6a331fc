// Footprint build workaround, force-included (-include) into every file.
// src/gap/host.hpp includes the public API header include/sable/server.hpp
// (for NotifyResult/NotifyStatus), and that header declares a std::mutex
// member (class sable::Characteristic). arm-none-eabi's libstdc++ is built
// without gthreads, so <mutex> has no std::mutex and the core does not
// compile for an MCU. Until the core stops including the public API header,
// this supplies a no-op mutex so that the core's size can be measured. The
// core never locks it (Characteristic belongs to src/api, not built here).
#pragma once

#ifdef __cplusplus
#include <mutex>
#if !defined(_GLIBCXX_HAS_GTHREADS)
namespace std {
class mutex {
 public:
  constexpr mutex() noexcept = default;
  mutex(const mutex&) = delete;
  mutex& operator=(const mutex&) = delete;
  void lock() {}
  bool try_lock() { return true; }
  void unlock() {}
};
}  // namespace std
#endif
#endif
