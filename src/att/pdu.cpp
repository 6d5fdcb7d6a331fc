#include "att/pdu.hpp"

#include <array>

namespace sable::att {
namespace {

// 0xFF as a maximum: bounded only by the MTU (every bounded maximum is below it).
constexpr uint8_t kUnbounded8 = 0xFF;

struct LengthRule {
  Opcode opcode;
  uint8_t min;
  uint8_t max;
};

// Core 5.4 Vol 3 Part F 3.4: total PDU length (opcode included) per opcode.
// parse_pdu switches on the position in this table.
constexpr std::array<LengthRule, 31> kLengths = {{
    {Opcode::kErrorResponse, 5, 5},                              // 3.4.1.1
    {Opcode::kExchangeMtuRequest, 3, 3},                         // 3.4.2.1
    {Opcode::kExchangeMtuResponse, 3, 3},                        // 3.4.2.2
    {Opcode::kFindInformationRequest, 5, 5},                     // 3.4.3.1
    {Opcode::kFindInformationResponse, 6, kUnbounded8},          // 3.4.3.2
    {Opcode::kFindByTypeValueRequest, 7, kUnbounded8},           // 3.4.3.3
    {Opcode::kFindByTypeValueResponse, 5, kUnbounded8},          // 3.4.3.4
    {Opcode::kReadByTypeRequest, 7, 21},                         // 3.4.4.1 (7 or 21)
    {Opcode::kReadByTypeResponse, 4, kUnbounded8},               // 3.4.4.2
    {Opcode::kReadRequest, 3, 3},                                // 3.4.4.3
    {Opcode::kReadResponse, 1, kUnbounded8},                     // 3.4.4.4
    {Opcode::kReadBlobRequest, 5, 5},                            // 3.4.4.5
    {Opcode::kReadBlobResponse, 1, kUnbounded8},                 // 3.4.4.6
    {Opcode::kReadMultipleRequest, 5, kUnbounded8},              // 3.4.4.7
    {Opcode::kReadMultipleResponse, 1, kUnbounded8},             // 3.4.4.8
    {Opcode::kReadByGroupTypeRequest, 7, 21},                    // 3.4.4.9 (7 or 21)
    {Opcode::kReadByGroupTypeResponse, 6, kUnbounded8},          // 3.4.4.10
    {Opcode::kWriteRequest, 3, kUnbounded8},                     // 3.4.5.1
    {Opcode::kWriteResponse, 1, 1},                              // 3.4.5.2
    {Opcode::kPrepareWriteRequest, 5, kUnbounded8},              // 3.4.6.1
    {Opcode::kPrepareWriteResponse, 5, kUnbounded8},             // 3.4.6.2
    {Opcode::kExecuteWriteRequest, 2, 2},                        // 3.4.6.3
    {Opcode::kExecuteWriteResponse, 1, 1},                       // 3.4.6.4
    {Opcode::kReadMultipleVariableRequest, 5, kUnbounded8},      // 3.4.4.11
    {Opcode::kReadMultipleVariableResponse, 1, kUnbounded8},     // 3.4.4.12
    {Opcode::kMultipleHandleValueNotification, 9, kUnbounded8},  // 3.4.7.4
    {Opcode::kHandleValueNotification, 3, kUnbounded8},          // 3.4.7.1
    {Opcode::kHandleValueIndication, 3, kUnbounded8},            // 3.4.7.2
    {Opcode::kHandleValueConfirmation, 1, 1},                    // 3.4.7.3
    {Opcode::kWriteCommand, 3, kUnbounded8},                     // 3.4.5.3
    {Opcode::kSignedWriteCommand, 15, kUnbounded8},              // 3.4.5.4 (12-octet signature)
}};

// The position of `opcode` in kLengths; kLengths.size() if unknown.
size_t find_rule(uint8_t opcode) {
  size_t i = 0;
  while (i < kLengths.size() && uint8_t(kLengths[i].opcode) != opcode) ++i;
  return i;
}

}  // namespace

bool known_opcode(uint8_t opcode) {
  return find_rule(opcode) != kLengths.size();
}

std::optional<PduLength> pdu_length(uint8_t opcode) {
  const size_t i = find_rule(opcode);
  if (i == kLengths.size()) return std::nullopt;
  const LengthRule& e = kLengths[i];
  return PduLength{e.opcode, e.min, uint16_t(e.max == kUnbounded8 ? 0xFFFF : e.max)};
}

// The table's bounds, then what a {min, max} pair cannot say: entry sizes of
// the list formats, UUID field sizes and reserved flag values.
std::optional<ParseError> check_pdu(Bytes pdu) {
  if (pdu.empty()) return ParseError::kEmpty;
  const size_t i = find_rule(pdu[0]);
  if (i == kLengths.size()) return ParseError::kUnknownOpcode;
  const size_t n = pdu.size();
  const LengthRule& rule = kLengths[i];
  if (n < rule.min || (rule.max != kUnbounded8 && n > rule.max)) return ParseError::kInvalidLength;
  const uint8_t b1 = n > 1 ? pdu[1] : 0;
  size_t unit = 1;  // the variable part (after `fixed` octets) is a multiple of unit
  size_t fixed = 1;
  switch (rule.opcode) {
    case Opcode::kFindInformationResponse:  // format 1 (16-bit UUIDs) or 2 (128-bit)
      unit = b1 == 0x01 ? 4 : b1 == 0x02 ? 18 : 0;
      if (unit == 0) return ParseError::kInvalidParameter;
      fixed = 2;
      break;
    case Opcode::kFindByTypeValueResponse:  // handle pairs
      unit = 4;
      break;
    case Opcode::kReadByTypeRequest:
    case Opcode::kReadByGroupTypeRequest:
      // A UUID carried as an ATT field: 2 or 16 octets only (Core 5.4 Vol 3 Part F 3.2.1).
      if (n != 7 && n != 21) return ParseError::kInvalidLength;
      break;
    case Opcode::kReadByTypeResponse:
    case Opcode::kReadByGroupTypeResponse:  // entries of b1 octets, at least one handle (+ end)
      if (b1 < (rule.opcode == Opcode::kReadByTypeResponse ? 2 : 4))
        return ParseError::kInvalidLength;
      unit = b1;
      fixed = 2;
      break;
    case Opcode::kReadMultipleRequest:
    case Opcode::kReadMultipleVariableRequest:  // "Set Of Handles", two or more
      unit = 2;
      break;
    case Opcode::kExecuteWriteRequest:  // flags above 0x01 are reserved (3.4.6.3)
      if (b1 > 0x01) return ParseError::kInvalidParameter;
      break;
    default:
      break;
  }
  if ((n - fixed) % unit != 0) return ParseError::kInvalidLength;
  return std::nullopt;
}

// Each format's fixed fields sit at fixed offsets, and check_pdu guarantees
// that every field a format reads is present.
Result<Pdu, ParseError> parse_pdu(Bytes pdu) {
  if (auto err = check_pdu(pdu)) return fail(*err);
  const size_t i = find_rule(pdu[0]);
  const size_t n = pdu.size();
  const uint8_t* p = pdu.data();
  const uint8_t b1 = n > 1 ? p[1] : 0;
  const uint16_t f1 = n > 2 ? get_le16(p + 1) : 0;
  const uint16_t f3 = n > 4 ? get_le16(p + 3) : 0;
  Result<Pdu, ParseError> out{Pdu{}};
  Pdu& v = out.value();
  // Each alternative built from a braced aggregate: clang 14 has no
  // parenthesized aggregate initialization (P0960) for emplace(args...).
  switch (i) {
    case 0:  // Error Response
      v.emplace<ErrorResponse>(ErrorResponse{b1, get_le16(p + 2), AttErrorCode(p[4])});
      break;
    case 1:
      v.emplace<ExchangeMtuRequest>(ExchangeMtuRequest{f1});
      break;
    case 2:
      v.emplace<ExchangeMtuResponse>(ExchangeMtuResponse{f1});
      break;
    case 3:
      v.emplace<FindInformationRequest>(FindInformationRequest{f1, f3});
      break;
    case 4:
      v.emplace<FindInformationResponse>(FindInformationResponse{b1, pdu.subspan(2)});
      break;
    case 5:
      v.emplace<FindByTypeValueRequest>(
          FindByTypeValueRequest{f1, f3, get_le16(p + 5), pdu.subspan(7)});
      break;
    case 6:
      v.emplace<FindByTypeValueResponse>(FindByTypeValueResponse{pdu.subspan(1)});
      break;
    case 7:
    case 15: {  // Read By (Group) Type Request: the UUID field is 2 or 16 octets
      const Uuid type = *Uuid::from_wire(pdu.subspan(5));
      if (i == 7)
        v.emplace<ReadByTypeRequest>(ReadByTypeRequest{f1, f3, type});
      else
        v.emplace<ReadByGroupTypeRequest>(ReadByGroupTypeRequest{f1, f3, type});
      break;
    }
    case 8:
      v.emplace<ReadByTypeResponse>(ReadByTypeResponse{b1, pdu.subspan(2)});
      break;
    case 16:
      v.emplace<ReadByGroupTypeResponse>(ReadByGroupTypeResponse{b1, pdu.subspan(2)});
      break;
    case 9:
      v.emplace<ReadRequest>(ReadRequest{f1});
      break;
    case 10:
      v.emplace<ReadResponse>(ReadResponse{pdu.subspan(1)});
      break;
    case 11:
      v.emplace<ReadBlobRequest>(ReadBlobRequest{f1, f3});
      break;
    case 12:
      v.emplace<ReadBlobResponse>(ReadBlobResponse{pdu.subspan(1)});
      break;
    case 13:
      v.emplace<ReadMultipleRequest>(ReadMultipleRequest{pdu.subspan(1)});
      break;
    case 23:
      v.emplace<ReadMultipleVariableRequest>(ReadMultipleVariableRequest{pdu.subspan(1)});
      break;
    case 14:
      v.emplace<ReadMultipleResponse>(ReadMultipleResponse{pdu.subspan(1)});
      break;
    case 17:
      v.emplace<WriteRequest>(WriteRequest{f1, pdu.subspan(3)});
      break;
    case 18:
      v.emplace<WriteResponse>();
      break;
    case 19:
      v.emplace<PrepareWriteRequest>(PrepareWriteRequest{f1, f3, pdu.subspan(5)});
      break;
    case 20:
      v.emplace<PrepareWriteResponse>(PrepareWriteResponse{f1, f3, pdu.subspan(5)});
      break;
    case 21:
      v.emplace<ExecuteWriteRequest>(ExecuteWriteRequest{b1});
      break;
    case 22:
      v.emplace<ExecuteWriteResponse>();
      break;
    case 24:
      v.emplace<ReadMultipleVariableResponse>(ReadMultipleVariableResponse{pdu.subspan(1)});
      break;
    case 25:
      v.emplace<MultipleHandleValueNotification>(MultipleHandleValueNotification{pdu.subspan(1)});
      break;
    case 26:
      v.emplace<HandleValueNotification>(HandleValueNotification{f1, pdu.subspan(3)});
      break;
    case 27:
      v.emplace<HandleValueIndication>(HandleValueIndication{f1, pdu.subspan(3)});
      break;
    case 28:
      v.emplace<HandleValueConfirmation>();
      break;
    case 29:
      v.emplace<WriteCommand>(WriteCommand{f1, pdu.subspan(3)});
      break;
    default:  // 30: Signed Write Command: value, then a 12-octet signature
      v.emplace<SignedWriteCommand>(SignedWriteCommand{f1, pdu.subspan(3, n - 15), pdu.last(12)});
      break;
  }
  return out;
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
