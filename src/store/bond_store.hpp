// The bond store: where the host keeps the keys and subscriptions of bonded
// peers and its own identity. BondStore has no I/O and holds the rules
// (validation, LRU eviction); MemoryBondStore keeps everything in RAM (tests,
// an MCU with its own persistence); FileBondStore (file_bond_store.hpp) adds a
// crash-safe file under the same rules through commit().
//
// Memory is fixed: a store holds its bonds in an array of kMaxBonds
// (store/limits.hpp), each with its CCCDs in a fixed list, so no operation
// after construction allocates (put, find, touch, update_cccds, set_cccd,
// remove, clear, commit); only all() and snapshot() copy into vectors, for
// listings and tests.
//
// Not thread-safe: the stack's run loop owns its store.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <type_traits>
#include <vector>

#include "sable/address.hpp"
#include "sable/result.hpp"
#include "store/bond.hpp"
#include "store/codec.hpp"

namespace sable::store {

// True when the resolvable private address rpa (LSB first) was generated from
// irk. The host passes smp::ah here (Core 5.4 Vol 3 Part H 2.2.2); the store
// does not depend on src/smp.
using RpaResolver = bool (*)(const Key128& irk, const std::array<uint8_t, 6>& rpa);

// Told about a bond removed to make room for a new one: a function and its
// context (no allocation; the context must outlive the store).
struct EvictionCallback {
  void (*function)(void* context, const Bond& evicted) = nullptr;
  void* context = nullptr;

  explicit operator bool() const { return function != nullptr; }
  void operator()(const Bond& evicted) const { function(context, evicted); }
};

// A reference to a callable taking a bond, for the duration of one call (a
// lambda given to for_each(); nothing is copied or allocated).
class BondVisitor {
 public:
  template <typename F>
  requires(!std::is_same_v<std::remove_cvref_t<F>, BondVisitor>)
      BondVisitor(F&& f)  // NOLINT(google-explicit-constructor)
      : object_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        invoke_([](void* o, const Bond& b) { (*static_cast<std::remove_reference_t<F>*>(o))(b); }) {
  }
  void operator()(const Bond& b) const { invoke_(object_, b); }

 private:
  void* object_;
  void (*invoke_)(void*, const Bond&);
};

inline constexpr size_t kDefaultCapacity = kMaxBonds < 16 ? kMaxBonds : 16;

struct StoreOptions {
  size_t capacity = kDefaultCapacity;  // bonds kept, 1..kMaxBonds
  // When full, put() of a new peer evicts the least recently used bond (and
  // calls on_evicted); when false it fails with kFull instead.
  bool evict_when_full = true;
  EvictionCallback on_evicted;
};

// The store's operations over its state in fixed arrays. Nothing here is
// virtual but persistence (commit) and the destructor: every store is this
// one with a different commit (MemoryBondStore keeps RAM only; FileBondStore
// and the firmware's RegionBondStore write the encoded state), so calls go
// straight to the code and the firmware links no operation it never makes.
class BondStore {
 public:
  virtual ~BondStore() = default;

  // Inserts or replaces the bond with bond.peer_identity, and marks it most
  // recently used (bond.last_used is ignored). CCCDs are sorted and zero values
  // dropped. kInvalidArgument if invalid_reason(bond) (more CCCDs than a bond
  // holds included); kFull if full and eviction is off; kIo/kFull if it cannot
  // be persisted (nothing changes then).
  Result<void, StoreError> put(const Bond& bond);
  // identity may carry kPublicIdentity/kRandomIdentity (as HCI reports it).
  std::optional<Bond> find_by_identity(const Address& identity) const;
  // The bond whose peer IRK resolves rpa (LSB first), most recently used first;
  // nullopt if rpa is not a resolvable private address or nothing resolves it.
  std::optional<Bond> find_by_rpa(const std::array<uint8_t, 6>& rpa, RpaResolver resolves) const;
  // Calls visit for every bond, in no particular order (no allocation).
  void for_each(BondVisitor visit) const;
  // Every bond, most recently used first (a copy, for listings).
  std::vector<Bond> all() const;
  size_t size() const { return count_; }
  size_t capacity() const { return options_.capacity; }
  // Removes one bond (kNotFound if there is none).
  Result<void, StoreError> remove(const Address& identity);
  // Removes every bond; the local identity stays.
  Result<void, StoreError> clear();
  // Marks the bond most recently used (call on each reconnection).
  Result<void, StoreError> touch(const Address& identity);
  // Replaces the bond's CCCD values (does not change its last use);
  // kInvalidArgument when more than a bond holds.
  Result<void, StoreError> update_cccds(const Address& identity, std::span<const CccdEntry> cccds);
  // Sets one CCCD value (0 removes it).
  Result<void, StoreError> set_cccd(const Address& identity, uint16_t handle, uint16_t value);

  std::optional<LocalIdentity> local_identity() const { return local_identity_; }
  Result<void, StoreError> set_local_identity(const LocalIdentity& identity);

  // What is persisted: the state as encode() writes it (no copy).
  BondFileView state() const;
  // The same as values (a copy, for tests and tools).
  BondFile snapshot() const;

 protected:
  // capacity is clamped to 1..kMaxBonds.
  explicit BondStore(StoreOptions options);

  // Called with the state after a change is applied; a persistent subclass
  // writes it and returns an error to abandon the change (which is then
  // undone, so memory matches what is persisted).
  virtual Result<void, StoreError> commit(const BondFileView& state) {
    (void)state;
    return {};
  }
  // Replaces the state with what data decodes to (all of it validated first:
  // on error nothing changes), keeping the most recently used bonds when there
  // are more than capacity; on_evicted hears of each one left out. Returns how
  // many were left out.
  Result<size_t, StoreError> load(Bytes data);
  const StoreOptions& options() const { return options_; }

 private:
  class Loader;
  // What a change may touch (one bond slot, the counts, the local identity),
  // kept so that a failed commit puts it back.
  // Every member is written by save() before use: none is initialized first.
  struct Undo {
    Undo() {}  // NOLINT(modernize-use-equals-default): leaves the bond as is
    Bond* slot;
    union {
      Bond bond;  // a copy of *slot
    };
    size_t count;
    uint64_t counter;
    std::optional<LocalIdentity> local_identity;
  };
  void save(Undo& undo, Bond* slot) const;
  // Commits the changed state, or refuses it with kInvalidArgument when
  // `invalid` names a reason; either failure undoes the change.
  Result<void, StoreError> commit_or_undo(const Undo& undo, const char* invalid = nullptr);
  size_t index_of(const Address& identity) const;
  Bond* find_slot(const Address& identity);
  size_t least_recently_used() const;
  void evicted(const Bond& bond) const;

  StoreOptions options_;
  std::optional<LocalIdentity> local_identity_;
  size_t count_ = 0;
  uint64_t counter_ = 0;                 // the highest last_used handed out
  std::array<Bond, kMaxBonds> bonds_{};  // [0, count_) in use, in no particular order
};

// The store in RAM only (tests, a host without persistence).
class MemoryBondStore : public BondStore {
 public:
  // capacity is clamped to 1..kMaxBonds.
  explicit MemoryBondStore(StoreOptions options = {}) : BondStore(options) {}
};

}  // namespace sable::store
