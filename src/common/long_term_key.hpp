// The Long Term Key a pairing produces and a bond keeps (Core 5.4 Vol 3 Part H
// 2.4.1, 3.6.2): SMP builds it, the bond store persists it, gap encrypts with
// it. Defined once here, the lowest layer all three depend on.
#pragma once

#include <array>
#include <cstdint>

namespace sable {

// An LTK with the properties of the pairing that produced it.
struct LongTermKey {
  // Least significant octet first, as in HCI_LE_Enable_Encryption.
  std::array<uint8_t, 16> key{};
  // EDIV and Rand identify a legacy LTK in Central Identification (Vol 3 Part H
  // 3.6.2); both are 0 for LE Secure Connections (2.4.4.2).
  uint16_t ediv = 0;
  uint64_t rand = 0;
  uint8_t key_size = 16;            // negotiated encryption key size, 7..16 octets
  bool authenticated = false;       // MITM protection (passkey, numeric comparison, OOB)
  bool secure_connections = false;  // LE Secure Connections (else LE legacy pairing)

  friend bool operator==(const LongTermKey&, const LongTermKey&) = default;
};

}  // namespace sable
