#include "att/bearer.hpp"

#include <algorithm>
#include <array>

#include "att/pdu.hpp"
#include "common/log.hpp"
#include "common/profile.hpp"

namespace sable::att {

namespace {

constexpr uint8_t op(Opcode o) {
  return uint8_t(o);
}

// Core 5.4 Vol 3 Part F 3.4.2.2: a Client or Server Rx MTU below the default
// leaves ATT_MTU at the default.
uint16_t agreed_mtu(uint16_t ours, uint16_t theirs) {
  if (theirs < kDefaultMtu) return kDefaultMtu;
  return std::min(ours, theirs);
}

}  // namespace

Bearer::Bearer(BearerDelegate& delegate, uint16_t conn_id, uint16_t max_mtu)
    : delegate_(delegate),
      conn_id_(conn_id),
      max_mtu_(std::clamp(max_mtu, kDefaultMtu, kMaxMtu)),
      rx_mtu_(max_mtu_) {}

Bearer::~Bearer() {
  if (destroyed_) *destroyed_ = true;
}

void Bearer::detach(ServerRole* server) {
  if (server_ == server) server_ = nullptr;
}

void Bearer::detach(ClientRole* client) {
  if (client_ == client) client_ = nullptr;
}

TimePoint Bearer::next_deadline() const {
  return std::min(request_deadline_, indication_deadline_);
}

// --- Incoming -----------------------------------------------------------------

void Bearer::on_pdu(TimePoint now, Bytes pdu) {
  if (closed_) return;  // Core 5.4 Vol 3 Part F 3.3.3: nothing after a timeout
  if (pdu.empty()) {
    SABLE_LOG_WARN("att: conn %u empty PDU dropped", conn_id_);
    return;
  }
  const uint8_t opcode = pdu[0];
  // Responses end our transaction whatever their length; the client judges them.
  if (is_response(opcode)) return on_client_bound(now, pdu);
  // Core 5.4 Vol 3 Part F 3.2.9: no PDU is longer than ATT_MTU; a longer one
  // is dropped, never copied (attack #9).
  if (pdu.size() > mtu_) {
    SABLE_LOG_WARN("att: conn %u PDU 0x%02x of %zu octets above ATT_MTU %u dropped", conn_id_,
                   opcode, pdu.size(), mtu_);
    return;
  }
  if (is_client_bound(opcode)) return on_client_bound(now, pdu);
  if (opcode == op(Opcode::kHandleValueConfirmation)) {
    // Core 5.4 Vol 3 Part F 3.4.7.3: one octet; ends our indication's transaction.
    if (pdu.size() != 1 || indication_deadline_ == kNever) {
      SABLE_LOG_WARN("att: conn %u unexpected or malformed confirmation dropped", conn_id_);
      return;
    }
    indication_deadline_ = kNever;
    return;
  }
  const bool known = known_opcode(opcode);
  if (is_command(opcode)) {
    // Core 5.4 Vol 3 Part F 3.3: an unsupported command is ignored.
    if (!known || !server_) {
      SABLE_LOG_DEBUG("att: conn %u command 0x%02x ignored", conn_id_, opcode);
      return;
    }
    return server_->on_request(now, pdu);
  }
  // What remains is a request, known or not (Vol 3 Part F 3.4.8: every
  // opcode without the Command Flag that is not a response, notification,
  // indication or confirmation is answered). A second request before our
  // response breaks 3.3.2 on the peer's side; it is answered all the same.
  if (peer_request_)
    SABLE_LOG_WARN("att: conn %u request 0x%02x while another is unanswered", conn_id_, opcode);
  peer_request_ = true;
  if (opcode == op(Opcode::kExchangeMtuRequest)) return on_exchange_mtu_request(pdu);
  // Core 5.4 Vol 3 Part F 3.4.1.1: Request Not Supported, handle 0x0000.
  if (!known || !server_) return refuse_request(opcode, AttErrorCode::kRequestNotSupported);
  server_->on_request(now, pdu);
}

void Bearer::on_client_bound(TimePoint now, Bytes pdu) {
  // A build without a GATT client sends no request and confirms nothing: a
  // response finds no transaction, a notification or indication no client.
  if constexpr (!profile::kGattClient) return;
  const uint8_t opcode = pdu[0];
  if (!is_response(opcode)) {
    if (opcode == op(Opcode::kHandleValueIndication)) {
      // Core 5.4 Vol 3 Part F 3.4.7.2: one indication at a time; a second one
      // before our confirmation breaks 3.3.2 on the peer's side, and is
      // delivered all the same.
      if (peer_indication_) SABLE_LOG_WARN("att: conn %u indication before confirmation", conn_id_);
      peer_indication_ = true;
    }
    if (client_) client_->on_server_pdu(now, pdu);
    return;
  }
  if (request_ == 0) {
    SABLE_LOG_WARN("att: conn %u response 0x%02x without a request dropped", conn_id_, opcode);
    return;
  }
  // Core 5.4 Vol 3 Part F 3.4.1.1: an Error Response names the request it answers.
  if (opcode == op(Opcode::kErrorResponse) && pdu.size() == 5 && pdu[1] != request_) {
    SABLE_LOG_WARN("att: conn %u Error Response for 0x%02x, outstanding 0x%02x: dropped", conn_id_,
                   pdu[1], request_);
    return;
  }
  // One response per request: the transaction ends here, whatever it says.
  const uint8_t request = request_;
  request_ = 0;
  request_deadline_ = kNever;
  if (request == op(Opcode::kExchangeMtuRequest) && opcode == op(Opcode::kExchangeMtuResponse) &&
      pdu.size() == 3) {
    // Core 5.4 Vol 3 Part F 3.4.2.2: applied on receipt, before any other PDU.
    const uint16_t server_rx = get_le16(&pdu[1]);
    if (!mtu_exchanged_) {
      mtu_ = agreed_mtu(rx_mtu_, server_rx);
      mtu_exchanged_ = true;
    } else if (agreed_mtu(rx_mtu_, server_rx) != mtu_) {
      // The peer exchanged first: "the MTUs shall be the same in each direction".
      SABLE_LOG_WARN("att: conn %u Server Rx MTU %u disagrees with ATT_MTU %u: kept", conn_id_,
                     server_rx, mtu_);
    }
  }
  if (client_) client_->on_response(now, request, pdu);
}

// Core 5.4 Vol 3 Part F 3.4.2.1 / 3.4.2.2.
void Bearer::on_exchange_mtu_request(Bytes pdu) {
  const uint8_t opcode = op(Opcode::kExchangeMtuRequest);
  if (pdu.size() != 3) return refuse_request(opcode, AttErrorCode::kInvalidPdu);
  const uint16_t client_rx = get_le16(&pdu[1]);
  const bool apply = !mtu_exchanged_;
  // "This request shall only be sent once during a connection by the
  // client", and an exchange in one direction fixes ATT_MTU for both: a later
  // request is answered (with the same Rx MTU) but changes nothing.
  if (apply) {
    mtu_exchanged_ = true;
  } else {
    SABLE_LOG_WARN("att: conn %u repeated Exchange MTU (Client Rx MTU %u) leaves ATT_MTU %u",
                   conn_id_, client_rx, mtu_);
  }
  std::array<uint8_t, 3> buf;
  ByteWriter w(buf);
  write_exchange_mtu(w, Opcode::kExchangeMtuResponse, rx_mtu_);
  const uint16_t agreed = agreed_mtu(rx_mtu_, client_rx);
  // "applied in the server after this response has been sent and before any
  // other Attribute protocol PDU is sent": nothing can come in between.
  send_response(w.written());
  if (apply) mtu_ = agreed;
}

void Bearer::refuse_request(uint8_t opcode, AttErrorCode code) {
  std::array<uint8_t, 5> buf;
  ByteWriter w(buf);
  write_error_response(w, opcode, 0x0000, code);
  SABLE_LOG_DEBUG("att: conn %u op 0x%02x -> %s", conn_id_, opcode, to_string(code));
  send_response(w.written());
}

// --- Outgoing -----------------------------------------------------------------

SendResult Bearer::transmit(Bytes pdu) {
  delegate_.send(pdu);
  return SendResult::kSent;
}

SendResult Bearer::send_request(TimePoint now, Bytes pdu) {
  if (closed_) return SendResult::kClosed;
  if (pdu.empty() || !is_request(pdu[0]) || pdu.size() > mtu_) return SendResult::kInvalid;
  // Core 5.4 Vol 3 Part F 3.3.2: one outstanding request per bearer.
  if (request_ != 0) return SendResult::kBusy;
  if (pdu[0] == op(Opcode::kExchangeMtuRequest)) {
    // 3.4.2.1: once per connection; after an exchange in the other direction
    // none is needed (3.4.2.2: "sufficient for both directions").
    if (mtu_requested_ || mtu_exchanged_) return SendResult::kUnexpected;
    if (pdu.size() != 3) return SendResult::kInvalid;
    const uint16_t client_rx = get_le16(&pdu[1]);
    if (client_rx < kDefaultMtu || client_rx > max_mtu_) return SendResult::kInvalid;
    mtu_requested_ = true;
    rx_mtu_ = client_rx;
  }
  // State first: the delegate may hand the PDU to a peer that answers at once.
  request_ = pdu[0];
  request_deadline_ = now + Duration(kTransactionTimeoutMs);
  return transmit(pdu);
}

SendResult Bearer::send_command(Bytes pdu) {
  if (closed_) return SendResult::kClosed;
  if (pdu.empty() || !is_command(pdu[0]) || pdu.size() > mtu_) return SendResult::kInvalid;
  return transmit(pdu);
}

SendResult Bearer::send_confirmation() {
  if (closed_) return SendResult::kClosed;
  if (!peer_indication_) return SendResult::kUnexpected;
  peer_indication_ = false;
  static constexpr uint8_t kConfirmation[] = {op(Opcode::kHandleValueConfirmation)};
  return transmit(kConfirmation);
}

SendResult Bearer::send_response(Bytes pdu) {
  if (closed_) return SendResult::kClosed;
  if (pdu.empty() || !is_response(pdu[0]) || pdu.size() > mtu_) return SendResult::kInvalid;
  if (!peer_request_) return SendResult::kUnexpected;
  peer_request_ = false;
  return transmit(pdu);
}

SendResult Bearer::send_notification(Bytes pdu) {
  if (closed_) return SendResult::kClosed;
  if (pdu.empty() || pdu.size() > mtu_ ||
      (pdu[0] != op(Opcode::kHandleValueNotification) &&
       pdu[0] != op(Opcode::kMultipleHandleValueNotification)))
    return SendResult::kInvalid;
  return transmit(pdu);
}

SendResult Bearer::send_indication(TimePoint now, Bytes pdu) {
  if (closed_) return SendResult::kClosed;
  if (pdu.empty() || pdu[0] != op(Opcode::kHandleValueIndication) || pdu.size() > mtu_)
    return SendResult::kInvalid;
  // Core 5.4 Vol 3 Part F 3.4.7.2: no second indication before the confirmation.
  if (indication_deadline_ != kNever) return SendResult::kBusy;
  indication_deadline_ = now + Duration(kTransactionTimeoutMs);
  return transmit(pdu);
}

// --- Time and closing ---------------------------------------------------------

// Core 5.4 Vol 3 Part F 3.3.3: a transaction not completed within 30 s has
// failed, and no more ATT PDUs are sent on this bearer.
void Bearer::on_timeout(TimePoint now) {
  if (closed_ || now < next_deadline()) return;
  const bool request = request_deadline_ <= now;
  SABLE_LOG_WARN("att: conn %u %s not answered within 30 s", conn_id_,
                 request ? "request" : "indication");
  bool destroyed = false;
  bool* outer = destroyed_;
  destroyed_ = &destroyed;
  shut(request ? CloseReason::kRequestTimeout : CloseReason::kIndicationTimeout);
  if (destroyed) {  // a callback destroyed the bearer's owner
    if (outer) *outer = true;
    return;
  }
  destroyed_ = outer;
  delegate_.on_bearer_fatal();
}

void Bearer::close() {
  if (closed_) return;
  shut(CloseReason::kClosed);
}

void Bearer::shut(CloseReason reason) {
  closed_ = true;
  request_ = 0;
  peer_request_ = false;
  peer_indication_ = false;
  request_deadline_ = kNever;
  indication_deadline_ = kNever;
  if (client_) client_->on_bearer_closed(reason);  // may destroy this bearer
}

}  // namespace sable::att
