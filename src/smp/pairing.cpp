// SMP pairing state machine (Core 5.4 Vol 3 Part H 2.3, 2.4, 3).
#include "smp/pairing.hpp"

#include <algorithm>

#include "common/log.hpp"

namespace sable::smp {
namespace {

constexpr uint8_t kLeKeys = key_dist::kEncKey | key_dist::kIdKey | key_dist::kSignKey;

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

bool is_passkey(PairingMethod m) {
  return m == PairingMethod::kPasskeyInitiatorDisplays ||
         m == PairingMethod::kPasskeyResponderDisplays || m == PairingMethod::kPasskeyBothInput;
}

// Vol 3 Part H 2.3.4: a key shorter than 16 octets is the generated key with
// its most significant octets zeroed (in wire order: the last ones).
Key mask_key(Key k, uint8_t size) {
  for (size_t i = size; i < k.size(); ++i) k[i] = 0;
  return k;
}

// The passkey as a 128-bit value (TK in 2.3.5.3; ra/rb in 2.3.5.6.5), wire order.
Key passkey_key(uint32_t passkey) {
  Key k{};
  put_le32(k.data(), passkey);
  return k;
}

IoCapOctets io_cap_octets(const PairingPdu& pdu) {
  return {pdu[1], pdu[2], pdu[3]};
}

// Comparison of confirm/check values without an early exit.
bool equal(const Key& a, const Key& b) {
  uint8_t diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= uint8_t(a[i] ^ b[i]);
  return diff == 0;
}

// Failures that mean the peer could not prove the shared secret: these feed
// the Repeated Attempts back-off (2.3.6).
bool counts_as_failed_attempt(SmpReason r) {
  return r == SmpReason::kConfirmValueFailed || r == SmpReason::kDhKeyCheckFailed;
}

const char* origin_name(FailureOrigin o) {
  switch (o) {
    case FailureOrigin::kLocal:
      return "local";
    case FailureOrigin::kPeer:
      return "peer";
    case FailureOrigin::kTimeout:
      return "timeout";
  }
  return "?";
}

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

void Pairing::Effect::wipe() {
  pdu.wipe();
  crypto::secure_wipe(key);
  rand = 0;
  ediv = 0;
  value = 0;
}

Pairing::Pairing(Role role, const PairingPolicy& policy, PairingDelegate& delegate,
                 crypto::RandomSource& random, const LocalDevice& local,
                 const Address& peer_address_on_air, RepeatedAttempts* attempts)
    : role_(role),
      policy_(policy),
      delegate_(delegate),
      random_(random),
      local_(local),
      peer_(peer_address_on_air),
      attempts_(attempts) {
  policy_.min_key_size = std::clamp<uint8_t>(policy_.min_key_size, 7, 16);
  policy_.max_key_size = std::clamp<uint8_t>(policy_.max_key_size, policy_.min_key_size, 16);
  policy_.initiator_key_distribution &= kLeKeys;
  policy_.responder_key_distribution &= kLeKeys;
  if (policy_.passkey_source == PasskeySource::kStatic && policy_.static_passkey > 999999) {
    SABLE_LOG_ERROR("smp: static passkey %u out of range, using random passkeys",
                    unsigned(policy_.static_passkey));
    policy_.passkey_source = PasskeySource::kRandom;
  }
}

Pairing::~Pairing() {
  end_pairing();
  sends_.wipe();
  events_.wipe();
}

// ---------------------------------------------------------------------------
// Effects: delegate calls are queued and delivered once the input is applied.

template <size_t N>
void Pairing::EffectRing<N>::push(Effect& e) {
  if (count == N) __builtin_trap();  // bounded by design, see pairing.hpp
  items[(head + count) % N] = e;
  ++count;
  e.wipe();
}

template <size_t N>
bool Pairing::EffectRing<N>::pop(Effect& out) {
  if (count == 0) return false;
  out = items[head];
  items[head].wipe();
  head = (head + 1) % N;
  --count;
  return true;
}

template <size_t N>
void Pairing::EffectRing<N>::wipe() {
  for (auto& e : items) e.wipe();
  head = 0;
  count = 0;
}

void Pairing::push(Effect& e) {
  if (e.kind == Effect::Kind::kSend) {
    sends_.push(e);
  } else {
    events_.push(e);
  }
}

void Pairing::flush() {
  if (flushing_) return;  // a delegate called back in: the outer loop delivers
  flushing_ = true;
  Effect e;
  while (sends_.pop(e) || events_.pop(e)) {
    switch (e.kind) {
      case Effect::Kind::kSend:
        delegate_.send_smp(e.pdu.bytes());
        break;
      case Effect::Kind::kStartEncryption:
        delegate_.start_encryption(e.key, e.rand, e.ediv);
        break;
      case Effect::Kind::kDisplayPasskey:
        delegate_.display_passkey(e.value);
        break;
      case Effect::Kind::kRequestPasskey:
        delegate_.request_passkey(e.request);
        break;
      case Effect::Kind::kConfirmNumeric:
        delegate_.confirm_numeric_comparison(e.value);
        break;
      case Effect::Kind::kComplete: {
        Secret<PairingResult> result(completed_.v);
        completed_ = Secret<PairingResult>();
        delegate_.on_pairing_complete(result.v);
        break;
      }
      case Effect::Kind::kFailed:
        delegate_.on_pairing_failed(e.failure);
        break;
    }
    e.wipe();
  }
  flushing_ = false;
}

void Pairing::send(const Pdu& pdu, TimePoint now) {
  Effect e;
  e.kind = Effect::Kind::kSend;
  e.pdu = encode_pdu(pdu);
  push(e);
  // 3.4: the timer is reset whenever an SMP command is queued for transmission.
  deadline_ = now + kSmpTimeout;
}

// ---------------------------------------------------------------------------
// Entry points.

bool Pairing::security_request_pending() const {
  return std::holds_alternative<SecurityRequested>(phase_);
}

bool Pairing::in_progress() const {
  return !std::holds_alternative<Idle>(phase_) && !std::holds_alternative<TimedOut>(phase_);
}

bool Pairing::timed_out() const {
  return std::holds_alternative<TimedOut>(phase_);
}

const char* Pairing::phase_name() const {
  static constexpr const char* kNames[] = {
      "Idle",     "SecurityRequested", "AwaitingResponse", "LegacyPhase2",    "ScPublicKeyExchange",
      "ScStage1", "ScDhKeyCheck",      "Encrypting",       "KeyDistribution", "TimedOut"};
  static_assert(std::size(kNames) == std::variant_size_v<Phase>);
  return kNames[phase_.index()];
}

void Pairing::initiate(TimePoint now) {
  if (!std::holds_alternative<Idle>(phase_)) {
    SABLE_LOG_DEBUG("smp: initiate ignored in %s", phase_name());
    return;
  }
  if (role_ == Role::kInitiator) {
    // 2.3.6: after a failure, wait before sending a new Pairing Request.
    if (attempts_ != nullptr && attempts_->should_refuse(attempts_key(), now)) {
      Effect e;
      e.kind = Effect::Kind::kFailed;
      e.failure = {SmpReason::kRepeatedAttempts, FailureOrigin::kLocal};
      push(e);
    } else {
      AwaitingResponse a;
      a.request = local_features();
      a.raw = encode_pairing_pdu(Opcode::kPairingRequest, a.request);
      send(PairingRequest{a.request, a.raw}, now);
      phase_ = a;
    }
  } else {
    // 2.4.6: the peripheral asks the central to pair (or to encrypt).
    send(SecurityRequest{local_features().auth}, now);
    phase_.emplace<SecurityRequested>();
  }
  flush();
}

void Pairing::on_sdu(TimePoint now, Bytes sdu) {
  if (timed_out()) {
    // 3.4: after a timeout no more SMP on this link until it is re-established.
    SABLE_LOG_DEBUG("smp: PDU dropped after SMP timeout");
    return;
  }
  auto parsed = parse_pdu(sdu);
  if (!parsed) {
    SABLE_LOG_WARN("smp: malformed PDU (%zu octets): %s", sdu.size(), to_string(parsed.error()));
    reject(now, parsed.error());
  } else {
    handle(now, *parsed);
  }
  flush();
}

std::optional<Key> Pairing::on_long_term_key_request(TimePoint, uint64_t rand, uint16_t ediv) {
  // The STK / SC LTK has EDIV = Rand = 0 (2.4.4.1, 2.4.4.2). Only a finished
  // phase 2 yields a key (attacks #4, #5).
  auto* e = std::get_if<Encrypting>(&phase_);
  if (e == nullptr || role_ != Role::kResponder || rand != 0 || ediv != 0) return std::nullopt;
  return e->key.v;
}

void Pairing::on_encryption_changed(TimePoint now, uint8_t hci_status, bool encrypted) {
  if (auto* e = std::get_if<Encrypting>(&phase_)) {
    if (hci_status != 0 || !encrypted) {
      SABLE_LOG_WARN("smp: encryption with the new key failed (status 0x%02x)", hci_status);
      fail(now, SmpReason::kUnspecifiedReason, FailureOrigin::kLocal);
    } else {
      Secret<Key> key(e->key.v);
      start_key_distribution(now, key.v);
    }
    flush();
    return;
  }
  if (std::holds_alternative<SecurityRequested>(phase_) && hci_status == 0 && encrypted) {
    // The central answered our Security Request by encrypting with its bond.
    end_pairing();
  }
}

void Pairing::passkey_reply(TimePoint now, std::optional<uint32_t> passkey) {
  if (!in_progress() || !passkey_requested_ || passkey_ready_) {
    SABLE_LOG_DEBUG("smp: unexpected passkey reply ignored");
    return;
  }
  passkey_requested_ = false;
  if (!passkey || *passkey > 999999) {
    fail(now, SmpReason::kPasskeyEntryFailed, FailureOrigin::kLocal);
    flush();
    return;
  }
  passkey_.v = *passkey;
  passkey_ready_ = true;
  if (auto* legacy = std::get_if<LegacyPhase2>(&phase_)) {
    legacy->tk.v = passkey_key(passkey_.v);
    legacy->tk_ready = true;
    legacy_try_send_confirm(now, *legacy);
  } else if (auto* stage1 = std::get_if<ScStage1>(&phase_)) {
    stage1_send_confirm(now, *stage1);
  }  // ScPublicKeyExchange: used when stage 1 starts.
  flush();
}

void Pairing::numeric_comparison_reply(TimePoint now, bool accept) {
  auto* d = std::get_if<ScDhKeyCheck>(&phase_);
  if (d == nullptr || neg_->method != PairingMethod::kNumericComparison || d->user_confirmed) {
    SABLE_LOG_DEBUG("smp: unexpected numeric comparison reply ignored");
    return;
  }
  if (!accept) {
    fail(now, SmpReason::kNumericComparisonFailed, FailureOrigin::kLocal);
  } else {
    d->user_confirmed = true;
    dhkey_check_step(now, *d);
  }
  flush();
}

void Pairing::abort(TimePoint now, SmpReason reason) {
  if (!in_progress()) return;
  fail(now, reason, FailureOrigin::kLocal);
  flush();
}

void Pairing::on_timeout(TimePoint now) {
  if (!in_progress() || now < deadline_) return;
  // 3.4: the procedure fails; no Pairing Failed is sent and no further SMP
  // PDU is handled on this link. The host should disconnect.
  SABLE_LOG_WARN("smp: SMP timeout in %s", phase_name());
  end_pairing();
  phase_.emplace<TimedOut>();
  Effect e;
  e.kind = Effect::Kind::kFailed;
  e.failure = {SmpReason::kUnspecifiedReason, FailureOrigin::kTimeout};
  push(e);
  flush();
}

// ---------------------------------------------------------------------------
// Common paths.

void Pairing::end_pairing() {
  phase_.emplace<Idle>();  // destroys (and so wipes) the phase's secrets
  neg_.reset();
  passkey_ = Secret<uint32_t>();
  passkey_ready_ = false;
  passkey_requested_ = false;
  deadline_ = kNever;
}

void Pairing::fail(TimePoint now, SmpReason reason, FailureOrigin origin, bool send_failed) {
  SABLE_LOG_INFO("smp: pairing failed: %s (%s)", to_string(reason), origin_name(origin));
  if (send_failed) send(PairingFailed{reason}, now);
  if (attempts_ != nullptr && counts_as_failed_attempt(reason)) {
    attempts_->record_failure(attempts_key(), now);
  }
  end_pairing();
  Effect e;
  e.kind = Effect::Kind::kFailed;
  e.failure = {reason, origin};
  push(e);
}

void Pairing::reject(TimePoint now, SmpReason reason) {
  SABLE_LOG_WARN("smp: rejecting PDU in %s: %s", phase_name(), to_string(reason));
  if (in_progress()) {
    fail(now, reason, FailureOrigin::kLocal);
  } else {
    send(PairingFailed{reason}, now);
    deadline_ = kNever;  // no procedure is running
  }
}

void Pairing::complete(PairingResult& result) {
  completed_.v = result;  // copied out before the phase holding `result` dies
  Effect e;
  e.kind = Effect::Kind::kComplete;
  push(e);
  if (attempts_ != nullptr) attempts_->record_success(attempts_key());
  end_pairing();
}

void Pairing::handle(TimePoint now, const Pdu& pdu) {
  if (const auto* failed = std::get_if<PairingFailed>(&pdu)) {
    // 3.5.5: the peer ended the pairing. Never answered outside a pairing.
    if (in_progress()) fail(now, failed->reason, FailureOrigin::kPeer, /*send_failed=*/false);
    return;
  }
  // PDUs only the other role sends (3.3): Command Not Supported.
  const Opcode op = opcode_of(pdu);
  const bool wrong_role = role_ == Role::kInitiator
                              ? op == Opcode::kPairingRequest
                              : (op == Opcode::kPairingResponse || op == Opcode::kSecurityRequest);
  if (wrong_role) {
    reject(now, SmpReason::kCommandNotSupported);
    return;
  }
  std::visit([&](auto& phase) { on_pdu(now, phase, pdu); }, phase_);
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
  Negotiated n;
  n.initiator = req;
  n.responder = res;
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
  neg_ = n;
  return std::nullopt;
}

void Pairing::on_pdu(TimePoint now, Idle&, const Pdu& pdu) {
  if (const auto* req = std::get_if<PairingRequest>(&pdu)) return on_pairing_request(now, *req);
  if (const auto* sr = std::get_if<SecurityRequest>(&pdu)) return on_security_request(now, *sr);
  reject(now, SmpReason::kUnspecifiedReason);
}

void Pairing::on_pdu(TimePoint now, SecurityRequested&, const Pdu& pdu) {
  if (const auto* req = std::get_if<PairingRequest>(&pdu)) return on_pairing_request(now, *req);
  reject(now, SmpReason::kUnspecifiedReason);
}

void Pairing::on_pairing_request(TimePoint now, const PairingRequest& req) {
  if (attempts_ != nullptr && attempts_->should_refuse(attempts_key(), now)) {
    fail(now, SmpReason::kRepeatedAttempts, FailureOrigin::kLocal);
    return;
  }
  // 3.5.2: the response's key distribution is the request's, limited to what
  // we allow; the LinkKey bit (CTKD) is never set by this LE-only host.
  PairingFeatures res = local_features();
  res.initiator_key_distribution &= req.features.initiator_key_distribution;
  res.responder_key_distribution &= req.features.responder_key_distribution;
  const PairingPdu pres = encode_pairing_pdu(Opcode::kPairingResponse, res);
  if (auto error = negotiate(req.features, req.raw, res, pres)) {
    fail(now, *error, FailureOrigin::kLocal);
    return;
  }
  send(PairingResponse{res, pres}, now);
  start_phase2(now);
}

void Pairing::on_security_request(TimePoint now, const SecurityRequest& req) {
  if (attempts_ != nullptr && attempts_->should_refuse(attempts_key(), now)) {
    fail(now, SmpReason::kRepeatedAttempts, FailureOrigin::kLocal);
    return;
  }
  switch (delegate_.on_security_request(req.auth)) {
    case SecurityRequestAction::kPair: {
      AwaitingResponse a;
      a.request = local_features();
      a.raw = encode_pairing_pdu(Opcode::kPairingRequest, a.request);
      send(PairingRequest{a.request, a.raw}, now);
      phase_ = a;
      return;
    }
    case SecurityRequestAction::kEncryptWithBond:
      return;
    case SecurityRequestAction::kReject:
      send(PairingFailed{SmpReason::kPairingNotSupported}, now);
      deadline_ = kNever;
      return;
  }
}

void Pairing::on_pdu(TimePoint now, AwaitingResponse& phase, const Pdu& pdu) {
  const auto* res = std::get_if<PairingResponse>(&pdu);
  if (res == nullptr) return reject(now, SmpReason::kUnspecifiedReason);
  const PairingFeatures req = phase.request;
  const PairingPdu preq = phase.raw;
  // 3.5.2: the responder may clear key distribution bits, never set new ones.
  if ((res->features.initiator_key_distribution & ~req.initiator_key_distribution) != 0 ||
      (res->features.responder_key_distribution & ~req.responder_key_distribution) != 0) {
    return fail(now, SmpReason::kInvalidParameters, FailureOrigin::kLocal);
  }
  if (auto error = negotiate(req, preq, res->features, res->raw)) {
    return fail(now, *error, FailureOrigin::kLocal);
  }
  start_phase2(now);
}

void Pairing::start_passkey() {
  const PairingMethod m = neg_->method;
  const bool display = (m == PairingMethod::kPasskeyInitiatorDisplays && we_are_initiator()) ||
                       (m == PairingMethod::kPasskeyResponderDisplays && !we_are_initiator());
  Effect e;
  if (!display) {
    e.kind = Effect::Kind::kRequestPasskey;
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
      e.kind = Effect::Kind::kRequestPasskey;
      e.request = PasskeyRequest::kChooseForDisplay;
      passkey_requested_ = true;
      push(e);
      return;
  }
  passkey_ready_ = true;
  e.kind = Effect::Kind::kDisplayPasskey;
  e.value = passkey_.v;
  push(e);
}

void Pairing::start_phase2(TimePoint now) {
  const Negotiated& n = *neg_;
  if (is_passkey(n.method)) start_passkey();
  if (n.sc) {
    // 2.3.5.6.1: a fresh key pair for each pairing; the initiator sends first.
    auto pair = crypto::generate_p256_key_pair(random_);
    if (!pair) return fail(now, SmpReason::kUnspecifiedReason, FailureOrigin::kLocal);
    ScPublicKeyExchange phase;
    phase.local.v = *pair;
    crypto::secure_wipe(pair->private_key);
    if (we_are_initiator()) send(PairingPublicKey{phase.local.v.public_key}, now);
    phase_ = phase;
    return;
  }
  // LE legacy (2.3.5.2 - 2.3.5.5): TK is 0 for Just Works, the passkey, or OOB.
  LegacyPhase2 phase;
  if (n.method == PairingMethod::kJustWorks) {
    phase.tk_ready = true;
  } else if (n.method == PairingMethod::kOutOfBand) {
    phase.tk.v = policy_.oob->tk;
    phase.tk_ready = true;
  } else if (passkey_ready_) {
    phase.tk.v = passkey_key(passkey_.v);
    phase.tk_ready = true;
  }
  phase.local_random.v = random_bytes<16>();
  phase_ = phase;
  legacy_try_send_confirm(now, std::get<LegacyPhase2>(phase_));
}

// ---------------------------------------------------------------------------
// Phase 2, LE legacy (2.3.5.5): the initiator sends Mconfirm, the responder
// answers Sconfirm, then Mrand, Srand; each side checks the other's confirm.

void Pairing::legacy_try_send_confirm(TimePoint now, LegacyPhase2& phase) {
  if (!phase.tk_ready || phase.confirm_sent) return;
  if (!we_are_initiator() && !phase.peer_confirm) return;  // Sconfirm follows Mconfirm
  const Negotiated& n = *neg_;
  phase.local_confirm = c1(phase.tk.v, phase.local_random.v, n.preq, n.pres, initiator_address(),
                           responder_address());
  send(PairingConfirm{phase.local_confirm}, now);
  phase.confirm_sent = true;
  if (!we_are_initiator()) phase.awaiting_random = true;
}

void Pairing::on_pdu(TimePoint now, LegacyPhase2& phase, const Pdu& pdu) {
  if (const auto* confirm = std::get_if<PairingConfirm>(&pdu)) {
    if (phase.peer_confirm || (we_are_initiator() && !phase.confirm_sent)) {
      return reject(now, SmpReason::kUnspecifiedReason);
    }
    if (we_are_initiator()) {
      // A responder echoing Mconfirm (SM/CEN/JW/BI-06-C, VU#799380).
      if (equal(confirm->value, phase.local_confirm)) {
        return fail(now, SmpReason::kConfirmValueFailed, FailureOrigin::kLocal);
      }
      phase.peer_confirm = confirm->value;
      send(PairingRandom{phase.local_random.v}, now);
      phase.awaiting_random = true;
    } else {
      phase.peer_confirm = confirm->value;
      legacy_try_send_confirm(now, phase);
    }
    return;
  }
  if (const auto* random = std::get_if<PairingRandom>(&pdu)) {
    if (!phase.awaiting_random) return reject(now, SmpReason::kUnspecifiedReason);
    const Negotiated& n = *neg_;
    const Key expected =
        c1(phase.tk.v, random->value, n.preq, n.pres, initiator_address(), responder_address());
    if (equal(random->value, phase.local_random.v) || !equal(expected, *phase.peer_confirm)) {
      return fail(now, SmpReason::kConfirmValueFailed, FailureOrigin::kLocal);
    }
    if (!we_are_initiator()) send(PairingRandom{phase.local_random.v}, now);
    // 2.3.5.5: STK = s1(TK, Srand, Mrand), masked to the key size.
    const Random& srand = we_are_initiator() ? random->value : phase.local_random.v;
    const Random& mrand = we_are_initiator() ? phase.local_random.v : random->value;
    Secret<Key> stk(mask_key(s1(phase.tk.v, srand, mrand), n.key_size));
    return enter_encrypting(now, stk.v);
  }
  if (std::holds_alternative<PairingKeypressNotification>(pdu) && keypress_allowed()) return;
  reject(now, SmpReason::kUnspecifiedReason);
}

// ---------------------------------------------------------------------------
// Phase 2, LE Secure Connections.

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

// ---------------------------------------------------------------------------
// Encryption (2.4.4) and phase 3, key distribution (2.4.3, 3.6).

void Pairing::enter_encrypting(TimePoint, const Key& key) {
  Encrypting e;
  e.key.v = key;
  phase_ = e;
  if (we_are_initiator()) {
    // The central encrypts with the STK / LTK, EDIV = Rand = 0.
    Effect effect;
    effect.kind = Effect::Kind::kStartEncryption;
    effect.key = key;
    push(effect);
  }
}

void Pairing::on_pdu(TimePoint now, Encrypting&, const Pdu&) {
  reject(now, SmpReason::kUnspecifiedReason);
}

void Pairing::start_key_distribution(TimePoint now, const Key& key) {
  const Negotiated& n = *neg_;
  // The response's fields are the negotiated ones (a subset of the request's).
  uint8_t initiator_kd = n.responder.initiator_key_distribution & kLeKeys;
  uint8_t responder_kd = n.responder.responder_key_distribution & kLeKeys;
  if (n.sc) {
    // 3.6.1: with Secure Connections the LTK is derived, never distributed.
    initiator_kd &= uint8_t(~key_dist::kEncKey);
    responder_kd &= uint8_t(~key_dist::kEncKey);
  }
  const uint8_t local_kd = we_are_initiator() ? initiator_kd : responder_kd;
  const uint8_t peer_kd = we_are_initiator() ? responder_kd : initiator_kd;

  KeyDistribution kd;
  PairingResult& r = kd.result.v;
  r.method = n.method;
  r.secure_connections = n.sc;
  r.peer_used_debug_key = n.peer_debug_key;
  // With the debug key anybody can decrypt: neither authenticated nor bondable.
  r.authenticated = is_authenticated(n.method) && !n.peer_debug_key;
  r.bonded = n.bonding && !n.peer_debug_key;
  r.key_size = n.key_size;
  r.local_key_distribution = local_kd;
  r.peer_key_distribution = peer_kd;
  if (n.sc) r.ltk = LongTermKey{key, 0, 0};
  // 3.6.1, Figure 3.11: the order of the keys of one side.
  if (peer_kd & key_dist::kEncKey) {
    kd.expected[kd.expected_count++] = Opcode::kEncryptionInformation;
    kd.expected[kd.expected_count++] = Opcode::kCentralIdentification;
  }
  if (peer_kd & key_dist::kIdKey) {
    kd.expected[kd.expected_count++] = Opcode::kIdentityInformation;
    kd.expected[kd.expected_count++] = Opcode::kIdentityAddressInformation;
  }
  if (peer_kd & key_dist::kSignKey) kd.expected[kd.expected_count++] = Opcode::kSigningInformation;
  phase_ = kd;

  KeyDistribution& k = std::get<KeyDistribution>(phase_);
  // 2.4.3: the responder distributes first, then the initiator.
  if (!we_are_initiator()) send_local_keys(now, k.result.v);
  if (k.expected_count == 0) {
    if (we_are_initiator()) send_local_keys(now, k.result.v);
    complete(k.result.v);
  }
}

void Pairing::send_local_keys(TimePoint now, PairingResult& r) {
  const uint8_t kd = r.local_key_distribution;
  if (kd & key_dist::kEncKey) {
    // Legacy only: a new random LTK (masked to the key size), EDIV and Rand.
    Secret<LongTermKey> ltk;
    ltk.v.key = mask_key(random_bytes<16>(), r.key_size);
    const auto rand = random_bytes<8>();
    const auto ediv = random_bytes<2>();
    ltk.v.rand = uint64_t(get_le32(rand.data())) | (uint64_t(get_le32(rand.data() + 4)) << 32);
    ltk.v.ediv = get_le16(ediv.data());
    send(EncryptionInformation{ltk.v.key}, now);
    send(CentralIdentification{ltk.v.ediv, ltk.v.rand}, now);
    r.local_ltk = ltk.v;
  }
  if (kd & key_dist::kIdKey) {
    // A device without an IRK distributes zeros (no resolvable addresses).
    send(IdentityInformation{local_.irk.value_or(Key{})}, now);
    send(IdentityAddressInformation{local_.identity_address}, now);
    r.local_identity_distributed = true;
  }
  if (kd & key_dist::kSignKey) {
    Secret<Key> csrk(random_bytes<16>());
    send(SigningInformation{csrk.v}, now);
    r.local_csrk = csrk.v;
  }
}

void Pairing::on_pdu(TimePoint now, KeyDistribution& k, const Pdu& pdu) {
  // Exactly the negotiated keys, in order (3.6.1); anything else fails.
  if (k.received >= k.expected_count || opcode_of(pdu) != k.expected[k.received]) {
    return reject(now, SmpReason::kUnspecifiedReason);
  }
  PairingResult& r = k.result.v;
  if (const auto* p = std::get_if<EncryptionInformation>(&pdu)) {
    r.peer_ltk = LongTermKey{p->ltk, 0, 0};
  } else if (const auto* p = std::get_if<CentralIdentification>(&pdu)) {
    r.peer_ltk->ediv = p->ediv;  // always preceded by Encryption Information
    r.peer_ltk->rand = p->rand;
  } else if (const auto* p = std::get_if<IdentityInformation>(&pdu)) {
    r.peer_irk = p->irk;
  } else if (const auto* p = std::get_if<IdentityAddressInformation>(&pdu)) {
    r.peer_identity_address = p->address;
  } else if (const auto* p = std::get_if<SigningInformation>(&pdu)) {
    r.peer_csrk = p->csrk;
  }
  if (++k.received < k.expected_count) return;
  if (we_are_initiator()) send_local_keys(now, r);
  complete(r);
}

void Pairing::on_pdu(TimePoint, TimedOut&, const Pdu&) {}  // filtered in on_sdu

// ---------------------------------------------------------------------------
// Helpers.

bool Pairing::keypress_allowed() const {
  // 3.5.8: only during Passkey Entry, and only if the peer said it would send them.
  if (!neg_ || !is_passkey(neg_->method)) return false;
  return (we_are_initiator() ? neg_->responder : neg_->initiator).keypress();
}

const Address& Pairing::initiator_address() const {
  return we_are_initiator() ? local_.address_on_air : peer_;
}

const Address& Pairing::responder_address() const {
  return we_are_initiator() ? peer_ : local_.address_on_air;
}

template <size_t N>
std::array<uint8_t, N> Pairing::random_bytes() {
  std::array<uint8_t, N> out{};
  random_.fill(out);
  return out;
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
