// Time points for tests, benchmarks and fuzz targets: the fake clock starts at
// the core's epoch, so a test names an instant by its milliseconds since then.
#pragma once

#include <cstdint>

#include "common/time.hpp"

namespace sable::testing {

constexpr TimePoint at_ms(int64_t ms) {
  return TimePoint{Duration{ms}};
}

}  // namespace sable::testing
