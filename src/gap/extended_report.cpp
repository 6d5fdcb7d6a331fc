// LE Extended Advertising Report walking and reassembly. References: Core 5.4
// Vol 4 Part E 7.7.65.13 unless stated otherwise.
#include "gap/extended_report.hpp"

#include <algorithm>
#include <cstring>

namespace sable::gap {

namespace {

// Event_Type, Address_Type, Address, Primary_PHY, Secondary_PHY,
// Advertising_SID, TX_Power, RSSI, Periodic_Advertising_Interval,
// Direct_Address_Type, Direct_Address, Data_Length: 24 octets before Data.
constexpr size_t kFixedFields = 24;

bool read_report(ByteReader& r, ExtendedReport& out) {
  out.event_type = r.le16();
  const uint8_t address_type = r.u8();
  Bytes address = r.take(6);
  out.primary_phy = r.u8();
  out.secondary_phy = r.u8();
  out.sid = r.u8();
  out.tx_power = int8_t(r.u8());
  out.rssi = int8_t(r.u8());
  out.periodic_interval = r.le16();
  r.take(7);  // Direct_Address_Type, Direct_Address
  out.data = r.take(r.u8());
  if (!r.ok() || out.status() == DataStatus(3)) return false;
  // 0x00/0x02 public, 0x01/0x03 random (resolved identity types included);
  // 0xFF anonymous advertising, reported here as random.
  out.address.type =
      (address_type & 0x01) || address_type == 0xFF ? AddressType::kRandom : AddressType::kPublic;
  std::copy(address.begin(), address.end(), out.address.bytes.begin());
  return true;
}

}  // namespace

bool for_each_extended_report(Bytes params, ExtendedReportVisitor visit, void* context) {
  ByteReader r(params);
  const size_t count = r.u8();
  if (!r.ok() || count == 0 || count * (kFixedFields) > r.remaining()) return false;
  // Check every report before visiting any, so a malformed tail does not
  // leave half an event delivered.
  ExtendedReport report;
  ByteReader check = r;
  for (size_t i = 0; i < count; ++i)
    if (!read_report(check, report)) return false;
  if (!check.at_end()) return false;
  for (size_t i = 0; i < count; ++i) {
    read_report(r, report);
    visit(context, report);
  }
  return true;
}

ExtendedReportAssembler::Slot* ExtendedReportAssembler::find(const ExtendedReport& r) {
  for (Slot& s : slots_)
    if (s.used && s.address == r.address && s.sid == r.sid && s.scan_response == r.scan_response())
      return &s;
  return nullptr;
}

ExtendedReportAssembler::Slot& ExtendedReportAssembler::claim(const ExtendedReport& r) {
  Slot* slot = nullptr;
  for (Slot& s : slots_)
    if (!s.used) slot = &s;
  if (!slot) {
    // Every slot holds a partial advertisement: the oldest is reported
    // truncated to make room.
    slot = &*std::min_element(slots_.begin(), slots_.end(),
                              [](const Slot& a, const Slot& b) { return a.age < b.age; });
    ExtendedReport gone;
    gone.address = slot->address;
    gone.sid = slot->sid;
    gone.event_type = slot->scan_response ? 0x08 : 0x00;
    emit(*slot, gone, true);
  }
  slot->used = true;
  slot->overflowed = false;
  slot->address = r.address;
  slot->sid = r.sid;
  slot->scan_response = r.scan_response();
  slot->length = 0;
  return *slot;
}

void ExtendedReportAssembler::emit(Slot& slot, const ExtendedReport& last, bool truncated) {
  AssembledAdvertisement a;
  a.report = last;
  a.report.data = Bytes(slot.data.data(), slot.length);
  a.truncated = truncated || slot.overflowed;
  slot.used = false;
  sink_(context_, a);
}

void ExtendedReportAssembler::add(const ExtendedReport& r) {
  Slot* slot = find(r);
  if (!slot && r.status() != DataStatus::kMoreToCome) {
    // Not fragmented (the usual case): straight to the sink.
    AssembledAdvertisement a;
    a.report = r;
    a.truncated = r.status() == DataStatus::kTruncated;
    sink_(context_, a);
    return;
  }
  if (!slot) slot = &claim(r);
  slot->age = ++clock_;
  const size_t room = kMaxData - slot->length;
  const size_t n = std::min(room, r.data.size());
  if (n) std::memcpy(slot->data.data() + slot->length, r.data.data(), n);
  slot->length = uint16_t(slot->length + n);
  if (n < r.data.size()) slot->overflowed = true;
  if (r.status() != DataStatus::kMoreToCome) emit(*slot, r, r.status() == DataStatus::kTruncated);
}

void ExtendedReportAssembler::clear() {
  for (Slot& s : slots_) s.used = false;
}

}  // namespace sable::gap
