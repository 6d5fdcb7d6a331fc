// The typed result of Characteristic::notify(): how many peers got the value,
// and why the others did not (DESIGN.md: notify never fails silently).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "sable/fixed_text.hpp"

namespace sable {

// Why a notification reached nobody (or not everybody).
enum class NotifyStatus : uint8_t {
  kSent,           // sent to every subscribed peer
  kNoCccd,         // the characteristic has neither Notify nor Indicate
  kNotConnected,   // nobody is connected
  kNotSubscribed,  // connected peers have not enabled notifications
  kLinkNotSecure,  // subscribed, but the link does not meet the value's read security
  kTooLong,        // the value is longer than ATT_MTU - 3 for a peer
  kOutOfBuffers,   // the ACL queue (or the hand-off queue of notify()) is full: retry later
  kNotStarted,     // the server is not running yet
  kQueued,         // handed to the stack's thread; the outcome goes to on_notified
  kValueTooLong,   // the last set_value() was longer than the characteristic's maximum
};
const char* to_string(NotifyStatus status);

struct NotifyResult {
  size_t sent = 0;                                    // peers the notification was sent to
  NotifyStatus status = NotifyStatus::kNotConnected;  // the reason for the others, if any
  // Sent to at least one peer, or queued for the stack's thread.
  bool ok() const { return sent > 0 || status == NotifyStatus::kQueued; }
  std::string to_string() const;
  FixedText<160> text() const;  // the same, without the heap
};

}  // namespace sable
