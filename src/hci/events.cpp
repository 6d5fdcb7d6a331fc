#include "hci/events.hpp"

namespace sable::hci {
namespace {

// Fixed layouts are checked once for their size, then read without a check
// per field: one comparison instead of one per field keeps each parser small.
class Fields {
 public:
  explicit Fields(const uint8_t* p) : p_(p) {}
  uint8_t u8() { return *p_++; }
  uint16_t le16() {
    uint16_t v = get_le16(p_);
    p_ += 2;
    return v;
  }
  uint64_t le64() {
    uint64_t lo = get_le32(p_);
    uint64_t hi = get_le32(p_ + 4);
    p_ += 8;
    return lo | (hi << 32);
  }
  HciStatus status() { return HciStatus(u8()); }
  uint16_t handle() { return le16() & kHandleMask; }
  Address address(uint8_t type) {
    Address a;
    for (size_t i = 0; i < a.bytes.size(); ++i) a.bytes[i] = p_[i];
    a.type = AddressType(type);
    p_ += a.bytes.size();
    return a;
  }
  void copy(std::array<uint8_t, 6>& out) {
    for (size_t i = 0; i < out.size(); ++i) out[i] = p_[i];
    p_ += out.size();
  }

 private:
  const uint8_t* p_;
};

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
  if (packet.size() < 2) return fail(ParseError::kTruncated);
  if (packet.size() - 2 != packet[1]) return fail(ParseError::kLengthMismatch);
  EventPacket e;
  e.code = packet[0];
  e.params = packet.subspan(2);
  return e;
}

std::optional<HciStatus> CommandCompleteEvent::status() const {
  if (return_params.empty()) return std::nullopt;
  return HciStatus(return_params[0]);
}

Result<CommandCompleteEvent, ParseError> CommandCompleteEvent::parse(Bytes params) {
  if (params.size() < 3) return fail(ParseError::kTruncated);
  Fields f(params.data());
  CommandCompleteEvent e;
  e.num_hci_command_packets = f.u8();
  e.opcode = f.le16();
  e.return_params = params.subspan(3);
  return e;
}

Result<CommandStatusEvent, ParseError> CommandStatusEvent::parse(Bytes params) {
  if (params.size() < 4) return fail(ParseError::kTruncated);
  Fields f(params.data());
  CommandStatusEvent e;
  e.status = f.status();
  e.num_hci_command_packets = f.u8();
  e.opcode = f.le16();
  return e;
}

Result<DisconnectionCompleteEvent, ParseError> DisconnectionCompleteEvent::parse(Bytes params) {
  if (params.size() < 4) return fail(ParseError::kTruncated);
  Fields f(params.data());
  DisconnectionCompleteEvent e;
  e.status = f.status();
  e.handle = f.handle();
  e.reason = f.status();
  return e;
}

Result<EncryptionChangeEvent, ParseError> EncryptionChangeEvent::parse(Bytes params) {
  if (params.size() < 4) return fail(ParseError::kTruncated);
  Fields f(params.data());
  EncryptionChangeEvent e;
  e.status = f.status();
  e.handle = f.handle();
  e.encryption_enabled = f.u8();
  return e;
}

Result<EncryptionKeyRefreshCompleteEvent, ParseError> EncryptionKeyRefreshCompleteEvent::parse(
    Bytes params) {
  if (params.size() < 3) return fail(ParseError::kTruncated);
  Fields f(params.data());
  EncryptionKeyRefreshCompleteEvent e;
  e.status = f.status();
  e.handle = f.handle();
  return e;
}

Result<NumberOfCompletedPacketsEvent, ParseError> NumberOfCompletedPacketsEvent::parse(
    Bytes params) {
  if (params.empty()) return fail(ParseError::kTruncated);
  if (params.size() - 1 != size_t(params[0]) * 4) return fail(ParseError::kLengthMismatch);
  NumberOfCompletedPacketsEvent e;
  e.entries_ = params.subspan(1);
  return e;
}

Result<HardwareErrorEvent, ParseError> HardwareErrorEvent::parse(Bytes params) {
  if (params.empty()) return fail(ParseError::kTruncated);
  return HardwareErrorEvent{params[0]};
}

Result<DataBufferOverflowEvent, ParseError> DataBufferOverflowEvent::parse(Bytes params) {
  if (params.empty()) return fail(ParseError::kTruncated);
  return DataBufferOverflowEvent{params[0]};
}

Result<LeMetaEvent, ParseError> LeMetaEvent::parse(Bytes params) {
  if (params.empty()) return fail(ParseError::kTruncated);
  LeMetaEvent e;
  e.subevent = params[0];
  e.params = params.subspan(1);
  return e;
}

namespace {
// Part E 7.7.65.1 and 7.7.65.10 share their layout but for the two resolvable
// private addresses (rpa_octets, 0 or 12) between the peer address and the
// interval. The caller has checked the length and the address type.
void read_connection_fields(const uint8_t* p, size_t rpa_octets, LeConnectionFields& e) {
  Fields f(p);
  e.status = f.status();
  e.handle = f.handle();
  e.role = f.u8();
  const uint8_t type = f.u8();
  e.peer_address = f.address(type);
  f = Fields(p + 11 + rpa_octets);
  e.connection_interval = f.le16();
  e.peripheral_latency = f.le16();
  e.supervision_timeout = f.le16();
  e.central_clock_accuracy = f.u8();
}

std::optional<ParseError> check_connection_fields(Bytes sub, size_t rpa_octets) {
  if (sub.size() < 18 + rpa_octets) return ParseError::kTruncated;
  if (!valid_address_type(sub[4])) return ParseError::kInvalidValue;
  return std::nullopt;
}
}  // namespace

Result<LeConnectionCompleteEvent, ParseError> LeConnectionCompleteEvent::parse(Bytes sub) {
  if (auto err = check_connection_fields(sub, 0)) return fail(*err);
  Result<LeConnectionCompleteEvent, ParseError> out{LeConnectionCompleteEvent{}};
  read_connection_fields(sub.data(), 0, out.value());
  return out;
}

Result<LeEnhancedConnectionCompleteEvent, ParseError> LeEnhancedConnectionCompleteEvent::parse(
    Bytes sub) {
  if (auto err = check_connection_fields(sub, 12)) return fail(*err);
  Result<LeEnhancedConnectionCompleteEvent, ParseError> out{LeEnhancedConnectionCompleteEvent{}};
  LeEnhancedConnectionCompleteEvent& e = out.value();
  read_connection_fields(sub.data(), 12, e);
  Fields(sub.data() + 11).copy(e.local_resolvable_private_address);
  Fields(sub.data() + 17).copy(e.peer_resolvable_private_address);
  return out;
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
  if (rest_.size() < kReportFixed || rest_.size() < kReportFixed + rest_[8]) {
    rest_ = {};
    return;
  }
  Fields f(rest_.data());
  current_.event_type = f.u8();
  const uint8_t type = f.u8();
  current_.address = f.address(type);
  const uint8_t data_length = f.u8();
  current_.data = rest_.subspan(9, data_length);
  current_.rssi = int8_t(rest_[9 + data_length]);
  rest_ = rest_.subspan(kReportFixed + data_length);
}

LeAdvertisingReportEvent::Iterator& LeAdvertisingReportEvent::Iterator::operator++() {
  if (left_ > 0 && --left_ > 0) load();
  return *this;
}

Result<LeConnectionUpdateCompleteEvent, ParseError> LeConnectionUpdateCompleteEvent::parse(
    Bytes sub) {
  if (sub.size() < 9) return fail(ParseError::kTruncated);
  Fields f(sub.data());
  LeConnectionUpdateCompleteEvent e;
  e.status = f.status();
  e.handle = f.handle();
  e.connection_interval = f.le16();
  e.peripheral_latency = f.le16();
  e.supervision_timeout = f.le16();
  return e;
}

Result<LeReadRemoteFeaturesCompleteEvent, ParseError> LeReadRemoteFeaturesCompleteEvent::parse(
    Bytes sub) {
  if (sub.size() < 11) return fail(ParseError::kTruncated);
  Fields f(sub.data());
  LeReadRemoteFeaturesCompleteEvent e;
  e.status = f.status();
  e.handle = f.handle();
  e.le_features = f.le64();
  return e;
}

Result<LeLongTermKeyRequestEvent, ParseError> LeLongTermKeyRequestEvent::parse(Bytes sub) {
  if (sub.size() < 12) return fail(ParseError::kTruncated);
  Fields f(sub.data());
  LeLongTermKeyRequestEvent e;
  e.handle = f.handle();
  e.random_number = f.le64();
  e.encrypted_diversifier = f.le16();
  return e;
}

Result<LeRemoteConnectionParameterRequestEvent, ParseError>
LeRemoteConnectionParameterRequestEvent::parse(Bytes sub) {
  if (sub.size() < 10) return fail(ParseError::kTruncated);
  Fields f(sub.data());
  LeRemoteConnectionParameterRequestEvent e;
  e.handle = f.handle();
  e.interval_min = f.le16();
  e.interval_max = f.le16();
  e.max_latency = f.le16();
  e.timeout = f.le16();
  return e;
}

Result<LeDataLengthChangeEvent, ParseError> LeDataLengthChangeEvent::parse(Bytes sub) {
  if (sub.size() < 10) return fail(ParseError::kTruncated);
  Fields f(sub.data());
  LeDataLengthChangeEvent e;
  e.handle = f.handle();
  e.max_tx_octets = f.le16();
  e.max_tx_time = f.le16();
  e.max_rx_octets = f.le16();
  e.max_rx_time = f.le16();
  return e;
}

// ---- Return parameters ----

Result<LocalVersionInformation, ParseError> decode_read_local_version_information(Bytes rp) {
  if (rp.size() < 8) return fail(ParseError::kTruncated);
  Fields f(rp.data());
  LocalVersionInformation v;
  v.hci_version = f.u8();
  v.hci_subversion = f.le16();
  v.lmp_version = f.u8();
  v.company_identifier = f.le16();
  v.lmp_subversion = f.le16();
  return v;
}

Result<Address, ParseError> decode_read_bd_addr(Bytes rp) {
  if (rp.size() < 6) return fail(ParseError::kTruncated);
  return Fields(rp.data()).address(uint8_t(AddressType::kPublic));
}

Result<std::array<uint8_t, 64>, ParseError> decode_read_local_supported_commands(Bytes rp) {
  std::array<uint8_t, 64> out{};
  if (rp.size() < out.size()) return fail(ParseError::kTruncated);
  for (size_t i = 0; i < out.size(); ++i) out[i] = rp[i];
  return out;
}

namespace {
Result<uint64_t, ParseError> decode_le64(Bytes rp) {
  if (rp.size() < 8) return fail(ParseError::kTruncated);
  return Fields(rp.data()).le64();
}
}  // namespace

Result<uint64_t, ParseError> decode_read_local_supported_features(Bytes rp) {
  return decode_le64(rp);
}

Result<uint64_t, ParseError> decode_le_read_local_supported_features(Bytes rp) {
  return decode_le64(rp);
}

Result<LeBufferSize, ParseError> decode_le_read_buffer_size(Bytes rp) {
  if (rp.size() < 3) return fail(ParseError::kTruncated);
  Fields f(rp.data());
  LeBufferSize s;
  s.acl_data_length = f.le16();
  s.acl_packet_count = f.u8();
  return s;
}

Result<LeBufferSize, ParseError> decode_le_read_buffer_size_v2(Bytes rp) {
  if (rp.size() < 6) return fail(ParseError::kTruncated);
  Fields f(rp.data());
  LeBufferSize s;
  s.acl_data_length = f.le16();
  s.acl_packet_count = f.u8();
  s.iso_data_length = f.le16();
  s.iso_packet_count = f.u8();
  return s;
}

Result<BufferSize, ParseError> decode_read_buffer_size(Bytes rp) {
  if (rp.size() < 7) return fail(ParseError::kTruncated);
  Fields f(rp.data());
  BufferSize s;
  s.acl_data_length = f.le16();
  s.synchronous_data_length = f.u8();
  s.acl_packet_count = f.le16();
  s.synchronous_packet_count = f.le16();
  return s;
}

Result<uint64_t, ParseError> decode_le_rand(Bytes rp) {
  return decode_le64(rp);
}

}  // namespace sable::hci
