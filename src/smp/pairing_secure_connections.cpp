// LE Secure Connections phase 2 (Core 5.4 Vol 3 Part H 2.3.5.6): the P-256
// public key exchange and DHKey, authentication stage 1 for each association
// model (Just Works / Numeric Comparison: one Cb commitment; Passkey Entry:
// 20 rounds, one passkey bit each) and stage 2, f5 then the DHKey Check.
#include <algorithm>

#include "common/log.hpp"
#include "smp/pairing_detail.hpp"

namespace sable::smp {
namespace {

using detail::equal;
using detail::is_passkey;
using detail::mask_key;
using detail::passkey_key;

IoCapOctets io_cap_octets(const PairingPdu& pdu) {
  return {pdu[1], pdu[2], pdu[3]};
}

}  // namespace

void Pairing::send_public_key(const crypto::P256PublicKey& key) {
  // X then Y (3.5.6): the two arrays of the struct, adjacent.
  static_assert(sizeof(crypto::P256PublicKey) == 64 && offsetof(crypto::P256PublicKey, y) == 32);
  send(Opcode::kPairingPublicKey, reinterpret_cast<const uint8_t*>(&key));
}

void Pairing::start_secure_connections_phase2() {
  // 2.3.5.6.1: a fresh key pair for each pairing; the initiator sends first.
  auto pair = crypto::generate_p256_key_pair(random_);
  if (!pair) return fail(SmpReason::kUnspecifiedReason);
  ScStage1& s = enter<ScStage1>(PhaseId::kScPublicKeyExchange);
  s.local = *pair;
  crypto::secure_wipe(pair->private_key);
  if (we_are_initiator()) send_public_key(s.local.public_key);
}

void Pairing::on_peer_public_key(ScStage1& s, const Pdu& pdu) {
  // 2.3.5.6.1. Validation order: coordinates in range and on the curve
  // (CVE-2018-5383): no DHKey exists, so DHKey Check Failed; the same X as
  // ours (CVE-2020-26558 reflection): Invalid Parameters; the debug key when
  // not allowed: our security policy refuses it, Authentication Requirements.
  // X then Y (3.5.6), read in place into the struct that holds them adjacent
  // (see send_public_key).
  std::copy_n(pdu.params().data(), sizeof(s.peer), reinterpret_cast<uint8_t*>(&s.peer));
  if (!crypto::is_valid_p256_public_key(s.peer)) {
    return fail(SmpReason::kDhKeyCheckFailed);
  }
  if (s.peer.x == s.local.public_key.x) {
    return fail(SmpReason::kInvalidParameters);
  }
  const bool debug = s.peer == kDebugPublicKey;
  if (debug && !policy_.allow_debug_keys) {
    return fail(SmpReason::kAuthenticationRequirements);
  }
  neg_->peer_debug_key = debug;
  auto dh = crypto::p256_dh_key(s.local, s.peer);
  if (!dh) return fail(SmpReason::kDhKeyCheckFailed);

  if (!we_are_initiator()) send_public_key(s.local.public_key);
  // Stage 1 continues in the same object.
  phase_ = PhaseId::kScStage1;
  s.dhkey = *dh;
  crypto::secure_wipe(*dh);
  const PairingMethod m = neg_->method;
  if (is_passkey(m)) {
    stage1_send_confirm(s);  // the initiator starts round 1 once it knows the passkey
  } else if (!we_are_initiator()) {
    // 2.3.5.6.2: the responder commits to Nb: Cb = f4(PKbx, PKax, Nb, 0).
    send_commitment(s);
  }
}

// Passkey Entry round i (2.3.5.6.3): Cai = f4(PKax, PKbx, Nai, 0x80|rai) from
// the initiator, then Cbi = f4(PKbx, PKax, Nbi, 0x80|rbi) from the responder.
// Both have the sender's own X first.
void Pairing::stage1_send_confirm(ScStage1& s) {
  if (!is_passkey(neg_->method) || !passkey_ready_ || s.confirm_sent) return;
  if (!we_are_initiator() && !s.peer_confirm) return;
  send_commitment(s);
}

uint8_t Pairing::passkey_z(const ScStage1& s) const {
  return is_passkey(neg_->method) ? uint8_t(0x80 | ((passkey_.v >> s.round) & 1)) : 0;
}

void Pairing::send_commitment(ScStage1& s) {
  s.local_nonce = random_bytes<16>();
  s.local_confirm = f4(s.local.public_key.x, s.peer.x, s.local_nonce, passkey_z(s));
  send(Opcode::kPairingConfirm, s.local_confirm.data());
  s.confirm_sent = true;
  if (!we_are_initiator()) s.awaiting_random = true;
}

void Pairing::on_pdu(ScStage1& s, const Pdu& pdu) {
  const bool passkey = is_passkey(neg_->method);
  const Opcode op = pdu.opcode();
  if (phase_ == PhaseId::kScPublicKeyExchange) {
    if (op == Opcode::kPairingPublicKey) return on_peer_public_key(s, pdu);
  } else if (op == Opcode::kPairingConfirm) {
    const Key confirm = pdu.value();
    if (s.peer_confirm) return reject(SmpReason::kUnspecifiedReason);
    if (we_are_initiator()) {
      // JW/NC: Cb is the first stage-1 PDU. Passkey: Cbi answers our Cai.
      if (passkey && !s.confirm_sent) return reject(SmpReason::kUnspecifiedReason);
      if (passkey && equal(confirm, s.local_confirm)) {
        return fail(SmpReason::kConfirmValueFailed);  // reflected
      }
      s.peer_confirm = confirm;
      if (!passkey) s.local_nonce = random_bytes<16>();  // Na
      send(Opcode::kPairingRandom, s.local_nonce.data());
      s.awaiting_random = true;
      return;
    }
    if (!passkey) return reject(SmpReason::kUnspecifiedReason);  // JW/NC: Cb only
    s.peer_confirm = confirm;
    stage1_send_confirm(s);
    return;
  } else if (op == Opcode::kPairingRandom) {
    const Random random = pdu.value();
    if (!s.awaiting_random) return reject(SmpReason::kUnspecifiedReason);
    const uint8_t z = passkey_z(s);
    // The initiator always checks Cb(i); the responder can check Ca(i) only
    // with Passkey Entry (JW/NC have no initiator commitment, 2.3.5.6.2).
    if (we_are_initiator() || passkey) {
      const Key expected = f4(s.peer.x, s.local.public_key.x, random, z);
      if (!equal(expected, *s.peer_confirm)) {
        return fail(SmpReason::kConfirmValueFailed);
      }
    }
    if (!we_are_initiator()) send(Opcode::kPairingRandom, s.local_nonce.data());
    return stage1_round_done(s, random);
  }
  reject_unless_keypress(pdu);
}

void Pairing::stage1_round_done(ScStage1& s, const Random& peer_nonce) {
  const PairingMethod m = neg_->method;
  if (is_passkey(m) && ++s.round < 20) {
    s.confirm_sent = false;
    s.awaiting_random = false;
    s.peer_confirm.reset();
    s.local_confirm = {};
    stage1_send_confirm(s);  // only the initiator can start the next round
    return;
  }
  // Authentication stage 2 (2.3.5.6.5): MacKey || LTK = f5(DHKey, Na, Nb, A, B).
  const Random na = we_are_initiator() ? s.local_nonce : peer_nonce;
  const Random nb = we_are_initiator() ? peer_nonce : s.local_nonce;
  Secret<F5Keys> keys{f5(s.dhkey, na, nb, initiator_address(), responder_address())};
  Event e;
  e.kind = Event::Kind::kConfirmNumeric;
  if (m == PairingMethod::kNumericComparison) {
    // 2.3.5.6.2: Va = Vb = g2(PKax, PKbx, Na, Nb) mod 10^6.
    const Coordinate& pkax = we_are_initiator() ? s.local.public_key.x : s.peer.x;
    const Coordinate& pkbx = we_are_initiator() ? s.peer.x : s.local.public_key.x;
    e.value = g2(pkax, pkbx, na, nb);
  }
  ScDhKeyCheck& d = enter<ScDhKeyCheck>();  // wipes stage 1 (private key, DHKey, nonces)
  d.na = na;
  d.nb = nb;
  d.mac_key = keys.v.mac_key;
  d.ltk = keys.v.ltk;
  if (is_passkey(m)) d.r = passkey_key(passkey_.v);  // ra = rb = the passkey
  d.user_confirmed = m != PairingMethod::kNumericComparison;
  if (!d.user_confirmed) push(e);
  dhkey_check_step(d);
}

// Ea = f6(MacKey, Na, Nb, rb, IOcapA, A, B) from the initiator;
// Eb = f6(MacKey, Nb, Na, ra, IOcapB, B, A) from the responder (2.3.5.6.5).
Key Pairing::dhkey_check_value(const ScDhKeyCheck& d, bool of_initiator) const {
  const Negotiated& n = *neg_;
  const Address& a = initiator_address();
  const Address& b = responder_address();
  return f6(d.mac_key, of_initiator ? d.na : d.nb, of_initiator ? d.nb : d.na, d.r,
            io_cap_octets(of_initiator ? n.preq : n.pres), of_initiator ? a : b,
            of_initiator ? b : a);
}

void Pairing::dhkey_check_step(ScDhKeyCheck& d) {
  if (!d.user_confirmed) return;
  if (we_are_initiator()) {
    if (d.check_sent) return;
    send(Opcode::kPairingDhKeyCheck, dhkey_check_value(d, true).data());
    d.check_sent = true;
    return;
  }
  if (d.peer_check) finish_dhkey_check(d, *d.peer_check);
}

// The peer's Ea (we respond) or Eb (we initiate) is verified; the responder
// then sends Eb, and the link is encrypted with the LTK.
void Pairing::finish_dhkey_check(ScDhKeyCheck& d, const Key& peer_check) {
  if (!equal(dhkey_check_value(d, !we_are_initiator()), peer_check)) {
    return fail(SmpReason::kDhKeyCheckFailed);
  }
  if (!we_are_initiator()) send(Opcode::kPairingDhKeyCheck, dhkey_check_value(d, false).data());
  Secret<Key> ltk{mask_key(d.ltk, neg_->key_size)};
  enter_encrypting(ltk.v);
}

void Pairing::on_pdu(ScDhKeyCheck& d, const Pdu& pdu) {
  if (pdu.opcode() != Opcode::kPairingDhKeyCheck || d.peer_check ||
      (we_are_initiator() && !d.check_sent)) {
    return reject(SmpReason::kUnspecifiedReason);
  }
  if (!we_are_initiator()) {
    d.peer_check = pdu.value();  // checked once the user has confirmed (NC)
    return dhkey_check_step(d);
  }
  finish_dhkey_check(d, pdu.value());
}

}  // namespace sable::smp
