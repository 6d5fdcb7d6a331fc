// Event parsers (Core 5.4 Vol 4 Part E 7.7), each fed the exact parameters, one
// octet short, one octet long and empty. Documented results:
//   fixed layout:   short → kTruncated, long → accepted (extra ignored), empty → kTruncated
//   counted layout: short / long → kLengthMismatch or kTruncated, empty → kTruncated
#include <gtest/gtest.h>

#include <vector>

#include "hci/events.hpp"

namespace sable::hci {
namespace {

using Packet = std::vector<uint8_t>;
Bytes B(const Packet& p) {
  return Bytes(p.data(), p.size());
}
Packet shorter(Packet p) {
  p.pop_back();
  return p;
}
Packet longer(Packet p) {
  p.push_back(0xEE);
  return p;
}

// The length contract of a fixed-layout parser.
template <class Event>
void expect_fixed_layout(const Packet& exact) {
  SCOPED_TRACE(::testing::Message() << "size " << exact.size());
  EXPECT_TRUE(Event::parse(B(exact)));
  auto s = Event::parse(B(shorter(exact)));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), ParseError::kTruncated);
  EXPECT_TRUE(Event::parse(B(longer(exact))));  // trailing octet ignored
  auto e = Event::parse(Bytes{});
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error(), ParseError::kTruncated);
}

TEST(EventPacketTest, HeaderLengthMustMatch) {
  const Packet p = {0x10, 0x01, 0x42};  // Hardware Error, length 1, code 0x42
  auto e = EventPacket::parse(B(p));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, ev::kHardwareError);
  EXPECT_EQ(e->params.size(), 1u);
  EXPECT_EQ(EventPacket::parse(B(shorter(p))).error(), ParseError::kLengthMismatch);
  EXPECT_EQ(EventPacket::parse(B(longer(p))).error(), ParseError::kLengthMismatch);
  EXPECT_EQ(EventPacket::parse(Bytes{}).error(), ParseError::kTruncated);
  EXPECT_EQ(EventPacket::parse(B({0x10})).error(), ParseError::kTruncated);
}

TEST(CommandCompleteTest, ParsesReturnParameters) {
  const Packet p = {0x01,                                 // Num_HCI_Command_Packets
                    0x09, 0x10,                           // opcode Read_BD_ADDR
                    0x00,                                 // status
                    0x42, 0x00, 0x00, 0x01, 0xAA, 0x00};  // BD_ADDR
  auto cc = CommandCompleteEvent::parse(B(p));
  ASSERT_TRUE(cc);
  EXPECT_EQ(cc->num_hci_command_packets, 1);
  EXPECT_EQ(cc->opcode, op::kReadBdAddr);
  EXPECT_EQ(cc->status(), HciStatus::kSuccess);
  EXPECT_EQ(cc->return_params.size(), 7u);
  // Short/long: the return parameters are opaque at this level, so both parse.
  EXPECT_EQ(CommandCompleteEvent::parse(B(shorter(p)))->return_params.size(), 6u);
  EXPECT_EQ(CommandCompleteEvent::parse(B(longer(p)))->return_params.size(), 8u);
  EXPECT_EQ(CommandCompleteEvent::parse(Bytes{}).error(), ParseError::kTruncated);
  EXPECT_EQ(CommandCompleteEvent::parse(B({0x01, 0x09})).error(), ParseError::kTruncated);
}

TEST(CommandCompleteTest, NopHasNoStatus) {
  auto cc = CommandCompleteEvent::parse(B({0x05, 0x00, 0x00}));  // 5 credits, opcode 0x0000
  ASSERT_TRUE(cc);
  EXPECT_EQ(cc->num_hci_command_packets, 5);
  EXPECT_EQ(cc->opcode, op::kNop);
  EXPECT_FALSE(cc->status());
}

TEST(CommandCompleteTest, BtvirtOneOctetRemoteConnParamReplyIsTolerated) {
  // btvirt: Command Complete for LE_Remote_Connection_Parameter_Request_Reply with
  // only the status octet (the spec also defines a Connection_Handle).
  const Packet p = {0x01,        // Num_HCI_Command_Packets
                    0x20, 0x20,  // opcode 0x2020
                    0x00};       // status only
  auto cc = CommandCompleteEvent::parse(B(p));
  ASSERT_TRUE(cc);
  EXPECT_EQ(cc->opcode, op::kLeRemoteConnectionParameterRequestReply);
  EXPECT_EQ(cc->status(), HciStatus::kSuccess);
  EXPECT_EQ(cc->return_params.size(), 1u);
}

TEST(CommandStatusTest, Parses) {
  const Packet p = {0x00,         // status pending
                    0x01,         // Num_HCI_Command_Packets
                    0x0D, 0x20};  // opcode LE_Create_Connection
  auto cs = CommandStatusEvent::parse(B(p));
  ASSERT_TRUE(cs);
  EXPECT_EQ(cs->status, HciStatus::kSuccess);
  EXPECT_EQ(cs->num_hci_command_packets, 1);
  EXPECT_EQ(cs->opcode, op::kLeCreateConnection);
  expect_fixed_layout<CommandStatusEvent>(p);
}

TEST(DisconnectionCompleteTest, Parses) {
  const Packet p = {0x00,        // status
                    0x40, 0xF0,  // handle 0x040 (RFU bits set, masked off)
                    0x13};       // reason: remote user terminated
  auto e = DisconnectionCompleteEvent::parse(B(p));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->status, HciStatus::kSuccess);
  EXPECT_EQ(e->handle, 0x0040);
  EXPECT_EQ(e->reason, HciStatus::kRemoteUserTerminatedConnection);
  expect_fixed_layout<DisconnectionCompleteEvent>(p);
}

TEST(EncryptionChangeTest, Parses) {
  const Packet p = {0x00,        // status
                    0x01, 0x00,  // handle
                    0x01};       // encryption on
  auto e = EncryptionChangeEvent::parse(B(p));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->handle, 0x0001);
  EXPECT_EQ(e->encryption_enabled, 1);
  expect_fixed_layout<EncryptionChangeEvent>(p);
  // btvirt's LTK mismatch: status Authentication Failure.
  EXPECT_EQ(EncryptionChangeEvent::parse(B({0x05, 0x01, 0x00, 0x00}))->status,
            HciStatus::kAuthenticationFailure);
}

TEST(EncryptionKeyRefreshCompleteTest, Parses) {
  const Packet p = {0x00, 0x02, 0x00};  // status, handle 2
  auto e = EncryptionKeyRefreshCompleteEvent::parse(B(p));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->handle, 0x0002);
  expect_fixed_layout<EncryptionKeyRefreshCompleteEvent>(p);
}

TEST(NumberOfCompletedPacketsTest, ParsesAndValidatesCount) {
  const Packet p = {0x02,                     // Num_Handles
                    0x01, 0x00, 0x03, 0x00,   // handle 1: 3 packets
                    0x02, 0x00, 0x01, 0x00};  // handle 2: 1 packet
  auto e = NumberOfCompletedPacketsEvent::parse(B(p));
  ASSERT_TRUE(e);
  ASSERT_EQ(e->size(), 2u);
  EXPECT_EQ(e->handle(0), 1);
  EXPECT_EQ(e->count(0), 3);
  EXPECT_EQ(e->handle(1), 2);
  EXPECT_EQ(e->count(1), 1);
  EXPECT_EQ(NumberOfCompletedPacketsEvent::parse(B(shorter(p))).error(),
            ParseError::kLengthMismatch);
  EXPECT_EQ(NumberOfCompletedPacketsEvent::parse(B(longer(p))).error(),
            ParseError::kLengthMismatch);
  EXPECT_EQ(NumberOfCompletedPacketsEvent::parse(Bytes{}).error(), ParseError::kTruncated);
  // A count claiming more handles than present.
  EXPECT_EQ(NumberOfCompletedPacketsEvent::parse(B({0x03, 0x01, 0x00, 0x01, 0x00})).error(),
            ParseError::kLengthMismatch);
  EXPECT_EQ(NumberOfCompletedPacketsEvent::parse(B({0x00}))->size(), 0u);
}

TEST(HardwareErrorTest, Parses) {
  const Packet p = {0x07};
  EXPECT_EQ(HardwareErrorEvent::parse(B(p))->hardware_code, 0x07);
  EXPECT_EQ(HardwareErrorEvent::parse(Bytes{}).error(), ParseError::kTruncated);
  EXPECT_TRUE(HardwareErrorEvent::parse(B(longer(p))));
}

TEST(DataBufferOverflowTest, Parses) {
  const Packet p = {0x01};  // ACL
  EXPECT_EQ(DataBufferOverflowEvent::parse(B(p))->link_type, 0x01);
  EXPECT_EQ(DataBufferOverflowEvent::parse(Bytes{}).error(), ParseError::kTruncated);
  EXPECT_TRUE(DataBufferOverflowEvent::parse(B(longer(p))));
}

TEST(LeMetaTest, SplitsSubevent) {
  const Packet p = {0x05, 0xAA};  // subevent LTK request, one parameter octet
  auto m = LeMetaEvent::parse(B(p));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->subevent, le_ev::kLongTermKeyRequest);
  EXPECT_EQ(m->params.size(), 1u);
  EXPECT_EQ(LeMetaEvent::parse(Bytes{}).error(), ParseError::kTruncated);
}

const Packet kConnectionComplete = {0x00,                                // status
                                    0x2A, 0x00,                          // handle 0x002A
                                    0x01,                                // role peripheral
                                    0x01,                                // peer address type random
                                    0x06, 0x05, 0x04, 0x03, 0x02, 0xC1,  // peer address
                                    0x18, 0x00,                          // interval 24
                                    0x00, 0x00,                          // latency 0
                                    0x48, 0x00,                          // supervision timeout 72
                                    0x05};                               // central clock accuracy

TEST(LeConnectionCompleteTest, Parses) {
  auto e = LeConnectionCompleteEvent::parse(B(kConnectionComplete));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->status, HciStatus::kSuccess);
  EXPECT_EQ(e->handle, 0x002A);
  EXPECT_EQ(e->role, kRolePeripheral);
  EXPECT_EQ(e->peer_address, *Address::parse("C1:02:03:04:05:06", AddressType::kRandom));
  EXPECT_EQ(e->connection_interval, 24);
  EXPECT_EQ(e->peripheral_latency, 0);
  EXPECT_EQ(e->supervision_timeout, 72);
  EXPECT_EQ(e->central_clock_accuracy, 5);
  expect_fixed_layout<LeConnectionCompleteEvent>(kConnectionComplete);
}

TEST(LeConnectionCompleteTest, RejectsBadAddressType) {
  Packet p = kConnectionComplete;
  p[4] = 0x04;
  EXPECT_EQ(LeConnectionCompleteEvent::parse(B(p)).error(), ParseError::kInvalidValue);
}

TEST(LeEnhancedConnectionCompleteTest, Parses) {
  const Packet p = {0x00,                                // status
                    0x01, 0x00,                          // handle
                    0x00,                                // role central
                    0x02,                                // peer address type public identity
                    0x66, 0x55, 0x44, 0x33, 0x22, 0x11,  // peer identity address
                    0x01, 0x02, 0x03, 0x04, 0x05, 0x46,  // local RPA
                    0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x4F,  // peer RPA
                    0x28, 0x00,                          // interval 40
                    0x01, 0x00,                          // latency 1
                    0xC8, 0x00,                          // timeout 200
                    0x00};                               // clock accuracy
  auto e = LeEnhancedConnectionCompleteEvent::parse(B(p));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->handle, 0x0001);
  EXPECT_EQ(e->role, kRoleCentral);
  EXPECT_EQ(e->peer_address.type, AddressType::kPublicIdentity);
  EXPECT_EQ(e->peer_address.to_string(), "11:22:33:44:55:66");
  EXPECT_EQ(e->local_resolvable_private_address[5], 0x46);
  EXPECT_EQ(e->peer_resolvable_private_address[0], 0x0A);
  EXPECT_EQ(e->connection_interval, 40);
  EXPECT_EQ(e->peripheral_latency, 1);
  EXPECT_EQ(e->supervision_timeout, 200);
  expect_fixed_layout<LeEnhancedConnectionCompleteEvent>(p);
}

const Packet kTwoReports = {0x02,                                // Num_Reports
                            0x00,                                // report 0: ADV_IND
                            0x00,                                // public
                            0x42, 0x00, 0x01, 0x01, 0xAA, 0x00,  // address
                            0x03,                                // data length 3
                            0x02, 0x01, 0x06,                    // flags AD
                            0xC4,                                // RSSI -60
                            0x04,                                // report 1: SCAN_RSP
                            0x01,                                // random
                            0x01, 0x00, 0x00, 0x00, 0x00, 0xC0,  // address
                            0x00,                                // data length 0
                            0x7F};                               // RSSI not available

TEST(LeAdvertisingReportTest, ParsesEveryReport) {
  auto e = LeAdvertisingReportEvent::parse(B(kTwoReports));
  ASSERT_TRUE(e);
  ASSERT_EQ(e->size(), 2u);
  std::vector<AdvertisingReport> reports(e->begin(), e->end());
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[0].event_type, 0x00);
  EXPECT_EQ(reports[0].address.to_string(), "00:AA:01:01:00:42");
  EXPECT_EQ(reports[0].address.type, AddressType::kPublic);
  EXPECT_EQ(Packet(reports[0].data.begin(), reports[0].data.end()), (Packet{0x02, 0x01, 0x06}));
  EXPECT_EQ(reports[0].rssi, -60);
  EXPECT_EQ(reports[1].event_type, 0x04);
  EXPECT_TRUE(reports[1].address.is_static_random());
  EXPECT_TRUE(reports[1].data.empty());
  EXPECT_EQ(reports[1].rssi, 127);
}

TEST(LeAdvertisingReportTest, RejectsEveryLengthError) {
  EXPECT_EQ(LeAdvertisingReportEvent::parse(B(shorter(kTwoReports))).error(),
            ParseError::kTruncated);
  EXPECT_EQ(LeAdvertisingReportEvent::parse(B(longer(kTwoReports))).error(),
            ParseError::kLengthMismatch);
  EXPECT_EQ(LeAdvertisingReportEvent::parse(Bytes{}).error(), ParseError::kTruncated);
  Packet p = kTwoReports;
  p[0] = 0x00;  // zero reports
  EXPECT_EQ(LeAdvertisingReportEvent::parse(B(p)).error(), ParseError::kInvalidValue);
  p = kTwoReports;
  p[0] = 0x03;  // claims a third report
  EXPECT_EQ(LeAdvertisingReportEvent::parse(B(p)).error(), ParseError::kTruncated);
  p = kTwoReports;
  p[9] = 0x04;  // first report's data length runs into the second report
  EXPECT_FALSE(LeAdvertisingReportEvent::parse(B(p)));
  p = kTwoReports;
  p[9] = 0xFF;  // data length over 31
  EXPECT_EQ(LeAdvertisingReportEvent::parse(B(p)).error(), ParseError::kInvalidValue);
}

TEST(LeConnectionUpdateCompleteTest, Parses) {
  const Packet p = {0x00,         // status
                    0x01, 0x00,   // handle
                    0x30, 0x00,   // interval 48
                    0x00, 0x00,   // latency
                    0x3C, 0x00};  // timeout 60
  auto e = LeConnectionUpdateCompleteEvent::parse(B(p));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->connection_interval, 48);
  EXPECT_EQ(e->supervision_timeout, 60);
  expect_fixed_layout<LeConnectionUpdateCompleteEvent>(p);
}

TEST(LeReadRemoteFeaturesCompleteTest, Parses) {
  const Packet p = {0x00,                                             // status
                    0x01, 0x00,                                       // handle
                    0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80};  // features
  auto e = LeReadRemoteFeaturesCompleteEvent::parse(B(p));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->le_features, 0x8000000000000201ull);
  expect_fixed_layout<LeReadRemoteFeaturesCompleteEvent>(p);
}

TEST(LeLongTermKeyRequestTest, Parses) {
  const Packet p = {0x01, 0x00,                                      // handle
                    0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,  // Random_Number
                    0x34, 0x12};                                     // EDIV
  auto e = LeLongTermKeyRequestEvent::parse(B(p));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->handle, 0x0001);
  EXPECT_EQ(e->random_number, 0x0102030405060708ull);
  EXPECT_EQ(e->encrypted_diversifier, 0x1234);
  expect_fixed_layout<LeLongTermKeyRequestEvent>(p);
}

TEST(LeRemoteConnectionParameterRequestTest, Parses) {
  const Packet p = {0x01, 0x00,   // handle
                    0x18, 0x00,   // interval min 24
                    0x30, 0x00,   // interval max 48
                    0x00, 0x00,   // latency
                    0x3C, 0x00};  // timeout 60
  auto e = LeRemoteConnectionParameterRequestEvent::parse(B(p));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->interval_min, 24);
  EXPECT_EQ(e->interval_max, 48);
  EXPECT_EQ(e->max_latency, 0);
  EXPECT_EQ(e->timeout, 60);
  expect_fixed_layout<LeRemoteConnectionParameterRequestEvent>(p);
}

TEST(LeDataLengthChangeTest, Parses) {
  const Packet p = {0x01, 0x00,   // handle
                    0xFB, 0x00,   // max tx octets 251
                    0x48, 0x08,   // max tx time 2120
                    0x1B, 0x00,   // max rx octets 27
                    0x48, 0x01};  // max rx time 328
  auto e = LeDataLengthChangeEvent::parse(B(p));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->max_tx_octets, 251);
  EXPECT_EQ(e->max_tx_time, 2120);
  EXPECT_EQ(e->max_rx_octets, 27);
  EXPECT_EQ(e->max_rx_time, 328);
  expect_fixed_layout<LeDataLengthChangeEvent>(p);
}

// ---- Return parameters (after the status octet) ----

TEST(ReturnParametersTest, LocalVersion) {
  const Packet rp = {0x09,         // HCI version 5.0
                     0x34, 0x12,   // HCI subversion
                     0x09,         // LMP version
                     0x3F, 0x00,   // company 0x003F
                     0x78, 0x56};  // LMP subversion
  auto v = decode_read_local_version_information(B(rp));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->hci_version, 9);
  EXPECT_EQ(v->hci_subversion, 0x1234);
  EXPECT_EQ(v->lmp_version, 9);
  EXPECT_EQ(v->company_identifier, 0x003F);
  EXPECT_EQ(v->lmp_subversion, 0x5678);
  EXPECT_FALSE(decode_read_local_version_information(B(shorter(rp))));
  EXPECT_TRUE(decode_read_local_version_information(B(longer(rp))));
}

TEST(ReturnParametersTest, BdAddrIsPublic) {
  const Packet rp = {0x42, 0x00, 0x02, 0x01, 0xAA, 0x00};
  auto a = decode_read_bd_addr(B(rp));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->to_string(), "00:AA:01:02:00:42");
  EXPECT_EQ(a->type, AddressType::kPublic);
  EXPECT_FALSE(decode_read_bd_addr(B(shorter(rp))));
}

TEST(ReturnParametersTest, SupportedCommandsAndFeatures) {
  Packet cmds(64, 0);
  cmds[41] = 0x20;
  auto c = decode_read_local_supported_commands(B(cmds));
  ASSERT_TRUE(c);
  EXPECT_EQ((*c)[41], 0x20);
  EXPECT_FALSE(decode_read_local_supported_commands(B(shorter(cmds))));
  const Packet f = {0x01, 0, 0, 0, 0, 0, 0, 0x40};
  EXPECT_EQ(*decode_read_local_supported_features(B(f)), 0x4000000000000001ull);
  EXPECT_EQ(*decode_le_read_local_supported_features(B(f)), 0x4000000000000001ull);
  EXPECT_FALSE(decode_le_read_local_supported_features(B(shorter(f))));
  EXPECT_EQ(*decode_le_rand(B(f)), 0x4000000000000001ull);
}

TEST(ReturnParametersTest, BufferSizes) {
  auto v1 = decode_le_read_buffer_size(B({0xC0, 0x00, 0x01}));  // 192 octets, 1 packet
  ASSERT_TRUE(v1);
  EXPECT_EQ(v1->acl_data_length, 192);
  EXPECT_EQ(v1->acl_packet_count, 1);
  EXPECT_FALSE(decode_le_read_buffer_size(B({0xC0, 0x00})));
  auto v2 = decode_le_read_buffer_size_v2(B({0xFB, 0x00, 0x0C, 0xC0, 0x03, 0x06}));
  ASSERT_TRUE(v2);
  EXPECT_EQ(v2->acl_data_length, 251);
  EXPECT_EQ(v2->acl_packet_count, 12);
  EXPECT_EQ(v2->iso_data_length, 960);
  EXPECT_EQ(v2->iso_packet_count, 6);
  EXPECT_FALSE(decode_le_read_buffer_size_v2(B({0xFB, 0x00, 0x0C, 0xC0, 0x03})));
  auto br = decode_read_buffer_size(B({0xFD, 0x03, 0x40, 0x08, 0x00, 0x01, 0x00}));
  ASSERT_TRUE(br);
  EXPECT_EQ(br->acl_data_length, 1021);
  EXPECT_EQ(br->synchronous_data_length, 64);
  EXPECT_EQ(br->acl_packet_count, 8);
  EXPECT_EQ(br->synchronous_packet_count, 1);
  EXPECT_FALSE(decode_read_buffer_size(B({0xFD, 0x03, 0x40, 0x08, 0x00, 0x01})));
}

}  // namespace
}  // namespace sable::hci
