#include "api/notify_queue.hpp"

#include <cstring>

namespace sable::detail {

// Records start on 16-octet boundaries, so a header never straddles the end.
size_t NotifyQueue::record_size(size_t value_length) {
  return (sizeof(Header) + value_length + 15) & ~size_t(15);
}

NotifyQueue::NotifyQueue(size_t capacity)
    : capacity_(capacity & ~size_t(15)),
      ring_(capacity_ ? std::make_unique<uint8_t[]>(capacity_) : nullptr) {}

bool NotifyQueue::push(Characteristic* characteristic, Bytes value) {
  const size_t need = record_size(value.size());
  LockGuard lock(mutex_);
  if (capacity_ == 0) return false;
  size_t pos = size_t(written_ % capacity_);
  // A record is contiguous: when it does not fit before the end, the tail of
  // the ring becomes padding and the record starts at 0.
  const size_t skip = pos + need > capacity_ ? capacity_ - pos : 0;
  if (written_ - released_ + skip + need > capacity_) return false;
  if (skip) {
    Header pad{nullptr, skip};
    std::memcpy(&ring_[pos], &pad, sizeof pad);
    written_ += skip;
    pos = 0;
  }
  Header h{characteristic, value.size()};
  std::memcpy(&ring_[pos], &h, sizeof h);
  if (!value.empty()) std::memcpy(&ring_[pos + sizeof h], value.data(), value.size());
  written_ += need;
  return true;
}

bool NotifyQueue::empty() const {
  LockGuard lock(mutex_);
  return written_ == released_;
}

std::optional<NotifyQueue::Record> NotifyQueue::front() {
  for (;;) {
    size_t pos;
    {
      LockGuard lock(mutex_);
      if (written_ == released_) return std::nullopt;
      pos = size_t(released_ % capacity_);
    }
    // Producers never write between released_ and written_: read without the lock.
    Header h;
    std::memcpy(&h, &ring_[pos], sizeof h);
    if (h.characteristic != nullptr)
      return Record{h.characteristic, Bytes(&ring_[pos + sizeof h], size_t(h.length))};
    LockGuard lock(mutex_);
    released_ += h.length;  // padding
  }
}

void NotifyQueue::pop() {
  LockGuard lock(mutex_);
  if (written_ == released_) return;
  Header h;
  std::memcpy(&h, &ring_[size_t(released_ % capacity_)], sizeof h);
  released_ += record_size(size_t(h.length));
}

}  // namespace sable::detail
