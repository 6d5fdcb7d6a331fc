// Byte-exact encodings of every HCI command builder (Core 5.4 Vol 4 Part E 7).
#include <gtest/gtest.h>

#include <vector>

#include "hci/commands.hpp"

namespace sable::hci {
namespace {

using Packet = std::vector<uint8_t>;
Packet bytes_of(const CommandPacket& c) {
  return Packet(c.bytes().begin(), c.bytes().end());
}

// a followed by b (avoids a GCC 12 -Warray-bounds false positive in vector::insert).
template <class B>
Packet cat(Packet a, const B& b) {
  for (uint8_t x : b) a.push_back(x);
  return a;
}

Address addr(const char* text, AddressType type = AddressType::kPublic) {
  return *Address::parse(text, type);
}

TEST(CommandsTest, ParameterlessCommands) {
  // Opcode (LE), parameter length 0.
  EXPECT_EQ(bytes_of(reset()), (Packet{0x03, 0x0C, 0x00}));
  EXPECT_EQ(bytes_of(read_local_version_information()), (Packet{0x01, 0x10, 0x00}));
  EXPECT_EQ(bytes_of(read_local_supported_commands()), (Packet{0x02, 0x10, 0x00}));
  EXPECT_EQ(bytes_of(read_local_supported_features()), (Packet{0x03, 0x10, 0x00}));
  EXPECT_EQ(bytes_of(read_buffer_size()), (Packet{0x05, 0x10, 0x00}));
  EXPECT_EQ(bytes_of(read_bd_addr()), (Packet{0x09, 0x10, 0x00}));
  EXPECT_EQ(bytes_of(le_read_buffer_size()), (Packet{0x02, 0x20, 0x00}));
  EXPECT_EQ(bytes_of(le_read_buffer_size_v2()), (Packet{0x60, 0x20, 0x00}));
  EXPECT_EQ(bytes_of(le_read_local_supported_features()), (Packet{0x03, 0x20, 0x00}));
  EXPECT_EQ(bytes_of(le_create_connection_cancel()), (Packet{0x0E, 0x20, 0x00}));
  EXPECT_EQ(bytes_of(le_rand()), (Packet{0x18, 0x20, 0x00}));
  EXPECT_EQ(bytes_of(le_clear_resolving_list()), (Packet{0x29, 0x20, 0x00}));
}

TEST(CommandsTest, AccessorsReadBackHeader) {
  CommandPacket c = disconnect(0x0040, HciStatus::kRemoteUserTerminatedConnection);
  EXPECT_EQ(c.opcode(), op::kDisconnect);
  EXPECT_EQ(c.params().size(), 3u);
}

TEST(CommandsTest, SetEventMask) {
  EXPECT_EQ(bytes_of(set_event_mask(0x2000800002008090ull)),
            (Packet{0x01, 0x0C, 0x08,                                   // opcode 0x0C01, length 8
                    0x90, 0x80, 0x00, 0x02, 0x00, 0x80, 0x00, 0x20}));  // mask, LE
}

TEST(CommandsTest, LeSetEventMask) {
  EXPECT_EQ(bytes_of(le_set_event_mask(0x0000000000000BFFull)),
            (Packet{0x01, 0x20, 0x08,  // opcode 0x2001, length 8
                    0xFF, 0x0B, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}));
}

TEST(CommandsTest, LeSetRandomAddress) {
  EXPECT_EQ(bytes_of(le_set_random_address(addr("C1:22:33:44:55:66", AddressType::kRandom))),
            (Packet{0x05, 0x20, 0x06,                       // opcode 0x2005, length 6
                    0x66, 0x55, 0x44, 0x33, 0x22, 0xC1}));  // address, LSB first
}

TEST(CommandsTest, LeSetAdvertisingParameters) {
  AdvertisingParameters p;
  p.interval_min = 0x00A0;
  p.interval_max = 0x00F0;
  p.advertising_type = 0x00;
  p.own_address_type = 0x01;
  p.peer_address = addr("C0:00:00:00:00:01", AddressType::kRandom);
  p.channel_map = 0x07;
  p.filter_policy = 0x00;
  EXPECT_EQ(bytes_of(le_set_advertising_parameters(p)),
            (Packet{0x06, 0x20, 0x0F,                    // opcode 0x2006, length 15
                    0xA0, 0x00,                          // interval min
                    0xF0, 0x00,                          // interval max
                    0x00,                                // ADV_IND
                    0x01,                                // own address random
                    0x01,                                // peer address type random
                    0x01, 0x00, 0x00, 0x00, 0x00, 0xC0,  // peer address
                    0x07,                                // channel map
                    0x00}));                             // filter policy
}

TEST(CommandsTest, LeSetAdvertisingDataPadsTo31) {
  const uint8_t data[] = {0x02, 0x01, 0x06};
  auto c = le_set_advertising_data(Bytes(data));
  ASSERT_TRUE(c);
  Packet expected = {0x08, 0x20, 0x20,   // opcode 0x2008, length 32
                     0x03,               // significant data length
                     0x02, 0x01, 0x06};  // flags AD
  expected.resize(3 + 32, 0x00);         // zero padding to 31 data octets
  EXPECT_EQ(bytes_of(*c), expected);
}

TEST(CommandsTest, LeSetScanResponseDataFull31AndTooLong) {
  Packet data(31, 0xAB);
  auto c = le_set_scan_response_data(Bytes(data));
  ASSERT_TRUE(c);
  Packet expected = cat({0x09, 0x20, 0x20, 0x1F},  // opcode 0x2009, length 32, data length 31
                        data);
  EXPECT_EQ(bytes_of(*c), expected);

  Packet too_long(32, 0xAB);
  auto bad = le_set_scan_response_data(Bytes(too_long));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), CommandError::kDataTooLong);
  EXPECT_FALSE(le_set_advertising_data(Bytes(too_long)));
}

TEST(CommandsTest, LeSetAdvertisingEnable) {
  EXPECT_EQ(bytes_of(le_set_advertising_enable(true)), (Packet{0x0A, 0x20, 0x01, 0x01}));
  EXPECT_EQ(bytes_of(le_set_advertising_enable(false)), (Packet{0x0A, 0x20, 0x01, 0x00}));
}

TEST(CommandsTest, LeSetScanParameters) {
  ScanParameters p{0x01, 0x0060, 0x0030, 0x00, 0x00};
  EXPECT_EQ(bytes_of(le_set_scan_parameters(p)),
            (Packet{0x0B, 0x20, 0x07,  // opcode 0x200B, length 7
                    0x01,              // active scanning
                    0x60, 0x00,        // interval
                    0x30, 0x00,        // window
                    0x00,              // own address public
                    0x00}));           // filter policy
}

TEST(CommandsTest, LeSetScanEnable) {
  EXPECT_EQ(bytes_of(le_set_scan_enable(true, false)), (Packet{0x0C, 0x20, 0x02, 0x01, 0x00}));
  EXPECT_EQ(bytes_of(le_set_scan_enable(false, true)), (Packet{0x0C, 0x20, 0x02, 0x00, 0x01}));
}

TEST(CommandsTest, LeCreateConnection) {
  CreateConnectionParameters p;
  p.scan_interval = 0x0060;
  p.scan_window = 0x0030;
  p.initiator_filter_policy = 0x00;
  p.peer_address = addr("00:AA:01:01:00:42");
  p.own_address_type = 0x01;
  p.connection = {0x0018, 0x0028, 0x0000, 0x002A, 0x0000, 0x0000};
  EXPECT_EQ(bytes_of(le_create_connection(p)),
            (Packet{0x0D, 0x20, 0x19,                    // opcode 0x200D, length 25
                    0x60, 0x00,                          // scan interval
                    0x30, 0x00,                          // scan window
                    0x00,                                // filter policy: use peer address
                    0x00,                                // peer address type public
                    0x42, 0x00, 0x01, 0x01, 0xAA, 0x00,  // peer address
                    0x01,                                // own address random
                    0x18, 0x00,                          // interval min
                    0x28, 0x00,                          // interval max
                    0x00, 0x00,                          // max latency
                    0x2A, 0x00,                          // supervision timeout
                    0x00, 0x00,                          // min CE length
                    0x00, 0x00}));                       // max CE length
}

TEST(CommandsTest, Disconnect) {
  EXPECT_EQ(bytes_of(disconnect(0x0ABC, HciStatus::kRemoteUserTerminatedConnection)),
            (Packet{0x06, 0x04, 0x03,  // opcode 0x0406, length 3
                    0xBC, 0x0A,        // handle
                    0x13}));           // reason
}

TEST(CommandsTest, LeConnectionUpdate) {
  ConnectionParameters p{24, 48, 0, 60, 0x0002, 0x0004};
  EXPECT_EQ(bytes_of(le_connection_update(0x0040, p)),
            (Packet{0x13, 0x20, 0x0E,  // opcode 0x2013, length 14
                    0x40, 0x00,        // handle
                    0x18, 0x00,        // interval min 24
                    0x30, 0x00,        // interval max 48
                    0x00, 0x00,        // latency 0
                    0x3C, 0x00,        // timeout 60
                    0x02, 0x00,        // min CE length
                    0x04, 0x00}));     // max CE length
}

TEST(CommandsTest, LeRemoteConnectionParameterRequestReplies) {
  ConnectionParameters p{6, 12, 1, 100, 0, 0};
  EXPECT_EQ(bytes_of(le_remote_connection_parameter_request_reply(0x0001, p)),
            (Packet{0x20, 0x20, 0x0E,  // opcode 0x2020, length 14
                    0x01, 0x00,        // handle
                    0x06, 0x00,        // interval min
                    0x0C, 0x00,        // interval max
                    0x01, 0x00,        // latency
                    0x64, 0x00,        // timeout
                    0x00, 0x00,        // min CE
                    0x00, 0x00}));     // max CE
  EXPECT_EQ(bytes_of(le_remote_connection_parameter_request_negative_reply(
                0x0001, HciStatus::kUnacceptableConnectionParameters)),
            (Packet{0x21, 0x20, 0x03,  // opcode 0x2021, length 3
                    0x01, 0x00,        // handle
                    0x3B}));           // reason
}

TEST(CommandsTest, LeStartEncryption) {
  Key128 ltk{};
  for (int i = 0; i < 16; ++i) ltk[i] = uint8_t(0xA0 + i);
  Packet expected = {0x19, 0x20, 0x1C,                                // opcode 0x2019, length 28
                     0x02, 0x00,                                      // handle
                     0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,  // Rand, LE
                     0x34, 0x12};                                     // EDIV
  expected = cat(expected, ltk);                                      // LTK, LSB first
  EXPECT_EQ(bytes_of(le_start_encryption(0x0002, 0x0102030405060708ull, 0x1234, ltk)), expected);
}

TEST(CommandsTest, LeLongTermKeyRequestReplies) {
  Key128 ltk{};
  ltk[0] = 0x11;
  ltk[15] = 0xFF;
  Packet expected = {0x1A, 0x20, 0x12,  // opcode 0x201A, length 18
                     0x03, 0x00};       // handle
  expected = cat(expected, ltk);
  EXPECT_EQ(bytes_of(le_long_term_key_request_reply(0x0003, ltk)), expected);
  EXPECT_EQ(bytes_of(le_long_term_key_request_negative_reply(0x0003)),
            (Packet{0x1B, 0x20, 0x02, 0x03, 0x00}));  // opcode 0x201B, length 2, handle
}

TEST(CommandsTest, LeReadRemoteFeaturesAndSetDataLength) {
  EXPECT_EQ(bytes_of(le_read_remote_features(0x0EFF)),
            (Packet{0x16, 0x20, 0x02, 0xFF, 0x0E}));  // opcode 0x2016, handle 0x0EFF
  EXPECT_EQ(bytes_of(le_set_data_length(0x0001, 251, 2120)),
            (Packet{0x22, 0x20, 0x06,  // opcode 0x2022, length 6
                    0x01, 0x00,        // handle
                    0xFB, 0x00,        // TxOctets 251
                    0x48, 0x08}));     // TxTime 2120 us
}

TEST(CommandsTest, LeAddDeviceToResolvingList) {
  Key128 peer_irk{}, local_irk{};
  peer_irk.fill(0x11);
  local_irk.fill(0x22);
  Packet expected = {0x27, 0x20, 0x27,                     // opcode 0x2027, length 39
                     0x01,                                 // peer identity type random
                     0x06, 0x05, 0x04, 0x03, 0x02, 0xC1};  // peer identity address
  expected = cat(cat(expected, peer_irk), local_irk);
  EXPECT_EQ(bytes_of(le_add_device_to_resolving_list(
                addr("C1:02:03:04:05:06", AddressType::kRandom), peer_irk, local_irk)),
            expected);
}

TEST(CommandsTest, PrivacyCommands) {
  EXPECT_EQ(bytes_of(le_set_address_resolution_enable(true)), (Packet{0x2D, 0x20, 0x01, 0x01}));
  EXPECT_EQ(bytes_of(le_set_resolvable_private_address_timeout(900)),
            (Packet{0x2E, 0x20, 0x02, 0x84, 0x03}));  // opcode 0x202E, 900 s
  EXPECT_EQ(bytes_of(le_set_privacy_mode(addr("00:11:22:33:44:55"), 0x01)),
            (Packet{0x4E, 0x20, 0x08,                    // opcode 0x204E, length 8
                    0x00,                                // peer identity type public
                    0x55, 0x44, 0x33, 0x22, 0x11, 0x00,  // address
                    0x01}));                             // device privacy mode
}

TEST(CommandsTest, MakeCommandWithRawParameters) {
  const uint8_t params[] = {0xAA, 0xBB};
  EXPECT_EQ(bytes_of(make_command(0xFC01, Bytes(params))), (Packet{0x01, 0xFC, 0x02, 0xAA, 0xBB}));
  Packet too_long(256, 0);
  EXPECT_EQ(bytes_of(make_command(0xFC01, Bytes(too_long))), (Packet{0x01, 0xFC, 0x00}));
}

TEST(CommandsTest, CommandPacketWritesHeaderAndParameters) {
  const uint8_t params[] = {0xAA, 0xBB, 0xCC};
  EXPECT_EQ(bytes_of(command_packet(0xFC02, params, 3)),
            (Packet{0x02, 0xFC, 0x03, 0xAA, 0xBB, 0xCC}));
  EXPECT_EQ(bytes_of(command_packet(0x0C03, nullptr, 0)), (Packet{0x03, 0x0C, 0x00}));
  // The longest parameter list there is: 255 octets, all of them sent.
  Packet longest(255, 0x5A);
  const CommandPacket p = command_packet(0xFC03, longest.data(), 255);
  EXPECT_EQ(p.size, 258u);
  EXPECT_EQ(p.data[2], 255);
  EXPECT_EQ(p.data[257], 0x5A);
}

TEST(CommandsTest, CommandStatusCommandsAreKnown) {
  EXPECT_TRUE(completes_with_command_status(op::kLeCreateConnection));
  EXPECT_TRUE(completes_with_command_status(op::kDisconnect));
  EXPECT_TRUE(completes_with_command_status(op::kLeConnectionUpdate));
  EXPECT_TRUE(completes_with_command_status(op::kLeStartEncryption));
  EXPECT_TRUE(completes_with_command_status(op::kLeReadRemoteFeatures));
  EXPECT_FALSE(completes_with_command_status(op::kReset));
  EXPECT_FALSE(completes_with_command_status(op::kLeRemoteConnectionParameterRequestReply));
}

TEST(StatusTest, Names) {
  EXPECT_STREQ(to_string(HciStatus::kUnknownCommand), "Unknown HCI Command");
  EXPECT_STREQ(to_string(HciStatus::kRemoteUserTerminatedConnection),
               "Remote User Terminated Connection");
  EXPECT_STREQ(to_string(HciStatus(0x2B)), "Reserved");
}

// Messages name the status only in builds that link the names (log level warn
// or more detailed); otherwise a fixed word, the number being printed beside it.
TEST(StatusTest, TextFollowsTheBuild) {
  if constexpr (kStatusNames) {
    EXPECT_STREQ(status_text(HciStatus::kHardwareFailure), "Hardware Failure");
  } else {
    EXPECT_STREQ(status_text(HciStatus::kHardwareFailure), "HCI error");
  }
}

}  // namespace
}  // namespace sable::hci
