// The small crypto interface the protocol core needs (AES-128, AES-CMAC,
// P-256 key generation and ECDH with public-key validation, random bytes).
// mbedTLS is behind it (src/crypto/*.cpp); nothing above this folder includes
// an mbedTLS header.
//
// Byte order: AES and CMAC take and return octets in the order of FIPS-197 /
// RFC 4493 (first octet = most significant of the spec's 128-bit value).
// P-256 coordinates, private keys and the DHKey are LEAST significant octet
// first, as SMP carries them on the air (Core 5.4 Vol 3 Part H 3.5.6).
//
// AES-128 and AES-CMAC cannot fail for a 128-bit key; should the backend ever
// report an error there (e.g. out of memory inside mbedTLS's CMAC), the call
// traps, as a misused Result does, instead of returning an unkeyed value.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "common/bytes.hpp"
#include "sable/result.hpp"

namespace sable::crypto {

using Block = std::array<uint8_t, 16>;

enum class CryptoError : uint8_t {
  kInvalidPublicKey,   // off the curve, coordinate out of range, or infinity
  kInvalidPrivateKey,  // zero or not below the group order n
  kInternal,           // the backend failed, or the random source kept giving
                       // values outside [1, n-1] (should not happen)
};

// Source of random octets. The platform provides the OS one; tests inject
// deterministic ones.
class RandomSource {
 public:
  virtual ~RandomSource() = default;
  virtual void fill(MutableBytes out) = 0;
};

// AES-128 encryption of one block (FIPS-197 order).
Block aes128(const Block& key, const Block& plaintext);

// AES-CMAC (RFC 4493) over message with a 128-bit key.
Block aes_cmac(const Block& key, Bytes message);

struct P256PublicKey {
  std::array<uint8_t, 32> x{};  // least significant octet first
  std::array<uint8_t, 32> y{};
  friend bool operator==(const P256PublicKey&, const P256PublicKey&) = default;
};

struct P256KeyPair {
  std::array<uint8_t, 32> private_key{};  // least significant octet first
  P256PublicKey public_key;
};

using DhKey = std::array<uint8_t, 32>;  // least significant octet first

// A fresh key pair from the random source (private key uniform in [1, n-1];
// the source also feeds the scalar-multiplication blinding).
Result<P256KeyPair, CryptoError> generate_p256_key_pair(RandomSource& random);

// The public key of a given private key (for the specification's debug key and
// tests). kInvalidPrivateKey unless 1 <= priv < n.
Result<P256KeyPair, CryptoError> p256_key_pair_from_private(const std::array<uint8_t, 32>& priv);

// Full validation (CVE-2018-5383): both coordinates < p, the point satisfies the
// curve equation, and it is not the point at infinity.
bool is_valid_p256_public_key(const P256PublicKey& key);

// ECDH: validates the peer's key first; an invalid key yields kInvalidPublicKey
// and nothing is computed. The DHKey is the X coordinate of ours * peer
// (Core 5.4 Vol 3 Part H 2.3.5.6.1), least significant octet first.
Result<DhKey, CryptoError> p256_dh_key(const P256KeyPair& ours, const P256PublicKey& peer);

// Overwrites a secret buffer with zeros in a way the compiler cannot elide.
void secure_wipe(MutableBytes secret);

}  // namespace sable::crypto
