// A malicious scripted central for attack tests (test support only).
//
// MaliciousPeer sits on its own FakeController on the same FakeAir as the
// implementation under test (a real gap::Host running the reference secure
// server, see AttackArena). It has no host stack: it drives raw HCI itself
// (Reset, event masks, LE_Create_Connection, LE_Enable_Encryption with any
// key, Disconnect) and sends arbitrary L2CAP frames (any CID, lying lengths,
// odd fragments), so it can skip, repeat or forge any ATT/SMP/signaling step.
// Everything it receives is recorded: L2CAP SDUs per channel (ATT, SMP,
// signaling, other CIDs) and HCI events (Encryption Change, Disconnection
// Complete, ...).
//
// For LE Secure Connections it uses the stack's own crypto (src/crypto) and
// toolbox (src/smp/toolbox.hpp), so it can act as a legitimate-but-malicious
// initiator: ScInitiator below runs the passkey protocol step by step and lets
// a test replace any value (public key, confirm, DHKey check, passkey bits).
//
// AttackArena owns the air, the server under test (with a random source that
// can replay a recorded stretch, so the server regenerates a key pair the
// attacker has already seen), malicious peers and optional legitimate hosts,
// and drives time deterministically.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/crypto.hpp"
#include "e2e/harness.hpp"
#include "gap/host.hpp"
#include "gatt/database.hpp"
#include "smp/toolbox.hpp"
#include "support/fake_controller.hpp"

namespace sable::testing::attack {

using Pdu = std::vector<uint8_t>;

// L2CAP fixed channels on LE-U (Core 5.4 Vol 3 Part A 2.1).
inline constexpr uint16_t kAttCid = 0x0004;
inline constexpr uint16_t kSignalingCid = 0x0005;
inline constexpr uint16_t kSmpCid = 0x0006;

// HCI event codes the peer looks at (Core 5.4 Vol 4 Part E 7.7).
inline constexpr uint8_t kEvtDisconnectionComplete = 0x05;
inline constexpr uint8_t kEvtEncryptionChange = 0x08;
inline constexpr uint8_t kEvtKeyRefreshComplete = 0x30;

struct EncryptionChange {
  uint8_t status = 0;
  bool enabled = false;
};

class MaliciousPeer {
 public:
  // `pump` delivers everything queued on the air (the arena's run()).
  MaliciousPeer(FakeAir& air, FakeController& controller, std::function<void()> pump);
  MaliciousPeer(const MaliciousPeer&) = delete;
  MaliciousPeer& operator=(const MaliciousPeer&) = delete;

  FakeController& controller() { return controller_; }
  // The address this peer uses on the air (public, or the random one set).
  Address address() const;

  // ---- raw HCI ----
  void command(uint16_t opcode, Bytes params);
  // HCI_Reset, Set_Event_Mask (everything), LE_Set_Event_Mask (legacy
  // Connection Complete, Update Complete, Remote Features, LTK Request).
  void power_on();
  // LE_Set_Random_Address + use it (Own_Address_Type 0x01) for connections.
  void use_random_address(const Address& random_static);
  // LE_Create_Connection to `target`; true once LE Connection Complete arrived.
  bool connect(const Address& target);
  void disconnect(uint8_t reason = 0x13);
  // HCI_LE_Enable_Encryption (Core 5.4 Vol 4 Part E 7.8.24) with any key.
  void start_encryption(const std::array<uint8_t, 16>& ltk, uint64_t rand = 0, uint16_t ediv = 0);

  bool connected() const { return handle_.has_value(); }
  uint16_t handle() const { return handle_.value_or(0); }

  // ---- raw ACL / L2CAP ----
  // One ACL data packet with this Packet_Boundary flag (0b00 first
  // non-flushable, 0b01 continuation, 0b10 first flushable).
  void send_acl(uint8_t packet_boundary, Bytes data);
  // A B-frame whose Length field says `declared_length` (may lie), fragmented
  // into ACL packets of at most `fragment` octets.
  void send_l2cap_raw(uint16_t declared_length, uint16_t cid, Bytes payload, size_t fragment = 251);
  // A well-formed B-frame.
  void send_l2cap(uint16_t cid, Bytes payload) {
    send_l2cap_raw(uint16_t(payload.size()), cid, payload);
  }
  void send_att(Bytes pdu) { send_l2cap(kAttCid, pdu); }
  void send_smp(Bytes pdu) { send_l2cap(kSmpCid, pdu); }
  void send_att(std::initializer_list<uint8_t> pdu) { send_att(Bytes(pdu.begin(), pdu.size())); }
  void send_smp(std::initializer_list<uint8_t> pdu) { send_smp(Bytes(pdu.begin(), pdu.size())); }
  // An LE signaling C-frame with one command (Core 5.4 Vol 3 Part A 4).
  void send_signaling(uint8_t code, uint8_t identifier, Bytes data);

  // ---- what was received ----
  std::deque<Pdu>& att_rx() { return rx_[kAttCid]; }
  std::deque<Pdu>& smp_rx() { return rx_[kSmpCid]; }
  std::deque<Pdu>& signaling_rx() { return rx_[kSignalingCid]; }
  // SDUs on any other CID (the server should never send any).
  size_t other_cid_sdus() const;
  // Pops the oldest SDU of that channel (nullopt when there is none).
  std::optional<Pdu> pop_att() { return pop(kAttCid); }
  std::optional<Pdu> pop_smp() { return pop(kSmpCid); }
  std::optional<Pdu> pop_signaling() { return pop(kSignalingCid); }
  void clear_rx();

  // While paused, sends only queue packets on the controller (to pipeline
  // several PDUs); resume() delivers everything.
  void pause() { paused_ = true; }
  void resume() {
    paused_ = false;
    pump_();
  }

  // Sends an ATT request and returns the one PDU that answered it (nullopt
  // if nothing came back). Notifications that arrive meanwhile are kept in
  // notifications().
  std::optional<Pdu> att_request(Bytes pdu);
  std::optional<Pdu> att_request(std::initializer_list<uint8_t> pdu) {
    return att_request(Bytes(pdu.begin(), pdu.size()));
  }
  // Sends an SMP PDU and returns the next SMP PDU received (nullopt if none).
  std::optional<Pdu> smp_exchange(Bytes pdu);
  std::optional<Pdu> smp_exchange(std::initializer_list<uint8_t> pdu) {
    return smp_exchange(Bytes(pdu.begin(), pdu.size()));
  }
  // Handle Value Notifications/Indications received, in order.
  const std::vector<Pdu>& notifications() const { return notifications_; }

  const std::vector<EncryptionChange>& encryption_changes() const { return encryption_changes_; }
  const std::vector<uint8_t>& disconnect_reasons() const { return disconnect_reasons_; }
  const std::vector<Pdu>& events() const { return events_; }

 private:
  void on_packet(HciPacketType type, Bytes packet);
  void on_event(Bytes event);
  void on_acl(Bytes packet);
  std::optional<Pdu> pop(uint16_t cid);

  FakeController& controller_;
  std::function<void()> pump_;
  bool paused_ = false;
  std::optional<uint16_t> handle_;
  std::optional<Address> random_address_;
  std::vector<uint8_t> partial_;  // L2CAP recombination
  std::map<uint16_t, std::deque<Pdu>> rx_;
  std::vector<Pdu> notifications_;
  std::vector<EncryptionChange> encryption_changes_;
  std::vector<uint8_t> disconnect_reasons_;
  std::vector<Pdu> events_;
};

// ---------------------------------------------------------------------------
// SMP PDU builders (Core 5.4 Vol 3 Part H 3.5) and the attacker's SC side.

namespace smp_op {
inline constexpr uint8_t kPairingRequest = 0x01;
inline constexpr uint8_t kPairingResponse = 0x02;
inline constexpr uint8_t kPairingConfirm = 0x03;
inline constexpr uint8_t kPairingRandom = 0x04;
inline constexpr uint8_t kPairingFailed = 0x05;
inline constexpr uint8_t kSecurityRequest = 0x0B;
inline constexpr uint8_t kPairingPublicKey = 0x0C;
inline constexpr uint8_t kPairingDhKeyCheck = 0x0D;
}  // namespace smp_op

// AuthReq bits (3.5.1): Bonding 0x01, MITM 0x04, SC 0x08, Keypress 0x10, CT2 0x20.
inline constexpr uint8_t kAuthBondMitmSc = 0x0D;

struct PairingRequestFields {
  uint8_t io_cap = 0x04;  // KeyboardDisplay
  uint8_t oob = 0x00;
  uint8_t auth = kAuthBondMitmSc;
  uint8_t max_key_size = 16;
  uint8_t initiator_keys = 0x00;  // nothing to distribute: completes at encryption
  uint8_t responder_keys = 0x03;  // EncKey | IdKey
};
Pdu pairing_request(const PairingRequestFields& f = {});
inline Pdu pairing_failed(uint8_t reason) {
  return {smp_op::kPairingFailed, reason};
}
Pdu public_key_pdu(const crypto::P256PublicKey& key);
Pdu value_pdu(uint8_t opcode, const std::array<uint8_t, 16>& value);

// p - y for a P-256 coordinate (wire order): the other point with the same X.
std::array<uint8_t, 32> p256_negate_y(const std::array<uint8_t, 32>& y);
// A 32-octet coordinate from the MSB-first hex the specification prints.
std::array<uint8_t, 32> coordinate_from_hex(const char* msb_first_hex);

// The attacker's half of LE Secure Connections passkey entry as initiator
// (2.3.5.6.1 - 2.3.5.6.5), one call per protocol step. Each step sends the
// PDU, pumps the air and checks what came back; the first unexpected PDU is
// kept in `unexpected` and the step returns false.
class ScInitiator {
 public:
  ScInitiator(MaliciousPeer& peer, const Address& responder, uint64_t seed = 7);

  // Pairing Request -> Pairing Response.
  bool feature_exchange(const PairingRequestFields& f = {});
  // Our (fresh, or given) public key -> the responder's public key.
  bool exchange_public_keys(std::optional<crypto::P256PublicKey> send_instead = std::nullopt);
  // One passkey round i with bit `bit` (the attacker's guess of passkey bit i):
  // Cai -> Cbi, Nai -> Nbi (checked against Cbi). False if the responder
  // sent Pairing Failed (it then sits in `unexpected`).
  bool passkey_round(int i, int bit);
  // All 20 rounds with `passkey`.
  bool passkey_rounds(uint32_t passkey);
  // MacKey/LTK from f5 (after the last round).
  void derive_keys();
  // Ea -> Eb (checked). `corrupt` flips a bit of Ea.
  bool dhkey_check(bool corrupt = false);
  // LE_Enable_Encryption with the derived LTK; true when Encryption Change
  // reports success.
  bool encrypt();
  // Everything above with the right passkey.
  bool pair(uint32_t passkey, const PairingRequestFields& f = {});

  const crypto::P256KeyPair& local_key() const { return local_; }
  const crypto::P256PublicKey& peer_key() const { return peer_key_; }
  const smp::Key& ltk() const { return ltk_; }
  const Pdu& pairing_response() const { return pres_; }
  std::optional<Pdu> unexpected;

 private:
  std::optional<Pdu> expect(uint8_t opcode);

  MaliciousPeer& peer_;
  Address responder_;
  DeterministicRandom random_;
  std::array<uint8_t, 7> preq_{};
  Pdu pres_;
  crypto::P256KeyPair local_{};
  crypto::P256PublicKey peer_key_{};
  crypto::DhKey dhkey_{};
  smp::Random na_{}, nb_{};
  smp::Key cb_{};
  smp::Key mac_key_{}, ltk_{};
  uint32_t passkey_ = 0;
};

// ---------------------------------------------------------------------------
// The server under test.

// A random source that can record a stretch of its output and replay it, so
// a host regenerates exactly the key pair of an earlier pairing.
class ReplayRandom final : public crypto::RandomSource {
 public:
  explicit ReplayRandom(uint64_t seed) : inner_(seed) {}
  void fill(MutableBytes out) override;
  void start_recording() {
    recorded_.clear();
    recording_ = true;
  }
  void start_replay() {
    recording_ = false;
    replay_pos_ = 0;
    replaying_ = true;
  }
  void stop() { recording_ = replaying_ = false; }

 private:
  DeterministicRandom inner_;
  bool recording_ = false, replaying_ = false;
  std::vector<uint8_t> recorded_;
  size_t replay_pos_ = 0;
};

// The reference secure server (support/reference_profile.hpp) held to SC
// only and 16-octet keys: AuthReq all, DisplayOnly, static passkey 123456.
gap::HostConfig reference_server_config();

// The reference database (as tests/e2e/reference_flow_test.cpp builds it)
// plus a test service for the write paths: the reference characteristic is
// read-only, so the same security (authenticated, SC, 16) guards a writable
// one; one that needs authorization; one that forbids reads and writes.
struct TestDatabase {
  gatt::Database db;
  uint16_t device_name = 0;  // GAP Device Name value (open read)
  uint16_t secret = 0;       // the reference characteristic value (READ_ENC, NOTIFY)
  uint16_t secret_cccd = 0;
  uint16_t protected_rw = 0;       // read/write: authenticated, SC, 16 octets; 512 max
  uint16_t authorized = 0;         // read/write: needs authorization (never granted)
  uint16_t not_permitted = 0;      // neither readable nor writable
  uint16_t open_rw = 0;            // read/write without security; 512 max
  uint16_t hidden_descriptor = 0;  // 0x2901 under protected_rw, read as protected_rw
};
TestDatabase build_test_database();

inline const Uuid& kSecureService = kReferenceService;
inline const Uuid& kSecureCharacteristic = kReferenceCharacteristic;

// The reference server, recording its events; it never answers a passkey
// request or a comparison (the attacker is the only peer that could).
class ServerUnderTest final : public ::sable::hci::Sender, public RecordingListener {
 public:
  ServerUnderTest(FakeAir& air, FakeController& controller, const gap::HostConfig& config,
                  uint64_t seed);
  gap::Host& host() { return host_; }
  FakeController& controller() { return controller_; }
  ReplayRandom& random() { return random_; }
  Address address() const { return host_.own_address(); }

  void send_hci(HciPacketType type, Bytes packet) override { controller_.from_host(type, packet); }

 private:
  FakeAir& air_;
  FakeController& controller_;
  ReplayRandom random_;
  gap::Host host_;
};

class AttackArena {
 public:
  explicit AttackArena(const gap::HostConfig& config = reference_server_config());
  AttackArena(const AttackArena&) = delete;
  AttackArena& operator=(const AttackArena&) = delete;

  FakeAir& air() { return air_; }
  ServerUnderTest& server() { return *server_; }
  TestDatabase& database() { return db_; }
  TimePoint now() const { return air_.now(); }

  // A malicious central on a new controller (powered on).
  MaliciousPeer& add_peer(const std::string& public_address);
  // A legitimate sable host on a new controller (started).
  TestHost& add_host(const std::string& public_address, const gap::HostConfig& config);

  // Delivers everything queued (time does not move).
  void run();
  // Moves time forward, firing the hosts' deadlines in order.
  void advance(Duration d);

  // The server's link to `peer`, if any.
  std::optional<ConnDesc> server_link(const MaliciousPeer& peer);

 private:
  FakeAir air_;
  TestDatabase db_;
  std::unique_ptr<ServerUnderTest> server_;
  std::vector<std::unique_ptr<MaliciousPeer>> peers_;
  std::vector<std::unique_ptr<TestHost>> hosts_;
};

}  // namespace sable::testing::attack
