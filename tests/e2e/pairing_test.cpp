// Pairing and bonding between two real hosts on the fake controller: the
// reference server's policy (SC, MITM, bonding, DisplayOnly, passkey 123456)
// against a central with a keyboard.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace sable::testing {
namespace {

using PairingTest = TwoHostTest;

TEST_F(PairingTest, PasskeyEntryWithSecureConnectionsBondsBothSides) {
  connect();
  central.passkey_to_enter = 123456;
  ASSERT_TRUE(central.host().pair(net.now(), ch).ok());
  net.advance(Duration(100));
  ASSERT_EQ(server.displayed_passkeys, std::vector<uint32_t>{123456});
  EXPECT_EQ(central.passkey_requests, 1);
  ASSERT_EQ(server.paired.size(), 1u);
  ASSERT_EQ(central.paired.size(), 1u);
  auto s = server.host().connection(ph);
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->encrypted);
  EXPECT_TRUE(s->authenticated);
  EXPECT_TRUE(s->bonded);
  EXPECT_EQ(s->key_size, 16);
  // The central distributed its identity: the server's bond is keyed by it.
  auto bond = server.host().bond_store().find_by_identity(central.host().controller().bd_addr);
  ASSERT_TRUE(bond);
  ASSERT_TRUE(bond->ltk);
  EXPECT_TRUE(bond->ltk->secure_connections);
  EXPECT_TRUE(bond->ltk->authenticated);
  // And the central holds the server's IRK and identity address.
  auto cbond = central.host().bond_store().find_by_identity(server.host().controller().bd_addr);
  ASSERT_TRUE(cbond);
  EXPECT_TRUE(cbond->peer_irk);
  EXPECT_TRUE(server.pairing_failures.empty());
}

TEST_F(PairingTest, WrongPasskeyFailsWithConfirmValueFailedAndStoresNothing) {
  connect();
  central.passkey_to_enter = 654321;
  ASSERT_TRUE(central.host().pair(net.now(), ch).ok());
  net.advance(Duration(100));
  ASSERT_FALSE(server.pairing_failures.empty());
  EXPECT_EQ(server.pairing_failures[0].code, 0x04);  // Confirm Value Failed
  EXPECT_TRUE(server.paired.empty());
  EXPECT_TRUE(central.paired.empty());
  EXPECT_EQ(server.host().bond_store().size(), 0u);
  auto s = server.host().connection(ph);
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->encrypted);
}

TEST_F(PairingTest, ImmediateRetryAfterAFailureGetsRepeatedAttempts) {
  connect();
  central.passkey_to_enter = 654321;
  ASSERT_TRUE(central.host().pair(net.now(), ch).ok());
  net.advance(Duration(100));
  ASSERT_EQ(server.pairing_failures.size(), 1u);
  central.passkey_to_enter = 123456;
  ASSERT_TRUE(central.host().pair(net.now(), ch).ok());
  net.advance(Duration(100));
  ASSERT_EQ(central.pairing_failures.size(), 2u);
  EXPECT_EQ(central.pairing_failures[1].code, 0x09);  // Repeated Attempts
  // After the wait, the right passkey pairs.
  net.advance(Duration(3000));
  ASSERT_TRUE(central.host().pair(net.now(), ch).ok());
  net.advance(Duration(100));
  EXPECT_EQ(server.paired.size(), 1u);
}

TEST_F(PairingTest, JustWorksPeerIsRefusedWhenMitmIsRequired) {
  // A central without input or output can only do Just Works.
  TestHost& headless =
      net.add_host("00:AA:01:02:00:03", keyboard_central_config(IoCap::NoInputNoOutput));
  headless.host().start(net.now());
  net.run();
  ASSERT_TRUE(headless.host().connect(net.now(), server.host().own_address()).ok());
  net.advance(Duration(100));
  ASSERT_EQ(headless.connected.size(), 1u);
  ASSERT_TRUE(headless.host().pair(net.now(), headless.connected[0].handle).ok());
  net.advance(Duration(100));
  ASSERT_FALSE(headless.pairing_failures.empty());
  EXPECT_EQ(headless.pairing_failures[0].code, 0x03);  // Authentication Requirements
  EXPECT_TRUE(server.paired.empty());
}

TEST_F(PairingTest, BondedCentralReencryptsWithoutPairingAfterReconnect) {
  connect();
  central.passkey_to_enter = 123456;
  ASSERT_TRUE(central.host().pair(net.now(), ch).ok());
  net.advance(Duration(100));
  ASSERT_EQ(server.paired.size(), 1u);
  disconnect();
  ASSERT_TRUE(server.host().advertising());
  connect();
  ASSERT_TRUE(central.host().secure(net.now(), ch).ok());
  net.advance(Duration(100));
  EXPECT_EQ(central.passkey_requests, 1);  // no second pairing
  EXPECT_EQ(server.paired.size(), 1u);
  auto s = server.host().connection(ph);
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->encrypted);
  EXPECT_TRUE(s->authenticated);
  EXPECT_TRUE(s->bonded);
  EXPECT_EQ(s->id_address, central.host().controller().bd_addr);
}

TEST_F(PairingTest, LostBondOnThePeripheralFailsEncryptionAndNothingFallsBack) {
  connect();
  central.passkey_to_enter = 123456;
  ASSERT_TRUE(central.host().pair(net.now(), ch).ok());
  net.advance(Duration(100));
  disconnect();
  ASSERT_TRUE(server.host().remove_bond(central.host().controller().bd_addr).ok());
  connect();
  ASSERT_TRUE(central.host().secure(net.now(), ch).ok());
  net.advance(Duration(100));
  ASSERT_FALSE(central.pairing_failures.empty());
  auto c = central.host().connection(ch);
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->encrypted);
}

TEST_F(PairingTest, PrivacyAdvertisesAResolvablePrivateAddressTheBondedPeerResolves) {
  gap::HostConfig cfg = reference_server_config();
  cfg.security.resolvable_private_address = true;
  TestHost& private_server = net.add_host("00:AA:01:03:00:04", cfg);
  private_server.host().start(net.now());
  net.run();
  ASSERT_TRUE(
      private_server.host().set_advertising_data(net.now(), AdvertisementData().name("p")).ok());
  ASSERT_TRUE(private_server.host().start_advertising(net.now()).ok());
  net.run();
  Address rpa = private_server.host().own_address();
  EXPECT_TRUE(rpa.is_resolvable_private());
  EXPECT_NE(rpa, private_server.host().controller().bd_addr);
  ASSERT_TRUE(central.host().connect(net.now(), rpa).ok());
  net.advance(Duration(100));
  ASSERT_EQ(central.connected.size(), 1u);
  central.passkey_to_enter = 123456;
  ASSERT_TRUE(central.host().pair(net.now(), central.connected[0].handle).ok());
  net.advance(Duration(100));
  ASSERT_EQ(central.paired.size(), 1u);
  // The central learned the identity behind the RPA, and its IRK resolves it.
  EXPECT_EQ(central.paired[0].id_address, private_server.host().controller().bd_addr);
  auto bond =
      central.host().bond_store().find_by_identity(private_server.host().controller().bd_addr);
  ASSERT_TRUE(bond && bond->peer_irk);
  EXPECT_TRUE(smp::rpa_matches_irk(*bond->peer_irk, rpa.bytes));
}

TEST_F(PairingTest, PrivateAddressRotatesOnItsTimer) {
  gap::HostConfig cfg = reference_server_config();
  cfg.security.resolvable_private_address = true;
  cfg.rpa_rotation = Duration(60'000);
  TestHost& private_server = net.add_host("00:AA:01:03:00:05", cfg);
  private_server.host().start(net.now());
  net.run();
  ASSERT_TRUE(private_server.host().start_advertising(net.now()).ok());
  net.run();
  Address first = private_server.host().own_address();
  net.advance(Duration(61'000));
  Address second = private_server.host().own_address();
  EXPECT_TRUE(second.is_resolvable_private());
  EXPECT_NE(first, second);
  EXPECT_TRUE(private_server.host().advertising());
  EXPECT_EQ(private_server.controller().random_address(), second);
}

}  // namespace
}  // namespace sable::testing

namespace sable::testing {
namespace {

// A controller with LL Privacy gets each bonded peer's IRK in its resolving
// list: after a pairing that distributed an IRK, at start-up from the bond
// store, and again (without the peer) when the bond is removed.
TEST(ResolvingListTest, BondedIrksAreLoadedIntoAControllerThatResolves) {
  Network net;
  gap::HostConfig server_cfg = reference_server_config();
  gap::HostConfig central_cfg = keyboard_central_config();
  TestHost& server = net.add_host("00:AA:01:00:00:01", server_cfg);
  TestHost& central = net.add_host("00:AA:01:01:00:02", central_cfg);
  server.controller().set_ll_privacy_supported(true);
  net.start();
  EXPECT_EQ(server.controller().resolving_list_size(), 0u);
  EXPECT_FALSE(server.controller().address_resolution_enabled());
  ASSERT_TRUE(server.host().start_advertising(net.now()).ok());
  net.run();
  ASSERT_TRUE(central.host().connect(net.now(), server.host().own_address()).ok());
  net.advance(Duration(100));
  central.passkey_to_enter = 123456;
  ASSERT_TRUE(central.host().pair(net.now(), central.connected[0].handle).ok());
  net.advance(Duration(100));
  ASSERT_EQ(server.paired.size(), 1u);
  EXPECT_EQ(server.controller().resolving_list_size(), 1u);
  EXPECT_TRUE(server.controller().address_resolution_enabled());
  // The central's controller has no LL Privacy: nothing is sent to it.
  EXPECT_EQ(central.controller().commands_received(op::kLeAddDeviceToResolvingList), 0u);

  ASSERT_TRUE(server.host().remove_bond(central.host().controller().bd_addr).ok());
  net.run();
  EXPECT_EQ(server.controller().resolving_list_size(), 0u);
}

// The resolving list is fed one entry per answer: with more bonds than the
// HCI command queue holds (32), every IRK still reaches the controller and
// resolution is switched on after the last (the fake's list keeps 8; the
// rest are refused as Memory Capacity Exceeded and the host resolves them).
TEST(ResolvingListTest, FortyBondsAreFedOneCommandAtATime) {
  store::StoreOptions options;
  options.capacity = 64;
  store::MemoryBondStore bonds(options);
  for (uint8_t i = 0; i < 40; ++i) {
    store::Bond b;
    b.peer_identity = *Address::parse("00:BB:00:00:00:00");
    b.peer_identity.bytes[0] = uint8_t(i + 1);
    b.peer_irk = store::Key128{};
    (*b.peer_irk)[0] = uint8_t(i + 1);
    ASSERT_TRUE(bonds.put(b).ok());
  }
  Network net;
  TestHost& server = net.add_host("00:AA:01:00:00:01", reference_server_config());
  server.host().set_bond_store(&bonds);
  server.controller().set_ll_privacy_supported(true);
  net.start();
  EXPECT_TRUE(server.host().ready());
  EXPECT_FALSE(server.host().failed());
  EXPECT_EQ(server.controller().commands_received(op::kLeAddDeviceToResolvingList), 40u);
  EXPECT_EQ(server.controller().resolving_list_size(), 8u);
  EXPECT_TRUE(server.controller().address_resolution_enabled());
}

}  // namespace
}  // namespace sable::testing
