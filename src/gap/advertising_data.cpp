#include "gap/advertising_data.hpp"

#include <cstring>

namespace sable::gap {
namespace {

// Appends one AD structure (length, type, data); false if it does not fit.
bool append(AdvertisingPayload& p, bool scan_rsp, AdType type, Bytes data) {
  auto& buf = scan_rsp ? p.scan_rsp : p.adv;
  uint8_t& len = scan_rsp ? p.scan_rsp_len : p.adv_len;
  if (len + 2 + data.size() > kLegacyAdvertisingDataMax) return false;
  buf[len] = uint8_t(1 + data.size());
  buf[len + 1] = uint8_t(type);
  if (!data.empty()) std::memcpy(&buf[len + 2], data.data(), data.size());
  len = uint8_t(len + 2 + data.size());
  return true;
}

// Groups the service UUIDs by size into "complete list" structures.
bool append_uuids(AdvertisingPayload& p, bool scan_rsp, const std::vector<Uuid>& uuids) {
  struct Group {
    size_t size;
    AdType type;
  };
  for (Group g : {Group{2, AdType::kComplete16BitUuids}, Group{4, AdType::kComplete32BitUuids},
                  Group{16, AdType::kComplete128BitUuids}}) {
    std::array<uint8_t, kLegacyAdvertisingDataMax> tmp{};
    size_t n = 0;
    for (const Uuid& u : uuids) {
      if (u.min_size() != g.size) continue;
      if (n + g.size > tmp.size()) return false;
      const auto& le = u.le128();
      if (g.size == 16)
        std::memcpy(&tmp[n], le.data(), 16);
      else
        std::memcpy(&tmp[n], &le[12], g.size);  // 16/32-bit value sits at octets 12..15
      n += g.size;
    }
    if (n > 0 && !append(p, scan_rsp, g.type, Bytes(tmp.data(), n))) return false;
  }
  return true;
}

bool append_fields_except_name(AdvertisingPayload& p, bool scan_rsp, const AdvertisementData& d) {
  if (!scan_rsp && d.flags() != 0) {
    uint8_t f = d.flags();
    if (!append(p, false, AdType::kFlags, Bytes(&f, 1))) return false;
  }
  if (!append_uuids(p, scan_rsp, d.service_uuids())) return false;
  if (auto a = d.appearance()) {
    uint8_t v[2] = {uint8_t(*a), uint8_t(*a >> 8)};
    if (!append(p, scan_rsp, AdType::kAppearance, Bytes(v, 2))) return false;
  }
  if (auto t = d.tx_power()) {
    uint8_t v = uint8_t(*t);
    if (!append(p, scan_rsp, AdType::kTxPowerLevel, Bytes(&v, 1))) return false;
  }
  if (const auto& m = d.manufacturer()) {
    std::array<uint8_t, kLegacyAdvertisingDataMax> tmp{};
    if (m->data.size() + 2 > tmp.size()) return false;
    put_le16(tmp.data(), m->company_id);
    if (!m->data.empty()) std::memcpy(&tmp[2], m->data.data(), m->data.size());
    if (!append(p, scan_rsp, AdType::kManufacturerSpecificData,
                Bytes(tmp.data(), 2 + m->data.size())))
      return false;
  }
  return true;
}

bool append_name(AdvertisingPayload& p, bool scan_rsp, const std::string& name) {
  if (name.empty()) return true;
  return append(p, scan_rsp, AdType::kCompleteLocalName,
                Bytes(reinterpret_cast<const uint8_t*>(name.data()), name.size()));
}

}  // namespace

Result<AdvertisingPayload, AdvertisingDataError> layout_advertising_data(
    const AdvertisementData& data) {
  // 1. Everything in the advertising packet.
  AdvertisingPayload p;
  if (append_fields_except_name(p, false, data) && append_name(p, false, data.name())) return p;
  // 2. The name in the scan response, the rest in the advertising packet.
  p = AdvertisingPayload{};
  if (append_fields_except_name(p, false, data) && append_name(p, true, data.name())) return p;
  // 3. Flags and name in the advertising packet, other fields in the scan response.
  p = AdvertisingPayload{};
  if (data.flags() != 0) {
    uint8_t f = data.flags();
    append(p, false, AdType::kFlags, Bytes(&f, 1));
  }
  if (append_name(p, false, data.name()) && append_fields_except_name(p, true, data)) return p;
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
