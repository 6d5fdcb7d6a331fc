// One ATT_MTU per link through gap::Host (issue 13 item 2): the peripheral's
// own GATT client exchanges the MTU with the central, and the peripheral's
// GATT server then notifies with it (Core 5.4 Vol 3 Part F 3.4.2: one
// ATT_MTU for both roles on the bearer). Before, the server stayed at 23.
#include <gtest/gtest.h>

#include <vector>

#include "gatt/database.hpp"
#include "harness.hpp"

namespace sable::testing {
namespace {

const Uuid kMtuService = Uuid::from16(0xFFE0);
const Uuid kMtuCharacteristic = Uuid::from16(0xFFE1);

// One open characteristic that notifies: no pairing needed.
gatt::Database open_database() {
  gatt::CharacteristicDef c;
  c.type = kMtuCharacteristic;
  c.properties = gatt::prop::kRead | gatt::prop::kNotify;
  c.access.read = gatt::Permissions::open();
  c.access.write = gatt::Permissions::none();
  c.value = {0x00};
  c.max_length = 512;
  gatt::ServiceDef s;
  s.type = kMtuService;
  s.characteristics.push_back(std::move(c));
  std::vector<gatt::ServiceDef> defs;
  defs.push_back(std::move(s));
  return std::move(gatt::Database::build(std::move(defs), {}).value());
}

TEST(AttMtu, ExchangeByThePeripheralsClientReachesItsServer) {
  gatt::Database db = open_database();
  Network net;
  TestHost& peripheral = net.add_host("00:AA:02:00:00:01");
  TestHost& central = net.add_host("00:AA:02:00:00:02");
  peripheral.host().set_database(&db);
  net.start();
  ASSERT_TRUE(peripheral.host().start_advertising(net.now()).ok());
  net.run();
  ASSERT_TRUE(central.host().connect(net.now(), *Address::parse("00:AA:02:00:00:01")).ok());
  net.advance(Duration(100));
  ASSERT_EQ(central.connected.size(), 1u);
  ASSERT_EQ(peripheral.connected.size(), 1u);
  const uint16_t ch = central.connected[0].handle;
  const uint16_t ph = peripheral.connected[0].handle;

  // The central subscribes (its client on the peripheral's server).
  const auto chr = *db.find_characteristic(kMtuService, kMtuCharacteristic);
  std::vector<std::vector<uint8_t>> received;
  bool subscribed = false;
  central.host().gatt_client(ch)->subscribe(
      net.now(), chr.value, chr.cccd, false,
      [&](uint16_t, Bytes v, bool) { received.emplace_back(v.begin(), v.end()); },
      [&](gatt::ClientResult<void> r) { subscribed = r.ok(); });
  net.run();
  ASSERT_TRUE(subscribed);

  // The peripheral's client starts the exchange: Client Rx MTU 247; the
  // central answers 517.
  uint16_t mtu = 0;
  peripheral.host().gatt_client(ph)->exchange_mtu(net.now(), 247, [&](auto r) {
    ASSERT_TRUE(r.ok());
    mtu = r.value();
  });
  net.run();
  EXPECT_EQ(mtu, 247);
  EXPECT_EQ(peripheral.host().connection(ph)->mtu, 247);

  // The peripheral's server notifies 244 octets (ATT_MTU - 3) in one PDU.
  const std::vector<uint8_t> value(244, 0xA5);
  NotifyResult sent = peripheral.host().notify(net.now(), chr.value, value);
  EXPECT_EQ(sent.status, NotifyStatus::kSent);
  EXPECT_EQ(sent.sent, 1u);
  net.run();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0], value);
  // One more octet does not fit.
  EXPECT_EQ(peripheral.host().notify(net.now(), chr.value, std::vector<uint8_t>(245, 0)).status,
            NotifyStatus::kTooLong);
}

}  // namespace
}  // namespace sable::testing
