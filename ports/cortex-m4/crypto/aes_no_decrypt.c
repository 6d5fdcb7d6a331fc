/* The firmware's AES never decrypts: every function of the host built on AES
 * (the SMP toolbox's e, ah, c1, s1 and AES-CMAC, Core 5.4 Vol 3 Part H 2.2,
 * and the CTR-DRBG) runs the block cipher forwards. mbedtls_config.h sets
 * MBEDTLS_AES_DECRYPT_ALT, and this replacement refuses the operation
 * instead of linking the inverse rounds and their table. */
#include <mbedtls/aes.h>
#include <mbedtls/platform.h>

int mbedtls_internal_aes_decrypt(mbedtls_aes_context* ctx, const unsigned char input[16],
                                 unsigned char output[16]) {
  (void)ctx;
  (void)input;
  (void)output;
  return MBEDTLS_ERR_PLATFORM_FEATURE_UNSUPPORTED;
}
