// Helpers shared by the translation units of smp::Pairing (pairing*.cpp);
// not part of the smp interface.
#pragma once

#include "smp/pairing.hpp"

namespace sable::smp::detail {

// Keys we distribute or accept in phase 3 (3.6.1); LinkKey (CTKD) never.
inline constexpr uint8_t kLeKeys = key_dist::kEncKey | key_dist::kIdKey | key_dist::kSignKey;

inline bool is_passkey(PairingMethod m) {
  return m == PairingMethod::kPasskeyInitiatorDisplays ||
         m == PairingMethod::kPasskeyResponderDisplays || m == PairingMethod::kPasskeyBothInput;
}

// Vol 3 Part H 2.3.4: a key shorter than 16 octets is the generated key with
// its most significant octets zeroed (in wire order: the last ones).
inline Key mask_key(Key k, uint8_t size) {
  for (size_t i = size; i < k.size(); ++i) k[i] = 0;
  return k;
}

// The passkey as a 128-bit value (TK in 2.3.5.3; ra/rb in 2.3.5.6.5), wire order.
inline Key passkey_key(uint32_t passkey) {
  Key k{};
  put_le32(k.data(), passkey);
  return k;
}

// Comparison of confirm/check values without an early exit.
inline bool equal(const Key& a, const Key& b) {
  uint8_t diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= uint8_t(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace sable::smp::detail

namespace sable::smp {

template <size_t N>
std::array<uint8_t, N> Pairing::random_bytes() {
  std::array<uint8_t, N> out{};
  random_.fill(out);
  return out;
}

}  // namespace sable::smp
