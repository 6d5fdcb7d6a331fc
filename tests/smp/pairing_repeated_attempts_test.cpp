// Repeated Attempts as smp::Pairing applies it (Core 5.4 Vol 3 Part H
// 2.3.6, 2.3.5.6.3; attack catalogue row 15): per peer, and across all
// peers when the passkey is static.
#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "smp/pairing.hpp"
#include "smp/pairing_harness.hpp"

namespace sable::smp {
namespace {

using namespace test;  // pairing_harness.hpp

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

// ---------------------------------------------------------------------------
// A static passkey (2.3.5.6.3): guessers that change address every attempt.

constexpr uint32_t kStaticPasskey = 123456;

// A static random address per guess: the per-peer table never sees a repeat.
Address guesser(uint8_t n) {
  return Address{.bytes = {n, 0x22, 0x33, 0x44, 0x55, 0xC7}, .type = AddressType::kRandom};
}

PairingPolicy displaying_peripheral(PasskeySource source) {
  PairingPolicy pp = policy(IoCap::DisplayOnly, kBond | kMitm | kSc);
  pp.passkey_source = source;
  pp.static_passkey = kStaticPasskey;
  return pp;
}

// One pairing from `who` at `at`, typing `typed` (nullopt: the right passkey).
// Returns the peripheral's failure reason, or 0 when it paired.
SmpReason attempt(RepeatedAttempts& attempts, uint8_t who, TimePoint at,
                  PasskeySource source = PasskeySource::kStatic,
                  std::optional<uint32_t> typed = 654321) {
  Link link(policy(IoCap::KeyboardOnly, kBond | kMitm | kSc), displaying_peripheral(source),
            nullptr, &attempts, guesser(who));
  link.now = at;
  link.central_types = typed;
  link.pair();
  if (link.p.failures.empty()) {
    EXPECT_TRUE(link.p.result.has_value());
    return SmpReason(0);
  }
  return link.p.failures[0].reason;
}

TEST(PairingRepeatedAttemptsTest, StaticPasskeyFiveGuessersThenTheSixthIsRefused) {
  RepeatedAttempts attempts;
  TimePoint t = kStart;
  for (uint8_t i = 0; i < 5; ++i) {
    t = kStart + Duration(100 * i);
    EXPECT_EQ(attempt(attempts, i, t), SmpReason::kConfirmValueFailed) << int(i);
  }
  // A sixth address: Pairing Failed, Repeated Attempts, byte-exact; the
  // passkey is not shown and the application hears of the refusal.
  Peripheral sixth(displaying_peripheral(PasskeySource::kStatic), &attempts, guesser(5));
  sixth.pairing.on_sdu(t + Duration(1), kScPasskeyRequest);
  EXPECT_EQ(sixth.d.sent, std::vector<Octets>{failed(SmpReason::kRepeatedAttempts)});
  EXPECT_TRUE(sixth.d.displayed.empty());
  ASSERT_EQ(sixth.d.failures.size(), 1u);
  EXPECT_EQ(sixth.d.failures[0].reason, SmpReason::kRepeatedAttempts);
  EXPECT_EQ(sixth.d.failures[0].origin, FailureOrigin::kLocal);
  EXPECT_FALSE(sixth.pairing.in_progress());
  // The wait (2 s) expires; the next failure doubles it (4 s).
  EXPECT_EQ(attempt(attempts, 6, t + Duration(1999)), SmpReason::kRepeatedAttempts);
  t += Duration(2000);
  EXPECT_EQ(attempt(attempts, 7, t), SmpReason::kConfirmValueFailed);
  EXPECT_EQ(attempt(attempts, 8, t + Duration(3999)), SmpReason::kRepeatedAttempts);
  t += Duration(4000);
  EXPECT_EQ(attempt(attempts, 9, t), SmpReason::kConfirmValueFailed);
  EXPECT_EQ(attempt(attempts, 10, t + Duration(7999)), SmpReason::kRepeatedAttempts);
  // Once it has expired, the user who knows the passkey pairs.
  EXPECT_EQ(attempt(attempts, 11, t + Duration(8000), PasskeySource::kStatic, std::nullopt),
            SmpReason(0));
}

TEST(PairingRepeatedAttemptsTest, RandomPasskeyGuessersDoNotBlockOthers) {
  // A new passkey per pairing: a failure tells nothing about the next one,
  // so only the failing address waits (2.3.6).
  RepeatedAttempts attempts;
  for (uint8_t i = 0; i < 5; ++i) {
    EXPECT_EQ(attempt(attempts, i, kStart + Duration(i), PasskeySource::kRandom),
              SmpReason::kConfirmValueFailed);
  }
  Peripheral sixth(displaying_peripheral(PasskeySource::kRandom), &attempts, guesser(5));
  sixth.pairing.on_sdu(kStart + Duration(10), kScPasskeyRequest);
  ASSERT_EQ(sixth.d.sent.size(), 1u);
  EXPECT_EQ(sixth.d.sent[0][0], 0x02);  // Pairing Response
  EXPECT_EQ(attempt(attempts, 0, kStart + Duration(10), PasskeySource::kRandom),
            SmpReason::kRepeatedAttempts);
}

}  // namespace
}  // namespace sable::smp
