#include "gap/connection.hpp"

#include "common/log.hpp"
#include "gap/link_parameters.hpp"
#include "hci/commands.hpp"

namespace sable::gap {
namespace {

// How long a peripheral waits for the link-layer parameter update before
// asking the central over L2CAP instead.
constexpr Duration kParameterUpdateWait = Duration(5000);

// The link's GATT server, made in place in the member's initializer.
std::optional<gatt::Server> server_for(gatt::Database* database, att::Bearer& bearer) {
  if (!database) return std::nullopt;
  return std::optional<gatt::Server>(std::in_place, *database, bearer);
}

}  // namespace

Connection::Connection(const LinkServices& services, const ConnDesc& d,
                       const Address& local_address)
    : s_(services),
      desc_(d),
      local_address_(local_address),
      link_(d.role == Role::kCentral ? l2cap::Role::kCentral : l2cap::Role::kPeripheral, *this),
      bearer_(static_cast<att::BearerDelegate&>(*this), d.handle, s_.ctx.config.max_att_mtu),
      server_(server_for(s_.database, bearer_)),
      pairing_(d.role == Role::kCentral ? smp::Role::kInitiator : smp::Role::kResponder,
               pairing_policy(s_.ctx.config.security), static_cast<smp::PairingDelegate&>(*this),
               s_.ctx.random, s_.privacy.local_device(local_address), d.address,
               &s_.repeated_attempts) {
  desc_.id_address = s_.privacy.resolve(desc_.address, desc_.id_address, bond_);
  if (server_) server_->set_link_security(link_security());
  if constexpr (profile::kGattClient) client_.emplace(bearer_);
  pairing_.set_peer_identity(desc_.id_address);
}

Connection::~Connection() = default;

ConnDesc Connection::desc() const {
  ConnDesc d = desc_;
  d.mtu = bearer_.mtu();
  return d;
}

void Connection::push(HostEvent::Kind kind, uint32_t value) {
  s_.ctx.events.push(kind, desc(), value);
}

// ---- L2CAP ----

void Connection::on_acl_pdu(Bytes pdu) {
  link_.on_pdu(s_.ctx.now, pdu);
  save_client_state();
}

void Connection::send_pdu(Bytes pdu) {
  if (!s_.acl.send(desc_.handle, pdu))
    SABLE_LOG_WARN("connection 0x%04x: ACL queue full; PDU dropped", desc_.handle);
}

// The bearer hands requests to the server, responses and notifications to
// the client (Core 5.4 Vol 3 Part F 3.3).
void Connection::on_att_sdu(Bytes sdu) {
  bearer_.on_pdu(s_.ctx.now, sdu);
}

// Repeated Attempts (Core 5.4 Vol 3 Part H 2.3.6), per peer and across peers
// with a static passkey, is smp::Pairing's own business.
void Connection::on_smp_sdu(Bytes sdu) {
  pairing_.on_sdu(s_.ctx.now, sdu);
}

// Room in the ACL queue for this ATT PDU and its L2CAP header.
bool Connection::can_send(size_t length) {
  return s_.acl.free_fragments() * s_.acl.buffer_length() >= length + 4;
}

void Connection::on_bearer_fatal() {
  SABLE_LOG_WARN("connection 0x%04x: ATT bearer failed; disconnecting", desc_.handle);
  (void)disconnect(uint8_t(hci::HciStatus::kRemoteUserTerminatedConnection));
}

// ---- Connection parameters (Core 5.4 Vol 3 Part A 4.20, Vol 4 Part E 7.8.18) ----

bool Connection::on_connection_parameter_update_request(const l2cap::ConnectionParameters& p) {
  // Only a central is asked (l2cap::LeLink answers a peripheral itself).
  if constexpr (!profile::kCentralRole) return false;
  s_.ctx.send_command(hci::le_connection_update(desc_.handle, to_hci(p)));
  return true;
}

void Connection::on_connection_parameter_update_result(l2cap::ConnectionParameterUpdateResult r) {
  if (r != l2cap::ConnectionParameterUpdateResult::kAccepted)
    SABLE_LOG_WARN(
        "connection 0x%04x: central did not accept the parameter update (%s)", desc_.handle,
        r == l2cap::ConnectionParameterUpdateResult::kTimedOut ? "timed out" : "rejected");
}

Result<void, Error> Connection::update_parameters(const l2cap::ConnectionParameters& p) {
  // Core 5.4 Vol 3 Part A 4.20 (the message fits ErrorMessage::kCapacity).
  if (!l2cap::connection_parameters_valid(p))
    return refuse(ErrorKind::kBadArgument,
                  "connection parameters out of range: interval 6..3200, latency <= 499, "
                  "timeout 10..3200 and > (1+latency)*interval*2");
  pending_update_ = p;
  update_fell_back_ = false;
  // A central whose host never answers the controller's Remote Connection
  // Parameter Request leaves the procedure hanging; ask over L2CAP then.
  if (desc_.role == Role::kPeripheral) update_deadline_ = s_.ctx.now + kParameterUpdateWait;
  s_.ctx.send_command(hci::le_connection_update(desc_.handle, to_hci(p)),
                      [this](const hci::CommandResult& r) {
                        if (r.ok()) return;
                        SABLE_LOG_INFO(
                            "connection 0x%04x: LE_Connection_Update refused (%s); "
                            "using L2CAP",
                            desc_.handle, r.timed_out ? "timed out" : hci::to_string(r.status));
                        if (desc_.role == Role::kPeripheral) fall_back_to_l2cap_update();
                      });
  return accepted();
}

void Connection::on_connection_update_complete(const hci::LeConnectionUpdateCompleteEvent& e) {
  if (e.status != hci::HciStatus::kSuccess) {
    SABLE_LOG_WARN("connection 0x%04x: %s", desc_.handle,
                   hci_error("connection update", e.status).c_str());
    // The link layer procedure failed (e.g. the peer lacks the Connection
    // Parameters Request procedure): ask over L2CAP instead.
    if (pending_update_ && desc_.role == Role::kPeripheral) fall_back_to_l2cap_update();
    return;
  }
  pending_update_.reset();
  update_deadline_ = kNever;
  desc_.interval = e.connection_interval;
  desc_.latency = e.peripheral_latency;
  desc_.supervision_timeout = e.supervision_timeout;
  push(HostEvent::Kind::kConnectionUpdated);
}

void Connection::fall_back_to_l2cap_update() {
  update_deadline_ = kNever;
  if (!pending_update_ || update_fell_back_) return;
  update_fell_back_ = true;
  auto r = link_.request_connection_parameter_update(s_.ctx.now, *pending_update_);
  pending_update_.reset();
  if (!r.ok()) SABLE_LOG_WARN("connection 0x%04x: L2CAP parameter update not sent", desc_.handle);
}

Result<void, Error> Connection::disconnect(uint8_t reason) {
  if (disconnecting_) return accepted();
  disconnecting_ = true;
  s_.ctx.send_command(hci::disconnect(desc_.handle, hci::HciStatus(reason)));
  return accepted();
}

void Connection::on_disconnected() {
  save_client_state();
  // Fails the client's open procedures with kDisconnected.
  bearer_.close();
}

// ---- Deadlines ----

TimePoint Connection::next_deadline() const {
  TimePoint t = std::min(link_.next_deadline(), update_deadline_);
  t = std::min(t, bearer_.next_deadline());
  return std::min(t, pairing_.next_deadline());
}

void Connection::on_timeout(TimePoint now) {
  link_.on_timeout(now);
  if (bearer_.next_deadline() <= now) bearer_.on_timeout(now);
  if (pairing_.next_deadline() <= now) pairing_.on_timeout(now);
  if (update_deadline_ <= now) {
    SABLE_LOG_INFO("connection 0x%04x: no answer to LE_Connection_Update; using L2CAP",
                   desc_.handle);
    fall_back_to_l2cap_update();
  }
}

// ---- Pairing procedures ----

Result<void, Error> Connection::pair() {
  if (pairing_.in_progress())
    return refuse(ErrorKind::kInvalidState, "pairing already in progress");
  pairing_.initiate(s_.ctx.now);
  return accepted();
}

Result<void, Error> Connection::secure() {
  if (profile::kCentralRole && desc_.role == Role::kCentral && bond_ &&
      bond_->ltk_for(Role::kCentral)) {
    start_encryption_with_bond();
    return accepted();
  }
  return pair();
}

Result<void, Error> Connection::passkey_reply(std::optional<uint32_t> passkey) {
  if (passkey && *passkey > 999999)
    return refuse(ErrorKind::kBadArgument, "a passkey has 6 digits (0..999999)");
  pairing_.passkey_reply(s_.ctx.now, passkey);
  return accepted();
}

Result<void, Error> Connection::numeric_comparison_reply(bool accept) {
  pairing_.numeric_comparison_reply(s_.ctx.now, accept);
  return accepted();
}

void Connection::display_passkey(uint32_t passkey) {
  push(HostEvent::Kind::kPasskeyDisplay, passkey);
}

void Connection::request_passkey(smp::PasskeyRequest) {
  push(HostEvent::Kind::kPasskeyRequest);
}

void Connection::confirm_numeric_comparison(uint32_t value) {
  push(HostEvent::Kind::kNumericComparison, value);
}

}  // namespace sable::gap
