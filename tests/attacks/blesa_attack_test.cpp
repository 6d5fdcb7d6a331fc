// BLESA-style reconnection spoofing (catalog items 17, 18, 29; GAP/SEC/AUT
// cases): a legitimate sable central bonds with the reference server and
// subscribes; an impostor then connects with the bonded central's address.
// It must not read, must not change the bond's subscription, must not
// receive notifications, and cannot encrypt; the real central is unaffected.
#include <gtest/gtest.h>

#include "attacks/attack_fixture.hpp"

namespace sable::testing::attack {
namespace {

constexpr const char* kCentralAddress = "00:AA:01:01:00:02";

gap::HostConfig central_config() {
  gap::HostConfig c;
  c.security.auth = AuthReq::bond() | AuthReq::mitm() | AuthReq::sc();
  c.security.io_cap = IoCap::KeyboardOnly;
  return c;
}

class BlesaAttack : public ::testing::Test {
 protected:
  void SetUp() override {
    central.passkey_to_enter = kPasskey;
    connect_central();
    ASSERT_TRUE(central.host().pair(arena.now(), ch).ok());
    arena.advance(Duration(100));
    ASSERT_EQ(central.paired.size(), 1u);
    // Subscribe (CCCD 0x0001) on the encrypted link.
    gatt::Client* client = central.host().gatt_client(ch);
    ASSERT_NE(client, nullptr);
    bool done = false;
    client->subscribe(
        arena.now(), db().secret, db().secret_cccd, false,
        [this](uint16_t, Bytes, bool) { ++central_notifications; },
        [&](gatt::ClientResult<void> r) { done = r.ok(); });
    arena.run();
    ASSERT_TRUE(done);
    ASSERT_TRUE(central.host().disconnect(arena.now(), ch, 0x13).ok());
    arena.advance(Duration(100));
    auto bond = bond_of_central();
    ASSERT_TRUE(bond && bond->ltk);
    ASSERT_EQ(bond->cccd(db().secret_cccd), 0x0001);
    bonded_ltk = bond->ltk->key;
  }

  void connect_central() {
    ASSERT_TRUE(central.host().connect(arena.now(), arena.server().address()).ok());
    arena.advance(Duration(100));
    ASSERT_FALSE(central.connected.empty());
    ch = central.connected.back().handle;
  }
  std::optional<store::Bond> bond_of_central() {
    return arena.server().host().bond_store().find_by_identity(*Address::parse(kCentralAddress));
  }
  TestDatabase& db() { return arena.database(); }

  AttackArena arena;
  TestHost& central = arena.add_host(kCentralAddress, central_config());
  uint16_t ch = 0;
  int central_notifications = 0;
  smp::Key bonded_ltk{};
};

TEST_F(BlesaAttack, ImpostorWithBondedAddressCannotReadSubscribeOrEncrypt_GAP_SEC_AUT_BV_23_C) {
  // The impostor's controller uses the bonded central's public address.
  MaliciousPeer& impostor = arena.add_peer(kCentralAddress);
  ASSERT_TRUE(impostor.connect(arena.server().address()));
  auto link = arena.server_link(impostor);
  ASSERT_TRUE(link.has_value());
  EXPECT_FALSE(link->encrypted);
  // Reads: Insufficient Encryption (the server knows a key for this address),
  // never the value.
  EXPECT_EQ(impostor.att_request(read_request(db().secret)),
            att_error(0x0A, db().secret, kInsufficientEncryption));
  // The impostor clears the subscription on its insecure link ...
  EXPECT_EQ(impostor.att_request(
                Pdu{0x12, uint8_t(db().secret_cccd), uint8_t(db().secret_cccd >> 8), 0x00, 0x00}),
            (Pdu{0x13}));
  // ... and subscribes again: whatever it does, nothing leaks ...
  EXPECT_EQ(impostor.att_request(
                Pdu{0x12, uint8_t(db().secret_cccd), uint8_t(db().secret_cccd >> 8), 0x01, 0x00}),
            (Pdu{0x13}));
  uint8_t v[1] = {9};
  EXPECT_EQ(arena.server().host().notify(arena.now(), db().secret, v).sent, 0u);
  arena.run();
  EXPECT_TRUE(impostor.notifications().empty());
  // ... and the bond's subscription is untouched.
  impostor.att_request(
      Pdu{0x12, uint8_t(db().secret_cccd), uint8_t(db().secret_cccd >> 8), 0x00, 0x00});
  EXPECT_EQ(bond_of_central()->cccd(db().secret_cccd), 0x0001);
  // Encryption with a guessed key: the link dies with a MIC failure.
  smp::Key guess{};
  impostor.start_encryption(guess);
  EXPECT_FALSE(impostor.connected());
  ASSERT_FALSE(impostor.disconnect_reasons().empty());
  EXPECT_EQ(impostor.disconnect_reasons().back(), 0x3D);
  // The bond is intact (same key, same subscription).
  auto bond = bond_of_central();
  ASSERT_TRUE(bond && bond->ltk);
  EXPECT_EQ(bond->ltk->key, bonded_ltk);
  EXPECT_EQ(bond->cccd(db().secret_cccd), 0x0001);
  EXPECT_FALSE(arena.server().fatal.has_value());

  // The real central comes back, encrypts with its bond and is notified
  // without writing the CCCD again.
  arena.advance(Duration(100));
  connect_central();
  ASSERT_TRUE(central.host().secure(arena.now(), ch).ok());
  arena.advance(Duration(100));
  auto d = central.host().connection(ch);
  ASSERT_TRUE(d && d->encrypted && d->authenticated);
  EXPECT_EQ(arena.server().host().notify(arena.now(), db().secret, v).sent, 1u);
  arena.run();
}

TEST_F(BlesaAttack, ImpostorCannotRePairWeakerOverTheBond) {
  MaliciousPeer& impostor = arena.add_peer(kCentralAddress);
  ASSERT_TRUE(impostor.connect(arena.server().address()));
  // 18. BLERP: Just Works, or a wrong passkey guess: refused, bond kept.
  impostor.send_smp(pairing_request({.io_cap = 0x03, .auth = 0x09}));
  EXPECT_EQ(impostor.pop_smp(), pairing_failed(kAuthRequirements));
  ScInitiator sc(impostor, arena.server().address());
  ASSERT_TRUE(sc.feature_exchange());
  ASSERT_TRUE(sc.exchange_public_keys());
  EXPECT_FALSE(sc.passkey_round(0, 1));
  EXPECT_EQ(sc.unexpected, pairing_failed(kConfirmValueFailed));
  auto bond = bond_of_central();
  ASSERT_TRUE(bond && bond->ltk);
  EXPECT_EQ(bond->ltk->key, bonded_ltk);
  EXPECT_EQ(impostor.att_request(read_request(db().secret)),
            att_error(0x0A, db().secret, kInsufficientEncryption));
}

}  // namespace
}  // namespace sable::testing::attack
