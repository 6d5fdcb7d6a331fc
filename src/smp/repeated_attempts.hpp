// Repeated Attempts (Core 5.4 Vol 3 Part H 2.3.6): after a failed pairing,
// a waiting interval must pass before a new Pairing Request or Security
// Request from (or to) a device claiming the same identity is honoured; the
// interval grows exponentially with each new failure and shrinks again over
// time. During the wait the request is answered with Pairing Failed, reason
// Repeated Attempts (0x09).
//
// Sans-I/O: every call takes `now`. Bounded: a fixed table of kCapacity peers;
// when it is full, the least recently touched entry is evicted. One table per
// host (shared by all connections), owned by the host glue.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "common/time.hpp"
#include "sable/address.hpp"

namespace sable::smp {

struct RepeatedAttemptsConfig {
  Duration first_wait{2000};  // after the first failure
  Duration max_wait{64000};   // the cap of the doubling
  // Every `decay` without a new failure halves the wait again (one failure
  // fewer is counted); a peer with no failures left is forgotten.
  Duration decay{64000};
};

class RepeatedAttempts {
 public:
  static constexpr size_t kCapacity = 16;

  // Clamps the config: first_wait >= 1 ms, max_wait >= first_wait, decay >= max_wait.
  explicit RepeatedAttempts(RepeatedAttemptsConfig config = {});

  // True if a pairing with `peer` must be refused now (send reason 0x09).
  bool should_refuse(const Address& peer, TimePoint now);
  // A pairing with `peer` failed (authentication failed) at `now`.
  void record_failure(const Address& peer, TimePoint now);
  // A pairing with `peer` completed: forget its failures.
  void record_success(const Address& peer);

  // The time until which `peer` is refused (or a time <= now when it is not).
  TimePoint refused_until(const Address& peer, TimePoint now);
  size_t size() const;

 private:
  struct Entry {
    Address peer;
    uint32_t failures = 0;      // 0: slot free
    TimePoint blocked_until{};  // last failure + wait_for(failures at that time)
    TimePoint decay_anchor{};   // start of the current decay period
    TimePoint last_touch{};     // for LRU eviction
  };
  Entry* find(const Address& peer);
  void decay(Entry& e, TimePoint now);
  Duration wait_for(uint32_t failures) const;

  RepeatedAttemptsConfig config_;
  std::array<Entry, kCapacity> table_{};
};

}  // namespace sable::smp
