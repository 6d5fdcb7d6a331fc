// Bluetooth UUIDs: 16-, 32- and 128-bit forms over the Base UUID
// (Core 5.4 Vol 3 Part B 2.5.1).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sable {

class Uuid {
 public:
  constexpr Uuid() = default;
  // A 16- or 32-bit assigned number.
  static constexpr Uuid from16(uint16_t v) { return Uuid(base_with(v), 2); }
  static constexpr Uuid from32(uint32_t v) { return Uuid(base_with(v), v <= 0xFFFF ? 2 : 4); }
  // 128-bit value, least significant octet first (the wire order).
  static constexpr Uuid from128_le(const std::array<uint8_t, 16>& le) {
    Uuid u(le, 16);
    u.shrink();
    return u;
  }
  // "9b574847-f706-436c-bed7-fc01eb0965c1" or a 4/8-digit hex short form.
  static std::optional<Uuid> parse(std::string_view text);
  // Wire bytes of length 2, 4 or 16 (little endian).
  static std::optional<Uuid> from_wire(std::span<const uint8_t> bytes);

  // Octets needed on the wire in ATT: 2 when 16-bit, else 16 (ATT has no 32-bit form).
  constexpr size_t att_size() const { return size_ == 2 ? 2 : 16; }
  constexpr size_t min_size() const { return size_; }
  constexpr bool is16() const { return size_ == 2; }
  constexpr uint16_t as16() const { return uint16_t(le_[12] | (le_[13] << 8)); }
  constexpr const std::array<uint8_t, 16>& le128() const { return le_; }
  // Writes the ATT form (2 or 16 octets) to out; returns octets written.
  size_t write_att(uint8_t* out) const;
  std::string to_string() const;

  friend constexpr bool operator==(const Uuid& a, const Uuid& b) { return a.le_ == b.le_; }

 private:
  constexpr Uuid(const std::array<uint8_t, 16>& le, uint8_t size) : le_(le), size_(size) {}
  static constexpr std::array<uint8_t, 16> kBase = {0xFB, 0x34, 0x9B, 0x5F, 0x80, 0x00, 0x00, 0x80,
                                                    0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  static constexpr std::array<uint8_t, 16> base_with(uint32_t v) {
    auto b = kBase;
    b[12] = uint8_t(v);
    b[13] = uint8_t(v >> 8);
    b[14] = uint8_t(v >> 16);
    b[15] = uint8_t(v >> 24);
    return b;
  }
  constexpr void shrink() {
    for (int i = 0; i < 12; ++i)
      if (le_[i] != kBase[i]) return;
    size_ = (le_[14] == 0 && le_[15] == 0) ? 2 : 4;
  }
  std::array<uint8_t, 16> le_ = kBase;
  uint8_t size_ = 2;
};

}  // namespace sable
