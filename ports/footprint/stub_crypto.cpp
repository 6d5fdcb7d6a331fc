// Stub crypto backend for the footprint build ONLY: Debian has no mbedTLS
// for arm-none-eabi, so src/crypto/*.cpp (mbedTLS behind crypto.hpp) is not
// built here. These functions do no cryptography; they exist so that the
// core links and its size can be measured. The crypto library is reported
// separately (the estimate for mbedTLS AES/CMAC/P-256: ~17 KB).
#include "crypto/crypto.hpp"

namespace sable::crypto {
namespace {
volatile uint8_t g_engine;  // a stand-in for a hardware crypto engine register
}  // namespace

Block aes128(const Block& key, const Block& plaintext) {
  Block out{};
  for (size_t i = 0; i < out.size(); ++i) out[i] = uint8_t(key[i] ^ plaintext[i] ^ g_engine);
  return out;
}

Block aes_cmac(const Block& key, Bytes message) {
  Block out = key;
  for (size_t i = 0; i < message.size(); ++i) out[i % 16] ^= message[i];
  return aes128(key, out);
}

Result<P256KeyPair, CryptoError> generate_p256_key_pair(RandomSource& random) {
  P256KeyPair k;
  random.fill(k.private_key);
  return k;
}

Result<P256KeyPair, CryptoError> p256_key_pair_from_private(const std::array<uint8_t, 32>& priv) {
  P256KeyPair k;
  k.private_key = priv;
  return k;
}

bool is_valid_p256_public_key(const P256PublicKey& key) {
  return (key.x[0] ^ g_engine) != 0;
}

Result<DhKey, CryptoError> p256_dh_key(const P256KeyPair& ours, const P256PublicKey& peer) {
  if (!is_valid_p256_public_key(peer)) return fail(CryptoError::kInvalidPublicKey);
  DhKey d = ours.private_key;
  return d;
}

void secure_wipe(MutableBytes secret) {
  volatile uint8_t* p = secret.data();
  for (size_t i = 0; i < secret.size(); ++i) p[i] = 0;
}

}  // namespace sable::crypto
