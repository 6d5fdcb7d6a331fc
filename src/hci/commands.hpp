// HCI command packets (Core 5.4 Vol 4 Part E 5.4.1): opcode (2), parameter
// total length (1), parameters. Each builder writes one complete packet, without
// the H4 indicator, into a fixed-capacity CommandPacket; no heap.
#pragma once

#include <array>
#include <cstdint>

#include "common/bytes.hpp"
#include "hci/opcodes.hpp"
#include "hci/status.hpp"
#include "sable/address.hpp"
#include "sable/result.hpp"

namespace sable::hci {

struct CommandPacket {
  static constexpr size_t kHeaderSize = 3;
  static constexpr size_t kMaxParams = 255;

  std::array<uint8_t, kHeaderSize + kMaxParams> data{};
  size_t size = 0;

  Bytes bytes() const { return Bytes(data.data(), size); }
  uint16_t opcode() const { return get_le16(data.data()); }
  Bytes params() const { return Bytes(data.data() + kHeaderSize, size - kHeaderSize); }
};

enum class CommandError : uint8_t {
  kDataTooLong,  // advertising / scan response data over 31 octets
};

using Key128 = std::array<uint8_t, 16>;  // least significant octet first

// A packet with just the opcode and the given parameters (at most 255 octets;
// longer input is truncated to nothing and yields an empty parameter list, so
// use the typed builders below where a length can be exceeded).
CommandPacket make_command(uint16_t opcode, Bytes params = {});
// The same for parameters that fit by type (at most 255 octets): what the
// builders below and controller bring-up use, with no length check to make.
CommandPacket command_packet(uint16_t opcode, const uint8_t* params, uint8_t size);

// Core 5.4 Vol 4 Part E 7.3.2 / 7.4.1 / 7.4.2 / 7.4.3 / 7.4.5 / 7.4.6.
CommandPacket reset();
CommandPacket read_local_version_information();
CommandPacket read_local_supported_commands();
CommandPacket read_local_supported_features();
CommandPacket read_buffer_size();
CommandPacket read_bd_addr();
// Part E 7.3.1 / 7.8.1.
CommandPacket set_event_mask(uint64_t mask);
CommandPacket le_set_event_mask(uint64_t mask);
// Part E 7.8.2 / 7.8.2 (v2) / 7.8.3.
CommandPacket le_read_buffer_size();
CommandPacket le_read_buffer_size_v2();
CommandPacket le_read_local_supported_features();
// Part E 7.8.4: the address's type is not sent (it is always random).
CommandPacket le_set_random_address(const Address& random_address);

// Part E 7.8.5. Intervals in 0.625 ms units.
struct AdvertisingParameters {
  uint16_t interval_min = 0x0800;  // 1.28 s, the spec default
  uint16_t interval_max = 0x0800;
  uint8_t advertising_type = 0x00;  // ADV_IND
  uint8_t own_address_type = 0x00;  // 0 public, 1 random, 2/3 controller-generated RPA
  Address peer_address{};           // used for directed advertising / RPA generation
  uint8_t channel_map = 0x07;       // 37, 38 and 39
  uint8_t filter_policy = 0x00;
};
CommandPacket le_set_advertising_parameters(const AdvertisingParameters& p);
// Part E 7.8.7 / 7.8.8: the parameter is always 32 octets (length + 31, zero padded).
Result<CommandPacket, CommandError> le_set_advertising_data(Bytes data);
Result<CommandPacket, CommandError> le_set_scan_response_data(Bytes data);
// Part E 7.8.9.
CommandPacket le_set_advertising_enable(bool enable);

// Part E 7.8.10. Interval and window in 0.625 ms units.
struct ScanParameters {
  uint8_t scan_type = 0x01;  // active
  uint16_t interval = 0x0010;
  uint16_t window = 0x0010;
  uint8_t own_address_type = 0x00;
  uint8_t filter_policy = 0x00;
};
CommandPacket le_set_scan_parameters(const ScanParameters& p);
// Part E 7.8.11.
CommandPacket le_set_scan_enable(bool enable, bool filter_duplicates);

// Connection parameters as in LE_Create_Connection, LE_Connection_Update and
// the Remote Connection Parameter Request Reply: interval in 1.25 ms units,
// latency in connection events, timeout in 10 ms units, CE lengths in 0.625 ms.
struct ConnectionParameters {
  uint16_t interval_min = 0x0018;
  uint16_t interval_max = 0x0028;
  uint16_t max_latency = 0;
  uint16_t supervision_timeout = 0x002A;
  uint16_t min_ce_length = 0;
  uint16_t max_ce_length = 0;
};
// Part E 7.8.12.
struct CreateConnectionParameters {
  uint16_t scan_interval = 0x0010;
  uint16_t scan_window = 0x0010;
  uint8_t initiator_filter_policy = 0x00;  // 0: use peer_address
  Address peer_address{};
  uint8_t own_address_type = 0x00;
  ConnectionParameters connection{};
};
CommandPacket le_create_connection(const CreateConnectionParameters& p);
// Part E 7.8.13.
CommandPacket le_create_connection_cancel();
// Part E 7.1.6.
CommandPacket disconnect(uint16_t handle, HciStatus reason);
// Part E 7.8.18.
CommandPacket le_connection_update(uint16_t handle, const ConnectionParameters& p);
// Part E 7.8.31 / 7.8.32.
CommandPacket le_remote_connection_parameter_request_reply(uint16_t handle,
                                                           const ConnectionParameters& p);
CommandPacket le_remote_connection_parameter_request_negative_reply(uint16_t handle,
                                                                    HciStatus reason);
// Part E 7.8.24 (LE_Enable_Encryption).
CommandPacket le_start_encryption(uint16_t handle, uint64_t random_number,
                                  uint16_t encrypted_diversifier, const Key128& ltk);
// Part E 7.8.25 / 7.8.26.
CommandPacket le_long_term_key_request_reply(uint16_t handle, const Key128& ltk);
CommandPacket le_long_term_key_request_negative_reply(uint16_t handle);
// Part E 7.8.23.
CommandPacket le_rand();
// Part E 7.8.21.
CommandPacket le_read_remote_features(uint16_t handle);
// Part E 7.8.33.
CommandPacket le_set_data_length(uint16_t handle, uint16_t tx_octets, uint16_t tx_time);
// Part E 7.8.38. The peer identity address type (0 public, 1 random) comes
// from peer_identity.is_random().
CommandPacket le_add_device_to_resolving_list(const Address& peer_identity, const Key128& peer_irk,
                                              const Key128& local_irk);
// Part E 7.8.40 / 7.8.44 / 7.8.45.
CommandPacket le_clear_resolving_list();
CommandPacket le_set_address_resolution_enable(bool enable);
CommandPacket le_set_resolvable_private_address_timeout(uint16_t seconds);
// Part E 7.8.77. privacy_mode: 0 network, 1 device privacy.
CommandPacket le_set_privacy_mode(const Address& peer_identity, uint8_t privacy_mode);

}  // namespace sable::hci
