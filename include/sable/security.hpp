// Security settings, named as esp32-nimble users know them:
//   device.security().set_auth(AuthReq::all()).set_passkey(123456)
//         .set_io_cap(IoCap::DisplayOnly).resolve_rpa();
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "sable/conn_desc.hpp"
#include "sable/error.hpp"

namespace sable {

// Core 5.4 Vol 3 Part H 3.5.1: the AuthReq octet of Pairing Request/Response.
class AuthReq {
 public:
  static constexpr uint8_t kBond = 0x01;
  static constexpr uint8_t kMitm = 0x04;
  static constexpr uint8_t kSc = 0x08;
  static constexpr uint8_t kKeypress = 0x10;

  constexpr AuthReq() = default;
  constexpr explicit AuthReq(uint8_t bits) : bits_(bits) {}
  static constexpr AuthReq all() { return AuthReq(kBond | kMitm | kSc | kKeypress); }
  static constexpr AuthReq bond() { return AuthReq(kBond); }
  static constexpr AuthReq mitm() { return AuthReq(kMitm); }
  static constexpr AuthReq sc() { return AuthReq(kSc); }
  constexpr AuthReq operator|(AuthReq o) const { return AuthReq(uint8_t(bits_ | o.bits_)); }
  constexpr bool has(uint8_t flag) const { return (bits_ & flag) != 0; }
  constexpr uint8_t bits() const { return bits_; }

 private:
  uint8_t bits_ = 0;
};

// Core 5.4 Vol 3 Part H 3.5.1, IO Capability.
enum class IoCap : uint8_t {
  DisplayOnly = 0x00,
  DisplayYesNo = 0x01,
  KeyboardOnly = 0x02,
  NoInputNoOutput = 0x03,
  KeyboardDisplay = 0x04,
};

struct SecurityConfig {
  AuthReq auth = AuthReq::bond();
  IoCap io_cap = IoCap::NoInputNoOutput;
  std::optional<uint32_t> static_passkey;  // nullopt: a fresh random passkey per pairing
  bool resolvable_private_address = false;
  uint8_t min_key_size = 16;
  bool secure_connections_only = true;
  // Accept a peer using the specification's debug key pair (Core 5.4 Vol 3
  // Part H 2.3.5.6.1): for sniffing in development only; such links are never
  // marked authenticated or bonded.
  bool allow_debug_keys = false;
};

class Security {
 public:
  virtual ~Security() = default;
  virtual Security& set_auth(AuthReq auth) = 0;
  // A static passkey works as in the tutorial; the Core specification requires a
  // fresh random passkey for each pairing (Vol 3 Part H 2.3.5.1), so prefer
  // set_random_passkey().
  virtual Security& set_passkey(uint32_t passkey) = 0;
  virtual Security& set_random_passkey() = 0;
  virtual Security& set_io_cap(IoCap io_cap) = 0;
  // Use a resolvable private address; the identity is given to bonded peers.
  virtual Security& resolve_rpa() = 0;
  virtual Security& set_min_key_size(uint8_t octets) = 0;
  // Accept LE legacy pairing from old peers (off by default: legacy pairing
  // cannot protect a passkey from a passive listener).
  virtual Security& allow_legacy_pairing(bool allow) = 0;
  // Debug mode: accept a peer's debug key (see SecurityConfig::allow_debug_keys).
  virtual Security& allow_debug_keys(bool allow) = 0;
  virtual SecurityConfig config() const = 0;

  // Pairing callbacks. They run on a helper thread (they may block, e.g. to
  // prompt a person), except on_pairing_complete/failed, which run on the
  // stack's thread.
  // Show this passkey to the person at the other device.
  virtual Security& on_passkey_display(std::function<void(const ConnDesc&, uint32_t)> fn) = 0;
  // Ask for the passkey the other device shows; nullopt refuses the pairing.
  virtual Security& on_passkey_request(
      std::function<std::optional<uint32_t>(const ConnDesc&)> fn) = 0;
  // Both devices show this 6-digit value; return true if they match.
  virtual Security& on_numeric_comparison(std::function<bool(const ConnDesc&, uint32_t)> fn) = 0;
  virtual Security& on_pairing_complete(std::function<void(const ConnDesc&)> fn) = 0;
  virtual Security& on_pairing_failed(std::function<void(const ConnDesc&, const Error&)> fn) = 0;
};

}  // namespace sable
