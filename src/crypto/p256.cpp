// P-256 key generation, public-key validation and ECDH through mbedTLS
// (Core 5.4 Vol 3 Part H 2.3.5.6.1; curve as in Vol 2 Part G 7.1.2).
// The interface is least-significant-octet-first (SMP wire order); mbedTLS's
// *_binary_le functions convert at the boundary.
#include <mbedtls/bignum.h>
#include <mbedtls/ecdh.h>
#include <mbedtls/ecp.h>

#include "crypto/crypto.hpp"

namespace sable::crypto {
namespace {

// RAII holders for the mbedTLS contexts; their free functions zeroize.
struct Group {
  mbedtls_ecp_group g;
  Group() { mbedtls_ecp_group_init(&g); }
  ~Group() { mbedtls_ecp_group_free(&g); }
  Group(const Group&) = delete;
  Group& operator=(const Group&) = delete;
  bool load() { return mbedtls_ecp_group_load(&g, MBEDTLS_ECP_DP_SECP256R1) == 0; }
};

struct Mpi {
  mbedtls_mpi m;
  Mpi() { mbedtls_mpi_init(&m); }
  ~Mpi() { mbedtls_mpi_free(&m); }
  Mpi(const Mpi&) = delete;
  Mpi& operator=(const Mpi&) = delete;
};

struct Point {
  mbedtls_ecp_point p;
  Point() { mbedtls_ecp_point_init(&p); }
  ~Point() { mbedtls_ecp_point_free(&p); }
  Point(const Point&) = delete;
  Point& operator=(const Point&) = delete;
};

using Scalar = std::array<uint8_t, 32>;

// mbedTLS's f_rng over our RandomSource.
int random_adapter(void* source, unsigned char* out, size_t len) {
  static_cast<RandomSource*>(source)->fill(MutableBytes(out, len));
  return 0;
}

// An affine point (Z = 1) from LSB-first coordinates. Any 256-bit value loads;
// range and curve membership are checked by mbedtls_ecp_check_pubkey.
bool load_point(const P256PublicKey& key, Point& out) {
  return mbedtls_mpi_read_binary_le(&out.p.X, key.x.data(), key.x.size()) == 0 &&
         mbedtls_mpi_read_binary_le(&out.p.Y, key.y.data(), key.y.size()) == 0 &&
         mbedtls_mpi_lset(&out.p.Z, 1) == 0;
}

bool store_point(const Point& in, P256PublicKey& key) {
  return mbedtls_mpi_write_binary_le(&in.p.X, key.x.data(), key.x.size()) == 0 &&
         mbedtls_mpi_write_binary_le(&in.p.Y, key.y.data(), key.y.size()) == 0;
}

// Both coordinates in [0, p-1], y^2 = x^3 - 3x + b (mod p), Z = 1 so never the
// point at infinity: mbedtls_ecp_check_pubkey does exactly these checks.
bool valid_point(const Group& group, const Point& point) {
  return mbedtls_ecp_check_pubkey(&group.g, &point.p) == 0;
}

}  // namespace

Result<P256KeyPair, CryptoError> generate_p256_key_pair(RandomSource& random) {
  Group group;
  Mpi d;
  Point q;
  if (!group.load()) return fail(CryptoError::kInternal);
  // Private key by rejection sampling in [1, n-1], then Q = d*G with blinding.
  if (mbedtls_ecp_gen_keypair(&group.g, &d.m, &q.p, random_adapter, &random) != 0) {
    return fail(CryptoError::kInternal);
  }
  P256KeyPair pair;
  if (mbedtls_mpi_write_binary_le(&d.m, pair.private_key.data(), pair.private_key.size()) != 0 ||
      !store_point(q, pair.public_key)) {
    secure_wipe(pair.private_key);
    return fail(CryptoError::kInternal);
  }
  Result<P256KeyPair, CryptoError> result(pair);
  secure_wipe(pair.private_key);
  return result;
}

Result<P256KeyPair, CryptoError> p256_key_pair_from_private(const Scalar& priv) {
  Group group;
  Mpi d;
  Point q;
  if (!group.load() || mbedtls_mpi_read_binary_le(&d.m, priv.data(), priv.size()) != 0) {
    return fail(CryptoError::kInternal);
  }
  if (mbedtls_ecp_check_privkey(&group.g, &d.m) != 0) return fail(CryptoError::kInvalidPrivateKey);
  // No RandomSource here: mbedTLS 2.28 blinds with its internal DRBG seeded
  // from the scalar when f_rng is null (MBEDTLS_ECP_NO_INTERNAL_RNG unset).
  if (mbedtls_ecp_mul(&group.g, &q.p, &d.m, &group.g.G, nullptr, nullptr) != 0) {
    return fail(CryptoError::kInternal);
  }
  P256KeyPair pair;
  pair.private_key = priv;
  if (!store_point(q, pair.public_key)) {
    secure_wipe(pair.private_key);
    return fail(CryptoError::kInternal);
  }
  Result<P256KeyPair, CryptoError> result(pair);
  secure_wipe(pair.private_key);
  return result;
}

bool is_valid_p256_public_key(const P256PublicKey& key) {
  Group group;
  Point q;
  return group.load() && load_point(key, q) && valid_point(group, q);
}

Result<DhKey, CryptoError> p256_dh_key(const P256KeyPair& ours, const P256PublicKey& peer) {
  Group group;
  Point q;
  if (!group.load() || !load_point(peer, q)) return fail(CryptoError::kInternal);
  // Core 5.4 Vol 3 Part H 2.3.5.6.1: validate the peer's key before any use
  // (CVE-2018-5383, fixed-coordinate invalid-curve attack).
  if (!valid_point(group, q)) return fail(CryptoError::kInvalidPublicKey);
  Mpi d;
  Mpi z;
  if (mbedtls_mpi_read_binary_le(&d.m, ours.private_key.data(), ours.private_key.size()) != 0) {
    return fail(CryptoError::kInternal);
  }
  if (mbedtls_ecp_check_privkey(&group.g, &d.m) != 0) return fail(CryptoError::kInvalidPrivateKey);
  if (mbedtls_ecdh_compute_shared(&group.g, &z.m, &q.p, &d.m, nullptr, nullptr) != 0) {
    return fail(CryptoError::kInternal);
  }
  DhKey dh{};
  if (mbedtls_mpi_write_binary_le(&z.m, dh.data(), dh.size()) != 0) {
    return fail(CryptoError::kInternal);
  }
  return dh;
}

}  // namespace sable::crypto
