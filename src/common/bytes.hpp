// Byte helpers shared by every layer: little-endian access through memcpy-free
// shifts (no packed-struct casts), a bounds-checked reader, and a writer over a
// caller-provided buffer. Bytes are parsed once, at the edge of each layer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace sable {

using Bytes = std::span<const uint8_t>;
using MutableBytes = std::span<uint8_t>;

constexpr uint16_t get_le16(const uint8_t* p) {
  return uint16_t(p[0] | (p[1] << 8));
}
constexpr uint32_t get_le24(const uint8_t* p) {
  return uint32_t(p[0] | (p[1] << 8) | (p[2] << 16));
}
constexpr uint32_t get_le32(const uint8_t* p) {
  return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
}
constexpr void put_le16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v);
  p[1] = uint8_t(v >> 8);
}
constexpr void put_le32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = uint8_t(v >> (8 * i));
}

// Reads fields in order; any read past the end sets failed() and yields zeros,
// so a parser checks once at the end: `if (!r.ok()) return malformed;`.
class ByteReader {
 public:
  explicit constexpr ByteReader(Bytes data) : data_(data) {}
  constexpr bool ok() const { return ok_; }
  constexpr size_t remaining() const { return data_.size() - pos_; }
  constexpr bool at_end() const { return pos_ == data_.size(); }
  constexpr uint8_t u8() { return need(1) ? data_[pos_++] : 0; }
  constexpr uint16_t le16() {
    if (!need(2)) return 0;
    uint16_t v = get_le16(&data_[pos_]);
    pos_ += 2;
    return v;
  }
  constexpr uint32_t le24() {
    if (!need(3)) return 0;
    uint32_t v = get_le24(&data_[pos_]);
    pos_ += 3;
    return v;
  }
  constexpr uint32_t le32() {
    if (!need(4)) return 0;
    uint32_t v = get_le32(&data_[pos_]);
    pos_ += 4;
    return v;
  }
  // The next n bytes as a view (empty and failed() if fewer remain).
  constexpr Bytes take(size_t n) {
    if (!need(n)) return {};
    Bytes v = data_.subspan(pos_, n);
    pos_ += n;
    return v;
  }
  constexpr Bytes rest() {
    Bytes v = data_.subspan(pos_);
    pos_ = data_.size();
    return v;
  }

 private:
  constexpr bool need(size_t n) {
    if (!ok_ || data_.size() - pos_ < n) {
      ok_ = false;
      return false;
    }
    return true;
  }
  Bytes data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

// Appends fields to a fixed buffer; overflow sets failed() and writes nothing more.
class ByteWriter {
 public:
  explicit constexpr ByteWriter(MutableBytes buf) : buf_(buf) {}
  constexpr bool ok() const { return ok_; }
  constexpr size_t size() const { return pos_; }
  constexpr size_t room() const { return buf_.size() - pos_; }
  constexpr Bytes written() const { return Bytes(buf_.data(), pos_); }
  constexpr ByteWriter& u8(uint8_t v) {
    if (need(1)) buf_[pos_++] = v;
    return *this;
  }
  constexpr ByteWriter& le16(uint16_t v) {
    if (need(2)) {
      put_le16(&buf_[pos_], v);
      pos_ += 2;
    }
    return *this;
  }
  constexpr ByteWriter& le32(uint32_t v) {
    if (need(4)) {
      put_le32(&buf_[pos_], v);
      pos_ += 4;
    }
    return *this;
  }
  ByteWriter& bytes(Bytes b) {
    if (need(b.size()) && !b.empty()) {
      std::memcpy(&buf_[pos_], b.data(), b.size());
      pos_ += b.size();
    }
    return *this;
  }

 private:
  constexpr bool need(size_t n) {
    if (!ok_ || buf_.size() - pos_ < n) {
      ok_ = false;
      return false;
    }
    return true;
  }
  MutableBytes buf_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace sable
