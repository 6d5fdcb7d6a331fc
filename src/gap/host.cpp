#include "gap/host.hpp"

#include <algorithm>

#include "common/log.hpp"
#include "gap/link_parameters.hpp"
#include "hci/commands.hpp"
#include "hci/events.hpp"
#include "hci/opcodes.hpp"

namespace sable::gap {
namespace {

// Per gatt::ValueSendResult (in its order): what notify() reports, and the
// rank of that reason, so that the most informative one for "why not" wins
// when several links answer (-1: sent).
struct NotifyOutcome {
  NotifyStatus status;
  int8_t rank;
};
constexpr NotifyOutcome kNotifyOutcomes[] = {
    {NotifyStatus::kSent, -1},        {NotifyStatus::kNotSubscribed, 1},
    {NotifyStatus::kNoCccd, 5},       {NotifyStatus::kLinkNotSecure, 2},
    {NotifyStatus::kTooLong, 3},      {NotifyStatus::kOutOfBuffers, 4},  // indication pending
    {NotifyStatus::kOutOfBuffers, 4}, {NotifyStatus::kNotConnected, 0},
};
static_assert(size_t(gatt::ValueSendResult::kNotConnected) == 7);

constexpr const char* kNoPeripheral = "this build has no peripheral role (SABLE_ROLES=central)";
constexpr const char* kNoCentral = "this build has no central role (SABLE_ROLES=peripheral)";

}  // namespace

Host::Entry::Entry(Host& host, TimePoint now) : host_(host) {
  host_.ctx_.now = now;
  ++host_.depth_;
}

Host::Entry::~Entry() {
  if (--host_.depth_ > 0 || host_.delivering_) return;
  // The listener may call back into the host; what those calls queue is
  // delivered by this same loop, in order.
  host_.delivering_ = true;
  host_.ctx_.events.deliver(host_.listener_);
  host_.delivering_ = false;
}

Host::Host(const HostConfig& config, hci::Sender& out, HostListener& listener,
           crypto::RandomSource& random)
    : ctx_(config, out, random),
      listener_(listener),
      init_(ctx_.commands),
      acl_out_(out, hci::AclOutbound::Config{config.max_connections,
                                             std::max<size_t>(64, 4 * config.max_connections)}),
      acl_in_([this](uint16_t handle, Bytes pdu) { on_acl_pdu(handle, pdu); },
              hci::AclInbound::Config{config.max_connections, 4 + 1024}),
      privacy_(ctx_),
      advertiser_(ctx_, privacy_),
      scanner_(ctx_, privacy_, listener),
      connector_(ctx_),
      slots_(std::make_unique<std::optional<Connection>[]>(config.max_connections)),
      links_(std::make_unique<Connection*[]>(config.max_connections)) {
  ctx_.commands.set_on_controller_timeout([this](uint16_t opcode) {
    fatal(ErrorKind::kControllerTimeout,
          ErrorMessage::format(
              "controller not responding (no answer to HCI command 0x%04x within %lld ms)", opcode,
              2000LL));
  });
}

Host::~Host() = default;

void Host::fatal(ErrorKind kind, const ErrorMessage& message) {
  if (ctx_.failed) return;
  // Every link ends with the controller: report them, then the failure.
  ctx_.failed = true;
  ctx_.ready = false;
  advertiser_.on_controller_failed();
  SABLE_LOG_ERROR("%s", message.c_str());
  for (const Connection* c : links())
    ctx_.events.push(HostEvent::Kind::kDisconnected, c->desc(),
                     uint8_t(HciStatus::kConnectionTimeout));
  ctx_.events.push(HostEvent::Kind::kFatal).error = Error{kind, message};
}

void Host::on_controller_lost(TimePoint now, const ErrorMessage& message) {
  Entry entry(*this, now);
  fatal(ErrorKind::kTransport, message);
}

void Host::start(TimePoint now) {
  Entry entry(*this, now);
  init_.start(now,
              [this](const Result<hci::ControllerInfo, hci::InitError>& r) { on_bring_up(r); });
}

void Host::on_bring_up(const Result<hci::ControllerInfo, hci::InitError>& r) {
  if (!r.ok()) {
    const auto& e = r.error();
    fatal(e.kind == hci::InitError::Kind::kTimeout ? ErrorKind::kControllerTimeout
                                                   : ErrorKind::kController,
          ErrorMessage::format("controller bring-up: %s", e.to_string().c_str()));
    return;
  }
  ctx_.controller = r.value();
  acl_out_.configure(ctx_.controller.acl_data_length, ctx_.controller.acl_packet_count);
  privacy_.ensure_local_identity();
  ctx_.ready = true;
  privacy_.load_resolving_list();
  SABLE_LOG_INFO("controller %s ready: HCI version %u, ACL %u x %u octets",
                 ctx_.controller.bd_addr.to_string().c_str(), ctx_.controller.hci_version,
                 ctx_.controller.acl_packet_count, ctx_.controller.acl_data_length);
  ctx_.events.push(HostEvent::Kind::kReady);
  refresh_advertising();
}

void Host::on_hci_packet(TimePoint now, HciPacketType type, Bytes packet) {
  Entry entry(*this, now);
  if (ctx_.failed) return;
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
  TimePoint t = ctx_.commands.next_deadline();
  if constexpr (profile::kCentralRole) t = std::min(t, connector_.next_deadline());
  if constexpr (profile::kPeripheralRole) t = std::min(t, advertiser_.next_deadline());
  for (const Connection* c : links()) t = std::min(t, c->next_deadline());
  return t;
}

void Host::on_timeout(TimePoint now) {
  Entry entry(*this, now);
  ctx_.commands.on_timeout(now);
  if constexpr (profile::kCentralRole) connector_.on_timeout(now);
  // Connections leave only on Disconnection Complete, so the list is stable here.
  for (Connection* c : links()) c->on_timeout(now);
  if constexpr (profile::kPeripheralRole) advertiser_.on_timeout(now);
}

// ---- HCI event dispatch ----

void Host::on_event(Bytes packet) {
  if (ctx_.commands.on_event(ctx_.now, packet)) return;
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
      if (auto e = hci::EncryptionChangeEvent::parse(ev->params); e.ok())
        if (Connection* c = find(e->handle))
          c->on_encryption_change(e->status, e->encryption_enabled != 0);
      break;
    case hci::ev::kEncryptionKeyRefreshComplete:
      if (auto e = hci::EncryptionKeyRefreshCompleteEvent::parse(ev->params); e.ok())
        if (Connection* c = find(e->handle)) c->on_key_refresh_complete(e->status);
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
        on_connection_complete(*e, {});
      break;
    case hci::le_ev::kEnhancedConnectionComplete:
      if (auto e = hci::LeEnhancedConnectionCompleteEvent::parse(meta->params); e.ok())
        on_connection_complete(*e, e->peer_resolvable_private_address);
      break;
    case hci::le_ev::kAdvertisingReport:
      if constexpr (profile::kCentralRole)
        if (scanner_.scanning()) scanner_.on_advertising_report(meta->params);
      break;
    case hci::le_ev::kConnectionUpdateComplete:
      if (auto e = hci::LeConnectionUpdateCompleteEvent::parse(meta->params); e.ok())
        if (Connection* c = find(e->handle)) c->on_connection_update_complete(*e);
      break;
    case hci::le_ev::kLongTermKeyRequest:
      if (auto e = hci::LeLongTermKeyRequestEvent::parse(meta->params); e.ok()) {
        if (Connection* c = find(e->handle))
          c->on_long_term_key_request(e->random_number, e->encrypted_diversifier);
        else  // Core 5.4 Vol 4 Part E 7.8.26
          ctx_.send_command(hci::le_long_term_key_request_negative_reply(e->handle));
      }
      break;
    case hci::le_ev::kRemoteConnectionParameterRequest:
      on_remote_connection_parameter_request(meta->params);
      break;
    default:
      SABLE_LOG_DEBUG("ignoring LE subevent 0x%02x", meta->subevent);
      break;
  }
}

// ---- Connection lifecycle ----

void Host::on_connection_complete(const hci::LeConnectionFields& e,
                                  const std::array<uint8_t, 6>& peer_rpa) {
  if constexpr (profile::kCentralRole)
    if (e.role == hci::kRoleCentral && connector_.on_connection_complete(e.status)) return;
  if (e.status != HciStatus::kSuccess) {
    SABLE_LOG_WARN("%s", hci_error("LE connection", e.status).c_str());
    if (e.role == hci::kRolePeripheral) advertiser_.stopped_by_controller();
    refresh_advertising();
    return;
  }
  if (find(e.handle)) {
    SABLE_LOG_WARN("controller reported connection 0x%04x twice; ignoring", e.handle);
    return;
  }
  std::optional<Connection>* slot = nullptr;
  for (size_t i = 0; i < ctx_.config.max_connections && !slot; ++i)
    if (!slots_[i]) slot = &slots_[i];
  if (!slot) {
    // More links than this host was sized for (HostConfig::max_connections).
    SABLE_LOG_WARN("connection 0x%04x refused: %zu links already", e.handle, link_count_);
    ctx_.send_command(hci::disconnect(e.handle, HciStatus::kRemoteDeviceTerminatedLowResources));
    return;
  }
  ConnDesc d;
  d.handle = e.handle;
  d.role = e.role == hci::kRoleCentral ? Role::kCentral : Role::kPeripheral;
  d.address = e.peer_address;
  d.id_address = e.peer_address;
  // Core 5.4 Vol 4 Part E 7.7.65.10: when the controller resolved the peer
  // (Enhanced Connection Complete), Peer_Address is its identity (type
  // 0x02/0x03) and the address used on the air is
  // Peer_Resolvable_Private_Address. Pairing needs the on-air address;
  // ConnDesc shows both. The legacy event has no RPA (all zero).
  if (peer_rpa != std::array<uint8_t, 6>{}) {
    d.id_address = store::identity_form(e.peer_address);
    d.address.bytes = peer_rpa;
    d.address.type = AddressType::kRandom;
  }
  d.interval = e.connection_interval;
  d.latency = e.peripheral_latency;
  d.supervision_timeout = e.supervision_timeout;
  d.mtu = att::kDefaultMtu;
  d.generation = ++generations_;
  bool peripheral = d.role == Role::kPeripheral;
  const Address& local = (peripheral && advertiser_.private_address())
                             ? *advertiser_.private_address()
                             : ctx_.controller.bd_addr;
  slot->emplace(LinkServices{ctx_, privacy_, acl_out_, repeated_attempts_, database_}, d, local);
  Connection& c = **slot;
  links_[link_count_++] = &c;
  // The controller stops advertising when a peripheral connection is made
  // (Core 5.4 Vol 6 Part B 4.4.2.9).
  if (peripheral) advertiser_.stopped_by_controller();
  SABLE_LOG_INFO("connected 0x%04x to %s", e.handle, d.address.to_string().c_str());
  ctx_.events.push(HostEvent::Kind::kConnected, c.desc());
  refresh_advertising();
}

void Host::on_disconnection_complete(Bytes params) {
  auto e = hci::DisconnectionCompleteEvent::parse(params);
  if (!e.ok()) {
    SABLE_LOG_WARN("dropping malformed Disconnection Complete");
    return;
  }
  Connection* gone = find(e->handle);
  if (e->status != HciStatus::kSuccess) {
    SABLE_LOG_WARN("%s", hci_error("disconnection", e->status).c_str());
    if (gone) gone->on_disconnect_failed();
    return;
  }
  if (!gone) {
    SABLE_LOG_WARN("Disconnection Complete for unknown handle 0x%04x", e->handle);
    return;
  }
  // Out of the list (which keeps its order), then out of its slot.
  size_t i = 0;
  while (links_[i] != gone) ++i;
  for (--link_count_; i < link_count_; ++i) links_[i] = links_[i + 1];
  gone->on_disconnected();
  acl_out_.on_disconnection(e->handle);
  acl_in_.on_disconnection(e->handle);
  ctx_.events.push(HostEvent::Kind::kDisconnected, gone->desc(), uint8_t(e->reason));
  for (size_t k = 0; k < ctx_.config.max_connections; ++k)
    if (slots_[k] && &*slots_[k] == gone) slots_[k].reset();
  refresh_advertising();
}

void Host::on_remote_connection_parameter_request(Bytes params) {
  auto e = hci::LeRemoteConnectionParameterRequestEvent::parse(params);
  if (!e.ok()) return;
  l2cap::ConnectionParameters p{e->interval_min, e->interval_max, e->max_latency, e->timeout};
  // Core 5.4 Vol 4 Part E 7.7.65.6: accept anything within the valid ranges.
  bool accept = find(e->handle) && l2cap::connection_parameters_valid(p);
  ctx_.send_command(accept ? hci::le_remote_connection_parameter_request_reply(e->handle, to_hci(p))
                           : hci::le_remote_connection_parameter_request_negative_reply(
                                 e->handle, HciStatus::kUnacceptableConnectionParameters));
}

void Host::on_acl_pdu(uint16_t handle, Bytes pdu) {
  Connection* c = find(handle);
  if (!c) {
    SABLE_LOG_WARN("dropping ACL data for unknown handle 0x%04x", handle);
    return;
  }
  c->on_acl_pdu(pdu);
}

Connection* Host::find(uint16_t handle) {
  for (Connection* c : links())
    if (c->handle() == handle) return c;
  return nullptr;
}

const Connection* Host::find(uint16_t handle) const {
  for (const Connection* c : links())
    if (c->handle() == handle) return c;
  return nullptr;
}

// One body for every public call on a link (a function pointer, not a
// template per call).
Result<void, Error> Host::with_link(TimePoint now, uint16_t handle, LinkCall call,
                                    const void* arg) {
  Entry entry(*this, now);
  if (ctx_.failed) return refuse(ErrorKind::kInvalidState, "the controller has failed");
  Connection* c = find(handle);
  if (!c) return refuse(ErrorKind::kNotConnected, "no connection with that handle");
  return call(*c, arg);
}

size_t Host::peripheral_links() const {
  size_t n = 0;
  for (const Connection* c : links()) n += c->role() == Role::kPeripheral;
  return n;
}

void Host::refresh_advertising() {
  if constexpr (profile::kPeripheralRole) advertiser_.refresh(peripheral_links());
}

// ---- Public calls ----

Result<void, Error> Host::update_connection_parameters(TimePoint now, uint16_t handle,
                                                       const l2cap::ConnectionParameters& p) {
  return with_link(
      now, handle,
      [](Connection& c, const void* a) {
        return c.update_parameters(*static_cast<const l2cap::ConnectionParameters*>(a));
      },
      &p);
}

Result<void, Error> Host::disconnect(TimePoint now, uint16_t handle, uint8_t reason) {
  return with_link(
      now, handle,
      [](Connection& c, const void* a) { return c.disconnect(*static_cast<const uint8_t*>(a)); },
      &reason);
}

Result<void, Error> Host::pair(TimePoint now, uint16_t handle) {
  return with_link(now, handle, [](Connection& c, const void*) { return c.pair(); });
}

Result<void, Error> Host::secure(TimePoint now, uint16_t handle) {
  return with_link(now, handle, [](Connection& c, const void*) { return c.secure(); });
}

Result<void, Error> Host::passkey_reply(TimePoint now, uint16_t handle,
                                        std::optional<uint32_t> passkey) {
  return with_link(
      now, handle,
      [](Connection& c, const void* a) {
        return c.passkey_reply(*static_cast<const std::optional<uint32_t>*>(a));
      },
      &passkey);
}

Result<void, Error> Host::numeric_comparison_reply(TimePoint now, uint16_t handle, bool accept) {
  return with_link(
      now, handle,
      [](Connection& c, const void* a) {
        return c.numeric_comparison_reply(*static_cast<const bool*>(a));
      },
      &accept);
}

Result<void, Error> Host::remove_bond(const Address& identity) {
  Address id = store::identity_form(identity);
  auto r = ctx_.bonds().remove(id);
  if (!r.ok()) {
    ErrorMessage message = store::to_string(r.error().kind);
    return fail(Error{ErrorKind::kBadArgument, message.append(": ").append(r.error().reason)});
  }
  for (Connection* c : links()) c->forget_bond(id);
  privacy_.load_resolving_list();
  return accepted();
}

void Host::set_security_config(const SecurityConfig& security) {
  bool privacy_changed =
      security.resolvable_private_address != ctx_.config.security.resolvable_private_address;
  ctx_.config.security = security;
  if (privacy_changed && ctx_.ready) advertiser_.on_privacy_changed();
}

Result<void, Error> Host::set_advertising_data(TimePoint now, const AdvertisementData& data) {
  Entry entry(*this, now);
  if constexpr (!profile::kPeripheralRole) return refuse(ErrorKind::kNotSupported, kNoPeripheral);
  if (auto r = advertiser_.set_data(data); !r.ok()) return r;
  refresh_advertising();
  return accepted();
}

Result<void, Error> Host::set_advertising_interval(TimePoint now, uint16_t min_units,
                                                   uint16_t max_units) {
  Entry entry(*this, now);
  if constexpr (!profile::kPeripheralRole) return refuse(ErrorKind::kNotSupported, kNoPeripheral);
  return advertiser_.set_interval(min_units, max_units);
}

Result<void, Error> Host::start_advertising(TimePoint now) {
  Entry entry(*this, now);
  if constexpr (!profile::kPeripheralRole) return refuse(ErrorKind::kNotSupported, kNoPeripheral);
  if (ctx_.failed) return refuse(ErrorKind::kInvalidState, "the controller has failed");
  advertiser_.start();
  refresh_advertising();
  return accepted();
}

Result<void, Error> Host::stop_advertising(TimePoint now) {
  Entry entry(*this, now);
  if constexpr (!profile::kPeripheralRole) return accepted();
  advertiser_.stop();
  refresh_advertising();
  return accepted();
}

Result<void, Error> Host::start_scan(TimePoint now, const ScanConfig& config) {
  Entry entry(*this, now);
  if constexpr (!profile::kCentralRole) return refuse(ErrorKind::kNotSupported, kNoCentral);
  return scanner_.start(config);
}

Result<void, Error> Host::stop_scan(TimePoint now) {
  Entry entry(*this, now);
  if constexpr (!profile::kCentralRole) return refuse(ErrorKind::kNotSupported, kNoCentral);
  return scanner_.stop();
}

Result<void, Error> Host::connect(TimePoint now, const Address& peer, const ConnectConfig& config) {
  Entry entry(*this, now);
  if constexpr (!profile::kCentralRole) return refuse(ErrorKind::kNotSupported, kNoCentral);
  return connector_.connect(peer, config);
}

Result<void, Error> Host::cancel_connect(TimePoint now) {
  Entry entry(*this, now);
  if constexpr (!profile::kCentralRole) return refuse(ErrorKind::kNotSupported, kNoCentral);
  return connector_.cancel();
}

NotifyResult Host::notify(TimePoint now, uint16_t value_handle, Bytes value) {
  Entry entry(*this, now);
  if (ctx_.failed) return NotifyResult{0, NotifyStatus::kNotConnected};
  NotifyResult result;
  result.status = NotifyStatus::kNotConnected;
  int best_rank = -1;  // of the reasons seen so far
  for (Connection* c : links()) {
    if (!c->server()) continue;
    NotifyOutcome o = kNotifyOutcomes[size_t(c->server()->notify(value_handle, value))];
    if (o.rank < 0) {
      ++result.sent;
    } else if (o.rank > best_rank) {
      result.status = o.status;
      best_rank = o.rank;
    }
  }
  if (best_rank < 0 && result.sent > 0) result.status = NotifyStatus::kSent;
  return result;
}

// ---- Queries ----

std::optional<store::Bond> Host::bond_for(uint16_t handle) const {
  const Connection* c = find(handle);
  if (!c) return std::nullopt;
  return c->bond();
}

gatt::Client* Host::gatt_client(uint16_t handle) {
  Connection* c = find(handle);
  return c ? c->client() : nullptr;
}

std::vector<ConnDesc> Host::connections() const {
  // None once the controller, and every link with it, is gone.
  std::vector<ConnDesc> out(ctx_.failed ? 0 : link_count_);
  for (size_t i = 0; i < out.size(); ++i) out[i] = links_[i]->desc();
  return out;
}

bool Host::is_current(uint16_t handle, uint32_t generation) const {
  const Connection* c = find(handle);
  return c && !ctx_.failed && c->desc().generation == generation;
}

std::optional<ConnDesc> Host::connection(uint16_t handle) const {
  if (ctx_.failed) return std::nullopt;
  const Connection* c = find(handle);
  if (!c) return std::nullopt;
  return c->desc();
}

}  // namespace sable::gap
