// ACL fragmentation with buffer credits and recombination
// (Core 5.4 Vol 4 Part E 4.1, 4.3, 5.4.2; Vol 3 Part A 7.2).
#include "hci/acl.hpp"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "event_builders.hpp"
#include "fake_sender.hpp"

namespace sable::hci {
namespace {

using testing::FakeSender;
using testing::Packet;

Bytes B(const Packet& p) {
  return Bytes(p.data(), p.size());
}

// An L2CAP basic-header PDU: Length (2), CID (2), payload of n octets 0, 1, 2, ...
Packet l2cap_pdu(size_t payload, uint16_t cid = 0x0004) {
  Packet p = {uint8_t(payload), uint8_t(payload >> 8), uint8_t(cid), uint8_t(cid >> 8)};
  for (size_t i = 0; i < payload; ++i) p.push_back(uint8_t(i));
  return p;
}

// ACL packet: handle | PB << 12 | BC << 14, length, data.
Packet acl(uint16_t handle, uint8_t pb_flag, const Packet& data, size_t from = 0,
           size_t n = SIZE_MAX) {
  n = std::min(n, data.size() - from);
  uint16_t hf = uint16_t(handle | (pb_flag << 12));
  Packet p = {uint8_t(hf), uint8_t(hf >> 8), uint8_t(n), uint8_t(n >> 8)};
  for (size_t i = 0; i < n; ++i) p.push_back(data[from + i]);
  return p;
}

// Number Of Completed Packets parameters for {handle, count} pairs.
Packet nocp(std::vector<std::pair<uint16_t, uint16_t>> entries) {
  Packet p = {uint8_t(entries.size())};
  for (auto [h, c] : entries) {
    p.push_back(uint8_t(h));
    p.push_back(uint8_t(h >> 8));
    p.push_back(uint8_t(c));
    p.push_back(uint8_t(c >> 8));
  }
  return p;
}

class AclOutboundTest : public ::testing::Test {
 protected:
  void completed(std::vector<std::pair<uint16_t, uint16_t>> entries) {
    Packet params = nocp(std::move(entries));
    auto e = NumberOfCompletedPacketsEvent::parse(B(params));
    ASSERT_TRUE(e);
    out.on_number_of_completed_packets(*e);
  }
  FakeSender sender;
  AclOutbound out{sender};
};

TEST_F(AclOutboundTest, FragmentsA100OctetPduInto27OctetBuffersWithCreditStalls) {
  out.configure(27, 2);
  const Packet pdu = l2cap_pdu(96);  // 4 + 96 = 100 octets
  ASSERT_TRUE(out.send(0x0040, B(pdu)));
  // Two credits: two fragments out, two waiting.
  ASSERT_EQ(sender.acl().size(), 2u);
  EXPECT_EQ(sender.sent[0].type, HciPacketType::kAcl);
  EXPECT_EQ(sender.acl()[0], acl(0x0040, 0b00, pdu, 0, 27));   // 40 00 1B 00: first, non-flushable
  EXPECT_EQ(sender.acl()[1], acl(0x0040, 0b01, pdu, 27, 27));  // 40 10 1B 00: continuation
  EXPECT_EQ(sender.acl()[0][0], 0x40);
  EXPECT_EQ(sender.acl()[0][1], 0x00);
  EXPECT_EQ(sender.acl()[1][1], 0x10);
  EXPECT_EQ(out.available_credits(), 0);
  EXPECT_EQ(out.queued_fragments(0x0040), 2u);
  EXPECT_EQ(out.in_flight(0x0040), 2u);

  completed({{0x0040, 1}});
  ASSERT_EQ(sender.acl().size(), 3u);
  EXPECT_EQ(sender.acl()[2], acl(0x0040, 0b01, pdu, 54, 27));
  completed({{0x0040, 2}});
  ASSERT_EQ(sender.acl().size(), 4u);
  EXPECT_EQ(sender.acl()[3], acl(0x0040, 0b01, pdu, 81));  // last 19 octets
  EXPECT_EQ(sender.acl()[3][2], 19);
  EXPECT_EQ(out.available_credits(), 1);
  completed({{0x0040, 1}});
  EXPECT_EQ(out.available_credits(), 2);
  EXPECT_EQ(out.in_flight(0x0040), 0);
}

TEST_F(AclOutboundTest, CompletedPacketsAcrossTwoHandlesAreRoundRobin) {
  out.configure(27, 1);
  const Packet a = l2cap_pdu(51);          // 55 octets: 3 fragments (27, 27, 1)
  const Packet b = l2cap_pdu(20, 0x0006);  // 24 octets: 1 fragment
  ASSERT_TRUE(out.send(0x0001, B(a)));
  ASSERT_TRUE(out.send(0x0002, B(b)));
  ASSERT_EQ(sender.acl().size(), 1u);  // a[0]
  completed({{0x0001, 1}});
  ASSERT_EQ(sender.acl().size(), 2u);
  EXPECT_EQ(sender.acl()[1], acl(0x0002, 0b00, b));  // handle 2 is not starved by handle 1
  completed({{0x0002, 1}});
  ASSERT_EQ(sender.acl().size(), 3u);
  EXPECT_EQ(sender.acl()[2], acl(0x0001, 0b01, a, 27, 27));
  // One event with entries for both handles: the in-flight a[1] completes.
  completed({{0x0002, 0}, {0x0001, 1}});
  ASSERT_EQ(sender.acl().size(), 4u);
  EXPECT_EQ(sender.acl()[3], acl(0x0001, 0b01, a, 54));
}

TEST_F(AclOutboundTest, MultiHandleCompletionCreditsEach) {
  out.configure(27, 3);
  const Packet small = l2cap_pdu(10);
  ASSERT_TRUE(out.send(0x0001, B(small)));
  ASSERT_TRUE(out.send(0x0002, B(small)));
  ASSERT_TRUE(out.send(0x0002, B(small)));
  EXPECT_EQ(out.available_credits(), 0);
  completed({{0x0001, 1}, {0x0002, 2}});
  EXPECT_EQ(out.available_credits(), 3);
}

TEST_F(AclOutboundTest, CompletionForHandleWithNothingInFlightIsNotCredited) {
  out.configure(27, 2);
  const Packet small = l2cap_pdu(10);
  ASSERT_TRUE(out.send(0x0001, B(small)));
  completed({{0x0005, 1}});  // unknown handle
  EXPECT_EQ(out.available_credits(), 1);
  completed({{0x0001, 3}});  // more than in flight: only 1 credited
  EXPECT_EQ(out.available_credits(), 2);
  completed({{0x0001, 1}});  // nothing in flight any more
  EXPECT_EQ(out.available_credits(), 2);
}

TEST_F(AclOutboundTest, DisconnectionReturnsCreditsAndDropsQueue) {
  out.configure(27, 2);
  const Packet big = l2cap_pdu(96);  // 4 fragments
  const Packet small = l2cap_pdu(10);
  ASSERT_TRUE(out.send(0x0001, B(big)));
  ASSERT_TRUE(out.send(0x0002, B(small)));
  EXPECT_EQ(sender.acl().size(), 2u);
  EXPECT_EQ(out.free_fragments(), 64u - 3);  // big[2], big[3], small queued
  out.on_disconnection(0x0001);
  EXPECT_EQ(out.free_fragments(), 64u);  // big's dropped, small's sent
  // Handle 1's two in-flight buffers are free again: handle 2's PDU goes out.
  ASSERT_EQ(sender.acl().size(), 3u);
  EXPECT_EQ(sender.acl()[2], acl(0x0002, 0b00, small));
  EXPECT_EQ(out.available_credits(), 1);
  EXPECT_EQ(out.in_flight(0x0001), 0);
  // A late completion for the gone handle is not credited.
  completed({{0x0001, 2}});
  EXPECT_EQ(out.available_credits(), 1);
}

TEST_F(AclOutboundTest, QueueThatCannotTakeTheWholePduRefuses) {
  AclOutbound small_pool(sender, AclOutbound::Config{4, 3});
  small_pool.configure(27, 1);
  const Packet big = l2cap_pdu(96);  // 4 fragments > 3 slots
  EXPECT_FALSE(small_pool.send(0x0001, B(big)));
  EXPECT_TRUE(sender.acl().empty());             // nothing partial went out
  const Packet two = l2cap_pdu(40);              // 2 fragments
  EXPECT_TRUE(small_pool.send(0x0001, B(two)));  // one sent, one queued
  EXPECT_EQ(small_pool.free_fragments(), 2u);
  EXPECT_TRUE(small_pool.send(0x0001, B(two)));  // both queued
  EXPECT_EQ(small_pool.free_fragments(), 0u);
  EXPECT_FALSE(small_pool.send(0x0001, B(l2cap_pdu(1))));
  EXPECT_EQ(sender.acl().size(), 1u);
}

TEST_F(AclOutboundTest, RefusesBeforeConfigurationAndEmptyPdu) {
  const Packet small = l2cap_pdu(10);
  EXPECT_FALSE(out.send(0x0001, B(small)));
  out.configure(27, 1);
  EXPECT_FALSE(out.send(0x0001, Bytes{}));
  EXPECT_TRUE(sender.acl().empty());
}

TEST_F(AclOutboundTest, ReentrantSendKeepsFragmentsOfOnePduTogether) {
  out.configure(27, 8);
  const Packet first = l2cap_pdu(51);         // 55 octets: 3 fragments
  const Packet reply = l2cap_pdu(5, 0x0005);  // 1 fragment
  bool sent_reply = false;
  sender.on_send = [&](HciPacketType, Bytes) {
    if (!sent_reply) {  // an in-process peer answering on the same link at once
      sent_reply = true;
      ASSERT_TRUE(out.send(0x0001, B(reply)));
    }
  };
  ASSERT_TRUE(out.send(0x0001, B(first)));
  ASSERT_EQ(sender.acl().size(), 4u);
  EXPECT_EQ(sender.acl()[0], acl(0x0001, 0b00, first, 0, 27));
  EXPECT_EQ(sender.acl()[1], acl(0x0001, 0b01, first, 27, 27));
  EXPECT_EQ(sender.acl()[2], acl(0x0001, 0b01, first, 54));
  EXPECT_EQ(sender.acl()[3], acl(0x0001, 0b00, reply));
}

// ---- Inbound ----

class AclInboundTest : public ::testing::Test {
 protected:
  void feed(const Packet& p) { in.on_acl(B(p)); }
  std::vector<std::pair<uint16_t, Packet>> pdus;
  AclInbound in{[this](uint16_t handle, Bytes pdu) {
                  pdus.emplace_back(handle, Packet(pdu.begin(), pdu.end()));
                },
                AclInbound::Config{2, 4 + 64}};
};

TEST_F(AclInboundTest, WholePduInOnePacket) {
  const Packet pdu = l2cap_pdu(10);
  feed(acl(0x0040, 0b10, pdu));  // PB 0b10: first automatically flushable
  ASSERT_EQ(pdus.size(), 1u);
  EXPECT_EQ(pdus[0].first, 0x0040);
  EXPECT_EQ(pdus[0].second, pdu);
}

TEST_F(AclInboundTest, HandleIgnoresRfuBitsAndAcceptsPb00Start) {
  const Packet pdu = l2cap_pdu(3);
  feed(acl(0x0001, 0b00, pdu));
  ASSERT_EQ(pdus.size(), 1u);
  EXPECT_EQ(pdus[0].first, 0x0001);
}

TEST_F(AclInboundTest, RecombinesContinuations) {
  const Packet pdu = l2cap_pdu(60);  // 64 octets
  feed(acl(0x0001, 0b10, pdu, 0, 27));
  EXPECT_TRUE(in.has_partial(0x0001));
  feed(acl(0x0001, 0b01, pdu, 27, 27));
  EXPECT_TRUE(pdus.empty());
  feed(acl(0x0001, 0b01, pdu, 54));
  ASSERT_EQ(pdus.size(), 1u);
  EXPECT_EQ(pdus[0].second, pdu);
  EXPECT_FALSE(in.has_partial(0x0001));
  EXPECT_EQ(in.dropped(), 0u);
}

TEST_F(AclInboundTest, StartShorterThanBasicHeader) {
  const Packet pdu = l2cap_pdu(6);
  feed(acl(0x0001, 0b10, pdu, 0, 2));  // only half the L2CAP header
  feed(acl(0x0001, 0b01, pdu, 2, 3));
  EXPECT_TRUE(pdus.empty());
  feed(acl(0x0001, 0b01, pdu, 5));
  ASSERT_EQ(pdus.size(), 1u);
  EXPECT_EQ(pdus[0].second, pdu);
}

TEST_F(AclInboundTest, InterleavedHandles) {
  const Packet a = l2cap_pdu(30);
  const Packet b = l2cap_pdu(40, 0x0006);
  feed(acl(0x0001, 0b10, a, 0, 20));
  feed(acl(0x0002, 0b10, b, 0, 20));
  feed(acl(0x0001, 0b01, a, 20));
  feed(acl(0x0002, 0b01, b, 20));
  ASSERT_EQ(pdus.size(), 2u);
  EXPECT_EQ(pdus[0], std::make_pair(uint16_t(0x0001), a));
  EXPECT_EQ(pdus[1], std::make_pair(uint16_t(0x0002), b));
}

TEST_F(AclInboundTest, OrphanContinuationDropped) {
  const Packet pdu = l2cap_pdu(10);
  feed(acl(0x0001, 0b01, pdu));
  EXPECT_TRUE(pdus.empty());
  EXPECT_EQ(in.dropped(), 1u);
}

TEST_F(AclInboundTest, NewStartDropsIncompletePdu) {
  const Packet first = l2cap_pdu(40);
  const Packet second = l2cap_pdu(5);
  feed(acl(0x0001, 0b10, first, 0, 27));
  feed(acl(0x0001, 0b10, second));
  ASSERT_EQ(pdus.size(), 1u);
  EXPECT_EQ(pdus[0].second, second);
  EXPECT_EQ(in.dropped(), 1u);
  feed(acl(0x0001, 0b01, first, 27));  // the old tail is now an orphan
  EXPECT_EQ(pdus.size(), 1u);
  EXPECT_EQ(in.dropped(), 2u);
}

TEST_F(AclInboundTest, MoreOctetsThanDeclaredDropped) {
  Packet pdu = l2cap_pdu(10);
  pdu.push_back(0xFF);  // one octet beyond the basic header's length
  feed(acl(0x0001, 0b10, pdu));
  EXPECT_TRUE(pdus.empty());
  EXPECT_EQ(in.dropped(), 1u);
  // Across a continuation.
  feed(acl(0x0001, 0b10, pdu, 0, 8));
  feed(acl(0x0001, 0b01, pdu, 8));
  EXPECT_TRUE(pdus.empty());
  EXPECT_EQ(in.dropped(), 2u);
  EXPECT_FALSE(in.has_partial(0x0001));
}

TEST_F(AclInboundTest, PduOverMaximumDropped) {
  const Packet pdu = l2cap_pdu(65);  // 69 > 4 + 64
  feed(acl(0x0001, 0b10, pdu, 0, 27));
  EXPECT_FALSE(in.has_partial(0x0001));
  EXPECT_EQ(in.dropped(), 1u);
  const Packet ok = l2cap_pdu(64);  // exactly the maximum
  feed(acl(0x0001, 0b10, ok, 0, 27));
  feed(acl(0x0001, 0b01, ok, 27));
  ASSERT_EQ(pdus.size(), 1u);
}

TEST_F(AclInboundTest, MalformedHeaderDropped) {
  const Packet pdu = l2cap_pdu(10);
  Packet p = acl(0x0001, 0b10, pdu);
  p.pop_back();  // data length says 14, 13 present
  feed(p);
  feed({0x01, 0x20});  // not even a header
  Packet bc = acl(0x0001, 0b10, pdu);
  bc[1] |= 0x40;  // broadcast flag
  feed(bc);
  feed(acl(0x0001, 0b11, pdu));  // PB 0b11 not allowed on LE
  EXPECT_TRUE(pdus.empty());
  EXPECT_EQ(in.dropped(), 4u);
}

TEST_F(AclInboundTest, DisconnectionClearsPartial) {
  const Packet pdu = l2cap_pdu(40);
  feed(acl(0x0001, 0b10, pdu, 0, 27));
  in.on_disconnection(0x0001);
  EXPECT_FALSE(in.has_partial(0x0001));
  feed(acl(0x0001, 0b01, pdu, 27));  // orphan now
  EXPECT_TRUE(pdus.empty());
}

TEST_F(AclInboundTest, NoFreeSlotDropped) {
  const Packet pdu = l2cap_pdu(40);
  feed(acl(0x0001, 0b10, pdu, 0, 27));
  feed(acl(0x0002, 0b10, pdu, 0, 27));
  feed(acl(0x0003, 0b10, pdu, 0, 27));  // only 2 slots
  EXPECT_FALSE(in.has_partial(0x0003));
  EXPECT_EQ(in.dropped(), 1u);
  feed(acl(0x0003, 0b10, l2cap_pdu(3)));  // whole PDUs need no slot
  EXPECT_EQ(pdus.size(), 1u);
}

TEST(AclPacketTest, ParsesHeader) {
  const Packet p = {0x2A, 0xE0,  // handle 0x02A, PB 0b10, BC 0b11
                    0x01, 0x00,  // length 1
                    0x99};
  auto a = AclPacket::parse(B(p));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->handle, 0x002A);
  EXPECT_EQ(a->packet_boundary, 0b10);
  EXPECT_EQ(a->broadcast, 0b11);
  EXPECT_EQ(a->data.size(), 1u);
  EXPECT_EQ(AclPacket::parse(Bytes{}).error(), ParseError::kTruncated);
}

}  // namespace
}  // namespace sable::hci
