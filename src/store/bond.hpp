// What a bond is: the keys and state kept for a peer after pairing with bonding
// (Core 5.4 Vol 3 Part H 3.6 key distribution), plus our own identity. Plain
// values with no I/O, shared by every BondStore implementation and the codec.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>

#include "common/cccd_entry.hpp"
#include "common/long_term_key.hpp"
#include "sable/address.hpp"
#include "sable/conn_desc.hpp"
#include "store/limits.hpp"

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

// A bond's CCCD values in a fixed array (kMaxCccdsPerBond, no allocation).
// Giving it more entries than fit keeps the first ones and marks the list
// overflowed, which invalid_reason() reports (the store refuses such a bond
// rather than silently forget a subscription).
class CccdList {
 public:
  CccdList() = default;
  CccdList(std::initializer_list<CccdEntry> entries) {
    assign(std::span<const CccdEntry>(entries.begin(), entries.size()));
  }

  // Replaces the entries as given (put() sorts them and drops zero values);
  // false when they do not all fit.
  bool assign(std::span<const CccdEntry> entries);
  // Keeps the list sorted by handle: sets or adds the value, 0 removes it;
  // false when a new handle does not fit.
  bool set(uint16_t handle, uint16_t value);
  // Drops zero values and sorts by handle (stable: duplicates stay in order).
  void normalize();
  // Appends e when there is room (the list is not marked overflowed when
  // not: decoding keeps the first entries, codec.hpp); the caller keeps the
  // handles ascending. False when full.
  bool push_back(const CccdEntry& e) {
    if (size_ == entries_.size()) return false;
    entries_[size_++] = e;
    return true;
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  bool overflowed() const { return overflowed_; }
  const CccdEntry* begin() const { return entries_.data(); }
  const CccdEntry* end() const { return entries_.data() + size_; }
  const CccdEntry& operator[](size_t i) const { return entries_[i]; }
  operator std::span<const CccdEntry>() const { return {begin(), size_}; }
  static constexpr size_t capacity() { return kMaxCccdsPerBond; }

  friend bool operator==(const CccdList& a, const CccdList& b);

 private:
  std::array<CccdEntry, kMaxCccdsPerBond> entries_{};
  uint16_t size_ = 0;
  bool overflowed_ = false;
};

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
  CccdList cccds;
  // Monotonic use counter for least-recently-used eviction; the store sets it.
  uint64_t last_used = 0;

  // The level a link encrypted with this bond's key reaches.
  SecurityLevel security_level() const;
  // Of the key a bond has (ltk, else peer_ltk): inline, so that a caller
  // asking all three looks the key up once.
  bool secure_connections() const {
    const LongTermKey* k = any_ltk();
    return k && k->secure_connections;
  }
  bool authenticated() const {
    const LongTermKey* k = any_ltk();
    return k && k->authenticated;
  }
  uint8_t key_size() const {  // 0 when there is no LTK
    const LongTermKey* k = any_ltk();
    return k ? k->key_size : 0;
  }
  const LongTermKey* any_ltk() const { return ltk ? &*ltk : peer_ltk ? &*peer_ltk : nullptr; }
  // The key to encrypt with: when we are central, legacy uses peer_ltk and LE SC
  // uses ltk; when we are peripheral, ltk. nullptr when there is none.
  const LongTermKey* ltk_for(Role local_role) const;
  // The CCCD value stored for handle (0 if none); set_cccd(h, 0) removes it
  // (false when a new handle does not fit: the list is then overflowed).
  uint16_t cccd(uint16_t handle) const;
  bool set_cccd(uint16_t handle, uint16_t value);

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
  kIo,                  // the OS refused (sys_errno says why)
  kFull,                // the store or the device is full
  kNotFound,            // no bond for that identity
  kInvalidArgument,     // the caller gave a value that cannot be stored
  kBusy,                // another process has the store open
};
const char* to_string(StoreErrorKind kind);

// An error as values only (no allocation): what went wrong, a static reason,
// where in the stored data, and the OS's errno.
struct StoreError {
  StoreErrorKind kind = StoreErrorKind::kIo;
  const char* reason = "";       // static text, one line
  std::optional<size_t> offset;  // byte offset in the stored data, for decode errors
  int sys_errno = 0;             // for kIo / kFull from the OS
  const char* detail = nullptr;  // static text for sys_errno, if known

  // "corrupt: LTK key size outside 7..16 (offset 57)", then ": <detail>".
  // For messages (allocates).
  std::string to_string() const;
  // The same text into out, snprintf-style (at most size - 1 characters and
  // a NUL); returns the whole text's length. No allocation.
  size_t format_to(char* out, size_t size) const;
};

// Why `bond` cannot be stored, or nullptr when it can (identity address type,
// key sizes, IRK not all zero, Secure Connections keys with EDIV/Rand zero,
// CCCD handles non-zero, values within kNotify | kIndicate, no duplicates, no
// more CCCDs than a bond holds). A static string.
const char* invalid_reason(const Bond& bond);
const char* invalid_reason(const LocalIdentity& identity);
// Why one CCCD entry that follows one with previous_handle (0 for the first)
// cannot be stored, or nullptr: the per-entry part of invalid_reason(Bond).
const char* invalid_cccd(const CccdEntry& c, uint32_t previous_handle);

}  // namespace sable::store
