// The HCI packet indicator, as used by the H4 UART transport
// (Core 5.4 Vol 4 Part A 2) and by the BTSnoop/H4 capture format.
#pragma once

#include <cstdint>

namespace sable {

enum class HciPacketType : uint8_t {
  kCommand = 0x01,
  kAcl = 0x02,
  kSco = 0x03,
  kEvent = 0x04,
  kIso = 0x05,
};

}  // namespace sable
