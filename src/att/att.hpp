// ATT protocol constants shared by the server and (later) the client:
// opcodes, error codes, MTU bounds and the link security the bearer reports.
// Core 5.4 Vol 3 Part F (Attribute Protocol).
#pragma once

#include <cstdint>

namespace sable::att {

// Core 5.4 Vol 3 Part F 3.2.8 / 3.2.9: the LE default and the largest ATT_MTU we accept.
inline constexpr uint16_t kDefaultMtu = 23;
inline constexpr uint16_t kMaxMtu = 517;
// Core 5.4 Vol 3 Part F 3.2.9: an attribute value is at most 512 octets.
inline constexpr uint16_t kMaxValueLength = 512;
// Core 5.4 Vol 3 Part F 3.3.3: a transaction not completed within 30 s has failed.
inline constexpr int kTransactionTimeoutMs = 30'000;

// Core 5.4 Vol 3 Part F 3.4.8 (Table 3.37): attribute opcodes.
enum class Opcode : uint8_t {
  kErrorResponse = 0x01,
  kExchangeMtuRequest = 0x02,
  kExchangeMtuResponse = 0x03,
  kFindInformationRequest = 0x04,
  kFindInformationResponse = 0x05,
  kFindByTypeValueRequest = 0x06,
  kFindByTypeValueResponse = 0x07,
  kReadByTypeRequest = 0x08,
  kReadByTypeResponse = 0x09,
  kReadRequest = 0x0A,
  kReadResponse = 0x0B,
  kReadBlobRequest = 0x0C,
  kReadBlobResponse = 0x0D,
  kReadMultipleRequest = 0x0E,
  kReadMultipleResponse = 0x0F,
  kReadByGroupTypeRequest = 0x10,
  kReadByGroupTypeResponse = 0x11,
  kWriteRequest = 0x12,
  kWriteResponse = 0x13,
  kPrepareWriteRequest = 0x16,
  kPrepareWriteResponse = 0x17,
  kExecuteWriteRequest = 0x18,
  kExecuteWriteResponse = 0x19,
  kReadMultipleVariableRequest = 0x20,
  kReadMultipleVariableResponse = 0x21,
  kMultipleHandleValueNotification = 0x23,
  kHandleValueNotification = 0x1B,
  kHandleValueIndication = 0x1D,
  kHandleValueConfirmation = 0x1E,
  kWriteCommand = 0x52,
  kSignedWriteCommand = 0xD2,
};

// Core 5.4 Vol 3 Part F 3.3.1: bit 6 of the opcode is the Command Flag, bit 7
// the Authentication Signature Flag.
constexpr bool is_command(uint8_t opcode) {
  return (opcode & 0x40) != 0;
}
constexpr bool has_signature(uint8_t opcode) {
  return (opcode & 0x80) != 0;
}

// Requests a client sends, each answered by one response (Vol 3 Part F 3.3.2).
constexpr bool is_request(uint8_t opcode) {
  switch (Opcode(opcode)) {
    case Opcode::kExchangeMtuRequest:
    case Opcode::kFindInformationRequest:
    case Opcode::kFindByTypeValueRequest:
    case Opcode::kReadByTypeRequest:
    case Opcode::kReadRequest:
    case Opcode::kReadBlobRequest:
    case Opcode::kReadMultipleRequest:
    case Opcode::kReadByGroupTypeRequest:
    case Opcode::kWriteRequest:
    case Opcode::kPrepareWriteRequest:
    case Opcode::kExecuteWriteRequest:
    case Opcode::kReadMultipleVariableRequest:
      return true;
    default:
      return false;
  }
}

// PDUs a server sends that end a client's transaction (Vol 3 Part F 3.3.2, 3.4.8).
constexpr bool is_response(uint8_t opcode) {
  switch (Opcode(opcode)) {
    case Opcode::kErrorResponse:
    case Opcode::kExchangeMtuResponse:
    case Opcode::kFindInformationResponse:
    case Opcode::kFindByTypeValueResponse:
    case Opcode::kReadByTypeResponse:
    case Opcode::kReadResponse:
    case Opcode::kReadBlobResponse:
    case Opcode::kReadMultipleResponse:
    case Opcode::kReadByGroupTypeResponse:
    case Opcode::kWriteResponse:
    case Opcode::kPrepareWriteResponse:
    case Opcode::kExecuteWriteResponse:
    case Opcode::kReadMultipleVariableResponse:
      return true;
    default:
      return false;
  }
}

// What a connection hands to its GATT client rather than its server:
// responses, notifications and indications (Vol 3 Part F 3.3).
constexpr bool is_client_bound(uint8_t opcode) {
  return is_response(opcode) || opcode == uint8_t(Opcode::kHandleValueNotification) ||
         opcode == uint8_t(Opcode::kHandleValueIndication) ||
         opcode == uint8_t(Opcode::kMultipleHandleValueNotification);
}

// Core 5.4 Vol 3 Part F 3.4.1.1 (Table 3.4) and Core Specification Supplement
// Part B 1.2 (common profile and service error codes).
enum class AttErrorCode : uint8_t {
  kInvalidHandle = 0x01,
  kReadNotPermitted = 0x02,
  kWriteNotPermitted = 0x03,
  kInvalidPdu = 0x04,
  kInsufficientAuthentication = 0x05,
  kRequestNotSupported = 0x06,
  kInvalidOffset = 0x07,
  kInsufficientAuthorization = 0x08,
  kPrepareQueueFull = 0x09,
  kAttributeNotFound = 0x0A,
  kAttributeNotLong = 0x0B,
  kInsufficientEncryptionKeySize = 0x0C,
  kInvalidAttributeValueLength = 0x0D,
  kUnlikelyError = 0x0E,
  kInsufficientEncryption = 0x0F,
  kUnsupportedGroupType = 0x10,
  kInsufficientResources = 0x11,
  kDatabaseOutOfSync = 0x12,
  kValueNotAllowed = 0x13,
  // 0x80..0x9F: application errors, defined by the higher layer.
  kApplicationErrorFirst = 0x80,
  kApplicationErrorLast = 0x9F,
  // 0xE0..0xFF: common profile and service error codes (CSS Part B 1.2).
  kWriteRequestRejected = 0xFC,
  kCccdImproperlyConfigured = 0xFD,
  kProcedureAlreadyInProgress = 0xFE,
  kOutOfRange = 0xFF,
};

const char* to_string(AttErrorCode code);

// The security of the link an ATT bearer runs on, as SMP/GAP report it.
struct LinkSecurity {
  bool encrypted = false;
  bool authenticated = false;       // the key came from a MITM-protected pairing
  bool secure_connections = false;  // the key came from LE Secure Connections
  uint8_t key_size = 0;             // encryption key size in octets (7..16) when encrypted
  bool peer_bonded = false;         // we hold an LTK for this peer (it can just encrypt)
  friend bool operator==(const LinkSecurity&, const LinkSecurity&) = default;
};

}  // namespace sable::att
