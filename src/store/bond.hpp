// What a bond is: the keys and state kept for a peer after pairing with bonding
// (Core 5.4 Vol 3 Part H 3.6 key distribution), plus our own identity. Plain
// values with no I/O, shared by every BondStore implementation and the codec.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/cccd_entry.hpp"
#include "common/long_term_key.hpp"
#include "sable/address.hpp"
#include "sable/conn_desc.hpp"

namespace sable::store {

using Key128 = std::array<uint8_t, 16>;  // least significant octet first

// One definition each, shared with smp and gatt (src/common).
using LongTermKey = sable::LongTermKey;
using CccdEntry = sable::CccdEntry;

// LE Security Mode 1 levels (Core 5.4 Vol 3 Part C 10.2.1).
enum class SecurityLevel : uint8_t {
  kNoSecurity = 1,                      // no key
  kUnauthenticated = 2,                 // encryption, no MITM protection
  kAuthenticated = 3,                   // encryption with MITM protection
  kAuthenticatedSecureConnections = 4,  // LE SC, MITM, 128-bit key
};
const char* to_string(SecurityLevel level);

struct Bond {
  // The peer's identity address: public, or random static (Vol 6 Part B 1.3).
  // Stored with type kPublic or kRandom; lookups also accept the controller's
  // kPublicIdentity / kRandomIdentity types.
  Address peer_identity;
  std::optional<Key128> peer_irk;  // to resolve the peer's private addresses
  // The key used when we are peripheral (legacy: the one we distributed; LE SC:
  // the one key, used in both roles).
  std::optional<LongTermKey> ltk;
  // Legacy pairing only: the key the peer distributed, used when we are central.
  std::optional<LongTermKey> peer_ltk;
  std::optional<Key128> peer_csrk;  // to verify the peer's signed writes
  // Subscriptions, kept per bond so that they survive reconnections. Sorted by
  // handle, one entry per handle, no zero values (the store normalizes).
  std::vector<CccdEntry> cccds;
  // Monotonic use counter for least-recently-used eviction; the store sets it.
  uint64_t last_used = 0;

  // The level a link encrypted with this bond's key reaches.
  SecurityLevel security_level() const;
  bool secure_connections() const;
  bool authenticated() const;
  uint8_t key_size() const;  // 0 when there is no LTK
  // The key to encrypt with: when we are central, legacy uses peer_ltk and LE SC
  // uses ltk; when we are peripheral, ltk. nullptr when there is none.
  const LongTermKey* ltk_for(Role local_role) const;
  // The CCCD value stored for handle (0 if none); set_cccd(h, 0) removes it.
  uint16_t cccd(uint16_t handle) const;
  void set_cccd(uint16_t handle, uint16_t value);

  friend bool operator==(const Bond&, const Bond&) = default;
};

// Our own identity, generated once and persisted.
struct LocalIdentity {
  Key128 irk{};  // our Identity Resolving Key, distributed to bonded peers

  friend bool operator==(const LocalIdentity&, const LocalIdentity&) = default;
};

// The identity form of an address: kPublicIdentity -> kPublic and
// kRandomIdentity -> kRandom (how HCI reports addresses it resolved).
Address identity_form(const Address& address);
// Public, or random static (two most significant bits 0b11).
bool is_identity_address(const Address& address);

enum class StoreErrorKind : uint8_t {
  kCorrupt,             // the stored data fails a check (length, CRC, field value)
  kUnsupportedVersion,  // written by a format version this build does not read
  kForeign,             // not a sable bond store at all (wrong magic)
  kIo,                  // the OS refused (errno text in the message)
  kFull,                // the store or the device is full
  kNotFound,            // no bond for that identity
  kInvalidArgument,     // the caller gave a value that cannot be stored
  kBusy,                // another process has the store open
};
const char* to_string(StoreErrorKind kind);

struct StoreError {
  StoreErrorKind kind = StoreErrorKind::kIo;
  std::string message;           // one line, says what and where
  std::optional<size_t> offset;  // byte offset in the stored data, for decode errors
  int sys_errno = 0;             // for kIo / kFull from the OS

  // "corrupt: record 2 (bond) at offset 57: LTK key size 3 outside 7..16"
  std::string to_string() const;
};

// Why `bond` cannot be stored, or nullopt when it can (identity address type,
// key sizes, IRK not all zero, Secure Connections keys with EDIV/Rand zero,
// CCCD handles non-zero, values within kNotify | kIndicate, no duplicates).
std::optional<std::string> invalid_reason(const Bond& bond);
std::optional<std::string> invalid_reason(const LocalIdentity& identity);

}  // namespace sable::store
