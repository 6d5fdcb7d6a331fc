#include "gap/pairing_throttle.hpp"

#include <algorithm>

#include "common/log.hpp"

namespace sable::gap {

void PairingThrottle::record_failure(TimePoint now) {
  if (!enabled_) return;
  // Forget failures older than the window, keep the rest in order.
  size_t kept = 0;
  for (size_t i = 0; i < count_; ++i)
    if (now - failures_[i] <= kWindow) failures_[kept++] = failures_[i];
  count_ = kept;
  if (count_ == kKept) {  // keep the newest
    std::move(failures_.begin() + 1, failures_.end(), failures_.begin());
    --count_;
  }
  failures_[count_++] = now;
  if (count_ >= kThreshold) {
    size_t excess = std::min<size_t>(count_ - kThreshold, 5);
    blocked_until_ = now + Duration(2000) * (1 << excess);
    SABLE_LOG_WARN("%zu failed pairings within a minute: new pairings wait %lld s", count_,
                   static_cast<long long>((blocked_until_ - now).count() / 1000));
  }
}

}  // namespace sable::gap
