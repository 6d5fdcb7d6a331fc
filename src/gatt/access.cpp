#include "gatt/access.hpp"

namespace sable::gatt {

using att::AttErrorCode;

std::optional<AttErrorCode> check_access(const Permissions& perm, const att::LinkSecurity& link,
                                         Op op, bool authorized) {
  if (!perm.allowed)
    return op == Op::kRead ? AttErrorCode::kReadNotPermitted : AttErrorCode::kWriteNotPermitted;

  const bool needs_encryption =
      perm.encryption || perm.authentication || perm.secure_connections_only;
  if (needs_encryption) {
    // Core 5.4 Vol 3 Part C 10.3.1.1 / 10.3.1.2: with an LTK for the peer the
    // client only has to start encryption; without one it has to pair.
    if (!link.encrypted)
      return link.peer_bonded ? AttErrorCode::kInsufficientEncryption
                              : AttErrorCode::kInsufficientAuthentication;
    if (perm.authentication && !link.authenticated)
      return AttErrorCode::kInsufficientAuthentication;
    // Core 5.4 Vol 3 Part C 10.2.1: LE Security Mode 1 Level 4 needs an
    // authenticated LE Secure Connections key.
    if (perm.secure_connections_only && !link.secure_connections)
      return AttErrorCode::kInsufficientAuthentication;
    // Core 5.4 Vol 3 Part F 3.4.1.1: "Insufficient Encryption Key Size".
    if (link.key_size < perm.min_key_size) return AttErrorCode::kInsufficientEncryptionKeySize;
  }
  if (perm.authorization && !authorized) return AttErrorCode::kInsufficientAuthorization;
  return std::nullopt;
}

}  // namespace sable::gatt
