// The reference program's GATT profile and security (DESIGN.md), written once
// for the tests, the attack suite, the benchmarks, the fuzz targets and the
// footprint build. Needs only src/ headers (no gtest, no fake controller), so
// the arm-none-eabi footprint program can include it too.
#pragma once

#include <string_view>
#include <utility>
#include <vector>

#include "gap/host.hpp"
#include "gatt/database.hpp"

namespace sable::testing {

inline const Uuid kReferenceService = *Uuid::parse("9b574847-f706-436c-bed7-fc01eb0965c1");
inline const Uuid kReferenceCharacteristic = *Uuid::parse("681285a6-247f-48c6-80ad-68c3dce18585");
inline constexpr const char* kReferenceDeviceName = "ESP32 Server";

// READ_ENC under the reference policy: MITM, LE Secure Connections, 16-octet
// keys (Core 5.4 Vol 3 Part C 10.3.1, security mode 1 level 4).
inline gatt::Permissions reference_read_permissions() {
  gatt::Permissions p = gatt::Permissions::authenticated();
  p.min_key_size = 16;
  p.secure_connections_only = true;
  return p;
}

// READ | READ_ENC | NOTIFY, "Start Value", up to 512 octets; anyone may
// subscribe, values are withheld from links that may not read them.
inline gatt::CharacteristicDef reference_characteristic() {
  gatt::CharacteristicDef c;
  c.type = kReferenceCharacteristic;
  c.properties = gatt::prop::kRead | gatt::prop::kNotify;
  c.access.read = reference_read_permissions();
  c.access.write = gatt::Permissions::none();
  c.cccd_write = gatt::Permissions::open();
  constexpr std::string_view v = "Start Value";
  c.value.assign(v.begin(), v.end());
  c.max_length = 512;
  return c;
}

// The reference service; `extra` characteristics follow the reference one.
inline gatt::ServiceDef reference_service(std::vector<gatt::CharacteristicDef> extra = {}) {
  gatt::ServiceDef s;
  s.type = kReferenceService;
  s.characteristics.push_back(reference_characteristic());
  for (auto& c : extra) s.characteristics.push_back(std::move(c));
  return s;
}

// The database secure-server builds (plus `extra` characteristics in the
// reference service, for callers that need one more to measure or attack).
inline gatt::Database reference_database(std::vector<gatt::CharacteristicDef> extra = {}) {
  std::vector<gatt::ServiceDef> defs;
  defs.push_back(reference_service(std::move(extra)));
  gatt::DatabaseOptions o;
  o.device_name = kReferenceDeviceName;
  return std::move(gatt::Database::build(std::move(defs), o).value());
}

// The reference server's security: AuthReq all, DisplayOnly, passkey 123456.
inline gap::HostConfig reference_server_config() {
  gap::HostConfig c;
  c.security.auth = AuthReq::all();
  c.security.io_cap = IoCap::DisplayOnly;
  c.security.static_passkey = 123456;
  return c;
}

}  // namespace sable::testing
