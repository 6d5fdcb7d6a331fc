#include "store/bond.hpp"

#include <algorithm>
#include <cstdio>

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

const LongTermKey* any_ltk(const Bond& b) {
  if (b.ltk) return &*b.ltk;
  if (b.peer_ltk) return &*b.peer_ltk;
  return nullptr;
}

SecurityLevel level_of(const LongTermKey& k) {
  if (!k.authenticated) return SecurityLevel::kUnauthenticated;
  if (k.secure_connections && k.key_size == 16)
    return SecurityLevel::kAuthenticatedSecureConnections;
  return SecurityLevel::kAuthenticated;
}

bool all_zero(const Key128& k) {
  return std::all_of(k.begin(), k.end(), [](uint8_t b) { return b == 0; });
}

std::optional<std::string> invalid_ltk(const LongTermKey& k, const char* name) {
  char buf[96];
  if (k.key_size < 7 || k.key_size > 16) {
    std::snprintf(buf, sizeof buf, "%s key size %u outside 7..16", name, unsigned(k.key_size));
    return std::string(buf);
  }
  if (k.secure_connections && (k.ediv != 0 || k.rand != 0)) {
    std::snprintf(buf, sizeof buf, "%s is a Secure Connections key with non-zero EDIV/Rand", name);
    return std::string(buf);
  }
  return std::nullopt;
}

}  // namespace

SecurityLevel Bond::security_level() const {
  SecurityLevel level = SecurityLevel::kNoSecurity;
  for (const auto* k : {ltk ? &*ltk : nullptr, peer_ltk ? &*peer_ltk : nullptr}) {
    if (k && level_of(*k) > level) level = level_of(*k);
  }
  return level;
}

bool Bond::secure_connections() const {
  const LongTermKey* k = any_ltk(*this);
  return k && k->secure_connections;
}

bool Bond::authenticated() const {
  const LongTermKey* k = any_ltk(*this);
  return k && k->authenticated;
}

uint8_t Bond::key_size() const {
  const LongTermKey* k = any_ltk(*this);
  return k ? k->key_size : 0;
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

void Bond::set_cccd(uint16_t handle, uint16_t value) {
  auto it = std::lower_bound(cccds.begin(), cccds.end(), handle,
                             [](const CccdEntry& c, uint16_t h) { return c.handle < h; });
  if (it != cccds.end() && it->handle == handle) {
    if (value == 0) {
      cccds.erase(it);
    } else {
      it->value = value;
    }
  } else if (value != 0) {
    cccds.insert(it, CccdEntry{handle, value});
  }
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

std::string StoreError::to_string() const {
  return std::string(store::to_string(kind)) + ": " + message;
}

std::optional<std::string> invalid_reason(const Bond& bond) {
  if (!is_identity_address(bond.peer_identity)) {
    return "peer identity " + bond.peer_identity.to_string() +
           " is neither public nor random static";
  }
  if (bond.peer_irk && all_zero(*bond.peer_irk)) {
    return std::string("peer IRK is all zeros (a peer without an IRK has none: leave it empty)");
  }
  if (bond.ltk) {
    if (auto r = invalid_ltk(*bond.ltk, "LTK")) return r;
  }
  if (bond.peer_ltk) {
    if (auto r = invalid_ltk(*bond.peer_ltk, "peer LTK")) return r;
  }
  uint32_t previous = 0;
  for (size_t i = 0; i < bond.cccds.size(); ++i) {
    const CccdEntry& c = bond.cccds[i];
    char buf[96];
    if (c.handle == 0) {
      std::snprintf(buf, sizeof buf, "CCCD %zu has handle 0x0000", i);
      return std::string(buf);
    }
    if (c.value == 0 || (c.value & ~(CccdEntry::kNotify | CccdEntry::kIndicate)) != 0) {
      std::snprintf(buf, sizeof buf, "CCCD 0x%04X has value 0x%04X (expected 1, 2 or 3)",
                    unsigned(c.handle), unsigned(c.value));
      return std::string(buf);
    }
    if (c.handle <= previous) {
      std::snprintf(buf, sizeof buf, "CCCD 0x%04X is duplicated or out of order",
                    unsigned(c.handle));
      return std::string(buf);
    }
    previous = c.handle;
  }
  return std::nullopt;
}

std::optional<std::string> invalid_reason(const LocalIdentity& identity) {
  if (all_zero(identity.irk)) return std::string("local IRK is all zeros");
  return std::nullopt;
}

}  // namespace sable::store
