// TimePoint is an instant and Duration an interval (common/time.hpp). These
// asserts are the test: they stop compiling if TimePoint goes back to being a
// duration, which is what let the core add two instants or pass an interval
// where `now` is wanted.
#include "common/time.hpp"

#include <gtest/gtest.h>

#include <concepts>
#include <ratio>
#include <type_traits>

namespace sable {
namespace {

// Template parameters, so that an ill-formed expression makes the requirement
// false instead of a hard error.
template <typename A, typename B>
concept Addable = requires(A a, B b) {
  a + b;
};
template <typename A, typename B, typename R>
concept AddsTo = requires(A a, B b) {
  { a + b } -> std::same_as<R>;
};
template <typename A, typename B, typename R>
concept SubtractsTo = requires(A a, B b) {
  { a - b } -> std::same_as<R>;
};

static_assert(!Addable<TimePoint, TimePoint>, "adding two TimePoints does not compile");
static_assert(AddsTo<TimePoint, Duration, TimePoint>, "a deadline is now + an interval");
static_assert(SubtractsTo<TimePoint, TimePoint, Duration>, "two instants are an interval apart");
static_assert(SubtractsTo<TimePoint, Duration, TimePoint>);
static_assert(!std::is_convertible_v<Duration, TimePoint>, "an interval is no `now`");
static_assert(!std::is_convertible_v<TimePoint, Duration>);
static_assert(std::is_same_v<TimePoint::clock, CoreClock>);
static_assert(std::is_same_v<Duration::period, std::milli>, "the core counts milliseconds");

TEST(TimeTest, NeverIsLaterThanAnyDeadline) {
  const TimePoint now{Duration{5000}};
  EXPECT_EQ((now + Duration{250}).time_since_epoch().count(), 5250);
  EXPECT_LT(now + Duration{24LL * 3600 * 1000 * 365 * 100}, kNever);  // a century on
}

}  // namespace
}  // namespace sable
