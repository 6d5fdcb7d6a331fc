// Repeated Attempts (Core 5.4 Vol 3 Part H 2.3.6): after a failed pairing,
// a waiting interval must pass before a new Pairing Request or Security
// Request from (or to) a device claiming the same identity is honoured; the
// interval grows exponentially with each new failure and shrinks again over
// time. During the wait the request is answered with Pairing Failed, reason
// Repeated Attempts (0x09).
//
// A device whose passkey never changes (PasskeySource::kStatic) needs more:
// each failed Passkey Entry attempt tells the guesser one bit of the passkey
// (2.3.5.6.3), and a guesser that changes its address for every attempt is
// never slowed down by a per-device table. So failures of pairings that use a
// static passkey are also counted across all peers: from kGuessThreshold
// failures within kGuessWindow on, every new pairing waits, for a time that
// doubles with each further failure up to kGuessMaxWait.
//
// Sans-I/O: every call takes `now`. Bounded, no heap: a fixed table of
// kCapacity peers (when it is full, the least recently touched entry is
// evicted) and the times of the last kGuessHistory static-passkey failures.
// One object per host (shared by all connections), owned by the host glue and
// handed to each smp::Pairing, which is the only caller of record_failure and
// record_success.
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

// Whether a pairing's passkey is new each time (or there is none) or static.
enum class PasskeyKind : uint8_t {
  kFresh,   // failures count against the peer only
  kStatic,  // failures also count against every peer (2.3.5.6.3)
};

class RepeatedAttempts {
 public:
  static constexpr size_t kCapacity = 16;
  // The static-passkey throttle across all peers.
  static constexpr Duration kGuessWindow{60000};
  static constexpr size_t kGuessThreshold = 5;
  static constexpr Duration kGuessFirstWait{2000};  // at the kGuessThreshold-th failure
  static constexpr Duration kGuessMaxWait{64000};
  static constexpr size_t kGuessHistory = 16;  // > kGuessThreshold + doublings to the cap

  // Clamps the config: first_wait >= 1 ms, max_wait >= first_wait, decay >= max_wait.
  explicit RepeatedAttempts(RepeatedAttemptsConfig config = {});

  // True if a pairing with `peer` must be refused now (send reason 0x09):
  // `peer` waits, or `kind` is kStatic and static-passkey pairings wait.
  bool should_refuse(const Address& peer, TimePoint now, PasskeyKind kind = PasskeyKind::kFresh);
  // A pairing with `peer` failed authentication (Confirm Value or DHKey
  // Check failed) at `now`.
  void record_failure(const Address& peer, TimePoint now, PasskeyKind kind = PasskeyKind::kFresh);
  // A pairing with `peer` completed: forget its failures. The failures
  // counted across all peers stay: a guesser may succeed once by chance.
  void record_success(const Address& peer);

  // The time until which `peer` is refused (or a time <= now when it is not).
  TimePoint refused_until(const Address& peer, TimePoint now);
  // The time until which static-passkey pairings are refused (all peers).
  TimePoint static_passkey_refused_until() const { return guess_blocked_until_; }
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
  void record_guess(TimePoint now);

  RepeatedAttemptsConfig config_;
  std::array<Entry, kCapacity> table_{};
  // Static-passkey failures, any peer: a ring of the last kGuessHistory.
  std::array<TimePoint, kGuessHistory> guesses_{};
  size_t guess_count_ = 0;  // valid entries, <= kGuessHistory
  size_t guess_next_ = 0;   // where the next one is written
  TimePoint guess_blocked_until_{};
};

}  // namespace sable::smp
