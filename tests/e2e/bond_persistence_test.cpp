// Bonds survive a restart of the server: the bond file is read back, the
// bonded central re-encrypts without pairing and its subscription is still in
// place (Core 5.4 Vol 3 Part G 3.3.3.3: CCCD values persist across
// connections for bonded clients).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>

#include "gatt/database.hpp"
#include "harness.hpp"
#include "store/file_bond_store.hpp"

namespace sable::testing {
namespace {

gap::HostConfig server_config() {
  gap::HostConfig c = reference_server_config();
  c.security.resolvable_private_address = true;
  return c;
}

// One "boot" of both devices, with their bond files.
struct Boot {
  Boot(const std::string& server_file, const std::string& central_file) {
    server_store = std::move(store::FileBondStore::open(server_file).value());
    central_store = std::move(store::FileBondStore::open(central_file).value());
    server.host().set_bond_store(server_store.get());
    central.host().set_bond_store(central_store.get());
    server.host().set_database(&db);
    net.start();
    EXPECT_TRUE(server.host().start_advertising(net.now()).ok());
    net.run();
  }
  uint16_t connect() {
    EXPECT_TRUE(central.host().connect(net.now(), server.host().own_address()).ok());
    net.advance(Duration(100));
    return central.connected.empty() ? 0 : central.connected.back().handle;
  }
  NotifyResult notify(uint8_t v) {
    uint16_t h = db.find_characteristic(kService, kCharacteristic)->value;
    uint8_t value[1] = {v};
    return server.host().notify(net.now(), h, value);
  }

  gatt::Database db = reference_database();
  std::unique_ptr<store::FileBondStore> server_store, central_store;
  Network net;
  TestHost& server = net.add_host("00:AA:01:00:00:01", server_config());
  TestHost& central = net.add_host("00:AA:01:01:00:02", keyboard_central_config());
};

class BondPersistenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sable-bonds-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir = tmpl;
  }
  void TearDown() override { (void)system(("rm -rf " + dir).c_str()); }
  std::string dir;
};

TEST_F(BondPersistenceTest, BondedCentralReencryptsAndKeepsItsSubscriptionAfterServerRestart) {
  uint16_t cccd = 0;
  Address server_identity;
  {
    Boot first(dir + "/server", dir + "/central");
    uint16_t ch = first.connect();
    first.central.passkey_to_enter = 123456;
    ASSERT_TRUE(first.central.host().pair(first.net.now(), ch).ok());
    first.net.advance(Duration(100));
    ASSERT_EQ(first.central.paired.size(), 1u);
    server_identity = first.server.host().controller().bd_addr;
    // Subscribe: write 0x0001 to the CCCD (the handle after the value).
    cccd = uint16_t(first.db.find_characteristic(kService, kCharacteristic)->cccd);
    gatt::Client* client = first.central.host().gatt_client(ch);
    bool done = false;
    client->subscribe(
        first.net.now(), uint16_t(cccd - 1), cccd, false, [](uint16_t, Bytes, bool) {},
        [&](gatt::ClientResult<void> r) { done = r.ok(); });
    first.net.run();
    ASSERT_TRUE(done);
    EXPECT_EQ(first.notify(1).sent, 1u);
  }  // both devices "power off" here (no disconnection is seen by anyone)

  Boot second(dir + "/server", dir + "/central");
  // The server uses a new private address, which the central resolves with the IRK.
  Address rpa = second.server.host().own_address();
  ASSERT_TRUE(rpa.is_resolvable_private());
  auto cbond = second.central.host().bond_store().find_by_identity(server_identity);
  ASSERT_TRUE(cbond && cbond->peer_irk);
  EXPECT_TRUE(smp::rpa_matches_irk(*cbond->peer_irk, rpa.bytes));

  uint16_t ch = second.connect();
  ASSERT_NE(ch, 0);
  ASSERT_TRUE(second.central.host().secure(second.net.now(), ch).ok());
  second.net.advance(Duration(100));
  EXPECT_EQ(second.central.passkey_requests, 0);  // no pairing
  EXPECT_TRUE(second.server.paired.empty());
  auto s = second.server.host().connection(second.server.connected.back().handle);
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->encrypted && s->authenticated && s->bonded);
  // The subscription came back from the bond file: no CCCD write on this link.
  NotifyResult r = second.notify(2);
  EXPECT_EQ(r.sent, 1u) << to_string(r.status);
}

TEST_F(BondPersistenceTest, CorruptBondFileIsSetAsideAndTheServerStartsEmpty) {
  {
    FILE* f = std::fopen((dir + "/server").c_str(), "w");
    std::fputs("this is not a bond file", f);
    std::fclose(f);
  }
  auto opened = store::FileBondStore::open(dir + "/server");
  ASSERT_TRUE(opened.ok());
  ASSERT_TRUE(opened.value()->recovery().has_value());
  EXPECT_NE(opened.value()->recovery()->moved_to.find(dir + "/server.corrupt-"), std::string::npos);
  EXPECT_EQ(opened.value()->size(), 0u);
  EXPECT_EQ(access(opened.value()->recovery()->moved_to.c_str(), F_OK), 0);
}

}  // namespace
}  // namespace sable::testing
