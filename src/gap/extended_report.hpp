// LE Extended Advertising Report (Core 5.4 Vol 4 Part E 7.7.65.13): walking
// the reports of one event, and putting an advertiser's data back together
// when the controller delivers it in fragments (Data_Status "incomplete, more
// data to come"). Sans-I/O; fixed memory (no heap after construction).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "common/bytes.hpp"
#include "sable/address.hpp"

namespace sable::gap {

// Event_Type bits 5-6 (7.7.65.13).
enum class DataStatus : uint8_t { kComplete = 0, kMoreToCome = 1, kTruncated = 2 };

// One report, with its data viewed in place in the event.
struct ExtendedReport {
  uint16_t event_type = 0;  // bit 0 connectable, 1 scannable, 2 directed, 3 scan response, 4 legacy
  Address address;
  uint8_t primary_phy = 0;
  uint8_t secondary_phy = 0;  // 0: no packets on the secondary channel
  uint8_t sid = 0xFF;         // 0xFF: none (legacy PDUs)
  int8_t tx_power = 127;      // 127: not available
  int8_t rssi = 127;          // 127: not available
  uint16_t periodic_interval = 0;
  Bytes data;

  DataStatus status() const { return DataStatus((event_type >> 5) & 0x03); }
  bool connectable() const { return event_type & 0x01; }
  bool scan_response() const { return event_type & 0x08; }
  bool legacy() const { return event_type & 0x10; }
};

// Calls `visit(context, report)` for each report of the event's parameters
// (after the subevent code). Returns false, having visited nothing, when the
// event is malformed: no reports, a Num_Reports the event is too short for,
// a Data_Length past its end, a reserved Data_Status, or bytes left over.
using ExtendedReportVisitor = void (*)(void* context, const ExtendedReport& report);
bool for_each_extended_report(Bytes params, ExtendedReportVisitor visit, void* context);

// Data of one advertisement put back together, or reported as truncated:
// by the controller (Data_Status 0b10), because it outgrew the largest
// extended advertising data (1650 octets, 7.8.57), because the rest never
// came (a new advertisement from the same set started first), or because
// more advertisers were mid-fragment than there are slots.
struct AssembledAdvertisement {
  ExtendedReport report;  // the last fragment's fields; data: all of it
  bool truncated = false;
};

class ExtendedReportAssembler {
 public:
  static constexpr size_t kMaxData = 1650;
  static constexpr size_t kSlots = 2;  // advertisers reassembled at once

  using Sink = void (*)(void* context, const AssembledAdvertisement& advertisement);
  ExtendedReportAssembler(Sink sink, void* context) : sink_(sink), context_(context) {}

  // One report from for_each_extended_report: a complete one goes to the
  // sink at once (no copy); fragments are held until the last one.
  void add(const ExtendedReport& report);
  // Drops every partial advertisement (e.g. when scanning stops).
  void clear();

 private:
  struct Slot {
    bool used = false;
    bool overflowed = false;
    Address address;
    uint8_t sid = 0;
    bool scan_response = false;
    uint32_t age = 0;
    uint16_t length = 0;
    std::array<uint8_t, kMaxData> data{};
  };
  Slot* find(const ExtendedReport& r);
  Slot& claim(const ExtendedReport& r);
  void emit(Slot& slot, const ExtendedReport& last, bool truncated);

  Sink sink_;
  void* context_;
  uint32_t clock_ = 0;
  std::array<Slot, kSlots> slots_{};
};

}  // namespace sable::gap
