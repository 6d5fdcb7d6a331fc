// Text formatted into a fixed buffer: what `text()` returns (Address,
// ConnDesc, NotifyResult) so that a program can print without the heap (the
// reference program's console lines on an MCU); `to_string()` gives the same
// text as a std::string.
#pragma once

#include <cstddef>
#include <string_view>

namespace sable {

template <size_t N>
struct FixedText {
  char chars[N] = {};
  const char* c_str() const { return chars; }
  std::string_view view() const { return chars; }
};

}  // namespace sable
