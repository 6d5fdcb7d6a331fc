// L2CAP on one LE-U logical link (one per ACL connection): routes complete
// B-frames from HCI to the fixed channels ATT (CID 4) and SMP (CID 6), runs
// the LE signaling channel (CID 5, Core 5.4 Vol 3 Part A 4) and frames SDUs
// going down. Sans-I/O: time comes in as `now`, the RTX deadline goes out
// through next_deadline(). LE Credit Based channels are not offered.
#pragma once

#include <cstdint>

#include "common/bytes.hpp"
#include "common/time.hpp"
#include "l2cap/pdu.hpp"
#include "sable/result.hpp"

namespace sable::l2cap {

enum class Role : uint8_t { kCentral, kPeripheral };

// The outcome of this peripheral's Connection Parameter Update Request.
enum class ConnectionParameterUpdateResult : uint8_t {
  kAccepted,  // Response result 0x0000
  kRejected,  // Response result 0x0001 (or another value), or a Command Reject
  kTimedOut,  // no answer within the RTX timeout
};

enum class ConnectionParameterUpdateError : uint8_t {
  kNotPeripheral,      // only the peripheral sends the request (Core 5.4 Vol 3 Part A 4.20)
  kInvalidParameters,  // outside the ranges of Core 5.4 Vol 3 Part A 4.20
  kRequestPending,     // one request at a time; wait for its result
};

// Everything a link emits. Spans passed out are valid only during the call.
class LinkDelegate {
 public:
  // A complete B-frame for this link (the HCI layer fragments it).
  virtual void send_pdu(Bytes l2cap_pdu) = 0;
  virtual void on_att_sdu(Bytes sdu) = 0;  // CID 0x0004
  virtual void on_smp_sdu(Bytes sdu) = 0;  // CID 0x0006
  // Central only: the peripheral asked for new parameters (already range
  // checked); return true to accept, after which the owner issues
  // HCI_LE_Connection_Update.
  virtual bool on_connection_parameter_update_request(const ConnectionParameters& params) = 0;
  // Peripheral only: the central's answer to our request.
  virtual void on_connection_parameter_update_result(ConnectionParameterUpdateResult result) = 0;

 protected:
  ~LinkDelegate() = default;
};

class LeLink {
 public:
  // Core 5.4 Vol 3 Part A 6.2.1: RTX; sable waits 30 s and does not retransmit.
  static constexpr Duration kRtxTimeout = Duration(30'000);

  LeLink(Role role, LinkDelegate& delegate) : role_(role), delegate_(delegate) {}
  LeLink(const LeLink&) = delete;
  LeLink& operator=(const LeLink&) = delete;

  // A complete L2CAP PDU (basic header + payload) from the HCI layer.
  void on_pdu(TimePoint now, Bytes l2cap_pdu);

  // Frame an SDU for a fixed channel; false (nothing sent) if it is too large.
  bool send_att(Bytes sdu);
  bool send_smp(Bytes sdu);

  // Peripheral: send a Connection Parameter Update Request (Core 5.4 Vol 3
  // Part A 4.20); the result arrives through the delegate.
  Result<void, ConnectionParameterUpdateError> request_connection_parameter_update(
      TimePoint now, const ConnectionParameters& params);

  TimePoint next_deadline() const { return pending_ ? rtx_deadline_ : kNever; }
  void on_timeout(TimePoint now);

  Role role() const { return role_; }

 private:
  bool send_sdu(uint16_t channel_id, Bytes sdu, size_t max_sdu);
  void on_signaling_frame(Bytes c_frame);
  void on_signaling_error(const LeSignalingCommand::Error& error, size_t frame_size);
  void on_connection_parameter_update_request(const LeSignalingCommand& command);
  void on_connection_parameter_update_response(const LeSignalingCommand& command);
  void on_command_reject(const LeSignalingCommand& command);
  void on_disconnection_request(const LeSignalingCommand& command);
  // LE Credit Based Connection, Credit Based Connection and Reconfigure
  // Requests (Core 5.4 Vol 3 Part A 4.22, 4.25, 4.27).
  void refuse_credit_based_request(const LeSignalingCommand& command);
  void finish_request(ConnectionParameterUpdateResult result);

  void send_command(CommandCode code, uint8_t identifier, Bytes data);
  void send_command_reject(uint8_t identifier, RejectReason reason, Bytes data = {});
  uint8_t next_identifier();

  Role role_;
  LinkDelegate& delegate_;
  uint8_t last_identifier_ = 0;  // identifiers we issue run 1..255, never 0
  bool pending_ = false;         // a Connection Parameter Update Request awaits its answer
  uint8_t pending_identifier_ = 0;
  TimePoint rtx_deadline_ = kNever;
};

}  // namespace sable::l2cap
