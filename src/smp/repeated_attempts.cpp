// Repeated Attempts back-off (Core 5.4 Vol 3 Part H 2.3.6).
#include "smp/repeated_attempts.hpp"

#include <algorithm>

#include "common/log.hpp"

namespace sable::smp {
namespace {

// The identity/on-air type distinction made by HCI (0x02/0x03) does not
// matter here: the same 48 bits with the same public/random kind are the
// same claimed device.
bool same_device(const Address& a, const Address& b) {
  return a.bytes == b.bytes && a.is_random() == b.is_random();
}

// `first`, doubled for each of `count` - 1 further failures, capped at `max`
// (count >= 1): the wait of one peer (2.3.6) and of all static-passkey
// pairings alike.
Duration doubled_wait(Duration first, Duration max, size_t count) {
  Duration wait = first;
  while (--count != 0 && wait < max) wait *= 2;
  return std::min(wait, max);
}

}  // namespace

RepeatedAttempts::RepeatedAttempts(RepeatedAttemptsConfig config) : config_(config) {
  if (config_.first_wait <= Duration::zero()) config_.first_wait = Duration(1);
  config_.max_wait = std::max(config_.max_wait, config_.first_wait);
  config_.decay = std::max(config_.decay, config_.max_wait);
}

RepeatedAttempts::Entry* RepeatedAttempts::find(const Address& peer) {
  for (auto& e : table_) {
    if (e.failures != 0 && same_device(e.peer, peer)) return &e;
  }
  return nullptr;
}

void RepeatedAttempts::decay(Entry& e, TimePoint now) {
  // 2.3.6: "the waiting interval shall be exponentially decreased" over time:
  // each full `decay` period without a failure forgets one failure. Only
  // called for a used entry (failures != 0).
  if (now <= e.decay_anchor) return;
  const auto periods = (now - e.decay_anchor) / config_.decay;
  if (uint64_t(periods) >= e.failures) {
    e = Entry{};
    return;
  }
  e.failures -= uint32_t(periods);
  e.decay_anchor += config_.decay * periods;
}

bool RepeatedAttempts::should_refuse(const Address& peer, TimePoint now, PasskeyKind kind) {
  const bool all_peers_wait = kind == PasskeyKind::kStatic && now < guess_blocked_until_;
  Entry* e = find(peer);
  if (e == nullptr) return all_peers_wait;
  e->last_touch = now;
  const bool refused = now < e->blocked_until;
  decay(*e, now);
  return refused || all_peers_wait;
}

TimePoint RepeatedAttempts::refused_until(const Address& peer, TimePoint now) {
  Entry* e = find(peer);
  if (e == nullptr) return now;
  decay(*e, now);
  return e->failures == 0 ? now : e->blocked_until;
}

void RepeatedAttempts::record_failure(const Address& peer, TimePoint now, PasskeyKind kind) {
  if (kind == PasskeyKind::kStatic) record_guess(now);
  Entry* e = find(peer);
  if (e == nullptr) {
    // A free slot, else the least recently touched entry.
    e = &table_[0];
    for (auto& candidate : table_) {
      if (candidate.failures == 0) {
        e = &candidate;
        break;
      }
      if (candidate.last_touch < e->last_touch) e = &candidate;
    }
    *e = Entry{};
  } else {
    decay(*e, now);  // fully decayed: starts again from a cleared entry
  }
  e->peer = peer;
  e->failures = std::min<uint32_t>(e->failures + 1, 32);
  e->blocked_until = now + doubled_wait(config_.first_wait, config_.max_wait, e->failures);
  e->decay_anchor = now;
  e->last_touch = now;
}

void RepeatedAttempts::record_guess(TimePoint now) {
  // Failures older than the window no longer count (2.3.5.6.3: each one
  // told the guesser one passkey bit, so a burst is what must be slowed).
  const TimePoint window_start = now - kGuessWindow;  // inclusive
  size_t in_window = 1;                               // this one
  for (size_t i = 0; i < guess_count_; ++i) {
    if (guesses_[i] >= window_start) ++in_window;
  }
  guesses_[guess_next_] = now;
  if (++guess_next_ == kGuessHistory) guess_next_ = 0;
  if (guess_count_ < kGuessHistory) ++guess_count_;
  if (in_window < kGuessThreshold) return;
  // kGuessThreshold failures: kGuessFirstWait; each further one doubles it.
  const Duration wait =
      doubled_wait(kGuessFirstWait, kGuessMaxWait, in_window - kGuessThreshold + 1);
  guess_blocked_until_ = now + wait;
  SABLE_LOG_WARN("smp: %zu failed static-passkey pairings within %lld s: new pairings wait %lld s",
                 in_window, static_cast<long long>(kGuessWindow.count() / 1000),
                 static_cast<long long>(wait.count() / 1000));
}

void RepeatedAttempts::record_success(const Address& peer) {
  if (Entry* e = find(peer)) *e = Entry{};
}

size_t RepeatedAttempts::size() const {
  return size_t(
      std::count_if(table_.begin(), table_.end(), [](const Entry& e) { return e.failures != 0; }));
}

}  // namespace sable::smp
