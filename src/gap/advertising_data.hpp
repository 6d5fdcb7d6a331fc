// Advertising data: lays out AdvertisementData into the 31-octet advertising
// and scan response payloads, and parses received payloads with every length
// checked (Core 5.4 Vol 3 Part C 11, Core Supplement Part A).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "common/bytes.hpp"
#include "sable/advertising_data.hpp"
#include "sable/result.hpp"

namespace sable::gap {

// AD types (Assigned Numbers, "Common Data Types").
enum class AdType : uint8_t {
  kFlags = 0x01,
  kIncomplete16BitUuids = 0x02,
  kComplete16BitUuids = 0x03,
  kIncomplete32BitUuids = 0x04,
  kComplete32BitUuids = 0x05,
  kIncomplete128BitUuids = 0x06,
  kComplete128BitUuids = 0x07,
  kShortenedLocalName = 0x08,
  kCompleteLocalName = 0x09,
  kTxPowerLevel = 0x0A,
  kAppearance = 0x19,
  kManufacturerSpecificData = 0xFF,
};

inline constexpr size_t kLegacyAdvertisingDataMax = 31;  // Core 5.4 Vol 6 Part B 2.3.1.1

struct AdvertisingPayload {
  std::array<uint8_t, kLegacyAdvertisingDataMax> adv{};
  uint8_t adv_len = 0;
  std::array<uint8_t, kLegacyAdvertisingDataMax> scan_rsp{};
  uint8_t scan_rsp_len = 0;
  Bytes adv_data() const { return Bytes(adv.data(), adv_len); }
  Bytes scan_response_data() const { return Bytes(scan_rsp.data(), scan_rsp_len); }
};

enum class AdvertisingDataError : uint8_t {
  kDoesNotFit,  // the fields fit neither in the advertising packet nor in the scan response
};

// Flags, service UUIDs, appearance, TX power and manufacturer data go into the
// advertising packet; the complete name too when everything fits, else the
// name moves to the scan response. Anything that fits nowhere is an error.
Result<AdvertisingPayload, AdvertisingDataError> layout_advertising_data(
    const AdvertisementData& data);

// A received advertising or scan response payload, parsed once.
struct ParsedAdvertisingData {
  std::optional<uint8_t> flags;
  std::string name;  // complete or shortened local name
  bool name_complete = false;
  std::vector<Uuid> service_uuids;
  std::optional<uint16_t> appearance;
  std::optional<int8_t> tx_power;
  std::vector<uint8_t> manufacturer_data;  // company id (LE) + payload
};

enum class AdParseError : uint8_t {
  kLengthOverrun,   // an AD structure claims more octets than remain
  kBadFieldLength,  // a known AD type with an impossible length (e.g. a 16-bit UUID list of 3
                    // octets)
};

// A zero length octet ends the significant part (Core 5.4 Vol 3 Part C 11).
Result<ParsedAdvertisingData, AdParseError> parse_advertising_data(Bytes data);
// Merges the fields of `more` (e.g. a scan response) into `into`.
void merge_advertising_data(ParsedAdvertisingData& into, const ParsedAdvertisingData& more);

}  // namespace sable::gap
