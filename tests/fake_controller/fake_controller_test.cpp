// Drives FakeAir controllers with raw HCI bytes and checks the events they
// send back, byte for byte (Core 5.4 Vol 4 Part E).
#include "fake_controller/fake_air_fixture.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <utility>
#include <vector>

namespace sable::testing {
namespace {

TEST_F(FakeAirTest, BringUpCommandsAreAnswered) {
  bring_up(a);
  // 7.4.6 Read_BD_ADDR.
  EXPECT_EQ(exec(a, op::kReadBdAddr),
            std::vector<Packet>{cc(op::kReadBdAddr, {0x00, 0xA1, 0x00, 0x00, 0xAA, 0xBB, 0xCC})});
  // 7.4.1: HCI 5.4 (0x0D), LMP 5.4.
  EXPECT_EQ(exec(a, op::kReadLocalVersionInformation),
            std::vector<Packet>{cc(op::kReadLocalVersionInformation,
                                   {0x00, 0x0D, 0x01, 0x00, 0x0D, 0xFF, 0xFF, 0x01, 0x00})});
  // 7.4.3: LE Supported (Controller) bit 38, BR/EDR Not Supported bit 37.
  EXPECT_EQ(
      exec(a, op::kReadLocalSupportedFeatures),
      std::vector<Packet>{cc(op::kReadLocalSupportedFeatures, {0x00, 0, 0, 0, 0, 0x60, 0, 0, 0})});
  // 7.8.2 v1: 251 octets x 4 packets by default.
  EXPECT_EQ(exec(a, op::kLeReadBufferSize),
            std::vector<Packet>{cc(op::kLeReadBufferSize, {0x00, 0xFB, 0x00, 0x04})});
  // 7.4.5: separate LE buffers, so none here.
  EXPECT_EQ(exec(a, op::kReadBufferSize),
            std::vector<Packet>{cc(op::kReadBufferSize, {0x00, 0, 0, 0, 0, 0, 0, 0})});
  // v2 is not supported unless enabled: Unknown HCI Command.
  EXPECT_EQ(exec(a, op::kLeReadBufferSizeV2),
            std::vector<Packet>{cc(op::kLeReadBufferSizeV2, {0x01})});
  // 7.8.3: LE Encryption, Extended Reject, Peripheral-initiated Features Exchange.
  EXPECT_EQ(exec(a, op::kLeReadLocalSupportedFeatures),
            std::vector<Packet>{
                cc(op::kLeReadLocalSupportedFeatures, {0x00, 0x0D, 0, 0, 0, 0, 0, 0, 0})});

  auto sc = exec(a, op::kReadLocalSupportedCommands);
  ASSERT_EQ(sc.size(), 1u);
  ASSERT_EQ(sc[0].size(), 2u + 3u + 1u + 64u);
  const uint8_t* bits = &sc[0][6];
  EXPECT_EQ(sc[0][5], 0x00);
  EXPECT_EQ(bits[0], 0x20);          // Disconnect
  EXPECT_EQ(bits[5], 0xC0);          // Set_Event_Mask, Reset
  EXPECT_EQ(bits[25], 0xF7);         // LE_Set_Event_Mask .. LE_Set_Advertising_Data
  EXPECT_EQ(bits[26], 0xFF);         // LE scan response .. LE_Clear_Filter_Accept_List
  EXPECT_EQ(bits[28] & 0x07, 0x07);  // LE_Enable_Encryption, LTK Reply / Negative Reply
  EXPECT_EQ(bits[33] & 0x40, 0x00);  // LE_Set_Data_Length: not supported
  EXPECT_EQ(bits[41] & 0x20, 0x00);  // LE_Read_Buffer_Size v2: not enabled

  a.set_le_read_buffer_size_v2_supported(true);
  a.set_acl_buffer(100, 7);
  EXPECT_EQ(exec(a, op::kLeReadBufferSizeV2),
            std::vector<Packet>{cc(op::kLeReadBufferSizeV2, {0x00, 100, 0x00, 7, 0, 0, 0})});
  sc = exec(a, op::kReadLocalSupportedCommands);
  ASSERT_EQ(sc.size(), 1u);
  EXPECT_EQ(sc[0][6 + 41] & 0x20, 0x20);
  EXPECT_EQ(a.commands_received(op::kLeReadBufferSizeV2), 2u);
  expect_no_violations();
}

TEST_F(FakeAirTest, UnknownUnsupportedAndFailingCommands) {
  bring_up(a);
  // Set_Event_Mask_Page_2 is not implemented: Command Complete, Unknown HCI Command.
  EXPECT_EQ(exec(a, 0x0C63, {0, 0, 0, 0, 0, 0, 0, 0}), std::vector<Packet>{cc(0x0C63, {0x01})});
  EXPECT_EQ(exec(a, op::kLeSetDataLength, {0x40, 0x00, 0xFB, 0x00, 0x48, 0x08}),
            std::vector<Packet>{cc(op::kLeSetDataLength, {0x01})});

  auto r1 = exec(a, op::kLeRand);
  auto r2 = exec(a, op::kLeRand);
  ASSERT_EQ(r1.size(), 1u);
  ASSERT_EQ(r1[0].size(), 14u);
  EXPECT_NE(r1, r2);
  a.set_unsupported(op::kLeRand);
  EXPECT_EQ(exec(a, op::kLeRand), std::vector<Packet>{cc(op::kLeRand, {0x01})});
  auto sc = exec(a, op::kReadLocalSupportedCommands);
  EXPECT_EQ(sc[0][6 + 27] & 0x80, 0x00);

  // A command failure injected once, answered with the command's event kind.
  a.fail_next_command(op::kLeCreateConnection, 0x0C);
  EXPECT_EQ(exec(a, op::kLeCreateConnection, create_params(pub(0x77))),
            std::vector<Packet>{cs(op::kLeCreateConnection, 0x0C)});
  EXPECT_FALSE(a.is_initiating());
  a.fail_next_command(op::kReadBdAddr, 0x03);
  EXPECT_EQ(exec(a, op::kReadBdAddr),
            std::vector<Packet>{cc(op::kReadBdAddr, {0x03, 0, 0, 0, 0, 0, 0})});
  EXPECT_EQ(exec(a, op::kReadBdAddr)[0][5], 0x00);  // only once

  // Parameter validation: Invalid HCI Command Parameters (0x12).
  EXPECT_EQ(exec(a, op::kLeSetAdvertisingData, {0x03, 0x02, 0x01, 0x06}),
            std::vector<Packet>{cc(op::kLeSetAdvertisingData, {0x12})});
  Packet too_long = adv_data({});
  too_long[0] = 32;
  EXPECT_EQ(exec(a, op::kLeSetAdvertisingData, too_long),
            std::vector<Packet>{cc(op::kLeSetAdvertisingData, {0x12})});
  EXPECT_EQ(exec(a, op::kLeSetAdvertisingParameters, adv_params(0x05)),
            std::vector<Packet>{cc(op::kLeSetAdvertisingParameters, {0x12})});
  EXPECT_EQ(exec(a, op::kLeSetAdvertisingEnable, {0x02}),
            std::vector<Packet>{cc(op::kLeSetAdvertisingEnable, {0x12})});
  // Own address type random without LE_Set_Random_Address.
  EXPECT_EQ(exec(a, op::kLeSetAdvertisingParameters, adv_params(0x00, 0x01)),
            std::vector<Packet>{cc(op::kLeSetAdvertisingParameters, {0x00})});
  EXPECT_EQ(exec(a, op::kLeSetAdvertisingEnable, {0x01}),
            std::vector<Packet>{cc(op::kLeSetAdvertisingEnable, {0x12})});
  EXPECT_FALSE(a.is_advertising());
  expect_no_violations();
}

TEST_F(FakeAirTest, LeRandIsDeterministicAcrossAirs) {
  FakeAir other;
  FakeController& a2 = other.add_controller(pub(0xA1));
  send(a, op::kLeRand);
  air.run_until_idle();
  auto cmd = hci::command(op::kLeRand, {});
  a2.from_host(HciPacketType::kCommand, cmd);
  other.run_until_idle();
  EXPECT_EQ(a.events_to_host(), a2.events_to_host());
}

TEST_F(FakeAirTest, CommandSentWithoutCreditIsAViolation) {
  send(a, op::kReset);
  send(a, op::kReadBdAddr);  // Num_HCI_Command_Packets was 1 and is used up
  air.run_until_idle();
  EXPECT_EQ(a.violations().command_credit, 1u);
  EXPECT_EQ(events(a).size(), 2u);  // both still answered
  send(a, op::kReadBdAddr);
  air.run_until_idle();
  EXPECT_EQ(a.violations().command_credit, 1u);
}

TEST_F(FakeAirTest, ScannerSeesAdvertisingReportsWithExactBytes) {
  bring_up(a);
  bring_up(b);
  advertise(a, 0x00, 0x00, {0x02, 0x01, 0x06});
  EXPECT_EQ(exec(a, op::kLeSetScanResponseData, adv_data({0x03, 0x09, 'h', 'i'})),
            std::vector<Packet>{cc(op::kLeSetScanResponseData, {0x00})});
  EXPECT_TRUE(a.is_advertising());

  // Passive scan, filter duplicates on.
  EXPECT_EQ(exec(b, op::kLeSetScanParameters, {0x00, 0x10, 0x00, 0x10, 0x00, 0x00, 0x00}),
            std::vector<Packet>{cc(op::kLeSetScanParameters, {0x00})});
  auto ev = exec(b, op::kLeSetScanEnable, {0x01, 0x01});
  // 7.7.65.2: Num_Reports 1, ADV_IND, public, address, 3 data octets, RSSI -50.
  Packet report = le(
      0x02, {0x01, 0x00, 0x00, 0xA1, 0x00, 0x00, 0xAA, 0xBB, 0xCC, 0x03, 0x02, 0x01, 0x06, 0xCE});
  EXPECT_EQ(ev, (std::vector<Packet>{cc(op::kLeSetScanEnable, {0x00}), report}));

  // Duplicates filtered: advertising restarted, no new report.
  exec(a, op::kLeSetAdvertisingEnable, {0x00});
  exec(a, op::kLeSetAdvertisingEnable, {0x01});
  EXPECT_TRUE(events(b).empty());

  // Active scan without duplicate filtering: ADV_IND then SCAN_RSP (0x04).
  exec(b, op::kLeSetScanEnable, {0x00, 0x00});
  exec(b, op::kLeSetScanParameters, {0x01, 0x10, 0x00, 0x10, 0x00, 0x00, 0x00});
  ev = exec(b, op::kLeSetScanEnable, {0x01, 0x00});
  Packet scan_rsp = le(0x02, {0x01, 0x04, 0x00, 0xA1, 0x00, 0x00, 0xAA, 0xBB, 0xCC, 0x04, 0x03,
                              0x09, 'h', 'i', 0xCE});
  EXPECT_EQ(ev, (std::vector<Packet>{cc(op::kLeSetScanEnable, {0x00}), report, scan_rsp}));
  // Advertising starting while scanning is reported again (no duplicate filter).
  exec(a, op::kLeSetAdvertisingEnable, {0x00});
  exec(a, op::kLeSetAdvertisingEnable, {0x01});
  EXPECT_EQ(events(b), (std::vector<Packet>{report, scan_rsp}));
  // A controller never reports itself, and non-scanners get nothing.
  EXPECT_TRUE(events(a).empty());
  EXPECT_TRUE(events(c).empty());
  expect_no_violations();
}

TEST_F(FakeAirTest, RandomAddressAndNonConnectableAdvertising) {
  bring_up(a);
  bring_up(b);
  EXPECT_EQ(exec(a, op::kLeSetRandomAddress, {0x11, 0x22, 0x33, 0x44, 0x55, 0xC6}),
            std::vector<Packet>{cc(op::kLeSetRandomAddress, {0x00})});
  advertise(a, 0x03, 0x01, {0x02, 0x01, 0x04});  // ADV_NONCONN_IND from the random address
  // The random address cannot change while advertising (7.8.4).
  EXPECT_EQ(exec(a, op::kLeSetRandomAddress, {1, 2, 3, 4, 5, 0xC6}),
            std::vector<Packet>{cc(op::kLeSetRandomAddress, {0x0C})});
  exec(b, op::kLeSetScanParameters, {0x01, 0x10, 0x00, 0x10, 0x00, 0x00, 0x00});
  auto ev = exec(b, op::kLeSetScanEnable, {0x01, 0x01});
  // Event type 0x03, address type random; not scannable so no SCAN_RSP.
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[1], le(0x02, {0x01, 0x03, 0x01, 0x11, 0x22, 0x33, 0x44, 0x55, 0xC6, 0x03, 0x02, 0x01,
                             0x04, 0xCE}));
  // Not connectable: a connection attempt stays pending.
  Address rnd{{0x11, 0x22, 0x33, 0x44, 0x55, 0xC6}, AddressType::kRandom};
  exec(b, op::kLeSetScanEnable, {0x00, 0x00});
  EXPECT_EQ(exec(b, op::kLeCreateConnection, create_params(rnd)),
            std::vector<Packet>{cs(op::kLeCreateConnection, 0x00)});
  EXPECT_TRUE(b.is_initiating());
  EXPECT_TRUE(a.connection_handles().empty());
  expect_no_violations();
}

TEST_F(FakeAirTest, ConnectGivesBothSidesConnectionCompleteWithRoles) {
  bring_up(a);
  bring_up(b);
  advertise(b);
  send(a, op::kLeCreateConnection, create_params(b.address(), 0x00, 24, 40, 0, 72));
  air.run_until_idle();
  // Central: Command Status, then 7.7.65.1 with handle 0x0040, role 0x00, the
  // peer's public address, interval 24 (the minimum), latency 0, timeout 72, SCA 0.
  EXPECT_EQ(events(a),
            (std::vector<Packet>{cs(op::kLeCreateConnection, 0x00),
                                 le(0x01, {0x00, 0x40, 0x00, 0x00, 0x00, 0xB2, 0x00, 0x00, 0xAA,
                                           0xBB, 0xCC, 24, 0, 0, 0, 72, 0, 0x00})}));
  // Peripheral: its own handle space (0x00C0), role 0x01, central's SCA 0x05.
  EXPECT_EQ(events(b),
            (std::vector<Packet>{le(0x01, {0x00, 0xC0, 0x00, 0x01, 0x00, 0xA1, 0x00, 0x00, 0xAA,
                                           0xBB, 0xCC, 24, 0, 0, 0, 72, 0, 0x05})}));
  EXPECT_FALSE(b.is_advertising());
  EXPECT_FALSE(a.is_initiating());
  EXPECT_EQ(a.connection_handles(), std::vector<uint16_t>{0x0040});
  EXPECT_EQ(b.connection_handles(), std::vector<uint16_t>{0x00C0});
  auto info = b.link(0x00C0);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->role, 0x01);
  EXPECT_EQ(info->peer, a.address());
  // Remote features and version over the link.
  EXPECT_EQ(exec(a, op::kLeReadRemoteFeatures, {0x40, 0x00}),
            (std::vector<Packet>{cs(op::kLeReadRemoteFeatures, 0x00),
                                 le(0x04, {0x00, 0x40, 0x00, 0x0D, 0, 0, 0, 0, 0, 0, 0})}));
  EXPECT_EQ(
      exec(a, op::kReadRemoteVersionInformation, {0x40, 0x00}),
      (std::vector<Packet>{cs(op::kReadRemoteVersionInformation, 0x00),
                           Packet{0x0C, 0x08, 0x00, 0x40, 0x00, 0x0D, 0xFF, 0xFF, 0x01, 0x00}}));
  expect_no_violations();
}

TEST_F(FakeAirTest, EnhancedConnectionCompleteWhenUnmasked) {
  bring_up(a);
  bring_up(b);
  // LE mask with bit 9 (Enhanced Connection Complete) set on the central.
  exec(a, op::kLeSetEventMask, {0x7F, 0x02, 0, 0, 0, 0, 0, 0});
  advertise(b);
  send(a, op::kLeCreateConnection, create_params(b.address()));
  air.run_until_idle();
  auto ev = events(a);
  ASSERT_EQ(ev.size(), 2u);
  // 7.7.65.10: local and peer RPA (zero here) between peer address and interval.
  EXPECT_EQ(ev[1], le(0x0A, {0x00, 0x40, 0x00, 0x00, 0x00, 0xB2, 0x00, 0x00, 0xAA, 0xBB,
                             0xCC, 0,    0,    0,    0,    0,    0,    0,    0,    0,
                             0,    0,    0,    24,   0,    0,    0,    72,   0,    0x00}));
  EXPECT_EQ(events(b)[0][2], 0x01);  // the peripheral still gets the legacy event
}

TEST_F(FakeAirTest, AclIsForwardedAndCompletedPacketsReported) {
  bring_up(a);
  bring_up(b);
  advertise(b);
  auto [ha, hb] = connect(a, b);
  // First fragment (PB 0b00) and a continuation (PB 0b01) of an L2CAP PDU.
  send_acl(a, ha, 0x0, {0x05, 0x00, 0x04, 0x00, 0x0A});
  send_acl(a, ha, 0x1, {0x01, 0x00});
  air.run_until_idle();
  // Peer host: its own handle, PB 0b10 for the start, 0b01 for the continuation.
  EXPECT_EQ(acl(b), (std::vector<Packet>{{0xC0, 0x20, 0x05, 0x00, 0x05, 0x00, 0x04, 0x00, 0x0A},
                                         {0xC0, 0x10, 0x02, 0x00, 0x01, 0x00}}));
  // Sender: 7.7.19 Number Of Completed Packets, one per packet.
  Packet nocp{0x13, 0x05, 0x01, 0x40, 0x00, 0x01, 0x00};
  EXPECT_EQ(events(a), (std::vector<Packet>{nocp, nocp}));
  EXPECT_EQ(a.acl_in_flight(), 0u);
  EXPECT_TRUE(acl(a).empty());

  // And back the other way.
  send_acl(b, hb, 0x0, {0x01, 0x00, 0x04, 0x00, 0x0B});
  air.run_until_idle();
  EXPECT_EQ(acl(a), (std::vector<Packet>{{0x40, 0x20, 0x05, 0x00, 0x01, 0x00, 0x04, 0x00, 0x0B}}));
  EXPECT_EQ(events(b), (std::vector<Packet>{{0x13, 0x05, 0x01, 0xC0, 0x00, 0x01, 0x00}}));

  // Dropped on the way to a's host: b still gets its completion.
  a.drop_acl_to_host(true);
  send_acl(b, hb, 0x0, {0x01, 0x00, 0x04, 0x00, 0x0B});
  air.run_until_idle();
  EXPECT_TRUE(acl(a).empty());
  EXPECT_EQ(events(b).size(), 1u);
  expect_no_violations();
}

TEST_F(FakeAirTest, AclFlowControlViolationsAreCounted) {
  bring_up(a);
  bring_up(b);
  advertise(b);
  auto [ha, hb] = connect(a, b);
  a.set_acl_buffer(27, 2);
  a.set_auto_complete_acl(false);
  Packet small{0x01, 0x00, 0x04, 0x00, 0x0A};
  send_acl(a, ha, 0x0, small);
  send_acl(a, ha, 0x0, small);
  air.run_until_idle();
  EXPECT_EQ(a.violations().acl_credit, 0u);
  EXPECT_EQ(a.acl_in_flight(), 2u);
  send_acl(a, ha, 0x0, small);  // third packet, two buffers, no completion yet
  air.run_until_idle();
  EXPECT_EQ(a.violations().acl_credit, 1u);
  EXPECT_EQ(acl(b).size(), 3u);  // still forwarded
  EXPECT_TRUE(events(a).empty());
  a.complete_acl_packets();
  air.run_until_idle();
  EXPECT_EQ(events(a), (std::vector<Packet>{{0x13, 0x05, 0x01, 0x40, 0x00, 0x03, 0x00}}));
  EXPECT_EQ(a.acl_in_flight(), 0u);

  a.set_auto_complete_acl(true);
  send_acl(a, ha, 0x0, Packet(28, 0x00));  // longer than the 27-octet buffer
  send_acl(a, 0x0123, 0x0, small);         // no such handle: dropped
  air.run_until_idle();
  EXPECT_EQ(a.violations().acl_length, 1u);
  EXPECT_EQ(a.violations().acl_unknown_handle, 1u);
  EXPECT_EQ(acl(b).size(), 1u);
  EXPECT_EQ(a.violations().total(), 3u);
  EXPECT_EQ(b.violations().total(), 0u);
  (void)hb;
}

TEST_F(FakeAirTest, EncryptionWithEqualKeysThenKeyRefresh) {
  bring_up(a);
  bring_up(b);
  advertise(b);
  auto [ha, hb] = connect(a, b);
  Packet rand{1, 2, 3, 4, 5, 6, 7, 8};
  Packet ltk(16, 0x5A);
  EXPECT_EQ(exec(a, op::kLeEnableEncryption, cat({h16(ha), rand, {0x34, 0x12}, ltk})),
            std::vector<Packet>{cs(op::kLeEnableEncryption, 0x00)});
  // 7.7.65.5 LE Long Term Key Request: handle, Random_Number, EDIV.
  EXPECT_EQ(events(b), std::vector<Packet>{le(0x05, cat({h16(hb), rand, {0x34, 0x12}}))});
  EXPECT_EQ(exec(b, op::kLeLongTermKeyRequestReply, cat({h16(hb), ltk})),
            (std::vector<Packet>{cc(op::kLeLongTermKeyRequestReply, cat({{0x00}, h16(hb)})),
                                 cat({{0x08, 0x04, 0x00}, h16(hb), {0x01}})}));
  // 7.7.8 Encryption Change: success, enabled (0x01).
  EXPECT_EQ(events(a), std::vector<Packet>{cat({{0x08, 0x04, 0x00}, h16(ha), {0x01}})});
  EXPECT_TRUE(a.is_encrypted(ha));
  EXPECT_TRUE(b.is_encrypted(hb));
  EXPECT_EQ(exec(a, op::kReadEncryptionKeySize, h16(ha)),
            std::vector<Packet>{cc(op::kReadEncryptionKeySize, cat({{0x00}, h16(ha), {16}}))});

  // Re-encryption of an encrypted link: 7.7.39 Encryption Key Refresh Complete.
  Packet ltk2(16, 0x6B);
  exec(a, op::kLeEnableEncryption, cat({h16(ha), rand, {0x34, 0x12}, ltk2}));
  EXPECT_EQ(events(b).size(), 1u);
  EXPECT_EQ(exec(b, op::kLeLongTermKeyRequestReply, cat({h16(hb), ltk2})),
            (std::vector<Packet>{cc(op::kLeLongTermKeyRequestReply, cat({{0x00}, h16(hb)})),
                                 cat({{0x30, 0x03, 0x00}, h16(hb)})}));
  EXPECT_EQ(events(a), std::vector<Packet>{cat({{0x30, 0x03, 0x00}, h16(ha)})});
  // Only the central may start encryption.
  EXPECT_EQ(exec(b, op::kLeEnableEncryption, cat({h16(hb), rand, {0, 0}, ltk})),
            std::vector<Packet>{cs(op::kLeEnableEncryption, 0x0C)});
  expect_no_violations();
}

TEST_F(FakeAirTest, LtkNegativeReplyLeavesLinkUpUnencrypted) {
  bring_up(a);
  bring_up(b);
  advertise(b);
  auto [ha, hb] = connect(a, b);
  exec(a, op::kLeEnableEncryption, cat({h16(ha), Packet(8, 0), {0, 0}, Packet(16, 1)}));
  EXPECT_EQ(events(b).size(), 1u);
  EXPECT_EQ(
      exec(b, op::kLeLongTermKeyRequestNegativeReply, h16(hb)),
      std::vector<Packet>{cc(op::kLeLongTermKeyRequestNegativeReply, cat({{0x00}, h16(hb)}))});
  // Central: Encryption Change, PIN or Key Missing (0x06), not enabled.
  EXPECT_EQ(events(a), std::vector<Packet>{cat({{0x08, 0x04, 0x06}, h16(ha), {0x00}})});
  EXPECT_FALSE(a.is_encrypted(ha));
  EXPECT_EQ(a.connection_handles().size(), 1u);
  EXPECT_EQ(b.connection_handles().size(), 1u);
  // A reply with nothing pending is disallowed.
  EXPECT_EQ(
      exec(b, op::kLeLongTermKeyRequestNegativeReply, h16(hb)),
      std::vector<Packet>{cc(op::kLeLongTermKeyRequestNegativeReply, cat({{0x0C}, h16(hb)}))});
  expect_no_violations();
}

TEST_F(FakeAirTest, MismatchedLtkDropsTheLinkWithMicFailure) {
  bring_up(a);
  bring_up(b);
  advertise(b);
  auto [ha, hb] = connect(a, b);
  exec(a, op::kLeEnableEncryption, cat({h16(ha), Packet(8, 0), {0, 0}, Packet(16, 1)}));
  events(b);
  EXPECT_EQ(exec(b, op::kLeLongTermKeyRequestReply, cat({h16(hb), Packet(16, 2)})),
            (std::vector<Packet>{cc(op::kLeLongTermKeyRequestReply, cat({{0x00}, h16(hb)})),
                                 cat({{0x05, 0x04, 0x00}, h16(hb), {0x3D}})}));
  EXPECT_EQ(events(a), std::vector<Packet>{cat({{0x05, 0x04, 0x00}, h16(ha), {0x3D}})});
  EXPECT_TRUE(a.connection_handles().empty());
  EXPECT_TRUE(b.connection_handles().empty());
}

TEST_F(FakeAirTest, MismatchedLtkQuirkReproducesBtvirt) {
  air.set_ltk_mismatch_quirk(true);
  bring_up(a);
  bring_up(b);
  advertise(b);
  auto [ha, hb] = connect(a, b);
  exec(a, op::kLeEnableEncryption, cat({h16(ha), Packet(8, 0), {0, 0}, Packet(16, 1)}));
  events(b);
  exec(b, op::kLeLongTermKeyRequestReply, cat({h16(hb), Packet(16, 2)}));
  EXPECT_EQ(events(a), std::vector<Packet>{cat({{0x08, 0x04, 0x05}, h16(ha), {0x00}})});
  EXPECT_EQ(a.connection_handles().size(), 1u);
}

TEST_F(FakeAirTest, HostSinkMayAnswerFromInsideTheCallback) {
  bring_up(a);
  bring_up(b);
  advertise(b);
  // Not a structured binding: clang 14 cannot capture one in the lambda below.
  const auto handles = connect(a, b);
  const uint16_t ha = handles.first, hb = handles.second;
  Packet ltk(16, 0x42);
  int calls = 0;
  b.set_host_sink([&](HciPacketType type, Bytes pkt) {
    ++calls;
    // On LE Long Term Key Request, reply with the key at once.
    if (type == HciPacketType::kEvent && pkt.size() > 2 && pkt[0] == 0x3E && pkt[2] == 0x05) {
      auto reply = hci::command(op::kLeLongTermKeyRequestReply, Bytes(cat({h16(hb), ltk})));
      b.from_host(HciPacketType::kCommand, reply);
    }
  });
  send(a, op::kLeEnableEncryption, cat({h16(ha), Packet(8, 0), {0, 0}, ltk}));
  EXPECT_TRUE(air.run_until_idle());
  EXPECT_EQ(calls, 3);  // LTK Request, Command Complete, Encryption Change
  EXPECT_TRUE(a.is_encrypted(ha));
  EXPECT_FALSE(air.run_until_idle());
  expect_no_violations();
}

TEST_F(FakeAirTest, DisconnectReachesBothSides) {
  bring_up(a);
  bring_up(b);
  advertise(b);
  auto [ha, hb] = connect(a, b);
  EXPECT_EQ(exec(a, op::kDisconnect, cat({h16(ha), {0x42}})),
            std::vector<Packet>{cs(op::kDisconnect, 0x12)});  // not a valid reason
  EXPECT_EQ(exec(a, op::kDisconnect, {0x55, 0x05, 0x13}),
            std::vector<Packet>{cs(op::kDisconnect, 0x02)});  // unknown handle
  // 7.7.5: local host gets 0x16, the remote the reason sent (0x13).
  EXPECT_EQ(
      exec(a, op::kDisconnect, cat({h16(ha), {0x13}})),
      (std::vector<Packet>{cs(op::kDisconnect, 0x00), cat({{0x05, 0x04, 0x00}, h16(ha), {0x16}})}));
  EXPECT_EQ(events(b), std::vector<Packet>{cat({{0x05, 0x04, 0x00}, h16(hb), {0x13}})});
  EXPECT_TRUE(a.connection_handles().empty());
  EXPECT_TRUE(b.connection_handles().empty());
  // The handle is gone: ACL to it is a host bug.
  send_acl(a, ha, 0x0, {0x00, 0x00, 0x04, 0x00});
  air.run_until_idle();
  EXPECT_EQ(a.violations().acl_unknown_handle, 1u);
}

TEST_F(FakeAirTest, ConnectionUpdateFromPeripheralAppliedDirectly) {
  bring_up(a);
  bring_up(b);
  advertise(b);
  auto [ha, hb] = connect(a, b);
  // 24..48 x 1.25 ms, latency 0, 600 ms supervision timeout.
  Packet upd = cat({h16(hb), {24, 0, 48, 0, 0, 0, 60, 0, 0, 0, 0, 0}});
  EXPECT_EQ(exec(b, op::kLeConnectionUpdate, upd),
            (std::vector<Packet>{cs(op::kLeConnectionUpdate, 0x00),
                                 le(0x03, cat({{0x00}, h16(hb), {24, 0, 0, 0, 60, 0}}))}));
  EXPECT_EQ(events(a), std::vector<Packet>{le(0x03, cat({{0x00}, h16(ha), {24, 0, 0, 0, 60, 0}}))});
  EXPECT_EQ(a.link(ha)->supervision_timeout, 60);
  // Timeout too short for the interval: Invalid HCI Command Parameters.
  EXPECT_EQ(
      exec(a, op::kLeConnectionUpdate, cat({h16(ha), {0x80, 0, 0x80, 0, 0, 0, 10, 0, 0, 0, 0, 0}})),
      std::vector<Packet>{cs(op::kLeConnectionUpdate, 0x12)});
  expect_no_violations();
}

TEST_F(FakeAirTest, ConnectionUpdateThroughRemoteParameterRequest) {
  air.set_remote_connection_parameter_request(true);
  bring_up(a);
  bring_up(b);
  advertise(b);
  auto [ha, hb] = connect(a, b);
  EXPECT_EQ(
      exec(b, op::kLeConnectionUpdate, cat({h16(hb), {24, 0, 48, 0, 0, 0, 60, 0, 0, 0, 0, 0}})),
      std::vector<Packet>{cs(op::kLeConnectionUpdate, 0x00)});
  // 7.7.65.6 to the central's host.
  EXPECT_EQ(events(a), std::vector<Packet>{le(0x06, cat({h16(ha), {24, 0, 48, 0, 0, 0, 60, 0}}))});
  EXPECT_EQ(
      exec(a, op::kLeRemoteConnectionParameterRequestReply,
           cat({h16(ha), {36, 0, 36, 0, 0, 0, 60, 0, 0, 0, 0, 0}})),
      (std::vector<Packet>{cc(op::kLeRemoteConnectionParameterRequestReply, cat({{0x00}, h16(ha)})),
                           le(0x03, cat({{0x00}, h16(ha), {36, 0, 0, 0, 60, 0}}))}));
  EXPECT_EQ(events(b), std::vector<Packet>{le(0x03, cat({{0x00}, h16(hb), {36, 0, 0, 0, 60, 0}}))});

  // Rejected: only the requester hears, with the host's reason and the old parameters.
  exec(b, op::kLeConnectionUpdate, cat({h16(hb), {6, 0, 6, 0, 0, 0, 60, 0, 0, 0, 0, 0}}));
  events(b);
  EXPECT_EQ(events(a).size(), 1u);
  EXPECT_EQ(exec(a, op::kLeRemoteConnectionParameterRequestNegativeReply, cat({h16(ha), {0x3B}})),
            std::vector<Packet>{
                cc(op::kLeRemoteConnectionParameterRequestNegativeReply, cat({{0x00}, h16(ha)}))});
  EXPECT_EQ(events(b), std::vector<Packet>{le(0x03, cat({{0x3B}, h16(hb), {36, 0, 0, 0, 60, 0}}))});
  // The feature bit tells hosts the procedure exists.
  EXPECT_EQ(exec(a, op::kLeReadLocalSupportedFeatures)[0][6], 0x0F);
  expect_no_violations();
}

TEST_F(FakeAirTest, CreateConnectionCancelAndLateAdvertiser) {
  bring_up(a);
  bring_up(b);
  EXPECT_EQ(exec(a, op::kLeCreateConnectionCancel),
            std::vector<Packet>{cc(op::kLeCreateConnectionCancel, {0x0C})});
  EXPECT_EQ(exec(a, op::kLeCreateConnection, create_params(b.address())),
            std::vector<Packet>{cs(op::kLeCreateConnection, 0x00)});
  EXPECT_TRUE(a.is_initiating());
  EXPECT_EQ(exec(a, op::kLeCreateConnection, create_params(b.address())),
            std::vector<Packet>{cs(op::kLeCreateConnection, 0x0C)});
  // 7.8.13: Command Complete, then LE Connection Complete with 0x02.
  EXPECT_EQ(exec(a, op::kLeCreateConnectionCancel),
            (std::vector<Packet>{cc(op::kLeCreateConnectionCancel, {0x00}),
                                 le(0x01, {0x02, 0x00, 0x00, 0x00, 0x00, 0xB2, 0x00, 0x00, 0xAA,
                                           0xBB, 0xCC, 0, 0, 0, 0, 0, 0, 0})}));
  EXPECT_FALSE(a.is_initiating());

  // A pending connection completes once the peer starts advertising.
  exec(a, op::kLeCreateConnection, create_params(b.address()));
  exec(b, op::kLeSetAdvertisingParameters, adv_params());
  auto pev = exec(b, op::kLeSetAdvertisingEnable, {0x01});
  ASSERT_EQ(pev.size(), 2u);
  EXPECT_EQ(pev[0], cc(op::kLeSetAdvertisingEnable, {0x00}));
  EXPECT_EQ(pev[1][2], 0x01);  // LE Connection Complete
  EXPECT_EQ(pev[1][6], 0x01);  // role: peripheral
  auto ev = events(a);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0][2], 0x01);
  EXPECT_EQ(ev[0][3], 0x00);
  EXPECT_EQ(b.connection_handles().size(), 1u);
  expect_no_violations();
}

TEST_F(FakeAirTest, ConnectionDelayFiresOnAdvance) {
  air.set_connection_delay(Duration(30));
  bring_up(a);
  bring_up(b);
  advertise(b);
  exec(a, op::kLeCreateConnection, create_params(b.address()));
  EXPECT_TRUE(a.connection_handles().empty());
  air.advance(Duration(29));
  air.run_until_idle();
  EXPECT_TRUE(a.connection_handles().empty());
  air.advance(Duration(1));
  EXPECT_EQ(air.now(), at_ms(30));
  air.run_until_idle();
  EXPECT_EQ(a.connection_handles().size(), 1u);
  EXPECT_EQ(events(b).size(), 1u);
}

TEST_F(FakeAirTest, SeveralLinksOnOnePeripheralHaveDistinctHandles) {
  bring_up(a);
  bring_up(b);
  bring_up(c);
  FakeController& d = air.add_controller(pub(0xD4));
  bring_up(d);
  // Peripheral a accepts three centrals, re-advertising after each.
  advertise(a);
  auto [hb, hab] = connect(b, a);
  advertise(a);
  auto [hc, hac] = connect(c, a);
  advertise(a);
  auto [hd, had] = connect(d, a);
  std::vector<uint16_t> handles{hab, hac, had};
  EXPECT_EQ(a.connection_handles(), (std::vector<uint16_t>{0x0040, 0x0041, 0x0042}));
  EXPECT_EQ(a.link(hab)->peer, b.address());
  EXPECT_EQ(a.link(had)->peer, d.address());

  // Each central's data arrives on the peripheral under that central's handle.
  send_acl(b, hb, 0x0, {0x01, 0x00, 0x04, 0x00, 0xBB});
  send_acl(c, hc, 0x0, {0x01, 0x00, 0x04, 0x00, 0xCC});
  send_acl(d, hd, 0x0, {0x01, 0x00, 0x04, 0x00, 0xDD});
  air.run_until_idle();
  EXPECT_EQ(acl(a),
            (std::vector<Packet>{cat({h16(uint16_t(hab | 0x2000)), {5, 0, 1, 0, 4, 0, 0xBB}}),
                                 cat({h16(uint16_t(hac | 0x2000)), {5, 0, 1, 0, 4, 0, 0xCC}}),
                                 cat({h16(uint16_t(had | 0x2000)), {5, 0, 1, 0, 4, 0, 0xDD}})}));
  // The peripheral's reply on the second link reaches only c.
  send_acl(a, hac, 0x0, {0x01, 0x00, 0x04, 0x00, 0x77});
  air.run_until_idle();
  EXPECT_EQ(events(a), (std::vector<Packet>{cat({{0x13, 0x05, 0x01}, h16(hac), {0x01, 0x00}})}));
  EXPECT_TRUE(acl(b).empty());
  EXPECT_TRUE(acl(d).empty());
  EXPECT_EQ(acl(c),
            (std::vector<Packet>{cat({h16(uint16_t(hc | 0x2000)), {5, 0, 1, 0, 4, 0, 0x77}})}));

  // Disconnecting one link leaves the others.
  exec(c, op::kDisconnect, cat({h16(hc), {0x13}}));
  EXPECT_EQ(events(a), std::vector<Packet>{cat({{0x05, 0x04, 0x00}, h16(hac), {0x13}})});
  EXPECT_EQ(a.connection_handles(), (std::vector<uint16_t>{hab, had}));
  EXPECT_EQ(b.violations().total() + c.violations().total() + d.violations().total(), 0u);
  expect_no_violations();
}

TEST_F(FakeAirTest, EventMasksAreApplied) {
  // After Reset the default event mask has no LE Meta bit: no LE events.
  exec(a, op::kReset);
  exec(b, op::kReset);
  advertise(a);
  exec(b, op::kLeSetScanParameters, {0x00, 0x10, 0x00, 0x10, 0x00, 0x00, 0x00});
  EXPECT_EQ(exec(b, op::kLeSetScanEnable, {0x01, 0x00}),
            std::vector<Packet>{cc(op::kLeSetScanEnable, {0x00})});
  // LE Meta on, but the LE mask without Advertising Report (bit 1).
  exec(b, op::kLeSetScanEnable, {0x00, 0x00});
  exec(b, op::kSetEventMask, {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F});
  exec(b, op::kLeSetEventMask, {0x01, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_EQ(exec(b, op::kLeSetScanEnable, {0x01, 0x00}).size(), 1u);
  exec(b, op::kLeSetScanEnable, {0x00, 0x00});
  exec(b, op::kLeSetEventMask, {0x03, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_EQ(exec(b, op::kLeSetScanEnable, {0x01, 0x00}).size(), 2u);
  EXPECT_EQ(b.le_event_mask(), 0x03u);
  expect_no_violations();
}

TEST_F(FakeAirTest, ResetDropsLinksAndThePeerTimesOut) {
  bring_up(a);
  bring_up(b);
  advertise(b);
  auto [ha, hb] = connect(a, b);  // supervision timeout 72 x 10 ms
  EXPECT_EQ(exec(a, op::kReset), std::vector<Packet>{cc(op::kReset, {0x00})});
  EXPECT_TRUE(a.connection_handles().empty());
  EXPECT_FALSE(b.link(hb)->peer_present);
  air.advance(Duration(719));
  air.run_until_idle();
  EXPECT_TRUE(events(b).empty());
  air.advance(Duration(1));
  air.run_until_idle();
  EXPECT_EQ(events(b), std::vector<Packet>{cat({{0x05, 0x04, 0x00}, h16(hb), {0x08}})});
  EXPECT_TRUE(b.connection_handles().empty());
  EXPECT_TRUE(events(a).empty());
  (void)ha;
}

TEST_F(FakeAirTest, HighDutyDirectedAdvertisingTimesOut) {
  bring_up(a);
  advertise(a, 0x01, 0x00);  // directed at 00:00:00:00:00:00 (public)
  air.advance(Duration(1280));
  air.run_until_idle();
  EXPECT_EQ(events(a), std::vector<Packet>{le(
                           0x01, {0x3C, 0, 0, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})});
  EXPECT_FALSE(a.is_advertising());
}

TEST_F(FakeAirTest, LinkLossReportsConnectionTimeoutOnBothSides) {
  bring_up(a);
  bring_up(b);
  advertise(b);
  auto [ha, hb] = connect(a, b);
  EXPECT_TRUE(air.lose_link(b, hb));
  air.run_until_idle();
  EXPECT_EQ(events(a), std::vector<Packet>{cat({{0x05, 0x04, 0x00}, h16(ha), {0x08}})});
  EXPECT_EQ(events(b), std::vector<Packet>{cat({{0x05, 0x04, 0x00}, h16(hb), {0x08}})});
  EXPECT_FALSE(air.lose_link(b, hb));
}

}  // namespace
}  // namespace sable::testing

namespace sable::testing {
namespace {

TEST_F(FakeAirTest, DataLengthChangeWhenBothSidesSupportIt) {
  a.set_data_length_supported(true);
  b.set_data_length_supported(true);
  bring_up(a);
  bring_up(b);
  advertise(b);
  auto [ha, hb] = connect(a, b);
  // 251 octets, 2120 us from the central.
  EXPECT_EQ(
      exec(a, op::kLeSetDataLength, cat({h16(ha), {0xFB, 0x00, 0x48, 0x08}})),
      (std::vector<Packet>{cc(op::kLeSetDataLength, cat({{0x00}, h16(ha)})),
                           le(0x07, cat({h16(ha), {0xFB, 0, 0x48, 0x08, 27, 0, 0x48, 0x01}}))}));
  // 7.7.65.7 on the peer: its RX grew, its TX did not.
  EXPECT_EQ(events(b), std::vector<Packet>{
                           le(0x07, cat({h16(hb), {27, 0, 0x48, 0x01, 0xFB, 0, 0x48, 0x08}}))});
  // Same value again: no event.
  EXPECT_EQ(exec(a, op::kLeSetDataLength, cat({h16(ha), {0xFB, 0x00, 0x48, 0x08}})).size(), 1u);
  // Out of range: 0x12.
  EXPECT_EQ(exec(a, op::kLeSetDataLength, cat({h16(ha), {0x1A, 0x00, 0x48, 0x08}})),
            std::vector<Packet>{cc(op::kLeSetDataLength, cat({{0x12}, h16(ha)}))});
  EXPECT_EQ(exec(a, op::kLeReadLocalSupportedFeatures)[0][6], 0x2D);
  expect_no_violations();
}

TEST_F(FakeAirTest, ResolvingListCommandsAreStored) {
  bring_up(a);
  Packet entry = cat({{0x01}, {1, 2, 3, 4, 5, 0xC6}, Packet(16, 0x11), Packet(16, 0x22)});
  EXPECT_EQ(exec(a, op::kLeReadResolvingListSize),
            std::vector<Packet>{cc(op::kLeReadResolvingListSize, {0x00, 8})});
  EXPECT_EQ(exec(a, op::kLeAddDeviceToResolvingList, entry),
            std::vector<Packet>{cc(op::kLeAddDeviceToResolvingList, {0x00})});
  EXPECT_EQ(exec(a, op::kLeAddDeviceToResolvingList, entry),
            std::vector<Packet>{cc(op::kLeAddDeviceToResolvingList, {0x12})});
  EXPECT_EQ(a.resolving_list_size(), 1u);
  EXPECT_EQ(exec(a, op::kLeRemoveDeviceFromResolvingList, {0x00, 1, 2, 3, 4, 5, 0xC6}),
            std::vector<Packet>{cc(op::kLeRemoveDeviceFromResolvingList, {0x02})});
  EXPECT_EQ(exec(a, op::kLeSetResolvablePrivateAddressTimeout, {0x84, 0x03}),
            std::vector<Packet>{cc(op::kLeSetResolvablePrivateAddressTimeout, {0x00})});
  EXPECT_EQ(exec(a, op::kLeSetResolvablePrivateAddressTimeout, {0x00, 0x00}),
            std::vector<Packet>{cc(op::kLeSetResolvablePrivateAddressTimeout, {0x12})});
  EXPECT_EQ(exec(a, op::kLeSetAddressResolutionEnable, {0x01}),
            std::vector<Packet>{cc(op::kLeSetAddressResolutionEnable, {0x00})});
  EXPECT_TRUE(a.address_resolution_enabled());
  // The list cannot change while resolution is on and advertising runs (7.8.38).
  advertise(a);
  EXPECT_EQ(exec(a, op::kLeClearResolvingList),
            std::vector<Packet>{cc(op::kLeClearResolvingList, {0x0C})});
  exec(a, op::kLeSetAdvertisingEnable, {0x00});
  EXPECT_EQ(exec(a, op::kLeClearResolvingList),
            std::vector<Packet>{cc(op::kLeClearResolvingList, {0x00})});
  EXPECT_EQ(a.resolving_list_size(), 0u);
  // HCI_Reset clears it all.
  exec(a, op::kReset);
  EXPECT_FALSE(a.address_resolution_enabled());
  expect_no_violations();
}

}  // namespace
}  // namespace sable::testing
