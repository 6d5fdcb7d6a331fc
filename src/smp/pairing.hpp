// The SMP pairing state machine of one LE connection, both roles (Core 5.4
// Vol 3 Part H 2.3 - 2.4, 3): LE legacy pairing and LE Secure Connections,
// Just Works / Numeric Comparison / Passkey Entry (and legacy OOB), key
// distribution, Security Request, the 30 s SMP timeout and Repeated Attempts.
//
// Sans-I/O: the owner (the host glue) feeds SMP SDUs from L2CAP CID 0x0006,
// HCI encryption events, user answers and time; the machine answers through
// PairingDelegate. Delegate calls are queued while an input is processed and
// delivered when it has been fully applied, so a delegate may call back into
// the Pairing (e.g. answer request_passkey() synchronously). A delegate must
// not destroy the Pairing from inside a callback (post that instead).
//
// The phases are types (see PhaseId below), one at a time in one wiped
// buffer; each accepts only its own PDUs, and every failure, success and
// timeout leaves through one cleanup path that wipes the phase's secrets
// (private key, DHKey, TK/STK/LTK, nonces, passkey).
//
// Where each part lives: pairing.cpp (entry points, delegate calls, failure
// and completion), pairing_feature_exchange.cpp (phase 1),
// pairing_secure_connections.cpp and pairing_legacy.cpp (phase 2),
// pairing_key_distribution.cpp (encryption, phase 3). A build with
// SABLE_LEGACY_PAIRING=OFF links sc_only/pairing_legacy_refused.cpp instead
// of pairing_legacy.cpp.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <new>
#include <optional>
#include <type_traits>

#include "common/bytes.hpp"
#include "common/long_term_key.hpp"
#include "common/profile.hpp"
#include "common/time.hpp"
#include "crypto/crypto.hpp"
#include "sable/address.hpp"
#include "sable/security.hpp"
#include "smp/pdu.hpp"
#include "smp/repeated_attempts.hpp"
#include "smp/toolbox.hpp"

namespace sable::smp {

// Vol 3 Part H 3.4: a pairing that makes no progress for 30 s fails, and no
// further SMP traffic is allowed on the link.
inline constexpr Duration kSmpTimeout{30000};

enum class Role : uint8_t {
  kInitiator,  // central: sends Pairing Request
  kResponder,  // peripheral: answers it (may send Security Request)
};

// The association model (Vol 3 Part H 2.3.5.1, Tables 2.7 and 2.8).
enum class PairingMethod : uint8_t {
  kJustWorks,
  kNumericComparison,         // SC only
  kPasskeyInitiatorDisplays,  // the responder inputs
  kPasskeyResponderDisplays,  // the initiator inputs
  kPasskeyBothInput,          // KeyboardOnly on both sides
  kOutOfBand,
};

// Whether this build links LE legacy pairing (build option
// SABLE_LEGACY_PAIRING, the default). Without it every Pairing is a Secure
// Connections Only device: PairingPolicy::sc_only is implied, and a peer
// without SC is refused with Authentication Requirements (2.3.5.1, 3.5.5).
bool legacy_pairing_linked();

// Pure model choice from both Pairing Request and Response (2.3.5.1).
PairingMethod select_method(bool secure_connections, const PairingFeatures& initiator,
                            const PairingFeatures& responder);
// Whether a method protects against a MITM (all but Just Works).
constexpr bool is_authenticated(PairingMethod m) {
  return m != PairingMethod::kJustWorks;
}

// Where the passkey we DISPLAY comes from (the inputting side always asks
// the app via request_passkey(PasskeyRequest::kEnter)).
enum class PasskeySource : uint8_t {
  kRandom,  // 000000..999999 uniformly from the RandomSource, new per pairing
  kStatic,  // PairingPolicy::static_passkey; the spec wants a fresh one (2.3.5.6.3)
  kApp,     // request_passkey(kChooseForDisplay); the app shows what it replies
};

// Legacy OOB (2.3.5.4): the 128-bit TK exchanged out of band. Our OOB data
// flag is set only when the policy does not ask for Secure Connections; SC
// OOB is not implemented (a peer selecting it gets OOB Not Available).
struct OobData {
  Key tk{};
};

struct PairingPolicy {
  AuthReq auth = AuthReq::bond() | AuthReq::mitm() | AuthReq::sc();
  IoCap io_cap = IoCap::NoInputNoOutput;
  bool sc_only = true;        // refuse LE legacy pairing (0x03)
  uint8_t min_key_size = 16;  // clamped to 7..16
  uint8_t max_key_size = 16;  // clamped to min..16
  PasskeySource passkey_source = PasskeySource::kRandom;
  uint32_t static_passkey = 0;  // with kStatic; must be <= 999999
  // Keys we are willing to exchange (key_dist bits; LinkKey is never used).
  uint8_t initiator_key_distribution = key_dist::kEncKey | key_dist::kIdKey;
  uint8_t responder_key_distribution = key_dist::kEncKey | key_dist::kIdKey;
  bool allow_debug_keys = false;  // accept a peer using the SC debug key pair
  std::optional<OobData> oob;
};

struct LocalDevice {
  Address identity_address;  // distributed in Identity Address Information
  Address address_on_air;    // what the peer sees (RPA or identity): c1, f5, f6
  std::optional<Key> irk;    // distributed in Identity Information (zeros if none)
};

// An LTK and what a link encrypted with it gets; the bond store keeps the same
// type (src/common).
using LongTermKey = sable::LongTermKey;

// What a completed pairing produced. Trivially copyable so that it can be wiped.
struct PairingResult {
  PairingMethod method = PairingMethod::kJustWorks;
  bool secure_connections = false;
  bool authenticated = false;  // MITM protected (not Just Works, no debug key)
  bool bonded = false;         // both sides set Bonding (and no debug key)
  bool peer_used_debug_key = false;
  uint8_t key_size = 16;
  uint8_t local_key_distribution = 0;  // what we sent (key_dist bits, EncKey cleared for SC)
  uint8_t peer_key_distribution = 0;   // what we received
  // SC: the LTK both sides derived with f5 (EDIV = Rand = 0), for both roles.
  std::optional<LongTermKey> ltk;
  // Legacy: the LTK/EDIV/Rand we distributed (a peripheral answers the
  // central's later LTK Request with it) and the one the peer distributed
  // (a central encrypts with it later).
  std::optional<LongTermKey> local_ltk;
  std::optional<LongTermKey> peer_ltk;
  std::optional<Key> peer_irk;
  std::optional<Address> peer_identity_address;
  std::optional<Key> peer_csrk;
  std::optional<Key> local_csrk;
  bool local_identity_distributed = false;
};
static_assert(std::is_trivially_copyable_v<PairingResult>);

enum class FailureOrigin : uint8_t {
  kLocal,    // we sent Pairing Failed (or refused to start)
  kPeer,     // the peer sent Pairing Failed
  kTimeout,  // 30 s SMP timeout: no more SMP on this link; disconnect it (3.4)
};
struct PairingFailure {
  SmpReason reason = SmpReason::kUnspecifiedReason;  // kUnspecifiedReason on timeout
  FailureOrigin origin = FailureOrigin::kLocal;
};

// The bond the host already holds for this peer, so that a weaker pairing
// cannot replace it (attack "BLERP" / bond overwrite).
struct ExistingBond {
  bool authenticated = false;
  bool secure_connections = false;
  uint8_t key_size = 16;
};

enum class PasskeyRequest : uint8_t {
  kEnter,             // the user types the passkey the peer displays
  kChooseForDisplay,  // PasskeySource::kApp: the app picks the passkey it shows
};

// The central's answer to a peripheral's Security Request (3.6.7, 2.4.6).
enum class SecurityRequestAction : uint8_t {
  kPair,             // send Pairing Request now
  kEncryptWithBond,  // the host encrypts with the bond's LTK itself; SMP does nothing
  kReject,           // answer Pairing Failed, Pairing Not Supported
};

class PairingDelegate {
 public:
  virtual ~PairingDelegate() = default;
  // One SMP PDU for L2CAP CID 0x0006 (copy it; the view dies after the call).
  virtual void send_smp(Bytes sdu) = 0;
  // Central only: issue HCI_LE_Enable_Encryption with this key (STK or LTK).
  virtual void start_encryption(const Key& ltk, uint64_t rand, uint16_t ediv) = 0;
  virtual void display_passkey(uint32_t passkey) = 0;
  // Answer with Pairing::passkey_reply.
  virtual void request_passkey(PasskeyRequest request) = 0;
  // Show the six digits and ask yes/no; answer with Pairing::numeric_comparison_reply.
  virtual void confirm_numeric_comparison(uint32_t value) = 0;
  // Store the keys here (before telling the app) if result.bonded.
  virtual void on_pairing_complete(const PairingResult& result) = 0;
  virtual void on_pairing_failed(const PairingFailure& failure) = 0;
  // Queried during feature exchange (synchronously: must not re-enter).
  virtual std::optional<ExistingBond> existing_bond_for_peer() = 0;
  // Central only, queried when a Security Request arrives (must not re-enter).
  virtual SecurityRequestAction on_security_request(AuthReq peer_auth) = 0;
};

class Pairing {
 public:
  // `attempts` (optional, one per host, shared by all its Pairings) is
  // Repeated Attempts (2.3.6): this Pairing refuses to start while it says
  // so (Pairing Failed 0x09) and records its own failures and successes in
  // it. Keyed by the peer's identity if set_peer_identity() was called, else
  // by peer_address_on_air; with PasskeySource::kStatic, failures also count
  // across all peers (see repeated_attempts.hpp).
  Pairing(Role role, const PairingPolicy& policy, PairingDelegate& delegate,
          crypto::RandomSource& random, const LocalDevice& local,
          const Address& peer_address_on_air, RepeatedAttempts* attempts = nullptr);
  ~Pairing();
  Pairing(const Pairing&) = delete;
  Pairing& operator=(const Pairing&) = delete;

  // The peer's identity address, when the host resolved its RPA with a bond.
  void set_peer_identity(const Address& identity) { peer_identity_ = identity; }

  // Central: send Pairing Request. Peripheral: send Security Request.
  // Ignored while a pairing is in progress or after the SMP timeout.
  void initiate(TimePoint now);

  // One SMP SDU received on CID 0x0006.
  void on_sdu(TimePoint now, Bytes sdu);

  // Peripheral, HCI_LE_Long_Term_Key_Request during pairing: the STK (legacy)
  // or LTK (SC), masked to the negotiated size, but only once phase 2 has
  // completed (SC: Ea verified and Eb sent) and only for EDIV = Rand = 0.
  // nullopt otherwise: the host looks in its bond store or sends a negative reply.
  std::optional<Key> on_long_term_key_request(TimePoint now, uint64_t rand, uint16_t ediv);

  // HCI_Encryption_Change (or Encryption_Key_Refresh_Complete when the link
  // was already encrypted). Starts phase 3, key distribution.
  void on_encryption_changed(TimePoint now, uint8_t hci_status, bool encrypted);

  // The app's answers. passkey nullopt or > 999999 fails with Passkey Entry
  // Failed; a rejected comparison fails with Numeric Comparison Failed.
  void passkey_reply(TimePoint now, std::optional<uint32_t> passkey);
  void numeric_comparison_reply(TimePoint now, bool accept);

  // Ends a pairing in progress locally (sends Pairing Failed with `reason`).
  void abort(TimePoint now, SmpReason reason = SmpReason::kUnspecifiedReason);

  bool in_progress() const;
  // Peripheral: a Security Request was sent and the central has not answered
  // with a Pairing Request; it may instead encrypt with an existing bond.
  bool security_request_pending() const;
  bool timed_out() const;
  TimePoint next_deadline() const { return deadline_; }
  void on_timeout(TimePoint now);

  Role role() const { return role_; }
  const char* phase_name() const;  // for logs and tests

 private:
  // Per-pairing facts fixed by the feature exchange.
  // No default member initializers: neg_.emplace() value-initializes it
  // (all zeros) in place; negotiate() sets every field it reads later.
  struct Negotiated {
    PairingPdu preq;  // Pairing Request, as sent (its fields: Pdu::features)
    PairingPdu pres;  // Pairing Response
    bool sc;
    PairingMethod method;
    uint8_t key_size;
    bool bonding;
    bool peer_debug_key;
  };

  // A value wiped when it is destroyed. An aggregate, so that
  // `Secret<T> s{f()}` builds the value in place (no copy to wipe).
  template <class T>
  struct Secret {
    static_assert(std::is_trivially_copyable_v<T>);
    T v{};
    ~Secret() { wipe(); }
    void wipe() { crypto::secure_wipe(MutableBytes(reinterpret_cast<uint8_t*>(&v), sizeof(T))); }
  };

  // --- Phases (EXAMPLES.md section 3) ---
  // The 128/256-bit values in phases are word-aligned (alignas(4)) so that
  // copying one is a few word loads and stores on a 32-bit core, not a byte loop.
  // Each phase is a type whose data lives in `storage_` while it is the
  // current one (`phase_`). Entering a phase wipes the storage and constructs
  // the new phase in place (enter<T>()), so no phase object is copied, and
  // the secrets of the phase left (private key, DHKey, TK/STK/LTK, nonces,
  // passkey) are gone. Data-less phases are only a PhaseId.
  enum class PhaseId : uint8_t {
    kIdle,
    kSecurityRequested,  // peripheral: Security Request sent
    kAwaitingResponse,
    kLegacyPhase2,
    kScPublicKeyExchange,
    kScStage1,
    kScDhKeyCheck,
    kEncrypting,
    kKeyDistribution,
    kTimedOut,  // terminal for the link (3.4)
  };
  struct AwaitingResponse {  // central: Pairing Request sent
    static constexpr PhaseId kId = PhaseId::kAwaitingResponse;
    PairingFeatures request;
    PairingPdu raw{};
  };
  // Legacy phase 2 (2.3.5.5): Mconfirm/Sconfirm, Mrand/Srand, STK = s1.
  struct LegacyPhase2 {
    static constexpr PhaseId kId = PhaseId::kLegacyPhase2;
    alignas(4) Key tk{};
    bool tk_ready = false;
    alignas(4) Random local_random{};
    alignas(4) Key local_confirm{};
    bool confirm_sent = false;
    std::optional<Key> peer_confirm;
    bool awaiting_random = false;
  };
  // SC phase 2 (2.3.5.6.1): the public key exchange (kScPublicKeyExchange:
  // only `local` is set), then authentication stage 1 in the same object
  // (kScStage1: 2.3.5.6.2 Just Works / Numeric Comparison, 2.3.5.6.3 Passkey
  // Entry, 20 rounds).
  struct ScStage1 {
    static constexpr PhaseId kId = PhaseId::kScStage1;
    crypto::P256KeyPair local;
    crypto::P256PublicKey peer;
    alignas(4) DhKey dhkey{};
    uint8_t round = 0;  // passkey bit i
    alignas(4) Random local_nonce{};
    alignas(4) Key local_confirm{};
    bool confirm_sent = false;
    std::optional<Key> peer_confirm;
    bool awaiting_random = false;
  };
  // SC authentication stage 2 (2.3.5.6.5): f5, then DHKey Check Ea/Eb.
  struct ScDhKeyCheck {
    static constexpr PhaseId kId = PhaseId::kScDhKeyCheck;
    alignas(4) Key mac_key{};
    alignas(4) Key ltk{};
    alignas(4) Random na{};
    alignas(4) Random nb{};
    alignas(4) Key r{};             // ra = rb: the passkey (Passkey Entry) or zero
    bool user_confirmed = false;    // Numeric Comparison answer (true for others)
    bool check_sent = false;        // initiator: Ea sent
    std::optional<Key> peer_check;  // responder: Ea that arrived before the user said yes
  };
  // Phase 2 done: the STK/LTK waits for the link to be encrypted.
  struct Encrypting {
    static constexpr PhaseId kId = PhaseId::kEncrypting;
    alignas(4) Key key{};
  };
  // Phase 3 (2.4.3, 3.6.1): the responder's keys first, then the initiator's.
  struct KeyDistribution {
    static constexpr PhaseId kId = PhaseId::kKeyDistribution;
    PairingResult result;
    // The peer's keys still to come: bit i is opcode 0x06 + i (Encryption
    // Information ... Signing Information); the lowest set bit is the next one.
    uint8_t pending = 0;
  };
  static constexpr size_t kPhaseStorage =
      std::max({sizeof(AwaitingResponse), sizeof(LegacyPhase2), sizeof(ScStage1),
                sizeof(ScDhKeyCheck), sizeof(Encrypting), sizeof(KeyDistribution)});

  // The current phase's data, or nullptr in another phase.
  template <class T>
  T* get(PhaseId id = T::kId) {
    return phase_ == id ? std::launder(reinterpret_cast<T*>(storage_.data())) : nullptr;
  }
  template <class T>
  T& enter(PhaseId id = T::kId) {
    static_assert(std::is_trivially_destructible_v<T> && alignof(T) <= 8);
    enter(id);
    return *::new (static_cast<void*>(storage_.data())) T{};
  }
  void enter(PhaseId id);  // wipes the storage

  // --- Deferred delegate calls ---
  // PDUs are delivered before events: a user callback that answers
  // synchronously (and may end the pairing) comes after the PDUs the same
  // step produced. Bounded: one input queues at most 7 PDUs and 3 events.
  struct Event {
    enum class Kind : uint8_t {
      kStartEncryption,  // with encryption_key_
      kDisplayPasskey,
      kRequestPasskey,
      kConfirmNumeric,
      kComplete,  // with completed_
      kFailed,
    };
    Kind kind{};
    PasskeyRequest request{};
    SmpReason reason{};  // kFailed
    FailureOrigin origin{};
    uint32_t value = 0;
  };
  template <class T, size_t N>
  struct Ring {
    std::array<T, N> items{};  // free slots are all zeros
    uint8_t head = 0;
    uint8_t count = 0;
    T& push_back();  // a new (zeroed) last item
    T& front() { return items[head]; }
    void pop_front();  // wipes the slot
    void wipe() {
      crypto::secure_wipe(MutableBytes(reinterpret_cast<uint8_t*>(items.data()), sizeof(items)));
    }
  };
  void push(const Event& e);
  void push_failed(SmpReason reason, FailureOrigin origin);
  void flush();
  // Queues a PDU whose parameters (pdu_size(opcode) - 1 octets, wire order)
  // start at `params`; restarts the SMP timer from now_ (3.4).
  void send(Opcode opcode, const uint8_t* params);
  // Queues a PDU whose parameters the caller writes in place at the returned
  // pointer (a free slot holds zeros); restarts the timer like send().
  uint8_t* queue(Opcode opcode);
  void send_octet(Opcode opcode, uint8_t octet);
  void send_public_key(const crypto::P256PublicKey& key);

  // --- Dispatch per phase ---
  void handle(const Pdu& pdu);
  void on_pdu(AwaitingResponse& phase, const Pdu& pdu);
  void on_pdu(LegacyPhase2& phase, const Pdu& pdu);
  void on_pdu(ScStage1& phase, const Pdu& pdu);
  void on_pdu(ScDhKeyCheck& phase, const Pdu& pdu);
  void on_pdu(KeyDistribution& phase, const Pdu& pdu);

  // --- Steps ---
  PairingFeatures local_features() const;
  void on_pairing_request(const Pdu& req);
  void on_security_request(const Pdu& req);
  void send_pairing_request();
  std::optional<SmpReason> negotiate(const PairingFeatures& req, const PairingPdu& preq,
                                     const PairingFeatures& res, const PairingPdu& pres);
  void start_phase2();
  void start_passkey();
  uint32_t random_passkey();
  // pairing_secure_connections.cpp
  void start_secure_connections_phase2();
  // pairing_legacy.cpp, or sc_only/pairing_legacy_refused.cpp
  void start_legacy_phase2();
  void legacy_passkey_entered(LegacyPhase2& phase);
  void legacy_try_send_confirm(LegacyPhase2& phase);
  void distribute_legacy_ltk(PairingResult& result);
  void on_peer_public_key(ScStage1& s, const Pdu& pdu);
  void stage1_send_confirm(ScStage1& phase);
  void send_commitment(ScStage1& phase);
  uint8_t passkey_z(const ScStage1& phase) const;
  void stage1_round_done(ScStage1& phase, const Random& peer_nonce);
  void dhkey_check_step(ScDhKeyCheck& phase);
  Key dhkey_check_value(const ScDhKeyCheck& phase, bool of_initiator) const;
  void finish_dhkey_check(ScDhKeyCheck& phase, const Key& peer_check);
  void enter_encrypting(const Key& key);
  void start_key_distribution(const Key& key);
  void send_local_keys(PairingResult& result);
  void complete(PairingResult& result);
  void fail(SmpReason reason, FailureOrigin origin, bool send_failed);
  void fail(SmpReason reason);                  // ours: sends Pairing Failed
  void reject(SmpReason reason);                // bad PDU in any state
  void reject_unless_keypress(const Pdu& pdu);  // phase 2's other PDUs
  void end_pairing();
  bool refused_by_repeated_attempts();

  bool keypress_allowed() const;
  // The central is the initiator (Core 5.4 Vol 3 Part H 2.1): a build without
  // the central role (profile.hpp) has only the responder's code.
  bool we_are_initiator() const { return profile::kCentralRole && role_ == Role::kInitiator; }
  const Address& initiator_address() const;
  const Address& responder_address() const;
  const Address& attempts_key() const { return peer_identity_ ? *peer_identity_ : peer_; }
  template <size_t N>
  std::array<uint8_t, N> random_bytes();  // defined in pairing_detail.hpp

  Role role_;
  PairingPolicy policy_;
  PairingDelegate& delegate_;
  crypto::RandomSource& random_;
  LocalDevice local_;
  Address peer_;
  std::optional<Address> peer_identity_;
  RepeatedAttempts* attempts_;

  PhaseId phase_ = PhaseId::kIdle;
  alignas(8) std::array<uint8_t, kPhaseStorage> storage_{};
  std::optional<Negotiated> neg_;
  Secret<uint32_t> passkey_;
  bool passkey_ready_ = false;
  bool passkey_requested_ = false;
  TimePoint deadline_ = kNever;
  // The time of the input being processed (each entry point sets it): the
  // steps read it here instead of passing it down (3.4 timer, 2.3.6).
  TimePoint now_{};

  Ring<EncodedPdu, 12> sends_;
  Ring<Event, 6> events_;
  bool flushing_ = false;
  Secret<Key> encryption_key_;
  Secret<PairingResult> completed_;
};

}  // namespace sable::smp
