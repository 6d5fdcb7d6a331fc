// Repeated Attempts as smp::Pairing applies it (Core 5.4 Vol 3 Part H
// 2.3.6, 2.3.5.6.3; attack catalogue row 15): per peer, and across all
// peers when the passkey is static.
#include <gtest/gtest.h>

#include "smp/pairing.hpp"
#include "smp/pairing_harness.hpp"

namespace sable::smp {
namespace {

using test::central_address;
using test::failed;
using test::kBond;
using test::kMitm;
using test::kSc;
using test::kScPasskeyRequest;
using test::kStart;
using test::Link;
using test::Octets;
using test::Peripheral;
using test::policy;

// ---------------------------------------------------------------------------
// Repeated Attempts (2.3.6, attack #15).

TEST(PairingRepeatedAttemptsTest, BackOffGrowsAfterEachFailure) {
  RepeatedAttempts attempts(
      {.first_wait = Duration(2000), .max_wait = Duration(64000), .decay = Duration(64000)});
  TimePoint t = kStart;
  auto attempt = [&](TimePoint at) {
    Link link(policy(IoCap::KeyboardOnly, kBond | kMitm | kSc),
              policy(IoCap::DisplayOnly, kBond | kMitm | kSc), nullptr, &attempts);
    link.now = at;
    link.central_types = 0;  // guessing
    link.pair();
    return link.c.failures.empty() ? SmpReason(0) : link.c.failures[0].reason;
  };
  EXPECT_EQ(attempt(t), SmpReason::kConfirmValueFailed);
  for (long wait : {2000, 4000, 8000, 16000}) {
    SCOPED_TRACE(wait);
    EXPECT_EQ(attempt(t + Duration(wait - 1)), SmpReason::kRepeatedAttempts);
    EXPECT_EQ(attempt(t + Duration(wait)), SmpReason::kConfirmValueFailed);
    t += Duration(wait);
  }
}

TEST(PairingRepeatedAttemptsTest, RefusalIsByteExactAndSuccessClears) {
  RepeatedAttempts attempts;
  attempts.record_failure(central_address(), kStart);
  {
    Peripheral per(policy(IoCap::DisplayOnly, kBond | kSc), &attempts);
    per.pairing.on_sdu(kStart + Duration(1), kScPasskeyRequest);
    EXPECT_EQ(per.d.sent, std::vector<Octets>{failed(SmpReason::kRepeatedAttempts)});
    EXPECT_TRUE(per.d.displayed.empty());
  }
  Link link(policy(IoCap::NoInputNoOutput, kBond | kSc),
            policy(IoCap::NoInputNoOutput, kBond | kSc), nullptr, &attempts);
  link.now = kStart + Duration(2000);
  link.pair();
  ASSERT_TRUE(link.p.result);
  EXPECT_EQ(attempts.size(), 0u);
}

TEST(PairingRepeatedAttemptsTest, CentralWaitsBeforeRetrying) {
  RepeatedAttempts attempts;
  attempts.record_failure(test::peripheral_rpa(), kStart);
  Link link(policy(IoCap::NoInputNoOutput, kBond | kSc),
            policy(IoCap::NoInputNoOutput, kBond | kSc), &attempts, nullptr);
  link.central->initiate(kStart + Duration(1));
  EXPECT_TRUE(link.c.sent.empty());
  ASSERT_EQ(link.c.failures.size(), 1u);
  EXPECT_EQ(link.c.failures[0].reason, SmpReason::kRepeatedAttempts);
  // A Security Request in the wait is answered with Repeated Attempts too.
  link.central->on_sdu(kStart + Duration(2), Octets{0x0B, 0x0D});
  EXPECT_EQ(link.c.last_sent(), failed(SmpReason::kRepeatedAttempts));
  EXPECT_TRUE(link.c.security_requests.empty());
}

}  // namespace
}  // namespace sable::smp
