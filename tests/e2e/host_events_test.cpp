// What the application hears from a gap::Host, and what it may do while it
// hears it: events come from the host's outbox after the input is processed,
// security is reported once per change with the key's real properties, a
// re-encryption with the bond's key (Key Refresh) restores the bond exactly as
// a first encryption does, and a handle kept from an old link does not name a
// new link that reuses it.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace sable::testing {
namespace {

class HostEventsTest : public TwoHostTest {
 protected:
  void SetUp() override {
    server.host().set_database(&db);
    TwoHostTest::SetUp();
  }
  uint16_t value_handle() { return db.find_characteristic(kService, kCharacteristic)->value; }
  uint16_t cccd_handle() {
    return uint16_t(db.find_characteristic(kService, kCharacteristic)->cccd);
  }
  NotifyResult notify() {
    uint8_t v[1] = {7};
    return server.host().notify(net.now(), value_handle(), v);
  }
};

TEST_F(HostEventsTest, PasskeyPairingReportsTheLinkSecurityOnceWithTheKeysProperties) {
  connect();
  pair();
  for (TestHost* side : {&server, &central}) {
    ASSERT_EQ(side->security_changes.size(), 1u);
    const ConnDesc& d = side->security_changes[0];
    EXPECT_TRUE(d.encrypted);
    EXPECT_TRUE(d.authenticated);
    EXPECT_TRUE(d.secure_connections);
    EXPECT_EQ(d.key_size, 16);
  }
}

TEST_F(HostEventsTest, KeyRefreshWithTheBondRestoresSubscriptionsAndMarksTheBondUsed) {
  connect();
  pair();
  Address central_id = central.host().controller().bd_addr;
  auto before = server.host().bond_store().find_by_identity(central_id);
  ASSERT_TRUE(before);
  // A subscription kept with the bond (as from an earlier connection), which
  // this link has not written.
  store::CccdEntry entry{cccd_handle(), 0x0001};
  ASSERT_TRUE(server.host().bond_store().update_cccds(central_id, {&entry, 1}).ok());
  EXPECT_EQ(notify().status, NotifyStatus::kNotSubscribed);
  // The link is encrypted already: encrypting again with the bond's key is a
  // Key Refresh (Core 5.4 Vol 4 Part E 7.7.39), not an Encryption Change.
  size_t events = server.security_changes.size();
  ASSERT_TRUE(central.host().secure(net.now(), ch).ok());
  net.advance(Duration(100));
  auto after = server.host().bond_store().find_by_identity(central_id);
  ASSERT_TRUE(after);
  EXPECT_GT(after->last_used, before->last_used);
  NotifyResult r = notify();
  EXPECT_EQ(r.status, NotifyStatus::kSent);
  EXPECT_EQ(r.sent, 1u);
  // Same key properties as before: nothing new to report.
  EXPECT_EQ(server.security_changes.size(), events);
}

TEST_F(HostEventsTest, ListenerMayDisconnectFromInsideOnConnected) {
  server.on_connected_hook = [&](const ConnDesc& d) {
    EXPECT_TRUE(server.host().disconnect(net.now(), d.handle, 0x13).ok());
  };
  connect();
  ASSERT_EQ(server.disconnected.size(), 1u);
  ASSERT_EQ(central.disconnected.size(), 1u);
  EXPECT_EQ(central.disconnected[0].reason, 0x13);
  EXPECT_TRUE(server.host().connections().empty());
  EXPECT_TRUE(server.host().advertising());  // resumed with the link gone
}

TEST_F(HostEventsTest, ListenerMayDeleteTheBondAndDisconnectFromInsideOnPairingComplete) {
  Address central_id = central.host().controller().bd_addr;
  server.on_pairing_complete_hook = [&](const ConnDesc& d) {
    EXPECT_TRUE(server.host().bond_store().find_by_identity(central_id));  // stored first
    EXPECT_TRUE(server.host().remove_bond(d.id_address).ok());
    EXPECT_TRUE(server.host().disconnect(net.now(), d.handle, 0x13).ok());
  };
  connect();
  pair();
  EXPECT_FALSE(server.host().bond_store().find_by_identity(central_id));
  ASSERT_EQ(server.disconnected.size(), 1u);
  ASSERT_EQ(central.paired.size(), 1u);
  // The next connection of the same central finds no bond on the server.
  connect();
  EXPECT_FALSE(server.host().bond_for(ph));
}

TEST_F(HostEventsTest, AHandleReusedByANewLinkIsNotTheOldLink) {
  server.controller().set_reuse_handles(true);
  connect();
  ConnDesc first = server.connected.back();
  ASSERT_TRUE(central.host().disconnect(net.now(), ch, 0x13).ok());
  net.advance(Duration(100));
  connect();
  ConnDesc second = server.connected.back();
  ASSERT_EQ(second.handle, first.handle);  // the controller reused it
  EXPECT_NE(second.generation, first.generation);
  EXPECT_FALSE(server.host().is_current(first.handle, first.generation));
  EXPECT_TRUE(server.host().is_current(second.handle, second.generation));
}

}  // namespace
}  // namespace sable::testing
