// HCI event parsing (Core 5.4 Vol 4 Part E 5.4.4 and 7.7).
//
// Layering of the views:
//   EventPacket::parse(packet)   whole HCI event packet (no H4 indicator):
//                                event code (1), parameter length (1), parameters;
//                                the length must equal the octets present.
//   <Event>::parse(params)       the event's PARAMETERS (EventPacket::params).
//   LeMetaEvent::parse(params)   LE Meta: subevent code (1) + subevent parameters.
//   <LeEvent>::parse(sub)        the SUBEVENT parameters (after the subevent code).
//
// Length rules: fixed-layout events need at least their documented size and
// ignore trailing octets (a later Core version may append parameters); events
// with counts (Number Of Completed Packets, Advertising Report) must account for
// every octet exactly. Views hold spans into the caller's buffer: they are valid
// only as long as the packet bytes are.
//
// Return-parameter decoders (decode_*) take the octets AFTER the status octet of
// a Command Complete (what CommandResult::return_params holds), require at least
// the documented size and ignore extra octets.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>

#include "common/bytes.hpp"
#include "hci/opcodes.hpp"
#include "hci/status.hpp"
#include "sable/address.hpp"
#include "sable/result.hpp"

namespace sable::hci {

enum class ParseError : uint8_t {
  kTruncated,       // fewer octets than the layout needs
  kLengthMismatch,  // a length/count field disagrees with the octets present
  kInvalidValue,    // a field out of its allowed range
};
const char* to_string(ParseError e);

// Connection handles are 12 bits; the top 4 bits of the field are RFU
// (Core 5.4 Vol 4 Part E 5.4.2).
inline constexpr uint16_t kHandleMask = 0x0FFF;

struct EventPacket {
  uint8_t code = 0;
  Bytes params;
  static Result<EventPacket, ParseError> parse(Bytes packet);
};

// Part E 7.7.14. return_params includes the status octet of the command when
// there is one; it is empty for the NOP opcode 0x0000, and may be SHORTER than
// the command defines (btvirt answers LE_Remote_Connection_Parameter_Request_Reply
// with only the status octet), so the parse never checks it against the opcode.
struct CommandCompleteEvent {
  uint8_t num_hci_command_packets = 0;
  uint16_t opcode = 0;
  Bytes return_params;
  // The first return parameter, if any.
  std::optional<HciStatus> status() const;
  static Result<CommandCompleteEvent, ParseError> parse(Bytes params);
};

// Part E 7.7.15.
struct CommandStatusEvent {
  HciStatus status = HciStatus::kSuccess;
  uint8_t num_hci_command_packets = 0;
  uint16_t opcode = 0;
  static Result<CommandStatusEvent, ParseError> parse(Bytes params);
};

// Part E 7.7.5.
struct DisconnectionCompleteEvent {
  HciStatus status = HciStatus::kSuccess;
  uint16_t handle = 0;
  HciStatus reason = HciStatus::kSuccess;
  static Result<DisconnectionCompleteEvent, ParseError> parse(Bytes params);
};

// Part E 7.7.8 (v1). encryption_enabled: 0 off, 1 on (AES-CCM for LE).
struct EncryptionChangeEvent {
  HciStatus status = HciStatus::kSuccess;
  uint16_t handle = 0;
  uint8_t encryption_enabled = 0;
  static Result<EncryptionChangeEvent, ParseError> parse(Bytes params);
};

// Part E 7.7.39.
struct EncryptionKeyRefreshCompleteEvent {
  HciStatus status = HciStatus::kSuccess;
  uint16_t handle = 0;
  static Result<EncryptionKeyRefreshCompleteEvent, ParseError> parse(Bytes params);
};

// Part E 7.7.19: Num_Handles (1), then per handle {Connection_Handle (2),
// Num_Completed_Packets (2)}. The length must be exactly 1 + 4 * Num_Handles.
class NumberOfCompletedPacketsEvent {
 public:
  size_t size() const { return entries_.size() / 4; }
  uint16_t handle(size_t i) const { return get_le16(&entries_[4 * i]) & kHandleMask; }
  uint16_t count(size_t i) const { return get_le16(&entries_[4 * i + 2]); }
  static Result<NumberOfCompletedPacketsEvent, ParseError> parse(Bytes params);

 private:
  Bytes entries_;
};

// Part E 7.7.16.
struct HardwareErrorEvent {
  uint8_t hardware_code = 0;
  static Result<HardwareErrorEvent, ParseError> parse(Bytes params);
};

// Part E 7.7.26. link_type: 0x00 synchronous, 0x01 ACL.
struct DataBufferOverflowEvent {
  uint8_t link_type = 0;
  static Result<DataBufferOverflowEvent, ParseError> parse(Bytes params);
};

// Part E 7.7.65: Subevent_Code (1) + subevent parameters (non-empty code).
struct LeMetaEvent {
  uint8_t subevent = 0;
  Bytes params;
  static Result<LeMetaEvent, ParseError> parse(Bytes params);
};

inline constexpr uint8_t kRoleCentral = 0x00;
inline constexpr uint8_t kRolePeripheral = 0x01;

// What both LE Connection Complete events carry.
struct LeConnectionFields {
  HciStatus status = HciStatus::kSuccess;
  uint16_t handle = 0;
  uint8_t role = 0;
  Address peer_address;              // type 0 public / 1 random (2, 3: identity, enhanced)
  uint16_t connection_interval = 0;  // 1.25 ms units
  uint16_t peripheral_latency = 0;
  uint16_t supervision_timeout = 0;  // 10 ms units
  uint8_t central_clock_accuracy = 0;
};

// Part E 7.7.65.1 (18 octets).
struct LeConnectionCompleteEvent : LeConnectionFields {
  static Result<LeConnectionCompleteEvent, ParseError> parse(Bytes sub);
};

// Part E 7.7.65.10 (v1, 30 octets). peer_address.type may be 0..3; the RPAs are
// all-zero when not used.
struct LeEnhancedConnectionCompleteEvent : LeConnectionFields {
  std::array<uint8_t, 6> local_resolvable_private_address{};
  std::array<uint8_t, 6> peer_resolvable_private_address{};
  static Result<LeEnhancedConnectionCompleteEvent, ParseError> parse(Bytes sub);
};

// One report of an LE Advertising Report event.
struct AdvertisingReport {
  uint8_t event_type = 0;  // 0 ADV_IND ... 4 SCAN_RSP
  Address address;
  Bytes data;       // at most 31 octets
  int8_t rssi = 0;  // dBm, 127 = not available
};

// Part E 7.7.65.2: Num_Reports (1..0x19) then per report {Event_Type (1),
// Address_Type (1), Address (6), Data_Length (1), Data (Data_Length), RSSI (1)}.
// parse() validates every report, so iteration cannot fail.
class LeAdvertisingReportEvent {
 public:
  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = AdvertisingReport;
    using difference_type = std::ptrdiff_t;
    using pointer = const AdvertisingReport*;
    using reference = const AdvertisingReport&;
    Iterator() = default;
    const AdvertisingReport& operator*() const { return current_; }
    const AdvertisingReport* operator->() const { return &current_; }
    Iterator& operator++();
    Iterator operator++(int) {
      Iterator t = *this;
      ++*this;
      return t;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) { return a.left_ == b.left_; }

   private:
    friend class LeAdvertisingReportEvent;
    Iterator(Bytes rest, size_t left);
    void load();
    Bytes rest_;
    size_t left_ = 0;
    AdvertisingReport current_;
  };

  size_t size() const { return num_reports_; }
  Iterator begin() const { return Iterator(reports_, num_reports_); }
  Iterator end() const { return Iterator(); }
  static Result<LeAdvertisingReportEvent, ParseError> parse(Bytes sub);

 private:
  size_t num_reports_ = 0;
  Bytes reports_;
};

// Part E 7.7.65.3.
struct LeConnectionUpdateCompleteEvent {
  HciStatus status = HciStatus::kSuccess;
  uint16_t handle = 0;
  uint16_t connection_interval = 0;
  uint16_t peripheral_latency = 0;
  uint16_t supervision_timeout = 0;
  static Result<LeConnectionUpdateCompleteEvent, ParseError> parse(Bytes sub);
};

// Part E 7.7.65.4.
struct LeReadRemoteFeaturesCompleteEvent {
  HciStatus status = HciStatus::kSuccess;
  uint16_t handle = 0;
  uint64_t le_features = 0;
  static Result<LeReadRemoteFeaturesCompleteEvent, ParseError> parse(Bytes sub);
};

// Part E 7.7.65.5.
struct LeLongTermKeyRequestEvent {
  uint16_t handle = 0;
  uint64_t random_number = 0;
  uint16_t encrypted_diversifier = 0;
  static Result<LeLongTermKeyRequestEvent, ParseError> parse(Bytes sub);
};

// Part E 7.7.65.6.
struct LeRemoteConnectionParameterRequestEvent {
  uint16_t handle = 0;
  uint16_t interval_min = 0;
  uint16_t interval_max = 0;
  uint16_t max_latency = 0;
  uint16_t timeout = 0;
  static Result<LeRemoteConnectionParameterRequestEvent, ParseError> parse(Bytes sub);
};

// Part E 7.7.65.7.
struct LeDataLengthChangeEvent {
  uint16_t handle = 0;
  uint16_t max_tx_octets = 0;
  uint16_t max_tx_time = 0;
  uint16_t max_rx_octets = 0;
  uint16_t max_rx_time = 0;
  static Result<LeDataLengthChangeEvent, ParseError> parse(Bytes sub);
};

// ---- Return parameters of the bring-up commands (after the status octet) ----

// Part E 7.4.1.
struct LocalVersionInformation {
  uint8_t hci_version = 0;
  uint16_t hci_subversion = 0;  // "HCI_Revision" before Core 5.3
  uint8_t lmp_version = 0;
  uint16_t company_identifier = 0;
  uint16_t lmp_subversion = 0;
};
Result<LocalVersionInformation, ParseError> decode_read_local_version_information(Bytes rp);
// Part E 7.4.6: the controller's public address.
Result<Address, ParseError> decode_read_bd_addr(Bytes rp);
// Part E 7.4.2: 64 octets.
Result<std::array<uint8_t, 64>, ParseError> decode_read_local_supported_commands(Bytes rp);
// Part E 7.4.3 (LMP features page 0) and 7.8.3 (LE features): 8 octets, bit n of
// the value is bit n of the bitmap.
Result<uint64_t, ParseError> decode_read_local_supported_features(Bytes rp);
Result<uint64_t, ParseError> decode_le_read_local_supported_features(Bytes rp);

// Part E 7.8.2 (v1: ISO fields stay 0) and 7.8.2 v2.
struct LeBufferSize {
  uint16_t acl_data_length = 0;
  uint8_t acl_packet_count = 0;
  uint16_t iso_data_length = 0;
  uint8_t iso_packet_count = 0;
};
Result<LeBufferSize, ParseError> decode_le_read_buffer_size(Bytes rp);
Result<LeBufferSize, ParseError> decode_le_read_buffer_size_v2(Bytes rp);

// Part E 7.4.5 (BR/EDR buffers, shared with LE when the LE size is 0).
struct BufferSize {
  uint16_t acl_data_length = 0;
  uint8_t synchronous_data_length = 0;
  uint16_t acl_packet_count = 0;
  uint16_t synchronous_packet_count = 0;
};
Result<BufferSize, ParseError> decode_read_buffer_size(Bytes rp);

// Part E 7.8.23: 8 random octets.
Result<uint64_t, ParseError> decode_le_rand(Bytes rp);

}  // namespace sable::hci
