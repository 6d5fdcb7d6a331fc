// smp::Pairing built without LE legacy pairing (SABLE_LEGACY_PAIRING=OFF):
// a Secure Connections Only device (Core 5.4 Vol 3 Part H 2.3.5.1; Vol 3
// Part C 10.2.4) whatever its PairingPolicy says. A peer without SC is
// refused with Pairing Failed, Authentication Requirements (0x03, 3.5.5);
// SC pairing works as in the full build.
#include <gtest/gtest.h>

#include <vector>

#include "smp/pairing.hpp"
#include "smp/pairing_harness.hpp"

namespace sable::smp {
namespace {

using namespace test;  // pairing_harness.hpp

// What an application asks for when it would accept legacy pairing.
PairingPolicy legacy_policy(IoCap io) {
  return policy(io, kBond | kMitm, /*sc_only=*/false);
}

TEST(ScOnlyBuildTest, LegacyIsNotLinked) {
  EXPECT_FALSE(legacy_pairing_linked());
}

TEST(ScOnlyBuildTest, LegacyPairingRequestIsRefusedWithAuthenticationRequirements) {
  Peripheral per(legacy_policy(IoCap::DisplayOnly));
  Octets req = kScPasskeyRequest;
  req[3] = 0x05;  // AuthReq: Bonding | MITM, no SC
  per.pairing.on_sdu(kStart, req);
  EXPECT_EQ(per.d.sent, std::vector<Octets>{failed(SmpReason::kAuthenticationRequirements)});
  ASSERT_EQ(per.d.failures.size(), 1u);
  EXPECT_EQ(per.d.failures[0].reason, SmpReason::kAuthenticationRequirements);
  EXPECT_EQ(per.d.failures[0].origin, FailureOrigin::kLocal);
  EXPECT_TRUE(per.d.displayed.empty());
  EXPECT_FALSE(per.pairing.in_progress());
}

TEST(ScOnlyBuildTest, OurFeaturesAlwaysClaimSecureConnections) {
  Peripheral per(legacy_policy(IoCap::DisplayOnly));
  per.pairing.on_sdu(kStart, kScPasskeyRequest);
  ASSERT_FALSE(per.d.sent.empty());
  const Octets& response = per.d.sent[0];
  ASSERT_EQ(response.size(), 7u);
  EXPECT_EQ(response[0], 0x02);         // Pairing Response
  EXPECT_EQ(response[3] & 0x08, 0x08);  // AuthReq SC
  EXPECT_STREQ(per.pairing.phase_name(), "ScPublicKeyExchange");
}

TEST(ScOnlyBuildTest, CentralRefusesLegacyResponse) {
  PairingPolicy pp = legacy_policy(IoCap::KeyboardDisplay);
  pp.oob = OobData{};  // legacy OOB: never offered without legacy pairing
  Recorder d;
  TestRandom rng(3);
  Pairing central(Role::kInitiator, pp, d, rng,
                  LocalDevice{central_address(), central_address(), {}}, test::peripheral_rpa());
  central.initiate(kStart);
  ASSERT_EQ(d.sent.size(), 1u);
  // Bonding | MITM | SC, no OOB data.
  EXPECT_EQ(d.sent[0], (Octets{0x01, 0x04, 0x00, 0x0D, 0x10, 0x03, 0x03}));
  central.on_sdu(kStart, Octets{0x02, 0x00, 0x00, 0x05, 0x10, 0x03, 0x03});  // no SC
  EXPECT_EQ(d.last_sent(), failed(SmpReason::kAuthenticationRequirements));
  ASSERT_EQ(d.failures.size(), 1u);
  EXPECT_EQ(d.failures[0].reason, SmpReason::kAuthenticationRequirements);
}

TEST(ScOnlyBuildTest, SecureConnectionsPairingStillWorks) {
  Link link(policy(IoCap::KeyboardOnly, kBond | kMitm | kSc),
            policy(IoCap::DisplayOnly, kBond | kMitm | kSc));
  link.pair();
  ASSERT_TRUE(link.c.result && link.p.result);
  EXPECT_TRUE(link.p.result->secure_connections);
  EXPECT_TRUE(link.p.result->authenticated);
  EXPECT_EQ(link.c.result->ltk->key, link.p.result->ltk->key);
}

}  // namespace
}  // namespace sable::smp
