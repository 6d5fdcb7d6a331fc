#include "store/bond_store.hpp"

#include <algorithm>

#include "common/log.hpp"

namespace sable::store {

namespace {

StoreError error(StoreErrorKind kind, std::string message) {
  StoreError e;
  e.kind = kind;
  e.message = std::move(message);
  return e;
}

StoreError not_found(const Address& identity) {
  return error(StoreErrorKind::kNotFound, "no bond with " + identity.to_string());
}

// Sorted by handle, zero values dropped; duplicates stay for invalid_reason().
std::vector<CccdEntry> normalized(std::span<const CccdEntry> cccds) {
  std::vector<CccdEntry> out;
  out.reserve(cccds.size());
  for (const auto& c : cccds)
    if (c.value != 0) out.push_back(c);
  std::stable_sort(out.begin(), out.end(),
                   [](const CccdEntry& a, const CccdEntry& b) { return a.handle < b.handle; });
  return out;
}

std::vector<Bond>::iterator find_in(std::vector<Bond>& bonds, const Address& identity) {
  const Address id = identity_form(identity);
  return std::find_if(bonds.begin(), bonds.end(),
                      [&](const Bond& b) { return b.peer_identity == id; });
}

std::vector<Bond>::iterator least_recently_used(std::vector<Bond>& bonds) {
  return std::min_element(bonds.begin(), bonds.end(),
                          [](const Bond& a, const Bond& b) { return a.last_used < b.last_used; });
}

}  // namespace

std::optional<Bond> BondStore::find_by_rpa(const std::array<uint8_t, 6>& rpa,
                                           const RpaResolver& resolves) const {
  if ((rpa[5] >> 6) != 0b01 || !resolves) return std::nullopt;
  for (auto& b : all()) {
    if (b.peer_irk && resolves(*b.peer_irk, rpa)) return b;
  }
  return std::nullopt;
}

Result<void, StoreError> BondStore::set_cccd(const Address& identity, uint16_t handle,
                                             uint16_t value) {
  auto bond = find_by_identity(identity);
  if (!bond) return fail(not_found(identity));
  bond->set_cccd(handle, value);
  return update_cccds(identity, bond->cccds);
}

MemoryBondStore::MemoryBondStore(StoreOptions options) : options_(std::move(options)) {
  options_.capacity = std::clamp<size_t>(options_.capacity, 1, kMaxBonds);
}

Result<void, StoreError> MemoryBondStore::apply(BondFile next, uint64_t next_counter,
                                                std::optional<Bond> evicted) {
  if (auto r = commit(next); !r) return r;
  state_ = std::move(next);
  counter_ = next_counter;
  if (evicted) notify_evicted({*evicted});
  return {};
}

Result<void, StoreError> MemoryBondStore::put(const Bond& bond) {
  Bond b = bond;
  b.peer_identity = identity_form(bond.peer_identity);
  b.cccds = normalized(bond.cccds);
  if (auto r = invalid_reason(b)) {
    return fail(
        error(StoreErrorKind::kInvalidArgument, "bond " + b.peer_identity.to_string() + ": " + *r));
  }
  if (b.cccds.size() > kMaxCccdsPerBond) {
    return fail(error(StoreErrorKind::kInvalidArgument,
                      "bond " + b.peer_identity.to_string() + ": more than " +
                          std::to_string(kMaxCccdsPerBond) + " CCCDs"));
  }
  b.last_used = counter_ + 1;
  BondFile next = state_;
  std::optional<Bond> evicted;
  if (auto it = find_in(next.bonds, b.peer_identity); it != next.bonds.end()) {
    *it = std::move(b);
  } else {
    if (next.bonds.size() >= options_.capacity) {
      if (!options_.evict_when_full) {
        return fail(error(StoreErrorKind::kFull, "no room for " + b.peer_identity.to_string() +
                                                     ": the store holds " +
                                                     std::to_string(options_.capacity) + " bonds"));
      }
      auto lru = least_recently_used(next.bonds);
      evicted = std::move(*lru);
      next.bonds.erase(lru);
    }
    next.bonds.push_back(std::move(b));
  }
  return apply(std::move(next), counter_ + 1, std::move(evicted));
}

std::optional<Bond> MemoryBondStore::find_by_identity(const Address& identity) const {
  const Address id = identity_form(identity);
  for (const auto& b : state_.bonds)
    if (b.peer_identity == id) return b;
  return std::nullopt;
}

std::vector<Bond> MemoryBondStore::all() const {
  std::vector<Bond> out = state_.bonds;
  std::sort(out.begin(), out.end(),
            [](const Bond& a, const Bond& b) { return a.last_used > b.last_used; });
  return out;
}

Result<void, StoreError> MemoryBondStore::remove(const Address& identity) {
  BondFile next = state_;
  auto it = find_in(next.bonds, identity);
  if (it == next.bonds.end()) return fail(not_found(identity));
  next.bonds.erase(it);
  return apply(std::move(next), counter_, std::nullopt);
}

Result<void, StoreError> MemoryBondStore::clear() {
  BondFile next = state_;
  next.bonds.clear();
  return apply(std::move(next), counter_, std::nullopt);
}

Result<void, StoreError> MemoryBondStore::touch(const Address& identity) {
  BondFile next = state_;
  auto it = find_in(next.bonds, identity);
  if (it == next.bonds.end()) return fail(not_found(identity));
  it->last_used = counter_ + 1;
  return apply(std::move(next), counter_ + 1, std::nullopt);
}

Result<void, StoreError> MemoryBondStore::update_cccds(const Address& identity,
                                                       std::span<const CccdEntry> cccds) {
  BondFile next = state_;
  auto it = find_in(next.bonds, identity);
  if (it == next.bonds.end()) return fail(not_found(identity));
  it->cccds = normalized(cccds);
  if (auto r = invalid_reason(*it)) {
    return fail(error(StoreErrorKind::kInvalidArgument,
                      "bond " + it->peer_identity.to_string() + ": " + *r));
  }
  if (it->cccds.size() > kMaxCccdsPerBond) {
    return fail(error(StoreErrorKind::kInvalidArgument,
                      "more than " + std::to_string(kMaxCccdsPerBond) + " CCCDs"));
  }
  return apply(std::move(next), counter_, std::nullopt);
}

Result<void, StoreError> MemoryBondStore::set_local_identity(const LocalIdentity& identity) {
  if (auto r = invalid_reason(identity)) {
    return fail(error(StoreErrorKind::kInvalidArgument, *r));
  }
  BondFile next = state_;
  next.local_identity = identity;
  return apply(std::move(next), counter_, std::nullopt);
}

std::vector<Bond> MemoryBondStore::load(BondFile file) {
  std::vector<Bond> evicted;
  while (file.bonds.size() > options_.capacity) {
    auto lru = least_recently_used(file.bonds);
    evicted.push_back(std::move(*lru));
    file.bonds.erase(lru);
  }
  counter_ = 0;
  for (const auto& b : file.bonds) counter_ = std::max(counter_, b.last_used);
  for (const auto& b : evicted) counter_ = std::max(counter_, b.last_used);
  state_ = std::move(file);
  return evicted;
}

void MemoryBondStore::notify_evicted(const std::vector<Bond>& evicted) const {
  for (const auto& b : evicted) {
    SABLE_LOG_INFO("bond store: evicted the least recently used bond %s",
                   b.peer_identity.to_string().c_str());
    if (options_.on_evicted) options_.on_evicted(b);
  }
}

}  // namespace sable::store
