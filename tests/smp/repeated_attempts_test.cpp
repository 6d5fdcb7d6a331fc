// Repeated Attempts back-off (Core 5.4 Vol 3 Part H 2.3.6).
#include "smp/repeated_attempts.hpp"

#include <gtest/gtest.h>

#include "support/test_time.hpp"

namespace sable::smp {
namespace {

using sable::testing::at_ms;
using std::chrono::milliseconds;

Address peer(uint8_t last) {
  return Address{.bytes = {1, 2, 3, 4, 5, last}, .type = AddressType::kPublic};
}

TEST(RepeatedAttemptsTest, NoFailureNoWait) {
  RepeatedAttempts ra;
  EXPECT_FALSE(ra.should_refuse(peer(1), at_ms(0)));
  EXPECT_EQ(ra.size(), 0u);
}

TEST(RepeatedAttemptsTest, WaitDoublesUpToTheCap) {
  RepeatedAttempts ra({.first_wait = milliseconds(2000),
                       .max_wait = milliseconds(16000),
                       .decay = milliseconds(60000)});
  TimePoint t = at_ms(1000);
  const long expected_waits[] = {2000, 4000, 8000, 16000, 16000};
  for (long wait : expected_waits) {
    ra.record_failure(peer(1), t);
    EXPECT_TRUE(ra.should_refuse(peer(1), t + milliseconds(wait - 1))) << wait;
    EXPECT_FALSE(ra.should_refuse(peer(1), t + milliseconds(wait))) << wait;
    t += milliseconds(wait);
  }
  // Another device is not affected.
  EXPECT_FALSE(ra.should_refuse(peer(2), t - milliseconds(1)));
}

TEST(RepeatedAttemptsTest, WaitDecaysOverTime) {
  RepeatedAttempts ra({.first_wait = milliseconds(2000),
                       .max_wait = milliseconds(32000),
                       .decay = milliseconds(32000)});
  ra.record_failure(peer(1), at_ms(0));     // 1 failure: wait 2 s
  ra.record_failure(peer(1), at_ms(2000));  // 2: 4 s
  ra.record_failure(peer(1), at_ms(6000));  // 3: 8 s
  // One decay period after the last failure one failure is forgotten, so the
  // next one counts as the 3rd again (8 s), not the 4th (16 s).
  ra.record_failure(peer(1), at_ms(38000));
  EXPECT_TRUE(ra.should_refuse(peer(1), at_ms(45999)));
  EXPECT_FALSE(ra.should_refuse(peer(1), at_ms(46000)));
  // Three quiet periods: forgotten entirely; the next failure waits 2 s.
  EXPECT_EQ(ra.size(), 1u);
  EXPECT_EQ(ra.refused_until(peer(1), at_ms(38000 + 3 * 32000)), at_ms(38000 + 3 * 32000));
  EXPECT_EQ(ra.size(), 0u);
  ra.record_failure(peer(1), at_ms(200000));
  EXPECT_TRUE(ra.should_refuse(peer(1), at_ms(201999)));
  EXPECT_FALSE(ra.should_refuse(peer(1), at_ms(202000)));
}

TEST(RepeatedAttemptsTest, SuccessForgets) {
  RepeatedAttempts ra;
  ra.record_failure(peer(1), at_ms(0));
  ra.record_success(peer(1));
  EXPECT_FALSE(ra.should_refuse(peer(1), at_ms(1)));
  EXPECT_EQ(ra.size(), 0u);
}

TEST(RepeatedAttemptsTest, BoundedTableEvictsLeastRecentlyUsed) {
  RepeatedAttempts ra;
  for (uint8_t i = 0; i < RepeatedAttempts::kCapacity; ++i) {
    ra.record_failure(peer(i), at_ms(i));
  }
  EXPECT_EQ(ra.size(), RepeatedAttempts::kCapacity);
  // Touch peer 0 so that peer 1 is now the least recently used.
  EXPECT_TRUE(ra.should_refuse(peer(0), at_ms(100)));
  ra.record_failure(peer(200), at_ms(101));
  EXPECT_EQ(ra.size(), RepeatedAttempts::kCapacity);
  EXPECT_TRUE(ra.should_refuse(peer(0), at_ms(102)));
  EXPECT_FALSE(ra.should_refuse(peer(1), at_ms(102)));  // evicted
  EXPECT_TRUE(ra.should_refuse(peer(200), at_ms(102)));
}

TEST(RepeatedAttemptsTest, SameBitsSameKindIsSamePeer) {
  RepeatedAttempts ra;
  Address random = peer(0xC1);
  random.type = AddressType::kRandom;
  ra.record_failure(random, at_ms(0));
  Address identity = random;
  identity.type = AddressType::kRandomIdentity;  // as HCI reports a resolved one
  EXPECT_TRUE(ra.should_refuse(identity, at_ms(1)));
  Address public_same_bits = random;
  public_same_bits.type = AddressType::kPublic;
  EXPECT_FALSE(ra.should_refuse(public_same_bits, at_ms(1)));
}

// ---------------------------------------------------------------------------
// The static-passkey throttle across all peers (2.3.5.6.3): a guesser that
// changes its address for every attempt.

constexpr auto kStatic = PasskeyKind::kStatic;

TEST(RepeatedAttemptsTest, FiveStaticPasskeyFailuresFromFiveAddressesBlockEveryone) {
  RepeatedAttempts ra;
  const TimePoint t = at_ms(1000);
  for (uint8_t i = 0; i < 4; ++i) {
    ra.record_failure(peer(i), t + milliseconds(i), kStatic);
    EXPECT_FALSE(ra.should_refuse(peer(100), t + milliseconds(i), kStatic)) << int(i);
  }
  ra.record_failure(peer(4), t + milliseconds(4), kStatic);
  const TimePoint fifth = t + milliseconds(4);
  // A sixth address, never seen: refused for the first wait, 2 s.
  EXPECT_EQ(ra.static_passkey_refused_until(), fifth + RepeatedAttempts::kGuessFirstWait);
  EXPECT_TRUE(ra.should_refuse(peer(100), fifth + milliseconds(1999), kStatic));
  EXPECT_FALSE(ra.should_refuse(peer(100), fifth + milliseconds(2000), kStatic));
  // A pairing without a static passkey reveals nothing about it: not refused.
  EXPECT_FALSE(ra.should_refuse(peer(100), fifth + milliseconds(1), PasskeyKind::kFresh));
  // Success of one peer does not clear the count across peers.
  ra.record_success(peer(4));
  EXPECT_TRUE(ra.should_refuse(peer(100), fifth + milliseconds(1), kStatic));
}

TEST(RepeatedAttemptsTest, StaticPasskeyWaitDoublesUpTo64Seconds) {
  RepeatedAttempts ra;
  TimePoint t = at_ms(1000);
  for (uint8_t i = 0; i < 4; ++i) ra.record_failure(peer(i), t, kStatic);
  // The 5th failure within the window waits 2 s, each further one twice as long.
  const long expected_waits[] = {2000, 4000, 8000, 16000, 32000, 64000, 64000};
  uint8_t next = 4;
  for (long wait : expected_waits) {
    t += milliseconds(10);  // all within the 60 s window
    ra.record_failure(peer(next++), t, kStatic);
    EXPECT_EQ(ra.static_passkey_refused_until(), t + milliseconds(wait)) << wait;
    EXPECT_TRUE(ra.should_refuse(peer(200), t + milliseconds(wait - 1), kStatic)) << wait;
    EXPECT_FALSE(ra.should_refuse(peer(200), t + milliseconds(wait), kStatic)) << wait;
  }
}

TEST(RepeatedAttemptsTest, StaticPasskeyFailuresOlderThanTheWindowNoLongerCount) {
  RepeatedAttempts ra;
  const TimePoint t = at_ms(1000);
  for (uint8_t i = 0; i < 4; ++i) ra.record_failure(peer(i), t, kStatic);
  // 60 s after the first four they still count (the window is inclusive)...
  RepeatedAttempts edge = ra;
  edge.record_failure(peer(4), t + RepeatedAttempts::kGuessWindow, kStatic);
  EXPECT_TRUE(edge.should_refuse(peer(100), t + RepeatedAttempts::kGuessWindow, kStatic));
  // ...1 ms later they do not: a fifth failure is then only the first.
  ra.record_failure(peer(4), t + RepeatedAttempts::kGuessWindow + milliseconds(1), kStatic);
  EXPECT_FALSE(
      ra.should_refuse(peer(100), t + RepeatedAttempts::kGuessWindow + milliseconds(1), kStatic));
}

TEST(RepeatedAttemptsTest, FreshPasskeyFailuresDoNotCountAcrossPeers) {
  RepeatedAttempts ra;
  for (uint8_t i = 0; i < 10; ++i) ra.record_failure(peer(i), at_ms(i));
  EXPECT_FALSE(ra.should_refuse(peer(100), at_ms(10), kStatic));
  EXPECT_EQ(ra.static_passkey_refused_until(), TimePoint{});
  // Each of those peers still waits for itself.
  EXPECT_TRUE(ra.should_refuse(peer(3), at_ms(10)));
}

}  // namespace
}  // namespace sable::smp
