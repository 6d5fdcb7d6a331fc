// Time in the sans-I/O core: layers never read a clock; every input carries
// `now`, and every state machine reports its next deadline. Milliseconds since
// an arbitrary epoch chosen by the platform (the run loop or a test's clock).
#pragma once

#include <chrono>

namespace sable {

using Duration = std::chrono::milliseconds;
using TimePoint = std::chrono::milliseconds;  // since the platform's epoch
inline constexpr TimePoint kNever = TimePoint::max();

}  // namespace sable
