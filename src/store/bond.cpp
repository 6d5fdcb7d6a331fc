#include "store/bond.hpp"

#include "common/format.hpp"

namespace sable::store {

const char* to_string(SecurityLevel level) {
  switch (level) {
    case SecurityLevel::kNoSecurity:
      return "no security";
    case SecurityLevel::kUnauthenticated:
      return "unauthenticated encryption";
    case SecurityLevel::kAuthenticated:
      return "authenticated encryption";
    case SecurityLevel::kAuthenticatedSecureConnections:
      return "authenticated LE Secure Connections";
  }
  return "?";
}

namespace {

SecurityLevel level_of(const LongTermKey& k) {
  if (!k.authenticated) return SecurityLevel::kUnauthenticated;
  if (k.secure_connections && k.key_size == 16)
    return SecurityLevel::kAuthenticatedSecureConnections;
  return SecurityLevel::kAuthenticated;
}

bool all_zero(const Key128& k) {
  for (uint8_t b : k)
    if (b != 0) return false;
  return true;
}

// peer: the key the peer distributed (the message names which key is bad).
[[gnu::noinline]] const char* invalid_ltk(const LongTermKey& k, bool peer) {
  // One text for both keys: ours is the peer's without "peer ".
  const char* reason = nullptr;
  if (k.key_size < 7 || k.key_size > 16) reason = "peer LTK key size not 7..16";
  // Core 5.4 Vol 3 Part H 2.4.4.2: LE Secure Connections keys have EDIV = Rand = 0.
  else if (k.secure_connections && (k.ediv != 0 || k.rand != 0))
    reason = "peer LTK: LE SC key with EDIV/Rand";
  return reason && !peer ? reason + 5 : reason;
}

}  // namespace

SecurityLevel Bond::security_level() const {
  SecurityLevel level = SecurityLevel::kNoSecurity;
  for (const auto* k : {ltk ? &*ltk : nullptr, peer_ltk ? &*peer_ltk : nullptr}) {
    if (k && level_of(*k) > level) level = level_of(*k);
  }
  return level;
}

const LongTermKey* Bond::ltk_for(Role local_role) const {
  if (local_role == Role::kPeripheral) return ltk ? &*ltk : nullptr;
  if (ltk && ltk->secure_connections) return &*ltk;
  return peer_ltk ? &*peer_ltk : nullptr;
}

uint16_t Bond::cccd(uint16_t handle) const {
  for (const auto& c : cccds)
    if (c.handle == handle) return c.value;
  return 0;
}

bool Bond::set_cccd(uint16_t handle, uint16_t value) {
  return cccds.set(handle, value);
}

bool CccdList::assign(std::span<const CccdEntry> entries) {
  overflowed_ = entries.size() > entries_.size();
  size_ = uint16_t(overflowed_ ? entries_.size() : entries.size());
  for (size_t i = 0; i < size_; ++i) entries_[i] = entries[i];
  return !overflowed_;
}

bool CccdList::set(uint16_t handle, uint16_t value) {
  size_t i = 0;
  while (i < size_ && entries_[i].handle < handle) ++i;
  if (i < size_ && entries_[i].handle == handle) {
    if (value != 0) {
      entries_[i].value = value;
      return true;
    }
    for (; i + 1 < size_; ++i) entries_[i] = entries_[i + 1];
    --size_;
    return true;
  }
  if (value == 0) return true;
  if (size_ == entries_.size()) {
    overflowed_ = true;
    return false;
  }
  for (size_t j = size_; j > i; --j) entries_[j] = entries_[j - 1];
  entries_[i] = CccdEntry{handle, value};
  ++size_;
  return true;
}

void CccdList::normalize() {
  size_t kept = 0;
  for (size_t i = 0; i < size_; ++i)
    if (entries_[i].value != 0) entries_[kept++] = entries_[i];
  size_ = uint16_t(kept);
  // Insertion sort: short lists, stable, no library sort instantiated.
  for (size_t i = 1; i < size_; ++i) {
    const CccdEntry e = entries_[i];
    size_t j = i;
    for (; j > 0 && entries_[j - 1].handle > e.handle; --j) entries_[j] = entries_[j - 1];
    entries_[j] = e;
  }
}

bool operator==(const CccdList& a, const CccdList& b) {
  if (a.size_ != b.size_ || a.overflowed_ != b.overflowed_) return false;
  for (size_t i = 0; i < a.size_; ++i)
    if (!(a.entries_[i] == b.entries_[i])) return false;
  return true;
}

Address identity_form(const Address& address) {
  Address a = address;
  if (a.type == AddressType::kPublicIdentity) a.type = AddressType::kPublic;
  if (a.type == AddressType::kRandomIdentity) a.type = AddressType::kRandom;
  return a;
}

bool is_identity_address(const Address& address) {
  Address a = identity_form(address);
  if (a.type == AddressType::kPublic) return true;
  return a.type == AddressType::kRandom && a.is_static_random();
}

const char* to_string(StoreErrorKind kind) {
  switch (kind) {
    case StoreErrorKind::kCorrupt:
      return "corrupt";
    case StoreErrorKind::kUnsupportedVersion:
      return "unsupported version";
    case StoreErrorKind::kForeign:
      return "not a bond store";
    case StoreErrorKind::kIo:
      return "I/O error";
    case StoreErrorKind::kFull:
      return "full";
    case StoreErrorKind::kNotFound:
      return "not found";
    case StoreErrorKind::kInvalidArgument:
      return "invalid argument";
    case StoreErrorKind::kBusy:
      return "busy";
  }
  return "?";
}

size_t StoreError::format_to(char* out, size_t size) const {
  // One call: the parts that are absent print as empty text (an absent
  // offset as 0 with precision 0: no digits).
  return format(out, size, offset ? "%s: %s (offset %zu)%s%s" : "%s: %s%.0zu%s%s",
                store::to_string(kind), reason, offset.value_or(0), detail ? ": " : "",
                detail ? detail : "");
}

std::string StoreError::to_string() const {
  char buf[160];
  format_to(buf, sizeof buf);
  return string_of(buf);
}

const char* invalid_reason(const Bond& bond) {
  if (!is_identity_address(bond.peer_identity)) return "peer identity not public or static";
  if (bond.peer_irk && all_zero(*bond.peer_irk)) return "peer IRK all zeros";
  if (bond.ltk) {
    if (const char* r = invalid_ltk(*bond.ltk, false)) return r;
  }
  if (bond.peer_ltk) {
    if (const char* r = invalid_ltk(*bond.peer_ltk, true)) return r;
  }
  if (bond.cccds.overflowed()) return "too many CCCDs";
  uint32_t previous = 0;
  for (const CccdEntry& c : bond.cccds) {
    if (const char* r = invalid_cccd(c, previous)) return r;
    previous = c.handle;
  }
  return nullptr;
}

const char* invalid_cccd(const CccdEntry& c, uint32_t previous_handle) {
  if (c.handle == 0) return "CCCD handle 0";
  // Core 5.4 Vol 3 Part G 3.3.3.3: only the notification and indication bits.
  if (c.value == 0 || (c.value & ~(CccdEntry::kNotify | CccdEntry::kIndicate)) != 0)
    return "CCCD value not 1, 2 or 3";
  if (c.handle <= previous_handle) return "CCCD handles not ascending";
  return nullptr;
}

const char* invalid_reason(const LocalIdentity& identity) {
  return all_zero(identity.irk) ? "local IRK all zeros" : nullptr;
}

}  // namespace sable::store
