// LE Secure Connections phase 2 (Core 5.4 Vol 3 Part H 2.3.5.6): the P-256
// public key exchange and DHKey, authentication stage 1 for each association
// model (Just Works / Numeric Comparison: one Cb commitment; Passkey Entry:
// 20 rounds, one passkey bit each) and stage 2, f5 then the DHKey Check.
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

void Pairing::start_secure_connections_phase2(TimePoint now) {
  // 2.3.5.6.1: a fresh key pair for each pairing; the initiator sends first.
  auto pair = crypto::generate_p256_key_pair(random_);
  if (!pair) return fail(now, SmpReason::kUnspecifiedReason, FailureOrigin::kLocal);
  ScPublicKeyExchange phase;
  phase.local.v = *pair;
  crypto::secure_wipe(pair->private_key);
  if (we_are_initiator()) send(PairingPublicKey{phase.local.v.public_key}, now);
  phase_ = phase;
}

void Pairing::on_pdu(TimePoint now, ScPublicKeyExchange& phase, const Pdu& pdu) {
  if (const auto* pk = std::get_if<PairingPublicKey>(&pdu)) {
    Secret<crypto::P256KeyPair> local(phase.local.v);
    return on_peer_public_key(now, local.v, pk->key);
  }
  if (std::holds_alternative<PairingKeypressNotification>(pdu) && keypress_allowed()) return;
  reject(now, SmpReason::kUnspecifiedReason);
}

void Pairing::on_peer_public_key(TimePoint now, const crypto::P256KeyPair& local,
                                 const crypto::P256PublicKey& peer) {
  // 2.3.5.6.1. Validation order: coordinates in range and on the curve
  // (CVE-2018-5383): no DHKey exists, so DHKey Check Failed; the same X as
  // ours (CVE-2020-26558 reflection): Invalid Parameters; the debug key when
  // not allowed: our security policy refuses it, Authentication Requirements.
  if (!crypto::is_valid_p256_public_key(peer)) {
    return fail(now, SmpReason::kDhKeyCheckFailed, FailureOrigin::kLocal);
  }
  if (peer.x == local.public_key.x) {
    return fail(now, SmpReason::kInvalidParameters, FailureOrigin::kLocal);
  }
  const bool debug = peer == kDebugKeyPair.public_key;
  if (debug && !policy_.allow_debug_keys) {
    return fail(now, SmpReason::kAuthenticationRequirements, FailureOrigin::kLocal);
  }
  neg_->peer_debug_key = debug;
  auto dh = crypto::p256_dh_key(local, peer);
  if (!dh) return fail(now, SmpReason::kDhKeyCheckFailed, FailureOrigin::kLocal);

  if (!we_are_initiator()) send(PairingPublicKey{local.public_key}, now);
  ScStage1 stage;
  stage.local.v = local;
  stage.peer = peer;
  stage.dhkey.v = *dh;
  crypto::secure_wipe(*dh);
  phase_ = stage;
  ScStage1& s = std::get<ScStage1>(phase_);
  const PairingMethod m = neg_->method;
  if (is_passkey(m)) {
    stage1_send_confirm(now, s);  // the initiator starts round 1 once it knows the passkey
  } else if (!we_are_initiator()) {
    // 2.3.5.6.2: the responder commits to Nb: Cb = f4(PKbx, PKax, Nb, 0).
    s.local_nonce.v = random_bytes<16>();
    s.local_confirm = f4(s.local.v.public_key.x, s.peer.x, s.local_nonce.v, 0);
    send(PairingConfirm{s.local_confirm}, now);
    s.confirm_sent = true;
    s.awaiting_random = true;
  }
}

// Passkey Entry round i (2.3.5.6.3): Cai = f4(PKax, PKbx, Nai, 0x80|rai) from
// the initiator, then Cbi = f4(PKbx, PKax, Nbi, 0x80|rbi) from the responder.
// Both have the sender's own X first.
void Pairing::stage1_send_confirm(TimePoint now, ScStage1& s) {
  if (!is_passkey(neg_->method) || !passkey_ready_ || s.confirm_sent) return;
  if (!we_are_initiator() && !s.peer_confirm) return;
  s.local_nonce.v = random_bytes<16>();
  const uint8_t z = uint8_t(0x80 | ((passkey_.v >> s.round) & 1));
  s.local_confirm = f4(s.local.v.public_key.x, s.peer.x, s.local_nonce.v, z);
  send(PairingConfirm{s.local_confirm}, now);
  s.confirm_sent = true;
  if (!we_are_initiator()) s.awaiting_random = true;
}

void Pairing::on_pdu(TimePoint now, ScStage1& s, const Pdu& pdu) {
  const bool passkey = is_passkey(neg_->method);
  if (const auto* confirm = std::get_if<PairingConfirm>(&pdu)) {
    if (s.peer_confirm) return reject(now, SmpReason::kUnspecifiedReason);
    if (we_are_initiator()) {
      // JW/NC: Cb is the first stage-1 PDU. Passkey: Cbi answers our Cai.
      if (passkey && !s.confirm_sent) return reject(now, SmpReason::kUnspecifiedReason);
      if (passkey && equal(confirm->value, s.local_confirm)) {
        return fail(now, SmpReason::kConfirmValueFailed, FailureOrigin::kLocal);  // reflected
      }
      s.peer_confirm = confirm->value;
      if (!passkey) s.local_nonce.v = random_bytes<16>();  // Na
      send(PairingRandom{s.local_nonce.v}, now);
      s.awaiting_random = true;
      return;
    }
    if (!passkey) return reject(now, SmpReason::kUnspecifiedReason);  // JW/NC: Cb only
    s.peer_confirm = confirm->value;
    stage1_send_confirm(now, s);
    return;
  }
  if (const auto* random = std::get_if<PairingRandom>(&pdu)) {
    if (!s.awaiting_random) return reject(now, SmpReason::kUnspecifiedReason);
    const uint8_t z = passkey ? uint8_t(0x80 | ((passkey_.v >> s.round) & 1)) : 0;
    // The initiator always checks Cb(i); the responder can check Ca(i) only
    // with Passkey Entry (JW/NC have no initiator commitment, 2.3.5.6.2).
    if (we_are_initiator() || passkey) {
      const Key expected = f4(s.peer.x, s.local.v.public_key.x, random->value, z);
      if (!equal(expected, *s.peer_confirm)) {
        return fail(now, SmpReason::kConfirmValueFailed, FailureOrigin::kLocal);
      }
    }
    if (!we_are_initiator()) send(PairingRandom{s.local_nonce.v}, now);
    return stage1_round_done(now, s, random->value);
  }
  if (std::holds_alternative<PairingKeypressNotification>(pdu) && keypress_allowed()) return;
  reject(now, SmpReason::kUnspecifiedReason);
}

void Pairing::stage1_round_done(TimePoint now, ScStage1& s, const Random& peer_nonce) {
  const PairingMethod m = neg_->method;
  if (is_passkey(m) && ++s.round < 20) {
    s.confirm_sent = false;
    s.awaiting_random = false;
    s.peer_confirm.reset();
    s.local_confirm = {};
    stage1_send_confirm(now, s);  // only the initiator can start the next round
    return;
  }
  // Authentication stage 2 (2.3.5.6.5): MacKey || LTK = f5(DHKey, Na, Nb, A, B).
  ScDhKeyCheck d;
  d.na = we_are_initiator() ? s.local_nonce.v : peer_nonce;
  d.nb = we_are_initiator() ? peer_nonce : s.local_nonce.v;
  F5Keys keys = f5(s.dhkey.v, d.na, d.nb, initiator_address(), responder_address());
  d.mac_key.v = keys.mac_key;
  d.ltk.v = keys.ltk;
  crypto::secure_wipe(keys.mac_key);
  crypto::secure_wipe(keys.ltk);
  if (is_passkey(m)) d.r.v = passkey_key(passkey_.v);  // ra = rb = the passkey
  d.user_confirmed = m != PairingMethod::kNumericComparison;
  uint32_t compare = 0;
  if (m == PairingMethod::kNumericComparison) {
    // 2.3.5.6.2: Va = Vb = g2(PKax, PKbx, Na, Nb) mod 10^6.
    const Coordinate& pkax = we_are_initiator() ? s.local.v.public_key.x : s.peer.x;
    const Coordinate& pkbx = we_are_initiator() ? s.peer.x : s.local.v.public_key.x;
    compare = g2(pkax, pkbx, d.na, d.nb);
  }
  phase_ = d;  // destroys stage 1 (private key, DHKey, nonces)
  if (m == PairingMethod::kNumericComparison) {
    Effect e;
    e.kind = Effect::Kind::kConfirmNumeric;
    e.value = compare;
    push(e);
  }
  dhkey_check_step(now, std::get<ScDhKeyCheck>(phase_));
}

// Ea = f6(MacKey, Na, Nb, rb, IOcapA, A, B) from the initiator;
// Eb = f6(MacKey, Nb, Na, ra, IOcapB, B, A) from the responder (2.3.5.6.5).
void Pairing::dhkey_check_step(TimePoint now, ScDhKeyCheck& d) {
  if (!d.user_confirmed) return;
  const Negotiated& n = *neg_;
  const Address& a = initiator_address();
  const Address& b = responder_address();
  if (we_are_initiator()) {
    if (d.check_sent) return;
    send(PairingDhKeyCheck{f6(d.mac_key.v, d.na, d.nb, d.r.v, io_cap_octets(n.preq), a, b)}, now);
    d.check_sent = true;
    return;
  }
  if (!d.peer_check) return;
  const Key ea = f6(d.mac_key.v, d.na, d.nb, d.r.v, io_cap_octets(n.preq), a, b);
  if (!equal(ea, *d.peer_check)) {
    return fail(now, SmpReason::kDhKeyCheckFailed, FailureOrigin::kLocal);
  }
  send(PairingDhKeyCheck{f6(d.mac_key.v, d.nb, d.na, d.r.v, io_cap_octets(n.pres), b, a)}, now);
  Secret<Key> ltk(mask_key(d.ltk.v, n.key_size));
  enter_encrypting(now, ltk.v);
}

void Pairing::on_pdu(TimePoint now, ScDhKeyCheck& d, const Pdu& pdu) {
  const auto* check = std::get_if<PairingDhKeyCheck>(&pdu);
  if (check == nullptr || d.peer_check || (we_are_initiator() && !d.check_sent)) {
    return reject(now, SmpReason::kUnspecifiedReason);
  }
  if (!we_are_initiator()) {
    d.peer_check = check->value;  // checked once the user has confirmed (NC)
    return dhkey_check_step(now, d);
  }
  const Negotiated& n = *neg_;
  const Key eb = f6(d.mac_key.v, d.nb, d.na, d.r.v, io_cap_octets(n.pres), responder_address(),
                    initiator_address());
  if (!equal(eb, check->value)) {
    return fail(now, SmpReason::kDhKeyCheckFailed, FailureOrigin::kLocal);
  }
  Secret<Key> ltk(mask_key(d.ltk.v, n.key_size));
  enter_encrypting(now, ltk.v);
}

}  // namespace sable::smp
