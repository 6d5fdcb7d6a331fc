#include "gatt/database.hpp"

#include <gtest/gtest.h>

#include "test_db.hpp"

namespace sable::gatt {
namespace {

using testing::V;

// Core 5.1+ Vol 3 Part G Appendix B: the worked Database Hash example. GAP
// (Device Name read/write, Appearance), GATT (Service Changed + CCCD, Client
// Supported Features, Database Hash), a primary 0x1808 that includes the
// secondary 0x180F at 0x0014..0x0016 and has 0x2A18 (Read | Indicate |
// Extended Properties, with CCCD and Extended Properties 0x0000), and the
// secondary 0x180F with 0x2A19 (Read).
TEST(DatabaseHash, MatchesCoreAppendixBExample) {
  std::vector<ServiceDef> services;
  ServiceDef glucose{.type = Uuid::from16(0x1808), .includes = {1}};
  glucose.characteristics.push_back(CharacteristicDef{
      .type = Uuid::from16(0x2A18),
      .properties = prop::kRead | prop::kIndicate | prop::kExtendedProperties,
      .access = {.read = Permissions::open()},
      .value = {0x00},
      .extended_properties = 0x0000,
  });
  ServiceDef battery{.type = Uuid::from16(0x180F), .primary = false};
  battery.characteristics.push_back(CharacteristicDef{.type = Uuid::from16(0x2A19),
                                                      .properties = prop::kRead,
                                                      .access = {.read = Permissions::open()},
                                                      .value = {100}});
  services.push_back(std::move(glucose));
  services.push_back(std::move(battery));
  auto db = Database::build(std::move(services), {.device_name_writable = true});
  ASSERT_TRUE(db.ok());

  // The layout of the example: 0x0016 attributes, include at 0x000F.
  EXPECT_EQ(db->last_handle(), 0x0016);
  const Attribute* inc = db->find(0x000F);
  ASSERT_NE(inc, nullptr);
  EXPECT_EQ(inc->kind, AttributeKind::kInclude);
  // Included Service Attribute Handle 0x0014, End Group Handle 0x0016, UUID 0x180F.
  EXPECT_EQ(V(db->value(*inc).begin(), db->value(*inc).end()),
            (V{0x14, 0x00, 0x16, 0x00, 0x0F, 0x18}));
  EXPECT_EQ(db->find(0x0013)->kind, AttributeKind::kExtendedProperties);
  EXPECT_EQ(db->find(0x0014)->kind, AttributeKind::kSecondaryService);

  // Database Hash F1CA2D48ECF58BAC8A8830BBB9FBA990 (as the spec prints it,
  // most significant octet first); the characteristic value is little endian.
  const V expected = {0x90, 0xA9, 0xFB, 0xB9, 0xBB, 0x30, 0x88, 0x8A,
                      0xAC, 0x8B, 0xF5, 0xEC, 0x48, 0x2D, 0xCA, 0xF1};
  EXPECT_EQ(V(db->hash().begin(), db->hash().end()), expected);
  EXPECT_EQ(db->database_hash_handle(), 0x000D);
  const auto stored = db->value(*db->find(0x000D));
  EXPECT_EQ(V(stored.begin(), stored.end()), expected);
}

// What the database hands to AES-CMAC (DatabaseOptions::cmac), and the
// key it uses.
V g_hash_input;
crypto::Block g_hash_key;
crypto::Block record_hash_input(const crypto::Block& key, Bytes message) {
  g_hash_key = key;
  g_hash_input.assign(message.begin(), message.end());
  return crypto::Block{};
}

// The hash input of the GAP service alone (Core 5.4 Vol 3 Part G 7.3.1):
// handle || type || value of declarations; values of characteristics excluded.
TEST(DatabaseHash, InputCoversDeclarationsOnly) {
  g_hash_key.fill(0xFF);
  auto db = Database::build({}, {.cmac = &record_hash_input});
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(g_hash_key, crypto::Block{});  // a zero key
  const V& m = g_hash_input;
  const V gap = {
      0x01, 0x00, 0x00, 0x28, 0x00, 0x18,                    // 0x0001 primary service 0x1800
      0x02, 0x00, 0x03, 0x28, 0x02, 0x03, 0x00, 0x00, 0x2A,  // 0x0002 char: Read, 0x0003, 0x2A00
      0x04, 0x00, 0x03, 0x28, 0x02, 0x05, 0x00, 0x01, 0x2A,  // 0x0004 char: Read, 0x0005, 0x2A01
      0x06, 0x00, 0x00, 0x28, 0x01, 0x18,                    // 0x0006 primary service 0x1801
      0x07, 0x00, 0x03, 0x28, 0x20, 0x08, 0x00, 0x05, 0x2A,  // 0x0007 char: Indicate, 0x2A05
      0x09, 0x00, 0x02, 0x29,                                // 0x0009 CCCD: handle and type only
  };
  ASSERT_GE(m.size(), gap.size());
  EXPECT_EQ(V(m.begin(), m.begin() + long(gap.size())), gap);
}

TEST(Database, LayoutOfReferenceDatabase) {
  testing::Hooks hooks;
  Database db = testing::make_db(hooks);
  EXPECT_EQ(db.last_handle(), testing::h::kLast);
  auto ref = db.find_characteristic(testing::kRefService, testing::kRefChar);
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->declaration, 0x000F);
  EXPECT_EQ(ref->value, testing::h::kRefValue);
  EXPECT_EQ(ref->cccd, testing::h::kRefCccd);  // added because of Notify
  // No CCCD without Notify/Indicate.
  auto open = db.find_characteristic(Uuid::from16(0xFFF0), Uuid::from16(0xFFF1));
  ASSERT_TRUE(open);
  EXPECT_EQ(open->cccd, 0);
  EXPECT_EQ(db.cccd_count(), 3u);  // Service Changed, reference, FFF4
  EXPECT_EQ(db.service_changed_handle(), testing::h::kServiceChanged);
  EXPECT_EQ(db.find(0x0000), nullptr);
  EXPECT_EQ(db.find(testing::h::kLast + 1), nullptr);
  // Reference characteristic declaration: Read|Notify, value handle 0x0010, 128-bit UUID.
  const auto decl = db.value(*db.find(0x000F));
  EXPECT_EQ(V(decl.begin(), decl.end()),
            testing::cat({0x12, 0x10, 0x00}, testing::le128(testing::kRefChar)));
}

TEST(Database, SetValueIsBounded) {
  testing::Hooks hooks;
  Database db = testing::make_db(hooks);
  const V v(20, 0x41);
  EXPECT_TRUE(db.set_value(testing::h::kRefValue, v).ok());
  const V too_long(21, 0x41);
  auto r = db.set_value(testing::h::kRefValue, too_long);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), att::AttErrorCode::kInvalidAttributeValueLength);
  EXPECT_EQ(db.set_value(0x0100, v).error(), att::AttErrorCode::kInvalidHandle);
  // Fixed-length attributes take exactly their length.
  EXPECT_FALSE(db.set_value(testing::h::kWriteOnly, V{0x01}).ok());
}

TEST(Database, RejectsBadDefinitions) {
  ServiceDef s{.type = Uuid::from16(0x1234), .includes = {5}};
  EXPECT_EQ(Database::build({s}).error(), BuildError::kInvalidInclude);
  ServiceDef t{.type = Uuid::from16(0x1234)};
  Permissions p = Permissions::encrypted();
  p.min_key_size = 17;
  t.characteristics.push_back({.type = Uuid::from16(0x2A00), .access = {.read = p}});
  EXPECT_EQ(Database::build({t}).error(), BuildError::kInvalidKeySize);
  ServiceDef u{.type = Uuid::from16(0x1234)};
  u.characteristics.push_back({.type = Uuid::from16(0x2A00), .value = V(10, 0), .max_length = 4});
  EXPECT_EQ(Database::build({u}).error(), BuildError::kValueTooLong);
}

// The first characteristic of the type within a service of the type: not one
// of another service, and not the next service's when a later one has it.
TEST(Database, FindCharacteristicSearchesServicesOfTheType) {
  const Uuid battery = Uuid::from16(0x180F);
  const Uuid level = Uuid::from16(0x2A19);
  ServiceDef other{.type = Uuid::from16(0x1234)};
  other.characteristics.push_back({.type = level, .properties = prop::kRead});
  ServiceDef empty{.type = battery};
  empty.characteristics.push_back({.type = Uuid::from16(0x2A1A), .properties = prop::kRead});
  ServiceDef with{.type = battery};
  with.characteristics.push_back({.type = level, .properties = prop::kRead | prop::kNotify});
  ServiceDef last{.type = Uuid::from16(0x5678)};
  last.characteristics.push_back({.type = level, .properties = prop::kRead});
  auto db = Database::build({other, empty, with, last});
  ASSERT_TRUE(db.ok());
  const auto found = db->find_characteristic(battery, level);
  ASSERT_TRUE(found);
  // GAP 1..5, GATT 6..13, other 14..16, empty 17..19, with 20: declaration 21.
  EXPECT_EQ(found->declaration, 0x0015);
  EXPECT_EQ(found->value, 0x0016);
  EXPECT_EQ(found->cccd, 0x0017);
  EXPECT_FALSE(db->find_characteristic(battery, Uuid::from16(0x2A00)));
  EXPECT_FALSE(db->find_characteristic(Uuid::from16(0x9999), level));
}

// Each connection keeps its CCCD values in a fixed table of kMaxCccds.
TEST(Database, RefusesMoreNotifyingCharacteristicsThanTheCccdTableHolds) {
  auto service_with = [](size_t notifying) {
    ServiceDef s{.type = Uuid::from16(0x1234)};
    for (size_t i = 0; i < notifying; ++i)
      s.characteristics.push_back(
          {.type = Uuid::from16(uint16_t(0x2A00 + i)), .properties = prop::kNotify});
    return s;
  };
  // The built-in GATT service may have its own (Service Changed).
  const size_t builtin = Database::build({service_with(0)}).value().cccd_count();
  auto full = Database::build({service_with(kMaxCccds - builtin)});
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full.value().cccd_count(), kMaxCccds);
  EXPECT_EQ(Database::build({service_with(kMaxCccds - builtin + 1)}).error(),
            BuildError::kTooManyCccds);
}

}  // namespace
}  // namespace sable::gatt
