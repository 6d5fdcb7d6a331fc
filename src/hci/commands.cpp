#include "hci/commands.hpp"

#include "common/log.hpp"

namespace sable::hci {
namespace {

// Writes the 3-octet header (Core 5.4 Vol 4 Part E 5.4.1) once the parameters
// are in place after it.
class Builder {
 public:
  explicit Builder(uint16_t opcode)
      : w_(MutableBytes(pkt_.data).subspan(CommandPacket::kHeaderSize)) {
    put_le16(pkt_.data.data(), opcode);
  }
  ByteWriter& w() { return w_; }
  CommandPacket done() {
    // Every builder below writes at most 255 octets; w_ cannot overflow.
    pkt_.data[2] = uint8_t(w_.size());
    pkt_.size = CommandPacket::kHeaderSize + w_.size();
    return pkt_;
  }

 private:
  CommandPacket pkt_;
  ByteWriter w_;
};

void put_address(ByteWriter& w, const Address& a) {
  w.bytes(Bytes(a.bytes));
}

void put_le64(ByteWriter& w, uint64_t v) {
  w.le32(uint32_t(v));
  w.le32(uint32_t(v >> 32));
}

void put_connection_parameters(ByteWriter& w, const ConnectionParameters& p) {
  w.le16(p.interval_min)
      .le16(p.interval_max)
      .le16(p.max_latency)
      .le16(p.supervision_timeout)
      .le16(p.min_ce_length)
      .le16(p.max_ce_length);
}

Result<CommandPacket, CommandError> data_command(uint16_t opcode, Bytes data) {
  // Core 5.4 Vol 4 Part E 7.8.7: Data_Length (1) + 31 octets, unused octets zero.
  constexpr size_t kMaxData = 31;
  if (data.size() > kMaxData) return fail(CommandError::kDataTooLong);
  Builder b(opcode);
  b.w().u8(uint8_t(data.size())).bytes(data);
  for (size_t i = data.size(); i < kMaxData; ++i) b.w().u8(0);
  return b.done();
}

}  // namespace

CommandPacket make_command(uint16_t opcode, Bytes params) {
  Builder b(opcode);
  if (params.size() > CommandPacket::kMaxParams) {
    SABLE_LOG_ERROR("hci: command 0x%04x parameters too long (%zu), sent without them", opcode,
                    params.size());
  } else {
    b.w().bytes(params);
  }
  return b.done();
}

CommandPacket reset() {
  return make_command(op::kReset);
}
CommandPacket read_local_version_information() {
  return make_command(op::kReadLocalVersionInformation);
}
CommandPacket read_local_supported_commands() {
  return make_command(op::kReadLocalSupportedCommands);
}
CommandPacket read_local_supported_features() {
  return make_command(op::kReadLocalSupportedFeatures);
}
CommandPacket read_buffer_size() {
  return make_command(op::kReadBufferSize);
}
CommandPacket read_bd_addr() {
  return make_command(op::kReadBdAddr);
}

CommandPacket set_event_mask(uint64_t mask) {
  Builder b(op::kSetEventMask);
  put_le64(b.w(), mask);
  return b.done();
}

CommandPacket le_set_event_mask(uint64_t mask) {
  Builder b(op::kLeSetEventMask);
  put_le64(b.w(), mask);
  return b.done();
}

CommandPacket le_read_buffer_size() {
  return make_command(op::kLeReadBufferSize);
}
CommandPacket le_read_buffer_size_v2() {
  return make_command(op::kLeReadBufferSizeV2);
}
CommandPacket le_read_local_supported_features() {
  return make_command(op::kLeReadLocalSupportedFeatures);
}

CommandPacket le_set_random_address(const Address& random_address) {
  Builder b(op::kLeSetRandomAddress);
  put_address(b.w(), random_address);
  return b.done();
}

CommandPacket le_set_advertising_parameters(const AdvertisingParameters& p) {
  Builder b(op::kLeSetAdvertisingParameters);
  b.w()
      .le16(p.interval_min)
      .le16(p.interval_max)
      .u8(p.advertising_type)
      .u8(p.own_address_type)
      .u8(p.peer_address.is_random() ? 0x01 : 0x00);
  put_address(b.w(), p.peer_address);
  b.w().u8(p.channel_map).u8(p.filter_policy);
  return b.done();
}

Result<CommandPacket, CommandError> le_set_advertising_data(Bytes data) {
  return data_command(op::kLeSetAdvertisingData, data);
}

Result<CommandPacket, CommandError> le_set_scan_response_data(Bytes data) {
  return data_command(op::kLeSetScanResponseData, data);
}

CommandPacket le_set_advertising_enable(bool enable) {
  Builder b(op::kLeSetAdvertisingEnable);
  b.w().u8(enable ? 1 : 0);
  return b.done();
}

CommandPacket le_set_scan_parameters(const ScanParameters& p) {
  Builder b(op::kLeSetScanParameters);
  b.w().u8(p.scan_type).le16(p.interval).le16(p.window).u8(p.own_address_type).u8(p.filter_policy);
  return b.done();
}

CommandPacket le_set_scan_enable(bool enable, bool filter_duplicates) {
  Builder b(op::kLeSetScanEnable);
  b.w().u8(enable ? 1 : 0).u8(filter_duplicates ? 1 : 0);
  return b.done();
}

CommandPacket le_create_connection(const CreateConnectionParameters& p) {
  Builder b(op::kLeCreateConnection);
  b.w()
      .le16(p.scan_interval)
      .le16(p.scan_window)
      .u8(p.initiator_filter_policy)
      .u8(uint8_t(p.peer_address.type));  // 0..3, identity types with a resolving list
  put_address(b.w(), p.peer_address);
  b.w().u8(p.own_address_type);
  put_connection_parameters(b.w(), p.connection);
  return b.done();
}

CommandPacket le_create_connection_cancel() {
  return make_command(op::kLeCreateConnectionCancel);
}

CommandPacket disconnect(uint16_t handle, HciStatus reason) {
  Builder b(op::kDisconnect);
  b.w().le16(handle).u8(uint8_t(reason));
  return b.done();
}

CommandPacket le_connection_update(uint16_t handle, const ConnectionParameters& p) {
  Builder b(op::kLeConnectionUpdate);
  b.w().le16(handle);
  put_connection_parameters(b.w(), p);
  return b.done();
}

CommandPacket le_remote_connection_parameter_request_reply(uint16_t handle,
                                                           const ConnectionParameters& p) {
  Builder b(op::kLeRemoteConnectionParameterRequestReply);
  b.w().le16(handle);
  put_connection_parameters(b.w(), p);
  return b.done();
}

CommandPacket le_remote_connection_parameter_request_negative_reply(uint16_t handle,
                                                                    HciStatus reason) {
  Builder b(op::kLeRemoteConnectionParameterRequestNegativeReply);
  b.w().le16(handle).u8(uint8_t(reason));
  return b.done();
}

CommandPacket le_start_encryption(uint16_t handle, uint64_t random_number,
                                  uint16_t encrypted_diversifier, const Key128& ltk) {
  Builder b(op::kLeStartEncryption);
  b.w().le16(handle);
  put_le64(b.w(), random_number);
  b.w().le16(encrypted_diversifier).bytes(Bytes(ltk));
  return b.done();
}

CommandPacket le_long_term_key_request_reply(uint16_t handle, const Key128& ltk) {
  Builder b(op::kLeLongTermKeyRequestReply);
  b.w().le16(handle).bytes(Bytes(ltk));
  return b.done();
}

CommandPacket le_long_term_key_request_negative_reply(uint16_t handle) {
  Builder b(op::kLeLongTermKeyRequestNegativeReply);
  b.w().le16(handle);
  return b.done();
}

CommandPacket le_rand() {
  return make_command(op::kLeRand);
}

CommandPacket le_read_remote_features(uint16_t handle) {
  Builder b(op::kLeReadRemoteFeatures);
  b.w().le16(handle);
  return b.done();
}

CommandPacket le_set_data_length(uint16_t handle, uint16_t tx_octets, uint16_t tx_time) {
  Builder b(op::kLeSetDataLength);
  b.w().le16(handle).le16(tx_octets).le16(tx_time);
  return b.done();
}

CommandPacket le_add_device_to_resolving_list(const Address& peer_identity, const Key128& peer_irk,
                                              const Key128& local_irk) {
  Builder b(op::kLeAddDeviceToResolvingList);
  b.w().u8(peer_identity.is_random() ? 0x01 : 0x00);
  put_address(b.w(), peer_identity);
  b.w().bytes(Bytes(peer_irk)).bytes(Bytes(local_irk));
  return b.done();
}

CommandPacket le_clear_resolving_list() {
  return make_command(op::kLeClearResolvingList);
}

CommandPacket le_set_address_resolution_enable(bool enable) {
  Builder b(op::kLeSetAddressResolutionEnable);
  b.w().u8(enable ? 1 : 0);
  return b.done();
}

CommandPacket le_set_resolvable_private_address_timeout(uint16_t seconds) {
  Builder b(op::kLeSetResolvablePrivateAddressTimeout);
  b.w().le16(seconds);
  return b.done();
}

CommandPacket le_set_privacy_mode(const Address& peer_identity, uint8_t privacy_mode) {
  Builder b(op::kLeSetPrivacyMode);
  b.w().u8(peer_identity.is_random() ? 0x01 : 0x00);
  put_address(b.w(), peer_identity);
  b.w().u8(privacy_mode);
  return b.done();
}

}  // namespace sable::hci
