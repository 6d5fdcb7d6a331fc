// In-process fake LE controllers: Bluetooth 5 commands. PHY update (7.8.47-49)
// and extended advertising, scanning and connecting (7.8.53-66). All spec
// references are Core 5.4, Vol 4 Part E unless stated otherwise.
#include "support/fake_controller.hpp"
#include "support/fake_internal.hpp"

namespace sable::testing {

using namespace fake;

namespace {

// 3.1.1: the commands of each advertising API (periodic advertising, not
// implemented here, would be extended too).
bool is_legacy_advertising_command(uint16_t opcode) {
  return opcode >= op::kLeSetAdvertisingParameters && opcode <= op::kLeCreateConnection;
}

bool is_extended_advertising_command(uint16_t opcode) {
  return (opcode >= op::kLeSetAdvertisingSetRandomAddress &&
          opcode <= op::kLeClearAdvertisingSets) ||
         (opcode >= op::kLeSetExtendedScanParameters && opcode <= op::kLeExtendedCreateConnection);
}

// Legacy PDUs through the extended commands (7.8.53): ADV_IND, ADV_DIRECT_IND
// low and high duty, ADV_SCAN_IND, ADV_NONCONN_IND.
bool valid_properties(uint16_t p) {
  if (p & 0x10) return p == 0x13 || p == 0x15 || p == 0x1D || p == 0x12 || p == 0x10;
  // Extended PDUs: not both connectable and scannable, no high duty cycle
  // unless directed, no bits above 6.
  if ((p & 0x03) == 0x03 || p > 0x7F) return false;
  return !(p & 0x08) || (p & 0x04);
}

uint32_t le24(ByteReader& r) {
  uint32_t lo = r.le16();
  return lo | (uint32_t(r.u8()) << 16);
}

}  // namespace

bool FakeController::advertising_api_allowed(uint16_t opcode) {
  const bool legacy = is_legacy_advertising_command(opcode);
  const bool extended = is_extended_advertising_command(opcode);
  if (!legacy && !extended) return true;
  const AdvertisingApi kind = legacy ? AdvertisingApi::kLegacy : AdvertisingApi::kExtended;
  if (adv_api_ == AdvertisingApi::kNone) adv_api_ = kind;
  if (adv_api_ == kind) return true;
  violation(&Violations::mixed_advertising,
            hex16(opcode) + " after the other advertising API's commands (3.1.1)");
  respond_failure(opcode, kCommandDisallowed, {});
  return false;
}

AdvertisingSetInfo* FakeController::find_set(uint8_t handle) {
  for (auto& set : sets_)
    if (set.handle == handle) return &set;
  return nullptr;
}

std::optional<Address> FakeController::set_address(const AdvertisingSetInfo& set) const {
  // A set's random address is its own (7.8.52); 0x02/0x03 fall back as for
  // legacy advertising (own_address()).
  if (set.own_address_type & 0x01) return set.random_address;
  return public_address_;
}

// 7.8.56: Enable, Number_of_Sets, then per set Advertising_Handle, Duration
// (10 ms), Max_Extended_Advertising_Events. Disabling with no sets disables all.
void FakeController::enable_sets(uint16_t opcode, ByteReader& r, Bytes params) {
  auto fail = [&](uint8_t status) { respond_failure(opcode, status, params); };
  const uint8_t enable = r.u8(), count = r.u8();
  if (enable > 1 || params.size() != 2 + 4 * size_t(count) || (enable && count == 0))
    return fail(kInvalidParameters);
  struct Entry {
    uint8_t handle;
    uint16_t duration;
    uint8_t max_events;
  };
  std::vector<Entry> entries;
  for (uint8_t i = 0; i < count; ++i) {
    Entry e{r.u8(), r.le16(), r.u8()};
    AdvertisingSetInfo* set = find_set(e.handle);
    if (!set) return fail(kUnknownAdvertisingId);
    if (enable && !set_address(*set)) return fail(kInvalidParameters);
    entries.push_back(e);
  }
  if (!enable) {
    for (auto& set : sets_)
      if (count == 0 || std::any_of(entries.begin(), entries.end(),
                                    [&](const Entry& e) { return e.handle == set.handle; })) {
        set.enabled = false;
        ++set_generation_[set.handle];
      }
    command_complete(opcode, {kSuccess});
    return;
  }
  for (const Entry& e : entries) {
    AdvertisingSetInfo& set = *find_set(e.handle);
    set.enabled = true;
    const uint64_t gen = ++set_generation_[e.handle];
    // Duration, or Max_Extended_Advertising_Events at the minimum interval,
    // ends the set with Advertising Set Terminated (7.7.65.18).
    const uint8_t handle = e.handle;
    auto end_after = [&](Duration d, uint8_t status, uint8_t events) {
      air_.schedule(d, [this, handle, gen, status, events] {
        AdvertisingSetInfo* s = find_set(handle);
        if (!s || !s->enabled || set_generation_[handle] != gen) return;
        s->enabled = false;
        send_le_event(kLeAdvertisingSetTerminated,
                      W().u8(status).u8(handle).le16(0).u8(events).take());
      });
    };
    if (e.duration)
      end_after(Duration(int64_t(e.duration) * 10), kAdvertisingTimeout, 0);
    else if (e.max_events)
      end_after(Duration(int64_t(e.max_events) * set.interval_min * 5 / 8), kLimitReached,
                e.max_events);
  }
  command_complete(opcode, {kSuccess});
  air_.report_to_scanners(*this);
  air_.try_connect_all();
}

bool FakeController::dispatch_ext(uint16_t opcode, Bytes params) {
  ByteReader r(params);
  auto ok = [&] {
    command_complete(opcode, {kSuccess});
    return true;
  };
  auto fail = [&](uint8_t status) {
    respond_failure(opcode, status, params);
    return true;
  };
  const uint8_t supported_phys = uint8_t(0x01 | (phy_2m_ ? 0x02 : 0) | (phy_coded_ ? 0x04 : 0));

  switch (opcode) {
    case op::kLeReadPhy: {  // 7.8.47
      uint16_t h = r.le16();
      auto info = link(h & 0x0FFF);
      if (!info) return fail(kUnknownConnectionId);
      command_complete(opcode, W().u8(kSuccess).le16(h).u8(info->tx_phy).u8(info->rx_phy).take());
      return true;
    }
    case op::kLeSetDefaultPhy: {  // 7.8.48
      const uint8_t all = r.u8(), tx = r.u8(), rx = r.u8();
      if (all > 0x03 || (!(all & 0x01) && (tx == 0 || tx > 0x07)) ||
          (!(all & 0x02) && (rx == 0 || rx > 0x07)))
        return fail(kInvalidParameters);
      if ((!(all & 0x01) && (tx & ~supported_phys)) || (!(all & 0x02) && (rx & ~supported_phys)))
        return fail(kUnsupportedFeature);
      default_tx_phys_ = (all & 0x01) ? 0x07 : tx;
      default_rx_phys_ = (all & 0x02) ? 0x07 : rx;
      return ok();
    }
    case op::kLeSetPhy: {  // 7.8.49 -> 7.7.65.12 LE PHY Update Complete
      const uint16_t h = r.le16() & 0x0FFF;
      const uint8_t all = r.u8(), tx = r.u8(), rx = r.u8();
      FakeAir::Link* l = air_.find_link(*this, h);
      if (!l) return fail(kUnknownConnectionId);
      if (all > 0x03 || (!(all & 0x01) && (tx == 0 || tx > 0x07)) ||
          (!(all & 0x02) && (rx == 0 || rx > 0x07)))
        return fail(kInvalidParameters);
      command_status(opcode, kSuccess);
      FakeAir::Side& me = air_.side_of(*l, *this);
      FakeAir::Side& peer = air_.other_side(*l, *this);
      const FakeController& p = *peer.controller;
      const uint8_t peer_phys = uint8_t(0x01 | (p.phy_2m_ ? 0x02 : 0) | (p.phy_coded_ ? 0x04 : 0));
      // Each direction: the fastest PHY both hosts allow and both link
      // layers support (2M, then 1M, then Coded); unchanged when none.
      auto pick = [&](uint8_t ours, uint8_t theirs, uint8_t current) -> uint8_t {
        const uint8_t both = ours & theirs & supported_phys & peer_phys;
        return (both & 0x02) ? 2 : (both & 0x01) ? 1 : (both & 0x04) ? 3 : current;
      };
      const uint8_t new_tx =
          pick((all & 0x01) ? 0x07 : tx, peer.attached ? p.default_rx_phys_ : 0, me.tx_phy);
      const uint8_t new_rx =
          pick((all & 0x02) ? 0x07 : rx, peer.attached ? p.default_tx_phys_ : 0, peer.tx_phy);
      const bool changed = new_tx != me.tx_phy || new_rx != peer.tx_phy;
      me.tx_phy = new_tx;
      peer.tx_phy = new_rx;
      // The initiating host always hears the outcome, the peer's host only of
      // a change (7.7.65.12).
      send_le_event(kLePhyUpdateComplete, W().u8(kSuccess).le16(h).u8(new_tx).u8(new_rx).take());
      if (changed && peer.attached)
        peer.controller->send_le_event(
            kLePhyUpdateComplete, W().u8(kSuccess).le16(peer.handle).u8(new_rx).u8(new_tx).take());
      return true;
    }
    case op::kLeSetAdvertisingSetRandomAddress: {  // 7.8.52
      AdvertisingSetInfo* set = find_set(r.u8());
      if (!set) return fail(kUnknownAdvertisingId);
      if (set->enabled && (set->properties & 0x01)) return fail(kCommandDisallowed);
      set->random_address = read_address(r, 0x01);
      return ok();
    }
    case op::kLeSetExtendedAdvertisingParameters: {  // 7.8.53 (v1)
      const uint8_t handle = r.u8();
      AdvertisingSetInfo p;
      p.handle = handle;
      p.properties = r.le16();
      p.interval_min = le24(r);
      p.interval_max = le24(r);
      const uint8_t channel_map = r.u8();
      p.own_address_type = r.u8();
      const uint8_t peer_type = r.u8();
      p.peer = read_address(r, peer_type);
      p.filter_policy = r.u8();
      r.u8();  // Advertising_TX_Power: no preference honoured
      p.primary_phy = r.u8();
      r.u8();  // Secondary_Advertising_Max_Skip
      p.secondary_phy = r.u8();
      p.sid = r.u8();
      r.u8();  // Scan_Request_Notification_Enable
      AdvertisingSetInfo* existing = find_set(handle);
      if (existing && existing->enabled) return fail(kCommandDisallowed);
      if (handle > 0xEF || !valid_properties(p.properties) || p.interval_min < 0x20 ||
          p.interval_min > p.interval_max || channel_map == 0 || channel_map > 0x07 ||
          p.own_address_type > 0x03 || peer_type > 0x01 || p.filter_policy > 0x03 ||
          (p.primary_phy != 1 && p.primary_phy != 3) || p.secondary_phy < 1 ||
          p.secondary_phy > 3 || p.sid > 0x0F)
        return fail(kInvalidParameters);
      if (((p.primary_phy | p.secondary_phy) == 3 && !phy_coded_) ||
          (p.secondary_phy == 2 && !phy_2m_))
        return fail(kUnsupportedFeature);
      if (existing) {
        p.random_address = existing->random_address;
        p.data = std::move(existing->data);
        p.scan_response = std::move(existing->scan_response);
        *existing = std::move(p);
      } else {
        if (sets_.size() >= max_sets_) return fail(kMemoryCapacityExceeded);
        sets_.push_back(std::move(p));
      }
      command_complete(opcode, W().u8(kSuccess).u8(0x00).take());  // Selected_TX_Power 0 dBm
      return true;
    }
    case op::kLeSetExtendedAdvertisingData:     // 7.8.54
    case op::kLeSetExtendedScanResponseData: {  // 7.8.55
      // Advertising_Handle, Operation, Fragment_Preference, Data_Length, Data.
      if (params.size() < 4 || params[3] != params.size() - 4 || params[3] > 251)
        return fail(kInvalidParameters);
      AdvertisingSetInfo* set = find_set(r.u8());
      if (!set) return fail(kUnknownAdvertisingId);
      const uint8_t operation = r.u8();
      r.u8();
      Bytes data = params.subspan(4);
      std::vector<uint8_t>& buf =
          opcode == op::kLeSetExtendedAdvertisingData ? set->data : set->scan_response;
      const bool legacy = set->properties & 0x10;
      if (operation > 0x04 || (operation == 0x04 && !data.empty())) return fail(kInvalidParameters);
      // Legacy PDUs carry at most 31 octets, in one complete operation.
      if (legacy && (operation != 0x03 || data.size() > 31)) return fail(kInvalidParameters);
      // An enabled set takes only complete data (or a new DID) (7.8.54).
      if (set->enabled && operation != 0x03 && operation != 0x04) return fail(kCommandDisallowed);
      if (operation == 0x04) return ok();
      if (operation == 0x01 || operation == 0x03) buf.clear();
      if (buf.size() + data.size() > kExtendedAdvertisingDataMax)
        return fail(kMemoryCapacityExceeded);
      buf.insert(buf.end(), data.begin(), data.end());
      ok();
      if (set->enabled) air_.report_to_scanners(*this);
      return true;
    }
    case op::kLeSetExtendedAdvertisingEnable:  // 7.8.56
      enable_sets(opcode, r, params);
      return true;
    case op::kLeReadMaximumAdvertisingDataLength:  // 7.8.57
      command_complete(opcode, W().u8(kSuccess).le16(kExtendedAdvertisingDataMax).take());
      return true;
    case op::kLeReadNumberOfSupportedAdvertisingSets:  // 7.8.58
      command_complete(opcode, W().u8(kSuccess).u8(max_sets_).take());
      return true;
    case op::kLeRemoveAdvertisingSet: {  // 7.8.59
      const uint8_t handle = r.u8();
      AdvertisingSetInfo* set = find_set(handle);
      if (!set) return fail(kUnknownAdvertisingId);
      if (set->enabled) return fail(kCommandDisallowed);
      sets_.erase(sets_.begin() + (set - sets_.data()));
      return ok();
    }
    case op::kLeClearAdvertisingSets:  // 7.8.60
      for (const auto& set : sets_)
        if (set.enabled) return fail(kCommandDisallowed);
      sets_.clear();
      return ok();
    case op::kLeSetExtendedScanParameters: {  // 7.8.64
      // Own_Address_Type, Scanning_Filter_Policy, Scanning_PHYs, then per PHY
      // Scan_Type, Scan_Interval, Scan_Window.
      if (params.size() < 3) return fail(kInvalidParameters);
      const uint8_t own = r.u8(), filter = r.u8(), phys = r.u8();
      const size_t n = size_t(__builtin_popcount(phys));
      if (params.size() != 3 + 5 * n || n == 0 || (phys & ~0x05) || own > 0x03 || filter > 0x03)
        return fail(kInvalidParameters);
      if ((phys & 0x04) && !phy_coded_) return fail(kUnsupportedFeature);
      if (scanning_) return fail(kCommandDisallowed);
      const uint8_t type = r.u8();
      if (type > 0x01) return fail(kInvalidParameters);
      scan_own_address_type_ = own;
      scan_filter_policy_ = filter;
      scan_type_ = type;
      return ok();
    }
    case op::kLeSetExtendedScanEnable: {  // 7.8.65
      const uint8_t enable = r.u8(), dup = r.u8();
      if (enable > 1 || dup > 2) return fail(kInvalidParameters);
      const bool starting = enable && !scanning_;
      if (enable && !own_address(scan_own_address_type_)) return fail(kInvalidParameters);
      scanning_ = enable;
      scan_extended_ = enable;
      filter_duplicates_ = dup != 0;
      if (starting) reported_.clear();
      ok();
      if (starting) air_.report_all_to(*this);
      return true;
    }
    case op::kLeExtendedCreateConnection: {  // 7.8.66
      // Initiator_Filter_Policy, Own_Address_Type, Peer_Address_Type,
      // Peer_Address, Initiating_PHYs, then per PHY 16 octets of parameters.
      if (params.size() < 10) return fail(kInvalidParameters);
      Initiation in{};
      in.filter_policy = r.u8();
      in.own_address_type = r.u8();
      const uint8_t peer_type = r.u8();
      in.peer = read_address(r, peer_type);
      const uint8_t phys = r.u8();
      const size_t n = size_t(__builtin_popcount(phys));
      if (params.size() != 10 + 16 * n || n == 0 || (phys & ~0x07) || in.filter_policy > 0x01 ||
          in.own_address_type > 0x03 || peer_type > 0x03)
        return fail(kInvalidParameters);
      if (((phys & 0x02) && !phy_2m_) || ((phys & 0x04) && !phy_coded_))
        return fail(kUnsupportedFeature);
      // The advertisement is found on 1M (or Coded); the first PHY's entry
      // gives the connection's parameters.
      if (!(phys & 0x05)) return fail(kInvalidParameters);
      r.le16();  // Scan_Interval
      r.le16();  // Scan_Window
      in.interval_min = r.le16();
      in.interval_max = r.le16();
      in.latency = r.le16();
      in.timeout = r.le16();
      in.extended = true;
      in.phy = (phys & 0x01) ? 1 : 3;
      if (initiation_) return fail(kCommandDisallowed);
      if (!valid_conn_params(in.interval_min, in.interval_max, in.latency, in.timeout))
        return fail(kInvalidParameters);
      if (!own_address(in.own_address_type)) return fail(kInvalidParameters);
      command_status(opcode, kSuccess);
      initiation_ = in;
      air_.try_connect(*this);
      return true;
    }
    default:
      return false;
  }
}

}  // namespace sable::testing
