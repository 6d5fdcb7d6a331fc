#include "hci/controller_init.hpp"

#include <cstdio>
#include <iterator>

#include "common/log.hpp"
#include "hci/commands.hpp"
#include "hci/events.hpp"

namespace sable::hci {

const char* to_string(InitStep step) {
  switch (step) {
    case InitStep::kReset:
      return "HCI_Reset";
    case InitStep::kReadLocalVersionInformation:
      return "HCI_Read_Local_Version_Information";
    case InitStep::kReadLocalSupportedCommands:
      return "HCI_Read_Local_Supported_Commands";
    case InitStep::kReadLocalSupportedFeatures:
      return "HCI_Read_Local_Supported_Features";
    case InitStep::kLeReadLocalSupportedFeatures:
      return "HCI_LE_Read_Local_Supported_Features";
    case InitStep::kReadBdAddr:
      return "HCI_Read_BD_ADDR";
    case InitStep::kLeReadBufferSizeV2:
      return "HCI_LE_Read_Buffer_Size [v2]";
    case InitStep::kLeReadBufferSize:
      return "HCI_LE_Read_Buffer_Size";
    case InitStep::kReadBufferSize:
      return "HCI_Read_Buffer_Size";
    case InitStep::kSetEventMask:
      return "HCI_Set_Event_Mask";
    case InitStep::kLeSetEventMask:
      return "HCI_LE_Set_Event_Mask";
  }
  return "?";
}

InitError::Text InitError::to_string() const {
  Text text;
  char* buf = text.chars.data();
  const size_t size = text.chars.size();
  const char* name = hci::to_string(step);
  switch (kind) {
    case Kind::kStatus:
      std::snprintf(buf, size, "%s failed: %s (0x%02x)", name, status_text(status),
                    unsigned(status));
      break;
    case Kind::kTimeout:
      std::snprintf(buf, size, "%s timed out: controller not responding", name);
      break;
    case Kind::kMalformed:
      std::snprintf(buf, size, "%s returned malformed parameters", name);
      break;
    case Kind::kNoBuffers:
      std::snprintf(buf, size, "%s: controller reports no ACL data buffers", name);
      break;
    case Kind::kBusy:
      std::snprintf(buf, size, "controller bring-up already running");
      break;
  }
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
  Bytes params;
  if (step >= InitStep::kSetEventMask) {
    const uint64_t m = step == InitStep::kSetEventMask ? config_.event_mask : config_.le_event_mask;
    for (int i = 0; i < 8; ++i) mask[i] = uint8_t(m >> (8 * i));
    params = mask;
  }
  channel_.send(now, make_command(kStepOpcodes[size_t(step)], params),
                [this, step](const CommandResult& r) { on_result(step, r); });
}

void ControllerInit::fail_with(InitError::Kind kind, InitStep step, HciStatus status) {
  InitError e{kind, step, status};
  SABLE_LOG_ERROR("hci: bring-up failed: %s", e.to_string().c_str());
  running_ = false;
  Callback done = done_;
  done_ = nullptr;
  if (done) done(fail(e));
}

void ControllerInit::succeed() {
  running_ = false;
  Callback done = done_;
  done_ = nullptr;
  SABLE_LOG_INFO("hci: controller %s ready, HCI version %u, %u ACL buffers of %u octets",
                 info_.bd_addr.to_string().c_str(), info_.hci_version, info_.acl_packet_count,
                 info_.acl_data_length);
  if (done) done(info_);
}

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

  const Bytes rp = r.return_params;
  // The step after each one, in InitStep order; the cases below change it
  // where the answer decides (buffer sizes) and return on a malformed answer.
  static constexpr InitStep kNext[] = {
      InitStep::kReadLocalVersionInformation,
      InitStep::kReadLocalSupportedCommands,
      InitStep::kReadLocalSupportedFeatures,
      InitStep::kLeReadLocalSupportedFeatures,
      InitStep::kReadBdAddr,
      InitStep::kLeReadBufferSizeV2,
      InitStep::kSetEventMask,
      InitStep::kSetEventMask,
      InitStep::kSetEventMask,
      InitStep::kLeSetEventMask,
      InitStep::kLeSetEventMask,
  };
  InitStep next = kNext[size_t(step)];
  bool ok = true;
  switch (step) {
    case InitStep::kReadLocalVersionInformation: {
      auto v = decode_read_local_version_information(rp);
      if (!(ok = v.ok())) break;
      info_.hci_version = v->hci_version;
      info_.hci_revision = v->hci_subversion;
      info_.lmp_version = v->lmp_version;
      info_.lmp_subversion = v->lmp_subversion;
      info_.manufacturer = v->company_identifier;
      break;
    }
    case InitStep::kReadLocalSupportedCommands: {
      auto c = decode_read_local_supported_commands(rp);
      if ((ok = c.ok())) info_.supported_commands = *c;
      break;
    }
    case InitStep::kReadLocalSupportedFeatures:
    case InitStep::kLeReadLocalSupportedFeatures: {
      auto f = decode_le_read_local_supported_features(rp);  // the same 8-octet layout
      if (!(ok = f.ok())) break;
      (step == InitStep::kReadLocalSupportedFeatures ? info_.features : info_.le_features) = *f;
      break;
    }
    case InitStep::kReadBdAddr: {
      auto a = decode_read_bd_addr(rp);
      if (!(ok = a.ok())) break;
      info_.bd_addr = *a;
      if (!info_.supports(supported::kLeReadBufferSizeV2)) next = InitStep::kLeReadBufferSize;
      break;
    }
    case InitStep::kLeReadBufferSizeV2:
    case InitStep::kLeReadBufferSize:
    case InitStep::kReadBufferSize: {
      uint16_t length = 0;
      uint16_t count = 0;
      if (step == InitStep::kReadBufferSize) {
        auto s = decode_read_buffer_size(rp);
        if ((ok = s.ok())) length = s->acl_data_length, count = s->acl_packet_count;
      } else {
        auto s = step == InitStep::kLeReadBufferSizeV2 ? decode_le_read_buffer_size_v2(rp)
                                                       : decode_le_read_buffer_size(rp);
        if ((ok = s.ok())) length = s->acl_data_length, count = s->acl_packet_count;
      }
      if (!ok) break;
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
      return succeed();
    default:  // Reset, Set Event Mask: nothing returned that bring-up keeps
      break;
  }
  if (!ok) return fail_with(InitError::Kind::kMalformed, step, r.status);
  issue(now, next);
}

}  // namespace sable::hci
