// LE legacy pairing, refused: linked instead of pairing_legacy.cpp when the
// build option SABLE_LEGACY_PAIRING is OFF, so that a Secure Connections
// only firmware carries no c1/s1 phase 2.
//
// Such a device is in Secure Connections Only mode (Core 5.4 Vol 3 Part H
// 2.3.5.1; Vol 3 Part C 10.2.4): the Pairing constructor sets
// PairingPolicy::sc_only when legacy_pairing_linked() is false, so the
// feature exchange refuses a peer without SC with Pairing Failed,
// Authentication Requirements (0x03, 3.5.5) before phase 2 is reached. The
// functions below only keep that promise should phase 2 be reached anyway.
#include "smp/pairing_detail.hpp"

namespace sable::smp {

bool legacy_pairing_linked() {
  return false;
}

void Pairing::start_legacy_phase2() {
  fail(SmpReason::kAuthenticationRequirements);
}

void Pairing::legacy_passkey_entered(LegacyPhase2&) {
  fail(SmpReason::kAuthenticationRequirements);
}

void Pairing::on_pdu(LegacyPhase2&, const Pdu&) {
  fail(SmpReason::kAuthenticationRequirements);
}

// With Secure Connections the LTK is derived, never distributed (3.6.1):
// start_key_distribution() clears EncKey, so this is never called.
void Pairing::distribute_legacy_ltk(PairingResult&) {}

}  // namespace sable::smp
