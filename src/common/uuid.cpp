#include <cstdio>
#include <cstring>

#include "sable/uuid.hpp"

namespace sable {
namespace {
int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::optional<Uuid> Uuid::parse(std::string_view text) {
  if (text.size() == 4 || text.size() == 8) {
    uint32_t v = 0;
    for (char c : text) {
      int d = hex_digit(c);
      if (d < 0) return std::nullopt;
      v = v << 4 | uint32_t(d);
    }
    return from32(v);
  }
  // 8-4-4-4-12, most significant first.
  if (text.size() != 36) return std::nullopt;
  std::array<uint8_t, 16> be{};
  size_t n = 0;
  for (size_t i = 0; i < text.size();) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return std::nullopt;
      ++i;
      continue;
    }
    int hi = hex_digit(text[i]);
    int lo = hex_digit(text[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    be[n++] = uint8_t(hi << 4 | lo);
    i += 2;
  }
  std::array<uint8_t, 16> le{};
  for (size_t i = 0; i < 16; ++i) le[i] = be[15 - i];
  return from128_le(le);
}

std::optional<Uuid> Uuid::from_wire(std::span<const uint8_t> b) {
  if (b.size() == 2) return from16(uint16_t(b[0] | b[1] << 8));
  if (b.size() == 4)
    return from32(uint32_t(b[0]) | uint32_t(b[1]) << 8 | uint32_t(b[2]) << 16 |
                  uint32_t(b[3]) << 24);
  if (b.size() == 16) {
    std::array<uint8_t, 16> le;
    std::memcpy(le.data(), b.data(), 16);
    return from128_le(le);
  }
  return std::nullopt;
}

size_t Uuid::write_att(uint8_t* out) const {
  if (size_ == 2) {
    out[0] = le_[12];
    out[1] = le_[13];
    return 2;
  }
  std::memcpy(out, le_.data(), 16);
  return 16;
}

std::string Uuid::to_string() const {
  char buf[40];
  if (size_ == 2) {
    std::snprintf(buf, sizeof buf, "%04x", as16());
    return buf;
  }
  const auto& b = le_;
  std::snprintf(buf, sizeof buf,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[15],
                b[14], b[13], b[12], b[11], b[10], b[9], b[8], b[7], b[6], b[5], b[4], b[3], b[2],
                b[1], b[0]);
  return buf;
}

}  // namespace sable
