// Notifications handed from application threads to the stack's thread: a ring
// of records (characteristic, value) in one buffer allocated at start-up.
// push() copies the value under a short lock and never allocates; the stack's
// thread reads the oldest record in place and releases it after sending, so
// values go out in the order notify() was called, each once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "api/lock.hpp"
#include "common/bytes.hpp"

namespace sable {
class Characteristic;
}

namespace sable::detail {

class NotifyQueue {
 public:
  // capacity: octets of the ring (0: no queue, every push fails).
  explicit NotifyQueue(size_t capacity);

  // Any thread: false (nothing queued) when the record does not fit.
  bool push(Characteristic* characteristic, Bytes value);
  bool empty() const;

  // Stack's thread only: the oldest record, valid until pop().
  struct Record {
    Characteristic* characteristic;
    Bytes value;
  };
  std::optional<Record> front();
  void pop();

  // Octets a record of this value takes (for sizing the ring).
  static size_t record_size(size_t value_length);

 private:
  struct Header {
    Characteristic* characteristic;  // nullptr: the rest of the ring is padding
    uint64_t length;
  };
  static_assert(sizeof(Header) == 16);

  size_t capacity_;
  std::unique_ptr<uint8_t[]> ring_;
  mutable Mutex mutex_;
  // Octets ever written and ever released; positions are these modulo capacity_.
  uint64_t written_ = 0;
  uint64_t released_ = 0;
};

}  // namespace sable::detail
