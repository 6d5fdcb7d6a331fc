// Phase 1 of SMP pairing, the feature exchange (Core 5.4 Vol 3 Part H 2.3):
// Pairing Request / Response, Security Request, the association model, the
// key size, the checks that refuse a pairing before it starts, and the
// passkey; then the hand-over to phase 2 (LE Secure Connections or legacy).
#include <algorithm>

#include "common/log.hpp"
#include "smp/pairing_detail.hpp"

namespace sable::smp {
namespace {

using detail::is_passkey;

// Vol 3 Part H 2.3.5.1, Table 2.8, indexed [responder IO][initiator IO]
// (IoCap order: DisplayOnly, DisplayYesNo, KeyboardOnly, NoInputNoOutput,
// KeyboardDisplay). LE legacy and SC differ only where SC uses Numeric
// Comparison (both sides can display and at least one can say yes/no).
constexpr PairingMethod J = PairingMethod::kJustWorks;
constexpr PairingMethod I = PairingMethod::kPasskeyInitiatorDisplays;
constexpr PairingMethod R = PairingMethod::kPasskeyResponderDisplays;
constexpr PairingMethod B = PairingMethod::kPasskeyBothInput;
constexpr PairingMethod N = PairingMethod::kNumericComparison;
constexpr PairingMethod kLegacyTable[5][5] = {
    /* DisplayOnly     */ {J, J, R, J, R},
    /* DisplayYesNo    */ {J, J, R, J, R},
    /* KeyboardOnly    */ {I, I, B, J, I},
    /* NoInputNoOutput */ {J, J, J, J, J},
    /* KeyboardDisplay */ {I, I, R, J, I},
};
constexpr PairingMethod kScTable[5][5] = {
    /* DisplayOnly     */ {J, J, R, J, R},
    /* DisplayYesNo    */ {J, N, R, J, N},
    /* KeyboardOnly    */ {I, I, B, J, I},
    /* NoInputNoOutput */ {J, J, J, J, J},
    /* KeyboardDisplay */ {I, N, R, J, N},
};

}  // namespace

PairingMethod select_method(bool sc, const PairingFeatures& initiator,
                            const PairingFeatures& responder) {
  // 2.3.5.1: legacy uses OOB if both have OOB data, SC if at least one has
  // the peer's; otherwise, if neither asks for MITM, Just Works; else the table.
  const bool oob = sc ? (initiator.oob_data_flag || responder.oob_data_flag)
                      : (initiator.oob_data_flag && responder.oob_data_flag);
  if (oob) return PairingMethod::kOutOfBand;
  if (!initiator.mitm() && !responder.mitm()) return PairingMethod::kJustWorks;
  const auto& table = sc ? kScTable : kLegacyTable;
  return table[uint8_t(responder.io_cap)][uint8_t(initiator.io_cap)];
}

// ---------------------------------------------------------------------------
// Phase 1: feature exchange (2.3).

PairingFeatures Pairing::local_features() const {
  PairingFeatures f;
  f.io_cap = policy_.io_cap;
  const bool bonding = (policy_.auth.bits() & kBondingFlagsMask) == kBondingFlagsBonding;
  const bool want_sc = policy_.sc_only || policy_.auth.has(AuthReq::kSc);
  // We never generate keypress notifications, so the Keypress flag stays 0;
  // CT2 stays 0 (no cross-transport key derivation on an LE-only host).
  uint8_t auth = uint8_t((bonding ? kBondingFlagsBonding : 0) |
                         (policy_.auth.bits() & AuthReq::kMitm) | (want_sc ? AuthReq::kSc : 0));
  f.auth = AuthReq(auth);
  f.oob_data_flag = (policy_.oob.has_value() && !want_sc) ? 1 : 0;
  f.max_key_size = policy_.max_key_size;
  f.initiator_key_distribution = bonding ? policy_.initiator_key_distribution : 0;
  f.responder_key_distribution = bonding ? policy_.responder_key_distribution : 0;
  return f;
}

std::optional<SmpReason> Pairing::negotiate(const PairingFeatures& req, const PairingPdu& preq,
                                            const PairingFeatures& res, const PairingPdu& pres) {
  // Written in place: a refusal below always ends in fail(), which resets it.
  Negotiated& n = neg_.emplace();
  n.preq = preq;
  n.pres = pres;
  n.sc = req.sc() && res.sc();
  // Secure Connections Only mode (2.3.5.1 / Vol 3 Part C 10.2.4).
  if (policy_.sc_only && !n.sc) return SmpReason::kAuthenticationRequirements;
  // 2.3.4: the smaller of both maxima, refused below our minimum (KNOB).
  n.key_size = std::min(req.max_key_size, res.max_key_size);
  if (n.key_size < policy_.min_key_size) return SmpReason::kEncryptionKeySize;
  n.method = select_method(n.sc, req, res);
  if (n.method == PairingMethod::kOutOfBand && (n.sc || !policy_.oob)) {
    return SmpReason::kOobNotAvailable;
  }
  // 2.3.5.1: if our MITM requirement cannot be met, fail rather than pair
  // unauthenticated.
  if (policy_.auth.has(AuthReq::kMitm) && !is_authenticated(n.method)) {
    return SmpReason::kAuthenticationRequirements;
  }
  // Never let a weaker pairing replace a stronger bond (attack #18).
  if (auto bond = delegate_.existing_bond_for_peer()) {
    const bool weaker = (bond->authenticated && !is_authenticated(n.method)) ||
                        (bond->secure_connections && !n.sc) || n.key_size < bond->key_size;
    if (weaker) return SmpReason::kAuthenticationRequirements;
  }
  n.bonding = req.bonding() && res.bonding();
  return std::nullopt;
}

void Pairing::on_pairing_request(const Pdu& req) {
  if (refused_by_repeated_attempts()) {
    fail(SmpReason::kRepeatedAttempts);
    return;
  }
  // 3.5.2: the response's key distribution is the request's, limited to what
  // we allow; the LinkKey bit (CTKD) is never set by this LE-only host.
  const PairingFeatures features = req.features();
  PairingFeatures res = local_features();
  res.initiator_key_distribution &= features.initiator_key_distribution;
  res.responder_key_distribution &= features.responder_key_distribution;
  const PairingPdu pres = encode_pairing_pdu(Opcode::kPairingResponse, res);
  if (auto error = negotiate(features, req.raw(), res, pres)) {
    fail(*error);
    return;
  }
  send(Opcode::kPairingResponse, &pres[1]);
  start_phase2();
}

void Pairing::send_pairing_request() {
  AwaitingResponse& a = enter<AwaitingResponse>();
  a.request = local_features();
  a.raw = encode_pairing_pdu(Opcode::kPairingRequest, a.request);
  send(Opcode::kPairingRequest, &a.raw[1]);
}

void Pairing::on_security_request(const Pdu& req) {
  if (refused_by_repeated_attempts()) {
    fail(SmpReason::kRepeatedAttempts);
    return;
  }
  switch (delegate_.on_security_request(req.auth())) {
    case SecurityRequestAction::kPair:
      return send_pairing_request();
    case SecurityRequestAction::kEncryptWithBond:
      return;
    case SecurityRequestAction::kReject:
      send_octet(Opcode::kPairingFailed, uint8_t(SmpReason::kPairingNotSupported));
      deadline_ = kNever;
      return;
  }
}

void Pairing::on_pdu(AwaitingResponse& phase, const Pdu& pdu) {
  if (pdu.opcode() != Opcode::kPairingResponse) return reject(SmpReason::kUnspecifiedReason);
  const PairingFeatures req = phase.request;
  const PairingPdu preq = phase.raw;
  const PairingFeatures res = pdu.features();
  // 3.5.2: the responder may clear key distribution bits, never set new ones.
  if ((res.initiator_key_distribution & ~req.initiator_key_distribution) != 0 ||
      (res.responder_key_distribution & ~req.responder_key_distribution) != 0) {
    return fail(SmpReason::kInvalidParameters);
  }
  if (auto error = negotiate(req, preq, res, pdu.raw())) {
    return fail(*error);
  }
  start_phase2();
}

void Pairing::start_passkey() {
  const PairingMethod m = neg_->method;
  const bool display = (m == PairingMethod::kPasskeyInitiatorDisplays && we_are_initiator()) ||
                       (m == PairingMethod::kPasskeyResponderDisplays && !we_are_initiator());
  Event e;
  if (!display) {
    e.kind = Event::Kind::kRequestPasskey;
    e.request = PasskeyRequest::kEnter;
    passkey_requested_ = true;
    push(e);
    return;
  }
  switch (policy_.passkey_source) {
    case PasskeySource::kRandom:
      // 2.3.5.6.3 / 2.3.5.3: a new random passkey for each pairing.
      passkey_.v = random_passkey();
      break;
    case PasskeySource::kStatic:
      SABLE_LOG_WARN("smp: using a static passkey; the spec requires a new random one each time");
      passkey_.v = policy_.static_passkey;
      break;
    case PasskeySource::kApp:
      e.kind = Event::Kind::kRequestPasskey;
      e.request = PasskeyRequest::kChooseForDisplay;
      passkey_requested_ = true;
      push(e);
      return;
  }
  passkey_ready_ = true;
  e.kind = Event::Kind::kDisplayPasskey;
  e.value = passkey_.v;
  push(e);
}

void Pairing::start_phase2() {
  if (is_passkey(neg_->method)) start_passkey();
  if (neg_->sc) {
    start_secure_connections_phase2();
  } else {
    start_legacy_phase2();
  }
}

uint32_t Pairing::random_passkey() {
  // Uniform over 000000..999999: reject the top partial block of 2^32.
  constexpr uint32_t kLimit = 4294u * 1000000u;
  for (;;) {
    auto b = random_bytes<4>();
    const uint32_t v = get_le32(b.data());
    crypto::secure_wipe(b);
    if (v < kLimit) return v % 1000000u;
  }
}

}  // namespace sable::smp
