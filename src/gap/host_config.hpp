// What an owner chooses when it creates a gap::Host, and the parameters of
// the central role's procedures.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/profile.hpp"
#include "common/time.hpp"
#include "l2cap/pdu.hpp"
#include "sable/security.hpp"

namespace sable::gap {

struct HostConfig {
  SecurityConfig security;
  uint16_t max_att_mtu = 517;
  // Links this host accepts at once as a peripheral; advertising resumes while
  // fewer are open.
  size_t max_peripheral_connections = 1;
  // Links of any role this host serves at once: sizes the connection slots
  // and the ACL pools, made once at construction. A peripheral-only build
  // serves its one link.
  size_t max_connections = profile::kCentralRole ? 16 : 1;
  // How often a resolvable private address is replaced (Core 5.4 Vol 3 Part C
  // 10.7.2 recommends 15 minutes).
  Duration rpa_rotation = Duration(15 * 60 * 1000);
  // Advertising interval, 0.625 ms units (Core 5.4 Vol 4 Part E 7.8.5): 100 ms.
  uint16_t advertising_interval_min = 0x00A0;
  uint16_t advertising_interval_max = 0x00A0;
};

struct ScanConfig {
  bool active = true;          // send scan requests to get scan responses
  uint16_t interval = 0x0060;  // 60 ms, 0.625 ms units
  uint16_t window = 0x0030;    // 30 ms
  bool filter_duplicates = true;
};

struct ConnectConfig {
  // Connection interval 30-50 ms, latency 0, supervision timeout 4 s.
  l2cap::ConnectionParameters parameters{24, 40, 0, 400};
  Duration timeout = Duration(5000);  // then LE_Create_Connection_Cancel
};

}  // namespace sable::gap
