// The bond store: where the host keeps the keys and subscriptions of bonded
// peers and its own identity. The interface has no I/O; MemoryBondStore keeps
// everything in RAM (tests, an MCU with its own persistence) and holds the
// rules (validation, LRU eviction); FileBondStore (file_bond_store.hpp) adds a
// crash-safe file under the same rules.
//
// Not thread-safe: the stack's run loop owns its store.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "sable/address.hpp"
#include "sable/result.hpp"
#include "store/bond.hpp"
#include "store/codec.hpp"

namespace sable::store {

// True when the resolvable private address rpa (LSB first) was generated from
// irk. The host passes smp::ah here (Core 5.4 Vol 3 Part H 2.2.2); the store
// does not depend on src/smp.
using RpaResolver = std::function<bool(const Key128& irk, const std::array<uint8_t, 6>& rpa)>;
// Told about a bond removed to make room for a new one.
using EvictionCallback = std::function<void(const Bond& evicted)>;

inline constexpr size_t kDefaultCapacity = 16;

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
  // dropped. kInvalidArgument if invalid_reason(bond); kFull if full and
  // eviction is off; kIo/kFull if it cannot be persisted (nothing changes then).
  virtual Result<void, StoreError> put(const Bond& bond) = 0;
  // identity may carry kPublicIdentity/kRandomIdentity (as HCI reports it).
  virtual std::optional<Bond> find_by_identity(const Address& identity) const = 0;
  // The bond whose peer IRK resolves rpa (LSB first), most recently used first;
  // nullopt if rpa is not a resolvable private address or nothing resolves it.
  virtual std::optional<Bond> find_by_rpa(const std::array<uint8_t, 6>& rpa,
                                          const RpaResolver& resolves) const;
  // Every bond, most recently used first.
  virtual std::vector<Bond> all() const = 0;
  virtual size_t size() const = 0;
  virtual size_t capacity() const = 0;
  // Removes one bond (kNotFound if there is none).
  virtual Result<void, StoreError> remove(const Address& identity) = 0;
  // Removes every bond; the local identity stays.
  virtual Result<void, StoreError> clear() = 0;
  // Marks the bond most recently used (call on each reconnection).
  virtual Result<void, StoreError> touch(const Address& identity) = 0;
  // Replaces the bond's CCCD values (does not change its last use).
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
  std::vector<Bond> all() const override;
  size_t size() const override { return state_.bonds.size(); }
  size_t capacity() const override { return options_.capacity; }
  Result<void, StoreError> remove(const Address& identity) override;
  Result<void, StoreError> clear() override;
  Result<void, StoreError> touch(const Address& identity) override;
  Result<void, StoreError> update_cccds(const Address& identity,
                                        std::span<const CccdEntry> cccds) override;
  std::optional<LocalIdentity> local_identity() const override { return state_.local_identity; }
  Result<void, StoreError> set_local_identity(const LocalIdentity& identity) override;

  // What would be persisted (bonds in insertion order).
  const BondFile& snapshot() const { return state_; }

 protected:
  // Called with the complete next state before it replaces the current one; a
  // persistent subclass writes it and returns an error to abandon the change.
  virtual Result<void, StoreError> commit(const BondFile& next) {
    (void)next;
    return {};
  }
  // Replaces the state (after loading), evicting the least recently used bonds
  // beyond capacity; returns the evicted ones.
  std::vector<Bond> load(BondFile file);
  void notify_evicted(const std::vector<Bond>& evicted) const;
  const StoreOptions& options() const { return options_; }

 private:
  Result<void, StoreError> apply(BondFile next, uint64_t next_counter, std::optional<Bond> evicted);
  StoreOptions options_;
  BondFile state_;
  uint64_t counter_ = 0;  // the highest last_used handed out
};

}  // namespace sable::store
