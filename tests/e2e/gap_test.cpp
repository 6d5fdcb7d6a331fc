// Two real hosts on the fake controller: GAP peripheral and central.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace sable::testing {
namespace {

class GapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    net.start();
    ASSERT_TRUE(peripheral.ready);
    ASSERT_TRUE(central.ready);
    ASSERT_TRUE(
        peripheral.host()
            .set_advertising_data(
                net.now(), AdvertisementData().name("ESP32 Server").add_service_uuid(kService))
            .ok());
    ASSERT_TRUE(peripheral.host().start_advertising(net.now()).ok());
    net.run();
  }

  uint16_t connect() {
    EXPECT_TRUE(central.host().connect(net.now(), peripheral.host().own_address()).ok());
    net.advance(Duration(100));
    EXPECT_EQ(central.connected.size(), 1u);
    EXPECT_EQ(peripheral.connected.size(), 1u);
    return central.connected.empty() ? 0 : central.connected.back().handle;
  }

  Network net;
  TestHost& peripheral = net.add_host("00:AA:01:00:00:01");
  TestHost& central = net.add_host("00:AA:01:01:00:02");
};

TEST_F(GapTest, PeripheralAdvertisesNameAndServiceMergedWithScanResponse) {
  EXPECT_TRUE(peripheral.host().advertising());
  ASSERT_TRUE(central.host().start_scan(net.now(), gap::ScanConfig{}).ok());
  net.advance(Duration(100));
  auto it = std::find_if(central.reports.begin(), central.reports.end(),
                         [](const gap::ScanReport& r) { return r.data.name == "ESP32 Server"; });
  ASSERT_NE(it, central.reports.end());
  EXPECT_EQ(it->address, peripheral.host().own_address());
  ASSERT_EQ(it->data.service_uuids.size(), 1u);
  EXPECT_EQ(it->data.service_uuids[0], kService);
  EXPECT_TRUE(it->connectable);
}

TEST_F(GapTest, ConnectGivesBothSidesTheLinkAndAdvertisingStops) {
  connect();
  EXPECT_EQ(central.connected[0].role, Role::kCentral);
  EXPECT_EQ(peripheral.connected[0].role, Role::kPeripheral);
  EXPECT_EQ(peripheral.connected[0].address, central.host().own_address());
  EXPECT_EQ(central.connected[0].address, peripheral.host().own_address());
  EXPECT_FALSE(peripheral.host().advertising());
  EXPECT_FALSE(peripheral.controller().is_advertising());
}

TEST_F(GapTest, AdvertisingResumesAfterDisconnection) {
  uint16_t handle = connect();
  ASSERT_TRUE(central.host().disconnect(net.now(), handle, 0x13).ok());
  net.advance(Duration(10));
  ASSERT_EQ(peripheral.disconnected.size(), 1u);
  EXPECT_EQ(peripheral.disconnected[0].reason, 0x13);
  ASSERT_EQ(central.disconnected.size(), 1u);
  EXPECT_TRUE(peripheral.host().advertising());
  EXPECT_TRUE(peripheral.controller().is_advertising());
  EXPECT_TRUE(peripheral.host().connections().empty());
}

TEST_F(GapTest, PeripheralParameterUpdateReachesBothSides) {
  connect();
  uint16_t ph = peripheral.connected[0].handle;
  ASSERT_TRUE(
      peripheral.host()
          .update_connection_parameters(net.now(), ph, l2cap::ConnectionParameters{24, 48, 0, 60})
          .ok());
  net.advance(Duration(10));
  auto desc = peripheral.host().connection(ph);
  ASSERT_TRUE(desc);
  EXPECT_GE(desc->interval, 24);
  EXPECT_LE(desc->interval, 48);
  EXPECT_EQ(desc->supervision_timeout, 60);
}

TEST_F(GapTest, ParameterUpdateFallsBackToL2capWhenControllerRefuses) {
  connect();
  uint16_t ph = peripheral.connected[0].handle;
  peripheral.controller().fail_next_command(0x2013, 0x1A);  // Unsupported Remote Feature
  ASSERT_TRUE(
      peripheral.host()
          .update_connection_parameters(net.now(), ph, l2cap::ConnectionParameters{24, 48, 0, 60})
          .ok());
  net.advance(Duration(10));
  // The central host accepted the L2CAP request and issued LE_Connection_Update.
  EXPECT_GE(central.controller().commands_received(0x2013), 1u);
  auto desc = peripheral.host().connection(ph);
  ASSERT_TRUE(desc);
  EXPECT_EQ(desc->supervision_timeout, 60);
}

TEST_F(GapTest, OutOfRangeParametersAreRefusedWithAClearError) {
  connect();
  auto r = peripheral.host().update_connection_parameters(
      net.now(), peripheral.connected[0].handle, l2cap::ConnectionParameters{48, 24, 0, 60});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kBadArgument);
  auto r2 = peripheral.host().update_connection_parameters(
      net.now(), 0x0EEE, l2cap::ConnectionParameters{24, 48, 0, 60});
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().kind, ErrorKind::kNotConnected);
}

TEST_F(GapTest, ConnectToAbsentPeerTimesOutAndIsCancelled) {
  gap::ConnectConfig cfg;
  cfg.timeout = Duration(2000);
  ASSERT_TRUE(central.host().connect(net.now(), *Address::parse("11:22:33:44:55:66"), cfg).ok());
  net.advance(Duration(1000));
  EXPECT_TRUE(central.connect_failures.empty());
  net.advance(Duration(1500));
  ASSERT_EQ(central.connect_failures.size(), 1u);
  EXPECT_TRUE(central.connect_failures[0].second.message.contains("timed out"));
  EXPECT_FALSE(central.host().connecting());
  EXPECT_EQ(central.controller().commands_received(0x200E), 1u);  // LE_Create_Connection_Cancel
}

TEST_F(GapTest, MalformedAdvertisingDataFromAPeerIsDropped) {
  // A third device advertising an AD structure that overruns its length.
  TestHost& liar = net.add_host("00:AA:01:02:00:03");
  liar.host().start(net.now());
  net.run();
  auto bad = liar.host().set_advertising_data(net.now(), AdvertisementData().name("ok"));
  ASSERT_TRUE(bad.ok());
  gap::ScanConfig passive;
  passive.active = false;  // no scan responses: only the advertising packet is reported
  ASSERT_TRUE(central.host().start_scan(net.now(), passive).ok());
  net.run();
  size_t before = central.reports.size();
  // Raw HCI from the liar's host: data length 3 but an AD structure claiming 9 octets.
  liar.controller().from_host(
      HciPacketType::kCommand,
      hci::command(0x2008, {0x03, 0x09, 0x09, 'x', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                            0,    0,    0,    0,   0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  liar.controller().from_host(HciPacketType::kCommand, hci::command(0x200A, {0x01}));
  net.run();
  for (size_t i = before; i < central.reports.size(); ++i)
    EXPECT_NE(central.reports[i].address, liar.host().own_address());
  EXPECT_FALSE(central.fatal);
}

}  // namespace
}  // namespace sable::testing

namespace sable::testing {
namespace {

TEST_F(GapTest, AfterAControllerFailureTheHostRefusesWork) {
  uint16_t handle = connect();
  uint16_t ph = peripheral.connected[0].handle;
  // Hardware Error event (Core 5.4 Vol 4 Part E 7.7.16), code 0x01.
  const uint8_t hardware_error[] = {0x10, 0x01, 0x01};
  peripheral.host().on_hci_packet(net.now(), HciPacketType::kEvent, hardware_error);
  ASSERT_TRUE(peripheral.fatal.has_value());
  EXPECT_TRUE(peripheral.host().failed());
  auto r = peripheral.host().pair(net.now(), ph);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidState);
  EXPECT_FALSE(peripheral.host().disconnect(net.now(), ph, 0x13).ok());
  EXPECT_EQ(peripheral.host().notify(net.now(), 0x0003, Bytes()).status,
            NotifyStatus::kNotConnected);
  (void)handle;
}

}  // namespace
}  // namespace sable::testing
