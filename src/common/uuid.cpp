#include "sable/uuid.hpp"

#include <cstring>

#include "common/format.hpp"

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
  // A 4/8-digit short form or 8-4-4-4-12, most significant digit first: read
  // from the end, so that digit k lands in nibble k of the little-endian
  // value (a short form's in octets 12..15 of the Base UUID).
  const size_t size = text.size();
  const bool full = size == 36;
  if (size != 4 && size != 8 && !full) return std::nullopt;
  std::array<uint8_t, 16> le = kBase;
  if (full) le.fill(0);
  size_t nibble = full ? 0 : 24;
  for (size_t i = size; i-- > 0;) {
    if (full && (i == 8 || i == 13 || i == 18 || i == 23)) {
      if (text[i] != '-') return std::nullopt;
      continue;
    }
    const int d = hex_digit(text[i]);
    if (d < 0) return std::nullopt;
    le[nibble / 2] |= uint8_t(d << (4 * (nibble & 1)));
    ++nibble;
  }
  return from128_le(le);
}

std::optional<Uuid> Uuid::from_wire(std::span<const uint8_t> b) {
  // 2 and 4 octets are octets 12.. of the Base UUID (Core 5.4 Vol 3 Part B 2.5.1).
  if (b.size() != 2 && b.size() != 4 && b.size() != 16) return std::nullopt;
  std::array<uint8_t, 16> le = kBase;
  std::memcpy(le.data() + (b.size() == 16 ? 0 : 12), b.data(), b.size());
  return from128_le(le);
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
  return buf;
}

}  // namespace sable
