// In-process fake LE controllers: legacy advertising, scanning and
// initiating (7.8.5-7.8.13). All spec references are Core 5.4, Vol 4 Part E
// unless stated otherwise.
#include "support/fake_controller.hpp"
#include "support/fake_internal.hpp"

namespace sable::testing {

using namespace fake;

bool FakeController::dispatch_advertising(uint16_t opcode, Bytes params) {
  ByteReader r(params);
  auto ok = [&] { command_complete(opcode, {kSuccess}); };
  auto fail = [&](uint8_t status) {
    respond_failure(opcode, status, params);
    return true;
  };

  switch (opcode) {
    case op::kLeSetAdvertisingParameters: {  // 7.8.5
      if (advertising_) return fail(kCommandDisallowed);
      AdvParams p;
      p.interval_min = r.le16();
      p.interval_max = r.le16();
      p.type = r.u8();
      p.own_address_type = r.u8();
      uint8_t peer_type = r.u8();
      p.peer = read_address(r, peer_type);
      p.channel_map = r.u8();
      p.filter_policy = r.u8();
      bool high_duty = p.type == 0x01;
      if (p.type > 0x04 || p.own_address_type > 0x03 || peer_type > 0x01 || p.channel_map == 0 ||
          p.channel_map > 0x07 || p.filter_policy > 0x03 ||
          (!high_duty &&
           (p.interval_min < 0x0020 || p.interval_max > 0x4000 || p.interval_min > p.interval_max)))
        return fail(kInvalidParameters);
      adv_ = p;
      ok();
      return true;
    }
    case op::kLeReadAdvertisingChannelTxPower:  // 7.8.6
      command_complete(opcode, {kSuccess, 0x00});
      return true;
    case op::kLeSetAdvertisingData:     // 7.8.7
    case op::kLeSetScanResponseData: {  // 7.8.8
      uint8_t len = r.u8();
      if (len > 31) return fail(kInvalidParameters);
      Bytes data = r.take(len);
      auto& dst = opcode == op::kLeSetAdvertisingData ? adv_data_ : scan_rsp_data_;
      bool changed = !std::equal(dst.begin(), dst.end(), data.begin(), data.end());
      dst.assign(data.begin(), data.end());
      ok();
      if (changed && advertising_) air_.report_to_scanners(*this);
      return true;
    }
    case op::kLeSetAdvertisingEnable: {  // 7.8.9
      uint8_t enable = r.u8();
      if (enable > 1) return fail(kInvalidParameters);
      if (enable && !advertising_) {
        if (!own_address(adv_.own_address_type)) return fail(kInvalidParameters);
        advertising_ = true;
        uint64_t gen = ++adv_generation_;
        ok();
        if (adv_.type == 0x01) {
          // High duty cycle directed advertising ends after 1.28 s (7.8.9):
          // LE Connection Complete with Advertising Timeout.
          air_.schedule(Duration(1280), [this, gen] {
            if (!advertising_ || adv_generation_ != gen) return;
            advertising_ = false;
            send_le_event(kLeConnectionComplete, W().u8(kAdvertisingTimeout)
                                                     .le16(0)
                                                     .u8(0x01)
                                                     .u8(air_type(adv_.peer))
                                                     .addr(adv_.peer)
                                                     .le16(0)
                                                     .le16(0)
                                                     .le16(0)
                                                     .u8(0)
                                                     .take());
          });
        }
        air_.report_to_scanners(*this);
        air_.try_connect_all();
        return true;
      }
      if (!enable) {
        advertising_ = false;
        ++adv_generation_;
      }
      ok();
      return true;
    }
    case op::kLeSetScanParameters: {  // 7.8.10
      if (scanning_) return fail(kCommandDisallowed);
      uint8_t type = r.u8();
      uint16_t interval = r.le16();
      uint16_t window = r.le16();
      uint8_t own = r.u8();
      uint8_t policy = r.u8();
      if (type > 1 || interval < 0x0004 || interval > 0x4000 || window < 0x0004 ||
          window > interval || own > 0x03 || policy > 0x03)
        return fail(kInvalidParameters);
      scan_type_ = type;
      scan_own_address_type_ = own;
      scan_filter_policy_ = policy;
      ok();
      return true;
    }
    case op::kLeSetScanEnable: {  // 7.8.11
      uint8_t enable = r.u8();
      uint8_t dup = r.u8();
      if (enable > 1 || dup > 1) return fail(kInvalidParameters);
      bool starting = enable && !scanning_;
      if (starting && (scan_own_address_type_ & 0x01) && !random_address_)
        return fail(kInvalidParameters);
      scanning_ = enable;
      filter_duplicates_ = dup;
      if (starting) reported_.clear();
      ok();
      if (starting) air_.report_all_to(*this);
      return true;
    }
    case op::kLeCreateConnection: {  // 7.8.12
      if (initiation_) return fail(kCommandDisallowed);
      Initiation in;
      r.le16();  // LE_Scan_Interval
      r.le16();  // LE_Scan_Window
      in.filter_policy = r.u8();
      uint8_t peer_type = r.u8();
      in.peer = read_address(r, peer_type);
      in.own_address_type = r.u8();
      in.interval_min = r.le16();
      in.interval_max = r.le16();
      in.latency = r.le16();
      in.timeout = r.le16();
      if (in.filter_policy > 1 || peer_type > 0x03 || in.own_address_type > 0x03 ||
          !valid_conn_params(in.interval_min, in.interval_max, in.latency, in.timeout) ||
          !own_address(in.own_address_type))
        return fail(kInvalidParameters);
      if (handles_.size() >= kMaxLinksPerController) return fail(kConnectionLimitExceeded);
      initiation_ = in;
      command_status(opcode, kSuccess);
      air_.try_connect(*this);
      return true;
    }
    case op::kLeCreateConnectionCancel: {  // 7.8.13
      if (!initiation_) return fail(kCommandDisallowed);
      Address peer = initiation_->peer;
      initiation_.reset();
      ok();
      // The cancelled attempt ends with LE (Enhanced) Connection Complete,
      // status Unknown Connection Identifier (7.8.13).
      const bool enhanced =
          apply_masks_ && (le_event_mask_ & (1ull << (kLeEnhancedConnectionComplete - 1)));
      W w;
      w.u8(kUnknownConnectionId).le16(0).u8(0x00).u8(air_type(peer)).addr(peer);
      if (enhanced) w.bytes(std::array<uint8_t, 12>{});  // local / peer RPA
      w.le16(0).le16(0).le16(0).u8(0);
      send_le_event(enhanced ? kLeEnhancedConnectionComplete : kLeConnectionComplete, w.take());
      return true;
    }
    default:
      return false;
  }
}

}  // namespace sable::testing
