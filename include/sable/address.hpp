// A Bluetooth device address: 48 bits plus its type (Core 5.4 Vol 6 Part B 1.3).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sable/fixed_text.hpp"

namespace sable {

enum class AddressType : uint8_t {
  kPublic = 0x00,
  kRandom = 0x01,
  kPublicIdentity = 0x02,  // resolved by the controller (HCI only)
  kRandomIdentity = 0x03,
};

struct Address {
  // Least significant octet first, as on the wire and in HCI.
  std::array<uint8_t, 6> bytes{};
  AddressType type = AddressType::kPublic;

  bool is_random() const {
    return type == AddressType::kRandom || type == AddressType::kRandomIdentity;
  }
  // Core 5.4 Vol 6 Part B 1.3.2: the two most significant bits give the random address kind.
  bool is_resolvable_private() const { return is_random() && (bytes[5] >> 6) == 0b01; }
  bool is_static_random() const { return is_random() && (bytes[5] >> 6) == 0b11; }

  // "AA:BB:CC:DD:EE:FF" (most significant octet first, as people write it).
  std::string to_string() const;
  FixedText<18> text() const;  // the same as to_string(), without the heap
  // Parses "AA:BB:CC:DD:EE:FF"; the type is given separately.
  static std::optional<Address> parse(std::string_view text,
                                      AddressType type = AddressType::kPublic);

  friend bool operator==(const Address&, const Address&) = default;
};

}  // namespace sable
