#include "store/bond_store.hpp"

#include <cstring>
#include <type_traits>
#include <utility>

#include "common/log.hpp"

namespace sable::store {

namespace {

// One place builds the error results (small code on an MCU).
[[gnu::noinline]] Result<void, StoreError> failed(StoreErrorKind kind, const char* reason) {
  Unexpected<StoreError> e;  // filled in place: no copies of the error
  e.error.kind = kind;
  e.error.reason = reason;
  return e;
}

Result<void, StoreError> not_found() {
  return failed(StoreErrorKind::kNotFound, "no such bond");
}

}  // namespace

std::optional<Bond> BondStore::find_by_rpa(const std::array<uint8_t, 6>& rpa,
                                           RpaResolver resolves) const {
  // Core 5.4 Vol 6 Part B 1.3.2.2: a resolvable private address has 0b01 on top.
  if ((rpa[5] >> 6) != 0b01 || !resolves) return std::nullopt;
  const Bond* best = nullptr;  // copied once, at the end
  for (size_t i = 0; i < count_; ++i) {
    const Bond& b = bonds_[i];
    if (!b.peer_irk || (best && b.last_used < best->last_used)) continue;
    if (resolves(*b.peer_irk, rpa)) best = &b;
  }
  if (!best) return std::nullopt;
  return *best;
}

std::vector<Bond> BondStore::all() const {
  std::vector<Bond> out;
  out.reserve(size());
  for_each([&](const Bond& b) { out.push_back(b); });
  // Most recently used first; insertion sort keeps the library's sort out of
  // the firmware (a listing, not a hot path).
  for (size_t i = 1; i < out.size(); ++i) {
    for (size_t j = i; j > 0 && out[j - 1].last_used < out[j].last_used; --j)
      std::swap(out[j - 1], out[j]);
  }
  return out;
}

Result<void, StoreError> BondStore::set_cccd(const Address& identity, uint16_t handle,
                                             uint16_t value) {
  auto bond = find_by_identity(identity);
  if (!bond) return not_found();
  if (!bond->set_cccd(handle, value))
    return failed(StoreErrorKind::kInvalidArgument, "too many CCCDs");
  return update_cccds(identity, bond->cccds);
}

BondStore::BondStore(StoreOptions options) : options_(options) {
  if (options_.capacity < 1) options_.capacity = 1;
  if (options_.capacity > kMaxBonds) options_.capacity = kMaxBonds;
}

size_t BondStore::index_of(const Address& identity) const {
  const Address id = identity_form(identity);
  size_t i = 0;
  while (i < count_ && !(bonds_[i].peer_identity == id)) ++i;
  return i;  // count_ when there is none
}

Bond* BondStore::find_slot(const Address& identity) {
  const size_t i = index_of(identity);
  return i < count_ ? &bonds_[i] : nullptr;
}

size_t BondStore::least_recently_used() const {
  size_t lru = 0;
  for (size_t i = 1; i < count_; ++i)
    if (bonds_[i].last_used < bonds_[lru].last_used) lru = i;
  return lru;
}

void BondStore::evicted(const Bond& bond) const {
  const auto& a = bond.peer_identity.bytes;  // most significant octet last
  SABLE_LOG_INFO("bond store: evicted the least recently used bond %02X:%02X:%02X:%02X:%02X:%02X",
                 a[5], a[4], a[3], a[2], a[1], a[0]);
  if (options_.on_evicted) options_.on_evicted(bond);
}

BondFileView BondStore::state() const {
  return BondFileView(local_identity_ ? &*local_identity_ : nullptr,
                      std::span<const Bond>(bonds_.data(), count_));
}

BondFile BondStore::snapshot() const {
  BondFile f;
  f.local_identity = local_identity_;
  f.bonds.assign(bonds_.begin(), bonds_.begin() + long(count_));
  return f;
}

// Every change below is made in place, committed, and undone if the commit
// fails: no copy of the whole state, nothing allocated.

namespace {

// Bonds are plain values: one copy routine instead of member-wise copies
// inlined at every use (the same bytes as the assignment).
static_assert(std::is_trivially_copyable_v<Bond>);
[[gnu::noinline]] void copy_bond(Bond& to, const Bond& from) {
  std::memmove(&to, &from, sizeof(Bond));
}

}  // namespace

void BondStore::save(Undo& undo, Bond* slot) const {
  undo.slot = slot;
  copy_bond(undo.bond, *slot);
  undo.count = count_;
  undo.counter = counter_;
  undo.local_identity = local_identity_;
}

Result<void, StoreError> BondStore::commit_or_undo(const Undo& undo, const char* invalid) {
  auto r = invalid ? failed(StoreErrorKind::kInvalidArgument, invalid) : commit(state());
  if (!r) {
    copy_bond(*undo.slot, undo.bond);
    count_ = undo.count;
    counter_ = undo.counter;
    local_identity_ = undo.local_identity;
  }
  return r;
}

Result<void, StoreError> BondStore::put(const Bond& bond) {
  Bond b = bond;  // a copy of its octets: nothing initialized first
  b.peer_identity = identity_form(bond.peer_identity);
  b.cccds.normalize();
  if (const char* r = invalid_reason(b)) return failed(StoreErrorKind::kInvalidArgument, r);
  Bond* slot = find_slot(b.peer_identity);
  const bool evicting = !slot && count_ == options_.capacity;
  if (evicting && !options_.evict_when_full) return failed(StoreErrorKind::kFull, "store full");
  if (!slot) slot = &bonds_[evicting ? least_recently_used() : count_];
  Undo undo;
  save(undo, slot);
  if (slot == bonds_.data() + count_) ++count_;  // a new bond in a free slot
  b.last_used = ++counter_;
  copy_bond(*slot, b);
  auto r = commit_or_undo(undo);
  if (r && evicting) evicted(undo.bond);
  return r;
}

std::optional<Bond> BondStore::find_by_identity(const Address& identity) const {
  const size_t i = index_of(identity);
  if (i == count_) return std::nullopt;
  return bonds_[i];
}

void BondStore::for_each(BondVisitor visit) const {
  for (size_t i = 0; i < count_; ++i) visit(bonds_[i]);
}

Result<void, StoreError> BondStore::remove(const Address& identity) {
  Bond* slot = find_slot(identity);
  if (!slot) return not_found();
  Undo undo;
  save(undo, slot);
  copy_bond(*slot, bonds_[--count_]);  // the last bond fills the gap
  return commit_or_undo(undo);
}

Result<void, StoreError> BondStore::clear() {
  Undo undo;
  save(undo, bonds_.data());
  count_ = 0;
  return commit_or_undo(undo);
}

Result<void, StoreError> BondStore::touch(const Address& identity) {
  Bond* slot = find_slot(identity);
  if (!slot) return not_found();
  Undo undo;
  save(undo, slot);
  slot->last_used = ++counter_;
  return commit_or_undo(undo);
}

Result<void, StoreError> BondStore::update_cccds(const Address& identity,
                                                 std::span<const CccdEntry> cccds) {
  Bond* slot = find_slot(identity);
  if (!slot) return not_found();
  Undo undo;
  save(undo, slot);
  slot->cccds.assign(cccds);
  slot->cccds.normalize();
  return commit_or_undo(undo, invalid_reason(*slot));
}

Result<void, StoreError> BondStore::set_local_identity(const LocalIdentity& identity) {
  Undo undo;
  save(undo, bonds_.data());
  local_identity_ = identity;
  return commit_or_undo(undo, invalid_reason(identity));
}

// Fills the store from decode(): starts from empty at the first record (decode
// calls the sink only once everything is known to be valid) and keeps the most
// recently used bonds when there are more than capacity.
class BondStore::Loader final : public DecodeSink {
 public:
  explicit Loader(BondStore& store) : s_(store) {}

  void start() {
    if (started_) return;
    started_ = true;
    s_.local_identity_.reset();
    s_.count_ = 0;
    s_.counter_ = 0;
  }
  void on_local_identity(const LocalIdentity& identity) override {
    start();
    s_.local_identity_ = identity;
  }
  void on_bond(const Bond& bond) override {
    start();
    if (bond.last_used > s_.counter_) s_.counter_ = bond.last_used;
    if (s_.count_ < s_.options_.capacity) {
      copy_bond(s_.bonds_[s_.count_++], bond);
      return;
    }
    ++left_out;
    Bond& lru = s_.bonds_[s_.least_recently_used()];
    if (lru.last_used >= bond.last_used) {
      s_.evicted(bond);
      return;
    }
    Bond out = lru;
    copy_bond(lru, bond);
    s_.evicted(out);
  }

  size_t left_out = 0;

 private:
  BondStore& s_;
  bool started_ = false;
};

Result<size_t, StoreError> BondStore::load(Bytes data) {
  Loader loader(*this);
  Unexpected<StoreError> failed;  // the error is filled in place: no copies
  if (!decode_into(data, loader, failed.error)) return failed;
  loader.start();
  return loader.left_out;
}

}  // namespace sable::store
