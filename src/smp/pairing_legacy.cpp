// LE legacy pairing phase 2 (Core 5.4 Vol 3 Part H 2.3.5.2 - 2.3.5.5): TK
// from Just Works (0), the passkey or OOB; Mconfirm/Sconfirm with c1, then
// Mrand/Srand; each side checks the other's confirm; STK = s1.
//
// This translation unit is linked when SABLE_LEGACY_PAIRING is ON (the
// default). An LE Secure Connections only build links
// sc_only/pairing_legacy_refused.cpp in its place.
#include "smp/pairing_detail.hpp"

namespace sable::smp {
namespace {

using detail::equal;
using detail::mask_key;
using detail::passkey_key;

}  // namespace

bool legacy_pairing_linked() {
  return true;
}

void Pairing::start_legacy_phase2() {
  // 2.3.5.2 - 2.3.5.4: TK is 0 for Just Works, the passkey, or the OOB data.
  const Negotiated& n = *neg_;
  LegacyPhase2& phase = enter<LegacyPhase2>();
  if (n.method == PairingMethod::kJustWorks) {
    phase.tk_ready = true;
  } else if (n.method == PairingMethod::kOutOfBand) {
    phase.tk = policy_.oob->tk;
    phase.tk_ready = true;
  } else if (passkey_ready_) {
    phase.tk = passkey_key(passkey_.v);
    phase.tk_ready = true;
  }
  phase.local_random = random_bytes<16>();
  legacy_try_send_confirm(phase);
}

// The user typed (or the app chose) the passkey: it is the TK (2.3.5.3).
void Pairing::legacy_passkey_entered(LegacyPhase2& phase) {
  phase.tk = passkey_key(passkey_.v);
  phase.tk_ready = true;
  legacy_try_send_confirm(phase);
}

// The initiator sends Mconfirm, the responder answers Sconfirm, then Mrand,
// Srand (2.3.5.5).
void Pairing::legacy_try_send_confirm(LegacyPhase2& phase) {
  if (!phase.tk_ready || phase.confirm_sent) return;
  if (!we_are_initiator() && !phase.peer_confirm) return;  // Sconfirm follows Mconfirm
  const Negotiated& n = *neg_;
  phase.local_confirm =
      c1(phase.tk, phase.local_random, n.preq, n.pres, initiator_address(), responder_address());
  send(Opcode::kPairingConfirm, phase.local_confirm.data());
  phase.confirm_sent = true;
  if (!we_are_initiator()) phase.awaiting_random = true;
}

void Pairing::on_pdu(LegacyPhase2& phase, const Pdu& pdu) {
  const Opcode op = pdu.opcode();
  if (op == Opcode::kPairingConfirm) {
    const Key confirm = pdu.value();
    if (phase.peer_confirm || (we_are_initiator() && !phase.confirm_sent)) {
      return reject(SmpReason::kUnspecifiedReason);
    }
    if (we_are_initiator()) {
      // A responder echoing Mconfirm (SM/CEN/JW/BI-06-C, VU#799380).
      if (equal(confirm, phase.local_confirm)) {
        return fail(SmpReason::kConfirmValueFailed);
      }
      phase.peer_confirm = confirm;
      send(Opcode::kPairingRandom, phase.local_random.data());
      phase.awaiting_random = true;
    } else {
      phase.peer_confirm = confirm;
      legacy_try_send_confirm(phase);
    }
    return;
  }
  if (op == Opcode::kPairingRandom) {
    const Random random = pdu.value();
    if (!phase.awaiting_random) return reject(SmpReason::kUnspecifiedReason);
    const Negotiated& n = *neg_;
    const Key expected =
        c1(phase.tk, random, n.preq, n.pres, initiator_address(), responder_address());
    if (equal(random, phase.local_random) || !equal(expected, *phase.peer_confirm)) {
      return fail(SmpReason::kConfirmValueFailed);
    }
    if (!we_are_initiator()) send(Opcode::kPairingRandom, phase.local_random.data());
    // 2.3.5.5: STK = s1(TK, Srand, Mrand), masked to the key size.
    const Random& srand = we_are_initiator() ? random : phase.local_random;
    const Random& mrand = we_are_initiator() ? phase.local_random : random;
    Secret<Key> stk{mask_key(s1(phase.tk, srand, mrand), n.key_size)};
    return enter_encrypting(stk.v);
  }
  reject_unless_keypress(pdu);
}

// Phase 3, Encryption Information and Central Identification (3.6.1): a new
// random LTK (masked to the key size), EDIV and Rand.
void Pairing::distribute_legacy_ltk(PairingResult& r) {
  Secret<LongTermKey> ltk;
  ltk.v.key = mask_key(random_bytes<16>(), r.key_size);
  // Central Identification (3.6.3): EDIV, then Rand, little endian.
  const auto identification = random_bytes<10>();
  const uint8_t* rand = &identification[2];
  ltk.v.rand = uint64_t(get_le32(rand)) | (uint64_t(get_le32(rand + 4)) << 32);
  ltk.v.ediv = get_le16(identification.data());
  ltk.v.key_size = r.key_size;
  ltk.v.authenticated = r.authenticated;
  ltk.v.secure_connections = false;
  send(Opcode::kEncryptionInformation, ltk.v.key.data());
  send(Opcode::kCentralIdentification, identification.data());
  r.local_ltk = ltk.v;
}

}  // namespace sable::smp
