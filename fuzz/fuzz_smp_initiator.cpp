// smp::Pairing with the DUT as the initiator; see smp_pairing_fuzz.inc.
#include "smp/pairing.hpp"

namespace {
constexpr sable::smp::Role kDutRole = sable::smp::Role::kInitiator;
}  // namespace

#include "smp_pairing_fuzz.inc"
