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

}  // namespace

RepeatedAttempts::RepeatedAttempts(RepeatedAttemptsConfig config) : config_(config) {
  if (config_.first_wait <= Duration::zero()) config_.first_wait = Duration(1);
  config_.max_wait = std::max(config_.max_wait, config_.first_wait);
  config_.decay = std::max(config_.decay, config_.max_wait);
}

Duration RepeatedAttempts::wait_for(uint32_t failures) const {
  // Doubling from first_wait: 1 failure -> first_wait, 2 -> 2x, ... capped.
  Duration wait = config_.first_wait;
  for (uint32_t i = 1; i < failures && wait < config_.max_wait; ++i) wait *= 2;
  return std::min(wait, config_.max_wait);
}

RepeatedAttempts::Entry* RepeatedAttempts::find(const Address& peer) {
  for (auto& e : table_) {
    if (e.failures != 0 && same_device(e.peer, peer)) return &e;
  }
  return nullptr;
}

void RepeatedAttempts::decay(Entry& e, TimePoint now) {
  // 2.3.6: "the waiting interval shall be exponentially decreased" over time:
  // each full `decay` period without a failure forgets one failure.
  if (e.failures == 0 || now <= e.decay_anchor) return;
  const auto periods = (now - e.decay_anchor) / config_.decay;
  if (periods <= 0) return;
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
    e->peer = peer;
  } else {
    decay(*e, now);
    if (e->failures == 0) e->peer = peer;  // fully decayed: start again
  }
  e->failures = std::min<uint32_t>(e->failures + 1, 32);
  e->blocked_until = now + wait_for(e->failures);
  e->decay_anchor = now;
  e->last_touch = now;
}

void RepeatedAttempts::record_guess(TimePoint now) {
  // Failures older than the window no longer count (2.3.5.6.3: each one
  // told the guesser one passkey bit, so a burst is what must be slowed).
  size_t in_window = 1;  // this one
  for (size_t i = 0; i < guess_count_; ++i) {
    if (now - guesses_[i] <= kGuessWindow) ++in_window;
  }
  guesses_[guess_next_] = now;
  guess_next_ = (guess_next_ + 1) % kGuessHistory;
  guess_count_ = std::min(guess_count_ + 1, kGuessHistory);
  if (in_window < kGuessThreshold) return;
  // kGuessThreshold failures: kGuessFirstWait; each further one doubles it.
  Duration wait = kGuessFirstWait;
  for (size_t i = kGuessThreshold; i < in_window && wait < kGuessMaxWait; ++i) wait *= 2;
  wait = std::min(wait, kGuessMaxWait);
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
