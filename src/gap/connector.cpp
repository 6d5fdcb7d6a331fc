#include "gap/connector.hpp"

#include "hci/commands.hpp"
#include "l2cap/pdu.hpp"

namespace sable::gap {

Result<void, Error> Connector::connect(const Address& peer, const ConnectConfig& config) {
  if (!ctx_.ready) return refuse(ErrorKind::kInvalidState, "the controller is not ready");
  if (attempt_)
    return refuse(ErrorKind::kInvalidState, "a connection attempt is already in progress");
  if (!l2cap::connection_parameters_valid(config.parameters))
    return refuse(ErrorKind::kBadArgument, "connection parameters out of range");
  hci::CreateConnectionParameters p;
  p.scan_interval = 0x0060;
  p.scan_window = 0x0060;
  p.peer_address = peer;
  p.own_address_type = 0x00;
  p.connection = to_hci(config.parameters);
  attempt_ = Attempt{peer, ctx_.now + config.timeout, false, std::nullopt};
  ctx_.send_command(hci::le_create_connection(p), [this, peer](const hci::CommandResult& r) {
    if (r.ok() || !attempt_) return;
    attempt_.reset();
    failed(peer, Error{r.timed_out ? ErrorKind::kControllerTimeout : ErrorKind::kController,
                       r.timed_out ? "LE_Create_Connection timed out"
                                   : hci_error("LE_Create_Connection", r.status),
                       uint8_t(r.status)});
  });
  return accepted();
}

Result<void, Error> Connector::cancel() {
  if (!attempt_) return refuse(ErrorKind::kInvalidState, "no connection attempt");
  if (!attempt_->cancel_sent) {
    attempt_->cancel_sent = true;
    attempt_->failure = Error{ErrorKind::kInvalidState, "connection attempt cancelled"};
    ctx_.send_command(hci::le_create_connection_cancel());
  }
  return accepted();
}

bool Connector::on_connection_complete(hci::HciStatus status) {
  if (!attempt_) return false;
  Attempt attempt = *attempt_;
  attempt_.reset();
  if (status == hci::HciStatus::kSuccess) return false;
  // Core 5.4 Vol 4 Part E 7.8.13: a cancelled attempt ends with status 0x02.
  failed(attempt.peer,
         attempt.failure
             ? *attempt.failure
             : Error{ErrorKind::kController, hci_error("LE connection", status), uint8_t(status)});
  return true;
}

TimePoint Connector::next_deadline() const {
  return attempt_ && !attempt_->cancel_sent ? attempt_->deadline : kNever;
}

void Connector::on_timeout(TimePoint now) {
  if (!attempt_ || attempt_->cancel_sent || now < attempt_->deadline) return;
  attempt_->failure = Error{ErrorKind::kTimeout, "connection attempt timed out"};
  attempt_->cancel_sent = true;
  ctx_.send_command(hci::le_create_connection_cancel());
}

void Connector::failed(const Address& peer, Error e) {
  HostEvent& ev = ctx_.events.push(HostEvent::Kind::kConnectFailed);
  ev.address = peer;
  ev.error = e;
}

}  // namespace sable::gap
