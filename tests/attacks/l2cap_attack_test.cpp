// L2CAP and HCI-edge attacks (catalog items 8, 10, 23, 24, 26 and the
// L2CAP/LE qualification cases): lying lengths, orphan and split fragments,
// oversize SDUs, unknown CIDs, signaling floods and refused requests.
#include <gtest/gtest.h>

#include "attacks/attack_fixture.hpp"

namespace sable::testing::attack {
namespace {

using L2capAttack = AttackTest;

// LE signaling codes (Core 5.4 Vol 3 Part A 4).
constexpr uint8_t kCommandReject = 0x01;
constexpr uint8_t kDisconnectionRequest = 0x06;
constexpr uint8_t kConnParamUpdateRequest = 0x12;
constexpr uint8_t kLeCreditConnRequest = 0x14;
constexpr uint8_t kLeCreditConnResponse = 0x15;
constexpr uint8_t kCreditConnRequest = 0x17;
constexpr uint8_t kCreditConnResponse = 0x18;

Pdu command_reject(uint8_t id, uint16_t reason, std::vector<uint8_t> data = {}) {
  Pdu p{kCommandReject, id, uint8_t(2 + data.size()), 0, uint8_t(reason), uint8_t(reason >> 8)};
  for (uint8_t b : data) p.push_back(b);
  return p;
}

TEST_F(L2capAttack, DeclaredLengthLongerThanSentIsNeverDelivered) {
  connect();
  const Pdu read = read_request(db().device_name);
  // 8. L2CAP length 0xFFFF with a tiny payload (over the host's maximum PDU).
  m.send_l2cap_raw(0xFFFF, kAttCid, read);
  EXPECT_TRUE(m.att_rx().empty());
  // Length 100 with 3 octets: waits for more; a new start replaces it.
  m.send_l2cap_raw(100, kAttCid, read);
  EXPECT_TRUE(m.att_rx().empty());
  expect_survived();
}

TEST_F(L2capAttack, DeclaredLengthShorterThanSentIsDropped) {
  connect();
  Pdu read = read_request(db().device_name);
  read.push_back(0xEE);  // one octet more than declared
  m.send_l2cap_raw(3, kAttCid, read);
  EXPECT_TRUE(m.att_rx().empty());
  expect_survived();
}

TEST_F(L2capAttack, OrphanAndOddFragments) {
  connect();
  const Pdu read = read_request(db().device_name);
  // 10. A continuation with no start.
  m.send_acl(0x1, read);
  EXPECT_TRUE(m.att_rx().empty());
  // A start whose SDU never completes, then a complete one: the partial is dropped.
  m.send_l2cap_raw(10, kAttCid, read);
  m.send_l2cap(kAttCid, read);
  ASSERT_EQ(m.att_rx().size(), 1u);
  EXPECT_EQ(m.att_rx().front(), str_pdu(0x0B, "ESP32 Server"));
  m.att_rx().clear();
  // The basic header split across fragments (2 + 2 + 3 octets) is reassembled.
  m.send_l2cap_raw(3, kAttCid, read, /*fragment=*/2);
  ASSERT_EQ(m.att_rx().size(), 1u);
  EXPECT_EQ(m.att_rx().front(), str_pdu(0x0B, "ESP32 Server"));
  m.att_rx().clear();
  // More continuation octets than declared: dropped.
  m.send_l2cap_raw(3, kAttCid, read, 4);
  m.send_acl(0x1, Pdu{0xEE, 0xEE});
  EXPECT_LE(m.att_rx().size(), 1u);
  m.att_rx().clear();
  // An empty start fragment and empty continuation.
  m.send_acl(0x2, Pdu{});
  m.send_acl(0x1, Pdu{});
  expect_survived();
}

TEST_F(L2capAttack, OversizeSdusAreDropped) {
  connect();
  // ATT SDU above the largest ATT_MTU (517), well-formed L2CAP of 1000 octets.
  Pdu big = read_request(db().device_name);
  big.resize(1000, 0);
  m.send_l2cap(kAttCid, big);
  EXPECT_TRUE(m.att_rx().empty());
  // SMP SDU above 65 octets: no Pairing Failed, nothing at all.
  Pdu smp = pairing_request();
  smp.resize(100, 0);
  m.send_l2cap(kSmpCid, smp);
  EXPECT_TRUE(m.smp_rx().empty());
  // An L2CAP PDU above the host's reassembly limit, in fragments.
  m.send_l2cap(kAttCid, Pdu(3000, 0x0A));
  EXPECT_TRUE(m.att_rx().empty());
  expect_survived();
}

TEST_F(L2capAttack, UnknownCidsAreDroppedSilently) {
  connect();
  // BR/EDR signaling, connectionless, reserved, BR/EDR SMP (CTKD, item 26),
  // dynamic and the top CID.
  for (uint16_t cid : {0x0000, 0x0001, 0x0002, 0x0003, 0x0007, 0x003F, 0x0040, 0x0080, 0xFFFF})
    m.send_l2cap(cid, pairing_request());
  EXPECT_TRUE(m.att_rx().empty());
  EXPECT_TRUE(m.smp_rx().empty());
  EXPECT_TRUE(m.signaling_rx().empty());
  EXPECT_EQ(m.other_cid_sdus(), 0u);
  expect_survived();
}

TEST_F(L2capAttack, UnknownSignalingCodeGetsCommandReject_L2CAP_LE_REJ_BI_01_C) {
  connect();
  for (uint8_t code : {0x00, 0x02, 0x08, 0x0A, 0x1C, 0x20, 0x7F, 0xFF}) {
    m.send_signaling(code, 0x21, std::vector<uint8_t>{0x01, 0x02});
    auto r = m.pop_signaling();
    ASSERT_TRUE(r.has_value()) << int(code);
    EXPECT_EQ(*r, command_reject(0x21, 0x0000)) << int(code);  // Command not understood
  }
  expect_survived();
}

TEST_F(L2capAttack, MalformedSignaling_L2CAP_LE_REJ_BI_02_C) {
  connect();
  // Identifier 0x00 is illegal: silently dropped.
  m.send_signaling(0xFF, 0x00, {});
  EXPECT_TRUE(m.signaling_rx().empty());
  // Larger than MTUsig (23): Command Reject, Signaling MTU exceeded, with our MTU.
  m.send_signaling(kConnParamUpdateRequest, 0x05, std::vector<uint8_t>(30, 0));
  EXPECT_EQ(m.pop_signaling(), command_reject(0x05, 0x0001, {23, 0}));
  // Command length lying about the C-frame.
  m.send_l2cap(kSignalingCid, std::vector<uint8_t>{0x12, 0x06, 0x08, 0x00, 0x01});
  EXPECT_EQ(m.pop_signaling(), command_reject(0x06, 0x0000));
  // Disconnection Request for a channel that does not exist: Invalid CID.
  m.send_signaling(kDisconnectionRequest, 0x07, std::vector<uint8_t>{0x40, 0x00, 0x41, 0x00});
  EXPECT_EQ(m.pop_signaling(), command_reject(0x07, 0x0002, {0x40, 0x00, 0x41, 0x00}));
  // An unsolicited Command Reject is not answered.
  m.send_signaling(kCommandReject, 0x08, std::vector<uint8_t>{0x00, 0x00});
  EXPECT_TRUE(m.signaling_rx().empty());
  expect_survived();
}

TEST_F(L2capAttack, ConnectionParameterUpdateRequestFromCentralIsRejected_L2CAP_LE_CPU_BI_02_C) {
  connect();
  const auto before = arena.server_link(m);
  // Only a peripheral sends this request: Command Reject, Command not understood.
  m.send_signaling(kConnParamUpdateRequest, 0x11,
                   std::vector<uint8_t>{0x06, 0x00, 0x06, 0x00, 0x00, 0x00, 0x0A, 0x00});
  EXPECT_EQ(m.pop_signaling(), command_reject(0x11, 0x0000));
  EXPECT_EQ(server().controller().commands_received(op::kLeConnectionUpdate), 0u);
  EXPECT_EQ(arena.server_link(m)->interval, before->interval);
  expect_survived();
}

TEST_F(L2capAttack, CreditBasedConnectionsAreRefused_L2CAP_LE_CFC_BI_01_C) {
  connect();
  // LE Credit Based Connection Request: SPSM, SCID, MTU, MPS, credits.
  for (uint16_t spsm : {0x0000, 0x0025, 0x0080}) {  // PSM 0 (CVE-2022-42896), ATT, dynamic
    m.send_signaling(kLeCreditConnRequest, 0x31,
                     std::vector<uint8_t>{uint8_t(spsm), uint8_t(spsm >> 8), 0x40, 0x00, 0x17, 0x00,
                                          0x17, 0x00, 0xFF, 0xFF});
    // Response: DCID 0, MTU 0, MPS 0, credits 0, result 0x0002 (SPSM not supported).
    EXPECT_EQ(m.pop_signaling(),
              (Pdu{kLeCreditConnResponse, 0x31, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x00}))
        << spsm;
  }
  // Enhanced Credit Based Connection Request for two channels.
  m.send_signaling(
      kCreditConnRequest, 0x32,
      std::vector<uint8_t>{0x80, 0x00, 0x40, 0x00, 0x40, 0x00, 0x05, 0x00, 0x40, 0x00, 0x41, 0x00});
  auto r = m.pop_signaling();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ((*r)[0], kCreditConnResponse);
  EXPECT_EQ(r->size(), 4u + 8u + 4u);
  EXPECT_EQ((*r)[4 + 6], 0x02);  // SPSM not supported
  // Credits for a channel that does not exist: ignored.
  m.send_signaling(0x16, 0x33, std::vector<uint8_t>{0x40, 0x00, 0xFF, 0xFF});
  EXPECT_TRUE(m.signaling_rx().empty());
  expect_survived();
}

TEST_F(L2capAttack, SignalingFloodKeepsTheLinkServing) {
  connect();
  DeterministicRandom rnd(23);
  size_t answers = 0;
  for (int i = 0; i < 20000; ++i) {
    std::array<uint8_t, 16> buf{};
    rnd.fill(buf);
    const size_t len = buf[0] % 16;
    m.send_l2cap(kSignalingCid, Bytes(buf.data(), len));
    answers += m.signaling_rx().size();
    m.signaling_rx().clear();
  }
  EXPECT_LE(answers, 20000u);
  EXPECT_EQ(m.other_cid_sdus(), 0u);
  expect_survived();
}

// 24. Lying lengths in HCI events (the controller side of the host edge).
TEST_F(L2capAttack, MalformedHciEventsAreDropped) {
  connect();
  const uint16_t h = arena.server_link(m)->handle;
  const std::vector<Pdu> events = {
      {0x3E, 0x0C, 0x02, 0x01, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0xFF, 0x01},
      {0x3E, 0x01, 0x02},                          // advertising report, nothing in it
      {0x3E, 0x03, 0x05, uint8_t(h), 0x00},        // LTK request, truncated
      {0x08, 0x02, 0x00, 0x12},                    // Encryption Change, truncated
      {0x08, 0x04, 0x00, 0x34, 0x0E, 0x01},        // Encryption Change, unknown handle
      {0x05, 0x04, 0x00, 0x34, 0x0E, 0x13},        // Disconnection Complete, unknown handle
      {0x13, 0x05, 0x01, 0x34, 0x0E, 0xFF, 0xFF},  // completed packets for an unknown handle
      {0x13, 0x01, 0x09},                          // Num_Handles 9, no handles
      {0x3E, 0x00},                                // LE Meta without a subevent
      {0x30, 0x01, 0x00},                          // Key Refresh Complete, truncated
  };
  for (const auto& e : events) {
    server().host().on_hci_packet(arena.now(), HciPacketType::kEvent, e);
    arena.run();
  }
  // ACL for a handle that does not exist, and one without its header.
  server().host().on_hci_packet(arena.now(), HciPacketType::kAcl,
                                hci::acl(0x0EEE, 0x2, read_request(1)));
  server().host().on_hci_packet(arena.now(), HciPacketType::kAcl, Pdu{0x01});
  arena.run();
  EXPECT_TRUE(arena.server_link(m).has_value());
  expect_survived();
}

}  // namespace
}  // namespace sable::testing::attack
