// The SMP pairing state machine's common part (Core 5.4 Vol 3 Part H 2.3,
// 2.4, 3): the entry points, the queue of delegate calls, the dispatch of a
// PDU to the phase that accepts it, and the single paths by which a pairing
// fails, completes or times out (with Repeated Attempts, 2.3.6).
//
// The phases live in files named after them: pairing_feature_exchange.cpp
// (phase 1), pairing_secure_connections.cpp and pairing_legacy.cpp (phase 2),
// pairing_key_distribution.cpp (encryption and phase 3).
#include <algorithm>

#include "common/log.hpp"
#include "smp/pairing_detail.hpp"

namespace sable::smp {
namespace {

using detail::is_passkey;
using detail::kLeKeys;

// Failures that mean the peer could not prove the shared secret: these feed
// the Repeated Attempts back-off (2.3.6).
bool counts_as_failed_attempt(SmpReason r) {
  return r == SmpReason::kConfirmValueFailed || r == SmpReason::kDhKeyCheckFailed;
}

PasskeyKind passkey_kind(const PairingPolicy& policy) {
  return policy.passkey_source == PasskeySource::kStatic ? PasskeyKind::kStatic
                                                         : PasskeyKind::kFresh;
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
  // A build without LE legacy pairing is a Secure Connections Only device
  // (2.3.5.1; Vol 3 Part C 10.2.4): it refuses a peer without SC (0x03).
  if (!legacy_pairing_linked()) policy_.sc_only = true;
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

template <class T, size_t N>
T& Pairing::Ring<T, N>::push_back() {
  if (count == N) __builtin_trap();  // bounded by design, see pairing.hpp
  size_t i = head + count++;
  return items[i < N ? i : i - N];
}

template <class T, size_t N>
void Pairing::Ring<T, N>::pop_front() {
  crypto::secure_wipe(MutableBytes(reinterpret_cast<uint8_t*>(&items[head]), sizeof(T)));
  if (++head == N) head = 0;
  --count;
}

void Pairing::push(const Event& e) {
  events_.push_back() = e;
}

void Pairing::push_failed(SmpReason reason, FailureOrigin origin) {
  Event e;
  e.kind = Event::Kind::kFailed;
  e.reason = reason;
  e.origin = origin;
  push(e);
}

void Pairing::flush() {
  if (flushing_) return;  // a delegate called back in: the outer loop delivers
  flushing_ = true;
  // Each item is delivered from its slot and dropped after the call: a
  // delegate that calls back in only appends behind it.
  for (;;) {
    if (sends_.count != 0) {
      delegate_.send_smp(sends_.front().bytes());
      sends_.pop_front();
      continue;
    }
    if (events_.count == 0) break;
    const Event& e = events_.front();
    switch (e.kind) {
      case Event::Kind::kStartEncryption:
        if (we_are_initiator()) {  // only the central encrypts
          Secret<Key> key{encryption_key_.v};
          encryption_key_.wipe();
          delegate_.start_encryption(key.v, 0, 0);
        }
        break;
      case Event::Kind::kDisplayPasskey:
        delegate_.display_passkey(e.value);
        break;
      case Event::Kind::kRequestPasskey:
        delegate_.request_passkey(e.request);
        break;
      case Event::Kind::kConfirmNumeric:
        delegate_.confirm_numeric_comparison(e.value);
        break;
      case Event::Kind::kComplete: {
        Secret<PairingResult> result{completed_.v};
        completed_.wipe();
        delegate_.on_pairing_complete(result.v);
        break;
      }
      case Event::Kind::kFailed:
        delegate_.on_pairing_failed(PairingFailure{e.reason, e.origin});
        break;
    }
    events_.pop_front();
  }
  flushing_ = false;
}

uint8_t* Pairing::queue(Opcode opcode) {
  // 3.4: the timer is reset whenever an SMP command is queued for transmission.
  deadline_ = now_ + kSmpTimeout;
  return sends_.push_back().start(opcode);
}

void Pairing::send(Opcode opcode, const uint8_t* params) {
  std::copy_n(params, pdu_size(uint8_t(opcode)) - 1, queue(opcode));
}

void Pairing::send_octet(Opcode opcode, uint8_t octet) {
  send(opcode, &octet);
}

void Pairing::enter(PhaseId id) {
  crypto::secure_wipe(storage_);
  phase_ = id;
}

// ---------------------------------------------------------------------------
// Entry points.

bool Pairing::security_request_pending() const {
  return phase_ == PhaseId::kSecurityRequested;
}

bool Pairing::in_progress() const {
  return phase_ != PhaseId::kIdle && phase_ != PhaseId::kTimedOut;
}

bool Pairing::timed_out() const {
  return phase_ == PhaseId::kTimedOut;
}

const char* Pairing::phase_name() const {
  static constexpr const char* kNames[] = {
      "Idle",     "SecurityRequested", "AwaitingResponse", "LegacyPhase2",    "ScPublicKeyExchange",
      "ScStage1", "ScDhKeyCheck",      "Encrypting",       "KeyDistribution", "TimedOut"};
  static_assert(std::size(kNames) == size_t(PhaseId::kTimedOut) + 1);
  return kNames[size_t(phase_)];
}

void Pairing::initiate(TimePoint now) {
  now_ = now;
  if (phase_ != PhaseId::kIdle) {
    SABLE_LOG_DEBUG("smp: initiate ignored in %s", phase_name());
    return;
  }
  if (we_are_initiator()) {
    // 2.3.6: after a failure, wait before sending a new Pairing Request.
    if (refused_by_repeated_attempts()) {
      push_failed(SmpReason::kRepeatedAttempts, FailureOrigin::kLocal);
    } else {
      send_pairing_request();
    }
  } else {
    // 2.4.6: the peripheral asks the central to pair (or to encrypt).
    send_octet(Opcode::kSecurityRequest, local_features().auth.bits());
    enter(PhaseId::kSecurityRequested);
  }
  flush();
}

void Pairing::on_sdu(TimePoint now, Bytes sdu) {
  now_ = now;
  if (timed_out()) {
    // 3.4: after a timeout no more SMP on this link until it is re-established.
    SABLE_LOG_DEBUG("smp: PDU dropped after SMP timeout");
    return;
  }
  auto parsed = parse_pdu(sdu);
  if (!parsed) {
    SABLE_LOG_WARN("smp: malformed PDU (%zu octets): %s", sdu.size(), to_string(parsed.error()));
    reject(parsed.error());
  } else {
    handle(*parsed);
  }
  flush();
}

std::optional<Key> Pairing::on_long_term_key_request(TimePoint, uint64_t rand, uint16_t ediv) {
  // The STK / SC LTK has EDIV = Rand = 0 (2.4.4.1, 2.4.4.2). Only a finished
  // phase 2 yields a key (attacks #4, #5).
  auto* e = get<Encrypting>();
  if (e == nullptr || we_are_initiator() || rand != 0 || ediv != 0) return std::nullopt;
  return e->key;
}

void Pairing::on_encryption_changed(TimePoint now, uint8_t hci_status, bool encrypted) {
  now_ = now;
  if (auto* e = get<Encrypting>()) {
    if (hci_status != 0 || !encrypted) {
      SABLE_LOG_WARN("smp: encryption with the new key failed (status 0x%02x)", hci_status);
      fail(SmpReason::kUnspecifiedReason);
    } else {
      Secret<Key> key{e->key};
      start_key_distribution(key.v);
    }
    flush();
    return;
  }
  if (phase_ == PhaseId::kSecurityRequested && hci_status == 0 && encrypted) {
    // The central answered our Security Request by encrypting with its bond.
    end_pairing();
  }
}

void Pairing::passkey_reply(TimePoint now, std::optional<uint32_t> passkey) {
  now_ = now;
  if (!in_progress() || !passkey_requested_ || passkey_ready_) {
    SABLE_LOG_DEBUG("smp: unexpected passkey reply ignored");
    return;
  }
  passkey_requested_ = false;
  if (!passkey || *passkey > 999999) {
    fail(SmpReason::kPasskeyEntryFailed);
    flush();
    return;
  }
  passkey_.v = *passkey;
  passkey_ready_ = true;
  if (auto* legacy = get<LegacyPhase2>()) {
    legacy_passkey_entered(*legacy);
  } else if (auto* stage1 = get<ScStage1>()) {  // not in the key exchange
    stage1_send_confirm(*stage1);
  }  // ScPublicKeyExchange: used when stage 1 starts.
  flush();
}

void Pairing::numeric_comparison_reply(TimePoint now, bool accept) {
  now_ = now;
  auto* d = get<ScDhKeyCheck>();
  if (d == nullptr || neg_->method != PairingMethod::kNumericComparison || d->user_confirmed) {
    SABLE_LOG_DEBUG("smp: unexpected numeric comparison reply ignored");
    return;
  }
  if (!accept) {
    fail(SmpReason::kNumericComparisonFailed);
  } else {
    d->user_confirmed = true;
    dhkey_check_step(*d);
  }
  flush();
}

void Pairing::abort(TimePoint now, SmpReason reason) {
  now_ = now;
  if (!in_progress()) return;
  fail(reason);
  flush();
}

void Pairing::on_timeout(TimePoint now) {
  if (!in_progress() || now < deadline_) return;
  // 3.4: the procedure fails; no Pairing Failed is sent and no further SMP
  // PDU is handled on this link. The host should disconnect.
  SABLE_LOG_WARN("smp: SMP timeout in %s", phase_name());
  end_pairing();
  enter(PhaseId::kTimedOut);
  push_failed(SmpReason::kUnspecifiedReason, FailureOrigin::kTimeout);
  flush();
}

// ---------------------------------------------------------------------------
// Common paths.

void Pairing::end_pairing() {
  enter(PhaseId::kIdle);  // wipes the phase's secrets
  neg_.reset();
  passkey_.wipe();
  passkey_ready_ = false;
  passkey_requested_ = false;
  deadline_ = kNever;
}

void Pairing::fail(SmpReason reason, FailureOrigin origin, bool send_failed) {
  SABLE_LOG_INFO("smp: pairing failed: %s (%s)", to_string(reason), origin_name(origin));
  if (send_failed) send_octet(Opcode::kPairingFailed, uint8_t(reason));
  if (attempts_ != nullptr && counts_as_failed_attempt(reason)) {
    attempts_->record_failure(attempts_key(), now_, passkey_kind(policy_));
  }
  end_pairing();
  push_failed(reason, origin);
}

// 2.3.6: the one place that asks Repeated Attempts whether to start.
bool Pairing::refused_by_repeated_attempts() {
  return attempts_ != nullptr &&
         attempts_->should_refuse(attempts_key(), now_, passkey_kind(policy_));
}

void Pairing::fail(SmpReason reason) {
  fail(reason, FailureOrigin::kLocal, true);
}

void Pairing::reject(SmpReason reason) {
  SABLE_LOG_WARN("smp: rejecting PDU in %s: %s", phase_name(), to_string(reason));
  if (in_progress()) {
    fail(reason);
  } else {
    send_octet(Opcode::kPairingFailed, uint8_t(reason));
    deadline_ = kNever;  // no procedure is running
  }
}

void Pairing::reject_unless_keypress(const Pdu& pdu) {
  if (pdu.opcode() == Opcode::kPairingKeypressNotification && keypress_allowed()) return;
  reject(SmpReason::kUnspecifiedReason);
}

void Pairing::complete(PairingResult& result) {
  completed_.v = result;  // copied out before the phase holding `result` dies
  Event e;
  e.kind = Event::Kind::kComplete;
  push(e);
  if (attempts_ != nullptr) attempts_->record_success(attempts_key());
  end_pairing();
}

void Pairing::handle(const Pdu& pdu) {
  const Opcode op = pdu.opcode();
  if (op == Opcode::kPairingFailed) {
    // 3.5.5: the peer ended the pairing. Never answered outside a pairing.
    if (in_progress()) fail(pdu.reason(), FailureOrigin::kPeer, /*send_failed=*/false);
    return;
  }
  // PDUs only the other role sends (3.3): Command Not Supported.
  const bool wrong_role = we_are_initiator()
                              ? op == Opcode::kPairingRequest
                              : (op == Opcode::kPairingResponse || op == Opcode::kSecurityRequest);
  if (wrong_role) {
    reject(SmpReason::kCommandNotSupported);
    return;
  }
  switch (phase_) {
    case PhaseId::kIdle:
    case PhaseId::kSecurityRequested:
      // Only the roles' openers; the other role's was refused above.
      if (op == Opcode::kPairingRequest) return on_pairing_request(pdu);
      if (we_are_initiator() && op == Opcode::kSecurityRequest && phase_ == PhaseId::kIdle) {
        return on_security_request(pdu);
      }
      break;
    case PhaseId::kAwaitingResponse:  // entered by the initiator only
      if (we_are_initiator()) return on_pdu(*get<AwaitingResponse>(), pdu);
      break;
    case PhaseId::kLegacyPhase2:
      return on_pdu(*get<LegacyPhase2>(), pdu);
    case PhaseId::kScPublicKeyExchange:
    case PhaseId::kScStage1:
      return on_pdu(*get<ScStage1>(phase_), pdu);
    case PhaseId::kScDhKeyCheck:
      return on_pdu(*get<ScDhKeyCheck>(), pdu);
    case PhaseId::kKeyDistribution:
      return on_pdu(*get<KeyDistribution>(), pdu);
    case PhaseId::kEncrypting:
      break;
    case PhaseId::kTimedOut:
      return;  // filtered in on_sdu
  }
  reject(SmpReason::kUnspecifiedReason);
}

// ---------------------------------------------------------------------------
// Helpers.

bool Pairing::keypress_allowed() const {
  // 3.5.8: only during Passkey Entry, and only if the peer said it would send them.
  if (!neg_ || !is_passkey(neg_->method)) return false;
  const PairingPdu& peer = we_are_initiator() ? neg_->pres : neg_->preq;
  return AuthReq(peer[3]).has(AuthReq::kKeypress);  // AuthReq octet (3.5.1)
}

const Address& Pairing::initiator_address() const {
  return we_are_initiator() ? local_.address_on_air : peer_;
}

const Address& Pairing::responder_address() const {
  return we_are_initiator() ? peer_ : local_.address_on_air;
}

}  // namespace sable::smp
