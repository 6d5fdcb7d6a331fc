// Deterministic randomness for tests, benchmarks and fuzz targets: the same
// seed gives the same keys, nonces and addresses on every run.
#pragma once

#include <cstdint>

#include "crypto/crypto.hpp"

namespace sable::testing {

// xorshift64; not for keys anyone relies on, only for reproducible runs.
class DeterministicRandom final : public crypto::RandomSource {
 public:
  explicit DeterministicRandom(uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ull + 1) {}
  void fill(MutableBytes out) override {
    for (auto& b : out) {
      state_ ^= state_ << 13;
      state_ ^= state_ >> 7;
      state_ ^= state_ << 17;
      b = uint8_t(state_);
    }
  }

 private:
  uint64_t state_;
};

}  // namespace sable::testing
