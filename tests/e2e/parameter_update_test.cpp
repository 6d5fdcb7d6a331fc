// A peripheral's connection parameter update when the central's host never
// answers the controller's Remote Connection Parameter Request: after a wait
// the host asks over L2CAP (Core 5.4 Vol 3 Part A 4.20) instead.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace sable::testing {
namespace {

TEST(ParameterUpdateTest, SilentCentralGetsAnL2capRequestAfterTheWait) {
  Network net;
  TestHost& peripheral = net.add_host("00:AA:01:00:00:01");
  FakeController& central = net.air().add_controller(*Address::parse("00:AA:01:01:00:02"));
  std::vector<std::pair<HciPacketType, std::vector<uint8_t>>> received;
  central.set_host_sink([&](HciPacketType t, Bytes b) {
    received.push_back({t, {b.begin(), b.end()}});
  });
  net.air().set_remote_connection_parameter_request(true);  // as btvirt's LE controller does
  net.start();
  ASSERT_TRUE(peripheral.host().start_advertising(net.now()).ok());
  net.run();

  // The raw central: unmask LE events and connect.
  central.from_host(HciPacketType::kCommand,
                    hci::command(0x0C01, {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F}));
  central.from_host(HciPacketType::kCommand,
                    hci::command(0x2001, {0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00}));
  Address p = peripheral.host().own_address();
  central.from_host(
      HciPacketType::kCommand,
      hci::command(
          0x200D,
          {0x10,       0x00,       0x10,       0x00, 0x00, 0x00, p.bytes[0], p.bytes[1], p.bytes[2],
           p.bytes[3], p.bytes[4], p.bytes[5], 0x00, 0x28, 0x00, 0x28,       0x00,       0x00,
           0x00,       0x90,       0x01,       0x00, 0x00, 0x00, 0x00}));
  net.advance(Duration(100));
  ASSERT_EQ(peripheral.connected.size(), 1u);
  uint16_t ph = peripheral.connected[0].handle;

  ASSERT_TRUE(
      peripheral.host()
          .update_connection_parameters(net.now(), ph, l2cap::ConnectionParameters{24, 48, 0, 60})
          .ok());
  net.run();
  auto l2cap_requests = [&] {
    int n = 0;
    for (const auto& [type, bytes] : received)
      // ACL, basic header CID 0x0005, signaling code 0x12 (Connection Parameter Update Request).
      if (type == HciPacketType::kAcl && bytes.size() >= 9 && bytes[6] == 0x05 &&
          bytes[7] == 0x00 && bytes[8] == 0x12)
        ++n;
    return n;
  };
  EXPECT_EQ(l2cap_requests(), 0);  // first the link-layer procedure
  net.advance(Duration(4000));
  EXPECT_EQ(l2cap_requests(), 0);
  net.advance(Duration(2000));
  EXPECT_EQ(l2cap_requests(), 1);  // then, unanswered, the L2CAP request
  EXPECT_FALSE(peripheral.fatal);
}

}  // namespace
}  // namespace sable::testing
