// AES-128 (FIPS-197) through mbedTLS and AES-CMAC (RFC 4493) on it, as used by the
// SMP security function e and the LE Secure Connections functions
// (Core 5.4 Vol 3 Part H 2.2.1 and 2.2.5).
#include <mbedtls/aes.h>
#include <mbedtls/platform_util.h>

#include "crypto/crypto.hpp"

namespace sable::crypto {

Block aes128(const Block& key, const Block& plaintext) {
  mbedtls_aes_context ctx;
  mbedtls_aes_init(&ctx);
  Block out{};
  // A 128-bit key and one block: mbedTLS has no failure path here.
  if (mbedtls_aes_setkey_enc(&ctx, key.data(), 128) != 0 ||
      mbedtls_aes_crypt_ecb(&ctx, MBEDTLS_AES_ENCRYPT, plaintext.data(), out.data()) != 0) {
    __builtin_trap();
  }
  mbedtls_aes_free(&ctx);  // zeroizes the expanded key schedule
  return out;
}

namespace {

// One doubling in GF(2^128) for the CMAC subkeys (RFC 4493 2.3): shift left
// by one bit, and if the bit shifted out was set, XOR the constant R_b = 0x87.
Block cmac_double(const Block& in) {
  Block out;
  for (size_t i = 0; i < out.size(); ++i) {
    uint8_t next = i + 1 < in.size() ? in[i + 1] : 0;
    out[i] = static_cast<uint8_t>((in[i] << 1) | (next >> 7));
  }
  if ((in[0] & 0x80) != 0) out[15] ^= 0x87;
  return out;
}

void encrypt_block(mbedtls_aes_context& ctx, Block& block) {
  // A 128-bit key and one block: mbedTLS has no failure path here.
  if (mbedtls_aes_crypt_ecb(&ctx, MBEDTLS_AES_ENCRYPT, block.data(), block.data()) != 0) {
    __builtin_trap();
  }
}

}  // namespace

// AES-CMAC (RFC 4493 2.4) as Core 5.4 Vol 3 Part H 2.2.5 defines it for the
// SC toolbox, on the AES block cipher directly: one key schedule on the stack,
// no generic cipher layer and no heap allocation per call.
Block aes_cmac(const Block& key, Bytes message) {
  mbedtls_aes_context ctx;
  mbedtls_aes_init(&ctx);
  if (mbedtls_aes_setkey_enc(&ctx, key.data(), 128) != 0) __builtin_trap();

  // Subkeys (RFC 4493 2.3): L = AES-K(0^128), K1 = L * x, K2 = K1 * x.
  Block l{};
  encrypt_block(ctx, l);
  Block k1 = cmac_double(l);
  Block k2 = cmac_double(k1);

  // n blocks, at least one; the last is XORed with K1 when complete, or
  // padded with 10...0 and XORed with K2 when not (or when the message is empty).
  const size_t size = message.size();
  const size_t blocks = size == 0 ? 1 : (size + 15) / 16;
  const size_t last_offset = (blocks - 1) * 16;
  const size_t last_size = size - last_offset;

  Block x{};
  for (size_t b = 0; b + 1 < blocks; ++b) {
    for (size_t i = 0; i < 16; ++i) x[i] ^= message[b * 16 + i];
    encrypt_block(ctx, x);
  }
  const Block& subkey = last_size == 16 ? k1 : k2;
  for (size_t i = 0; i < 16; ++i) {
    uint8_t m = i < last_size ? message[last_offset + i] : i == last_size ? 0x80 : 0x00;
    x[i] ^= static_cast<uint8_t>(m ^ subkey[i]);
  }
  encrypt_block(ctx, x);

  mbedtls_aes_free(&ctx);  // zeroizes the expanded key schedule
  secure_wipe(l);
  secure_wipe(k1);
  secure_wipe(k2);
  return x;
}

void secure_wipe(MutableBytes secret) {
  if (!secret.empty()) mbedtls_platform_zeroize(secret.data(), secret.size());
}

}  // namespace sable::crypto
