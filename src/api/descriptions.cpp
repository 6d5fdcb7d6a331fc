// Human-readable forms of connection descriptors and notification results
// (public API conveniences for applications; the core never formats them).
#include <cstdio>

#include "sable/conn_desc.hpp"
#include "sable/notify.hpp"

namespace sable {

FixedText<400> ConnDesc::text() const {
  auto type = [](const Address& a) {
    if (a.is_resolvable_private()) return "random resolvable";
    if (a.is_static_random()) return "random static";
    return a.is_random() ? "random" : "public";
  };
  // The interval as fixed-point text from its 1.25 ms units (Core 5.4 Vol 4
  // Part E 7.7.65.1), in integers: no floating point in a firmware image.
  const unsigned hundredths = interval * 125u;
  FixedText<400> t;
  std::snprintf(t.chars, sizeof t.chars,
                "handle 0x%04x %s peer %s (%s) identity %s (%s) interval %u.%02u ms latency %u "
                "supervision timeout %d ms encrypted %s authenticated %s secure connections %s "
                "bonded %s key size %u mtu %u",
                handle, role == Role::kCentral ? "central" : "peripheral", address.text().c_str(),
                type(address), id_address.text().c_str(), type(id_address), hundredths / 100,
                hundredths % 100, latency, supervision_timeout_ms(), encrypted ? "yes" : "no",
                authenticated ? "yes" : "no", secure_connections ? "yes" : "no",
                bonded ? "yes" : "no", key_size, mtu);
  return t;
}

std::string ConnDesc::to_string() const {
  return text().c_str();
}

FixedText<160> NotifyResult::text() const {
  FixedText<160> t;
  char* buf = t.chars;
  if (sent > 0 && status == NotifyStatus::kSent) {
    std::snprintf(buf, sizeof t.chars, "sent to %zu peer%s", sent, sent == 1 ? "" : "s");
  } else if (status == NotifyStatus::kQueued) {
    std::snprintf(buf, sizeof t.chars, "queued");
  } else if (sent > 0) {
    std::snprintf(buf, sizeof t.chars, "sent to %zu peer%s; others: %s", sent, sent == 1 ? "" : "s",
                  sable::to_string(status));
  } else {
    std::snprintf(buf, sizeof t.chars, "not sent: %s", sable::to_string(status));
  }
  return t;
}

std::string NotifyResult::to_string() const {
  return text().c_str();
}

}  // namespace sable
