#include "attacks/malicious_peer.hpp"

#include <algorithm>

namespace sable::testing::attack {

namespace {

constexpr uint8_t kEvtLeMeta = 0x3E;
constexpr uint8_t kLeConnectionComplete = 0x01;
constexpr uint8_t kLeEnhancedConnectionComplete = 0x0A;

std::vector<uint8_t> le16(uint16_t v) {
  return {uint8_t(v), uint8_t(v >> 8)};
}

void append(std::vector<uint8_t>& v, Bytes b) {
  v.insert(v.end(), b.begin(), b.end());
}

}  // namespace

// ---------------------------------------------------------------------------
// MaliciousPeer

// The air is implied by the controller (kept in the signature for symmetry
// with the other devices of the arena).
MaliciousPeer::MaliciousPeer(FakeAir& /*air*/, FakeController& controller,
                             std::function<void()> pump)
    : controller_(controller), pump_(std::move(pump)) {
  // The attacker does not care about its own controller's flow control.
  controller_.set_acl_buffer(1024, 64);
  controller_.set_host_sink([this](HciPacketType type, Bytes packet) { on_packet(type, packet); });
}

Address MaliciousPeer::address() const {
  return random_address_ ? *random_address_ : controller_.address();
}

void MaliciousPeer::command(uint16_t opcode, Bytes params) {
  controller_.from_host(HciPacketType::kCommand, hci::command(opcode, params));
  pump_();
}

void MaliciousPeer::power_on() {
  command(op::kReset, {});
  std::vector<uint8_t> all(8, 0xFF);
  all[7] = 0x3F;  // bits 0..61: everything up to LE Meta
  command(op::kSetEventMask, all);
  // LE Connection Complete, Advertising Report, Connection Update Complete,
  // Read Remote Features Complete, Long Term Key Request (7.8.1).
  const std::vector<uint8_t> le{0x1F, 0, 0, 0, 0, 0, 0, 0};
  command(op::kLeSetEventMask, le);
}

void MaliciousPeer::use_random_address(const Address& random_static) {
  Address a = random_static;
  a.type = AddressType::kRandom;
  random_address_ = a;
  command(op::kLeSetRandomAddress, a.bytes);
}

bool MaliciousPeer::connect(const Address& target) {
  handle_.reset();
  partial_.clear();
  std::vector<uint8_t> p;
  append(p, le16(0x0060));                        // LE_Scan_Interval
  append(p, le16(0x0030));                        // LE_Scan_Window
  p.push_back(0x00);                              // Initiator_Filter_Policy: use the peer address
  p.push_back(target.is_random() ? 0x01 : 0x00);  // Peer_Address_Type
  append(p, target.bytes);                        // Peer_Address
  p.push_back(random_address_ ? 0x01 : 0x00);     // Own_Address_Type
  append(p, le16(24));                            // Connection_Interval_Min (30 ms)
  append(p, le16(40));                            // Connection_Interval_Max
  append(p, le16(0));                             // Max_Latency
  append(p, le16(400));                           // Supervision_Timeout (4 s)
  append(p, le16(0));                             // Min_CE_Length
  append(p, le16(0));                             // Max_CE_Length
  command(op::kLeCreateConnection, p);
  return handle_.has_value();
}

void MaliciousPeer::disconnect(uint8_t reason) {
  if (!handle_) return;
  std::vector<uint8_t> p = le16(*handle_);
  p.push_back(reason);
  command(op::kDisconnect, p);
}

void MaliciousPeer::start_encryption(const std::array<uint8_t, 16>& ltk, uint64_t rand,
                                     uint16_t ediv) {
  std::vector<uint8_t> p = le16(handle());
  for (int i = 0; i < 8; ++i) p.push_back(uint8_t(rand >> (8 * i)));
  append(p, le16(ediv));
  append(p, ltk);
  command(op::kLeEnableEncryption, p);
}

void MaliciousPeer::send_acl(uint8_t packet_boundary, Bytes data) {
  controller_.from_host(HciPacketType::kAcl, hci::acl(handle(), packet_boundary, data));
  if (!paused_) pump_();
}

void MaliciousPeer::send_l2cap_raw(uint16_t declared_length, uint16_t cid, Bytes payload,
                                   size_t fragment) {
  std::vector<uint8_t> frame = le16(declared_length);
  append(frame, le16(cid));
  append(frame, payload);
  fragment = std::max<size_t>(fragment, 1);
  for (size_t off = 0; off < frame.size(); off += fragment) {
    const size_t n = std::min(fragment, frame.size() - off);
    controller_.from_host(HciPacketType::kAcl,
                          hci::acl(handle(), off == 0 ? 0x0 : 0x1, Bytes(&frame[off], n)));
  }
  if (!paused_) pump_();
}

void MaliciousPeer::send_signaling(uint8_t code, uint8_t identifier, Bytes data) {
  std::vector<uint8_t> c{code, identifier};
  append(c, le16(uint16_t(data.size())));
  append(c, data);
  send_l2cap(kSignalingCid, c);
}

size_t MaliciousPeer::other_cid_sdus() const {
  size_t n = 0;
  for (const auto& [cid, q] : rx_)
    if (cid != kAttCid && cid != kSmpCid && cid != kSignalingCid) n += q.size();
  return n;
}

std::optional<Pdu> MaliciousPeer::pop(uint16_t cid) {
  auto& q = rx_[cid];
  if (q.empty()) return std::nullopt;
  Pdu p = std::move(q.front());
  q.pop_front();
  return p;
}

void MaliciousPeer::clear_rx() {
  rx_.clear();
  notifications_.clear();
}

std::optional<Pdu> MaliciousPeer::att_request(Bytes pdu) {
  att_rx().clear();
  send_att(pdu);
  return pop_att();
}

std::optional<Pdu> MaliciousPeer::smp_exchange(Bytes pdu) {
  send_smp(pdu);
  return pop_smp();
}

void MaliciousPeer::on_packet(HciPacketType type, Bytes packet) {
  if (type == HciPacketType::kEvent) on_event(packet);
  if (type == HciPacketType::kAcl) on_acl(packet);
}

void MaliciousPeer::on_event(Bytes e) {
  events_.emplace_back(e.begin(), e.end());
  if (e.size() < 2) return;
  const Bytes p = e.subspan(2);
  switch (e[0]) {
    case kEvtLeMeta:
      // 7.7.65.1 / 7.7.65.10: Subevent, Status, Connection_Handle, ...
      if (p.size() >= 4 &&
          (p[0] == kLeConnectionComplete || p[0] == kLeEnhancedConnectionComplete) && p[1] == 0x00)
        handle_ = uint16_t(get_le16(&p[2]) & 0x0FFF);
      break;
    case kEvtEncryptionChange:  // 7.7.8: Status, Handle, Encryption_Enabled
      if (p.size() >= 4) encryption_changes_.push_back({p[0], p[3] != 0});
      break;
    case kEvtKeyRefreshComplete:  // 7.7.39: Status, Handle
      if (p.size() >= 3) encryption_changes_.push_back({p[0], p[0] == 0});
      break;
    case kEvtDisconnectionComplete:  // 7.7.5: Status, Handle, Reason
      if (p.size() >= 4 && p[0] == 0x00) {
        disconnect_reasons_.push_back(p[3]);
        handle_.reset();
        partial_.clear();
      }
      break;
    default:
      break;
  }
}

void MaliciousPeer::on_acl(Bytes packet) {
  if (packet.size() < 4) return;
  const uint8_t pb = uint8_t((get_le16(packet.data()) >> 12) & 0x3);
  const Bytes data = packet.subspan(4);
  if (pb != 0x1) partial_.clear();
  append(partial_, data);
  if (partial_.size() < 4) return;
  const size_t expected = 4 + size_t(get_le16(partial_.data()));
  if (partial_.size() < expected) return;
  const uint16_t cid = get_le16(&partial_[2]);
  Pdu sdu(partial_.begin() + 4, partial_.begin() + long(std::min(expected, partial_.size())));
  partial_.clear();
  if (cid == kAttCid && !sdu.empty() && (sdu[0] == 0x1B || sdu[0] == 0x1D || sdu[0] == 0x23)) {
    notifications_.push_back(sdu);
    return;
  }
  rx_[cid].push_back(std::move(sdu));
}

// ---------------------------------------------------------------------------
// SMP builders

Pdu pairing_request(const PairingRequestFields& f) {
  return {smp_op::kPairingRequest, f.io_cap,         f.oob,           f.auth,
          f.max_key_size,          f.initiator_keys, f.responder_keys};
}

Pdu public_key_pdu(const crypto::P256PublicKey& key) {
  Pdu p{smp_op::kPairingPublicKey};
  p.insert(p.end(), key.x.begin(), key.x.end());
  p.insert(p.end(), key.y.begin(), key.y.end());
  return p;
}

Pdu value_pdu(uint8_t opcode, const std::array<uint8_t, 16>& value) {
  Pdu p{opcode};
  p.insert(p.end(), value.begin(), value.end());
  return p;
}

std::array<uint8_t, 32> p256_negate_y(const std::array<uint8_t, 32>& y) {
  // p = 2^256 - 2^224 + 2^192 + 2^96 - 1, least significant octet first.
  static constexpr std::array<uint8_t, 32> p = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                                0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
                                                0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                                0x01, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff};
  std::array<uint8_t, 32> out{};
  int borrow = 0;
  for (size_t i = 0; i < 32; ++i) {
    int d = int(p[i]) - int(y[i]) - borrow;
    borrow = d < 0 ? 1 : 0;
    out[i] = uint8_t(d + (borrow ? 256 : 0));
  }
  return out;
}

std::array<uint8_t, 32> coordinate_from_hex(const char* hex) {
  std::array<uint8_t, 32> out{};
  auto nibble = [](char c) { return uint8_t(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10); };
  for (size_t i = 0; i < 32; ++i)
    out[31 - i] = uint8_t(nibble(hex[2 * i]) << 4 | nibble(hex[2 * i + 1]));
  return out;
}

// ---------------------------------------------------------------------------
// ScInitiator

ScInitiator::ScInitiator(MaliciousPeer& peer, const Address& responder, uint64_t seed)
    : peer_(peer), responder_(responder), random_(seed) {}

std::optional<Pdu> ScInitiator::expect(uint8_t opcode) {
  auto p = peer_.pop_smp();
  if (!p || p->empty() || (*p)[0] != opcode) {
    unexpected = p;
    return std::nullopt;
  }
  return p;
}

bool ScInitiator::feature_exchange(const PairingRequestFields& f) {
  Pdu req = pairing_request(f);
  std::copy(req.begin(), req.end(), preq_.begin());
  peer_.send_smp(req);
  auto rsp = expect(smp_op::kPairingResponse);
  if (!rsp || rsp->size() != 7) return false;
  pres_ = *rsp;
  return true;
}

bool ScInitiator::exchange_public_keys(std::optional<crypto::P256PublicKey> send_instead) {
  local_ = crypto::generate_p256_key_pair(random_).value();
  peer_.send_smp(public_key_pdu(send_instead ? *send_instead : local_.public_key));
  auto pk = expect(smp_op::kPairingPublicKey);
  if (!pk || pk->size() != 65) return false;
  std::copy(pk->begin() + 1, pk->begin() + 33, peer_key_.x.begin());
  std::copy(pk->begin() + 33, pk->end(), peer_key_.y.begin());
  auto dh = crypto::p256_dh_key(local_, peer_key_);
  if (!dh) return false;
  dhkey_ = *dh;
  return true;
}

bool ScInitiator::passkey_round(int i, int bit) {
  random_.fill(na_);
  const uint8_t z = uint8_t(0x80 | (bit & 1));
  // Cai = f4(PKax, PKbx, Nai, rai); Cbi = f4(PKbx, PKax, Nbi, rbi).
  peer_.send_smp(
      value_pdu(smp_op::kPairingConfirm, smp::f4(local_.public_key.x, peer_key_.x, na_, z)));
  auto cb = expect(smp_op::kPairingConfirm);
  if (!cb || cb->size() != 17) return false;
  std::copy(cb->begin() + 1, cb->end(), cb_.begin());
  peer_.send_smp(value_pdu(smp_op::kPairingRandom, na_));
  auto nb = expect(smp_op::kPairingRandom);
  if (!nb || nb->size() != 17) return false;
  std::copy(nb->begin() + 1, nb->end(), nb_.begin());
  // The responder's commitment must hold for the same bit.
  (void)i;
  return smp::f4(peer_key_.x, local_.public_key.x, nb_, z) == cb_;
}

bool ScInitiator::passkey_rounds(uint32_t passkey) {
  passkey_ = passkey;
  for (int i = 0; i < 20; ++i)
    if (!passkey_round(i, int((passkey >> i) & 1))) return false;
  return true;
}

void ScInitiator::derive_keys() {
  auto keys = smp::f5(dhkey_, na_, nb_, peer_.address(), responder_);
  mac_key_ = keys.mac_key;
  ltk_ = keys.ltk;
  // 2.3.4: a shorter key is the generated one with its most significant octets zeroed.
  const size_t size = pres_.size() == 7 ? std::min(preq_[4], pres_[4]) : 16;
  for (size_t i = size; i < ltk_.size(); ++i) ltk_[i] = 0;
}

bool ScInitiator::dhkey_check(bool corrupt) {
  smp::Key r{};
  put_le32(r.data(), passkey_);
  const smp::IoCapOctets io_a{preq_[1], preq_[2], preq_[3]};
  const smp::IoCapOctets io_b{pres_[1], pres_[2], pres_[3]};
  smp::Key ea = smp::f6(mac_key_, na_, nb_, r, io_a, peer_.address(), responder_);
  if (corrupt) ea[0] ^= 0x01;
  peer_.send_smp(value_pdu(smp_op::kPairingDhKeyCheck, ea));
  auto eb = expect(smp_op::kPairingDhKeyCheck);
  if (!eb || eb->size() != 17) return false;
  const smp::Key expected = smp::f6(mac_key_, nb_, na_, r, io_b, responder_, peer_.address());
  return std::equal(expected.begin(), expected.end(), eb->begin() + 1);
}

bool ScInitiator::encrypt() {
  const size_t before = peer_.encryption_changes().size();
  peer_.start_encryption(ltk_);
  return peer_.encryption_changes().size() > before && peer_.encryption_changes().back().enabled &&
         peer_.encryption_changes().back().status == 0;
}

bool ScInitiator::pair(uint32_t passkey, const PairingRequestFields& f) {
  if (!feature_exchange(f) || !exchange_public_keys() || !passkey_rounds(passkey)) return false;
  derive_keys();
  return dhkey_check() && encrypt();
}

// ---------------------------------------------------------------------------
// Server under test

void ReplayRandom::fill(MutableBytes out) {
  if (replaying_) {
    size_t i = 0;
    for (; i < out.size() && replay_pos_ < recorded_.size(); ++i) out[i] = recorded_[replay_pos_++];
    if (i < out.size()) inner_.fill(out.subspan(i));
    return;
  }
  inner_.fill(out);
  if (recording_) recorded_.insert(recorded_.end(), out.begin(), out.end());
}

namespace {
const Uuid kTestService = *Uuid::parse("5ab1e000-a77a-4c6b-9e5f-000000000001");
const Uuid kProtectedRw = *Uuid::parse("5ab1e000-a77a-4c6b-9e5f-000000000002");
const Uuid kAuthorized = *Uuid::parse("5ab1e000-a77a-4c6b-9e5f-000000000003");
const Uuid kNotPermitted = *Uuid::parse("5ab1e000-a77a-4c6b-9e5f-000000000004");
const Uuid kOpenRw = *Uuid::parse("5ab1e000-a77a-4c6b-9e5f-000000000005");

}  // namespace

gap::HostConfig reference_server_config() {
  gap::HostConfig c = testing::reference_server_config();
  c.security.secure_connections_only = true;
  c.security.min_key_size = 16;
  return c;
}

TestDatabase build_test_database() {
  std::vector<gatt::ServiceDef> defs;
  {
    // The reference characteristic: READ | READ_ENC (+MITM, SC, 16) | NOTIFY.
    defs.push_back(reference_service());
  }
  {
    gatt::ServiceDef s;
    s.type = kTestService;
    gatt::CharacteristicDef rw;
    rw.type = kProtectedRw;
    rw.properties = gatt::prop::kRead | gatt::prop::kWrite | gatt::prop::kWriteWithoutResponse |
                    gatt::prop::kAuthenticatedSignedWrites;
    rw.access.read = reference_read_permissions();
    rw.access.write = reference_read_permissions();
    const std::string v = "Protected";
    rw.value.assign(v.begin(), v.end());
    rw.max_length = 512;
    // A 16-bit typed protected descriptor, so Find By Type Value can aim at it.
    gatt::DescriptorDef hidden;
    hidden.type = gatt::uuids::kUserDescription;
    hidden.access.read = reference_read_permissions();
    hidden.access.write = gatt::Permissions::none();
    hidden.value = {'H', 'i', 'd', 'd', 'e', 'n'};
    rw.descriptors.push_back(std::move(hidden));
    s.characteristics.push_back(std::move(rw));
    gatt::CharacteristicDef open;
    open.type = kOpenRw;
    open.properties = gatt::prop::kRead | gatt::prop::kWrite;
    open.access.read = gatt::Permissions::open();
    open.access.write = gatt::Permissions::open();
    open.value = {0x01};
    open.max_length = 512;
    s.characteristics.push_back(std::move(open));
    gatt::CharacteristicDef az;
    az.type = kAuthorized;
    az.properties = gatt::prop::kRead | gatt::prop::kWrite;
    az.access.read = gatt::Permissions::open();
    az.access.read.authorization = true;
    az.access.write = az.access.read;
    az.value = {0x42};
    az.max_length = 64;
    s.characteristics.push_back(std::move(az));
    gatt::CharacteristicDef np;
    np.type = kNotPermitted;
    np.properties = 0;
    np.value = {0x00};
    s.characteristics.push_back(std::move(np));
    defs.push_back(std::move(s));
  }
  gatt::DatabaseOptions o;
  o.device_name = kReferenceDeviceName;
  TestDatabase t{std::move(gatt::Database::build(std::move(defs), o).value())};
  t.device_name =
      t.db.find_characteristic(gatt::uuids::kGapService, gatt::uuids::kDeviceName)->value;
  auto secret = *t.db.find_characteristic(kSecureService, kSecureCharacteristic);
  t.secret = secret.value;
  t.secret_cccd = secret.cccd;
  t.protected_rw = t.db.find_characteristic(kTestService, kProtectedRw)->value;
  t.authorized = t.db.find_characteristic(kTestService, kAuthorized)->value;
  t.not_permitted = t.db.find_characteristic(kTestService, kNotPermitted)->value;
  t.open_rw = t.db.find_characteristic(kTestService, kOpenRw)->value;
  t.hidden_descriptor = uint16_t(t.protected_rw + 1);
  return t;
}

ServerUnderTest::ServerUnderTest(FakeAir& air, FakeController& controller,
                                 const gap::HostConfig& config, uint64_t seed)
    : air_(air), controller_(controller), random_(seed), host_(config, *this, *this, random_) {
  controller_.set_host_sink(
      [this](HciPacketType type, Bytes packet) { host_.on_hci_packet(air_.now(), type, packet); });
}

// ---------------------------------------------------------------------------
// Arena

AttackArena::AttackArena(const gap::HostConfig& config) : db_(build_test_database()) {
  auto& controller = air_.add_controller(*Address::parse("00:AA:01:00:00:01"));
  server_ = std::make_unique<ServerUnderTest>(air_, controller, config, 0x5AB1E);
  server_->host().set_database(&db_.db);
  server_->host().start(air_.now());
  run();
  (void)server_->host().set_advertising_data(
      air_.now(), AdvertisementData().name("ESP32 Server").add_service_uuid(kSecureService));
  (void)server_->host().start_advertising(air_.now());
  run();
}

MaliciousPeer& AttackArena::add_peer(const std::string& public_address) {
  auto& controller = air_.add_controller(*Address::parse(public_address));
  peers_.push_back(std::make_unique<MaliciousPeer>(air_, controller, [this] { run(); }));
  peers_.back()->power_on();
  return *peers_.back();
}

TestHost& AttackArena::add_host(const std::string& public_address, const gap::HostConfig& config) {
  auto& controller = air_.add_controller(*Address::parse(public_address));
  hosts_.push_back(std::make_unique<TestHost>(air_, controller, config, 0xC0FFEE + hosts_.size()));
  hosts_.back()->host().start(air_.now());
  run();
  return *hosts_.back();
}

void AttackArena::run() {
  for (int i = 0; i < 1000 && air_.run_until_idle(); ++i) {
  }
}

void AttackArena::advance(Duration d) {
  const TimePoint target = air_.now() + d;
  for (;;) {
    TimePoint next = server_->host().next_deadline();
    for (auto& h : hosts_) next = std::min(next, h->host().next_deadline());
    if (next > target) break;
    if (next > air_.now()) air_.advance(next - air_.now());
    if (server_->host().next_deadline() <= air_.now()) server_->host().on_timeout(air_.now());
    for (auto& h : hosts_)
      if (h->host().next_deadline() <= air_.now()) h->host().on_timeout(air_.now());
    run();
  }
  if (target > air_.now()) air_.advance(target - air_.now());
  run();
}

std::optional<ConnDesc> AttackArena::server_link(const MaliciousPeer& peer) {
  for (const auto& c : server_->host().connections())
    if (c.address.bytes == peer.address().bytes) return c;
  return std::nullopt;
}

}  // namespace sable::testing::attack
