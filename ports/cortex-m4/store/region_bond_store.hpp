// The bond store on the target: MemoryBondStore's rules (validation, LRU
// eviction, CCCDs per bond) with every change committed to a reserved memory
// region in src/store's versioned, CRC-checked format (store/codec.hpp), as
// the file store does on Linux.
//
// The region holds two slots. A slot is a 4-octet little-endian sequence
// number followed by one encoded store; a change is written to the slot not
// in use and the sequence number is written last, so an interrupted write
// leaves the previous slot intact (as the file store's rename does). At start
// the valid slot with the higher sequence number wins. A slot that holds
// something but does not decode (corrupt, foreign, another format version)
// is reported in recovery() and the store starts from the other slot or
// empty. A change is encoded straight from the store's state into the slot:
// no copy of the state, no allocation.
//
// On a real board the region would be two flash pages; on QEMU it is RAM
// that survives a disconnect and reconnect but not a restart of QEMU.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "store/bond_store.hpp"

namespace sable::port {

class RegionBondStore final : public store::MemoryBondStore {
 public:
  // region must stay valid for the store's life; it is split into two slots.
  RegionBondStore(uint8_t* region, size_t size, store::StoreOptions options = {});

  // What was wrong with the region's content at start, if anything.
  const std::optional<std::string>& recovery() const { return recovery_; }

 protected:
  Result<void, store::StoreError> commit(const store::BondFileView& next) override;

 private:
  uint8_t* slot(int i) const { return region_ + size_t(i) * slot_size_; }
  uint8_t* region_;
  size_t slot_size_;
  int current_ = -1;  // slot holding the committed state, -1 if none
  uint32_t sequence_ = 0;
  std::optional<std::string> recovery_;
};

}  // namespace sable::port
