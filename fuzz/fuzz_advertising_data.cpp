// parse_advertising_data / merge / layout (src/gap/advertising_data.hpp).
// Input: [mode u8] advertising payload (the first 31 octets when mode bit 0,
// as on the air; else up to 255, as a careless caller might pass).
// Invariants: parsed fields are bounded by the input; when mode bit 1 is set,
// what parsed is laid out again and, if it fits, parses back to the same name,
// service UUIDs, appearance, TX power and manufacturer data; merging a scan
// response into a report never loses a UUID.
#include <algorithm>
#include <vector>

#include "fuzz_common.hpp"
#include "gap/advertising_data.hpp"

namespace {

using namespace sable;
using namespace sable::gap;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::quiet_logs();
  fuzz::Input in(data, size);
  uint8_t mode = in.u8();
  std::vector<uint8_t> adv = fuzz::copy(in.take((mode & 1) ? kLegacyAdvertisingDataMax : 255));
  std::vector<uint8_t> rsp = fuzz::copy(in.take(kLegacyAdvertisingDataMax));

  auto parsed = parse_advertising_data(adv);
  if (!parsed) return 0;
  const ParsedAdvertisingData& p = *parsed;
  FUZZ_CHECK(p.name.size() <= adv.size());
  FUZZ_CHECK(p.service_uuids.size() <= adv.size() / 2);
  FUZZ_CHECK(p.manufacturer_data.size() <= adv.size());

  if (auto more = parse_advertising_data(rsp)) {
    ParsedAdvertisingData merged = p;
    merge_advertising_data(merged, *more);
    for (const Uuid& u : p.service_uuids) {
      FUZZ_CHECK(std::find(merged.service_uuids.begin(), merged.service_uuids.end(), u) !=
                 merged.service_uuids.end());
    }
    for (const Uuid& u : more->service_uuids) {
      FUZZ_CHECK(std::find(merged.service_uuids.begin(), merged.service_uuids.end(), u) !=
                 merged.service_uuids.end());
    }
  }

  if ((mode & 2) == 0) return 0;
  AdvertisementData ad;
  ad.name(p.name);
  for (const Uuid& u : p.service_uuids) ad.add_service_uuid(u);
  if (p.appearance) ad.appearance(*p.appearance);
  if (p.tx_power) ad.tx_power(*p.tx_power);
  if (p.flags) ad.flags(*p.flags);
  if (p.manufacturer_data.size() >= 2) {
    ad.manufacturer_data(
        get_le16(p.manufacturer_data.data()),
        std::vector<uint8_t>(p.manufacturer_data.begin() + 2, p.manufacturer_data.end()));
  }
  auto laid = layout_advertising_data(ad);
  if (!laid) return 0;
  FUZZ_CHECK(laid->adv_len <= kLegacyAdvertisingDataMax);
  FUZZ_CHECK(laid->scan_rsp_len <= kLegacyAdvertisingDataMax);
  auto back = parse_advertising_data(laid->adv_data());
  FUZZ_CHECK(back.ok());
  auto back_rsp = parse_advertising_data(laid->scan_response_data());
  FUZZ_CHECK(back_rsp.ok());
  ParsedAdvertisingData all = *back;
  merge_advertising_data(all, *back_rsp);
  FUZZ_CHECK(all.name == p.name);
  FUZZ_CHECK(all.service_uuids.size() == p.service_uuids.size());
  FUZZ_CHECK(std::is_permutation(all.service_uuids.begin(), all.service_uuids.end(),
                                 p.service_uuids.begin()));
  FUZZ_CHECK(all.appearance == p.appearance);
  FUZZ_CHECK(all.tx_power == p.tx_power);
  if (p.manufacturer_data.size() >= 2) FUZZ_CHECK(all.manufacturer_data == p.manufacturer_data);
  return 0;
}
