#include "region_bond_store.hpp"

#include <cstring>

#include "common/format.hpp"

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
    : MemoryBondStore(options), region_(region), slot_size_(size / 2) {
  // The newest slot that decodes wins; one that does not is reported.
  const uint32_t seq0 = get_le32(slot(0));
  const uint32_t seq1 = get_le32(slot(1));
  const int newest =
      !unused_sequence(seq1) && (unused_sequence(seq0) || int32_t(seq1 - seq0) > 0) ? 1 : 0;
  for (int i : {newest, 1 - newest}) {
    const uint8_t* s = slot(i);
    if (unused_sequence(get_le32(s))) continue;
    const uint32_t len = get_le32(s + 4);
    store::StoreError e;
    e.kind = store::StoreErrorKind::kCorrupt;
    e.reason = "length beyond the slot";
    e.offset = 4;
    if (len <= slot_size_ - kSlotHeader) {
      auto loaded = load(Bytes(s + kSlotHeader, len));
      if (loaded.ok()) {
        sequence_ = get_le32(s);
        current_ = i;
        break;
      }
      e = loaded.error();
    }
    // A short prefix, the error (cut if it had to be), a short suffix.
    char text[192];
    size_t n = format(text, sizeof text, "bond region slot %d: ", i);
    const size_t room = sizeof text - n - 16;
    const size_t error_size = e.format_to(text + n, room);
    n += error_size < room ? error_size : room - 1;
    format(text + n, sizeof text - n, "; not used");
    recovery_.emplace(text);
  }
}

Result<void, store::StoreError> RegionBondStore::commit(const store::BondFileView& next) {
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
