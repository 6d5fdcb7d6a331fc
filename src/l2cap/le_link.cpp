#include "l2cap/le_link.hpp"

#include <array>
#include <cstring>

#include "common/log.hpp"
#include "common/profile.hpp"

namespace sable::l2cap {
namespace {

bool is_response(uint8_t code) {
  CommandKind kind;
  return le_command_kind(code, &kind) && kind == CommandKind::kResponse;
}

const char* signaling_error_name(LeSignalingCommand::Error::Kind kind) {
  using Kind = LeSignalingCommand::Error::Kind;
  switch (kind) {
    case Kind::kTooShort:
      return "shorter than a command header";
    case Kind::kZeroIdentifier:
      return "identifier 0x00";
    case Kind::kExceedsMtu:
      return "larger than MTUsig";
    case Kind::kLengthMismatch:
      return "command length does not match the C-frame";
    case Kind::kNotLeCommand:
      return "command not defined on LE-U";
    case Kind::kInvalidDataLength:
      return "invalid data length for the command";
  }
  return "?";
}

}  // namespace

void LeLink::on_pdu(TimePoint /*now*/, Bytes l2cap_pdu) {
  auto frame = BasicFrame::parse(l2cap_pdu);
  if (!frame) {
    SABLE_LOG_WARN(
        "l2cap: dropped %s B-frame (%zu octets)",
        frame.error() == BasicFrame::Error::kTooShort ? "truncated header" : "length-mismatched",
        l2cap_pdu.size());
    return;
  }
  const Bytes payload = frame->payload();
  switch (frame->channel_id()) {
    case kAttCid:
      if (payload.size() > kAttMaxSduSize) {
        SABLE_LOG_WARN("l2cap: dropped ATT SDU of %zu octets (max %zu)", payload.size(),
                       kAttMaxSduSize);
        return;
      }
      delegate_.on_att_sdu(payload);
      return;
    case kSmpCid:
      // Core 5.4 Vol 3 Part H 3.2: SMP MTU 65; nothing larger is a valid SMP command.
      if (payload.size() > kSmpMaxSduSize) {
        SABLE_LOG_WARN("l2cap: dropped SMP SDU of %zu octets (max %zu)", payload.size(),
                       kSmpMaxSduSize);
        return;
      }
      delegate_.on_smp_sdu(payload);
      return;
    case kLeSignalingCid:
      on_signaling_frame(payload);
      return;
    default:
      // BR/EDR signaling (0x0001), reserved fixed CIDs and dynamic CIDs: no
      // such channel on this link (LE CoC not offered). Core 5.4 Vol 3 Part A 2.1.
      SABLE_LOG_WARN("l2cap: dropped B-frame for CID 0x%04x (%zu octets): no such channel",
                     frame->channel_id(), payload.size());
      return;
  }
}

bool LeLink::send_att(Bytes sdu) {
  return send_sdu(kAttCid, sdu, kAttMaxSduSize);
}

bool LeLink::send_smp(Bytes sdu) {
  return send_sdu(kSmpCid, sdu, kSmpMaxSduSize);
}

bool LeLink::send_sdu(uint16_t channel_id, Bytes sdu, size_t max_sdu) {
  if (sdu.size() > max_sdu) {
    SABLE_LOG_ERROR("l2cap: SDU of %zu octets for CID 0x%04x exceeds %zu; not sent", sdu.size(),
                    channel_id, max_sdu);
    return false;
  }
  // max_sdu is at most kAttMaxSduSize: the frame always fits.
  std::array<uint8_t, kBasicHeaderSize + kAttMaxSduSize> buf;
  // Core 5.4 Vol 3 Part A 3.1: B-frame = Length, Channel ID, Information payload.
  put_le16(&buf[0], uint16_t(sdu.size()));
  put_le16(&buf[2], channel_id);
  if (!sdu.empty()) std::memcpy(&buf[kBasicHeaderSize], sdu.data(), sdu.size());
  delegate_.send_pdu(Bytes(buf.data(), kBasicHeaderSize + sdu.size()));
  return true;
}

Result<void, ConnectionParameterUpdateError> LeLink::request_connection_parameter_update(
    TimePoint now, const ConnectionParameters& params) {
  // Core 5.4 Vol 3 Part A 4.20: "This command shall only be sent from the
  // Peripheral to the Central".
  // A build without the peripheral role has central links only.
  if (!profile::kPeripheralRole || role_ != Role::kPeripheral) {
    return fail(ConnectionParameterUpdateError::kNotPeripheral);
  }
  if (!connection_parameters_valid(params)) {
    return fail(ConnectionParameterUpdateError::kInvalidParameters);
  }
  if (pending_) return fail(ConnectionParameterUpdateError::kRequestPending);

  std::array<uint8_t, 8> data;
  put_le16(&data[0], params.interval_min);
  put_le16(&data[2], params.interval_max);
  put_le16(&data[4], params.peripheral_latency);
  put_le16(&data[6], params.supervision_timeout);
  pending_identifier_ = next_identifier();
  pending_ = true;
  rtx_deadline_ = now + kRtxTimeout;  // Core 5.4 Vol 3 Part A 6.2.1
  send_command(CommandCode::kConnectionParameterUpdateRequest, pending_identifier_, data);
  return {};
}

void LeLink::on_timeout(TimePoint now) {
  if (!pending_ || now < rtx_deadline_) return;
  SABLE_LOG_WARN("l2cap: no answer to Connection Parameter Update Request 0x%02x within RTX",
                 pending_identifier_);
  finish_request(ConnectionParameterUpdateResult::kTimedOut);
}

void LeLink::finish_request(ConnectionParameterUpdateResult result) {
  // Clear first: the delegate may send a new request from its callback.
  pending_ = false;
  pending_identifier_ = 0;
  rtx_deadline_ = kNever;
  delegate_.on_connection_parameter_update_result(result);
}

void LeLink::on_signaling_frame(Bytes c_frame) {
  auto command = LeSignalingCommand::parse(c_frame);
  if (!command) {
    on_signaling_error(command.error(), c_frame.size());
    return;
  }
  const LeSignalingCommand& c = *command;
  switch (c.code()) {
    case CommandCode::kCommandReject:
      on_command_reject(c);
      return;
    case CommandCode::kDisconnectionRequest:
      on_disconnection_request(c);
      return;
    case CommandCode::kConnectionParameterUpdateRequest:
      on_connection_parameter_update_request(c);
      return;
    case CommandCode::kConnectionParameterUpdateResponse:
      on_connection_parameter_update_response(c);
      return;
    case CommandCode::kLeCreditBasedConnectionRequest:
    case CommandCode::kCreditBasedConnectionRequest:
    case CommandCode::kCreditBasedReconfigureRequest:
      refuse_credit_based_request(c);
      return;
    case CommandCode::kFlowControlCreditInd:
      // Core 5.4 Vol 3 Part A 4.24: credits for a channel; there are none here.
      SABLE_LOG_INFO("l2cap: ignored Flow Control Credit Ind for unknown CID 0x%04x",
                     get_le16(c.data().data()));
      return;
    default:
      // Disconnection / (LE) Credit Based Connection / Reconfigure Responses:
      // we never send those requests, so the identifier cannot match.
      // Core 5.4 Vol 3 Part A 4: "A command response with an invalid
      // identifier is silently discarded."
      SABLE_LOG_INFO("l2cap: ignored unsolicited signaling response 0x%02x id 0x%02x",
                     uint8_t(c.code()), c.identifier());
      return;
  }
}

void LeLink::on_signaling_error(const LeSignalingCommand::Error& error, size_t frame_size) {
  using Kind = LeSignalingCommand::Error::Kind;
  SABLE_LOG_WARN("l2cap: bad LE signaling C-frame (%zu octets, code 0x%02x, id 0x%02x): %s",
                 frame_size, error.code, error.identifier, signaling_error_name(error.kind));
  switch (error.kind) {
    case Kind::kTooShort:
    case Kind::kZeroIdentifier:
      // Nothing to answer: a reply would have to carry the illegal identifier 0.
      return;
    case Kind::kExceedsMtu:
      // Core 5.4 Vol 3 Part A 4.1: reject with our MTUsig; "If only Responses
      // are recognized, the packet shall be silently discarded."
      if (is_response(error.code)) return;
      {
        std::array<uint8_t, 2> mtu;
        put_le16(mtu.data(), uint16_t(kLeSignalingMtu));
        send_command_reject(error.identifier, RejectReason::kSignalingMtuExceeded, mtu);
      }
      return;
    case Kind::kLengthMismatch:
    case Kind::kNotLeCommand:
    case Kind::kInvalidDataLength:
      // Core 5.4 Vol 3 Part A 4.1: Command Reject for a command not understood;
      // a malformed response is discarded (a response never gets a reject).
      if (is_response(error.code)) return;
      send_command_reject(error.identifier, RejectReason::kCommandNotUnderstood);
      return;
  }
}

void LeLink::on_command_reject(const LeSignalingCommand& command) {
  const uint16_t reason = get_le16(command.data().data());
  if (!pending_ || command.identifier() != pending_identifier_) {
    SABLE_LOG_INFO("l2cap: ignored Command Reject id 0x%02x reason 0x%04x: no such request",
                   command.identifier(), reason);
    return;
  }
  SABLE_LOG_INFO("l2cap: Connection Parameter Update Request rejected, reason 0x%04x", reason);
  finish_request(ConnectionParameterUpdateResult::kRejected);
}

void LeLink::on_disconnection_request(const LeSignalingCommand& command) {
  // Core 5.4 Vol 3 Part A 4.6 / 4.1: no dynamic channel exists, so the CIDs are
  // invalid; the reject data is the local endpoint (the request's DCID) then
  // the remote endpoint (its SCID).
  // The data length (4) was checked by LeSignalingCommand::parse.
  const uint8_t* d = command.data().data();
  const uint16_t dcid = get_le16(d);
  const uint16_t scid = get_le16(d + 2);
  SABLE_LOG_INFO("l2cap: Disconnection Request for unknown DCID 0x%04x SCID 0x%04x", dcid, scid);
  std::array<uint8_t, 4> cids;
  put_le16(&cids[0], dcid);
  put_le16(&cids[2], scid);
  send_command_reject(command.identifier(), RejectReason::kInvalidCidInRequest, cids);
}

void LeLink::on_connection_parameter_update_request(const LeSignalingCommand& command) {
  // A build without the central role has peripheral links only.
  if (!profile::kCentralRole || role_ != Role::kCentral) {
    // Core 5.4 Vol 3 Part A 4.20: a Peripheral receiving this request shall
    // respond with Command Reject, reason Command not understood.
    SABLE_LOG_WARN("l2cap: Connection Parameter Update Request received by the peripheral");
    send_command_reject(command.identifier(), RejectReason::kCommandNotUnderstood);
    return;
  }
  // The data length (8) was checked by LeSignalingCommand::parse.
  const uint8_t* d = command.data().data();
  ConnectionParameters params{};
  params.interval_min = get_le16(d);
  params.interval_max = get_le16(d + 2);
  params.peripheral_latency = get_le16(d + 4);
  params.supervision_timeout = get_le16(d + 6);

  uint16_t result = kConnectionParametersRejected;
  if (!connection_parameters_valid(params)) {
    SABLE_LOG_WARN(
        "l2cap: rejected invalid connection parameters interval %u..%u latency %u timeout %u",
        params.interval_min, params.interval_max, params.peripheral_latency,
        params.supervision_timeout);
  } else if (delegate_.on_connection_parameter_update_request(params)) {
    result = kConnectionParametersAccepted;
  }
  // Core 5.4 Vol 3 Part A 4.21: Result 0x0000 accepted, 0x0001 rejected.
  std::array<uint8_t, 2> data;
  put_le16(data.data(), result);
  send_command(CommandCode::kConnectionParameterUpdateResponse, command.identifier(), data);
}

void LeLink::on_connection_parameter_update_response(const LeSignalingCommand& command) {
  const uint16_t result = get_le16(command.data().data());
  if (!pending_ || command.identifier() != pending_identifier_) {
    // Core 5.4 Vol 3 Part A 4: a response with an invalid identifier is discarded.
    SABLE_LOG_INFO("l2cap: ignored Connection Parameter Update Response id 0x%02x",
                   command.identifier());
    return;
  }
  if (result != kConnectionParametersAccepted && result != kConnectionParametersRejected) {
    SABLE_LOG_WARN("l2cap: reserved Connection Parameter Update result 0x%04x; taken as rejected",
                   result);
  }
  finish_request(result == kConnectionParametersAccepted
                     ? ConnectionParameterUpdateResult::kAccepted
                     : ConnectionParameterUpdateResult::kRejected);
}

void LeLink::refuse_credit_based_request(const LeSignalingCommand& command) {
  // No credit based channel is offered: the response (the request's code + 1)
  // has every field zero but its Result.
  std::array<uint8_t, 8 + 2 * 5> data{};
  size_t size = 2;
  size_t result_at = 0;
  uint16_t result = kCreditBasedResultSpsmNotSupported;
  switch (command.code()) {
    case CommandCode::kLeCreditBasedConnectionRequest:
      SABLE_LOG_INFO("l2cap: refused LE Credit Based Connection SPSM 0x%04x SCID 0x%04x",
                     get_le16(command.data().data()), get_le16(command.data().data() + 2));
      // Core 5.4 Vol 3 Part A 4.23: DCID, MTU, MPS, Initial Credits (zero:
      // not meaningful on refusal), Result.
      size = 10;
      result_at = 8;
      break;
    case CommandCode::kCreditBasedConnectionRequest: {
      // Core 5.4 Vol 3 Part A 4.25: SPSM, MTU, MPS, Initial Credits, 1..5 SCIDs.
      const size_t channel_count = (command.data().size() - 8) / 2;
      SABLE_LOG_INFO("l2cap: refused Credit Based Connection SPSM 0x%04x (%zu channels)",
                     get_le16(command.data().data()), channel_count);
      // Core 5.4 Vol 3 Part A 4.26: MTU, MPS, Initial Credits, Result, then one
      // Destination CID per requested channel, 0x0000 for each refused one.
      size = 8 + 2 * channel_count;
      result_at = 6;
      break;
    }
    default:
      SABLE_LOG_INFO("l2cap: refused Credit Based Reconfigure: no such channels");
      // Core 5.4 Vol 3 Part A 4.28: Result only.
      result = kReconfigureResultInvalidDestinationCid;
      break;
  }
  put_le16(&data[result_at], result);
  send_command(CommandCode(uint8_t(command.code()) + 1), command.identifier(),
               Bytes(data.data(), size));
}

void LeLink::send_command_reject(uint8_t identifier, RejectReason reason, Bytes data) {
  // Core 5.4 Vol 3 Part A 4.1: Reason (2 octets) + reason data (0..4 octets).
  std::array<uint8_t, 6> payload;
  put_le16(payload.data(), uint16_t(reason));
  if (!data.empty()) std::memcpy(&payload[2], data.data(), data.size());
  send_command(CommandCode::kCommandReject, identifier, Bytes(payload.data(), 2 + data.size()));
}

void LeLink::send_command(CommandCode code, uint8_t identifier, Bytes data) {
  // Core 5.4 Vol 3 Part A 4: Code, Identifier, Length (2), data; one command
  // per C-frame, framed like any SDU. Every command sent here carries at most
  // 18 octets of data (a refused Credit Based Connection Response for 5
  // channels), so it always fits MTUsig.
  std::array<uint8_t, kLeSignalingMtu> c_frame;
  c_frame[0] = uint8_t(code);
  c_frame[1] = identifier;
  put_le16(&c_frame[2], uint16_t(data.size()));
  if (!data.empty()) std::memcpy(&c_frame[kCommandHeaderSize], data.data(), data.size());
  send_sdu(kLeSignalingCid, Bytes(c_frame.data(), kCommandHeaderSize + data.size()),
           kLeSignalingMtu);
}

uint8_t LeLink::next_identifier() {
  // Core 5.4 Vol 3 Part A 4: a different identifier for each successive
  // command, recycled only after all others; 0x00 is never used.
  last_identifier_ = uint8_t(last_identifier_ + 1);
  if (last_identifier_ == 0) last_identifier_ = 1;
  return last_identifier_;
}

}  // namespace sable::l2cap
