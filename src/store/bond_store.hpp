// The bond store: where the host keeps the keys and subscriptions of bonded
// peers and its own identity. The interface has no I/O; MemoryBondStore keeps
// everything in RAM (tests, an MCU with its own persistence) and holds the
// rules (validation, LRU eviction); FileBondStore (file_bond_store.hpp) adds a
// crash-safe file under the same rules.
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

class BondStore {
 public:
  virtual ~BondStore() = default;

  // Inserts or replaces the bond with bond.peer_identity, and marks it most
  // recently used (bond.last_used is ignored). CCCDs are sorted and zero values
  // dropped. kInvalidArgument if invalid_reason(bond) (more CCCDs than a bond
  // holds included); kFull if full and eviction is off; kIo/kFull if it cannot
  // be persisted (nothing changes then).
  virtual Result<void, StoreError> put(const Bond& bond) = 0;
  // identity may carry kPublicIdentity/kRandomIdentity (as HCI reports it).
  virtual std::optional<Bond> find_by_identity(const Address& identity) const = 0;
  // The bond whose peer IRK resolves rpa (LSB first), most recently used first;
  // nullopt if rpa is not a resolvable private address or nothing resolves it.
  std::optional<Bond> find_by_rpa(const std::array<uint8_t, 6>& rpa, RpaResolver resolves) const;
  // Calls visit for every bond, in no particular order (no allocation).
  virtual void for_each(BondVisitor visit) const = 0;
  // Every bond, most recently used first (a copy, for listings).
  std::vector<Bond> all() const;
  virtual size_t size() const = 0;
  virtual size_t capacity() const = 0;
  // Removes one bond (kNotFound if there is none).
  virtual Result<void, StoreError> remove(const Address& identity) = 0;
  // Removes every bond; the local identity stays.
  virtual Result<void, StoreError> clear() = 0;
  // Marks the bond most recently used (call on each reconnection).
  virtual Result<void, StoreError> touch(const Address& identity) = 0;
  // Replaces the bond's CCCD values (does not change its last use);
  // kInvalidArgument when more than a bond holds.
  virtual Result<void, StoreError> update_cccds(const Address& identity,
                                                std::span<const CccdEntry> cccds) = 0;
  // Sets one CCCD value (0 removes it).
  Result<void, StoreError> set_cccd(const Address& identity, uint16_t handle, uint16_t value);

  virtual std::optional<LocalIdentity> local_identity() const = 0;
  virtual Result<void, StoreError> set_local_identity(const LocalIdentity& identity) = 0;
};

class MemoryBondStore : public BondStore {
 public:
  // capacity is clamped to 1..kMaxBonds.
  explicit MemoryBondStore(StoreOptions options = {});

  Result<void, StoreError> put(const Bond& bond) override;
  std::optional<Bond> find_by_identity(const Address& identity) const override;
  void for_each(BondVisitor visit) const override;
  size_t size() const override { return count_; }
  size_t capacity() const override { return options_.capacity; }
  Result<void, StoreError> remove(const Address& identity) override;
  Result<void, StoreError> clear() override;
  Result<void, StoreError> touch(const Address& identity) override;
  Result<void, StoreError> update_cccds(const Address& identity,
                                        std::span<const CccdEntry> cccds) override;
  std::optional<LocalIdentity> local_identity() const override { return local_identity_; }
  Result<void, StoreError> set_local_identity(const LocalIdentity& identity) override;

  // What is persisted: the state as encode() writes it (no copy).
  BondFileView state() const;
  // The same as values (a copy, for tests and tools).
  BondFile snapshot() const;

 protected:
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
  struct Undo {
    Bond* slot;
    Bond bond;
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

}  // namespace sable::store
