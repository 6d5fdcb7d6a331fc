#include "sable/address.hpp"

#include "common/format.hpp"

namespace sable {

FixedText<18> Address::text() const {
  // "%02X:%02X:%02X:%02X:%02X:%02X", most significant octet first.
  FixedText<18> t;
  format_hex(t.chars, bytes.data(), 6, true, ':', 0x1F);
  return t;
}

std::string Address::to_string() const {
  return string_of(text().c_str());
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
