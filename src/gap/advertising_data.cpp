#include "gap/advertising_data.hpp"

#include <algorithm>

namespace sable::gap {
namespace {

// Appends one AD structure: length, type, then the octets of `a` and `b`
// (Core 5.4 Vol 3 Part C 11); false if it does not fit.
bool append(AdvertisingPayload& p, bool scan_rsp, AdType type, Bytes a, Bytes b = {}) {
  auto& buf = scan_rsp ? p.scan_rsp : p.adv;
  uint8_t& len = scan_rsp ? p.scan_rsp_len : p.adv_len;
  size_t n = a.size() + b.size();
  if (len + 2 + n > kLegacyAdvertisingDataMax) return false;
  uint8_t* out = &buf[len];
  *out++ = uint8_t(1 + n);
  *out++ = uint8_t(type);
  out = std::copy(a.begin(), a.end(), out);
  std::copy(b.begin(), b.end(), out);
  len = uint8_t(len + 2 + n);
  return true;
}

// Groups the service UUIDs by size into "complete list" structures.
bool append_uuids(AdvertisingPayload& p, bool scan_rsp, const std::vector<Uuid>& uuids) {
  for (size_t size : {2, 4, 16}) {
    std::array<uint8_t, kLegacyAdvertisingDataMax> tmp;
    size_t n = 0;
    for (const Uuid& u : uuids) {
      if (u.min_size() != size) continue;
      if (n + size > tmp.size()) return false;
      // A 16- or 32-bit value sits at octets 12.. of the 128-bit form.
      const uint8_t* le = u.le128().data() + (size == 16 ? 0 : 12);
      std::copy(le, le + size, &tmp[n]);
      n += size;
    }
    // Complete lists: 0x03 (16-bit), 0x05 (32-bit), 0x07 (128-bit).
    auto type = AdType(size == 2 ? 0x03 : size == 4 ? 0x05 : 0x07);
    if (n > 0 && !append(p, scan_rsp, type, Bytes(tmp.data(), n))) return false;
  }
  return true;
}

// Service UUIDs, appearance, TX power, manufacturer data.
bool append_fields(AdvertisingPayload& p, bool scan_rsp, const AdvertisementData& d) {
  if (!append_uuids(p, scan_rsp, d.service_uuids())) return false;
  uint8_t v[2];
  if (auto a = d.appearance()) {
    put_le16(v, *a);
    if (!append(p, scan_rsp, AdType::kAppearance, Bytes(v, 2))) return false;
  }
  if (auto t = d.tx_power()) {
    v[0] = uint8_t(*t);
    if (!append(p, scan_rsp, AdType::kTxPowerLevel, Bytes(v, 1))) return false;
  }
  if (const auto& m = d.manufacturer()) {
    put_le16(v, m->company_id);
    if (!append(p, scan_rsp, AdType::kManufacturerSpecificData, Bytes(v, 2), m->data)) return false;
  }
  return true;
}

}  // namespace

Result<AdvertisingPayload, AdvertisingDataError> layout_advertising_data(
    const AdvertisementData& data) {
  // Flags always lead the advertising packet. Then, the first that fits:
  // 0. the other fields and the name in the advertising packet;
  // 1. the other fields there, the name in the scan response;
  // 2. the name there, the other fields in the scan response.
  const std::string& name = data.name();
  Bytes name_octets(reinterpret_cast<const uint8_t*>(name.data()), name.size());
  uint8_t flags = data.flags();
  for (int layout = 0; layout < 3; ++layout) {
    AdvertisingPayload p;
    if (flags != 0) append(p, false, AdType::kFlags, Bytes(&flags, 1));
    if (append_fields(p, layout == 2, data) &&
        (name.empty() || append(p, layout == 1, AdType::kCompleteLocalName, name_octets)))
      return p;
  }
  return fail(AdvertisingDataError::kDoesNotFit);
}

Result<ParsedAdvertisingData, AdParseError> parse_advertising_data(Bytes data) {
  ParsedAdvertisingData out;
  ByteReader r(data);
  while (!r.at_end()) {
    uint8_t len = r.u8();
    if (len == 0) break;  // early termination: the rest is insignificant
    Bytes field = r.take(len);
    if (!r.ok()) return fail(AdParseError::kLengthOverrun);
    auto type = AdType(field[0]);
    Bytes v = field.subspan(1);
    switch (type) {
      case AdType::kFlags:
        if (v.size() < 1) return fail(AdParseError::kBadFieldLength);
        out.flags = v[0];
        break;
      case AdType::kIncomplete16BitUuids:
      case AdType::kComplete16BitUuids:
      case AdType::kIncomplete32BitUuids:
      case AdType::kComplete32BitUuids:
      case AdType::kIncomplete128BitUuids:
      case AdType::kComplete128BitUuids: {
        size_t size = (type <= AdType::kComplete16BitUuids)   ? 2
                      : (type <= AdType::kComplete32BitUuids) ? 4
                                                              : 16;
        if (v.size() % size != 0) return fail(AdParseError::kBadFieldLength);
        for (size_t i = 0; i < v.size(); i += size) {
          if (auto u = Uuid::from_wire(v.subspan(i, size))) out.service_uuids.push_back(*u);
        }
        break;
      }
      case AdType::kShortenedLocalName:
      case AdType::kCompleteLocalName:
        if (out.name.empty() || type == AdType::kCompleteLocalName) {
          out.name.assign(reinterpret_cast<const char*>(v.data()), v.size());
          out.name_complete = type == AdType::kCompleteLocalName;
        }
        break;
      case AdType::kTxPowerLevel:
        if (v.size() != 1) return fail(AdParseError::kBadFieldLength);
        out.tx_power = int8_t(v[0]);
        break;
      case AdType::kAppearance:
        if (v.size() != 2) return fail(AdParseError::kBadFieldLength);
        out.appearance = get_le16(v.data());
        break;
      case AdType::kManufacturerSpecificData:
        if (v.size() < 2) return fail(AdParseError::kBadFieldLength);
        out.manufacturer_data.assign(v.begin(), v.end());
        break;
      default:
        break;  // other AD types are carried but not interpreted
    }
  }
  return out;
}

void merge_advertising_data(ParsedAdvertisingData& into, const ParsedAdvertisingData& more) {
  if (more.flags) into.flags = more.flags;
  if (!more.name.empty() && (into.name.empty() || more.name_complete)) {
    into.name = more.name;
    into.name_complete = more.name_complete;
  }
  for (const auto& u : more.service_uuids) into.service_uuids.push_back(u);
  if (more.appearance) into.appearance = more.appearance;
  if (more.tx_power) into.tx_power = more.tx_power;
  if (!more.manufacturer_data.empty()) into.manufacturer_data = more.manufacturer_data;
}

}  // namespace sable::gap
