// Connection parameters as the host's procedures move them between layers:
// the L2CAP signaling form (Core 5.4 Vol 3 Part A 4.20) and the HCI command
// form (Vol 4 Part E 7.8.18, 7.8.31). One conversion, used by every path.
#pragma once

#include "hci/commands.hpp"
#include "l2cap/pdu.hpp"

namespace sable::gap {

inline hci::ConnectionParameters to_hci(const l2cap::ConnectionParameters& p) {
  hci::ConnectionParameters cp;
  cp.interval_min = p.interval_min;
  cp.interval_max = p.interval_max;
  cp.max_latency = p.peripheral_latency;
  cp.supervision_timeout = p.supervision_timeout;
  return cp;
}

}  // namespace sable::gap
