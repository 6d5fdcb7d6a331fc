#include <gtest/gtest.h>

#include "common/bytes.hpp"
#include "sable/address.hpp"
#include "sable/result.hpp"
#include "sable/uuid.hpp"

namespace sable {
namespace {

TEST(UuidTest, Parses128BitAndWritesLittleEndian) {
  auto u = Uuid::parse("9b574847-f706-436c-bed7-fc01eb0965c1");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->att_size(), 16u);
  EXPECT_EQ(u->le128()[0], 0xc1);
  EXPECT_EQ(u->le128()[15], 0x9b);
  EXPECT_EQ(u->to_string(), "9b574847-f706-436c-bed7-fc01eb0965c1");
}

TEST(UuidTest, ShortFormsShrinkToSixteenBits) {
  auto u = Uuid::parse("00002a00-0000-1000-8000-00805f9b34fb");
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->is16());
  EXPECT_EQ(u->as16(), 0x2A00);
  EXPECT_EQ(*u, Uuid::from16(0x2A00));
  EXPECT_FALSE(Uuid::parse("9b574847-f706-436c-bed7-fc01eb0965cZ"));
  EXPECT_FALSE(Uuid::parse("12345"));
}

TEST(UuidTest, ShortTextAndWireForms) {
  auto u = Uuid::parse("2A00");
  ASSERT_TRUE(u);
  EXPECT_EQ(*u, Uuid::from16(0x2A00));
  EXPECT_EQ(u->to_string(), "2a00");
  auto v = Uuid::parse("0001ABcd");
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, Uuid::from32(0x0001ABCD));
  EXPECT_EQ(v->min_size(), 4u);
  EXPECT_EQ(v->to_string(), "0001abcd-0000-1000-8000-00805f9b34fb");
  EXPECT_EQ(Uuid::parse("0000180f"), Uuid::from16(0x180F));
  EXPECT_FALSE(Uuid::parse("2A0G"));
  // Neighbours of the hex letters in ASCII, upper and lower case.
  for (const char* bad : {"2A0@", "2A0`", "2A0g", "2A0/", "2A0:", "2a0 "})
    EXPECT_FALSE(Uuid::parse(bad)) << bad;
  EXPECT_FALSE(Uuid::parse("9b574847-f706-436c-bed7-fc01eb0965-1"));  // a dash for a digit
  EXPECT_FALSE(Uuid::parse("9b574847+f706-436c-bed7-fc01eb0965c1"));

  const uint8_t w16[] = {0x0F, 0x18};
  EXPECT_EQ(Uuid::from_wire(w16), Uuid::from16(0x180F));
  const uint8_t w32[] = {0xCD, 0xAB, 0x01, 0x00};
  EXPECT_EQ(Uuid::from_wire(w32), Uuid::from32(0x0001ABCD));
  const uint8_t w3[] = {1, 2, 3};
  EXPECT_FALSE(Uuid::from_wire(w3));
  std::array<uint8_t, 16> w128 = Uuid::parse("9b574847-f706-436c-bed7-fc01eb0965c1")->le128();
  EXPECT_EQ(Uuid::from_wire(w128)->to_string(), "9b574847-f706-436c-bed7-fc01eb0965c1");
}

TEST(AddressTest, RoundTripsText) {
  auto a = Address::parse("00:AA:01:02:00:42");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->bytes[0], 0x42);
  EXPECT_EQ(a->bytes[5], 0x00);
  EXPECT_EQ(a->to_string(), "00:AA:01:02:00:42");
  EXPECT_FALSE(Address::parse("00:AA:01:02:00"));
  EXPECT_FALSE(Address::parse("00-AA-01-02-00-42"));
}

TEST(AddressTest, ClassifiesRandomAddresses) {
  Address a = *Address::parse("4A:00:00:00:00:01", AddressType::kRandom);
  EXPECT_TRUE(a.is_resolvable_private());
  Address s = *Address::parse("C0:00:00:00:00:01", AddressType::kRandom);
  EXPECT_TRUE(s.is_static_random());
  EXPECT_FALSE(s.is_resolvable_private());
}

TEST(ByteReaderTest, FailsPastEndAndStaysFailed) {
  const uint8_t data[] = {0x01, 0x34, 0x12};
  ByteReader r{Bytes(data)};
  EXPECT_EQ(r.u8(), 0x01);
  EXPECT_EQ(r.le16(), 0x1234);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.u8(), 0);
  EXPECT_FALSE(r.ok());
}

TEST(ByteWriterTest, StopsAtCapacity) {
  uint8_t buf[3];
  ByteWriter w{MutableBytes(buf)};
  w.u8(1).le16(0x0302);
  EXPECT_TRUE(w.ok());
  w.u8(4);
  EXPECT_FALSE(w.ok());
  EXPECT_EQ(w.size(), 3u);
  EXPECT_EQ(buf[1], 0x02);
}

TEST(ResultTest, CarriesValueOrError) {
  Result<int, const char*> good = 5;
  Result<int, const char*> bad = fail("nope");
  EXPECT_TRUE(good.ok());
  EXPECT_EQ(*good, 5);
  EXPECT_FALSE(bad.ok());
  EXPECT_STREQ(bad.error(), "nope");
}

}  // namespace
}  // namespace sable
