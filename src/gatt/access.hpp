// The one attribute permission check (Core 5.4 Vol 3 Part C 10.3.1, Part F 4).
// Every ATT access path of the GATT server goes through check_access.
#pragma once

#include <cstdint>
#include <optional>

#include "att/att.hpp"

namespace sable::gatt {

// What one operation (read or write) on one attribute requires.
struct Permissions {
  bool allowed = false;                  // false: Read/Write Not Permitted
  bool encryption = false;               // an encrypted link
  bool authentication = false;           // an encrypted link with a MITM-protected key
  bool authorization = false;            // the application must authorize (default deny)
  uint8_t min_key_size = 7;              // 7..16 octets; checked when encryption is required
  bool secure_connections_only = false;  // the key must come from LE Secure Connections

  static constexpr Permissions none() { return {}; }
  static constexpr Permissions open() { return {.allowed = true}; }
  static constexpr Permissions encrypted() { return {.allowed = true, .encryption = true}; }
  // Encrypted with a MITM-protected key (the reference characteristic's READ_ENC + MITM policy).
  static constexpr Permissions authenticated() {
    return {.allowed = true, .encryption = true, .authentication = true};
  }
  friend bool operator==(const Permissions&, const Permissions&) = default;
};

// Read and write requirements of one attribute.
struct AccessRules {
  Permissions read{};
  Permissions write{};
};

enum class Op : uint8_t { kRead, kWrite };

// Pure: the ATT error that refuses `op`, or nullopt when it is allowed.
// `authorized` is the application's answer for this access (asked only when
// `perm.authorization` is set and every other requirement is met; see
// check_access_with below). Rules, in order (the NimBLE/Zephyr rule):
//  1. !allowed -> Read/Write Not Permitted.
//  2. encryption, authentication or SC-only required and the link is not
//     encrypted -> Insufficient Encryption if we hold the peer's LTK (it only
//     has to encrypt), else Insufficient Authentication (it must pair first).
//  3. authentication required, link key unauthenticated -> Insufficient Authentication.
//  4. SC-only, link key from legacy pairing -> Insufficient Authentication.
//  5. key size below min_key_size -> Insufficient Encryption Key Size.
//  6. authorization required and not granted -> Insufficient Authorization.
std::optional<att::AttErrorCode> check_access(const Permissions& perm,
                                              const att::LinkSecurity& link, Op op,
                                              bool authorized = false);

// check_access, asking `authorize()` only when it is the last thing missing.
template <class AuthorizeFn>
std::optional<att::AttErrorCode> check_access_with(const Permissions& perm,
                                                   const att::LinkSecurity& link, Op op,
                                                   AuthorizeFn&& authorize) {
  if (auto err = check_access(perm, link, op, /*authorized=*/true)) return err;
  if (!perm.authorization) return std::nullopt;
  return check_access(perm, link, op, authorize());
}

}  // namespace sable::gatt
