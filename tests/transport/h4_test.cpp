#include "transport/h4.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "transport_test_util.hpp"

namespace sable {
namespace {

using testing::ByteVector;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::LogCapture;
using testing::Packet;

// HCI_Reset Command Complete (Vol 4 Part E 7.7.14): code 0x0E, length 4,
// Num_HCI_Command_Packets 1, opcode 0x0C03, status 0.
const ByteVector kResetComplete = {0x0E, 0x04, 0x01, 0x03, 0x0C, 0x00};
// ACL on handle 0x0040, first automatically flushable (PB=10), 7 octets:
// L2CAP length 3, CID 4 (ATT), ATT Read Request for handle 0x0003.
const ByteVector kAcl = {0x40, 0x20, 0x07, 0x00, 0x03, 0x00, 0x04, 0x00, 0x0A, 0x03, 0x00};
// SCO on handle 0x0001 with 3 octets.
const ByteVector kSco = {0x01, 0x00, 0x03, 0xAA, 0xBB, 0xCC};
// ISO on handle 0x0010 with 2 octets.
const ByteVector kIso = {0x10, 0x00, 0x02, 0x00, 0x11, 0x22};
// An event with no parameters (framing does not care about the code).
const ByteVector kEmptyEvent = {0x10, 0x00};

ByteVector h4(HciPacketType type, const ByteVector& packet) {
  ByteVector out{uint8_t(type)};
  out.insert(out.end(), packet.begin(), packet.end());
  return out;
}

ByteVector concat(std::initializer_list<ByteVector> parts) {
  ByteVector out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// Collects what a deframer delivers.
struct Collector {
  std::vector<Packet> packets;
  H4Deframer::Sink sink() {
    return [this](HciPacketType type, Bytes packet) {
      packets.push_back({type, ByteVector(packet.begin(), packet.end())});
    };
  }
};

const ByteVector kStream =
    concat({h4(HciPacketType::kEvent, kResetComplete), h4(HciPacketType::kAcl, kAcl),
            h4(HciPacketType::kSco, kSco), h4(HciPacketType::kEvent, kEmptyEvent),
            h4(HciPacketType::kIso, kIso)});
const std::vector<Packet> kStreamPackets = {
    {HciPacketType::kEvent, kResetComplete},
    {HciPacketType::kAcl, kAcl},
    {HciPacketType::kSco, kSco},
    {HciPacketType::kEvent, kEmptyEvent},
    {HciPacketType::kIso, kIso},
};

TEST(H4DeframerTest, DeliversEachPacketTypeWithoutIndicator) {
  Collector c;
  H4Deframer d(H4PacketTypes::from_controller());
  d.push(kStream, c.sink());
  EXPECT_EQ(c.packets, kStreamPackets);
  EXPECT_EQ(d.garbage_bytes(), 0u);
}

TEST(H4DeframerTest, ByteByByte) {
  Collector c;
  H4Deframer d(H4PacketTypes::from_controller());
  for (size_t i = 0; i < kStream.size(); ++i) {
    d.push(Bytes(&kStream[i], 1), c.sink());
  }
  EXPECT_EQ(c.packets, kStreamPackets);
}

TEST(H4DeframerTest, EverySplitIntoTwoAndThreePieces) {
  const Bytes all(kStream);
  for (size_t i = 0; i <= all.size(); ++i) {
    for (size_t j = i; j <= all.size(); ++j) {
      Collector c;
      H4Deframer d(H4PacketTypes::from_controller());
      d.push(all.subspan(0, i), c.sink());
      d.push(all.subspan(i, j - i), c.sink());
      d.push(all.subspan(j), c.sink());
      ASSERT_EQ(c.packets, kStreamPackets) << "split at " << i << " and " << j;
      ASSERT_EQ(d.garbage_bytes(), 0u);
    }
  }
}

TEST(H4DeframerTest, SplitHeaderIsHeldUntilComplete) {
  Collector c;
  H4Deframer d(H4PacketTypes::from_controller());
  ByteVector acl = h4(HciPacketType::kAcl, kAcl);
  d.push(Bytes(acl).subspan(0, 1), c.sink());  // indicator alone
  d.push(Bytes(acl).subspan(1, 2), c.sink());  // handle only
  d.push(Bytes(acl).subspan(3, 1), c.sink());  // half of the length
  EXPECT_TRUE(c.packets.empty());
  d.push(Bytes(acl).subspan(4, 3), c.sink());  // rest of length + some payload
  EXPECT_TRUE(c.packets.empty());
  d.push(Bytes(acl).subspan(7), c.sink());
  EXPECT_THAT(c.packets, ElementsAre(Packet{HciPacketType::kAcl, kAcl}));
}

TEST(H4DeframerTest, ZeroLengthPacketIsDeliveredAtEndOfHeader) {
  Collector c;
  H4Deframer d(H4PacketTypes::from_controller());
  d.push(h4(HciPacketType::kEvent, kEmptyEvent), c.sink());
  EXPECT_THAT(c.packets, ElementsAre(Packet{HciPacketType::kEvent, kEmptyEvent}));
}

TEST(H4DeframerTest, GarbageBeforeFirstPacketIsSkippedCountedAndLoggedOnce) {
  LogCapture log;
  Collector c;
  H4Deframer d(H4PacketTypes::from_controller());
  // 0x00 and 0xFF are no packet type; 0x01 (Command) never comes from a controller.
  d.push(concat({{0x00, 0xFF, 0x01, 0x00}, h4(HciPacketType::kEvent, kResetComplete)}), c.sink());
  EXPECT_THAT(c.packets, ElementsAre(Packet{HciPacketType::kEvent, kResetComplete}));
  EXPECT_EQ(d.garbage_bytes(), 4u);
  EXPECT_EQ(d.resync_count(), 1u);
  ASSERT_EQ(LogCapture::lines().size(), 1u);
  EXPECT_THAT(LogCapture::lines()[0], HasSubstr("H4"));
}

TEST(H4DeframerTest, GarbageBetweenPacketsResyncsEachTime) {
  LogCapture log;
  Collector c;
  H4Deframer d(H4PacketTypes::from_controller());
  d.push(concat({h4(HciPacketType::kEvent, kResetComplete),
                 {0xEE, 0xEE},
                 h4(HciPacketType::kAcl, kAcl),
                 {0x00},
                 h4(HciPacketType::kEvent, kEmptyEvent)}),
         c.sink());
  EXPECT_THAT(c.packets, ElementsAre(Packet{HciPacketType::kEvent, kResetComplete},
                                     Packet{HciPacketType::kAcl, kAcl},
                                     Packet{HciPacketType::kEvent, kEmptyEvent}));
  EXPECT_EQ(d.garbage_bytes(), 3u);
  EXPECT_EQ(d.resync_count(), 2u);
  EXPECT_EQ(LogCapture::lines().size(), 2u);
}

TEST(H4DeframerTest, GarbageSplitAcrossPushesIsOneResync) {
  LogCapture log;
  Collector c;
  H4Deframer d(H4PacketTypes::from_controller());
  for (uint8_t b : ByteVector{0x00, 0x07, 0x08, 0x09}) d.push(Bytes(&b, 1), c.sink());
  d.push(h4(HciPacketType::kEvent, kEmptyEvent), c.sink());
  EXPECT_EQ(c.packets.size(), 1u);
  EXPECT_EQ(d.garbage_bytes(), 4u);
  EXPECT_EQ(LogCapture::lines().size(), 1u);
}

TEST(H4DeframerTest, OversizeAclLengthIsGarbage) {
  LogCapture log;
  Collector c;
  H4Deframer d(H4PacketTypes::from_controller());
  // ACL header claiming 0xFFFF octets, then a real event. The header bytes
  // after the indicator hold no acceptable indicator (0x01 is a Command).
  d.push(concat({{0x02, 0x01, 0x00, 0xFF, 0xFF}, h4(HciPacketType::kEvent, kResetComplete)}),
         c.sink());
  EXPECT_THAT(c.packets, ElementsAre(Packet{HciPacketType::kEvent, kResetComplete}));
  EXPECT_EQ(d.garbage_bytes(), 5u);
  EXPECT_EQ(d.resync_count(), 1u);
  ASSERT_EQ(LogCapture::lines().size(), 1u);
  EXPECT_THAT(LogCapture::lines()[0], HasSubstr("65535"));
}

TEST(H4DeframerTest, OversizeIsoLengthIsGarbage) {
  Collector c;
  H4Deframer d(H4PacketTypes::from_controller());
  d.push(concat({{0x05, 0x00, 0x00, 0xFF, 0x3F}, h4(HciPacketType::kEvent, kEmptyEvent)}),
         c.sink());
  EXPECT_THAT(c.packets, ElementsAre(Packet{HciPacketType::kEvent, kEmptyEvent}));
  EXPECT_EQ(d.garbage_bytes(), 5u);
}

TEST(H4DeframerTest, ResyncRescansTheBytesOfARejectedHeader) {
  Collector c;
  H4Deframer d(H4PacketTypes::from_controller(), /*max_payload=*/200);
  // A stray 0x02 right before a real event: read as ACL, its "length" is
  // 0x0104 = 260 > 200, so the 0x02 is dropped and the event found inside.
  d.push(concat({{0x02}, h4(HciPacketType::kEvent, kResetComplete)}), c.sink());
  EXPECT_THAT(c.packets, ElementsAre(Packet{HciPacketType::kEvent, kResetComplete}));
  EXPECT_EQ(d.garbage_bytes(), 1u);
}

TEST(H4DeframerTest, MaxPayloadIsInclusive) {
  Collector c;
  H4Deframer d(H4PacketTypes::from_controller(), /*max_payload=*/300);
  ByteVector at_max = {0x01, 0x00, 0x2C, 0x01};  // handle 1, length 300
  at_max.resize(4 + 300, 0x5A);
  ByteVector over = {0x01, 0x00, 0x2D, 0x01};  // length 301
  d.push(concat({h4(HciPacketType::kAcl, at_max), h4(HciPacketType::kAcl, over),
                 h4(HciPacketType::kEvent, kEmptyEvent)}),
         c.sink());
  EXPECT_THAT(c.packets, ElementsAre(Packet{HciPacketType::kAcl, at_max},
                                     Packet{HciPacketType::kEvent, kEmptyEvent}));
  EXPECT_EQ(d.garbage_bytes(), 5u);
}

TEST(H4DeframerTest, DefaultMaxHoldsAFullSizeAcl) {
  Collector c;
  H4Deframer d(H4PacketTypes::from_controller());
  ByteVector acl = {0x01, 0x00, 0x04, 0x04};  // length 0x0404 = 1028
  acl.resize(4 + 1028, 0x33);
  d.push(h4(HciPacketType::kAcl, acl), c.sink());
  EXPECT_THAT(c.packets, ElementsAre(Packet{HciPacketType::kAcl, acl}));
}

TEST(H4DeframerTest, EventsFitEvenWithASmallMaxPayload) {
  Collector c;
  H4Deframer d(H4PacketTypes::from_controller(), /*max_payload=*/16);
  ByteVector event = {0x3E, 0xFF};  // LE Meta with 255 parameter octets
  event.resize(2 + 255, 0x01);
  d.push(h4(HciPacketType::kEvent, event), c.sink());
  EXPECT_THAT(c.packets, ElementsAre(Packet{HciPacketType::kEvent, event}));
  EXPECT_EQ(d.garbage_bytes(), 0u);
}

TEST(H4DeframerTest, IsoLengthIgnoresTheTwoRfuBits) {
  Collector c;
  H4Deframer d(H4PacketTypes::from_controller());
  ByteVector iso = {0x10, 0x00, 0x02, 0xC0, 0x11, 0x22};  // length field 0xC002 -> 2
  d.push(h4(HciPacketType::kIso, iso), c.sink());
  EXPECT_THAT(c.packets, ElementsAre(Packet{HciPacketType::kIso, iso}));
}

TEST(H4DeframerTest, TowardAControllerCommandsAreAcceptedAndEventsAreGarbage) {
  Collector c;
  H4Deframer d(H4PacketTypes::to_controller());
  ByteVector reset = {0x03, 0x0C, 0x00};
  d.push(concat({h4(HciPacketType::kEvent, kEmptyEvent), h4(HciPacketType::kCommand, reset)}),
         c.sink());
  // 0x04 and its two header octets are skipped (0x10 and 0x00 are no indicator).
  EXPECT_THAT(c.packets, ElementsAre(Packet{HciPacketType::kCommand, reset}));
  EXPECT_EQ(d.garbage_bytes(), 3u);
}

TEST(H4DeframerTest, ConstructorSinkIsUsedByPlainPush) {
  Collector c;
  H4Deframer d(H4PacketTypes::from_controller(), H4Deframer::kDefaultMaxPayload, c.sink());
  d.push(h4(HciPacketType::kEvent, kResetComplete));
  EXPECT_THAT(c.packets, ElementsAre(Packet{HciPacketType::kEvent, kResetComplete}));
}

TEST(H4DeframerTest, ResetDropsAPartialPacket) {
  Collector c;
  H4Deframer d(H4PacketTypes::from_controller());
  ByteVector event = h4(HciPacketType::kEvent, kResetComplete);
  d.push(Bytes(event).subspan(0, 4), c.sink());
  d.reset();
  d.push(event, c.sink());
  EXPECT_THAT(c.packets, ElementsAre(Packet{HciPacketType::kEvent, kResetComplete}));
}

}  // namespace
}  // namespace sable
