#include "sable/uuid.hpp"

#include <cstring>

#include "common/format.hpp"

namespace sable {
namespace {
int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = char(c | 0x20);  // 'A'..'F' -> 'a'..'f'; nothing else lands there
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}
}  // namespace

std::optional<Uuid> Uuid::parse(std::string_view text) {
  // A 4/8-digit short form or 8-4-4-4-12, most significant digit first: read
  // from the end, so that digit k lands in nibble k of the little-endian
  // value (a short form's in octets 12..15 of the Base UUID). Built in the
  // result itself (no copy on return).
  std::optional<Uuid> result;
  const size_t size = text.size();
  const bool full = size == 36;
  if (size != 4 && size != 8 && !full) return result;
  Uuid& u = result.emplace();  // the Base UUID
  if (full) u.le_.fill(0);
  constexpr uint32_t kDashes = 1u << 8 | 1u << 13 | 1u << 18 | 1u << 23;
  size_t nibble = full ? 0 : 24;
  for (size_t i = size; i-- > 0;) {
    if (full && i < 32 && ((kDashes >> i) & 1) != 0) {
      if (text[i] != '-') break;
      continue;
    }
    const int d = hex_digit(text[i]);
    if (d < 0) break;
    u.le_[nibble / 2] |= uint8_t(d << (4 * (nibble & 1)));
    ++nibble;
  }
  // Every digit read: 4, 8 or 32 of them.
  if (nibble != (full ? 32u : 24 + size)) {
    result.reset();
    return result;
  }
  u.size_ = 16;
  u.shrink();
  return result;
}

std::optional<Uuid> Uuid::from_wire(std::span<const uint8_t> b) {
  // 2 and 4 octets are octets 12.. of the Base UUID (Core 5.4 Vol 3 Part B 2.5.1).
  std::optional<Uuid> result;
  if (b.size() != 2 && b.size() != 4 && b.size() != 16) return result;
  Uuid& u = result.emplace();  // the Base UUID, built in the result (no copy on return)
  std::memcpy(u.le_.data() + (b.size() == 16 ? 0 : 12), b.data(), b.size());
  u.size_ = 16;
  u.shrink();
  return result;
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
  // "%04x" for a 16-bit UUID, else 8-4-4-4-12 lowercase digits, most
  // significant first: dashes after octets 4, 6, 8 and 10.
  char buf[40];
  if (size_ == 2) {
    format_hex(buf, le_.data() + 12, 2, false);
  } else {
    format_hex(buf, le_.data(), 16, false, '-', 0x2A8);
  }
  return string_of(buf);
}

}  // namespace sable
