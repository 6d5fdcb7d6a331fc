// Controller bring-up (Core 5.4 Vol 4 Part E 4 and 7.3/7.4/7.8), run on a
// CommandChannel:
//   Reset → Read_Local_Version_Information → Read_Local_Supported_Commands →
//   Read_Local_Supported_Features → LE_Read_Local_Supported_Features →
//   Read_BD_ADDR → buffer size → Set_Event_Mask → LE_Set_Event_Mask → done.
// Buffer size: LE_Read_Buffer_Size [v2] when Supported_Commands says so
// (octet 41 bit 5), else or when v2 fails with a status, LE_Read_Buffer_Size
// [v1]; when the LE size or count is 0 the LE links share the BR/EDR buffers,
// read with Read_Buffer_Size (Part E 7.8.2). Every other failure (a status, a
// timeout, malformed return parameters, no ACL buffers at all) ends bring-up
// with an InitError naming the step.
#pragma once

#include <array>
#include <cstdint>

#include "common/time.hpp"
#include "hci/command_channel.hpp"
#include "hci/inline_function.hpp"
#include "hci/opcodes.hpp"
#include "hci/status.hpp"
#include "sable/address.hpp"
#include "sable/result.hpp"

namespace sable::hci {

struct ControllerInfo {
  Address bd_addr;  // public
  uint8_t hci_version = 0;
  uint16_t hci_revision = 0;  // HCI_Subversion
  uint8_t lmp_version = 0;
  uint16_t lmp_subversion = 0;
  uint16_t manufacturer = 0;  // company identifier
  std::array<uint8_t, 64> supported_commands{};
  uint64_t features = 0;          // LMP features page 0
  uint64_t le_features = 0;       // LE features (Core 5.4 Vol 6 Part B 4.6)
  uint16_t acl_data_length = 0;   // max ACL payload per packet to the controller
  uint16_t acl_packet_count = 0;  // controller ACL buffers (credits)

  bool supports(SupportedCommand c) const {
    return c.octet < supported_commands.size() && ((supported_commands[c.octet] >> c.bit) & 1);
  }
  bool supports_le_feature(unsigned bit) const { return bit < 64 && ((le_features >> bit) & 1); }
};

enum class InitStep : uint8_t {
  kReset,
  kReadLocalVersionInformation,
  kReadLocalSupportedCommands,
  kReadLocalSupportedFeatures,
  kLeReadLocalSupportedFeatures,
  kReadBdAddr,
  kLeReadBufferSizeV2,
  kLeReadBufferSize,
  kReadBufferSize,
  kSetEventMask,
  kLeSetEventMask,
};
// The HCI command's name, e.g. "HCI_LE_Read_Buffer_Size".
const char* to_string(InitStep step);

struct InitError {
  enum class Kind : uint8_t {
    kStatus,     // the command failed with `status`
    kTimeout,    // no answer: controller not responding
    kMalformed,  // success but return parameters too short
    kNoBuffers,  // the controller reports no ACL buffers
    kBusy,       // start() called while bring-up is already running
  };
  Kind kind = Kind::kStatus;
  InitStep step = InitStep::kReset;
  HciStatus status = HciStatus::kSuccess;

  // One line in a fixed buffer (no heap), e.g. "HCI_Reset failed: Hardware
  // Failure (0x03)" ("HCI error" for the name in a build without status names,
  // see status_text), "HCI_Reset timed out: controller not responding".
  struct Text {
    std::array<char, 128> chars{};
    const char* c_str() const { return chars.data(); }
  };
  Text to_string() const;
};

// Default masks: what the host handles.
inline constexpr uint64_t kDefaultEventMask =
    event_mask::kDisconnectionComplete | event_mask::kEncryptionChange |
    event_mask::kReadRemoteVersionInformationComplete | event_mask::kHardwareError |
    event_mask::kDataBufferOverflow | event_mask::kEncryptionKeyRefreshComplete |
    event_mask::kLeMeta;
// With Enhanced Connection Complete unmasked a controller that knows it sends
// only that event, not Connection Complete (Part E 7.7.65.10); hosts handle both.
inline constexpr uint64_t kDefaultLeEventMask =
    le_event_mask::kConnectionComplete | le_event_mask::kAdvertisingReport |
    le_event_mask::kConnectionUpdateComplete | le_event_mask::kReadRemoteFeaturesComplete |
    le_event_mask::kLongTermKeyRequest | le_event_mask::kRemoteConnectionParameterRequest |
    le_event_mask::kDataLengthChange | le_event_mask::kReadLocalP256PublicKeyComplete |
    le_event_mask::kGenerateDhKeyComplete | le_event_mask::kEnhancedConnectionComplete |
    le_event_mask::kPhyUpdateComplete;

class ControllerInit {
 public:
  using Callback = InlineFunction<void(const Result<ControllerInfo, InitError>&)>;
  struct Config {
    uint64_t event_mask = kDefaultEventMask;
    uint64_t le_event_mask = kDefaultLeEventMask;
  };

  explicit ControllerInit(CommandChannel& channel) : ControllerInit(channel, Config{}) {}
  ControllerInit(CommandChannel& channel, Config config) : channel_(channel), config_(config) {}
  // Must outlive the bring-up (its command callbacks refer to it).
  ControllerInit(const ControllerInit&) = delete;
  ControllerInit& operator=(const ControllerInit&) = delete;

  // Starts bring-up; `done` runs once, from a command callback (or at once with
  // kBusy if already running). Timeouts come from the CommandChannel.
  void start(TimePoint now, Callback done);
  bool running() const { return running_; }

 private:
  void issue(TimePoint now, InitStep step);
  void on_result(InitStep step, const CommandResult& r);
  void fail_with(InitError::Kind kind, InitStep step, HciStatus status);
  // Ends bring-up: not running, `done` cleared before it runs with `result`.
  void finish(const Result<ControllerInfo, InitError>& result);

  CommandChannel& channel_;
  Config config_;
  bool running_ = false;
  Callback done_;
  ControllerInfo info_;
};

}  // namespace sable::hci
