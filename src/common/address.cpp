#include <cstdio>

#include "sable/address.hpp"

namespace sable {

FixedText<18> Address::text() const {
  FixedText<18> t;
  std::snprintf(t.chars, sizeof t.chars, "%02X:%02X:%02X:%02X:%02X:%02X", bytes[5], bytes[4],
                bytes[3], bytes[2], bytes[1], bytes[0]);
  return t;
}

std::string Address::to_string() const {
  return text().c_str();
}

std::optional<Address> Address::parse(std::string_view text, AddressType type) {
  if (text.size() != 17) return std::nullopt;
  Address a;
  a.type = type;
  for (int i = 0; i < 6; ++i) {
    uint8_t v = 0;
    for (int j = 0; j < 2; ++j) {
      char c = text[size_t(i * 3 + j)];
      uint8_t d;
      if (c >= '0' && c <= '9')
        d = uint8_t(c - '0');
      else if (c >= 'a' && c <= 'f')
        d = uint8_t(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        d = uint8_t(c - 'A' + 10);
      else
        return std::nullopt;
      v = uint8_t(v << 4 | d);
    }
    if (i < 5 && text[size_t(i * 3 + 2)] != ':') return std::nullopt;
    a.bytes[size_t(5 - i)] = v;
  }
  return a;
}

}  // namespace sable
