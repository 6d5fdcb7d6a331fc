// LE Extended Advertising Report walking and reassembly (src/gap/extended_report),
// against Core 5.4 Vol 4 Part E 7.7.65.13.
#include "gap/extended_report.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace sable::gap {
namespace {

using Packet = std::vector<uint8_t>;

// One report: event type, public address 11..16, 1M/2M, SID, no Tx power,
// RSSI -40, no periodic interval, no direct address, data.
Packet report(uint16_t event_type, uint8_t sid, const Packet& data, uint8_t last = 0x16) {
  Packet p{uint8_t(event_type),
           uint8_t(event_type >> 8),
           0x00,
           0x11,
           0x12,
           0x13,
           0x14,
           0x15,
           last,
           0x01,
           0x02,
           sid,
           0x7F,
           uint8_t(-40),
           0x00,
           0x00,
           0x00,
           0,
           0,
           0,
           0,
           0,
           0,
           uint8_t(data.size())};
  p.insert(p.end(), data.begin(), data.end());
  return p;
}
Packet event(std::initializer_list<Packet> reports) {
  Packet p{uint8_t(reports.size())};
  for (const auto& r : reports) p.insert(p.end(), r.begin(), r.end());
  return p;
}
Packet pattern(size_t n, uint8_t start = 0) {
  Packet p(n);
  for (size_t i = 0; i < n; ++i) p[i] = uint8_t(start + i);
  return p;
}

struct Seen {
  std::vector<ExtendedReport> reports;
  std::vector<Packet> data;
  std::vector<AssembledAdvertisement> assembled;
};

bool walk(const Packet& params, Seen& seen) {
  return for_each_extended_report(
      params,
      [](void* c, const ExtendedReport& r) {
        auto& s = *static_cast<Seen*>(c);
        s.reports.push_back(r);
        s.data.emplace_back(r.data.begin(), r.data.end());
      },
      &seen);
}

TEST(ExtendedReport, EveryFieldOfTwoReports) {
  Seen seen;
  ASSERT_TRUE(
      walk(event({report(0x0001, 5, {0x02, 0x01, 0x06}), report(0x001B, 0xFF, {}, 0x17)}), seen));
  ASSERT_EQ(seen.reports.size(), 2u);
  const ExtendedReport& r = seen.reports[0];
  EXPECT_EQ(r.event_type, 0x0001);
  EXPECT_TRUE(r.connectable());
  EXPECT_FALSE(r.legacy());
  EXPECT_EQ(r.status(), DataStatus::kComplete);
  EXPECT_EQ(r.address, (Address{{0x11, 0x12, 0x13, 0x14, 0x15, 0x16}, AddressType::kPublic}));
  EXPECT_EQ(r.primary_phy, 1);
  EXPECT_EQ(r.secondary_phy, 2);
  EXPECT_EQ(r.sid, 5);
  EXPECT_EQ(r.tx_power, 127);
  EXPECT_EQ(r.rssi, -40);
  EXPECT_EQ(seen.data[0], Packet({0x02, 0x01, 0x06}));
  EXPECT_TRUE(seen.reports[1].scan_response());
  EXPECT_TRUE(seen.reports[1].legacy());
  EXPECT_EQ(seen.reports[1].address.bytes[5], 0x17);
}

TEST(ExtendedReport, MalformedEventsAreRefusedWhole) {
  const Packet good = report(0x0001, 1, pattern(10));
  Seen seen;
  EXPECT_FALSE(walk({}, seen));
  EXPECT_FALSE(walk({0x00}, seen));  // no reports
  Packet two = event({good});
  two[0] = 2;  // says two, carries one
  EXPECT_FALSE(walk(two, seen));
  Packet lying = event({good});
  lying.back() = 0;  // drop a byte of data: Data_Length now runs past the end
  lying.pop_back();
  EXPECT_FALSE(walk(lying, seen));
  Packet trailing = event({good});
  trailing.push_back(0xAA);
  EXPECT_FALSE(walk(trailing, seen));
  EXPECT_FALSE(walk(event({good, report(0x0060, 1, {})}), seen));  // reserved Data_Status 0b11
  EXPECT_TRUE(seen.reports.empty());  // nothing of a bad event was delivered
}

class Assembler : public ::testing::Test {
 protected:
  Seen seen;
  ExtendedReportAssembler assembler{[](void* c, const AssembledAdvertisement& a) {
                                      auto& s = *static_cast<Seen*>(c);
                                      s.assembled.push_back(a);
                                      s.data.emplace_back(a.report.data.begin(),
                                                          a.report.data.end());
                                    },
                                    &seen};
  void feed(const Packet& params) {
    ASSERT_TRUE(for_each_extended_report(
        params,
        [](void* c, const ExtendedReport& r) { static_cast<ExtendedReportAssembler*>(c)->add(r); },
        &assembler));
  }
};

TEST_F(Assembler, FragmentsBecomeOneAdvertisement) {
  const Packet all = pattern(300);
  feed(event({report(0x0021, 5, Packet(all.begin(), all.begin() + 229))}));
  EXPECT_TRUE(seen.assembled.empty());
  feed(event({report(0x0001, 5, Packet(all.begin() + 229, all.end()))}));
  ASSERT_EQ(seen.assembled.size(), 1u);
  EXPECT_FALSE(seen.assembled[0].truncated);
  EXPECT_EQ(seen.data[0], all);
  EXPECT_EQ(seen.assembled[0].report.sid, 5);
}

TEST_F(Assembler, TwoAdvertisersInterleavedStayApart) {
  feed(event({report(0x0020, 1, pattern(3, 0x10)), report(0x0020, 1, pattern(3, 0x20), 0x99)}));
  feed(event({report(0x0000, 1, pattern(2, 0x23), 0x99)}));
  feed(event({report(0x0000, 1, pattern(2, 0x13))}));
  ASSERT_EQ(seen.assembled.size(), 2u);
  EXPECT_EQ(seen.data[0], pattern(5, 0x20));
  EXPECT_EQ(seen.data[1], pattern(5, 0x10));
}

TEST_F(Assembler, TruncationByTheControllerIsReported) {
  feed(event({report(0x0020, 2, pattern(100))}));
  feed(event({report(0x0040, 2, pattern(20, 100))}));  // 0b10: truncated, no more
  ASSERT_EQ(seen.assembled.size(), 1u);
  EXPECT_TRUE(seen.assembled[0].truncated);
  EXPECT_EQ(seen.data[0], pattern(120));
}

TEST_F(Assembler, DataPastTheLargestAdvertisementIsCutAndMarked) {
  for (int i = 0; i < 8; ++i) feed(event({report(0x0020, 3, pattern(229))}));
  feed(event({report(0x0000, 3, pattern(10))}));
  ASSERT_EQ(seen.assembled.size(), 1u);
  EXPECT_TRUE(seen.assembled[0].truncated);
  EXPECT_EQ(seen.data[0].size(), ExtendedReportAssembler::kMaxData);
}

TEST_F(Assembler, ThirdAdvertiserMidFragmentEvictsTheOldestAsTruncated) {
  feed(event({report(0x0020, 1, pattern(4), 0x01)}));
  feed(event({report(0x0020, 1, pattern(4), 0x02)}));
  feed(event({report(0x0020, 1, pattern(4), 0x03)}));
  ASSERT_EQ(seen.assembled.size(), 1u);
  EXPECT_TRUE(seen.assembled[0].truncated);
  EXPECT_EQ(seen.assembled[0].report.address.bytes[5], 0x01);
  EXPECT_EQ(seen.data[0], pattern(4));
}

TEST_F(Assembler, AnUnfragmentedReportPassesStraightThrough) {
  feed(event({report(0x0013, 0xFF, {0x02, 0x01, 0x06})}));
  ASSERT_EQ(seen.assembled.size(), 1u);
  EXPECT_FALSE(seen.assembled[0].truncated);
  EXPECT_EQ(seen.data[0], Packet({0x02, 0x01, 0x06}));
  assembler.clear();
}

}  // namespace
}  // namespace sable::gap
