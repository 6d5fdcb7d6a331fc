// One Client Characteristic Configuration descriptor value a client wrote: the
// GATT server holds them per link and the bond store keeps them per bonded
// client across connections (Core 5.4 Vol 3 Part G 3.3.3.3). Defined once
// here, the lowest layer both depend on.
#pragma once

#include <cstdint>

namespace sable {

struct CccdEntry {
  // The configuration bits (Vol 3 Part G 3.3.3.3).
  static constexpr uint16_t kNotify = 0x0001;
  static constexpr uint16_t kIndicate = 0x0002;
  uint16_t handle = 0;  // the CCCD's attribute handle (not the value handle)
  uint16_t value = 0;   // kNotify | kIndicate; a kept entry is never 0

  friend bool operator==(const CccdEntry&, const CccdEntry&) = default;
};

}  // namespace sable
