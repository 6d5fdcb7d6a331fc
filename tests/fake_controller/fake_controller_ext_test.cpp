// The fake controller's Bluetooth 5 commands (fake_controller_ext.cpp): PHY
// update and extended advertising, scanning and connecting, checked byte for
// byte against Core 5.4 Vol 4 Part E, and how they meet legacy advertising.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "fake_controller/fake_air_fixture.hpp"

namespace sable::testing {
namespace {

// 7.8.53: handle, properties, intervals 0x000800, all channels, own address
// type, public peer 00.., no filter, no Tx power preference, primary 1M,
// skip 0, secondary PHY, SID, no scan request notification.
Packet ext_params(uint8_t handle, uint16_t props, uint8_t sid, uint8_t own = 0x00,
                  uint8_t secondary = 0x01) {
  Packet p{handle};
  append16(p, props);
  p.insert(p.end(), {0x00, 0x08, 0x00, 0x00, 0x08, 0x00, 0x07, own, 0x00});
  p.insert(p.end(), 6, 0x00);
  p.insert(p.end(), {0x00, 0x7F, 0x01, 0x00, secondary, sid, 0x00});
  return p;
}
// 7.8.54 / 7.8.55: handle, operation, fragment preference, length, data.
Packet ext_data(uint8_t handle, uint8_t operation, const Packet& data) {
  Packet p{handle, operation, 0x01, uint8_t(data.size())};
  p.insert(p.end(), data.begin(), data.end());
  return p;
}
// 7.8.66 on 1M: no filter, own public, peer, 1M, scan 0x0060/0x0030,
// interval 24..40, latency 0, timeout 72, CE 0.
Packet ext_create(const Address& peer) {
  Packet p{0x00, 0x00, uint8_t(peer.is_random() ? 1 : 0)};
  append_addr(p, peer);
  p.push_back(0x01);
  for (uint16_t v : {0x60, 0x30, 24, 40, 0, 72, 0, 0}) append16(p, uint16_t(v));
  return p;
}
Packet pattern(size_t n) {
  Packet p(n);
  for (size_t i = 0; i < n; ++i) p[i] = uint8_t(i);
  return p;
}

class FakeAirExtTest : public FakeAirTest {
 protected:
  // Bring-up with every LE event unmasked (Enhanced Connection Complete,
  // PHY Update Complete, Extended Advertising Report, Advertising Set Terminated).
  void bring_up5(FakeController& ctl) {
    ctl.set_phy_supported(true, true);
    ctl.set_extended_advertising_supported(true);
    bring_up(ctl);
    exec(ctl, op::kLeSetEventMask, {0xFF, 0xFF, 0x07, 0, 0, 0, 0, 0});
  }
  void ok(FakeController& ctl, uint16_t opcode, const Packet& params) {
    auto e = exec(ctl, opcode, params);
    ASSERT_FALSE(e.empty());
    EXPECT_EQ(e[0][0], 0x0E) << std::hex << opcode;
    EXPECT_EQ(e[0][5], 0x00) << "status of 0x" << std::hex << opcode;
  }
  uint8_t status(FakeController& ctl, uint16_t opcode, const Packet& params) {
    auto e = exec(ctl, opcode, params);
    if (e.empty()) return 0xFF;
    return e[0][0] == 0x0E ? e[0][5] : e[0][2];
  }
  // Passive extended scanning on 1M; returns the events after the enable.
  std::vector<Packet> scan_extended(FakeController& ctl) {
    ok(ctl, op::kLeSetExtendedScanParameters, {0x00, 0x00, 0x01, 0x00, 0x60, 0x00, 0x30, 0x00});
    return exec(ctl, op::kLeSetExtendedScanEnable, {0x01, 0x00, 0, 0, 0, 0});
  }
  // Extended Advertising Reports in events: {SID, event type, data}.
  struct Report {
    uint8_t sid;
    uint16_t type;
    Packet data;
  };
  static std::vector<Report> reports(const std::vector<Packet>& events) {
    std::vector<Report> out;
    for (const auto& e : events)
      if (e[0] == 0x3E && e[2] == 0x0D)
        out.push_back({e[15], uint16_t(e[4] | (e[5] << 8)), Packet(e.begin() + 28, e.end())});
    return out;
  }
};

TEST_F(FakeAirExtTest, WithoutTheFeaturesTheCommandsAreUnknown) {
  bring_up(a);
  EXPECT_EQ(exec(a, op::kLeSetExtendedAdvertisingParameters, ext_params(0, 0x13, 0)),
            std::vector<Packet>{cc(op::kLeSetExtendedAdvertisingParameters, {0x01})});
  EXPECT_EQ(exec(a, op::kLeSetDefaultPhy, {0x00, 0x03, 0x03}),
            std::vector<Packet>{cc(op::kLeSetDefaultPhy, {0x01})});
  // LE features: no 2M, Coded or Extended Advertising bits.
  auto f = exec(a, op::kLeReadLocalSupportedFeatures);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0][7] & 0x19, 0);
}

TEST_F(FakeAirExtTest, FeatureBitsAndSupportedCommands) {
  bring_up5(a);
  auto f = exec(a, op::kLeReadLocalSupportedFeatures);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0][7] & 0x19, 0x19);  // bits 8, 11, 12
  auto c = exec(a, op::kReadLocalSupportedCommands);
  ASSERT_EQ(c.size(), 1u);
  // 6.27: octet 35 bits 4-6 (PHY), octet 36 bits 1-7 and 37 bits 0-1, 5-7.
  EXPECT_EQ(c[0][6 + 35] & 0x70, 0x70);
  EXPECT_EQ(c[0][6 + 36] & 0xFE, 0xFE);
  EXPECT_EQ(c[0][6 + 37] & 0xE3, 0xE3);
  EXPECT_EQ(exec(a, op::kLeReadMaximumAdvertisingDataLength),
            std::vector<Packet>{cc(op::kLeReadMaximumAdvertisingDataLength, {0x00, 0x72, 0x06})});
  EXPECT_EQ(exec(a, op::kLeReadNumberOfSupportedAdvertisingSets),
            std::vector<Packet>{cc(op::kLeReadNumberOfSupportedAdvertisingSets, {0x00, 0x04})});
}

// Two sets at once; 300 octets set in two fragments arrive in two reports
// (229 + 71, the first marked incomplete), each with its set's SID.
TEST_F(FakeAirExtTest, TwoSetsAndLongDataReachAnExtendedScanner) {
  bring_up5(a);
  bring_up5(b);
  const Packet data = pattern(300);
  ok(a, op::kLeSetExtendedAdvertisingParameters, ext_params(0, 0x0001, 5, 0x00, 0x02));
  ok(a, op::kLeSetExtendedAdvertisingData,
     ext_data(0, 0x01, Packet(data.begin(), data.begin() + 200)));
  ok(a, op::kLeSetExtendedAdvertisingData,
     ext_data(0, 0x02, Packet(data.begin() + 200, data.end())));
  ok(a, op::kLeSetExtendedAdvertisingParameters, ext_params(1, 0x0000, 6));
  ok(a, op::kLeSetExtendedAdvertisingData, ext_data(1, 0x03, pattern(40)));
  ok(a, op::kLeSetExtendedAdvertisingEnable, {0x01, 0x02, 0, 0, 0, 0, 1, 0, 0, 0});
  auto r = reports(scan_extended(b));
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].sid, 5);
  EXPECT_EQ(r[0].type, 0x0021);  // connectable, incomplete: more to come
  EXPECT_EQ(r[0].data, Packet(data.begin(), data.begin() + 229));
  EXPECT_EQ(r[1].sid, 5);
  EXPECT_EQ(r[1].type, 0x0001);
  EXPECT_EQ(r[1].data, Packet(data.begin() + 229, data.end()));
  EXPECT_EQ(r[2].sid, 6);
  EXPECT_EQ(r[2].type, 0x0000);
  EXPECT_EQ(r[2].data, pattern(40));
  expect_no_violations();
}

// A legacy scanner hears a set that uses legacy PDUs, not an extended one;
// an extended scanner hears legacy advertising as legacy-PDU reports.
TEST_F(FakeAirExtTest, LegacyAndExtendedMeetAsOnTheAir) {
  bring_up5(a);
  bring_up(b);
  bring_up5(c);
  ok(a, op::kLeSetExtendedAdvertisingParameters, ext_params(0, 0x13, 0));
  ok(a, op::kLeSetExtendedAdvertisingData, ext_data(0, 0x03, {0x02, 0x01, 0x06}));
  ok(a, op::kLeSetExtendedAdvertisingParameters, ext_params(1, 0x0000, 7));
  ok(a, op::kLeSetExtendedAdvertisingData, ext_data(1, 0x03, pattern(40)));
  ok(a, op::kLeSetExtendedAdvertisingEnable, {0x01, 0x02, 0, 0, 0, 0, 1, 0, 0, 0});
  ok(b, op::kLeSetScanParameters, {0x00, 0x60, 0x00, 0x30, 0x00, 0x00, 0x00});
  auto legacy = exec(b, op::kLeSetScanEnable, {0x01, 0x00});
  ASSERT_EQ(legacy.size(), 2u);
  EXPECT_EQ(legacy[1], le(0x02, cat({{0x01, 0x00, 0x00},
                                     {0xA1, 0x00, 0x00, 0xAA, 0xBB, 0xCC},
                                     {0x03, 0x02, 0x01, 0x06, uint8_t(-50)}})));
  // c scans extended while b advertises with the legacy commands.
  ok(b, op::kLeSetScanEnable, {0x00, 0x00});
  advertise(b);
  auto r = reports(scan_extended(c));
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].type, 0x0013);  // a's legacy ADV_IND set
  EXPECT_EQ(r[0].sid, 0xFF);
  EXPECT_EQ(r[1].sid, 7);
  EXPECT_EQ(r[2].type, 0x0013);  // b's legacy advertising
  EXPECT_EQ(r[2].data, Packet({0x02, 0x01, 0x06}));
  expect_no_violations();
}

// Extended Create Connection ends only the set that accepted the link, after
// the Enhanced Connection Complete; the beacon set advertises on.
TEST_F(FakeAirExtTest, AConnectionEndsOnlyItsSet) {
  bring_up5(a);
  bring_up5(b);
  ok(a, op::kLeSetExtendedAdvertisingParameters, ext_params(0, 0x0001, 1));
  ok(a, op::kLeSetExtendedAdvertisingParameters, ext_params(1, 0x0000, 2));
  ok(a, op::kLeSetExtendedAdvertisingEnable, {0x01, 0x02, 0, 0, 0, 0, 1, 0, 0, 0});
  send(b, op::kLeExtendedCreateConnection, ext_create(a.address()));
  air.run_until_idle();
  auto be = events(b);
  ASSERT_EQ(be.size(), 2u);
  EXPECT_EQ(be[0], cs(op::kLeExtendedCreateConnection, 0x00));
  EXPECT_EQ(be[1][2], 0x0A);  // Enhanced Connection Complete
  EXPECT_EQ(be[1][3], 0x00);
  auto ae = events(a);
  ASSERT_EQ(ae.size(), 2u);
  EXPECT_EQ(ae[0][2], 0x0A);
  const uint16_t handle = uint16_t(ae[0][4] | (ae[0][5] << 8));
  EXPECT_EQ(ae[1], le(0x12, cat({{0x00, 0x00}, h16(handle), {0x01}})));
  ASSERT_EQ(a.advertising_sets().size(), 2u);
  EXPECT_FALSE(a.advertising_sets()[0].enabled);
  EXPECT_TRUE(a.advertising_sets()[1].enabled);
  expect_no_violations();
}

TEST_F(FakeAirExtTest, SetPhyPicksTwoMegabitWhenBothSupportIt) {
  bring_up5(a);
  bring_up5(b);
  c.set_phy_supported(false, false);
  c.set_extended_advertising_supported(true);
  bring_up(c);
  exec(c, op::kLeSetEventMask, {0xFF, 0xFF, 0x07, 0, 0, 0, 0, 0});
  ok(a, op::kLeSetExtendedAdvertisingParameters, ext_params(0, 0x0001, 1));
  ok(a, op::kLeSetExtendedAdvertisingEnable, {0x01, 0x01, 0, 0, 0, 0});
  send(b, op::kLeExtendedCreateConnection, ext_create(a.address()));
  air.run_until_idle();
  const uint16_t bh = b.connection_handles().at(0), ah = a.connection_handles().at(0);
  events(a);
  events(b);
  auto e = exec(b, op::kLeSetPhy, cat({h16(bh), {0x00, 0x02, 0x02, 0x00, 0x00}}));
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0], cs(op::kLeSetPhy, 0x00));
  EXPECT_EQ(e[1], le(0x0C, cat({{0x00}, h16(bh), {0x02, 0x02}})));
  EXPECT_EQ(events(a), std::vector<Packet>{le(0x0C, cat({{0x00}, h16(ah), {0x02, 0x02}}))});
  EXPECT_EQ(a.link(ah)->tx_phy, 2);
  EXPECT_EQ(exec(a, op::kLeReadPhy, h16(ah)),
            std::vector<Packet>{cc(op::kLeReadPhy, cat({{0x00}, h16(ah), {0x02, 0x02}}))});
  // A peer without 2M: the PHY stays 1M; only the asking host hears of it.
  ok(a, op::kLeSetExtendedAdvertisingEnable, {0x01, 0x01, 0, 0, 0, 0});
  send(c, op::kLeExtendedCreateConnection, ext_create(a.address()));
  air.run_until_idle();
  events(a);
  events(c);
  const uint16_t ch = c.connection_handles().at(0);
  uint16_t ah2 = 0;
  for (uint16_t h : a.connection_handles())
    if (h != ah) ah2 = h;
  e = exec(a, op::kLeSetPhy, cat({h16(ah2), {0x00, 0x02, 0x02, 0x00, 0x00}}));
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[1], le(0x0C, cat({{0x00}, h16(ah2), {0x01, 0x01}})));
  EXPECT_TRUE(events(c).empty()) << ch;
  // Asking for a PHY this controller lacks as a default: Unsupported Feature.
  EXPECT_EQ(status(c, op::kLeSetDefaultPhy, {0x00, 0x02, 0x02}), 0x01);  // no PHY commands at all
  EXPECT_EQ(status(a, op::kLeSetDefaultPhy, {0x00, 0x08, 0x02}), 0x12);
  expect_no_violations();
}

TEST_F(FakeAirExtTest, BadDataOperationsAreRefused) {
  bring_up5(a);
  ok(a, op::kLeSetExtendedAdvertisingParameters, ext_params(0, 0x13, 0));
  // Legacy PDUs: at most 31 octets, in one complete operation.
  EXPECT_EQ(status(a, op::kLeSetExtendedAdvertisingData, ext_data(0, 0x03, pattern(32))), 0x12);
  EXPECT_EQ(status(a, op::kLeSetExtendedAdvertisingData, ext_data(0, 0x01, pattern(10))), 0x12);
  // Unknown set; a set over 1650 octets; a lying length field.
  EXPECT_EQ(status(a, op::kLeSetExtendedAdvertisingData, ext_data(9, 0x03, pattern(10))), 0x42);
  ok(a, op::kLeSetExtendedAdvertisingParameters, ext_params(1, 0x0000, 1));
  ok(a, op::kLeSetExtendedAdvertisingData, ext_data(1, 0x01, pattern(251)));
  for (int i = 0; i < 5; ++i)
    ok(a, op::kLeSetExtendedAdvertisingData, ext_data(1, 0x00, pattern(251)));
  EXPECT_EQ(status(a, op::kLeSetExtendedAdvertisingData, ext_data(1, 0x02, pattern(200))), 0x07);
  Packet lying = ext_data(1, 0x03, pattern(10));
  lying[3] = 20;
  EXPECT_EQ(status(a, op::kLeSetExtendedAdvertisingData, lying), 0x12);
  // An enabled set takes complete data only; it cannot be removed.
  ok(a, op::kLeSetExtendedAdvertisingData, ext_data(1, 0x03, pattern(10)));
  ok(a, op::kLeSetExtendedAdvertisingEnable, {0x01, 0x01, 1, 0, 0, 0});
  EXPECT_EQ(status(a, op::kLeSetExtendedAdvertisingData, ext_data(1, 0x01, pattern(10))), 0x0C);
  EXPECT_EQ(status(a, op::kLeRemoveAdvertisingSet, {0x01}), 0x0C);
  // Connectable and scannable at once is not an extended type.
  EXPECT_EQ(status(a, op::kLeSetExtendedAdvertisingParameters, ext_params(2, 0x0003, 1)), 0x12);
  expect_no_violations();
}

TEST_F(FakeAirExtTest, DurationEndsTheSetWithAdvertisingTimeout) {
  bring_up5(a);
  ok(a, op::kLeSetExtendedAdvertisingParameters, ext_params(3, 0x0000, 1));
  ok(a, op::kLeSetExtendedAdvertisingEnable, {0x01, 0x01, 3, 100, 0, 0});  // 1 s
  air.advance(Duration(999));
  air.run_until_idle();
  EXPECT_TRUE(events(a).empty());
  air.advance(Duration(1));
  air.run_until_idle();
  EXPECT_EQ(events(a), std::vector<Packet>{le(0x12, {0x3C, 0x03, 0x00, 0x00, 0x00})});
  EXPECT_FALSE(a.advertising_sets()[0].enabled);
}

// Core 5.4 Vol 4 Part E 3.1.1: legacy after extended (and the reverse) is
// Command Disallowed, and counted as the host's mistake.
TEST_F(FakeAirExtTest, MixingLegacyAndExtendedAdvertisingIsDisallowed) {
  bring_up5(a);
  ok(a, op::kLeSetExtendedAdvertisingParameters, ext_params(0, 0x13, 0));
  EXPECT_EQ(exec(a, op::kLeSetAdvertisingParameters, adv_params()),
            std::vector<Packet>{cc(op::kLeSetAdvertisingParameters, {0x0C})});
  EXPECT_EQ(a.violations().mixed_advertising, 1u);
  // A reset forgets which kind was used.
  bring_up5(b);
  advertise(b);
  EXPECT_EQ(status(b, op::kLeSetExtendedScanEnable, {0x01, 0x00, 0, 0, 0, 0}), 0x0C);
  EXPECT_EQ(b.violations().mixed_advertising, 1u);
  exec(b, op::kReset);
  ok(b, op::kLeSetExtendedAdvertisingParameters, ext_params(0, 0x13, 0));
  EXPECT_EQ(b.violations().mixed_advertising, 1u);
}

}  // namespace
}  // namespace sable::testing
