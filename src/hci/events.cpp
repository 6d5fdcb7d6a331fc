#include "hci/events.hpp"

#include <cstddef>
#include <cstring>
#include <span>
#include <type_traits>

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

// Fixed-layout events as tables: each field's place in the event struct and
// its coding on the wire (little-endian, Core 5.4 Vol 4 Part E 5.4.4), in wire
// order. One reader for all of them instead of one hand-written parser each.
enum FieldKind : uint8_t { kU8, kLe16, kHandle, kLe64 };
// One octet per field: the kind in the top 2 bits, the member's offset in the
// event struct below (every event struct here is smaller than 64 octets).
using Field = uint8_t;
#define SABLE_FIELD(Event, member, kind) Field(offsetof(Event, member) | (kind << 6))

// Reads `count` fields from `size` octets at `p` into the struct at `out`;
// false if the octets are fewer than the fields need (extra octets are
// ignored, see events.hpp).
[[gnu::noinline]] bool read_fields(const uint8_t* p, size_t size, const Field* fields, size_t count,
                                   uint8_t* out) {
  for (const Field* f = fields; f != fields + count; ++f) {
    const FieldKind kind = FieldKind(*f >> 6);
    const size_t width = kind == kU8 ? 1 : kind == kLe64 ? 8 : 2;
    if (size < width) return false;
    uint64_t v = 0;
    for (size_t i = width; i-- > 0;) v = v << 8 | p[i];
    if (kind == kHandle) v &= kHandleMask;
    uint8_t* dst = out + (*f & 0x3F);
    if (kind == kU8) {
      *dst = uint8_t(v);
    } else if (kind == kLe64) {
      std::memcpy(dst, &v, sizeof v);
    } else {
      const uint16_t v16 = uint16_t(v);
      std::memcpy(dst, &v16, sizeof v16);
    }
    p += width;
    size -= width;
  }
  return true;
}

template <class Event, size_t N>
Result<Event, ParseError> parse_fixed(Bytes in, const Field (&fields)[N]) {
  static_assert(std::is_standard_layout_v<Event> && std::is_trivially_copyable_v<Event>);
  static_assert(sizeof(Event) <= 64);
  // Read in place into the result: no copy of the event.
  Result<Event, ParseError> out{Event{}};
  if (!read_fields(in.data(), in.size(), fields, N, reinterpret_cast<uint8_t*>(&out.value())))
    out = fail(ParseError::kTruncated);
  return out;
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
  static constexpr Field kFields[] = {SABLE_FIELD(CommandStatusEvent, status, kU8),
                                      SABLE_FIELD(CommandStatusEvent, num_hci_command_packets, kU8),
                                      SABLE_FIELD(CommandStatusEvent, opcode, kLe16)};
  return parse_fixed<CommandStatusEvent>(params, kFields);
}

Result<DisconnectionCompleteEvent, ParseError> DisconnectionCompleteEvent::parse(Bytes params) {
  static constexpr Field kFields[] = {SABLE_FIELD(DisconnectionCompleteEvent, status, kU8),
                                      SABLE_FIELD(DisconnectionCompleteEvent, handle, kHandle),
                                      SABLE_FIELD(DisconnectionCompleteEvent, reason, kU8)};
  return parse_fixed<DisconnectionCompleteEvent>(params, kFields);
}

Result<EncryptionChangeEvent, ParseError> EncryptionChangeEvent::parse(Bytes params) {
  static constexpr Field kFields[] = {SABLE_FIELD(EncryptionChangeEvent, status, kU8),
                                      SABLE_FIELD(EncryptionChangeEvent, handle, kHandle),
                                      SABLE_FIELD(EncryptionChangeEvent, encryption_enabled, kU8)};
  return parse_fixed<EncryptionChangeEvent>(params, kFields);
}

Result<EncryptionKeyRefreshCompleteEvent, ParseError> EncryptionKeyRefreshCompleteEvent::parse(
    Bytes params) {
  static constexpr Field kFields[] = {
      SABLE_FIELD(EncryptionKeyRefreshCompleteEvent, status, kU8),
      SABLE_FIELD(EncryptionKeyRefreshCompleteEvent, handle, kHandle)};
  return parse_fixed<EncryptionKeyRefreshCompleteEvent>(params, kFields);
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
// interval: a head of 11 octets (Status, Connection_Handle, Role,
// Peer_Address_Type, Peer_Address) and a tail of 7 (Connection_Interval,
// Peripheral_Latency, Supervision_Timeout, Central_Clock_Accuracy).
#define SABLE_CONNECTION_FIELD(member, kind) SABLE_FIELD(LeConnectionFields, member, kind)
constexpr Field peer_address_octet(size_t i) {  // kU8
  return Field(offsetof(LeConnectionFields, peer_address) + offsetof(Address, bytes) + i);
}
constexpr Field kConnectionHead[] = {
    SABLE_CONNECTION_FIELD(status, kU8),
    SABLE_CONNECTION_FIELD(handle, kHandle),
    SABLE_CONNECTION_FIELD(role, kU8),
    SABLE_CONNECTION_FIELD(peer_address.type, kU8),
    peer_address_octet(0),
    peer_address_octet(1),
    peer_address_octet(2),
    peer_address_octet(3),
    peer_address_octet(4),
    peer_address_octet(5),
};
constexpr Field kConnectionTail[] = {
    SABLE_CONNECTION_FIELD(connection_interval, kLe16),
    SABLE_CONNECTION_FIELD(peripheral_latency, kLe16),
    SABLE_CONNECTION_FIELD(supervision_timeout, kLe16),
    SABLE_CONNECTION_FIELD(central_clock_accuracy, kU8),
};
#undef SABLE_CONNECTION_FIELD
static_assert(std::is_standard_layout_v<LeConnectionFields>);

std::optional<ParseError> read_connection_fields(Bytes sub, size_t rpa_octets,
                                                 LeConnectionFields& e) {
  if (sub.size() < 18 + rpa_octets) return ParseError::kTruncated;
  if (!valid_address_type(sub[4])) return ParseError::kInvalidValue;
  uint8_t* out = reinterpret_cast<uint8_t*>(&e);
  read_fields(sub.data(), 11, kConnectionHead, std::size(kConnectionHead), out);
  read_fields(sub.data() + 11 + rpa_octets, 7, kConnectionTail, std::size(kConnectionTail), out);
  return std::nullopt;
}
}  // namespace

Result<LeConnectionCompleteEvent, ParseError> LeConnectionCompleteEvent::parse(Bytes sub) {
  Result<LeConnectionCompleteEvent, ParseError> out{LeConnectionCompleteEvent{}};
  if (auto err = read_connection_fields(sub, 0, out.value())) out = fail(*err);
  return out;
}

Result<LeEnhancedConnectionCompleteEvent, ParseError> LeEnhancedConnectionCompleteEvent::parse(
    Bytes sub) {
  Result<LeEnhancedConnectionCompleteEvent, ParseError> out{LeEnhancedConnectionCompleteEvent{}};
  LeEnhancedConnectionCompleteEvent& e = out.value();
  if (auto err = read_connection_fields(sub, 12, e)) {
    out = fail(*err);
  } else {
    // Local_Resolvable_Private_Address, Peer_Resolvable_Private_Address.
    std::memcpy(e.local_resolvable_private_address.data(), sub.data() + 11, 6);
    std::memcpy(e.peer_resolvable_private_address.data(), sub.data() + 17, 6);
  }
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
  static constexpr Field kFields[] = {
      SABLE_FIELD(LeConnectionUpdateCompleteEvent, status, kU8),
      SABLE_FIELD(LeConnectionUpdateCompleteEvent, handle, kHandle),
      SABLE_FIELD(LeConnectionUpdateCompleteEvent, connection_interval, kLe16),
      SABLE_FIELD(LeConnectionUpdateCompleteEvent, peripheral_latency, kLe16),
      SABLE_FIELD(LeConnectionUpdateCompleteEvent, supervision_timeout, kLe16)};
  return parse_fixed<LeConnectionUpdateCompleteEvent>(sub, kFields);
}

Result<LeReadRemoteFeaturesCompleteEvent, ParseError> LeReadRemoteFeaturesCompleteEvent::parse(
    Bytes sub) {
  static constexpr Field kFields[] = {
      SABLE_FIELD(LeReadRemoteFeaturesCompleteEvent, status, kU8),
      SABLE_FIELD(LeReadRemoteFeaturesCompleteEvent, handle, kHandle),
      SABLE_FIELD(LeReadRemoteFeaturesCompleteEvent, le_features, kLe64)};
  return parse_fixed<LeReadRemoteFeaturesCompleteEvent>(sub, kFields);
}

Result<LeLongTermKeyRequestEvent, ParseError> LeLongTermKeyRequestEvent::parse(Bytes sub) {
  static constexpr Field kFields[] = {
      SABLE_FIELD(LeLongTermKeyRequestEvent, handle, kHandle),
      SABLE_FIELD(LeLongTermKeyRequestEvent, random_number, kLe64),
      SABLE_FIELD(LeLongTermKeyRequestEvent, encrypted_diversifier, kLe16)};
  return parse_fixed<LeLongTermKeyRequestEvent>(sub, kFields);
}

Result<LeRemoteConnectionParameterRequestEvent, ParseError>
LeRemoteConnectionParameterRequestEvent::parse(Bytes sub) {
  static constexpr Field kFields[] = {
      SABLE_FIELD(LeRemoteConnectionParameterRequestEvent, handle, kHandle),
      SABLE_FIELD(LeRemoteConnectionParameterRequestEvent, interval_min, kLe16),
      SABLE_FIELD(LeRemoteConnectionParameterRequestEvent, interval_max, kLe16),
      SABLE_FIELD(LeRemoteConnectionParameterRequestEvent, max_latency, kLe16),
      SABLE_FIELD(LeRemoteConnectionParameterRequestEvent, timeout, kLe16)};
  return parse_fixed<LeRemoteConnectionParameterRequestEvent>(sub, kFields);
}

Result<LeDataLengthChangeEvent, ParseError> LeDataLengthChangeEvent::parse(Bytes sub) {
  static constexpr Field kFields[] = {SABLE_FIELD(LeDataLengthChangeEvent, handle, kHandle),
                                      SABLE_FIELD(LeDataLengthChangeEvent, max_tx_octets, kLe16),
                                      SABLE_FIELD(LeDataLengthChangeEvent, max_tx_time, kLe16),
                                      SABLE_FIELD(LeDataLengthChangeEvent, max_rx_octets, kLe16),
                                      SABLE_FIELD(LeDataLengthChangeEvent, max_rx_time, kLe16)};
  return parse_fixed<LeDataLengthChangeEvent>(sub, kFields);
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
