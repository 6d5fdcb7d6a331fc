// Time in the sans-I/O core: layers never read a clock; every input carries
// `now`, and every state machine reports its next deadline. Milliseconds since
// an arbitrary epoch chosen by the platform (the run loop or a test's clock).
#pragma once

#include <chrono>
#include <cstdint>
#include <ratio>

namespace sable {

// The core's time base. A real clock type (not a bare duration) so that
// TimePoint and Duration are distinct types: adding two TimePoints does not
// compile, TimePoint - TimePoint is a Duration. It has no now(): the core
// layers are sans-I/O and never read a clock; the platform's run loop (or a
// test's clock) converts its own reading into this time base and passes it in.
struct CoreClock {
  using rep = int64_t;
  using period = std::milli;
  using duration = std::chrono::duration<rep, period>;
  using time_point = std::chrono::time_point<CoreClock>;
  static constexpr bool is_steady = true;
};

using Duration = CoreClock::duration;
using TimePoint = CoreClock::time_point;  // since the platform's epoch
inline constexpr TimePoint kNever = TimePoint::max();

}  // namespace sable
