#include "hci/controller_init.hpp"

#include <cstdio>
#include <cstring>
#include <iterator>

#include "common/log.hpp"
#include "hci/commands.hpp"

namespace sable::hci {

namespace {
// The HCI command names of the steps back to back, each ended by its NUL, in
// InitStep order: no table of pointers.
constexpr char kStepNames[] =
    "HCI_Reset\0"
    "HCI_Read_Local_Version_Information\0"
    "HCI_Read_Local_Supported_Commands\0"
    "HCI_Read_Local_Supported_Features\0"
    "HCI_LE_Read_Local_Supported_Features\0"
    "HCI_Read_BD_ADDR\0"
    "HCI_LE_Read_Buffer_Size [v2]\0"
    "HCI_LE_Read_Buffer_Size\0"
    "HCI_Read_Buffer_Size\0"
    "HCI_Set_Event_Mask\0"
    "HCI_LE_Set_Event_Mask";
}  // namespace

const char* to_string(InitStep step) {
  if (step > InitStep::kLeSetEventMask) return "?";
  const char* name = kStepNames;
  for (auto i = uint8_t(step); i > 0; --i) name += std::strlen(name) + 1;
  return name;
}

InitError::Text InitError::to_string() const {
  Text text;
  char* buf = text.chars.data();
  const size_t size = text.chars.size();
  const char* name = hci::to_string(step);
  if (kind == Kind::kStatus) {
    std::snprintf(buf, size, "%s failed: %s (0x%02x)", name, status_text(status), unsigned(status));
    return text;
  }
  // The other kinds: the step's name (none for kBusy) then a fixed text, in
  // Kind order from kTimeout.
  static constexpr const char* kTexts[] = {
      " timed out: controller not responding",
      " returned malformed parameters",
      ": controller reports no ACL data buffers",
      "controller bring-up already running",
  };
  std::snprintf(buf, size, "%s%s", kind == Kind::kBusy ? "" : name,
                kTexts[size_t(kind) - size_t(Kind::kTimeout)]);
  return text;
}

namespace {
// The command of each step, in InitStep order (Core 5.4 Vol 4 Part E 7.3.2,
// 7.4.1, 7.4.2, 7.4.3, 7.8.3, 7.4.6, 7.8.2, 7.8.2, 7.4.5, 7.3.1, 7.8.1).
constexpr uint16_t kStepOpcodes[] = {
    op::kReset,
    op::kReadLocalVersionInformation,
    op::kReadLocalSupportedCommands,
    op::kReadLocalSupportedFeatures,
    op::kLeReadLocalSupportedFeatures,
    op::kReadBdAddr,
    op::kLeReadBufferSizeV2,
    op::kLeReadBufferSize,
    op::kReadBufferSize,
    op::kSetEventMask,
    op::kLeSetEventMask,
};
static_assert(std::size(kStepOpcodes) == size_t(InitStep::kLeSetEventMask) + 1);
}  // namespace

void ControllerInit::start(TimePoint now, Callback done) {
  if (running_) {
    if (done) done(fail(InitError{InitError::Kind::kBusy, InitStep::kReset, HciStatus::kSuccess}));
    return;
  }
  running_ = true;
  done_ = done;
  info_ = ControllerInfo{};
  issue(now, InitStep::kReset);
}

void ControllerInit::issue(TimePoint now, InitStep step) {
  SABLE_LOG_DEBUG("hci: bring-up: %s", to_string(step));
  // Only the two event mask steps carry a parameter: the mask, 8 octets.
  uint8_t mask[8];
  uint8_t size = 0;
  if (step >= InitStep::kSetEventMask) {
    const uint64_t m = step == InitStep::kSetEventMask ? config_.event_mask : config_.le_event_mask;
    for (int i = 0; i < 8; ++i) mask[i] = uint8_t(m >> (8 * i));
    size = sizeof mask;
  }
  channel_.send(now, command_packet(kStepOpcodes[size_t(step)], mask, size),
                [this, step](const CommandResult& r) { on_result(step, r); });
}

void ControllerInit::fail_with(InitError::Kind kind, InitStep step, HciStatus status) {
  InitError e{kind, step, status};
  SABLE_LOG_ERROR("hci: bring-up failed: %s", e.to_string().c_str());
  finish(fail(e));
}

void ControllerInit::finish(const Result<ControllerInfo, InitError>& result) {
  running_ = false;
  Callback done = done_;
  done_ = nullptr;
  if (done) done(result);
}

namespace {
// The octets each step needs after the status octet, in InitStep order (Core
// 5.4 Vol 4 Part E 7.4.1: 8, 7.4.2: 64, 7.4.3 / 7.8.3: 8, 7.4.6: 6, 7.8.2 v2:
// 6, v1: 3, 7.4.5: 7); longer answers are accepted, shorter ones malformed.
constexpr uint8_t kReturnOctets[] = {0, 8, 64, 8, 8, 6, 6, 3, 7, 0, 0};
static_assert(std::size(kReturnOctets) == size_t(InitStep::kLeSetEventMask) + 1);

uint64_t le64(const uint8_t* p) {
  return get_le32(p) | uint64_t(get_le32(p + 4)) << 32;
}
}  // namespace

void ControllerInit::on_result(InitStep step, const CommandResult& r) {
  if (!running_) return;
  if (r.timed_out) return fail_with(InitError::Kind::kTimeout, step, r.status);
  const TimePoint now = r.now;

  if (r.status != HciStatus::kSuccess) {
    // The one tolerated failure: v2 unknown or refused → ask v1.
    if (step == InitStep::kLeReadBufferSizeV2) {
      SABLE_LOG_INFO("hci: LE_Read_Buffer_Size [v2] failed (%s), using v1", to_string(r.status));
      return issue(now, InitStep::kLeReadBufferSize);
    }
    return fail_with(InitError::Kind::kStatus, step, r.status);
  }
  // One length check for every step; the fields are then read in place.
  if (r.return_params.size() < kReturnOctets[size_t(step)]) {
    return fail_with(InitError::Kind::kMalformed, step, r.status);
  }
  const uint8_t* p = r.return_params.data();
  // Steps run in InitStep order but for the buffer sizes, decided below.
  InitStep next = InitStep(uint8_t(step) + 1);
  switch (step) {
    case InitStep::kReadLocalVersionInformation:
      // Part E 7.4.1: HCI_Version, HCI_Subversion, LMP_Version,
      // Company_Identifier, LMP_Subversion.
      info_.hci_version = p[0];
      info_.hci_revision = get_le16(p + 1);
      info_.lmp_version = p[3];
      info_.manufacturer = get_le16(p + 4);
      info_.lmp_subversion = get_le16(p + 6);
      break;
    case InitStep::kReadLocalSupportedCommands:
      std::memcpy(info_.supported_commands.data(), p, info_.supported_commands.size());
      break;
    case InitStep::kReadLocalSupportedFeatures:
      info_.features = le64(p);
      break;
    case InitStep::kLeReadLocalSupportedFeatures:
      info_.le_features = le64(p);
      break;
    case InitStep::kReadBdAddr:
      std::memcpy(info_.bd_addr.bytes.data(), p, info_.bd_addr.bytes.size());
      info_.bd_addr.type = AddressType::kPublic;
      if (!info_.supports(supported::kLeReadBufferSizeV2)) next = InitStep::kLeReadBufferSize;
      break;
    case InitStep::kLeReadBufferSizeV2:
    case InitStep::kLeReadBufferSize:
    case InitStep::kReadBufferSize: {
      // Part E 7.8.2: LE_ACL_Data_Packet_Length (2), Total_Num_LE_ACL_Data_Packets
      // (1); 7.4.5: ACL_Data_Packet_Length (2), Synchronous_Data_Packet_Length
      // (1), Total_Num_ACL_Data_Packets (2).
      const uint16_t length = get_le16(p);
      const uint16_t count = step == InitStep::kReadBufferSize ? get_le16(p + 3) : p[2];
      next = InitStep::kSetEventMask;
      if (length == 0 || count == 0) {
        // Core 5.4 Vol 4 Part E 7.8.2: a zero length means LE shares the
        // BR/EDR buffers, read with HCI_Read_Buffer_Size; there, no buffers at all.
        if (step == InitStep::kReadBufferSize)
          return fail_with(InitError::Kind::kNoBuffers, step, r.status);
        next = InitStep::kReadBufferSize;
        break;
      }
      info_.acl_data_length = length;
      info_.acl_packet_count = count;
      break;
    }
    case InitStep::kLeSetEventMask:
      SABLE_LOG_INFO("hci: controller %s ready, HCI version %u, %u ACL buffers of %u octets",
                     info_.bd_addr.to_string().c_str(), info_.hci_version, info_.acl_packet_count,
                     info_.acl_data_length);
      return finish(info_);
    default:  // Reset, Set Event Mask: nothing returned that bring-up keeps
      break;
  }
  issue(now, next);
}

}  // namespace sable::hci
