#include "gap/host.hpp"

#include <algorithm>
#include <cstdio>

#include "common/log.hpp"
#include "hci/events.hpp"
#include "hci/opcodes.hpp"
#include "smp/toolbox.hpp"

namespace sable::gap {
namespace {

// How long a peripheral waits for the link-layer parameter update before
// asking the central over L2CAP instead.
constexpr Duration kParameterUpdateWait = Duration(5000);

NotifyStatus to_notify_status(gatt::ValueSendResult r) {
  switch (r) {
    case gatt::ValueSendResult::kSent:
      return NotifyStatus::kSent;
    case gatt::ValueSendResult::kNotSubscribed:
      return NotifyStatus::kNotSubscribed;
    case gatt::ValueSendResult::kNoCccd:
      return NotifyStatus::kNoCccd;
    case gatt::ValueSendResult::kLinkNotSecure:
      return NotifyStatus::kLinkNotSecure;
    case gatt::ValueSendResult::kTooLong:
      return NotifyStatus::kTooLong;
    case gatt::ValueSendResult::kIndicationPending:
      return NotifyStatus::kOutOfBuffers;
    case gatt::ValueSendResult::kOutOfBuffers:
      return NotifyStatus::kOutOfBuffers;
    case gatt::ValueSendResult::kNotConnected:
      return NotifyStatus::kNotConnected;
  }
  return NotifyStatus::kNotConnected;
}

std::string hci_error(const char* what, HciStatus status) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%s failed: %s (0x%02x)", what, hci::to_string(status),
                unsigned(status));
  return buf;
}

}  // namespace

// Everything the host keeps per ACL connection.
struct Host::Connection final : l2cap::LinkDelegate, att::BearerDelegate, smp::PairingDelegate {
  Connection(Host& host, const ConnDesc& d)
      : host(host),
        desc(d),
        link(d.role == Role::kCentral ? l2cap::Role::kCentral : l2cap::Role::kPeripheral, *this),
        bearer(*this, d.handle, host.config_.max_att_mtu) {}

  // l2cap::LinkDelegate
  void send_pdu(Bytes pdu) override { host.send_acl(desc.handle, pdu); }
  // The bearer hands requests to gatt, responses and notifications to client.
  void on_att_sdu(Bytes sdu) override { bearer.on_pdu(host.now_, sdu); }
  void on_smp_sdu(Bytes sdu) override {
    constexpr uint8_t kPairingRequest = 0x01;
    if (!sdu.empty() && sdu[0] == kPairingRequest && host.passkey_guessing_blocked() &&
        !(pairing && pairing->in_progress() && !pairing->security_request_pending())) {
      // Core 5.4 Vol 3 Part H 2.3.6: Repeated Attempts.
      const uint8_t refused[] = {0x05, 0x09};
      link.send_smp(refused);
      return;
    }
    if (pairing) pairing->on_sdu(host.now_, sdu);
  }
  bool on_connection_parameter_update_request(const l2cap::ConnectionParameters& p) override {
    hci::ConnectionParameters cp;
    cp.interval_min = p.interval_min;
    cp.interval_max = p.interval_max;
    cp.max_latency = p.peripheral_latency;
    cp.supervision_timeout = p.supervision_timeout;
    host.send_command(hci::le_connection_update(desc.handle, cp));
    return true;
  }
  void on_connection_parameter_update_result(l2cap::ConnectionParameterUpdateResult r) override {
    if (r != l2cap::ConnectionParameterUpdateResult::kAccepted)
      SABLE_LOG_WARN(
          "connection 0x%04x: central did not accept the parameter update (%s)", desc.handle,
          r == l2cap::ConnectionParameterUpdateResult::kTimedOut ? "timed out" : "rejected");
  }

  // att::BearerDelegate
  void send(Bytes pdu) override { link.send_att(pdu); }
  // Room in the ACL queue for this ATT PDU and its L2CAP header.
  bool can_send(size_t length) override {
    return host.acl_out_.free_fragments() * host.acl_out_.buffer_length() >= length + 4;
  }
  void on_bearer_fatal() override {
    SABLE_LOG_WARN("connection 0x%04x: ATT bearer failed; disconnecting", desc.handle);
    (void)host.disconnect(host.now_, desc.handle,
                          uint8_t(HciStatus::kRemoteUserTerminatedConnection));
  }

  // smp::PairingDelegate
  void send_smp(Bytes sdu) override { link.send_smp(sdu); }
  void start_encryption(const smp::Key& ltk, uint64_t rand, uint16_t ediv) override {
    host.send_command(hci::le_start_encryption(desc.handle, rand, ediv, ltk));
  }
  void display_passkey(uint32_t passkey) override {
    host.listener_.on_passkey_display(desc, passkey);
  }
  void request_passkey(smp::PasskeyRequest) override { host.listener_.on_passkey_request(desc); }
  void confirm_numeric_comparison(uint32_t value) override {
    host.listener_.on_numeric_comparison(desc, value);
  }
  void on_pairing_complete(const smp::PairingResult& result) override;
  void on_pairing_failed(const smp::PairingFailure& failure) override;
  std::optional<smp::ExistingBond> existing_bond_for_peer() override {
    if (!bond || !bond->ltk_for(desc.role)) return std::nullopt;
    return smp::ExistingBond{bond->authenticated(), bond->secure_connections(), bond->key_size()};
  }
  smp::SecurityRequestAction on_security_request(AuthReq) override {
    if (bond && bond->ltk_for(Role::kCentral)) {
      host.start_encryption_with_bond(*this, *bond);
      return smp::SecurityRequestAction::kEncryptWithBond;
    }
    return smp::SecurityRequestAction::kPair;
  }

  att::LinkSecurity security() const {
    att::LinkSecurity s{};
    s.encrypted = desc.encrypted;
    s.authenticated = desc.authenticated;
    s.secure_connections = secure_connections;
    s.key_size = desc.key_size;
    s.peer_bonded = bond.has_value();
    return s;
  }
  Address identity() const { return desc.id_address; }

  // What the key of the link's (next) encryption gives, when it comes from a bond.
  struct KeyInfo {
    bool authenticated;
    bool secure_connections;
    uint8_t key_size;
  };

  Host& host;
  ConnDesc desc;
  l2cap::LeLink link;
  att::Bearer bearer;  // declared before (destroyed after) gatt and client
  std::unique_ptr<gatt::Server> gatt;
  std::unique_ptr<gatt::Client> client;
  bool secure_connections = false;
  bool disconnecting = false;
  // A parameter update asked of the controller; if it refuses, ask over L2CAP.
  std::optional<l2cap::ConnectionParameters> pending_update;
  TimePoint update_deadline = kNever;  // no LE Connection Update Complete by then: use L2CAP
  bool update_fell_back = false;

  std::unique_ptr<smp::Pairing> pairing;
  Address local_address;            // ours on air for this link
  std::optional<store::Bond> bond;  // what we hold for this peer, if anything
  std::optional<KeyInfo> bond_key;  // encryption in progress with the bond's key
  std::vector<gatt::CccdEntry> saved_cccds;
  uint32_t saved_generation = 0;
};

void Host::Connection::on_pairing_complete(const smp::PairingResult& r) {
  desc.authenticated = r.authenticated;
  desc.key_size = r.key_size;
  secure_connections = r.secure_connections;
  desc.secure_connections = r.secure_connections;
  if (r.peer_identity_address) desc.id_address = *r.peer_identity_address;
  host.repeated_attempts_.record_success(desc.address);
  if (r.bonded) {
    store::Bond b;
    b.peer_identity = store::identity_form(desc.id_address);
    b.peer_irk = r.peer_irk;
    auto to_store = [&](const smp::LongTermKey& k) {
      store::LongTermKey l;
      l.key = k.key;
      l.ediv = k.ediv;
      l.rand = k.rand;
      l.key_size = r.key_size;
      l.authenticated = r.authenticated;
      l.secure_connections = r.secure_connections;
      return l;
    };
    if (r.secure_connections && r.ltk) {
      b.ltk = to_store(*r.ltk);
    } else {
      if (r.local_ltk) b.ltk = to_store(*r.local_ltk);
      if (r.peer_ltk) b.peer_ltk = to_store(*r.peer_ltk);
    }
    b.peer_csrk = r.peer_csrk;
    if (gatt)
      for (const auto& e : gatt->client_state().cccds) b.cccds.push_back({e.handle, e.value});
    // The bond is stored before anyone hears of the pairing (no lost bonds).
    if (auto put = host.bonds_->put(b); !put.ok()) {
      SABLE_LOG_ERROR("connection 0x%04x: bond not stored: %s", desc.handle,
                      put.error().to_string().c_str());
    } else {
      bond = b;
      desc.bonded = true;
      if (gatt) saved_cccds = gatt->client_state().cccds;
      if (b.peer_irk) host.load_resolving_list();
    }
  }
  host.refresh_security(*this);
  host.listener_.on_pairing_complete(desc);
}

void Host::Connection::on_pairing_failed(const smp::PairingFailure& f) {
  if (f.reason == smp::SmpReason::kConfirmValueFailed ||
      f.reason == smp::SmpReason::kDhKeyCheckFailed)
    host.record_authentication_failure();
  char buf[160];
  const char* who = f.origin == smp::FailureOrigin::kPeer      ? "peer"
                    : f.origin == smp::FailureOrigin::kTimeout ? "timeout"
                                                               : "local";
  std::snprintf(buf, sizeof buf, "pairing failed: %s (0x%02x, %s)", smp::to_string(f.reason),
                unsigned(f.reason), who);
  host.notify_pairing_failed(
      *this, Error{f.origin == smp::FailureOrigin::kTimeout ? ErrorKind::kTimeout
                                                            : ErrorKind::kPairingFailed,
                   buf, uint8_t(f.reason)});
  // Core 5.4 Vol 3 Part H 3.4: after an SMP timeout no more SMP on this link.
  if (f.origin == smp::FailureOrigin::kTimeout)
    (void)host.disconnect(host.now_, desc.handle,
                          uint8_t(HciStatus::kRemoteUserTerminatedConnection));
}

Host::Host(const HostConfig& config, hci::Sender& out, HostListener& listener,
           crypto::RandomSource& random)
    : config_(config),
      out_(out),
      listener_(listener),
      random_(random),
      commands_(*this),
      init_(commands_),
      acl_out_(*this, hci::AclOutbound::Config{config.max_connections,
                                               std::max<size_t>(64, 4 * config.max_connections)}),
      acl_in_([this](uint16_t handle, Bytes pdu) { on_acl_pdu(handle, pdu); },
              hci::AclInbound::Config{config.max_connections, 4 + 1024}) {
  commands_.set_on_controller_timeout([this](uint16_t opcode) {
    char buf[120];
    std::snprintf(buf, sizeof buf,
                  "controller not responding (no answer to HCI command 0x%04x within %lld ms)",
                  opcode, 2000LL);
    fatal(ErrorKind::kControllerTimeout, buf);
  });
}

Host::~Host() = default;

void Host::send_hci(HciPacketType type, Bytes packet) {
  out_.send_hci(type, packet);
}

void Host::send_command(const hci::CommandPacket& packet, hci::CommandChannel::Callback cb) {
  if (failed_) return;
  commands_.send(now_, packet, std::move(cb));
}

void Host::fatal(ErrorKind kind, std::string message) {
  if (failed_) return;
  // Every link ends with the controller: report them, then the failure.
  std::vector<ConnDesc> lost = connections();
  failed_ = true;
  ready_ = false;
  advertising_on_ = false;
  SABLE_LOG_ERROR("%s", message.c_str());
  for (const ConnDesc& d : lost)
    listener_.on_disconnected(d, uint8_t(HciStatus::kConnectionTimeout));
  listener_.on_fatal(Error{kind, std::move(message)});
}

void Host::on_controller_lost(TimePoint now, const std::string& message) {
  now_ = now;
  fatal(ErrorKind::kTransport, message);
}

void Host::start(TimePoint now) {
  now_ = now;
  init_.start(now, [this](const Result<hci::ControllerInfo, hci::InitError>& r) {
    if (!r.ok()) {
      const auto& e = r.error();
      fatal(e.kind == hci::InitError::Kind::kTimeout ? ErrorKind::kControllerTimeout
                                                     : ErrorKind::kController,
            "controller bring-up: " + e.to_string());
      return;
    }
    controller_ = r.value();
    acl_out_.configure(controller_.acl_data_length, controller_.acl_packet_count);
    ensure_local_identity();
    ready_ = true;
    load_resolving_list();
    SABLE_LOG_INFO("controller %s ready: HCI version %u, ACL %u x %u octets",
                   controller_.bd_addr.to_string().c_str(), controller_.hci_version,
                   controller_.acl_packet_count, controller_.acl_data_length);
    listener_.on_ready();
    refresh_advertising();
  });
}

Address Host::own_address() const {
  return private_address_ ? *private_address_ : controller_.bd_addr;
}

void Host::on_hci_packet(TimePoint now, HciPacketType type, Bytes packet) {
  now_ = now;
  if (failed_) return;
  switch (type) {
    case HciPacketType::kEvent:
      on_event(packet);
      break;
    case HciPacketType::kAcl:
      acl_in_.on_acl(packet);
      break;
    default:
      SABLE_LOG_DEBUG("dropping HCI packet of type %u", unsigned(type));
      break;
  }
}

TimePoint Host::next_deadline() const {
  TimePoint t = commands_.next_deadline();
  if (connecting_ && !connecting_->cancel_sent) t = std::min(t, connecting_->deadline);
  t = std::min(t, rpa_deadline_);
  for (const auto& c : connections_) {
    t = std::min(t, c->link.next_deadline());
    if (c->gatt) t = std::min(t, c->gatt->next_deadline());
    if (c->client) t = std::min(t, c->client->next_deadline());
    if (c->pairing) t = std::min(t, c->pairing->next_deadline());
    t = std::min(t, c->update_deadline);
  }
  return t;
}

void Host::on_timeout(TimePoint now) {
  now_ = now;
  commands_.on_timeout(now);
  if (connecting_ && !connecting_->cancel_sent && now >= connecting_->deadline) {
    connecting_->failure = Error{ErrorKind::kTimeout, "connection attempt timed out"};
    connecting_->cancel_sent = true;
    send_command(hci::le_create_connection_cancel());
  }
  // Callbacks may remove connections: iterate over handles.
  std::vector<uint16_t> handles;
  for (const auto& c : connections_) handles.push_back(c->desc.handle);
  for (uint16_t h : handles) {
    if (Connection* c = find(h)) c->link.on_timeout(now);
    if (Connection* c = find(h); c && c->gatt) c->gatt->on_timeout(now);
    if (Connection* c = find(h); c && c->client && c->client->next_deadline() <= now)
      c->client->on_timeout(now);
    if (Connection* c = find(h); c && c->pairing && c->pairing->next_deadline() <= now)
      c->pairing->on_timeout(now);
    if (Connection* c = find(h); c && c->update_deadline <= now) {
      SABLE_LOG_INFO("connection 0x%04x: no answer to LE_Connection_Update; using L2CAP", h);
      fall_back_to_l2cap_update(*c);
    }
  }
  if (now >= rpa_deadline_) rotate_private_address();
}

void Host::on_event(Bytes packet) {
  if (commands_.on_event(now_, packet)) return;
  auto ev = hci::EventPacket::parse(packet);
  if (!ev.ok()) {
    SABLE_LOG_WARN("dropping malformed HCI event (%s)", hci::to_string(ev.error()));
    return;
  }
  switch (ev->code) {
    case hci::ev::kDisconnectionComplete:
      on_disconnection_complete(ev->params);
      break;
    case hci::ev::kEncryptionChange:
      on_encryption_change(ev->params);
      break;
    case hci::ev::kEncryptionKeyRefreshComplete:
      on_key_refresh_complete(ev->params);
      break;
    case hci::ev::kNumberOfCompletedPackets:
      if (auto e = hci::NumberOfCompletedPacketsEvent::parse(ev->params); e.ok())
        acl_out_.on_number_of_completed_packets(*e);
      else
        SABLE_LOG_WARN("dropping malformed Number Of Completed Packets event");
      break;
    case hci::ev::kHardwareError:
      fatal(ErrorKind::kController, "controller reported a hardware error");
      break;
    case hci::ev::kDataBufferOverflow:
      SABLE_LOG_WARN("controller reports an ACL buffer overflow");
      break;
    case hci::ev::kLeMeta:
      on_le_meta(ev->params);
      break;
    default:
      SABLE_LOG_DEBUG("ignoring HCI event 0x%02x", ev->code);
      break;
  }
}

void Host::on_le_meta(Bytes params) {
  auto meta = hci::LeMetaEvent::parse(params);
  if (!meta.ok()) {
    SABLE_LOG_WARN("dropping malformed LE Meta event");
    return;
  }
  switch (meta->subevent) {
    case hci::le_ev::kConnectionComplete:
      if (auto e = hci::LeConnectionCompleteEvent::parse(meta->params); e.ok())
        on_connection_complete(e->status, e->handle, e->role, e->peer_address,
                               e->connection_interval, e->peripheral_latency,
                               e->supervision_timeout);
      break;
    case hci::le_ev::kEnhancedConnectionComplete:
      if (auto e = hci::LeEnhancedConnectionCompleteEvent::parse(meta->params); e.ok()) {
        // Core 5.4 Vol 4 Part E 7.7.65.10: when the controller resolved the
        // peer, Peer_Address is its identity (type 0x02/0x03) and the address
        // used on the air is Peer_Resolvable_Private_Address. Pairing needs the
        // on-air address; ConnDesc shows both.
        Address on_air = e->peer_address;
        const auto& rpa = e->peer_resolvable_private_address;
        bool resolved = rpa != std::array<uint8_t, 6>{};
        if (resolved) {
          on_air.bytes = rpa;
          on_air.type = AddressType::kRandom;
        }
        Address identity = store::identity_form(e->peer_address);
        on_connection_complete(e->status, e->handle, e->role, on_air, e->connection_interval,
                               e->peripheral_latency, e->supervision_timeout,
                               resolved ? &identity : nullptr);
      }
      break;
    case hci::le_ev::kAdvertisingReport:
      on_advertising_report(meta->params);
      break;
    case hci::le_ev::kConnectionUpdateComplete:
      on_connection_update_complete(meta->params);
      break;
    case hci::le_ev::kLongTermKeyRequest:
      on_long_term_key_request(meta->params);
      break;
    case hci::le_ev::kRemoteConnectionParameterRequest:
      on_remote_connection_parameter_request(meta->params);
      break;
    default:
      SABLE_LOG_DEBUG("ignoring LE subevent 0x%02x", meta->subevent);
      break;
  }
}

void Host::on_connection_complete(HciStatus status, uint16_t handle, uint8_t role,
                                  const Address& peer, uint16_t interval, uint16_t latency,
                                  uint16_t timeout, const Address* identity) {
  if (role == hci::kRoleCentral && connecting_) {
    Connecting attempt = *connecting_;
    connecting_.reset();
    if (status != HciStatus::kSuccess) {
      // Core 5.4 Vol 4 Part E 7.8.13: a cancelled attempt ends with status 0x02.
      Error e = attempt.failure ? *attempt.failure
                                : Error{ErrorKind::kController, hci_error("LE connection", status),
                                        uint8_t(status)};
      listener_.on_connect_failed(attempt.peer, e);
      return;
    }
  }
  if (status != HciStatus::kSuccess) {
    SABLE_LOG_WARN("%s", hci_error("LE connection", status).c_str());
    if (role == hci::kRolePeripheral) advertising_on_ = false;
    refresh_advertising();
    return;
  }
  if (find(handle)) {
    SABLE_LOG_WARN("controller reported connection 0x%04x twice; ignoring", handle);
    return;
  }
  ConnDesc d;
  d.handle = handle;
  d.role = role == hci::kRoleCentral ? Role::kCentral : Role::kPeripheral;
  d.address = peer;
  d.id_address = identity ? *identity : peer;
  d.interval = interval;
  d.latency = latency;
  d.supervision_timeout = timeout;
  d.mtu = att::kDefaultMtu;
  auto c = std::make_unique<Connection>(*this, d);
  c->local_address =
      (d.role == Role::kPeripheral && private_address_) ? *private_address_ : controller_.bd_addr;
  resolve_peer(*c);
  if (database_) {
    c->gatt = std::make_unique<gatt::Server>(*database_, c->bearer);
    c->gatt->set_link_security(c->security());
  }
  c->client = std::make_unique<gatt::Client>(c->bearer);
  c->pairing = std::make_unique<smp::Pairing>(
      d.role == Role::kCentral ? smp::Role::kInitiator : smp::Role::kResponder, pairing_policy(),
      *c, random_, local_device(*c), d.address, &repeated_attempts_);
  c->pairing->set_peer_identity(c->desc.id_address);
  d = c->desc;
  connections_.push_back(std::move(c));
  // The controller stops advertising when a peripheral connection is made
  // (Core 5.4 Vol 6 Part B 4.4.2.9).
  if (d.role == Role::kPeripheral) advertising_on_ = false;
  SABLE_LOG_INFO("connected 0x%04x to %s", handle, peer.to_string().c_str());
  listener_.on_connected(d);
  refresh_advertising();
}

void Host::on_disconnection_complete(Bytes params) {
  auto e = hci::DisconnectionCompleteEvent::parse(params);
  if (!e.ok()) {
    SABLE_LOG_WARN("dropping malformed Disconnection Complete");
    return;
  }
  if (e->status != HciStatus::kSuccess) {
    SABLE_LOG_WARN("%s", hci_error("disconnection", e->status).c_str());
    if (Connection* c = find(e->handle)) c->disconnecting = false;
    return;
  }
  auto it = std::find_if(connections_.begin(), connections_.end(),
                         [&](const auto& c) { return c->desc.handle == e->handle; });
  if (it == connections_.end()) {
    SABLE_LOG_WARN("Disconnection Complete for unknown handle 0x%04x", e->handle);
    return;
  }
  // Move the connection out before telling anyone (callbacks may re-enter).
  std::unique_ptr<Connection> gone = std::move(*it);
  connections_.erase(it);
  save_client_state(*gone);
  if (gone->client) gone->client->on_disconnected();
  acl_out_.on_disconnection(e->handle);
  acl_in_.on_disconnection(e->handle);
  ConnDesc d = gone->desc;
  if (gone->gatt) d.mtu = gone->gatt->mtu();
  gone.reset();
  listener_.on_disconnected(d, uint8_t(e->reason));
  refresh_advertising();
}

void Host::on_encryption_change(Bytes params) {
  auto e = hci::EncryptionChangeEvent::parse(params);
  if (!e.ok()) return;
  Connection* c = find(e->handle);
  if (!c) return;
  bool pairing = c->pairing && c->pairing->in_progress();
  if (e->status != HciStatus::kSuccess) {
    SABLE_LOG_WARN("connection 0x%04x: %s", e->handle, hci_error("encryption", e->status).c_str());
    if (c->bond_key) {
      // The bond's key was refused (the peer lost the bond?): the link stays
      // unencrypted and nothing falls back to plaintext on our side.
      c->bond_key.reset();
      if (pairing) c->pairing->on_encryption_changed(now_, uint8_t(e->status), false);
      notify_pairing_failed(
          *c, Error{ErrorKind::kController, hci_error("encryption with the bonded key", e->status),
                    uint8_t(e->status)});
    } else if (pairing) {
      c->pairing->on_encryption_changed(now_, uint8_t(e->status), false);
    }
    return;
  }
  c->desc.encrypted = e->encryption_enabled != 0;
  if (!c->desc.encrypted) {
    c->desc.authenticated = false;
    c->desc.key_size = 0;
    c->secure_connections = false;
  } else if (c->bond_key) {
    c->desc.authenticated = c->bond_key->authenticated;
    c->secure_connections = c->bond_key->secure_connections;
    c->desc.key_size = c->bond_key->key_size;
    c->desc.bonded = true;
    c->bond_key.reset();
    if (c->bond) (void)bonds_->touch(c->bond->peer_identity);
    restore_client_state(*c);
    // A Security Request we sent is answered by this encryption.
    if (pairing) c->pairing->on_encryption_changed(now_, 0, true);
  } else if (pairing) {
    // The security level is known when the pairing completes (key distribution).
    c->pairing->on_encryption_changed(now_, 0, true);
  }
  refresh_security(*c);
}

void Host::on_key_refresh_complete(Bytes params) {
  auto e = hci::EncryptionKeyRefreshCompleteEvent::parse(params);
  if (!e.ok()) return;
  Connection* c = find(e->handle);
  if (!c) return;
  // Re-encryption of an encrypted link: the new key's properties apply.
  if (c->pairing && c->pairing->in_progress()) {
    c->pairing->on_encryption_changed(now_, uint8_t(e->status), e->status == HciStatus::kSuccess);
  } else if (c->bond_key && e->status == HciStatus::kSuccess) {
    c->desc.authenticated = c->bond_key->authenticated;
    c->secure_connections = c->bond_key->secure_connections;
    c->desc.key_size = c->bond_key->key_size;
    c->desc.bonded = true;
    c->bond_key.reset();
    refresh_security(*c);
  }
}

void Host::refresh_security(Connection& c) {
  c.desc.secure_connections = c.secure_connections;
  if (c.gatt) c.gatt->set_link_security(c.security());
  listener_.on_security_changed(c.desc);
}

void Host::notify_pairing_failed(Connection& c, Error e) {
  SABLE_LOG_WARN("connection 0x%04x: %s", c.desc.handle, e.message.c_str());
  listener_.on_pairing_failed(c.desc, e);
}

void Host::on_long_term_key_request(Bytes params) {
  auto e = hci::LeLongTermKeyRequestEvent::parse(params);
  if (!e.ok()) return;
  Connection* c = find(e->handle);
  if (c && c->pairing) {
    // During pairing only the key of a finished phase 2 is handed out.
    if (auto key = c->pairing->on_long_term_key_request(now_, e->random_number,
                                                        e->encrypted_diversifier)) {
      send_command(hci::le_long_term_key_request_reply(e->handle, *key));
      return;
    }
  }
  // A bond's key is handed out unless a pairing is under way; a Security
  // Request we sent may be answered by encrypting with the bond (Core 5.4
  // Vol 3 Part H 2.4.6).
  bool pairing_busy =
      c && c->pairing && c->pairing->in_progress() && !c->pairing->security_request_pending();
  if (c && c->bond && !pairing_busy) {
    if (const store::LongTermKey* k = c->bond->ltk_for(Role::kPeripheral)) {
      // Core 5.4 Vol 3 Part H 2.4.4.2: an SC key is asked for with EDIV = 0 and
      // Rand = 0; a legacy key with the EDIV/Rand we distributed.
      bool match = k->secure_connections
                       ? (e->encrypted_diversifier == 0 && e->random_number == 0)
                       : (e->encrypted_diversifier == k->ediv && e->random_number == k->rand);
      if (match) {
        c->bond_key = Connection::KeyInfo{k->authenticated, k->secure_connections, k->key_size};
        send_command(hci::le_long_term_key_request_reply(e->handle, k->key));
        return;
      }
    }
  }
  // No key: a negative reply (Core 5.4 Vol 4 Part E 7.8.26).
  send_command(hci::le_long_term_key_request_negative_reply(e->handle));
}

void Host::on_remote_connection_parameter_request(Bytes params) {
  auto e = hci::LeRemoteConnectionParameterRequestEvent::parse(params);
  if (!e.ok()) return;
  l2cap::ConnectionParameters p{e->interval_min, e->interval_max, e->max_latency, e->timeout};
  // Core 5.4 Vol 4 Part E 7.7.65.6: accept anything within the valid ranges.
  if (!find(e->handle) || !l2cap::connection_parameters_valid(p)) {
    send_command(hci::le_remote_connection_parameter_request_negative_reply(
        e->handle, HciStatus::kUnacceptableConnectionParameters));
    return;
  }
  hci::ConnectionParameters cp;
  cp.interval_min = p.interval_min;
  cp.interval_max = p.interval_max;
  cp.max_latency = p.peripheral_latency;
  cp.supervision_timeout = p.supervision_timeout;
  send_command(hci::le_remote_connection_parameter_request_reply(e->handle, cp));
}

void Host::on_connection_update_complete(Bytes params) {
  auto e = hci::LeConnectionUpdateCompleteEvent::parse(params);
  if (!e.ok()) return;
  Connection* c = find(e->handle);
  if (!c) return;
  if (e->status != HciStatus::kSuccess) {
    SABLE_LOG_WARN("connection 0x%04x: %s", e->handle,
                   hci_error("connection update", e->status).c_str());
    // The link layer procedure failed (e.g. the peer lacks the Connection
    // Parameters Request procedure): ask over L2CAP instead.
    if (c->pending_update && c->desc.role == Role::kPeripheral) fall_back_to_l2cap_update(*c);
    return;
  }
  c->pending_update.reset();
  c->update_deadline = kNever;
  c->desc.interval = e->connection_interval;
  c->desc.latency = e->peripheral_latency;
  c->desc.supervision_timeout = e->supervision_timeout;
  listener_.on_connection_updated(c->desc);
}

void Host::fall_back_to_l2cap_update(Connection& c) {
  c.update_deadline = kNever;
  if (!c.pending_update || c.update_fell_back) return;
  c.update_fell_back = true;
  auto r = c.link.request_connection_parameter_update(now_, *c.pending_update);
  c.pending_update.reset();
  if (!r.ok()) SABLE_LOG_WARN("connection 0x%04x: L2CAP parameter update not sent", c.desc.handle);
}

Result<void, Error> Host::update_connection_parameters(TimePoint now, uint16_t handle,
                                                       const l2cap::ConnectionParameters& p) {
  if (failed_) return fail(Error{ErrorKind::kInvalidState, "the controller has failed"});
  now_ = now;
  Connection* c = find(handle);
  if (!c) return fail(Error{ErrorKind::kNotConnected, "no connection with that handle"});
  if (!l2cap::connection_parameters_valid(p))
    return fail(Error{ErrorKind::kBadArgument,
                      "connection parameters out of range (Core Vol 3 Part A 4.20: interval "
                      "6..3200, latency <= 499, timeout 10..3200 and > (1+latency)*interval*2)"});
  hci::ConnectionParameters cp;
  cp.interval_min = p.interval_min;
  cp.interval_max = p.interval_max;
  cp.max_latency = p.peripheral_latency;
  cp.supervision_timeout = p.supervision_timeout;
  c->pending_update = p;
  c->update_fell_back = false;
  // A central whose host never answers the controller's Remote Connection
  // Parameter Request leaves the procedure hanging; ask over L2CAP then.
  if (c->desc.role == Role::kPeripheral) c->update_deadline = now + kParameterUpdateWait;
  send_command(hci::le_connection_update(handle, cp), [this, handle](const hci::CommandResult& r) {
    if (r.ok()) return;
    Connection* c = find(handle);
    if (!c) return;
    SABLE_LOG_INFO("connection 0x%04x: LE_Connection_Update refused (%s); using L2CAP", handle,
                   r.timed_out ? "timed out" : hci::to_string(r.status));
    if (c->desc.role == Role::kPeripheral) fall_back_to_l2cap_update(*c);
  });
  return {};
}

Result<void, Error> Host::disconnect(TimePoint now, uint16_t handle, uint8_t reason) {
  if (failed_) return fail(Error{ErrorKind::kInvalidState, "the controller has failed"});
  now_ = now;
  Connection* c = find(handle);
  if (!c) return fail(Error{ErrorKind::kNotConnected, "no connection with that handle"});
  if (c->disconnecting) return {};
  c->disconnecting = true;
  send_command(hci::disconnect(handle, HciStatus(reason)));
  return {};
}

void Host::on_acl_pdu(uint16_t handle, Bytes pdu) {
  Connection* c = find(handle);
  if (!c) {
    SABLE_LOG_WARN("dropping ACL data for unknown handle 0x%04x", handle);
    return;
  }
  c->link.on_pdu(now_, pdu);
  if (Connection* still = find(handle)) save_client_state(*still);
}

void Host::send_acl(uint16_t handle, Bytes pdu) {
  if (!acl_out_.send(handle, pdu))
    SABLE_LOG_WARN("connection 0x%04x: ACL queue full; PDU dropped", handle);
}

Host::Connection* Host::find(uint16_t handle) {
  for (auto& c : connections_)
    if (c->desc.handle == handle) return c.get();
  return nullptr;
}

const Host::Connection* Host::find(uint16_t handle) const {
  for (const auto& c : connections_)
    if (c->desc.handle == handle) return c.get();
  return nullptr;
}

std::optional<store::Bond> Host::bond_for(uint16_t handle) const {
  const Connection* c = find(handle);
  if (!c) return std::nullopt;
  return c->bond;
}

gatt::Client* Host::gatt_client(uint16_t handle) {
  Connection* c = find(handle);
  return c ? c->client.get() : nullptr;
}

std::vector<ConnDesc> Host::connections() const {
  std::vector<ConnDesc> out;
  if (failed_) return out;  // the controller, and every link with it, is gone
  for (const auto& c : connections_) {
    ConnDesc d = c->desc;
    if (c->gatt) d.mtu = c->gatt->mtu();
    out.push_back(d);
  }
  return out;
}

std::optional<ConnDesc> Host::connection(uint16_t handle) const {
  if (failed_) return std::nullopt;
  const Connection* c = find(handle);
  if (!c) return std::nullopt;
  ConnDesc d = c->desc;
  if (c->gatt) d.mtu = c->gatt->mtu();
  return d;
}

// ---- Security: pairing policy, bonds, privacy ----

// With a static passkey each failed attempt tells the guesser one bit of it
// (Core 5.4 Vol 3 Part H 2.3.5.6.3), and the per-peer Repeated Attempts rule
// (2.3.6) does not stop a guesser that changes its address. So failures are
// also counted across all peers: beyond kGuessThreshold within kGuessWindow,
// every new Pairing Request waits, for a time that doubles up to 64 s.
void Host::record_authentication_failure() {
  if (!config_.security.static_passkey) return;
  constexpr Duration kGuessWindow = Duration(60'000);
  constexpr size_t kGuessThreshold = 5;
  std::erase_if(recent_failures_, [&](TimePoint t) { return now_ - t > kGuessWindow; });
  recent_failures_.push_back(now_);
  if (recent_failures_.size() >= kGuessThreshold) {
    size_t excess = std::min<size_t>(recent_failures_.size() - kGuessThreshold, 5);
    guessing_blocked_until_ = now_ + Duration(2000) * (1 << excess);
    SABLE_LOG_WARN("%zu failed pairings within a minute: new pairings wait %lld s",
                   recent_failures_.size(),
                   static_cast<long long>((guessing_blocked_until_ - now_).count() / 1000));
  }
  if (recent_failures_.size() > 16) recent_failures_.erase(recent_failures_.begin());
}

bool Host::passkey_guessing_blocked() const {
  return now_ < guessing_blocked_until_;
}

void Host::set_security_config(const SecurityConfig& security) {
  bool privacy_changed =
      security.resolvable_private_address != config_.security.resolvable_private_address;
  config_.security = security;
  if (privacy_changed && ready_) {
    if (!security.resolvable_private_address) {
      private_address_.reset();
      rpa_deadline_ = kNever;
    }
    advertising_data_dirty_ = true;
  }
}

smp::PairingPolicy Host::pairing_policy() const {
  const SecurityConfig& s = config_.security;
  smp::PairingPolicy p;
  p.auth = s.auth;
  p.io_cap = s.io_cap;
  p.sc_only = s.secure_connections_only;
  p.min_key_size = s.min_key_size;
  p.max_key_size = 16;
  p.allow_debug_keys = s.allow_debug_keys;
  if (s.static_passkey) {
    p.passkey_source = smp::PasskeySource::kStatic;
    p.static_passkey = *s.static_passkey;
  } else {
    p.passkey_source = smp::PasskeySource::kRandom;
  }
  // Both sides distribute their keys: the LTK (legacy) and the IRK with the
  // identity address, so a peer can resolve our private address later.
  p.initiator_key_distribution = smp::key_dist::kEncKey | smp::key_dist::kIdKey;
  p.responder_key_distribution = smp::key_dist::kEncKey | smp::key_dist::kIdKey;
  return p;
}

smp::LocalDevice Host::local_device(const Connection& c) const {
  smp::LocalDevice d;
  d.identity_address = controller_.bd_addr;
  d.address_on_air = c.local_address;
  if (local_irk_ready_) d.irk = local_irk_;
  return d;
}

void Host::ensure_local_identity() {
  if (auto id = bonds_->local_identity()) {
    local_irk_ = id->irk;
    local_irk_ready_ = true;
    return;
  }
  // Generated once, kept with the bonds (Core 5.4 Vol 3 Part C 10.7).
  store::LocalIdentity id;
  random_.fill(id.irk);
  if (auto r = bonds_->set_local_identity(id); !r.ok())
    SABLE_LOG_ERROR("local IRK not stored: %s", r.error().to_string().c_str());
  local_irk_ = id.irk;
  local_irk_ready_ = true;
}

void Host::resolve_peer(Connection& c) {
  const Address& peer = c.desc.address;
  if (!(c.desc.id_address == peer)) {  // the controller resolved it already
    c.bond = bonds_->find_by_identity(c.desc.id_address);
    return;
  }
  if (peer.is_resolvable_private()) {
    auto resolver = [](const store::Key128& irk, const std::array<uint8_t, 6>& rpa) {
      return smp::rpa_matches_irk(irk, rpa);
    };
    if (auto b = bonds_->find_by_rpa(peer.bytes, resolver)) {
      c.bond = b;
      c.desc.id_address = b->peer_identity;
    }
    return;
  }
  if (auto b = bonds_->find_by_identity(store::identity_form(peer))) c.bond = b;
}

// Core 5.4 Vol 6 Part B 4.6 (feature bit 6, LL Privacy) and Vol 4 Part E
// 7.8.38-7.8.44: a controller with a resolving list resolves bonded peers'
// private addresses itself (and can then report them by identity). The host
// keeps resolving them too, so controllers without the feature work the same.
bool Host::controller_resolves() const {
  return controller_.supports_le_feature(6) &&
         controller_.supports(hci::supported::kLeAddDeviceToResolvingList) &&
         controller_.supports(hci::supported::kLeSetAddressResolutionEnable);
}

// Reloads the whole list: resolution is switched off while it changes, which
// the controller allows even while advertising or scanning.
void Host::load_resolving_list() {
  if (!controller_resolves() || failed_) return;
  send_command(hci::le_set_address_resolution_enable(false));
  send_command(hci::le_clear_resolving_list());
  size_t entries = 0;
  for (const store::Bond& b : bonds_->all()) {
    if (!b.peer_irk) continue;
    send_command(hci::le_add_device_to_resolving_list(b.peer_identity, *b.peer_irk, local_irk_),
                 [](const hci::CommandResult& r) {
                   if (!r.ok() && !r.timed_out)
                     SABLE_LOG_WARN("%s",
                                    hci_error("LE_Add_Device_To_Resolving_List", r.status).c_str());
                 });
    ++entries;
  }
  if (entries > 0) send_command(hci::le_set_address_resolution_enable(true));
}

void Host::start_encryption_with_bond(Connection& c, const store::Bond& bond) {
  const store::LongTermKey* k = bond.ltk_for(Role::kCentral);
  if (!k) return;
  c.bond_key = Connection::KeyInfo{k->authenticated, k->secure_connections, k->key_size};
  send_command(hci::le_start_encryption(c.desc.handle, k->rand, k->ediv, k->key));
}

// Subscriptions of a bonded peer are kept with its bond, once the link is
// encrypted with that bond's key (so an impostor cannot change them).
void Host::save_client_state(Connection& c) {
  if (!c.gatt || !c.bond || !c.desc.bonded || !c.desc.encrypted) return;
  if (c.gatt->client_state_generation() == c.saved_generation) return;
  c.saved_generation = c.gatt->client_state_generation();
  auto cccds = c.gatt->client_state().cccds;
  if (cccds == c.saved_cccds) return;
  std::vector<store::CccdEntry> entries;
  for (const auto& e : cccds) entries.push_back({e.handle, e.value});
  if (auto r = bonds_->update_cccds(c.bond->peer_identity, entries); !r.ok()) {
    SABLE_LOG_ERROR("subscriptions of %s not stored: %s", c.bond->peer_identity.to_string().c_str(),
                    r.error().to_string().c_str());
    return;
  }
  c.saved_cccds = std::move(cccds);
}

void Host::restore_client_state(Connection& c) {
  if (!c.gatt || !c.bond) return;
  gatt::ClientState state = c.gatt->client_state();
  for (const auto& e : c.bond->cccds) {
    // What the peer wrote on this link before encrypting wins.
    if (c.gatt->cccd_value(e.handle) == 0) state.cccds.push_back({e.handle, e.value});
  }
  c.gatt->restore_client_state(state);
  c.saved_cccds = c.gatt->client_state().cccds;
}

// A new resolvable private address: prand (top bits 0b01) and hash = ah(IRK,
// prand) (Core 5.4 Vol 6 Part B 1.3.2.2). The controller takes it only while
// advertising is off, so advertising is paused around the change.
void Host::rotate_private_address() {
  rpa_deadline_ = kNever;
  if (!config_.security.resolvable_private_address || !local_irk_ready_) return;
  private_address_.reset();
  advertising_data_dirty_ = true;
  if (advertising_on_ && !advertising_busy_) {
    advertising_busy_ = true;
    send_command(hci::le_set_advertising_enable(false), [this](const hci::CommandResult& r) {
      advertising_busy_ = false;
      if (r.ok()) advertising_on_ = false;
      refresh_advertising();
    });
  }
}

Result<void, Error> Host::pair(TimePoint now, uint16_t handle) {
  if (failed_) return fail(Error{ErrorKind::kInvalidState, "the controller has failed"});
  now_ = now;
  Connection* c = find(handle);
  if (!c || !c->pairing)
    return fail(Error{ErrorKind::kNotConnected, "no connection with that handle"});
  if (c->pairing->in_progress())
    return fail(Error{ErrorKind::kInvalidState, "pairing already in progress"});
  c->pairing->initiate(now);
  return {};
}

Result<void, Error> Host::secure(TimePoint now, uint16_t handle) {
  if (failed_) return fail(Error{ErrorKind::kInvalidState, "the controller has failed"});
  now_ = now;
  Connection* c = find(handle);
  if (!c) return fail(Error{ErrorKind::kNotConnected, "no connection with that handle"});
  if (c->desc.role == Role::kCentral && c->bond && c->bond->ltk_for(Role::kCentral)) {
    start_encryption_with_bond(*c, *c->bond);
    return {};
  }
  return pair(now, handle);
}

Result<void, Error> Host::passkey_reply(TimePoint now, uint16_t handle,
                                        std::optional<uint32_t> passkey) {
  now_ = now;
  Connection* c = find(handle);
  if (!c || !c->pairing)
    return fail(Error{ErrorKind::kNotConnected, "no connection with that handle"});
  if (passkey && *passkey > 999999)
    return fail(Error{ErrorKind::kBadArgument, "a passkey has 6 digits (0..999999)"});
  c->pairing->passkey_reply(now, passkey);
  return {};
}

Result<void, Error> Host::numeric_comparison_reply(TimePoint now, uint16_t handle, bool accept) {
  now_ = now;
  Connection* c = find(handle);
  if (!c || !c->pairing)
    return fail(Error{ErrorKind::kNotConnected, "no connection with that handle"});
  c->pairing->numeric_comparison_reply(now, accept);
  return {};
}

Result<void, Error> Host::remove_bond(const Address& identity) {
  auto r = bonds_->remove(store::identity_form(identity));
  if (!r.ok()) return fail(Error{ErrorKind::kBadArgument, r.error().to_string()});
  for (auto& c : connections_)
    if (c->bond && c->bond->peer_identity == store::identity_form(identity)) c->bond.reset();
  load_resolving_list();
  return {};
}

// ---- Advertising ----

Result<void, Error> Host::set_advertising_data(TimePoint now, const AdvertisementData& data) {
  now_ = now;
  auto layout = layout_advertising_data(data);
  if (!layout.ok())
    return fail(Error{ErrorKind::kDoesNotFit,
                      "advertising data does not fit: the name and fields exceed 31 octets in "
                      "both the advertising packet and the scan response"});
  advertising_payload_ = *layout;
  advertising_data_dirty_ = true;
  refresh_advertising();
  return {};
}

Result<void, Error> Host::set_advertising_interval(TimePoint now, uint16_t min_units,
                                                   uint16_t max_units) {
  now_ = now;
  if (min_units < 0x0020 || max_units > 0x4000 || min_units > max_units)
    return fail(Error{ErrorKind::kBadArgument,
                      "advertising interval must be 0x0020..0x4000 units of 0.625 ms, min <= max"});
  config_.advertising_interval_min = min_units;
  config_.advertising_interval_max = max_units;
  advertising_data_dirty_ = true;  // parameters are sent with the data on the next enable
  return {};
}

Result<void, Error> Host::start_advertising(TimePoint now) {
  now_ = now;
  if (failed_) return fail(Error{ErrorKind::kInvalidState, "the controller has failed"});
  advertising_wanted_ = true;
  refresh_advertising();
  return {};
}

Result<void, Error> Host::stop_advertising(TimePoint now) {
  now_ = now;
  advertising_wanted_ = false;
  refresh_advertising();
  return {};
}

// Brings the controller's advertising state to what is wanted: on when the
// application asked for it and a peripheral link is free, off otherwise.
void Host::refresh_advertising() {
  if (!ready_ || failed_ || advertising_busy_) return;
  size_t peripheral_links =
      size_t(std::count_if(connections_.begin(), connections_.end(),
                           [](const auto& c) { return c->desc.role == Role::kPeripheral; }));
  bool want_on = advertising_wanted_ && peripheral_links < config_.max_peripheral_connections;
  auto on_step = [](const char* what) {
    return [what](const hci::CommandResult& r) {
      if (!r.ok() && !r.timed_out) SABLE_LOG_WARN("%s", hci_error(what, r.status).c_str());
    };
  };
  if (want_on && !advertising_on_) {
    advertising_busy_ = true;
    hci::AdvertisingParameters p;
    p.interval_min = config_.advertising_interval_min;
    p.interval_max = config_.advertising_interval_max;
    p.advertising_type = 0x00;  // ADV_IND: connectable and scannable undirected
    p.own_address_type = 0x00;
    if (config_.security.resolvable_private_address && local_irk_ready_) {
      if (!private_address_) {
        smp::PRand prand;
        random_.fill(prand);
        prand[2] = uint8_t((prand[2] & 0x3F) | 0x40);  // 0b01: resolvable private
        smp::AddressHash hash = smp::ah(local_irk_, prand);
        Address rpa;
        rpa.type = AddressType::kRandom;
        rpa.bytes = {hash[0], hash[1], hash[2], prand[0], prand[1], prand[2]};
        private_address_ = rpa;
        rpa_deadline_ = now_ + config_.rpa_rotation;
        send_command(hci::le_set_random_address(rpa), on_step("LE_Set_Random_Address"));
        advertising_data_dirty_ = true;
      }
      p.own_address_type = 0x01;  // random: the RPA set above
    }
    if (advertising_data_dirty_) {
      send_command(hci::le_set_advertising_parameters(p), on_step("LE_Set_Advertising_Parameters"));
      if (auto cmd = hci::le_set_advertising_data(advertising_payload_.adv_data()); cmd.ok())
        send_command(*cmd, on_step("LE_Set_Advertising_Data"));
      if (auto cmd = hci::le_set_scan_response_data(advertising_payload_.scan_response_data());
          cmd.ok())
        send_command(*cmd, on_step("LE_Set_Scan_Response_Data"));
      advertising_data_dirty_ = false;
    }
    send_command(hci::le_set_advertising_enable(true), [this](const hci::CommandResult& r) {
      advertising_busy_ = false;
      advertising_on_ = r.ok();
      if (!r.ok() && !r.timed_out)
        SABLE_LOG_WARN("%s", hci_error("LE_Set_Advertising_Enable", r.status).c_str());
      else if (r.ok())
        SABLE_LOG_INFO("advertising");
      refresh_advertising();
    });
  } else if (!want_on && advertising_on_ && !advertising_wanted_) {
    advertising_busy_ = true;
    send_command(hci::le_set_advertising_enable(false), [this](const hci::CommandResult& r) {
      advertising_busy_ = false;
      if (r.ok()) advertising_on_ = false;
      refresh_advertising();
    });
  } else if (want_on && advertising_on_ && advertising_data_dirty_) {
    // New data while advertising: the controller accepts data updates in place.
    if (auto cmd = hci::le_set_advertising_data(advertising_payload_.adv_data()); cmd.ok())
      send_command(*cmd);
    if (auto cmd = hci::le_set_scan_response_data(advertising_payload_.scan_response_data());
        cmd.ok())
      send_command(*cmd);
    advertising_data_dirty_ = false;
  }
}

// ---- Central role: scanning and initiating ----

Result<void, Error> Host::start_scan(TimePoint now, const ScanConfig& config) {
  now_ = now;
  if (!ready_) return fail(Error{ErrorKind::kInvalidState, "the controller is not ready"});
  if (config.window > config.interval || config.interval < 0x0004 || config.interval > 0x4000 ||
      config.window < 0x0004)
    return fail(Error{ErrorKind::kBadArgument,
                      "scan window must not exceed the interval (both 0x0004..0x4000)"});
  scan_wanted_ = true;
  pending_adverts_.clear();
  hci::ScanParameters p;
  p.scan_type = config.active ? 0x01 : 0x00;
  p.interval = config.interval;
  p.window = config.window;
  if (scan_active_) send_command(hci::le_set_scan_enable(false, false));
  send_command(hci::le_set_scan_parameters(p));
  send_command(hci::le_set_scan_enable(true, config.filter_duplicates),
               [this](const hci::CommandResult& r) {
                 scan_active_ = r.ok();
                 if (!r.ok() && !r.timed_out)
                   SABLE_LOG_WARN("%s", hci_error("LE_Set_Scan_Enable", r.status).c_str());
               });
  return {};
}

Result<void, Error> Host::stop_scan(TimePoint now) {
  now_ = now;
  scan_wanted_ = false;
  pending_adverts_.clear();
  if (!ready_) return {};
  send_command(hci::le_set_scan_enable(false, false), [this](const hci::CommandResult& r) {
    if (r.ok()) scan_active_ = false;
  });
  return {};
}

void Host::on_advertising_report(Bytes params) {
  auto ev = hci::LeAdvertisingReportEvent::parse(params);
  if (!ev.ok()) {
    SABLE_LOG_WARN("dropping malformed LE Advertising Report (%s)", hci::to_string(ev.error()));
    return;
  }
  if (!scan_wanted_) return;
  for (const hci::AdvertisingReport& r : *ev) {
    auto data = parse_advertising_data(r.data);
    if (!data.ok()) {
      SABLE_LOG_WARN("dropping advertising report from %s: malformed AD structure",
                     r.address.to_string().c_str());
      continue;
    }
    constexpr uint8_t kScanResponse = 0x04;
    auto it = std::find_if(pending_adverts_.begin(), pending_adverts_.end(),
                           [&](const PendingAdvert& p) { return p.address == r.address; });
    if (r.event_type == kScanResponse) {
      ScanReport report;
      if (it != pending_adverts_.end()) {
        report = it->report;
        pending_adverts_.erase(it);
      } else {
        report.address = r.address;
        report.event_type = r.event_type;
      }
      merge_advertising_data(report.data, *data);
      report.rssi = r.rssi;
      listener_.on_scan_report(report);
      continue;
    }
    ScanReport report;
    report.address = r.address;
    report.rssi = r.rssi;
    report.event_type = r.event_type;
    if (r.address.is_resolvable_private()) {
      auto resolver = [](const store::Key128& irk, const std::array<uint8_t, 6>& rpa) {
        return smp::rpa_matches_irk(irk, rpa);
      };
      if (auto b = bonds_->find_by_rpa(r.address.bytes, resolver))
        report.identity = b->peer_identity;
    }
    // ADV_IND (0) and ADV_DIRECT_IND (1) are connectable (Core 5.4 Vol 4 Part E 7.7.65.2).
    report.connectable = r.event_type == 0x00 || r.event_type == 0x01;
    report.data = std::move(*data);
    // Scannable advertising (ADV_IND, ADV_SCAN_IND) may be followed by a scan
    // response: deliver now, and again merged when the response comes.
    bool scannable = r.event_type == 0x00 || r.event_type == 0x02;
    if (scannable) {
      if (it != pending_adverts_.end()) pending_adverts_.erase(it);
      if (pending_adverts_.size() >= 32) pending_adverts_.erase(pending_adverts_.begin());
      pending_adverts_.push_back(PendingAdvert{r.address, report});
    }
    listener_.on_scan_report(report);
  }
}

Result<void, Error> Host::connect(TimePoint now, const Address& peer, const ConnectConfig& config) {
  now_ = now;
  if (!ready_) return fail(Error{ErrorKind::kInvalidState, "the controller is not ready"});
  if (connecting_)
    return fail(Error{ErrorKind::kInvalidState, "a connection attempt is already in progress"});
  if (!l2cap::connection_parameters_valid(config.parameters))
    return fail(Error{ErrorKind::kBadArgument, "connection parameters out of range"});
  hci::CreateConnectionParameters p;
  p.scan_interval = 0x0060;
  p.scan_window = 0x0060;
  p.peer_address = peer;
  p.own_address_type = 0x00;
  p.connection.interval_min = config.parameters.interval_min;
  p.connection.interval_max = config.parameters.interval_max;
  p.connection.max_latency = config.parameters.peripheral_latency;
  p.connection.supervision_timeout = config.parameters.supervision_timeout;
  connecting_ = Connecting{peer, now + config.timeout, false, std::nullopt};
  send_command(hci::le_create_connection(p), [this, peer](const hci::CommandResult& r) {
    if (r.ok() || !connecting_) return;
    connecting_.reset();
    listener_.on_connect_failed(
        peer, Error{r.timed_out ? ErrorKind::kControllerTimeout : ErrorKind::kController,
                    r.timed_out ? "LE_Create_Connection timed out"
                                : hci_error("LE_Create_Connection", r.status),
                    uint8_t(r.status)});
  });
  return {};
}

Result<void, Error> Host::cancel_connect(TimePoint now) {
  now_ = now;
  if (!connecting_) return fail(Error{ErrorKind::kInvalidState, "no connection attempt"});
  if (!connecting_->cancel_sent) {
    connecting_->cancel_sent = true;
    connecting_->failure = Error{ErrorKind::kInvalidState, "connection attempt cancelled"};
    send_command(hci::le_create_connection_cancel());
  }
  return {};
}

// ---- GATT notifications ----

NotifyResult Host::notify(TimePoint now, uint16_t value_handle, Bytes value) {
  now_ = now;
  if (failed_) return NotifyResult{0, NotifyStatus::kNotConnected};
  NotifyResult result;
  result.status = NotifyStatus::kNotConnected;
  // Rank the reasons so that the most informative one for "why not" wins.
  auto rank = [](NotifyStatus s) {
    switch (s) {
      case NotifyStatus::kNotConnected:
        return 0;
      case NotifyStatus::kNotSubscribed:
        return 1;
      case NotifyStatus::kLinkNotSecure:
        return 2;
      case NotifyStatus::kTooLong:
        return 3;
      case NotifyStatus::kOutOfBuffers:
        return 4;
      case NotifyStatus::kNoCccd:
        return 5;
      default:
        return -1;
    }
  };
  bool any_failed = false;
  for (auto& c : connections_) {
    if (!c->gatt) continue;
    NotifyStatus s = to_notify_status(c->gatt->notify(value_handle, value));
    if (s == NotifyStatus::kSent) {
      ++result.sent;
    } else if (!any_failed || rank(s) > rank(result.status)) {
      result.status = s;
      any_failed = true;
    }
  }
  if (!any_failed && result.sent > 0) result.status = NotifyStatus::kSent;
  return result;
}

}  // namespace sable::gap
