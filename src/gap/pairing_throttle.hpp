// With a static passkey each failed attempt tells a guesser one bit of it
// (Core 5.4 Vol 3 Part H 2.3.5.6.3), and the per-peer Repeated Attempts rule
// (2.3.6) does not stop a guesser that changes its address. So failures are
// also counted across all peers: beyond kThreshold within kWindow, every new
// Pairing Request waits, for a time that doubles up to 64 s.
#pragma once

#include <array>
#include <cstddef>

#include "common/time.hpp"

namespace sable::gap {

class PairingThrottle {
 public:
  void set_enabled(bool static_passkey) { enabled_ = static_passkey; }
  bool blocked(TimePoint now) const { return now < blocked_until_; }
  void record_failure(TimePoint now);

 private:
  static constexpr Duration kWindow = Duration(60'000);
  static constexpr size_t kThreshold = 5;
  static constexpr size_t kKept = 16;
  bool enabled_ = false;
  std::array<TimePoint, kKept> failures_{};  // oldest first
  size_t count_ = 0;
  TimePoint blocked_until_{0};
};

}  // namespace sable::gap
