// The database the GATT server and host targets run over: the reference
// program's service (DESIGN.md), a long writable characteristic that can also
// indicate, and one that needs the application's authorization.
#pragma once

#include <cstdint>
#include <string>

#include "gatt/database.hpp"
#include "support/reference_profile.hpp"

namespace sable::fuzz {

inline const Uuid& kRefService = testing::kReferenceService;
inline const Uuid& kRefChar = testing::kReferenceCharacteristic;
inline const Uuid kLongChar = *Uuid::parse("0000fff1-0000-1000-8000-00805f9b34fb");
inline const Uuid kAuthzChar = Uuid::from16(0xFFF3);

// Answers of the application hooks; the targets flip them from the input.
struct DbHooks {
  bool authorize = false;
  bool reject_write = false;
};

inline gatt::Database make_reference_db(DbHooks& hooks) {
  using namespace gatt;
  std::vector<CharacteristicDef> extra;
  extra.push_back(CharacteristicDef{
      .type = kLongChar,
      .properties = prop::kRead | prop::kWrite | prop::kWriteWithoutResponse | prop::kIndicate |
                    prop::kExtendedProperties,
      .access = {.read = Permissions::open(), .write = Permissions::open()},
      .value = std::vector<uint8_t>(40, 0x4C),
      .max_length = 512,
      .extended_properties = 0x0001,  // Reliable Write
      .callbacks = {.on_write = [&hooks](uint16_t, Bytes) -> std::optional<att::AttErrorCode> {
        if (hooks.reject_write) return att::AttErrorCode::kValueNotAllowed;
        return std::nullopt;
      }},
  });
  Permissions authz = Permissions::encrypted();
  authz.authorization = true;
  extra.push_back(CharacteristicDef{
      .type = kAuthzChar,
      .properties = prop::kRead | prop::kWrite,
      .access = {.read = authz, .write = authz},
      .value = {0x33, 0x33},
      .max_length = 8,
      .callbacks = {.authorize = [&hooks](uint16_t, Op) { return hooks.authorize; }},
  });
  auto db = Database::build({testing::reference_service(std::move(extra))},
                            DatabaseOptions{.device_name = "fuzz", .device_name_writable = true});
  if (!db) __builtin_trap();
  return std::move(*db);
}

}  // namespace sable::fuzz
