#include "gap/advertising_data.hpp"

#include <algorithm>

namespace sable::gap {
namespace {

// AD structures (Core 5.4 Vol 3 Part C 11: length, type, data) collected in
// order for one place in a payload. A group that cannot fit any packet keeps
// a length above the maximum, so every layout refuses it.
struct AdGroup {
  std::array<uint8_t, kLegacyAdvertisingDataMax> octets;
  size_t len = 0;

  // Appends the header of a structure of `n` data octets and returns where
  // they go, or nullptr when they do not fit.
  uint8_t* add(AdType type, size_t n) {
    if (len + 2 + n > kLegacyAdvertisingDataMax) {
      len = kLegacyAdvertisingDataMax + 1;
      return nullptr;
    }
    uint8_t* out = &octets[len];
    out[0] = uint8_t(1 + n);
    out[1] = uint8_t(type);
    len += 2 + n;
    return out + 2;
  }
};

// Service UUIDs grouped by size into "complete list" structures (0x03
// 16-bit, 0x05 32-bit, 0x07 128-bit), then appearance, TX power and
// manufacturer data.
void add_fields(AdGroup& g, const AdvertisementData& d) {
  const std::vector<Uuid>& uuids = d.service_uuids();
  for (size_t size : {2, 4, 16}) {
    size_t n = 0;
    for (const Uuid& u : uuids) n += u.min_size() == size ? size : 0;
    if (n == 0) continue;
    uint8_t* out = g.add(AdType(size == 2 ? 0x03 : size == 4 ? 0x05 : 0x07), n);
    if (!out) return;
    for (const Uuid& u : uuids) {
      if (u.min_size() != size) continue;
      // A 16- or 32-bit value sits at octets 12.. of the 128-bit form.
      const uint8_t* le = u.le128().data() + (size == 16 ? 0 : 12);
      out = std::copy(le, le + size, out);
    }
  }
  if (auto a = d.appearance())
    if (uint8_t* out = g.add(AdType::kAppearance, 2)) put_le16(out, *a);
  if (auto t = d.tx_power())
    if (uint8_t* out = g.add(AdType::kTxPowerLevel, 1)) *out = uint8_t(*t);
  if (const auto& m = d.manufacturer()) {
    if (uint8_t* out = g.add(AdType::kManufacturerSpecificData, 2 + m->data.size())) {
      put_le16(out, m->company_id);
      std::copy(m->data.begin(), m->data.end(), out + 2);
    }
  }
}

void put(AdvertisingPayload& p, bool scan_rsp, const AdGroup& g) {
  auto& buf = scan_rsp ? p.scan_rsp : p.adv;
  uint8_t& len = scan_rsp ? p.scan_rsp_len : p.adv_len;
  std::copy(g.octets.begin(), g.octets.begin() + g.len, &buf[len]);
  len = uint8_t(len + g.len);
}

}  // namespace

Result<AdvertisingPayload, AdvertisingDataError> layout_advertising_data(
    const AdvertisementData& data) {
  AdGroup flags, fields, name;
  if (uint8_t f = data.flags())
    if (uint8_t* out = flags.add(AdType::kFlags, 1)) *out = f;
  add_fields(fields, data);
  const std::string& n = data.name();
  if (!n.empty())
    if (uint8_t* out = name.add(AdType::kCompleteLocalName, n.size()))
      std::copy(n.begin(), n.end(), out);
  // Flags always lead the advertising packet. Then, the first that fits:
  // 0. the other fields and the name in the advertising packet;
  // 1. the other fields there, the name in the scan response;
  // 2. the name there, the other fields in the scan response.
  constexpr size_t kMax = kLegacyAdvertisingDataMax;
  bool fields_in_scan_rsp = false, name_in_scan_rsp = false;
  if (flags.len + fields.len + name.len <= kMax) {
  } else if (flags.len + fields.len <= kMax && name.len <= kMax) {
    name_in_scan_rsp = true;
  } else if (flags.len + name.len <= kMax && fields.len <= kMax) {
    fields_in_scan_rsp = true;
  } else {
    return fail(AdvertisingDataError::kDoesNotFit);
  }
  AdvertisingPayload p;
  put(p, false, flags);
  put(p, fields_in_scan_rsp, fields);
  put(p, name_in_scan_rsp, name);
  return p;
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
