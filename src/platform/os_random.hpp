// Random octets from the operating system (getrandom), for keys and nonces.
#pragma once

#include "crypto/crypto.hpp"

namespace sable::platform {

class OsRandom final : public crypto::RandomSource {
 public:
  void fill(MutableBytes out) override;
};

}  // namespace sable::platform
