#include "store/bond_store.hpp"

#include <gtest/gtest.h>

#include "store_test_util.hpp"

namespace sable::store {
namespace {

using namespace sable::store::testing;

TEST(BondTest, SecurityLevelFollowsTheKey) {
  Bond b;
  b.peer_identity = public_address(1);
  EXPECT_EQ(b.security_level(), SecurityLevel::kNoSecurity);
  EXPECT_EQ(b.key_size(), 0);
  b.ltk = LongTermKey{key_of(1), 0, 0, 16, false, true};
  EXPECT_EQ(b.security_level(), SecurityLevel::kUnauthenticated);
  b.ltk->authenticated = true;
  EXPECT_EQ(b.security_level(), SecurityLevel::kAuthenticatedSecureConnections);
  EXPECT_TRUE(b.secure_connections());
  EXPECT_TRUE(b.authenticated());
  b.ltk->key_size = 15;  // level 4 needs a 128-bit key
  EXPECT_EQ(b.security_level(), SecurityLevel::kAuthenticated);
  EXPECT_EQ(b.key_size(), 15);
  b.ltk->secure_connections = false;
  b.ltk->key_size = 16;
  EXPECT_EQ(b.security_level(), SecurityLevel::kAuthenticated);
  EXPECT_STREQ(to_string(SecurityLevel::kAuthenticatedSecureConnections),
               "authenticated LE Secure Connections");
}

TEST(StoreErrorTest, TextNamesKindReasonOffsetAndDetail) {
  StoreError e;
  e.kind = StoreErrorKind::kCorrupt;
  e.reason = "CRC mismatch";
  EXPECT_EQ(e.to_string(), "corrupt: CRC mismatch");
  e.offset = 57;
  e.detail = "more";
  EXPECT_EQ(e.to_string(), "corrupt: CRC mismatch (offset 57): more");
  // format_to: the same text without allocating, cut like snprintf.
  char small[12];
  EXPECT_EQ(e.format_to(small, sizeof small), e.to_string().size());
  EXPECT_STREQ(small, "corrupt: CR");
}

TEST(BondTest, PicksTheKeyForEachRole) {
  Bond legacy = full_bond(2);
  EXPECT_EQ(legacy.ltk_for(Role::kPeripheral), &*legacy.ltk);
  EXPECT_EQ(legacy.ltk_for(Role::kCentral), &*legacy.peer_ltk);
  Bond sc = sc_bond(1);
  EXPECT_EQ(sc.ltk_for(Role::kCentral), &*sc.ltk);
  EXPECT_EQ(sc.ltk_for(Role::kPeripheral), &*sc.ltk);
  Bond none;
  EXPECT_EQ(none.ltk_for(Role::kCentral), nullptr);
}

TEST(BondTest, CccdsStaySortedAndZeroRemoves) {
  Bond b;
  b.set_cccd(0x20, 1);
  b.set_cccd(0x10, 2);
  b.set_cccd(0x20, 3);
  EXPECT_EQ(b.cccds, (CccdList{{0x10, 2}, {0x20, 3}}));
  EXPECT_EQ(b.cccd(0x20), 3);
  b.set_cccd(0x10, 0);
  EXPECT_EQ(b.cccds, (CccdList{{0x20, 3}}));
  EXPECT_EQ(b.cccd(0x10), 0);
}

TEST(MemoryBondStoreTest, PutFindReplaceRemoveClear) {
  MemoryBondStore s;
  EXPECT_EQ(s.capacity(), kDefaultCapacity);
  ASSERT_TRUE(s.put(full_bond(1)).ok());
  ASSERT_TRUE(s.put(sc_bond(2)).ok());
  EXPECT_EQ(s.size(), 2u);
  auto found = s.find_by_identity(full_bond(1).peer_identity);
  ASSERT_TRUE(found);
  Bond expect = full_bond(1);
  expect.last_used = found->last_used;
  EXPECT_EQ(*found, expect);

  // Replace by identity; HCI's "identity" address types find the same bond.
  Bond replaced = sc_bond(2);
  replaced.ltk->key = key_of(77);
  ASSERT_TRUE(s.put(replaced).ok());
  EXPECT_EQ(s.size(), 2u);
  Address hci_form = sc_bond(2).peer_identity;
  hci_form.type = AddressType::kPublicIdentity;
  ASSERT_TRUE(s.find_by_identity(hci_form));
  EXPECT_EQ(s.find_by_identity(hci_form)->ltk->key, key_of(77));

  auto r = s.remove(full_bond(1).peer_identity);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(s.find_by_identity(full_bond(1).peer_identity));
  r = s.remove(full_bond(1).peer_identity);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, StoreErrorKind::kNotFound);

  ASSERT_TRUE(s.set_local_identity(LocalIdentity{key_of(5)}).ok());
  ASSERT_TRUE(s.clear().ok());
  EXPECT_EQ(s.size(), 0u);
  EXPECT_TRUE(s.all().empty());
  EXPECT_EQ(s.local_identity(), LocalIdentity{key_of(5)});  // clear() keeps our identity
}

TEST(MemoryBondStoreTest, RejectsInvalidBonds) {
  MemoryBondStore s;
  Bond b = sc_bond(1);
  b.peer_identity.type = AddressType::kRandom;
  b.peer_identity.bytes[5] = 0x45;  // a resolvable private address is no identity
  auto r = s.put(b);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, StoreErrorKind::kInvalidArgument);
  b = sc_bond(1);
  b.peer_irk = Key128{};
  EXPECT_EQ(s.put(b).error().kind, StoreErrorKind::kInvalidArgument);
  b = sc_bond(1);
  b.ltk->key_size = 6;
  EXPECT_EQ(s.put(b).error().kind, StoreErrorKind::kInvalidArgument);
  b = sc_bond(1);
  b.cccds = {{5, 1}, {5, 2}};
  EXPECT_EQ(s.put(b).error().kind, StoreErrorKind::kInvalidArgument);
  EXPECT_EQ(s.set_local_identity(LocalIdentity{}).error().kind, StoreErrorKind::kInvalidArgument);
  EXPECT_EQ(s.size(), 0u);
}

TEST(MemoryBondStoreTest, NormalizesCccdsOnPutAndUpdate) {
  MemoryBondStore s;
  Bond b = sc_bond(1);
  b.cccds = {{9, 2}, {3, 0}, {4, 1}};
  ASSERT_TRUE(s.put(b).ok());
  EXPECT_EQ(s.find_by_identity(b.peer_identity)->cccds, (CccdList{{4, 1}, {9, 2}}));
  const uint64_t used = s.find_by_identity(b.peer_identity)->last_used;
  const CccdEntry next[] = {{0x30, 1}};
  ASSERT_TRUE(s.update_cccds(b.peer_identity, next).ok());
  EXPECT_EQ(s.find_by_identity(b.peer_identity)->cccds, (CccdList{{0x30, 1}}));
  EXPECT_EQ(s.find_by_identity(b.peer_identity)->last_used, used);
  ASSERT_TRUE(s.set_cccd(b.peer_identity, 0x31, 2).ok());
  ASSERT_TRUE(s.set_cccd(b.peer_identity, 0x30, 0).ok());
  EXPECT_EQ(s.find_by_identity(b.peer_identity)->cccds, (CccdList{{0x31, 2}}));
  EXPECT_EQ(s.update_cccds(public_address(50), next).error().kind, StoreErrorKind::kNotFound);
  const CccdEntry bad[] = {{0x30, 8}};
  EXPECT_EQ(s.update_cccds(b.peer_identity, bad).error().kind, StoreErrorKind::kInvalidArgument);
  EXPECT_EQ(s.find_by_identity(b.peer_identity)->cccds, (CccdList{{0x31, 2}}));
}

TEST(MemoryBondStoreTest, EvictsLeastRecentlyUsedAndNamesIt) {
  std::vector<Address> evicted;
  MemoryBondStore s(recording_evictions(3, evicted));
  for (uint8_t i = 1; i <= 3; ++i) ASSERT_TRUE(s.put(sc_bond(i)).ok());
  ASSERT_TRUE(s.touch(public_address(1)).ok());  // order now 2, 3, 1
  ASSERT_TRUE(s.put(sc_bond(2)).ok());           // replace refreshes: 3, 1, 2
  EXPECT_TRUE(evicted.empty());
  ASSERT_TRUE(s.put(sc_bond(4)).ok());
  ASSERT_TRUE(s.put(sc_bond(5)).ok());
  EXPECT_EQ(evicted, (std::vector<Address>{public_address(3), public_address(1)}));
  EXPECT_EQ(s.size(), 3u);
  auto all = s.all();  // most recent first
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].peer_identity, public_address(5));
  EXPECT_EQ(all[1].peer_identity, public_address(4));
  EXPECT_EQ(all[2].peer_identity, public_address(2));
  EXPECT_EQ(s.touch(public_address(1)).error().kind, StoreErrorKind::kNotFound);
}

TEST(MemoryBondStoreTest, RefusesWhenFullIfEvictionIsOff) {
  StoreOptions o;
  o.capacity = 1;
  o.evict_when_full = false;
  MemoryBondStore s(o);
  ASSERT_TRUE(s.put(sc_bond(1)).ok());
  auto r = s.put(sc_bond(2));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, StoreErrorKind::kFull);
  ASSERT_TRUE(s.put(sc_bond(1)).ok());  // replacing still works
  EXPECT_TRUE(s.find_by_identity(public_address(1)));
  EXPECT_FALSE(s.find_by_identity(public_address(2)));
}

TEST(MemoryBondStoreTest, FindsByResolvablePrivateAddress) {
  MemoryBondStore s;
  ASSERT_TRUE(s.put(sc_bond(1)).ok());
  ASSERT_TRUE(s.put(sc_bond(2)).ok());
  Bond no_irk = sc_bond(3);
  no_irk.peer_irk.reset();
  ASSERT_TRUE(s.put(no_irk).ok());
  // A stand-in for smp::ah: the RPA "resolves" when its prand octet names the IRK.
  static std::vector<Key128> asked;
  asked.clear();
  RpaResolver resolver = [](const Key128& irk, const std::array<uint8_t, 6>& rpa) {
    asked.push_back(irk);
    return irk[0] == rpa[3];
  };
  std::array<uint8_t, 6> rpa = {0, 0, 0, key_of(2)[0], 0, 0x40};
  auto b = s.find_by_rpa(rpa, resolver);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->peer_identity, public_address(2));
  EXPECT_EQ(asked.size(), 2u);  // the bond without an IRK is not asked about
  rpa[3] = 0xEE;
  EXPECT_FALSE(s.find_by_rpa(rpa, resolver));
  asked.clear();
  rpa = {0, 0, 0, key_of(2)[0], 0, 0xC0};  // static random: not resolvable
  EXPECT_FALSE(s.find_by_rpa(rpa, resolver));
  EXPECT_TRUE(asked.empty());
}

TEST(MemoryBondStoreTest, TwoBondsResolvingTheSameRpaGiveTheMostRecentlyUsed) {
  MemoryBondStore s;
  Bond first = sc_bond(1);
  Bond second = sc_bond(2);
  second.peer_irk = first.peer_irk;  // the same peer bonded under two identities
  ASSERT_TRUE(s.put(first).ok());
  ASSERT_TRUE(s.put(second).ok());
  RpaResolver resolver = [](const Key128& irk, const std::array<uint8_t, 6>& rpa) {
    return irk[0] == rpa[3];
  };
  const std::array<uint8_t, 6> rpa = {0, 0, 0, first.peer_irk->at(0), 0, 0x40};
  EXPECT_EQ(s.find_by_rpa(rpa, resolver)->peer_identity, second.peer_identity);
  ASSERT_TRUE(s.touch(first.peer_identity).ok());
  EXPECT_EQ(s.find_by_rpa(rpa, resolver)->peer_identity, first.peer_identity);
}

}  // namespace
}  // namespace sable::store
