// The store's fixed memory: the build's limits (store/limits.hpp), changes
// undone when a commit fails, and no heap allocation after construction.
#include <gtest/gtest.h>

#include <memory>

#include "../../ports/cortex-m4/store/region_bond_store.hpp"
#include "store/bond_store.hpp"
#include "store/file_bond_store.hpp"
#include "store_test_util.hpp"
#include "support/heap/heap_count.hpp"

namespace sable::store {
namespace {

using namespace sable::store::testing;
using sable::testing::heap_allocations;

// Bond number i (0..65535): a distinct public identity.
Bond numbered_bond(size_t i) {
  Bond b = sc_bond(1);
  b.peer_identity.bytes = {uint8_t(i), uint8_t(i >> 8), 0x22, 0x33, 0x44, 0x55};
  return b;
}

std::vector<CccdEntry> cccds_at_handles_1_to(size_t n) {
  std::vector<CccdEntry> out;
  for (size_t i = 1; i <= n; ++i) out.push_back({uint16_t(i), CccdEntry::kNotify});
  return out;
}

Bond bond_with_cccds(uint8_t n, size_t count) {
  Bond b = sc_bond(n);
  b.cccds.assign(cccds_at_handles_1_to(count));
  return b;
}

TEST(CccdListTest, KeepsWhatFitsAndSaysWhenSomethingDidNot) {
  CccdList list;
  EXPECT_TRUE(list.assign(cccds_at_handles_1_to(kMaxCccdsPerBond)));
  EXPECT_EQ(list.size(), kMaxCccdsPerBond);
  EXPECT_FALSE(list.overflowed());
  EXPECT_FALSE(list.set(0xFFF0, CccdEntry::kNotify));  // full: a new handle does not fit
  EXPECT_TRUE(list.overflowed());
  EXPECT_FALSE(list.assign(cccds_at_handles_1_to(kMaxCccdsPerBond + 1)));
  EXPECT_EQ(list.size(), kMaxCccdsPerBond);
  EXPECT_TRUE(list.overflowed());
  Bond b = sc_bond(1);
  b.cccds = list;
  EXPECT_STREQ(invalid_reason(b), "too many CCCDs");
  EXPECT_TRUE(list.assign({}));
  EXPECT_FALSE(list.overflowed());
}

TEST(CccdListTest, PushBackAppendsWhatFitsWithoutMarkingTheListOverflowed) {
  CccdList list;
  for (uint16_t h = 1; h <= kMaxCccdsPerBond; ++h)
    EXPECT_TRUE(list.push_back(CccdEntry{h, CccdEntry::kIndicate}));
  EXPECT_FALSE(list.push_back(CccdEntry{0xFFF0, CccdEntry::kNotify}));  // full: left out
  EXPECT_EQ(list.size(), kMaxCccdsPerBond);
  EXPECT_FALSE(list.overflowed());  // decoding keeps the first ones (codec.hpp)
  EXPECT_EQ(list[0], (CccdEntry{1, CccdEntry::kIndicate}));
  EXPECT_EQ(list[kMaxCccdsPerBond - 1],
            (CccdEntry{uint16_t(kMaxCccdsPerBond), CccdEntry::kIndicate}));
}

TEST(BondLimitsTest, APutWithMoreCccdsThanABondHoldsIsRefused) {
  MemoryBondStore s;
  ASSERT_TRUE(s.put(bond_with_cccds(1, kMaxCccdsPerBond)).ok());
  EXPECT_EQ(s.find_by_identity(sc_bond(1).peer_identity)->cccds.size(), kMaxCccdsPerBond);
  auto r = s.put(bond_with_cccds(2, kMaxCccdsPerBond + 1));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, StoreErrorKind::kInvalidArgument);
  EXPECT_STREQ(r.error().reason, "too many CCCDs");
  EXPECT_FALSE(s.find_by_identity(sc_bond(2).peer_identity));
}

TEST(BondLimitsTest, UpdatesBeyondTheLimitChangeNothing) {
  MemoryBondStore s;
  const Bond full = bond_with_cccds(1, kMaxCccdsPerBond);
  ASSERT_TRUE(s.put(full).ok());
  const auto more = cccds_at_handles_1_to(kMaxCccdsPerBond + 1);
  auto r = s.update_cccds(full.peer_identity, more);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, StoreErrorKind::kInvalidArgument);
  r = s.set_cccd(full.peer_identity, 0xFFF0, CccdEntry::kIndicate);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, StoreErrorKind::kInvalidArgument);
  EXPECT_EQ(s.find_by_identity(full.peer_identity)->cccds, full.cccds);
  // Changing a value the bond already has still fits.
  ASSERT_TRUE(s.set_cccd(full.peer_identity, 1, CccdEntry::kIndicate).ok());
  EXPECT_EQ(s.find_by_identity(full.peer_identity)->cccd(1), CccdEntry::kIndicate);
}

TEST(BondLimitsTest, CapacityIsClampedToTheBuildLimit) {
  StoreOptions o;
  o.capacity = kMaxBonds + 10;
  auto s = std::make_unique<MemoryBondStore>(o);
  EXPECT_EQ(s->capacity(), kMaxBonds);
}

TEST(BondLimitsTest, AStoreFilledToTheBuildLimitEvictsOrRefuses) {
  for (bool evict : {true, false}) {
    std::vector<Address> evicted;
    StoreOptions o = recording_evictions(kMaxBonds, evicted);
    o.evict_when_full = evict;
    auto s = std::make_unique<MemoryBondStore>(o);
    for (size_t i = 0; i < kMaxBonds; ++i) ASSERT_TRUE(s->put(numbered_bond(i)).ok()) << i;
    ASSERT_TRUE(s->touch(numbered_bond(0).peer_identity).ok());  // bond 1 is now the oldest
    auto r = s->put(numbered_bond(kMaxBonds));
    EXPECT_EQ(s->size(), kMaxBonds);
    EXPECT_TRUE(s->find_by_identity(numbered_bond(0).peer_identity));
    if (evict) {
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(evicted, std::vector<Address>{numbered_bond(1).peer_identity});
      EXPECT_FALSE(s->find_by_identity(numbered_bond(1).peer_identity));
      EXPECT_TRUE(s->find_by_identity(numbered_bond(kMaxBonds).peer_identity));
    } else {
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.error().kind, StoreErrorKind::kFull);
      EXPECT_TRUE(evicted.empty());
      EXPECT_TRUE(s->find_by_identity(numbered_bond(1).peer_identity));
      EXPECT_FALSE(s->find_by_identity(numbered_bond(kMaxBonds).peer_identity));
    }
  }
}

// A record written with one CCCD more than this build keeps (a bigger build,
// or an older one with the format's limit): the bond loads with the first ones.
TEST(BondLimitsTest, ARecordWithMoreCccdsThanABondHoldsLoadsWithTheFirstOnes) {
  BondFile f;
  f.bonds = {bond_with_cccds(1, kMaxCccdsPerBond)};
  std::vector<uint8_t> d = encode(f).value();
  // Append one CCCD: handle kMaxCccdsPerBond + 1, notify; fix the lengths and the CRC.
  const size_t payload_at = kHeaderSize + 2 + 3;
  const size_t count_at = d.size() - kTrailerSize - 4 * kMaxCccdsPerBond - 2;
  const uint16_t extra = uint16_t(kMaxCccdsPerBond + 1);
  d.insert(d.end() - kTrailerSize, {uint8_t(extra), uint8_t(extra >> 8), 0x01, 0x00});
  put_le16(&d[count_at], uint16_t(kMaxCccdsPerBond + 1));
  put_le16(&d[payload_at - 2], uint16_t(get_le16(&d[payload_at - 2]) + 4));
  put_le32(&d[12], get_le32(&d[12]) + 4);
  put_le32(&d[d.size() - 4], crc32(Bytes(d.data(), d.size() - 4)));

  auto back = decode(d);
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  ASSERT_EQ(back->bonds.size(), 1u);
  EXPECT_EQ(back->bonds[0].cccds, f.bonds[0].cccds);
  EXPECT_FALSE(back->bonds[0].cccds.overflowed());
  // Out of order among the extra ones is still corrupt.
  put_le16(&d[d.size() - kTrailerSize - 4], 1);
  put_le32(&d[d.size() - 4], crc32(Bytes(d.data(), d.size() - 4)));
  EXPECT_EQ(decode(d).error().kind, StoreErrorKind::kCorrupt);
}

// A store whose commit fails on demand, as a full disk or flash would.
class RefusingStore : public MemoryBondStore {
 public:
  using MemoryBondStore::MemoryBondStore;
  bool refuse = false;

 protected:
  Result<void, StoreError> commit(const BondFileView&) override {
    if (!refuse) return {};
    StoreError e;
    e.kind = StoreErrorKind::kIo;
    e.reason = "refused";
    return fail(e);
  }
};

TEST(MemoryBondStoreTest, AFailedCommitUndoesEveryKindOfChange) {
  std::vector<Address> evicted;
  RefusingStore s(recording_evictions(3, evicted));
  ASSERT_TRUE(s.put(full_bond(1)).ok());
  ASSERT_TRUE(s.put(sc_bond(2)).ok());
  ASSERT_TRUE(s.set_local_identity(LocalIdentity{key_of(1)}).ok());
  const BondFile before = s.snapshot();

  s.refuse = true;
  Bond replaced = full_bond(1);
  replaced.ltk->key = key_of(50);
  const CccdEntry one[] = {{0x40, CccdEntry::kNotify}};
  EXPECT_EQ(s.put(sc_bond(3)).error().kind, StoreErrorKind::kIo);  // a new bond, room left
  EXPECT_EQ(s.put(replaced).error().kind, StoreErrorKind::kIo);
  EXPECT_EQ(s.touch(sc_bond(2).peer_identity).error().kind, StoreErrorKind::kIo);
  EXPECT_EQ(s.update_cccds(full_bond(1).peer_identity, one).error().kind, StoreErrorKind::kIo);
  EXPECT_EQ(s.set_cccd(full_bond(1).peer_identity, 0x0003, 0).error().kind, StoreErrorKind::kIo);
  EXPECT_EQ(s.remove(full_bond(1).peer_identity).error().kind, StoreErrorKind::kIo);
  EXPECT_EQ(s.clear().error().kind, StoreErrorKind::kIo);
  EXPECT_EQ(s.set_local_identity(LocalIdentity{key_of(2)}).error().kind, StoreErrorKind::kIo);
  EXPECT_EQ(s.snapshot(), before);

  s.refuse = false;
  ASSERT_TRUE(s.put(sc_bond(3)).ok());
  s.refuse = true;
  EXPECT_EQ(s.put(sc_bond(4)).error().kind, StoreErrorKind::kIo);  // would evict bond 1
  EXPECT_TRUE(evicted.empty());
  EXPECT_TRUE(s.find_by_identity(full_bond(1).peer_identity));
  EXPECT_FALSE(s.find_by_identity(sc_bond(4).peer_identity));
  // The use counter was rolled back too: the next use follows the last one kept.
  s.refuse = false;
  ASSERT_TRUE(s.put(sc_bond(4)).ok());
  EXPECT_EQ(s.find_by_identity(sc_bond(4).peer_identity)->last_used,
            s.find_by_identity(sc_bond(3).peer_identity)->last_used + 1);
  EXPECT_EQ(evicted, std::vector<Address>{full_bond(1).peer_identity});
}

// Everything the host does with its store from connect to reconnect, plus
// eviction and deletion; ok is false if any step failed.
void run_the_host_operations(BondStore& s, const std::array<Bond, 6>& bonds, bool& ok) {
  ok = true;
  for (const Bond& b : bonds) ok &= s.put(b).ok();  // more than the capacity: evicts
  const Address& id = bonds[5].peer_identity;
  ok &= s.touch(id).ok();
  const CccdEntry cccds[] = {{0x0010, CccdEntry::kNotify}, {0x0020, CccdEntry::kIndicate}};
  ok &= s.update_cccds(id, cccds).ok();
  ok &= s.set_cccd(id, 0x0030, CccdEntry::kNotify).ok();
  ok &= s.find_by_identity(id).has_value();
  std::array<uint8_t, 6> rpa = {0, 0, 0, (*bonds[5].peer_irk)[0], 0, 0x40};
  ok &= s.find_by_rpa(rpa, [](const Key128& irk, const std::array<uint8_t, 6>& a) {
           return irk[0] == a[3];
         }).has_value();
  size_t visited = 0;
  s.for_each([&](const Bond&) { ++visited; });
  ok &= visited == s.size();
  ok &= s.set_local_identity(LocalIdentity{key_of(7)}).ok();
  ok &= s.remove(id).ok();
  ok &= s.put(bonds[5]).ok();
  ok &= s.clear().ok();
}

std::array<Bond, 6> six_bonds() {
  return {full_bond(1), full_bond(2), sc_bond(3), sc_bond(4), full_bond(5), sc_bond(6)};
}

StoreOptions four_bonds() {
  StoreOptions o;
  o.capacity = 4;
  return o;
}

// Where the test's allocation escapes to: clang may otherwise remove a
// new/delete pair whose pointer nobody sees ([expr.new] allows it).
int* volatile g_escaped = nullptr;

TEST(NoHeapTest, TheCounterCounts) {
  const uint64_t before = heap_allocations();
  auto p = std::make_unique<int>(1);
  g_escaped = p.get();
  EXPECT_EQ(heap_allocations() - before, 1u);
}

// Runs the host's operations on s and requires that they allocate nothing.
void expect_no_allocations(BondStore& s) {
  const auto bonds = six_bonds();
  bool ok = false;
  const uint64_t before = heap_allocations();
  run_the_host_operations(s, bonds, ok);
  const uint64_t allocations = heap_allocations() - before;
  EXPECT_TRUE(ok);
  EXPECT_EQ(allocations, 0u);
}

TEST(NoHeapTest, MemoryBondStoreAllocatesNothingAfterConstruction) {
  MemoryBondStore s(four_bonds());
  expect_no_allocations(s);
}

TEST(NoHeapTest, RegionBondStoreAllocatesNothingAfterConstruction) {
  std::vector<uint8_t> region(2 * (8 + max_encoded_size(4)));
  port::RegionBondStore s(region.data(), region.size(), four_bonds());
  expect_no_allocations(s);
}

TEST(NoHeapTest, FileBondStoreAllocatesNothingAfterOpen) {
  ScratchDir dir;
  auto opened = FileBondStore::open(dir.file("bonds"), four_bonds());
  ASSERT_TRUE(opened.ok());
  expect_no_allocations(*opened.value());
}

}  // namespace
}  // namespace sable::store
