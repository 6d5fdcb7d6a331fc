#include "att/pdu.hpp"

#include <array>

namespace sable::att {
namespace {

constexpr uint16_t kUnbounded = 0xFFFF;

// Core 5.4 Vol 3 Part F 3.4: total PDU length (opcode included) per opcode.
constexpr std::array<PduLength, 31> kLengths = {{
    {Opcode::kErrorResponse, 5, 5},                             // 3.4.1.1
    {Opcode::kExchangeMtuRequest, 3, 3},                        // 3.4.2.1
    {Opcode::kExchangeMtuResponse, 3, 3},                       // 3.4.2.2
    {Opcode::kFindInformationRequest, 5, 5},                    // 3.4.3.1
    {Opcode::kFindInformationResponse, 6, kUnbounded},          // 3.4.3.2
    {Opcode::kFindByTypeValueRequest, 7, kUnbounded},           // 3.4.3.3
    {Opcode::kFindByTypeValueResponse, 5, kUnbounded},          // 3.4.3.4
    {Opcode::kReadByTypeRequest, 7, 21},                        // 3.4.4.1 (7 or 21)
    {Opcode::kReadByTypeResponse, 4, kUnbounded},               // 3.4.4.2
    {Opcode::kReadRequest, 3, 3},                               // 3.4.4.3
    {Opcode::kReadResponse, 1, kUnbounded},                     // 3.4.4.4
    {Opcode::kReadBlobRequest, 5, 5},                           // 3.4.4.5
    {Opcode::kReadBlobResponse, 1, kUnbounded},                 // 3.4.4.6
    {Opcode::kReadMultipleRequest, 5, kUnbounded},              // 3.4.4.7
    {Opcode::kReadMultipleResponse, 1, kUnbounded},             // 3.4.4.8
    {Opcode::kReadByGroupTypeRequest, 7, 21},                   // 3.4.4.9 (7 or 21)
    {Opcode::kReadByGroupTypeResponse, 6, kUnbounded},          // 3.4.4.10
    {Opcode::kWriteRequest, 3, kUnbounded},                     // 3.4.5.1
    {Opcode::kWriteResponse, 1, 1},                             // 3.4.5.2
    {Opcode::kPrepareWriteRequest, 5, kUnbounded},              // 3.4.6.1
    {Opcode::kPrepareWriteResponse, 5, kUnbounded},             // 3.4.6.2
    {Opcode::kExecuteWriteRequest, 2, 2},                       // 3.4.6.3
    {Opcode::kExecuteWriteResponse, 1, 1},                      // 3.4.6.4
    {Opcode::kReadMultipleVariableRequest, 5, kUnbounded},      // 3.4.4.11
    {Opcode::kReadMultipleVariableResponse, 1, kUnbounded},     // 3.4.4.12
    {Opcode::kMultipleHandleValueNotification, 9, kUnbounded},  // 3.4.7.4
    {Opcode::kHandleValueNotification, 3, kUnbounded},          // 3.4.7.1
    {Opcode::kHandleValueIndication, 3, kUnbounded},            // 3.4.7.2
    {Opcode::kHandleValueConfirmation, 1, 1},                   // 3.4.7.3
    {Opcode::kWriteCommand, 3, kUnbounded},                     // 3.4.5.3
    {Opcode::kSignedWriteCommand, 15, kUnbounded},              // 3.4.5.4 (12-octet signature)
}};

// A UUID carried as an ATT field: 2 or 16 octets only (Core 5.4 Vol 3 Part F 3.2.1).
std::optional<Uuid> att_uuid(Bytes b) {
  if (b.size() != 2 && b.size() != 16) return std::nullopt;
  return Uuid::from_wire(b);
}

}  // namespace

std::optional<PduLength> pdu_length(uint8_t opcode) {
  for (const auto& e : kLengths)
    if (uint8_t(e.opcode) == opcode) return e;
  return std::nullopt;
}

Result<Pdu, ParseError> parse_pdu(Bytes pdu) {
  if (pdu.empty()) return fail(ParseError::kEmpty);
  const uint8_t op = pdu[0];
  const auto len = pdu_length(op);
  if (!len) return fail(ParseError::kUnknownOpcode);
  if (pdu.size() < len->min || pdu.size() > len->max) return fail(ParseError::kInvalidLength);

  ByteReader r(pdu.subspan(1));
  switch (Opcode(op)) {
    case Opcode::kErrorResponse: {
      ErrorResponse v{r.u8(), r.le16(), AttErrorCode(r.u8())};
      return Pdu(v);
    }
    case Opcode::kExchangeMtuRequest:
      return Pdu(ExchangeMtuRequest{r.le16()});
    case Opcode::kExchangeMtuResponse:
      return Pdu(ExchangeMtuResponse{r.le16()});
    case Opcode::kFindInformationRequest: {
      FindInformationRequest v{r.le16(), r.le16()};
      return Pdu(v);
    }
    case Opcode::kFindInformationResponse: {
      FindInformationResponse v{r.u8(), r.rest()};
      const size_t unit = v.format == 0x01 ? 4 : v.format == 0x02 ? 18 : 0;
      if (unit == 0) return fail(ParseError::kInvalidParameter);
      if (v.data.size() % unit != 0) return fail(ParseError::kInvalidLength);
      return Pdu(v);
    }
    case Opcode::kFindByTypeValueRequest: {
      FindByTypeValueRequest v{r.le16(), r.le16(), r.le16(), r.rest()};
      return Pdu(v);
    }
    case Opcode::kFindByTypeValueResponse: {
      FindByTypeValueResponse v{r.rest()};
      if (v.handles_info.size() % 4 != 0) return fail(ParseError::kInvalidLength);
      return Pdu(v);
    }
    case Opcode::kReadByTypeRequest:
    case Opcode::kReadByGroupTypeRequest: {
      const uint16_t start = r.le16();
      const uint16_t end = r.le16();
      const auto type = att_uuid(r.rest());
      if (!type) return fail(ParseError::kInvalidLength);
      if (Opcode(op) == Opcode::kReadByTypeRequest)
        return Pdu(ReadByTypeRequest{start, end, *type});
      return Pdu(ReadByGroupTypeRequest{start, end, *type});
    }
    case Opcode::kReadByTypeResponse:
    case Opcode::kReadByGroupTypeResponse: {
      const uint8_t length = r.u8();
      const Bytes data = r.rest();
      const size_t min_entry = Opcode(op) == Opcode::kReadByTypeResponse ? 2 : 4;
      if (length < min_entry || data.size() % length != 0) return fail(ParseError::kInvalidLength);
      if (Opcode(op) == Opcode::kReadByTypeResponse) return Pdu(ReadByTypeResponse{length, data});
      return Pdu(ReadByGroupTypeResponse{length, data});
    }
    case Opcode::kReadRequest:
      return Pdu(ReadRequest{r.le16()});
    case Opcode::kReadResponse:
      return Pdu(ReadResponse{r.rest()});
    case Opcode::kReadBlobRequest: {
      ReadBlobRequest v{r.le16(), r.le16()};
      return Pdu(v);
    }
    case Opcode::kReadBlobResponse:
      return Pdu(ReadBlobResponse{r.rest()});
    case Opcode::kReadMultipleRequest:
    case Opcode::kReadMultipleVariableRequest: {
      const Bytes handles = r.rest();  // "Set Of Handles": two or more handles
      if (handles.size() % 2 != 0) return fail(ParseError::kInvalidLength);
      if (Opcode(op) == Opcode::kReadMultipleRequest) return Pdu(ReadMultipleRequest{handles});
      return Pdu(ReadMultipleVariableRequest{handles});
    }
    case Opcode::kReadMultipleResponse:
      return Pdu(ReadMultipleResponse{r.rest()});
    case Opcode::kReadMultipleVariableResponse:
      return Pdu(ReadMultipleVariableResponse{r.rest()});
    case Opcode::kWriteRequest: {
      WriteRequest v{r.le16(), r.rest()};
      return Pdu(v);
    }
    case Opcode::kWriteResponse:
      return Pdu(WriteResponse{});
    case Opcode::kWriteCommand: {
      WriteCommand v{r.le16(), r.rest()};
      return Pdu(v);
    }
    case Opcode::kSignedWriteCommand: {
      const uint16_t handle = r.le16();
      const Bytes rest = r.rest();
      SignedWriteCommand v{handle, rest.first(rest.size() - 12), rest.last(12)};
      return Pdu(v);
    }
    case Opcode::kPrepareWriteRequest:
    case Opcode::kPrepareWriteResponse: {
      const uint16_t handle = r.le16();
      const uint16_t offset = r.le16();
      const Bytes value = r.rest();
      if (Opcode(op) == Opcode::kPrepareWriteRequest)
        return Pdu(PrepareWriteRequest{handle, offset, value});
      return Pdu(PrepareWriteResponse{handle, offset, value});
    }
    case Opcode::kExecuteWriteRequest: {
      const uint8_t flags = r.u8();
      if (flags > 0x01) return fail(ParseError::kInvalidParameter);  // 3.4.6.3: reserved
      return Pdu(ExecuteWriteRequest{flags});
    }
    case Opcode::kExecuteWriteResponse:
      return Pdu(ExecuteWriteResponse{});
    case Opcode::kHandleValueNotification: {
      HandleValueNotification v{r.le16(), r.rest()};
      return Pdu(v);
    }
    case Opcode::kHandleValueIndication: {
      HandleValueIndication v{r.le16(), r.rest()};
      return Pdu(v);
    }
    case Opcode::kHandleValueConfirmation:
      return Pdu(HandleValueConfirmation{});
    case Opcode::kMultipleHandleValueNotification:
      return Pdu(MultipleHandleValueNotification{r.rest()});
  }
  return fail(ParseError::kUnknownOpcode);
}

void write_error_response(ByteWriter& w, uint8_t request_opcode, uint16_t handle,
                          AttErrorCode error) {
  w.u8(uint8_t(Opcode::kErrorResponse)).u8(request_opcode).le16(handle).u8(uint8_t(error));
}

void write_exchange_mtu(ByteWriter& w, Opcode opcode, uint16_t mtu) {
  w.u8(uint8_t(opcode)).le16(mtu);
}

void write_find_information_request(ByteWriter& w, uint16_t start, uint16_t end) {
  w.u8(uint8_t(Opcode::kFindInformationRequest)).le16(start).le16(end);
}

void write_find_by_type_value_request(ByteWriter& w, uint16_t start, uint16_t end, uint16_t type,
                                      Bytes value) {
  w.u8(uint8_t(Opcode::kFindByTypeValueRequest)).le16(start).le16(end).le16(type).bytes(value);
}

void write_read_by_type_request(ByteWriter& w, Opcode opcode, uint16_t start, uint16_t end,
                                const Uuid& type) {
  uint8_t uuid[16];
  const size_t n = type.write_att(uuid);
  w.u8(uint8_t(opcode)).le16(start).le16(end).bytes(Bytes(uuid, n));
}

void write_read_request(ByteWriter& w, uint16_t handle) {
  w.u8(uint8_t(Opcode::kReadRequest)).le16(handle);
}

void write_read_blob_request(ByteWriter& w, uint16_t handle, uint16_t offset) {
  w.u8(uint8_t(Opcode::kReadBlobRequest)).le16(handle).le16(offset);
}

void write_handle_value(ByteWriter& w, Opcode opcode, uint16_t handle, Bytes value) {
  w.u8(uint8_t(opcode)).le16(handle).bytes(value);
}

void write_prepare_write(ByteWriter& w, Opcode opcode, uint16_t handle, uint16_t offset,
                         Bytes value) {
  w.u8(uint8_t(opcode)).le16(handle).le16(offset).bytes(value);
}

void write_execute_write_request(ByteWriter& w, uint8_t flags) {
  w.u8(uint8_t(Opcode::kExecuteWriteRequest)).u8(flags);
}

void write_opcode_only(ByteWriter& w, Opcode opcode) {
  w.u8(uint8_t(opcode));
}

const char* to_string(AttErrorCode code) {
  switch (code) {
    case AttErrorCode::kInvalidHandle:
      return "Invalid Handle";
    case AttErrorCode::kReadNotPermitted:
      return "Read Not Permitted";
    case AttErrorCode::kWriteNotPermitted:
      return "Write Not Permitted";
    case AttErrorCode::kInvalidPdu:
      return "Invalid PDU";
    case AttErrorCode::kInsufficientAuthentication:
      return "Insufficient Authentication";
    case AttErrorCode::kRequestNotSupported:
      return "Request Not Supported";
    case AttErrorCode::kInvalidOffset:
      return "Invalid Offset";
    case AttErrorCode::kInsufficientAuthorization:
      return "Insufficient Authorization";
    case AttErrorCode::kPrepareQueueFull:
      return "Prepare Queue Full";
    case AttErrorCode::kAttributeNotFound:
      return "Attribute Not Found";
    case AttErrorCode::kAttributeNotLong:
      return "Attribute Not Long";
    case AttErrorCode::kInsufficientEncryptionKeySize:
      return "Insufficient Encryption Key Size";
    case AttErrorCode::kInvalidAttributeValueLength:
      return "Invalid Attribute Value Length";
    case AttErrorCode::kUnlikelyError:
      return "Unlikely Error";
    case AttErrorCode::kInsufficientEncryption:
      return "Insufficient Encryption";
    case AttErrorCode::kUnsupportedGroupType:
      return "Unsupported Group Type";
    case AttErrorCode::kInsufficientResources:
      return "Insufficient Resources";
    case AttErrorCode::kDatabaseOutOfSync:
      return "Database Out Of Sync";
    case AttErrorCode::kValueNotAllowed:
      return "Value Not Allowed";
    case AttErrorCode::kWriteRequestRejected:
      return "Write Request Rejected";
    case AttErrorCode::kCccdImproperlyConfigured:
      return "CCCD Improperly Configured";
    case AttErrorCode::kProcedureAlreadyInProgress:
      return "Procedure Already In Progress";
    case AttErrorCode::kOutOfRange:
      return "Out Of Range";
    default:
      break;
  }
  const uint8_t v = uint8_t(code);
  if (v >= 0x80 && v <= 0x9F) return "Application Error";
  return "Reserved";
}

}  // namespace sable::att
