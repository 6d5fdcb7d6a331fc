// In-process fake LE controllers. All spec references are Core 5.4, Vol 4
// Part E unless stated otherwise.
#include "support/fake_controller.hpp"

#include "support/fake_internal.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>

namespace sable::testing {

namespace {

using namespace fake;

// One row per implemented command: parameter length (-1: not checked), whether
// it is answered by Command Status, the length of its Command Complete return
// parameters, whether those start with Status + Connection_Handle echoing the
// first parameter, and its Supported_Commands bit (6.27; octet 0xFF: none).
struct CommandInfo {
  uint16_t opcode;
  int param_len;
  bool status_command;
  uint8_t return_len;
  bool echoes_handle;
  uint8_t octet, bit;
  uint8_t needs;  // 0 always there, else the feature it comes with (Needs)
};

// What a command comes with; a controller without it answers Unknown HCI Command.
enum Needs : uint8_t { kAlways = 0, kDataLength = 1, kPhy = 2, kExtendedAdvertising = 3 };

constexpr CommandInfo kCommands[] = {
    {op::kDisconnect, 3, true, 0, false, 0, 5, false},                                 // 7.1.6
    {op::kReadRemoteVersionInformation, 2, true, 0, false, 2, 7, false},               // 7.1.23
    {op::kSetEventMask, 8, false, 1, false, 5, 6, false},                              // 7.3.1
    {op::kReset, 0, false, 1, false, 5, 7, false},                                     // 7.3.2
    {op::kReadLocalVersionInformation, 0, false, 9, false, 14, 3, false},              // 7.4.1
    {op::kReadLocalSupportedCommands, 0, false, 65, false, 0xFF, 0, false},            // 7.4.2
    {op::kReadLocalSupportedFeatures, 0, false, 9, false, 14, 5, false},               // 7.4.3
    {op::kReadBufferSize, 0, false, 8, false, 14, 7, false},                           // 7.4.5
    {op::kReadBdAddr, 0, false, 7, false, 15, 1, false},                               // 7.4.6
    {op::kReadRssi, 2, false, 4, true, 15, 5, false},                                  // 7.5.4
    {op::kReadEncryptionKeySize, 2, false, 4, true, 20, 4, false},                     // 7.5.7
    {op::kLeSetEventMask, 8, false, 1, false, 25, 0, false},                           // 7.8.1
    {op::kLeReadBufferSize, 0, false, 4, false, 25, 1, false},                         // 7.8.2
    {op::kLeReadLocalSupportedFeatures, 0, false, 9, false, 25, 2, false},             // 7.8.3
    {op::kLeSetRandomAddress, 6, false, 1, false, 25, 4, false},                       // 7.8.4
    {op::kLeSetAdvertisingParameters, 15, false, 1, false, 25, 5, false},              // 7.8.5
    {op::kLeReadAdvertisingChannelTxPower, 0, false, 2, false, 25, 6, false},          // 7.8.6
    {op::kLeSetAdvertisingData, 32, false, 1, false, 25, 7, false},                    // 7.8.7
    {op::kLeSetScanResponseData, 32, false, 1, false, 26, 0, false},                   // 7.8.8
    {op::kLeSetAdvertisingEnable, 1, false, 1, false, 26, 1, false},                   // 7.8.9
    {op::kLeSetScanParameters, 7, false, 1, false, 26, 2, false},                      // 7.8.10
    {op::kLeSetScanEnable, 2, false, 1, false, 26, 3, false},                          // 7.8.11
    {op::kLeCreateConnection, 25, true, 0, false, 26, 4, false},                       // 7.8.12
    {op::kLeCreateConnectionCancel, 0, false, 1, false, 26, 5, false},                 // 7.8.13
    {op::kLeReadFilterAcceptListSize, 0, false, 2, false, 26, 6, false},               // 7.8.14
    {op::kLeClearFilterAcceptList, 0, false, 1, false, 26, 7, false},                  // 7.8.15
    {op::kLeAddDeviceToFilterAcceptList, 7, false, 1, false, 27, 0, false},            // 7.8.16
    {op::kLeRemoveDeviceFromFilterAcceptList, 7, false, 1, false, 27, 1, false},       // 7.8.17
    {op::kLeConnectionUpdate, 14, true, 0, false, 27, 2, false},                       // 7.8.18
    {op::kLeReadRemoteFeatures, 2, true, 0, false, 27, 5, false},                      // 7.8.21
    {op::kLeRand, 0, false, 9, false, 27, 7, false},                                   // 7.8.23
    {op::kLeEnableEncryption, 28, true, 0, false, 28, 0, false},                       // 7.8.24
    {op::kLeLongTermKeyRequestReply, 18, false, 3, true, 28, 1, false},                // 7.8.25
    {op::kLeLongTermKeyRequestNegativeReply, 2, false, 3, true, 28, 2, false},         // 7.8.26
    {op::kLeReadSupportedStates, 0, false, 9, false, 28, 3, false},                    // 7.8.27
    {op::kLeRemoteConnectionParameterRequestReply, 14, false, 3, true, 33, 4, false},  // 7.8.31
    {op::kLeRemoteConnectionParameterRequestNegativeReply, 3, false, 3, true, 33, 5,
     false},                                                                        // 7.8.32
    {op::kLeSetDataLength, 6, false, 3, true, 33, 6, true},                         // 7.8.33
    {op::kLeReadSuggestedDefaultDataLength, 0, false, 5, false, 33, 7, true},       // 7.8.34
    {op::kLeWriteSuggestedDefaultDataLength, 4, false, 1, false, 34, 0, true},      // 7.8.35
    {op::kLeAddDeviceToResolvingList, 39, false, 1, false, 34, 3, false},           // 7.8.38
    {op::kLeRemoveDeviceFromResolvingList, 7, false, 1, false, 34, 4, false},       // 7.8.39
    {op::kLeClearResolvingList, 0, false, 1, false, 34, 5, false},                  // 7.8.40
    {op::kLeReadResolvingListSize, 0, false, 2, false, 34, 6, false},               // 7.8.41
    {op::kLeSetAddressResolutionEnable, 1, false, 1, false, 35, 1, false},          // 7.8.44
    {op::kLeSetResolvablePrivateAddressTimeout, 2, false, 1, false, 35, 2, false},  // 7.8.45
    {op::kLeReadMaximumDataLength, 0, false, 9, false, 35, 3, true},                // 7.8.46
    {op::kLeReadPhy, 2, false, 5, true, 35, 4, kPhy},                               // 7.8.47
    {op::kLeSetDefaultPhy, 3, false, 1, false, 35, 5, kPhy},                        // 7.8.48
    {op::kLeSetPhy, 7, true, 0, false, 35, 6, kPhy},                                // 7.8.49
    {op::kLeSetAdvertisingSetRandomAddress, 7, false, 1, false, 36, 1, kExtendedAdvertising},
    {op::kLeSetExtendedAdvertisingParameters, 25, false, 2, false, 36, 2, kExtendedAdvertising},
    {op::kLeSetExtendedAdvertisingData, -1, false, 1, false, 36, 3, kExtendedAdvertising},
    {op::kLeSetExtendedScanResponseData, -1, false, 1, false, 36, 4, kExtendedAdvertising},
    {op::kLeSetExtendedAdvertisingEnable, -1, false, 1, false, 36, 5, kExtendedAdvertising},
    {op::kLeReadMaximumAdvertisingDataLength, 0, false, 3, false, 36, 6, kExtendedAdvertising},
    {op::kLeReadNumberOfSupportedAdvertisingSets, 0, false, 2, false, 36, 7, kExtendedAdvertising},
    {op::kLeRemoveAdvertisingSet, 1, false, 1, false, 37, 0, kExtendedAdvertising},
    {op::kLeClearAdvertisingSets, 0, false, 1, false, 37, 1, kExtendedAdvertising},
    {op::kLeSetExtendedScanParameters, -1, false, 1, false, 37, 5, kExtendedAdvertising},
    {op::kLeSetExtendedScanEnable, 6, false, 1, false, 37, 6, kExtendedAdvertising},
    {op::kLeExtendedCreateConnection, -1, true, 0, false, 37, 7, kExtendedAdvertising},
    {op::kLeReadBufferSizeV2, 0, false, 7, false, 41, 5, false},  // 7.8.2
};

const CommandInfo* find_command(uint16_t opcode) {
  for (const auto& c : kCommands)
    if (c.opcode == opcode) return &c;
  return nullptr;
}

}  // namespace

// ---------------------------------------------------------------- builders

namespace hci {

std::vector<uint8_t> command(uint16_t opcode, Bytes params) {
  std::vector<uint8_t> v{uint8_t(opcode), uint8_t(opcode >> 8), uint8_t(params.size())};
  v.insert(v.end(), params.begin(), params.end());
  return v;
}

std::vector<uint8_t> command(uint16_t opcode, std::initializer_list<uint8_t> params) {
  return command(opcode, Bytes(params.begin(), params.size()));
}

std::vector<uint8_t> acl(uint16_t handle, uint8_t packet_boundary, Bytes payload) {
  uint16_t hdr = uint16_t((handle & 0x0FFF) | ((packet_boundary & 0x3) << 12));
  std::vector<uint8_t> v{uint8_t(hdr), uint8_t(hdr >> 8), uint8_t(payload.size()),
                         uint8_t(payload.size() >> 8)};
  v.insert(v.end(), payload.begin(), payload.end());
  return v;
}

}  // namespace hci

// ---------------------------------------------------------------- controller

FakeController::FakeController(FakeAir& air, size_t index, Address public_address)
    : air_(air), index_(index), public_address_(public_address) {
  public_address_.type = AddressType::kPublic;
  reset_state();
}

void FakeController::reset_state() {
  event_mask_ = kDefaultEventMask;
  le_event_mask_ = kDefaultLeEventMask;
  random_address_.reset();
  adv_ = AdvParams{};
  adv_data_.clear();
  scan_rsp_data_.clear();
  advertising_ = false;
  ++adv_generation_;
  scanning_ = false;
  filter_duplicates_ = false;
  scan_type_ = 0x00;
  scan_own_address_type_ = 0x00;
  scan_filter_policy_ = 0x00;
  reported_.clear();
  initiation_.reset();
  accept_list_.clear();
  resolving_list_.clear();
  address_resolution_ = false;
  rpa_timeout_s_ = 900;
  handles_.clear();
  // Handles differ between controllers (0x0040 + 0x80 * index, rotating) so a
  // host that mixes up its own and the peer's handle is caught.
  next_handle_ = 0;
  suggested_tx_octets_ = 27;
  suggested_tx_time_ = 328;
  adv_api_ = AdvertisingApi::kNone;
  for (const auto& set : sets_) ++set_generation_[set.handle];
  sets_.clear();
  scan_extended_ = false;
  default_tx_phys_ = default_rx_phys_ = 0x07;
  acl_in_flight_.clear();
  acl_in_flight_total_ = 0;
  held_completions_.clear();
  rand_state_ = 0x5AB1E000ull + index_ * 0x9E3779B97F4A7C15ull;
  for (uint8_t b : public_address_.bytes) rand_state_ = rand_state_ * 131 + b;
}

void FakeController::violation(size_t Violations::*counter, std::string message) {
  ++(violations_.*counter);
  violation_messages_.push_back("controller " + std::to_string(index_) + ": " + message);
}

void FakeController::from_host(HciPacketType type, Bytes packet) {
  log_.push_back({Direction::kHostToController, type, {packet.begin(), packet.end()}, air_.now()});
  if (type == HciPacketType::kCommand) {
    if (command_credits_ <= 0) {
      violation(&Violations::command_credit,
                "command sent with no Num_HCI_Command_Packets credit (7.7.14)");
    }
    --command_credits_;
  } else if (type != HciPacketType::kAcl) {
    violation(&Violations::malformed, "unsupported packet type from host");
    return;
  }
  air_.queue_.push_back({false, this, type, {packet.begin(), packet.end()}});
}

void FakeController::set_acl_buffer(uint16_t length, uint8_t count) {
  acl_length_ = length;
  acl_count_ = count;
}

size_t FakeController::commands_received(uint16_t opcode) const {
  auto it = commands_received_.find(opcode);
  return it == commands_received_.end() ? 0 : it->second;
}

std::vector<std::vector<uint8_t>> FakeController::events_to_host() const {
  std::vector<std::vector<uint8_t>> out;
  for (const auto& p : log_)
    if (p.direction == Direction::kControllerToHost && p.type == HciPacketType::kEvent)
      out.push_back(p.bytes);
  return out;
}

std::vector<std::vector<uint8_t>> FakeController::acl_to_host() const {
  std::vector<std::vector<uint8_t>> out;
  for (const auto& p : log_)
    if (p.direction == Direction::kControllerToHost && p.type == HciPacketType::kAcl)
      out.push_back(p.bytes);
  return out;
}

std::vector<uint16_t> FakeController::connection_handles() const {
  std::vector<uint16_t> out;
  for (const auto& [h, id] : handles_) out.push_back(h);
  return out;
}

bool FakeController::has_feature_for(uint8_t needs) const {
  switch (Needs(needs)) {
    case kDataLength:
      return data_length_supported_;
    case kPhy:
      return phy_2m_ || phy_coded_;
    case kExtendedAdvertising:
      return ext_adv_supported_;
    case kAlways:
      break;
  }
  return true;
}

std::optional<LinkInfo> FakeController::link(uint16_t handle) const {
  const FakeAir::Link* l = air_.find_link(*this, handle);
  if (!l) return std::nullopt;
  bool central = l->central.controller == this && l->central.handle == handle;
  const FakeAir::Side& peer = central ? l->peripheral : l->central;
  LinkInfo info;
  info.handle = handle;
  info.role = central ? 0x00 : 0x01;
  info.peer = peer.address;
  info.interval = l->interval;
  info.latency = l->latency;
  info.supervision_timeout = l->timeout;
  info.encrypted = l->encrypted;
  info.peer_present = peer.attached;
  const FakeAir::Side& me = central ? l->central : l->peripheral;
  info.tx_phy = me.tx_phy;
  info.rx_phy = peer.tx_phy;
  info.tx_octets = me.tx_octets;
  info.rx_octets = peer.tx_octets;
  return info;
}

bool FakeController::is_encrypted(uint16_t handle) const {
  auto info = link(handle);
  return info && info->encrypted;
}

uint64_t FakeController::le_features() const {
  // Vol 6 Part B 4.6: bit 0 LE Encryption, 1 Connection Parameters Request
  // Procedure, 2 Extended Reject Indication, 3 Peripheral-initiated Features
  // Exchange, 5 LE Data Packet Length Extension.
  uint64_t f = 0x0D;
  if (air_.rcpr_) f |= 0x02;
  if (data_length_supported_) f |= 0x20;
  if (ll_privacy_) f |= 0x40;
  // Bits 8 LE 2M PHY, 11 LE Coded PHY, 12 LE Extended Advertising.
  if (phy_2m_) f |= 1ull << 8;
  if (phy_coded_) f |= 1ull << 11;
  if (ext_adv_supported_) f |= 1ull << 12;
  return f;
}

std::vector<uint8_t> FakeController::supported_commands() const {
  std::vector<uint8_t> bits(64, 0);
  for (const auto& c : kCommands) {
    if (c.octet == 0xFF || unsupported_.count(c.opcode)) continue;
    if (c.opcode == op::kLeReadBufferSizeV2 && !v2_supported_) continue;
    if (!has_feature_for(c.needs)) continue;
    bits[c.octet] |= uint8_t(1u << c.bit);
  }
  return bits;
}

std::optional<Address> FakeController::own_address(uint8_t own_address_type) const {
  // 0x02/0x03 would be a controller-generated RPA; without a resolving list
  // entry the spec falls back to the public/random address, which we always do.
  if (own_address_type & 0x01) return random_address_;
  return public_address_;
}

bool FakeController::in_accept_list(const Address& a) const {
  for (const auto& e : accept_list_)
    if (same_air_address(e, a)) return true;
  return false;
}

uint16_t FakeController::allocate_handle() {
  const uint16_t base = uint16_t(0x0040 + 0x80 * (index_ % 28));
  if (reuse_handles_) next_handle_ = 0;
  for (uint16_t i = 0; i < 0x80; ++i) {
    uint16_t h = uint16_t(base + (next_handle_ + i) % 0x80);
    if (!handles_.count(h)) {
      next_handle_ = uint16_t((next_handle_ + i + 1) % 0x80);
      return h;
    }
  }
  return 0x0FFF;  // unreachable: at most 16 links
}

// 7.7.14 Command Complete: Num_HCI_Command_Packets, Command_Opcode, Return_Parameters.
void FakeController::command_complete(uint16_t opcode, std::vector<uint8_t> ret) {
  send_event(kEvtCommandComplete, W().u8(1).le16(opcode).bytes(ret).take());
}

// 7.7.15 Command Status: Status, Num_HCI_Command_Packets, Command_Opcode.
void FakeController::command_status(uint16_t opcode, uint8_t status) {
  send_event(kEvtCommandStatus, W().u8(status).u8(1).le16(opcode).take());
}

void FakeController::send_event(uint8_t code, std::vector<uint8_t> params) {
  // 7.3.1: events below are masked by Set_Event_Mask, bit (code - 1).
  // Command Complete/Status and Number Of Completed Packets are never masked.
  if (apply_masks_ && code != kEvtCommandComplete && code != kEvtCommandStatus &&
      code != kEvtNumberOfCompletedPackets && code >= 1 && code <= 64 &&
      !(event_mask_ & (1ull << (code - 1))))
    return;
  std::vector<uint8_t> pkt{code, uint8_t(params.size())};
  pkt.insert(pkt.end(), params.begin(), params.end());
  air_.to_host(*this, HciPacketType::kEvent, std::move(pkt));
}

// 7.7.65: LE Meta event, masked by LE_Set_Event_Mask bit (subevent - 1) (7.8.1).
void FakeController::send_le_event(uint8_t subevent, std::vector<uint8_t> params) {
  if (apply_masks_ && !(le_event_mask_ & (1ull << (subevent - 1)))) return;
  params.insert(params.begin(), subevent);
  send_event(kEvtLeMeta, std::move(params));
}

void FakeController::respond_failure(uint16_t opcode, uint8_t status, Bytes params) {
  const CommandInfo* info = find_command(opcode);
  if (info && info->status_command) {
    command_status(opcode, status);
    return;
  }
  // Unknown commands (and failures) get Command Complete (4.5); return
  // parameters after Status are zero, except an echoed Connection_Handle.
  std::vector<uint8_t> ret{status};
  if (info) {
    if (info->echoes_handle && params.size() >= 2) {
      ret.push_back(params[0]);
      ret.push_back(params[1]);
    }
    ret.resize(std::max<size_t>(ret.size(), info->return_len), 0);
  }
  command_complete(opcode, std::move(ret));
}

void FakeController::handle_command(Bytes packet) {
  // 5.4.1: Opcode (2), Parameter_Total_Length (1), parameters.
  if (packet.size() < 3 || packet[2] != packet.size() - 3) {
    violation(&Violations::malformed, "command length field does not match the packet");
    // Answer anyway so a host waiting on it does not hang.
    if (packet.size() >= 2) respond_failure(get_le16(packet.data()), kInvalidParameters, {});
    return;
  }
  uint16_t opcode = get_le16(packet.data());
  Bytes params = packet.subspan(3);
  ++commands_received_[opcode];

  const CommandInfo* info = find_command(opcode);
  bool supported = info && !unsupported_.count(opcode) &&
                   !(opcode == op::kLeReadBufferSizeV2 && !v2_supported_) &&
                   has_feature_for(info->needs);
  if (!supported) {
    command_complete(opcode, {kUnknownCommand});
    return;
  }
  if (auto it = fail_next_.find(opcode); it != fail_next_.end()) {
    uint8_t status = it->second;
    fail_next_.erase(it);
    respond_failure(opcode, status, params);
    return;
  }
  if (info->param_len >= 0 && size_t(info->param_len) != params.size()) {
    respond_failure(opcode, kInvalidParameters, params);
    return;
  }
  if (!advertising_api_allowed(opcode)) return;
  dispatch(opcode, params);
}

void FakeController::dispatch(uint16_t opcode, Bytes params) {
  ByteReader r(params);
  auto ok = [&] { command_complete(opcode, {kSuccess}); };
  auto fail = [&](uint8_t status) { respond_failure(opcode, status, params); };
  auto link_of = [&](uint16_t h) { return air_.find_link(*this, h & 0x0FFF); };

  switch (opcode) {
    case op::kReset: {  // 7.3.2
      air_.detach(*this);
      reset_state();
      ok();
      return;
    }
    case op::kSetEventMask:  // 7.3.1
      event_mask_ = uint64_t(r.le32()) | (uint64_t(r.le32()) << 32);
      ok();
      return;
    case op::kLeSetEventMask:  // 7.8.1
      le_event_mask_ = uint64_t(r.le32()) | (uint64_t(r.le32()) << 32);
      ok();
      return;
    case op::kReadLocalVersionInformation:  // 7.4.1
      // HCI_Version 0x0D (5.4), HCI_Subversion, LMP_Version 0x0D,
      // Company_Identifier 0xFFFF (no company: test device), LMP_Subversion.
      command_complete(
          opcode, W().u8(kSuccess).u8(0x0D).le16(0x0001).u8(0x0D).le16(0xFFFF).le16(0x0001).take());
      return;
    case op::kReadLocalSupportedCommands:  // 7.4.2
      command_complete(opcode, W().u8(kSuccess).bytes(supported_commands()).take());
      return;
    case op::kReadLocalSupportedFeatures:  // 7.4.3; Vol 2 Part C 3.3: bit 37 BR/EDR
      // Not Supported, bit 38 LE Supported (Controller).
      command_complete(opcode, W().u8(kSuccess).le64(uint64_t(0x60) << 32).take());
      return;
    case op::kReadBufferSize:  // 7.4.5
      command_complete(opcode, W().u8(kSuccess)
                                   .le16(shared_buffers_ ? acl_length_ : 0)
                                   .u8(0)
                                   .le16(shared_buffers_ ? acl_count_ : 0)
                                   .le16(0)
                                   .take());
      return;
    case op::kReadBdAddr:  // 7.4.6
      command_complete(opcode, W().u8(kSuccess).addr(public_address_).take());
      return;
    case op::kReadRssi: {  // 7.5.4
      uint16_t h = r.le16();
      if (!link_of(h)) return fail(kUnknownConnectionId);
      command_complete(opcode, W().u8(kSuccess).le16(h).u8(uint8_t(rssi_)).take());
      return;
    }
    case op::kReadEncryptionKeySize: {  // 7.5.7
      uint16_t h = r.le16();
      FakeAir::Link* l = link_of(h);
      if (!l) return fail(kUnknownConnectionId);
      if (!l->encrypted) return fail(kCommandDisallowed);
      command_complete(opcode, W().u8(kSuccess).le16(h).u8(key_size_).take());
      return;
    }
    case op::kLeReadBufferSize:  // 7.8.2 v1
      command_complete(opcode, W().u8(kSuccess)
                                   .le16(shared_buffers_ ? 0 : acl_length_)
                                   .u8(shared_buffers_ ? 0 : acl_count_)
                                   .take());
      return;
    case op::kLeReadBufferSizeV2:  // 7.8.2 v2: no ISO buffers
      command_complete(opcode, W().u8(kSuccess)
                                   .le16(shared_buffers_ ? 0 : acl_length_)
                                   .u8(shared_buffers_ ? 0 : acl_count_)
                                   .le16(0)
                                   .u8(0)
                                   .take());
      return;
    case op::kLeReadLocalSupportedFeatures:  // 7.8.3
      command_complete(opcode, W().u8(kSuccess).le64(le_features()).take());
      return;
    case op::kLeReadSupportedStates:  // 7.8.27: every state combination below bit 42
      command_complete(opcode, W().u8(kSuccess).le64(0x000003FFFFFFFFFFull).take());
      return;
    case op::kLeRand: {  // 7.8.23: deterministic splitmix64 stream per controller
      uint64_t z = (rand_state_ += 0x9E3779B97F4A7C15ull);
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      z ^= z >> 31;
      command_complete(opcode, W().u8(kSuccess).le64(z).take());
      return;
    }
    case op::kLeSetRandomAddress: {  // 7.8.4
      if (advertising_ || scanning_ || initiation_) return fail(kCommandDisallowed);
      random_address_ = read_address(r, 0x01);
      ok();
      return;
    }
    case op::kLeReadFilterAcceptListSize:  // 7.8.14
      command_complete(opcode, {kSuccess, uint8_t(kAcceptListSize)});
      return;
    case op::kLeClearFilterAcceptList:  // 7.8.15
      accept_list_.clear();
      ok();
      return;
    case op::kLeAddDeviceToFilterAcceptList:         // 7.8.16
    case op::kLeRemoveDeviceFromFilterAcceptList: {  // 7.8.17
      uint8_t type = r.u8();
      if (type > 0x01) return fail(kInvalidParameters);  // anonymous (0xFF) not supported
      Address a = read_address(r, type);
      auto it = std::find_if(accept_list_.begin(), accept_list_.end(),
                             [&](const Address& e) { return same_air_address(e, a); });
      if (opcode == op::kLeAddDeviceToFilterAcceptList) {
        if (it == accept_list_.end()) {
          if (accept_list_.size() >= kAcceptListSize) return fail(kMemoryCapacityExceeded);
          accept_list_.push_back(a);
        }
      } else if (it != accept_list_.end()) {
        accept_list_.erase(it);
      }
      ok();
      return;
    }
    case op::kLeAddDeviceToResolvingList: {  // 7.8.38
      if (address_resolution_ && (advertising_ || scanning_ || initiation_))
        return fail(kCommandDisallowed);
      uint8_t type = r.u8();
      if (type > 0x01) return fail(kInvalidParameters);
      ResolvingEntry e;
      e.identity = read_address(r, type);
      Bytes peer_irk = r.take(16), local_irk = r.take(16);
      std::copy(peer_irk.begin(), peer_irk.end(), e.peer_irk.begin());
      std::copy(local_irk.begin(), local_irk.end(), e.local_irk.begin());
      for (const auto& x : resolving_list_)
        if (same_air_address(x.identity, e.identity)) return fail(kInvalidParameters);
      if (resolving_list_.size() >= kResolvingListSize) return fail(kMemoryCapacityExceeded);
      resolving_list_.push_back(e);
      ok();
      return;
    }
    case op::kLeRemoveDeviceFromResolvingList: {  // 7.8.39
      if (address_resolution_ && (advertising_ || scanning_ || initiation_))
        return fail(kCommandDisallowed);
      uint8_t type = r.u8();
      Address a = read_address(r, type);
      auto it =
          std::find_if(resolving_list_.begin(), resolving_list_.end(),
                       [&](const ResolvingEntry& e) { return same_air_address(e.identity, a); });
      if (type > 0x01 || it == resolving_list_.end()) return fail(kUnknownConnectionId);
      resolving_list_.erase(it);
      ok();
      return;
    }
    case op::kLeClearResolvingList:  // 7.8.40
      if (address_resolution_ && (advertising_ || scanning_ || initiation_))
        return fail(kCommandDisallowed);
      resolving_list_.clear();
      ok();
      return;
    case op::kLeReadResolvingListSize:  // 7.8.41
      command_complete(opcode, {kSuccess, uint8_t(kResolvingListSize)});
      return;
    case op::kLeSetAddressResolutionEnable: {  // 7.8.44
      uint8_t enable = r.u8();
      if (enable > 1) return fail(kInvalidParameters);
      if (advertising_ || scanning_ || initiation_) return fail(kCommandDisallowed);
      address_resolution_ = enable;
      ok();
      return;
    }
    case op::kLeSetResolvablePrivateAddressTimeout: {  // 7.8.45: 1 s .. 0xA1B8 s
      uint16_t t = r.le16();
      if (t < 0x0001 || t > 0xA1B8) return fail(kInvalidParameters);
      rpa_timeout_s_ = t;
      ok();
      return;
    }
    default:
      // Legacy advertising, scanning and initiating
      // (fake_controller_adv.cpp), connection-level commands
      // (fake_controller_link.cpp) and the
      // Bluetooth 5 link and advertising commands (fake_controller_ext.cpp).
      if (dispatch_advertising(opcode, params)) return;
      if (dispatch_link(opcode, params)) return;
      if (dispatch_ext(opcode, params)) return;
      command_complete(opcode, {kUnknownCommand});
      return;
  }
}

void FakeController::handle_acl(Bytes packet) {
  // 5.4.2: Handle (12 bits), PB (2), BC (2), Data_Total_Length, data.
  if (packet.size() < 4 || get_le16(packet.data() + 2) != packet.size() - 4) {
    violation(&Violations::malformed, "ACL length field does not match the packet");
    return;
  }
  uint16_t hdr = get_le16(packet.data());
  uint16_t handle = hdr & 0x0FFF;
  uint8_t pb = (hdr >> 12) & 0x3;
  uint8_t bc = hdr >> 14;
  Bytes data = packet.subspan(4);
  if (bc != 0 || pb == 0x3) {
    violation(&Violations::malformed, "ACL with BC flag set or PB 0b11 on LE");
    return;
  }
  FakeAir::Link* l = air_.find_link(*this, handle);
  if (!l) {
    violation(&Violations::acl_unknown_handle,
              "ACL for unknown handle " + hex16(handle) + " dropped");
    return;
  }
  if (acl_in_flight_total_ >= acl_count_) {
    violation(&Violations::acl_credit, "ACL sent with " + std::to_string(acl_in_flight_total_) +
                                           " packets in flight of " + std::to_string(acl_count_) +
                                           " buffers");
  }
  if (data.size() > acl_length_) {
    violation(&Violations::acl_length, "ACL data of " + std::to_string(data.size()) +
                                           " octets exceeds buffer length " +
                                           std::to_string(acl_length_));
  }
  ++acl_in_flight_[handle];
  ++acl_in_flight_total_;

  FakeAir::Side& peer = air_.other_side(*l, *this);
  if (peer.attached && !peer.controller->drop_acl_to_host_) {
    // Controller to host: 0b10 starts a PDU, 0b01 continues it.
    uint8_t out_pb = pb == 0x1 ? 0x1 : 0x2;
    air_.to_host(*peer.controller, HciPacketType::kAcl, hci::acl(peer.handle, out_pb, data));
  }
  note_acl_completed(handle);
}

void FakeController::note_acl_completed(uint16_t handle) {
  if (!auto_complete_) {
    ++held_completions_[handle];
    return;
  }
  // 7.7.19 Number Of Completed Packets: Num_Handles, then handle/count pairs.
  send_event(kEvtNumberOfCompletedPackets, W().u8(1).le16(handle).le16(1).take());
}

void FakeController::complete_acl_packets() {
  if (held_completions_.empty()) return;
  W w;
  w.u8(uint8_t(held_completions_.size()));
  for (const auto& [h, n] : held_completions_) w.le16(h).le16(n);
  held_completions_.clear();
  send_event(kEvtNumberOfCompletedPackets, w.take());
}

void FakeController::on_delivered(HciPacketType type, const std::vector<uint8_t>& b) {
  if (type != HciPacketType::kEvent || b.size() < 2) return;
  switch (b[0]) {
    case kEvtCommandComplete:
      if (b.size() >= 3) command_credits_ = b[2];
      break;
    case kEvtCommandStatus:
      if (b.size() >= 4) command_credits_ = b[3];
      break;
    case kEvtNumberOfCompletedPackets: {
      size_t n = b.size() >= 3 ? b[2] : 0;
      for (size_t i = 0; i < n && 3 + 4 * i + 4 <= b.size(); ++i) {
        uint16_t h = get_le16(&b[3 + 4 * i]);
        uint16_t count = get_le16(&b[3 + 4 * i + 2]);
        auto it = acl_in_flight_.find(h);
        if (it == acl_in_flight_.end()) continue;
        size_t done = std::min<size_t>(count, it->second);
        it->second -= done;
        acl_in_flight_total_ -= done;
      }
      break;
    }
    case kEvtDisconnectionComplete:
      // 7.7.5: the host may treat every packet still unacknowledged on the
      // handle as flushed.
      if (b.size() >= 6 && b[2] == kSuccess) {
        uint16_t h = get_le16(&b[3]);
        if (auto it = acl_in_flight_.find(h); it != acl_in_flight_.end()) {
          acl_in_flight_total_ -= it->second;
          acl_in_flight_.erase(it);
        }
      }
      break;
    default:
      break;
  }
}

}  // namespace sable::testing
