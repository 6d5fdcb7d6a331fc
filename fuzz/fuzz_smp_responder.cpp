// smp::Pairing with the DUT as the responder; see smp_pairing_fuzz.inc.
#include "smp/pairing.hpp"

namespace {
constexpr sable::smp::Role kDutRole = sable::smp::Role::kResponder;
}  // namespace

#include "smp_pairing_fuzz.inc"
