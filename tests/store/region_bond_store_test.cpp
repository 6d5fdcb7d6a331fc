// The firmware's bond store (ports/cortex-m4/store): two slots in a memory
// region, the newer valid one wins, a torn or corrupt write falls back.
#include "../../ports/cortex-m4/store/region_bond_store.hpp"

#include <gtest/gtest.h>

#include "store_test_util.hpp"

namespace sable::store {
namespace {

using namespace sable::store::testing;
using port::RegionBondStore;

constexpr size_t kCapacity = 4;
constexpr size_t kSlotHeader = 8;  // sequence number, length

StoreOptions options() {
  StoreOptions o;
  o.capacity = kCapacity;
  return o;
}

std::vector<uint8_t> region_for(size_t capacity) {
  return std::vector<uint8_t>(2 * (kSlotHeader + max_encoded_size(capacity)));
}

TEST(RegionBondStoreTest, AnEmptyRegionIsAnEmptyStore) {
  auto region = region_for(kCapacity);
  RegionBondStore s(region.data(), region.size(), options());
  EXPECT_EQ(s.size(), 0u);
  EXPECT_FALSE(s.recovery());
  std::fill(region.begin(), region.end(), 0xFF);  // erased flash
  RegionBondStore erased(region.data(), region.size(), options());
  EXPECT_EQ(erased.size(), 0u);
  EXPECT_FALSE(erased.recovery());
}

TEST(RegionBondStoreTest, EveryChangeSurvivesARestart) {
  auto region = region_for(kCapacity);
  BondFile written;
  {
    RegionBondStore s(region.data(), region.size(), options());
    ASSERT_TRUE(s.set_local_identity(LocalIdentity{key_of(3)}).ok());
    ASSERT_TRUE(s.put(full_bond(1)).ok());
    ASSERT_TRUE(s.put(sc_bond(2)).ok());
    ASSERT_TRUE(s.set_cccd(sc_bond(2).peer_identity, 0x21, CccdEntry::kNotify).ok());
    ASSERT_TRUE(s.touch(full_bond(1).peer_identity).ok());
    written = s.snapshot();
  }
  RegionBondStore again(region.data(), region.size(), options());
  EXPECT_FALSE(again.recovery());
  EXPECT_EQ(again.snapshot(), written);
  ASSERT_TRUE(again.remove(full_bond(1).peer_identity).ok());
  RegionBondStore third(region.data(), region.size(), options());
  EXPECT_EQ(third.size(), 1u);
  EXPECT_EQ(third.find_by_identity(sc_bond(2).peer_identity)->cccd(0x21), CccdEntry::kNotify);
}

// The slot a store's next commit goes to: the one it did not load from.
size_t newest_slot_offset(const std::vector<uint8_t>& region) {
  const size_t half = region.size() / 2;
  const uint32_t a = get_le32(&region[0]), b = get_le32(&region[half]);
  auto unused = [](uint32_t s) { return s == 0 || s == 0xFFFFFFFFu; };
  if (unused(b)) return 0;
  if (unused(a)) return half;
  return int32_t(b - a) > 0 ? half : 0;
}

TEST(RegionBondStoreTest, AWriteThatNeverReachedItsSequenceNumberLeavesThePreviousState) {
  auto region = region_for(kCapacity);
  BondFile before;
  {
    RegionBondStore s(region.data(), region.size(), options());
    ASSERT_TRUE(s.put(sc_bond(1)).ok());
    ASSERT_TRUE(s.put(sc_bond(2)).ok());
    before = s.snapshot();
    ASSERT_TRUE(s.put(sc_bond(3)).ok());
  }
  // The sequence number goes in last: a cut before it leaves it erased.
  const size_t newest = newest_slot_offset(region);
  put_le32(&region[newest], 0xFFFFFFFFu);
  RegionBondStore s(region.data(), region.size(), options());
  EXPECT_FALSE(s.recovery());
  EXPECT_EQ(s.snapshot(), before);
  // And the next write goes over the torn slot, not the good one.
  ASSERT_TRUE(s.put(sc_bond(4)).ok());
  RegionBondStore after(region.data(), region.size(), options());
  EXPECT_EQ(after.size(), 3u);
  EXPECT_TRUE(after.find_by_identity(sc_bond(4).peer_identity));
}

TEST(RegionBondStoreTest, ACorruptNewerSlotIsReportedAndTheOlderOneUsed) {
  auto region = region_for(kCapacity);
  BondFile before;
  {
    RegionBondStore s(region.data(), region.size(), options());
    ASSERT_TRUE(s.put(sc_bond(1)).ok());
    before = s.snapshot();
    ASSERT_TRUE(s.put(sc_bond(2)).ok());
  }
  const size_t newest = newest_slot_offset(region);
  region[newest + kSlotHeader + 30] ^= 0x01;
  RegionBondStore s(region.data(), region.size(), options());
  ASSERT_TRUE(s.recovery());
  EXPECT_NE(s.recovery()->find("CRC mismatch"), std::string::npos) << *s.recovery();
  EXPECT_EQ(s.snapshot(), before);
}

TEST(RegionBondStoreTest, ARegionTooSmallRefusesTheChangeAndKeepsTheState) {
  BondFile one;
  one.bonds = {full_bond(1)};
  std::vector<uint8_t> region(2 * (kSlotHeader + encoded_size(one)));  // room for one bond
  RegionBondStore s(region.data(), region.size(), options());
  ASSERT_TRUE(s.put(full_bond(1)).ok());
  const BondFile before = s.snapshot();
  auto r = s.put(full_bond(2));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, StoreErrorKind::kFull);
  EXPECT_EQ(s.snapshot(), before);
  RegionBondStore again(region.data(), region.size(), options());
  EXPECT_EQ(again.snapshot(), before);
}

TEST(RegionBondStoreTest, MoreBondsThanTheCapacityKeepTheMostRecentlyUsed) {
  auto region = region_for(kCapacity);
  {
    RegionBondStore s(region.data(), region.size(), options());
    for (uint8_t i = 1; i <= 4; ++i) ASSERT_TRUE(s.put(sc_bond(i)).ok());
    ASSERT_TRUE(s.touch(sc_bond(1).peer_identity).ok());
  }
  std::vector<Address> evicted;
  RegionBondStore s(region.data(), region.size(), recording_evictions(2, evicted));
  EXPECT_EQ(s.size(), 2u);
  EXPECT_TRUE(s.find_by_identity(sc_bond(1).peer_identity));
  EXPECT_TRUE(s.find_by_identity(sc_bond(4).peer_identity));
  EXPECT_EQ(evicted.size(), 2u);
}

}  // namespace
}  // namespace sable::store
