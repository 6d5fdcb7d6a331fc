// Shared helpers of the fuzz targets (fuzz/README.md): an input reader that
// never fails (reads past the end yield zeros), a RandomSource seeded from the
// input, an invariant check that aborts with a message, and log silencing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "common/bytes.hpp"
#include "common/log.hpp"
#include "crypto/crypto.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

// An invariant every target checks: a violation is a finding, so abort (libFuzzer
// records the input; the replay driver's test fails).
#define FUZZ_CHECK(cond)                                                                       \
  do {                                                                                         \
    if (!(cond)) {                                                                             \
      std::fprintf(stderr, "%s:%d: fuzz invariant violated: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                            \
    }                                                                                          \
  } while (0)

namespace sable::fuzz {

// Logs cost more than the code under test; SABLE_FUZZ_LOG=1 prints them.
inline void quiet_logs() {
  static const bool done = [] {
    const char* env = std::getenv("SABLE_FUZZ_LOG");
    if (env != nullptr && env[0] == '1') {
      set_log_level(LogLevel::kDebug);
      set_log_sink([](LogLevel, const char* m) { std::fprintf(stderr, "log: %s\n", m); });
    } else {
      set_log_sink(nullptr);
    }
    return true;
  }();
  (void)done;
}

// SABLE_FUZZ_LOG=1: targets may print what an input did.
inline bool verbose() {
  static const bool v = [] {
    const char* env = std::getenv("SABLE_FUZZ_LOG");
    return env != nullptr && env[0] == '1';
  }();
  return v;
}

// Consumes the fuzzer's bytes front to back. Reads past the end yield zeros
// (and empty spans), so a target never has to check lengths itself.
class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool empty() const { return pos_ >= size_; }
  size_t remaining() const { return size_ - pos_; }
  uint8_t u8() { return pos_ < size_ ? data_[pos_++] : 0; }
  bool boolean() { return (u8() & 1) != 0; }
  uint16_t le16() {
    uint16_t lo = u8();
    return uint16_t(lo | (u8() << 8));
  }
  uint32_t le32() {
    uint32_t lo = le16();
    return lo | (uint32_t(le16()) << 16);
  }
  uint64_t le64() {
    uint64_t lo = le32();
    return lo | (uint64_t(le32()) << 32);
  }
  // Up to n bytes (fewer at the end of the input).
  Bytes take(size_t n) {
    size_t k = n < remaining() ? n : remaining();
    Bytes b(data_ + pos_, k);
    pos_ += k;
    return b;
  }
  // A frame: a length octet, then that many bytes.
  Bytes frame8() { return take(u8()); }
  // A frame with a 16-bit length, capped at max.
  Bytes frame16(size_t max) {
    size_t n = le16();
    return take(n > max ? max : n);
  }
  Bytes rest() { return take(remaining()); }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

inline std::vector<uint8_t> copy(Bytes b) {
  return std::vector<uint8_t>(b.begin(), b.end());
}

}  // namespace sable::fuzz
