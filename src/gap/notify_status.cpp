// Names of notification outcomes (sable/notify.hpp): plain static strings,
// kept in the core for logs and for programs built on gap::Host directly.
#include "sable/notify.hpp"

namespace sable {

const char* to_string(NotifyStatus status) {
  switch (status) {
    case NotifyStatus::kSent:
      return "sent";
    case NotifyStatus::kNoCccd:
      return "characteristic has no Notify/Indicate property (no CCCD)";
    case NotifyStatus::kNotConnected:
      return "not connected";
    case NotifyStatus::kNotSubscribed:
      return "peer has not subscribed";
    case NotifyStatus::kLinkNotSecure:
      return "withheld: link not secure enough to read the value";
    case NotifyStatus::kTooLong:
      return "value longer than ATT_MTU-3";
    case NotifyStatus::kOutOfBuffers:
      return "out of buffers";
    case NotifyStatus::kNotStarted:
      return "server not started";
    case NotifyStatus::kQueued:
      return "queued";
    case NotifyStatus::kValueTooLong:
      return "value longer than the characteristic's maximum (512)";
  }
  return "?";
}

}  // namespace sable
