// The typed result of Characteristic::notify(): how many peers got the value,
// and why the others did not (DESIGN.md: notify never fails silently).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace sable {

// Why a notification reached nobody (or not everybody).
enum class NotifyStatus : uint8_t {
  kSent,           // sent to every subscribed peer
  kNoCccd,         // the characteristic has neither Notify nor Indicate
  kNotConnected,   // nobody is connected
  kNotSubscribed,  // connected peers have not enabled notifications
  kLinkNotSecure,  // subscribed, but the link does not meet the value's read security
  kTooLong,        // the value is longer than ATT_MTU - 3 for a peer
  kOutOfBuffers,   // the ACL queue is full
  kNotStarted,     // the server is not running yet
};
const char* to_string(NotifyStatus status);

struct NotifyResult {
  size_t sent = 0;                                    // peers the notification was sent to
  NotifyStatus status = NotifyStatus::kNotConnected;  // the reason for the others, if any
  bool ok() const { return sent > 0; }
  std::string to_string() const;
};

}  // namespace sable
