#include "gap/advertising_data.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace sable::gap {
namespace {

const Uuid kService = *Uuid::parse("9b574847-f706-436c-bed7-fc01eb0965c1");

std::vector<uint8_t> vec(Bytes b) {
  return {b.begin(), b.end()};
}

TEST(AdvertisingDataLayoutTest, ReferenceProgramMovesNameToScanResponse) {
  // Flags (3) + 128-bit UUID list (18) + "ESP32 Server" (14) = 35 > 31 octets.
  auto p =
      layout_advertising_data(AdvertisementData().name("ESP32 Server").add_service_uuid(kService));
  ASSERT_TRUE(p.ok());
  std::vector<uint8_t> adv = {
      0x02, 0x01, 0x06,  // Flags: LE General Discoverable, BR/EDR not supported
      0x11, 0x07,        // Complete list of 128-bit UUIDs, 16 octets (least significant first)
      0xc1, 0x65, 0x09, 0xeb, 0x01, 0xfc, 0xd7, 0xbe,
      0x6c, 0x43, 0x06, 0xf7, 0x47, 0x48, 0x57, 0x9b};
  std::vector<uint8_t> rsp = {0x0d, 0x09, 'E', 'S', 'P', '3', '2',
                              ' ',  'S',  'e', 'r', 'v', 'e', 'r'};
  EXPECT_EQ(vec(p->adv_data()), adv);
  EXPECT_EQ(vec(p->scan_response_data()), rsp);
}

TEST(AdvertisingDataLayoutTest, SmallSetStaysInAdvertisingPacket) {
  auto p = layout_advertising_data(
      AdvertisementData().name("abc").add_service_uuid(Uuid::from16(0x180D)).appearance(0x0341));
  ASSERT_TRUE(p.ok());
  std::vector<uint8_t> adv = {0x02, 0x01, 0x06,              // Flags
                              0x03, 0x03, 0x0D, 0x18,        // 16-bit UUIDs: 0x180D
                              0x03, 0x19, 0x41, 0x03,        // Appearance 0x0341
                              0x04, 0x09, 'a',  'b',  'c'};  // Complete local name
  EXPECT_EQ(vec(p->adv_data()), adv);
  EXPECT_EQ(p->scan_rsp_len, 0);
}

TEST(AdvertisingDataLayoutTest, NameTooLongForEitherPacketIsAnError) {
  auto p = layout_advertising_data(AdvertisementData()
                                       .name(std::string(30, 'x'))
                                       .add_service_uuid(kService)
                                       .manufacturer_data(0x0059, std::vector<uint8_t>(12, 0)));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error(), AdvertisingDataError::kDoesNotFit);
}

TEST(AdvertisingDataLayoutTest, FieldsMoveToScanResponseWhenOnlyTheNameFitsBesideFlags) {
  // Flags (3) + name (24) fit the advertising packet; the fields (29 octets)
  // do not fit beside the flags, so they go to the scan response whole
  // (16-bit list, 32-bit list, appearance, TX power, manufacturer data).
  auto p =
      layout_advertising_data(AdvertisementData()
                                  .name(std::string(22, 'n'))
                                  .add_service_uuid(Uuid::from16(0x180F))
                                  .add_service_uuid(Uuid::from32(0x12345678))
                                  .add_service_uuid(Uuid::from16(0x180A))
                                  .appearance(0x0341)
                                  .tx_power(-4)
                                  .manufacturer_data(0x0059, {0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF}));
  ASSERT_TRUE(p.ok());
  std::vector<uint8_t> adv = {0x02, 0x01, 0x06, 23, 0x09};
  adv.insert(adv.end(), 22, 'n');
  std::vector<uint8_t> rsp = {0x05, 0x03, 0x0F, 0x18, 0x0A, 0x18,  // 16-bit UUIDs, in order
                              0x05, 0x05, 0x78, 0x56, 0x34, 0x12,  // 32-bit UUIDs
                              0x03, 0x19, 0x41, 0x03,              // Appearance
                              0x02, 0x0A, 0xFC,                    // TX power -4 dBm
                              0x09, 0xFF, 0x59, 0x00, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF};
  EXPECT_EQ(vec(p->adv_data()), adv);
  EXPECT_EQ(vec(p->scan_response_data()), rsp);
}

TEST(AdvertisingDataLayoutTest, NoFlagsAndNoNameLeaveOnlyTheFields) {
  auto p = layout_advertising_data(AdvertisementData().flags(0).tx_power(0));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(vec(p->adv_data()), (std::vector<uint8_t>{0x02, 0x0A, 0x00}));
  EXPECT_EQ(p->scan_rsp_len, 0);
}

TEST(AdvertisingDataLayoutTest, FieldsExactlyFillingAPacketFit) {
  // Flags (3) + manufacturer data (2 + 2 + 24 = 28): 31 octets; the name goes
  // to the scan response, where 29 characters (31 octets) still fit.
  auto p = layout_advertising_data(AdvertisementData()
                                       .name(std::string(29, 'x'))
                                       .manufacturer_data(0x0001, std::vector<uint8_t>(24, 7)));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->adv_len, 31);
  EXPECT_EQ(p->scan_rsp_len, 31);
  EXPECT_EQ(p->scan_rsp[1], 0x09);
}

TEST(AdvertisingDataLayoutTest, UuidListTooLongForAnyPacketIsAnError) {
  // Fifteen 16-bit UUIDs: one list of 30 octets + 2 > 31.
  AdvertisementData d;
  for (uint16_t i = 0; i < 15; ++i) d.add_service_uuid(Uuid::from16(uint16_t(0x1800 + i)));
  auto p = layout_advertising_data(d);
  ASSERT_FALSE(p.ok());
  // Fourteen (28 + 2 = 30 octets) fit: in the scan response, the name beside
  // the flags.
  AdvertisementData e;
  for (uint16_t i = 0; i < 14; ++i) e.add_service_uuid(Uuid::from16(uint16_t(0x1800 + i)));
  auto q = layout_advertising_data(e.name("x"));
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->adv_len, 3 + 3);
  EXPECT_EQ(q->scan_rsp_len, 30);
}

TEST(AdvertisingDataParseTest, ParsesWhatLayoutWrote) {
  auto p =
      layout_advertising_data(AdvertisementData().name("ESP32 Server").add_service_uuid(kService));
  ASSERT_TRUE(p.ok());
  auto a = parse_advertising_data(p->adv_data());
  auto s = parse_advertising_data(p->scan_response_data());
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(s.ok());
  merge_advertising_data(*a, *s);
  EXPECT_EQ(a->name, "ESP32 Server");
  EXPECT_TRUE(a->name_complete);
  ASSERT_EQ(a->service_uuids.size(), 1u);
  EXPECT_EQ(a->service_uuids[0], kService);
  EXPECT_EQ(a->flags, 0x06);
}

TEST(AdvertisingDataParseTest, RejectsLengthOverrun) {
  const uint8_t data[] = {0x02, 0x01, 0x06, 0x05,
                          0x09, 'a',  'b'};  // name claims 4 octets, 2 present
  auto r = parse_advertising_data(data);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), AdParseError::kLengthOverrun);
}

TEST(AdvertisingDataParseTest, RejectsUuidListOfWrongSize) {
  const uint8_t data[] = {0x04, 0x03, 0x0D, 0x18, 0x0F};  // 3 octets of 16-bit UUIDs
  auto r = parse_advertising_data(data);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), AdParseError::kBadFieldLength);
}

TEST(AdvertisingDataParseTest, ZeroLengthEndsSignificantPart) {
  const uint8_t data[] = {0x02, 0x01, 0x06, 0x00, 0xFF, 0xFF};  // padding after a zero length
  auto r = parse_advertising_data(data);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->flags, 0x06);
}

}  // namespace
}  // namespace sable::gap
