// AES-128 (FIPS-197) and AES-CMAC (RFC 4493) through mbedTLS, as used by the
// SMP security function e and the LE Secure Connections functions
// (Core 5.4 Vol 3 Part H 2.2.1 and 2.2.5).
#include <mbedtls/aes.h>
#include <mbedtls/cipher.h>
#include <mbedtls/cmac.h>
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

Block aes_cmac(const Block& key, Bytes message) {
  const mbedtls_cipher_info_t* info = mbedtls_cipher_info_from_type(MBEDTLS_CIPHER_AES_128_ECB);
  // mbedtls_cipher_cmac_update rejects a null input pointer even for length 0
  // (RFC 4493 Example 1 is the empty message), so give it a valid one.
  static const uint8_t kEmpty = 0;
  const uint8_t* data = message.empty() ? &kEmpty : message.data();
  Block out{};
  if (info == nullptr ||
      mbedtls_cipher_cmac(info, key.data(), 128, data, message.size(), out.data()) != 0) {
    __builtin_trap();
  }
  return out;
}

void secure_wipe(MutableBytes secret) {
  if (!secret.empty()) mbedtls_platform_zeroize(secret.data(), secret.size());
}

}  // namespace sable::crypto
