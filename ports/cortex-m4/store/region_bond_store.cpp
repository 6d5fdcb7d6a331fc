#include "region_bond_store.hpp"

#include <cstring>

namespace sable::port {
namespace {

// Slot header: sequence number u32 | length of the encoded store u32.
constexpr size_t kSlotHeader = 8;
// Sequence numbers of a slot that holds nothing: never written (RAM zero or
// erased flash) or a write that did not finish.
bool unused_sequence(uint32_t seq) {
  return seq == 0 || seq == 0xFFFFFFFFu;
}

uint32_t get_le32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

void put_le32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = uint8_t(v >> (8 * i));
}

}  // namespace

RegionBondStore::RegionBondStore(uint8_t* region, size_t size, store::StoreOptions options)
    : MemoryBondStore(std::move(options)), region_(region), slot_size_(size / 2) {
  std::optional<store::BondFile> best;
  for (int i = 0; i < 2; ++i) {
    const uint8_t* s = slot(i);
    uint32_t seq = get_le32(s);
    if (unused_sequence(seq)) continue;
    uint32_t len = get_le32(s + 4);
    store::StoreError too_long;
    too_long.kind = store::StoreErrorKind::kCorrupt;
    too_long.message = "length beyond the slot";
    auto decoded = len <= slot_size_ - kSlotHeader
                       ? store::decode(Bytes(s + kSlotHeader, len))
                       : Result<store::BondFile, store::StoreError>(fail(too_long));
    if (!decoded.ok()) {
      recovery_ = "bond region slot " + std::to_string(i) + ": " + decoded.error().to_string() +
                  "; not used";
      continue;
    }
    if (!best || int32_t(seq - sequence_) > 0) {
      best = std::move(decoded.value());
      sequence_ = seq;
      current_ = i;
    }
  }
  if (best) {
    std::vector<store::Bond> evicted = load(std::move(*best));
    notify_evicted(evicted);
  }
}

Result<void, store::StoreError> RegionBondStore::commit(const store::BondFile& next) {
  int target = current_ == 0 ? 1 : 0;
  uint8_t* s = slot(target);
  // Invalidate the target first, so that a torn write is never mistaken for
  // a newer state: the sequence number goes in last.
  std::memset(s, 0xFF, kSlotHeader);
  auto written = store::encode(next, MutableBytes(s + kSlotHeader, slot_size_ - kSlotHeader));
  if (!written.ok()) return fail(written.error());
  put_le32(s + 4, uint32_t(written.value()));
  uint32_t seq = sequence_ + 1;
  if (unused_sequence(seq)) seq = 1;
  put_le32(s, seq);
  sequence_ = seq;
  current_ = target;
  return {};
}

}  // namespace sable::port
