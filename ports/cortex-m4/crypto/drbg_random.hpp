// Random numbers on a board without a TRNG: a CTR_DRBG (AES-256,
// NIST SP 800-90A, mbedTLS) seeded once at start-up from octets the
// controller returned to HCI LE_Rand (see device_impl.cpp: entropy is
// gathered before the host's bring-up). The controller is the only entropy
// source here, so the quality of every key the stack makes is that of the
// controller's random number generator.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "crypto/crypto.hpp"

namespace sable::port {

class DrbgRandom final : public crypto::RandomSource {
 public:
  DrbgRandom();
  ~DrbgRandom() override;
  DrbgRandom(const DrbgRandom&) = delete;
  DrbgRandom& operator=(const DrbgRandom&) = delete;

  // Seeds the generator with `entropy` (at least 48 octets). Returns false if
  // mbedTLS refuses; fill() traps until seeded.
  bool seed(std::span<const uint8_t> entropy);
  void fill(MutableBytes out) override;

 private:
  struct State;
  State* state_;
};

// Gives mbedTLS its heap: a static buffer (call once, before any crypto).
void crypto_init();
// Peak octets of that heap in use so far (with allocator headers; without
// MBEDTLS_MEMORY_DEBUG: the highest octet ever written), and its size.
size_t crypto_heap_peak();
size_t crypto_heap_size();

}  // namespace sable::port
