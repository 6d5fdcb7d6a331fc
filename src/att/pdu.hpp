// ATT PDUs: parsed once, at the edge, into typed views whose fields are known
// to be well formed (Core 5.4 Vol 3 Part F 3.4). One {opcode, length} table
// drives every length check; views borrow the input bytes (no allocation).
// Encoders for the same PDUs live here too, so the server and the client
// share one definition of each format.
#pragma once

#include <cstdint>
#include <optional>
#include <variant>

#include "att/att.hpp"
#include "common/bytes.hpp"
#include "sable/result.hpp"
#include "sable/uuid.hpp"

namespace sable::att {

// --- Views (each produced only by parse_pdu, after its length checks) -------

struct ErrorResponse {  // 3.4.1.1
  uint8_t request_opcode;
  uint16_t handle;
  AttErrorCode error;
};
struct ExchangeMtuRequest {  // 3.4.2.1
  uint16_t client_rx_mtu;
};
struct ExchangeMtuResponse {  // 3.4.2.2
  uint16_t server_rx_mtu;
};
struct FindInformationRequest {  // 3.4.3.1
  uint16_t start_handle;
  uint16_t end_handle;
};
struct FindInformationResponse {  // 3.4.3.2
  uint8_t format;                 // 0x01: 16-bit UUIDs, 0x02: 128-bit UUIDs
  Bytes data;                     // handle-UUID pairs; a multiple of 4 or 18 octets
};
struct FindByTypeValueRequest {  // 3.4.3.3
  uint16_t start_handle;
  uint16_t end_handle;
  uint16_t type;  // always a 16-bit UUID
  Bytes value;
};
struct FindByTypeValueResponse {  // 3.4.3.4
  Bytes handles_info;             // found handle + group end handle pairs; multiple of 4
};
struct ReadByTypeRequest {  // 3.4.4.1
  uint16_t start_handle;
  uint16_t end_handle;
  Uuid type;  // 16- or 128-bit on the wire
};
struct ReadByTypeResponse {  // 3.4.4.2
  uint8_t length;            // of each handle-value pair
  Bytes data;
};
struct ReadRequest {  // 3.4.4.3
  uint16_t handle;
};
struct ReadResponse {  // 3.4.4.4
  Bytes value;
};
struct ReadBlobRequest {  // 3.4.4.5
  uint16_t handle;
  uint16_t offset;
};
struct ReadBlobResponse {  // 3.4.4.6
  Bytes value;
};
struct ReadMultipleRequest {  // 3.4.4.7
  Bytes handles;              // two or more little-endian handles
  size_t count() const { return handles.size() / 2; }
  uint16_t handle(size_t i) const { return get_le16(&handles[2 * i]); }
};
struct ReadMultipleResponse {  // 3.4.4.8
  Bytes values;
};
struct ReadByGroupTypeRequest {  // 3.4.4.9
  uint16_t start_handle;
  uint16_t end_handle;
  Uuid group_type;
};
struct ReadByGroupTypeResponse {  // 3.4.4.10
  uint8_t length;
  Bytes data;
};
struct ReadMultipleVariableRequest {  // 3.4.4.11
  Bytes handles;
  size_t count() const { return handles.size() / 2; }
  uint16_t handle(size_t i) const { return get_le16(&handles[2 * i]); }
};
struct ReadMultipleVariableResponse {  // 3.4.4.12
  Bytes tuples;
};
struct WriteRequest {  // 3.4.5.1
  uint16_t handle;
  Bytes value;
};
struct WriteResponse {};  // 3.4.5.2
struct WriteCommand {     // 3.4.5.3
  uint16_t handle;
  Bytes value;
};
struct SignedWriteCommand {  // 3.4.5.4
  uint16_t handle;
  Bytes value;
  Bytes signature;  // 12 octets
};
struct PrepareWriteRequest {  // 3.4.6.1
  uint16_t handle;
  uint16_t offset;
  Bytes value;
};
struct PrepareWriteResponse {  // 3.4.6.2
  uint16_t handle;
  uint16_t offset;
  Bytes value;
};
struct ExecuteWriteRequest {  // 3.4.6.3
  uint8_t flags;              // 0x00 cancel all, 0x01 write all; others are invalid
};
struct ExecuteWriteResponse {};   // 3.4.6.4
struct HandleValueNotification {  // 3.4.7.1
  uint16_t handle;
  Bytes value;
};
struct HandleValueIndication {  // 3.4.7.2
  uint16_t handle;
  Bytes value;
};
struct HandleValueConfirmation {};        // 3.4.7.3
struct MultipleHandleValueNotification {  // 3.4.7.4
  Bytes tuples;                           // handle, length, value; at least two
};

using Pdu =
    std::variant<ErrorResponse, ExchangeMtuRequest, ExchangeMtuResponse, FindInformationRequest,
                 FindInformationResponse, FindByTypeValueRequest, FindByTypeValueResponse,
                 ReadByTypeRequest, ReadByTypeResponse, ReadRequest, ReadResponse, ReadBlobRequest,
                 ReadBlobResponse, ReadMultipleRequest, ReadMultipleResponse,
                 ReadByGroupTypeRequest, ReadByGroupTypeResponse, ReadMultipleVariableRequest,
                 ReadMultipleVariableResponse, WriteRequest, WriteResponse, WriteCommand,
                 SignedWriteCommand, PrepareWriteRequest, PrepareWriteResponse, ExecuteWriteRequest,
                 ExecuteWriteResponse, HandleValueNotification, HandleValueIndication,
                 HandleValueConfirmation, MultipleHandleValueNotification>;

enum class ParseError : uint8_t {
  kEmpty,            // no opcode octet
  kUnknownOpcode,    // not in the table: Request Not Supported, or ignored if a command
  kInvalidLength,    // shorter/longer than the format allows: Invalid PDU
  kInvalidParameter  // a field that can never be valid (e.g. an execute flag): Invalid PDU
};

// The length rule of one opcode: total PDU length including the opcode.
struct PduLength {
  Opcode opcode;
  uint16_t min;
  uint16_t max;  // 0xFFFF: bounded only by the MTU
};
// The one table (Core 5.4 Vol 3 Part F 3.4). nullopt for an unknown opcode.
std::optional<PduLength> pdu_length(uint8_t opcode);
// pdu_length(opcode).has_value(), without building the rule.
bool known_opcode(uint8_t opcode);

// Every length and shape check of parse_pdu, without building a view (for a
// receiver that reads the fields at their fixed offsets): nullopt when well formed.
std::optional<ParseError> check_pdu(Bytes pdu);

// check_pdu, then the typed view.
Result<Pdu, ParseError> parse_pdu(Bytes pdu);

// --- Encoders: write one PDU into `w` (check w.ok() once afterwards) --------

void write_error_response(ByteWriter& w, uint8_t request_opcode, uint16_t handle,
                          AttErrorCode error);
void write_exchange_mtu(ByteWriter& w, Opcode opcode, uint16_t mtu);  // request or response
void write_find_information_request(ByteWriter& w, uint16_t start, uint16_t end);
void write_find_by_type_value_request(ByteWriter& w, uint16_t start, uint16_t end, uint16_t type,
                                      Bytes value);
void write_read_by_type_request(ByteWriter& w, Opcode opcode, uint16_t start, uint16_t end,
                                const Uuid& type);  // Read By Type or Read By Group Type
void write_read_request(ByteWriter& w, uint16_t handle);
void write_read_blob_request(ByteWriter& w, uint16_t handle, uint16_t offset);
void write_handle_value(ByteWriter& w, Opcode opcode, uint16_t handle,
                        Bytes value);  // Write Request/Command, Notification, Indication
void write_prepare_write(ByteWriter& w, Opcode opcode, uint16_t handle, uint16_t offset,
                         Bytes value);  // request or response
void write_execute_write_request(ByteWriter& w, uint8_t flags);
void write_opcode_only(ByteWriter& w, Opcode opcode);  // Write/Execute Rsp, Confirmation

}  // namespace sable::att
