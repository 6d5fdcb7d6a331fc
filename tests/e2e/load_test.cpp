// One peripheral, sixteen centrals at once on the fake controller: each link
// has its own security state, and a notification each second reaches every
// subscribed, paired central, in order, with nothing lost; the unpaired ones
// get nothing and are refused the read.
#include <gtest/gtest.h>

#include "gatt/database.hpp"
#include "harness.hpp"

namespace sable::testing {
namespace {

TEST(LoadTest, SixteenCentralsWithIndependentSecurityAndNoLostNotifications) {
  gatt::Database db = reference_database();
  auto handles = *db.find_characteristic(kService, kCharacteristic);

  gap::HostConfig server_cfg = reference_server_config();
  server_cfg.max_peripheral_connections = 16;
  gap::HostConfig central_cfg = keyboard_central_config();

  Network net;
  TestHost& server = net.add_host("00:AA:01:00:00:01", server_cfg);
  std::vector<TestHost*> centrals;
  for (int i = 0; i < 16; ++i) {
    char addr[18];
    std::snprintf(addr, sizeof addr, "00:AA:01:%02X:00:42", 0x10 + i);
    centrals.push_back(&net.add_host(addr, central_cfg));
  }
  server.host().set_database(&db);
  net.start();
  ASSERT_TRUE(server.host().start_advertising(net.now()).ok());
  net.run();

  std::vector<std::vector<uint8_t>> received(16);
  for (int i = 0; i < 16; ++i) {
    TestHost& c = *centrals[i];
    ASSERT_TRUE(c.host().connect(net.now(), server.host().own_address()).ok());
    net.advance(Duration(100));
    ASSERT_EQ(c.connected.size(), 1u) << "central " << i;
    uint16_t h = c.connected[0].handle;
    if (i % 2 == 0) {  // even centrals pair, odd ones stay unencrypted
      c.passkey_to_enter = 123456;
      ASSERT_TRUE(c.host().pair(net.now(), h).ok());
      net.advance(Duration(100));
      ASSERT_EQ(c.paired.size(), 1u) << "central " << i;
    }
    bool subscribed = false;
    c.host().gatt_client(h)->subscribe(
        net.now(), handles.value, handles.cccd, false,
        [&received, i](uint16_t, Bytes v, bool) { received[i].push_back(v[0]); },
        [&](gatt::ClientResult<void> r) { subscribed = r.ok(); });
    net.run();
    ASSERT_TRUE(subscribed) << "central " << i;
  }
  EXPECT_EQ(server.host().connections().size(), 16u);
  EXPECT_FALSE(server.host().advertising());  // all 16 peripheral links in use

  for (uint8_t counter = 1; counter <= 5; ++counter) {
    uint8_t v[1] = {counter};
    ASSERT_TRUE(db.set_value(handles.value, v).ok());
    NotifyResult r = server.host().notify(net.now(), handles.value, v);
    EXPECT_EQ(r.sent, 8u);
    EXPECT_EQ(r.status, NotifyStatus::kLinkNotSecure);  // the other eight
    net.advance(Duration(1000));
  }
  for (int i = 0; i < 16; ++i) {
    if (i % 2 == 0)
      EXPECT_EQ(received[i], (std::vector<uint8_t>{1, 2, 3, 4, 5})) << "central " << i;
    else
      EXPECT_TRUE(received[i].empty()) << "central " << i;
  }
  // The controllers saw no flow-control violation from any host.
  EXPECT_EQ(server.controller().violations().total(), 0u);
  for (auto* c : centrals) EXPECT_EQ(c->controller().violations().total(), 0u);
}

}  // namespace
}  // namespace sable::testing
