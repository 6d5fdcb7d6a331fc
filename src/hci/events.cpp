#include "hci/events.hpp"

namespace sable::hci {
namespace {

uint64_t read_le64(ByteReader& r) {
  uint64_t lo = r.le32();
  uint64_t hi = r.le32();
  return lo | (hi << 32);
}

HciStatus read_status(ByteReader& r) {
  return HciStatus(r.u8());
}
uint16_t read_handle(ByteReader& r) {
  return r.le16() & kHandleMask;
}

Address read_address(ByteReader& r, uint8_t type) {
  Address a;
  Bytes b = r.take(6);
  for (size_t i = 0; i < b.size(); ++i) a.bytes[i] = b[i];
  a.type = AddressType(type);
  return a;
}

// Address types in events are 0..3 (Core 5.4 Vol 4 Part E 7.7.65.10); the
// legacy Connection Complete and Advertising Report use only 0..1 but
// controllers with a resolving list report 2..3 there too.
bool valid_address_type(uint8_t t) {
  return t <= 0x03;
}

}  // namespace

const char* to_string(ParseError e) {
  switch (e) {
    case ParseError::kTruncated:
      return "truncated";
    case ParseError::kLengthMismatch:
      return "length mismatch";
    case ParseError::kInvalidValue:
      return "invalid value";
  }
  return "?";
}

// Core 5.4 Vol 4 Part E 5.4.4: Event_Code (1), Parameter_Total_Length (1).
Result<EventPacket, ParseError> EventPacket::parse(Bytes packet) {
  ByteReader r(packet);
  EventPacket e;
  e.code = r.u8();
  uint8_t length = r.u8();
  if (!r.ok()) return fail(ParseError::kTruncated);
  if (r.remaining() != length) return fail(ParseError::kLengthMismatch);
  e.params = r.rest();
  return e;
}

std::optional<HciStatus> CommandCompleteEvent::status() const {
  if (return_params.empty()) return std::nullopt;
  return HciStatus(return_params[0]);
}

Result<CommandCompleteEvent, ParseError> CommandCompleteEvent::parse(Bytes params) {
  ByteReader r(params);
  CommandCompleteEvent e;
  e.num_hci_command_packets = r.u8();
  e.opcode = r.le16();
  if (!r.ok()) return fail(ParseError::kTruncated);
  e.return_params = r.rest();
  return e;
}

Result<CommandStatusEvent, ParseError> CommandStatusEvent::parse(Bytes params) {
  ByteReader r(params);
  CommandStatusEvent e;
  e.status = read_status(r);
  e.num_hci_command_packets = r.u8();
  e.opcode = r.le16();
  if (!r.ok()) return fail(ParseError::kTruncated);
  return e;
}

Result<DisconnectionCompleteEvent, ParseError> DisconnectionCompleteEvent::parse(Bytes params) {
  ByteReader r(params);
  DisconnectionCompleteEvent e;
  e.status = read_status(r);
  e.handle = read_handle(r);
  e.reason = HciStatus(r.u8());
  if (!r.ok()) return fail(ParseError::kTruncated);
  return e;
}

Result<EncryptionChangeEvent, ParseError> EncryptionChangeEvent::parse(Bytes params) {
  ByteReader r(params);
  EncryptionChangeEvent e;
  e.status = read_status(r);
  e.handle = read_handle(r);
  e.encryption_enabled = r.u8();
  if (!r.ok()) return fail(ParseError::kTruncated);
  return e;
}

Result<EncryptionKeyRefreshCompleteEvent, ParseError> EncryptionKeyRefreshCompleteEvent::parse(
    Bytes params) {
  ByteReader r(params);
  EncryptionKeyRefreshCompleteEvent e;
  e.status = read_status(r);
  e.handle = read_handle(r);
  if (!r.ok()) return fail(ParseError::kTruncated);
  return e;
}

Result<NumberOfCompletedPacketsEvent, ParseError> NumberOfCompletedPacketsEvent::parse(
    Bytes params) {
  ByteReader r(params);
  uint8_t num_handles = r.u8();
  if (!r.ok()) return fail(ParseError::kTruncated);
  if (r.remaining() != size_t(num_handles) * 4) return fail(ParseError::kLengthMismatch);
  NumberOfCompletedPacketsEvent e;
  e.entries_ = r.rest();
  return e;
}

Result<HardwareErrorEvent, ParseError> HardwareErrorEvent::parse(Bytes params) {
  ByteReader r(params);
  HardwareErrorEvent e;
  e.hardware_code = r.u8();
  if (!r.ok()) return fail(ParseError::kTruncated);
  return e;
}

Result<DataBufferOverflowEvent, ParseError> DataBufferOverflowEvent::parse(Bytes params) {
  ByteReader r(params);
  DataBufferOverflowEvent e;
  e.link_type = r.u8();
  if (!r.ok()) return fail(ParseError::kTruncated);
  return e;
}

Result<LeMetaEvent, ParseError> LeMetaEvent::parse(Bytes params) {
  ByteReader r(params);
  LeMetaEvent e;
  e.subevent = r.u8();
  if (!r.ok()) return fail(ParseError::kTruncated);
  e.params = r.rest();
  return e;
}

Result<LeConnectionCompleteEvent, ParseError> LeConnectionCompleteEvent::parse(Bytes sub) {
  ByteReader r(sub);
  LeConnectionCompleteEvent e;
  e.status = read_status(r);
  e.handle = read_handle(r);
  e.role = r.u8();
  uint8_t type = r.u8();
  e.peer_address = read_address(r, type);
  e.connection_interval = r.le16();
  e.peripheral_latency = r.le16();
  e.supervision_timeout = r.le16();
  e.central_clock_accuracy = r.u8();
  if (!r.ok()) return fail(ParseError::kTruncated);
  if (!valid_address_type(type)) return fail(ParseError::kInvalidValue);
  return e;
}

Result<LeEnhancedConnectionCompleteEvent, ParseError> LeEnhancedConnectionCompleteEvent::parse(
    Bytes sub) {
  ByteReader r(sub);
  LeEnhancedConnectionCompleteEvent e;
  e.status = read_status(r);
  e.handle = read_handle(r);
  e.role = r.u8();
  uint8_t type = r.u8();
  e.peer_address = read_address(r, type);
  Bytes local_rpa = r.take(6);
  Bytes peer_rpa = r.take(6);
  e.connection_interval = r.le16();
  e.peripheral_latency = r.le16();
  e.supervision_timeout = r.le16();
  e.central_clock_accuracy = r.u8();
  if (!r.ok()) return fail(ParseError::kTruncated);
  if (!valid_address_type(type)) return fail(ParseError::kInvalidValue);
  for (size_t i = 0; i < 6; ++i) {
    e.local_resolvable_private_address[i] = local_rpa[i];
    e.peer_resolvable_private_address[i] = peer_rpa[i];
  }
  return e;
}

// Core 5.4 Vol 4 Part E 7.7.65.2: Data_Length is 0..31.
namespace {
constexpr size_t kReportFixed = 1 + 1 + 6 + 1 + 1;  // type, addr type, addr, length, RSSI
constexpr uint8_t kMaxAdvertisingData = 31;
constexpr uint8_t kMaxReports = 0x19;
}  // namespace

Result<LeAdvertisingReportEvent, ParseError> LeAdvertisingReportEvent::parse(Bytes sub) {
  ByteReader r(sub);
  uint8_t num = r.u8();
  if (!r.ok()) return fail(ParseError::kTruncated);
  if (num == 0 || num > kMaxReports) return fail(ParseError::kInvalidValue);
  Bytes reports = sub.subspan(1);
  // Walk every report once so iteration never meets a bad length.
  for (uint8_t i = 0; i < num; ++i) {
    r.take(8);  // event type, address type, address
    uint8_t data_length = r.u8();
    if (!r.ok()) return fail(ParseError::kTruncated);
    if (data_length > kMaxAdvertisingData) return fail(ParseError::kInvalidValue);
    r.take(data_length);
    r.u8();  // RSSI
    if (!r.ok()) return fail(ParseError::kTruncated);
  }
  if (!r.at_end()) return fail(ParseError::kLengthMismatch);
  LeAdvertisingReportEvent e;
  e.num_reports_ = num;
  e.reports_ = reports;
  return e;
}

LeAdvertisingReportEvent::Iterator::Iterator(Bytes rest, size_t left) : rest_(rest), left_(left) {
  if (left_ > 0) load();
}

void LeAdvertisingReportEvent::Iterator::load() {
  // Already validated by parse(); the reader still guards every access.
  ByteReader r(rest_);
  current_.event_type = r.u8();
  uint8_t type = r.u8();
  current_.address = read_address(r, type);
  uint8_t data_length = r.u8();
  current_.data = r.take(data_length);
  current_.rssi = int8_t(r.u8());
  rest_ = rest_.subspan(r.ok() ? kReportFixed + data_length : rest_.size());
}

LeAdvertisingReportEvent::Iterator& LeAdvertisingReportEvent::Iterator::operator++() {
  if (left_ > 0 && --left_ > 0) load();
  return *this;
}

Result<LeConnectionUpdateCompleteEvent, ParseError> LeConnectionUpdateCompleteEvent::parse(
    Bytes sub) {
  ByteReader r(sub);
  LeConnectionUpdateCompleteEvent e;
  e.status = read_status(r);
  e.handle = read_handle(r);
  e.connection_interval = r.le16();
  e.peripheral_latency = r.le16();
  e.supervision_timeout = r.le16();
  if (!r.ok()) return fail(ParseError::kTruncated);
  return e;
}

Result<LeReadRemoteFeaturesCompleteEvent, ParseError> LeReadRemoteFeaturesCompleteEvent::parse(
    Bytes sub) {
  ByteReader r(sub);
  LeReadRemoteFeaturesCompleteEvent e;
  e.status = read_status(r);
  e.handle = read_handle(r);
  e.le_features = read_le64(r);
  if (!r.ok()) return fail(ParseError::kTruncated);
  return e;
}

Result<LeLongTermKeyRequestEvent, ParseError> LeLongTermKeyRequestEvent::parse(Bytes sub) {
  ByteReader r(sub);
  LeLongTermKeyRequestEvent e;
  e.handle = read_handle(r);
  e.random_number = read_le64(r);
  e.encrypted_diversifier = r.le16();
  if (!r.ok()) return fail(ParseError::kTruncated);
  return e;
}

Result<LeRemoteConnectionParameterRequestEvent, ParseError>
LeRemoteConnectionParameterRequestEvent::parse(Bytes sub) {
  ByteReader r(sub);
  LeRemoteConnectionParameterRequestEvent e;
  e.handle = read_handle(r);
  e.interval_min = r.le16();
  e.interval_max = r.le16();
  e.max_latency = r.le16();
  e.timeout = r.le16();
  if (!r.ok()) return fail(ParseError::kTruncated);
  return e;
}

Result<LeDataLengthChangeEvent, ParseError> LeDataLengthChangeEvent::parse(Bytes sub) {
  ByteReader r(sub);
  LeDataLengthChangeEvent e;
  e.handle = read_handle(r);
  e.max_tx_octets = r.le16();
  e.max_tx_time = r.le16();
  e.max_rx_octets = r.le16();
  e.max_rx_time = r.le16();
  if (!r.ok()) return fail(ParseError::kTruncated);
  return e;
}

// ---- Return parameters ----

Result<LocalVersionInformation, ParseError> decode_read_local_version_information(Bytes rp) {
  ByteReader r(rp);
  LocalVersionInformation v;
  v.hci_version = r.u8();
  v.hci_subversion = r.le16();
  v.lmp_version = r.u8();
  v.company_identifier = r.le16();
  v.lmp_subversion = r.le16();
  if (!r.ok()) return fail(ParseError::kTruncated);
  return v;
}

Result<Address, ParseError> decode_read_bd_addr(Bytes rp) {
  ByteReader r(rp);
  Address a = read_address(r, uint8_t(AddressType::kPublic));
  if (!r.ok()) return fail(ParseError::kTruncated);
  return a;
}

Result<std::array<uint8_t, 64>, ParseError> decode_read_local_supported_commands(Bytes rp) {
  ByteReader r(rp);
  Bytes b = r.take(64);
  if (!r.ok()) return fail(ParseError::kTruncated);
  std::array<uint8_t, 64> out{};
  for (size_t i = 0; i < out.size(); ++i) out[i] = b[i];
  return out;
}

namespace {
Result<uint64_t, ParseError> decode_le64(Bytes rp) {
  ByteReader r(rp);
  uint64_t v = read_le64(r);
  if (!r.ok()) return fail(ParseError::kTruncated);
  return v;
}
}  // namespace

Result<uint64_t, ParseError> decode_read_local_supported_features(Bytes rp) {
  return decode_le64(rp);
}

Result<uint64_t, ParseError> decode_le_read_local_supported_features(Bytes rp) {
  return decode_le64(rp);
}

Result<LeBufferSize, ParseError> decode_le_read_buffer_size(Bytes rp) {
  ByteReader r(rp);
  LeBufferSize s;
  s.acl_data_length = r.le16();
  s.acl_packet_count = r.u8();
  if (!r.ok()) return fail(ParseError::kTruncated);
  return s;
}

Result<LeBufferSize, ParseError> decode_le_read_buffer_size_v2(Bytes rp) {
  ByteReader r(rp);
  LeBufferSize s;
  s.acl_data_length = r.le16();
  s.acl_packet_count = r.u8();
  s.iso_data_length = r.le16();
  s.iso_packet_count = r.u8();
  if (!r.ok()) return fail(ParseError::kTruncated);
  return s;
}

Result<BufferSize, ParseError> decode_read_buffer_size(Bytes rp) {
  ByteReader r(rp);
  BufferSize s;
  s.acl_data_length = r.le16();
  s.synchronous_data_length = r.u8();
  s.acl_packet_count = r.le16();
  s.synchronous_packet_count = r.le16();
  if (!r.ok()) return fail(ParseError::kTruncated);
  return s;
}

Result<uint64_t, ParseError> decode_le_rand(Bytes rp) {
  return decode_le64(rp);
}

}  // namespace sable::hci
