// L2CAP PDUs on an LE-U logical link: the basic frame (B-frame) and the LE
// signaling channel's commands (C-frames). Each view is produced only by its
// checked `parse`, so code holding one never re-checks lengths.
// References: Core 5.4 Vol 3 Part A 3.1 (B-frame), 4 (signaling), 2.1 (CIDs).
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/bytes.hpp"
#include "sable/result.hpp"

namespace sable::l2cap {

// Core 5.4 Vol 3 Part A 2.1 Table 2.3: fixed channel identifiers on LE-U.
inline constexpr uint16_t kNullCid = 0x0000;
inline constexpr uint16_t kBrEdrSignalingCid = 0x0001;  // ACL-U only: never valid on LE-U
inline constexpr uint16_t kAttCid = 0x0004;
inline constexpr uint16_t kLeSignalingCid = 0x0005;
inline constexpr uint16_t kSmpCid = 0x0006;

// Core 5.4 Vol 3 Part A 3.1: Length (2 octets) + Channel ID (2 octets).
inline constexpr size_t kBasicHeaderSize = 4;
// Core 5.4 Vol 3 Part A 4: Code, Identifier, Length (2 octets).
inline constexpr size_t kCommandHeaderSize = 4;

// Largest ATT SDU accepted or sent: the largest ATT_MTU sable negotiates
// (a 512-octet attribute value plus the longest ATT header, Core 5.4 Vol 3 Part F 3.2.9).
inline constexpr size_t kAttMaxSduSize = 517;
// Core 5.4 Vol 3 Part H 3.2: the SMP fixed channel MTU is 65 with LE Secure Connections.
inline constexpr size_t kSmpMaxSduSize = 65;
// Core 5.4 Vol 3 Part A 4 Table 4.1: MTUsig on LE-U; sable supports the minimum, 23.
inline constexpr size_t kLeSignalingMtu = 23;

// Core 5.4 Vol 3 Part A 4 Table 4.2: signaling command codes.
enum class CommandCode : uint8_t {
  kCommandReject = 0x01,
  kConnectionRequest = 0x02,  // BR/EDR only
  kConnectionResponse = 0x03,
  kConfigurationRequest = 0x04,
  kConfigurationResponse = 0x05,
  kDisconnectionRequest = 0x06,
  kDisconnectionResponse = 0x07,
  kEchoRequest = 0x08,
  kEchoResponse = 0x09,
  kInformationRequest = 0x0A,
  kInformationResponse = 0x0B,
  kCreateChannelRequest = 0x0C,
  kCreateChannelResponse = 0x0D,
  kMoveChannelRequest = 0x0E,
  kMoveChannelResponse = 0x0F,
  kMoveChannelConfirmationRequest = 0x10,
  kMoveChannelConfirmationResponse = 0x11,  // BR/EDR only (end)
  kConnectionParameterUpdateRequest = 0x12,
  kConnectionParameterUpdateResponse = 0x13,
  kLeCreditBasedConnectionRequest = 0x14,
  kLeCreditBasedConnectionResponse = 0x15,
  kFlowControlCreditInd = 0x16,
  kCreditBasedConnectionRequest = 0x17,
  kCreditBasedConnectionResponse = 0x18,
  kCreditBasedReconfigureRequest = 0x19,
  kCreditBasedReconfigureResponse = 0x1A,
};

// Core 5.4 Vol 3 Part A 4.1 Table 4.3: Command Reject reasons.
enum class RejectReason : uint16_t {
  kCommandNotUnderstood = 0x0000,
  kSignalingMtuExceeded = 0x0001,  // data: Actual MTUsig (2 octets)
  kInvalidCidInRequest = 0x0002,   // data: local CID, remote CID (2 octets each)
};

// Core 5.4 Vol 3 Part A 4.21: Connection Parameter Update Response results.
inline constexpr uint16_t kConnectionParametersAccepted = 0x0000;
inline constexpr uint16_t kConnectionParametersRejected = 0x0001;
// Core 5.4 Vol 3 Part A 4.23 / 4.26: "(All) connections refused - SPSM not supported".
inline constexpr uint16_t kCreditBasedResultSpsmNotSupported = 0x0002;
// Core 5.4 Vol 3 Part A 4.28: "Reconfiguration failed - one or more Destination CIDs invalid".
inline constexpr uint16_t kReconfigureResultInvalidDestinationCid = 0x0003;

// How a command takes part in a transaction (Core 5.4 Vol 3 Part A 4).
enum class CommandKind : uint8_t { kRequest, kResponse, kIndication };

// Connection parameters in HCI units: intervals in 1.25 ms, latency in
// connection events, supervision timeout in 10 ms (Core 5.4 Vol 3 Part A 4.20).
struct ConnectionParameters {
  uint16_t interval_min;
  uint16_t interval_max;
  uint16_t peripheral_latency;
  uint16_t supervision_timeout;
  friend bool operator==(const ConnectionParameters&, const ConnectionParameters&) = default;
};

// The range checks of Core 5.4 Vol 3 Part A 4.20: interval 6..3200 with
// max >= min, latency <= 499, timeout 10..3200, and the supervision timeout
// longer than (1 + latency) * interval_max * 2, i.e. timeout*4 > (1+latency)*interval_max.
bool connection_parameters_valid(const ConnectionParameters& p);

// A complete B-frame whose declared length matches the payload present.
class BasicFrame {
 public:
  enum class Error : uint8_t { kTooShort, kLengthMismatch };
  static Result<BasicFrame, Error> parse(Bytes pdu);

  uint16_t channel_id() const { return channel_id_; }
  Bytes payload() const { return payload_; }

 private:
  BasicFrame(uint16_t channel_id, Bytes payload) : channel_id_(channel_id), payload_(payload) {}
  uint16_t channel_id_;
  Bytes payload_;
};

// One command of the LE signaling channel: framing is valid (exactly one
// command, non-zero identifier, within MTUsig), the code is one defined for
// LE-U and the data length is one its format allows.
class LeSignalingCommand {
 public:
  struct Error {
    enum class Kind : uint8_t {
      kTooShort,           // fewer than the 4 header octets: nothing to answer
      kZeroIdentifier,     // identifier 0x00 is illegal (Core 5.4 Vol 3 Part A 4)
      kExceedsMtu,         // C-frame larger than MTUsig
      kLengthMismatch,     // header length != octets present (truncated, or >1 command)
      kNotLeCommand,       // unknown code, or a BR/EDR-only code, on LE-U
      kInvalidDataLength,  // known LE command with a data length its format forbids
    };
    Kind kind;
    uint8_t code;        // valid unless kind == kTooShort
    uint8_t identifier;  // valid unless kind == kTooShort
  };
  static Result<LeSignalingCommand, Error> parse(Bytes c_frame);

  CommandCode code() const { return code_; }
  CommandKind kind() const { return kind_; }
  uint8_t identifier() const { return identifier_; }
  Bytes data() const { return data_; }

 private:
  LeSignalingCommand(CommandCode code, CommandKind kind, uint8_t identifier, Bytes data)
      : code_(code), kind_(kind), identifier_(identifier), data_(data) {}
  CommandCode code_;
  CommandKind kind_;
  uint8_t identifier_;
  Bytes data_;
};

// The kind of an LE-U command code; false for codes not defined on LE-U.
bool le_command_kind(uint8_t code, CommandKind* kind);

// Writes a complete B-frame carrying one signaling command into `buf`;
// returns the written bytes (empty if `buf` is too small).
Bytes write_le_signaling_frame(MutableBytes buf, CommandCode code, uint8_t identifier, Bytes data);

}  // namespace sable::l2cap
