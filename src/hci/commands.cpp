#include "hci/commands.hpp"

#include <cstring>

#include "common/log.hpp"

namespace sable::hci {
namespace {

// Each builder lays its parameters out in a small array on the stack with
// plain stores (the sizes are fixed and known here) and hands them to
// command_packet, the one routine that writes a packet: one copy of the header
// code instead of one per command.
uint8_t* put16(uint8_t* p, uint16_t v) {
  put_le16(p, v);
  return p + 2;
}

uint8_t* put64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) *p++ = uint8_t(v >> (8 * i));
  return p;
}

uint8_t* put_bytes(uint8_t* p, Bytes b) {
  if (!b.empty()) std::memcpy(p, b.data(), b.size());
  return p + b.size();
}

// Address type (0 public, 1 random) then the address (Core 5.4 Vol 4 Part E
// 7.8.5, 7.8.38, 7.8.77).
uint8_t* put_typed_address(uint8_t* p, const Address& a) {
  *p++ = a.is_random() ? 0x01 : 0x00;
  return put_bytes(p, a.bytes);
}

uint8_t* put_connection_parameters(uint8_t* p, const ConnectionParameters& c) {
  for (uint16_t v : {c.interval_min, c.interval_max, c.max_latency, c.supervision_timeout,
                     c.min_ce_length, c.max_ce_length})
    p = put16(p, v);
  return p;
}

template <size_t N>
CommandPacket packet(uint16_t opcode, const uint8_t (&buf)[N], const uint8_t* end) {
  return command_packet(opcode, buf, uint8_t(end - buf));
}

Result<CommandPacket, CommandError> data_command(uint16_t opcode, Bytes data) {
  // Core 5.4 Vol 4 Part E 7.8.7: Data_Length (1) + 31 octets, unused octets zero.
  constexpr size_t kMaxData = 31;
  if (data.size() > kMaxData) return fail(CommandError::kDataTooLong);
  uint8_t buf[1 + kMaxData] = {uint8_t(data.size())};
  put_bytes(buf + 1, data);
  return command_packet(opcode, buf, sizeof buf);
}

[[gnu::noinline]] CommandPacket le16_command(uint16_t opcode, uint16_t v) {
  uint8_t buf[2];
  return packet(opcode, buf, put16(buf, v));
}

[[gnu::noinline]] CommandPacket u8_command(uint16_t opcode, uint8_t v) {
  return command_packet(opcode, &v, 1);
}

[[gnu::noinline]] CommandPacket le64_command(uint16_t opcode, uint64_t v) {
  uint8_t buf[8];
  return packet(opcode, buf, put64(buf, v));
}

}  // namespace

CommandPacket command_packet(uint16_t opcode, const uint8_t* params, uint8_t size) {
  CommandPacket pkt;
  // Core 5.4 Vol 4 Part E 5.4.1: opcode, parameter total length, parameters.
  put_le16(pkt.data.data(), opcode);
  pkt.data[2] = size;
  if (size != 0) std::memcpy(pkt.data.data() + CommandPacket::kHeaderSize, params, size);
  pkt.size = CommandPacket::kHeaderSize + size;
  return pkt;
}

CommandPacket make_command(uint16_t opcode, Bytes params) {
  if (params.size() > CommandPacket::kMaxParams) {
    SABLE_LOG_ERROR("hci: command 0x%04x parameters too long (%zu), sent without them", opcode,
                    params.size());
    params = {};
  }
  return command_packet(opcode, params.data(), uint8_t(params.size()));
}

CommandPacket reset() {
  return command_packet(op::kReset, nullptr, 0);
}
CommandPacket read_local_version_information() {
  return command_packet(op::kReadLocalVersionInformation, nullptr, 0);
}
CommandPacket read_local_supported_commands() {
  return command_packet(op::kReadLocalSupportedCommands, nullptr, 0);
}
CommandPacket read_local_supported_features() {
  return command_packet(op::kReadLocalSupportedFeatures, nullptr, 0);
}
CommandPacket read_buffer_size() {
  return command_packet(op::kReadBufferSize, nullptr, 0);
}
CommandPacket read_bd_addr() {
  return command_packet(op::kReadBdAddr, nullptr, 0);
}

CommandPacket set_event_mask(uint64_t mask) {
  return le64_command(op::kSetEventMask, mask);
}

CommandPacket le_set_event_mask(uint64_t mask) {
  return le64_command(op::kLeSetEventMask, mask);
}

CommandPacket le_read_buffer_size() {
  return command_packet(op::kLeReadBufferSize, nullptr, 0);
}
CommandPacket le_read_buffer_size_v2() {
  return command_packet(op::kLeReadBufferSizeV2, nullptr, 0);
}
CommandPacket le_read_local_supported_features() {
  return command_packet(op::kLeReadLocalSupportedFeatures, nullptr, 0);
}

CommandPacket le_set_random_address(const Address& random_address) {
  return command_packet(op::kLeSetRandomAddress, random_address.bytes.data(),
                        random_address.bytes.size());
}

CommandPacket le_set_advertising_parameters(const AdvertisingParameters& a) {
  uint8_t buf[15];
  uint8_t* p = put16(put16(buf, a.interval_min), a.interval_max);
  *p++ = a.advertising_type;
  *p++ = a.own_address_type;
  p = put_typed_address(p, a.peer_address);
  *p++ = a.channel_map;
  *p++ = a.filter_policy;
  return packet(op::kLeSetAdvertisingParameters, buf, p);
}

Result<CommandPacket, CommandError> le_set_advertising_data(Bytes data) {
  return data_command(op::kLeSetAdvertisingData, data);
}

Result<CommandPacket, CommandError> le_set_scan_response_data(Bytes data) {
  return data_command(op::kLeSetScanResponseData, data);
}

CommandPacket le_set_advertising_enable(bool enable) {
  return u8_command(op::kLeSetAdvertisingEnable, enable ? 1 : 0);
}

CommandPacket le_set_scan_parameters(const ScanParameters& s) {
  uint8_t buf[7] = {s.scan_type};
  uint8_t* p = put16(put16(buf + 1, s.interval), s.window);
  *p++ = s.own_address_type;
  *p++ = s.filter_policy;
  return packet(op::kLeSetScanParameters, buf, p);
}

CommandPacket le_set_scan_enable(bool enable, bool filter_duplicates) {
  const uint8_t buf[2] = {uint8_t(enable ? 1 : 0), uint8_t(filter_duplicates ? 1 : 0)};
  return command_packet(op::kLeSetScanEnable, buf, sizeof buf);
}

CommandPacket le_create_connection(const CreateConnectionParameters& c) {
  uint8_t buf[25];
  uint8_t* p = put16(put16(buf, c.scan_interval), c.scan_window);
  *p++ = c.initiator_filter_policy;
  *p++ = uint8_t(c.peer_address.type);  // 0..3, identity types with a resolving list
  p = put_bytes(p, c.peer_address.bytes);
  *p++ = c.own_address_type;
  return packet(op::kLeCreateConnection, buf, put_connection_parameters(p, c.connection));
}

CommandPacket le_create_connection_cancel() {
  return command_packet(op::kLeCreateConnectionCancel, nullptr, 0);
}

CommandPacket disconnect(uint16_t handle, HciStatus reason) {
  uint8_t buf[3];
  put16(buf, handle);
  buf[2] = uint8_t(reason);
  return command_packet(op::kDisconnect, buf, sizeof buf);
}

CommandPacket le_connection_update(uint16_t handle, const ConnectionParameters& c) {
  uint8_t buf[14];
  return packet(op::kLeConnectionUpdate, buf, put_connection_parameters(put16(buf, handle), c));
}

CommandPacket le_remote_connection_parameter_request_reply(uint16_t handle,
                                                           const ConnectionParameters& c) {
  uint8_t buf[14];
  return packet(op::kLeRemoteConnectionParameterRequestReply, buf,
                put_connection_parameters(put16(buf, handle), c));
}

CommandPacket le_remote_connection_parameter_request_negative_reply(uint16_t handle,
                                                                    HciStatus reason) {
  uint8_t buf[3];
  put16(buf, handle);
  buf[2] = uint8_t(reason);
  return command_packet(op::kLeRemoteConnectionParameterRequestNegativeReply, buf, sizeof buf);
}

CommandPacket le_start_encryption(uint16_t handle, uint64_t random_number,
                                  uint16_t encrypted_diversifier, const Key128& ltk) {
  uint8_t buf[28];
  uint8_t* p = put16(put64(put16(buf, handle), random_number), encrypted_diversifier);
  return packet(op::kLeStartEncryption, buf, put_bytes(p, ltk));
}

CommandPacket le_long_term_key_request_reply(uint16_t handle, const Key128& ltk) {
  uint8_t buf[18];
  return packet(op::kLeLongTermKeyRequestReply, buf, put_bytes(put16(buf, handle), ltk));
}

CommandPacket le_long_term_key_request_negative_reply(uint16_t handle) {
  return le16_command(op::kLeLongTermKeyRequestNegativeReply, handle);
}

CommandPacket le_rand() {
  return command_packet(op::kLeRand, nullptr, 0);
}

CommandPacket le_read_remote_features(uint16_t handle) {
  return le16_command(op::kLeReadRemoteFeatures, handle);
}

CommandPacket le_set_data_length(uint16_t handle, uint16_t tx_octets, uint16_t tx_time) {
  uint8_t buf[6];
  return packet(op::kLeSetDataLength, buf, put16(put16(put16(buf, handle), tx_octets), tx_time));
}

CommandPacket le_add_device_to_resolving_list(const Address& peer_identity, const Key128& peer_irk,
                                              const Key128& local_irk) {
  uint8_t buf[39];
  uint8_t* p = put_bytes(put_typed_address(buf, peer_identity), peer_irk);
  return packet(op::kLeAddDeviceToResolvingList, buf, put_bytes(p, local_irk));
}

CommandPacket le_clear_resolving_list() {
  return command_packet(op::kLeClearResolvingList, nullptr, 0);
}

CommandPacket le_set_address_resolution_enable(bool enable) {
  return u8_command(op::kLeSetAddressResolutionEnable, enable ? 1 : 0);
}

CommandPacket le_set_resolvable_private_address_timeout(uint16_t seconds) {
  return le16_command(op::kLeSetResolvablePrivateAddressTimeout, seconds);
}

CommandPacket le_set_privacy_mode(const Address& peer_identity, uint8_t privacy_mode) {
  uint8_t buf[8];
  uint8_t* p = put_typed_address(buf, peer_identity);
  *p++ = privacy_mode;
  return packet(op::kLeSetPrivacyMode, buf, p);
}

}  // namespace sable::hci
