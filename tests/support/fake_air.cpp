// In-process fake LE controllers: the air between them (links, advertising
// reports, connection set-up). All spec references are Core 5.4, Vol 4 Part E
// unless stated otherwise.
#include "support/fake_controller.hpp"
#include "support/fake_internal.hpp"

namespace sable::testing {

using namespace fake;

// ---------------------------------------------------------------- air

FakeAir::~FakeAir() = default;

FakeController& FakeAir::add_controller(Address public_address) {
  controllers_.push_back(std::unique_ptr<FakeController>(
      new FakeController(*this, controllers_.size(), public_address)));
  return *controllers_.back();
}

void FakeAir::to_host(FakeController& c, HciPacketType type, std::vector<uint8_t> bytes) {
  queue_.push_back({true, &c, type, std::move(bytes)});
}

void FakeAir::schedule(Duration delay, std::function<void()> fire) {
  timers_.push_back({now_ + delay, timer_seq_++, std::move(fire)});
}

void FakeAir::advance(Duration d) {
  const TimePoint target = now_ + d;
  for (;;) {
    auto it = std::min_element(timers_.begin(), timers_.end(), [](const Timer& a, const Timer& b) {
      return a.at != b.at ? a.at < b.at : a.seq < b.seq;
    });
    if (it == timers_.end() || it->at > target) break;
    Timer t = std::move(*it);
    timers_.erase(it);
    now_ = std::max(now_, t.at);
    t.fire();
  }
  now_ = target;
}

bool FakeAir::run_until_idle() {
  if (running_) return false;
  running_ = true;
  bool any = false;
  size_t steps = 0;
  while (!queue_.empty()) {
    if (++steps > 1000000) {
      livelocked_ = true;
      std::fprintf(stderr, "FakeAir: run_until_idle gave up after 1000000 steps\n");
      break;
    }
    any = true;
    Work w = std::move(queue_.front());
    queue_.pop_front();
    FakeController& c = *w.controller;
    if (!w.to_host) {
      if (w.type == HciPacketType::kCommand)
        c.handle_command(w.bytes);
      else
        c.handle_acl(w.bytes);
      continue;
    }
    c.on_delivered(w.type, w.bytes);
    c.log_.push_back({Direction::kControllerToHost, w.type, w.bytes, now_});
    if (c.sink_) c.sink_(w.type, Bytes(w.bytes));
  }
  running_ = false;
  return any;
}

FakeAir::Link* FakeAir::find_link(const FakeController& c, uint16_t handle) {
  auto it = c.handles_.find(handle);
  if (it == c.handles_.end()) return nullptr;
  auto l = links_.find(it->second);
  return l == links_.end() ? nullptr : &l->second;
}

const FakeAir::Link* FakeAir::find_link(const FakeController& c, uint16_t handle) const {
  return const_cast<FakeAir*>(this)->find_link(c, handle);
}

FakeAir::Side& FakeAir::side_of(Link& link, const FakeController& c) {
  return link.central.controller == &c ? link.central : link.peripheral;
}

FakeAir::Side& FakeAir::other_side(Link& link, const FakeController& c) {
  return link.central.controller == &c ? link.peripheral : link.central;
}

void FakeAir::remove_link(uint64_t id) {
  auto it = links_.find(id);
  if (it == links_.end()) return;
  for (Side* s : {&it->second.central, &it->second.peripheral}) {
    if (!s->attached) continue;
    s->controller->handles_.erase(s->handle);
    s->controller->held_completions_.erase(s->handle);
  }
  links_.erase(it);
}

// 7.7.5 Disconnection Complete: Status, Connection_Handle, Reason. The
// initiator's host gets local_reason, the other remote_reason; with no
// initiator (link loss, MIC failure) both get local_reason.
void FakeAir::disconnect(Link& link, uint8_t local_reason, const FakeController* initiator,
                         uint8_t remote_reason) {
  for (Side* s : {&link.central, &link.peripheral}) {
    if (!s->attached) continue;
    uint8_t reason =
        (initiator == nullptr || s->controller == initiator) ? local_reason : remote_reason;
    s->controller->send_event(kEvtDisconnectionComplete,
                              W().u8(kSuccess).le16(s->handle).u8(reason).take());
  }
  remove_link(link.id);
}

bool FakeAir::lose_link(FakeController& side, uint16_t handle) {
  Link* l = find_link(side, handle);
  if (!l) return false;
  disconnect(*l, kConnectionTimeout, nullptr, kConnectionTimeout);
  return true;
}

void FakeAir::detach(FakeController& c) {
  std::vector<uint64_t> ids;
  for (const auto& [h, id] : c.handles_) ids.push_back(id);
  for (uint64_t id : ids) {
    Link& l = links_.at(id);
    Side& mine = side_of(l, c);
    Side& peer = other_side(l, c);
    mine.attached = false;
    c.handles_.erase(mine.handle);
    if (!peer.attached) {
      links_.erase(id);
      continue;
    }
    // The peer stops hearing us: supervision timeout (10 ms units), then
    // Disconnection Complete with Connection Timeout.
    schedule(Duration(10 * uint32_t(l.timeout)), [this, id] {
      auto it = links_.find(id);
      if (it == links_.end()) return;
      disconnect(it->second, kConnectionTimeout, nullptr, kConnectionTimeout);
    });
  }
}

void FakeAir::report_all_to(FakeController& scanner) {
  for (auto& adv : controllers_)
    if (adv.get() != &scanner && adv->advertising_) report(*adv, scanner);
}

void FakeAir::report_to_scanners(FakeController& advertiser) {
  for (auto& s : controllers_)
    if (s.get() != &advertiser && s->scanning_) report(advertiser, *s);
}

// 7.7.65.2 LE Advertising Report: Num_Reports (1 here), Event_Type,
// Address_Type, Address, Data_Length, Data, RSSI.
void FakeAir::report(FakeController& adv, FakeController& scanner) {
  std::optional<Address> adv_addr = adv.own_address(adv.adv_.own_address_type);
  std::optional<Address> scanner_addr = scanner.own_address(scanner.scan_own_address_type_);
  if (!adv_addr || !scanner_addr) return;
  const uint8_t type = adv.adv_.type;
  const bool directed = type == 0x01 || type == 0x04;
  if (directed && !same_air_address(adv.adv_.peer, *scanner_addr)) return;
  // Scanner filter policy 0x01/0x03: only advertisers on the accept list.
  if ((scanner.scan_filter_policy_ & 0x01) && !scanner.in_accept_list(*adv_addr)) return;

  auto emit = [&](uint8_t event_type, const std::vector<uint8_t>& data) {
    auto key = std::make_tuple(adv_addr->bytes, air_type(*adv_addr), event_type);
    if (scanner.filter_duplicates_ && scanner.reported_.count(key)) return;
    scanner.reported_.insert(key);
    scanner.send_le_event(kLeAdvertisingReport, W().u8(1)
                                                    .u8(event_type)
                                                    .u8(air_type(*adv_addr))
                                                    .addr(*adv_addr)
                                                    .u8(uint8_t(data.size()))
                                                    .bytes(data)
                                                    .u8(uint8_t(adv.rssi_))
                                                    .take());
  };
  // Report event types match the legacy advertising types, except both
  // directed kinds report as ADV_DIRECT_IND (0x01) with no data.
  emit(directed ? 0x01 : type, directed ? std::vector<uint8_t>{} : adv.adv_data_);
  // Active scanning: SCAN_REQ to scannable advertisers, answered by SCAN_RSP
  // (0x04) unless the advertiser filters scan requests by its accept list.
  const bool scannable = type == 0x00 || type == 0x02;
  if (scanner.scan_type_ == 0x01 && scannable &&
      (!(adv.adv_.filter_policy & 0x01) || adv.in_accept_list(*scanner_addr)))
    emit(0x04, adv.scan_rsp_data_);
}

FakeController* FakeAir::find_advertiser_for(FakeController& init) {
  const auto& in = *init.initiation_;
  std::optional<Address> init_addr = init.own_address(in.own_address_type);
  if (!init_addr) return nullptr;
  for (auto& up : controllers_) {
    FakeController& adv = *up;
    if (&adv == &init || !adv.advertising_) continue;
    const uint8_t type = adv.adv_.type;
    if (type != 0x00 && type != 0x01 && type != 0x04) continue;  // not connectable
    if (adv.handles_.size() >= kMaxLinksPerController) continue;
    std::optional<Address> adv_addr = adv.own_address(adv.adv_.own_address_type);
    if (!adv_addr) continue;
    if (in.filter_policy == 0x00 ? !same_air_address(in.peer, *adv_addr)
                                 : !init.in_accept_list(*adv_addr))
      continue;
    if ((type == 0x01 || type == 0x04) && !same_air_address(adv.adv_.peer, *init_addr)) continue;
    if ((adv.adv_.filter_policy & 0x02) && !adv.in_accept_list(*init_addr)) continue;
    return &adv;
  }
  return nullptr;
}

void FakeAir::try_connect(FakeController& init) {
  if (!init.initiation_ || init.initiation_->connect_scheduled) return;
  FakeController* adv = find_advertiser_for(init);
  if (!adv) return;  // stays pending until an advertiser appears or a cancel
  if (connection_delay_.count() == 0) {
    establish(init, *adv);
    return;
  }
  init.initiation_->connect_scheduled = true;
  schedule(connection_delay_, [this, &init] {
    if (!init.initiation_) return;
    init.initiation_->connect_scheduled = false;
    if (FakeController* a = find_advertiser_for(init)) establish(init, *a);
  });
}

void FakeAir::try_connect_all() {
  for (auto& c : controllers_) try_connect(*c);
}

// 7.7.65.1 LE Connection Complete / 7.7.65.10 LE Enhanced Connection Complete
// on both sides; the advertiser stops advertising (Vol 6 Part B 4.4.2).
void FakeAir::establish(FakeController& init, FakeController& adv) {
  const auto in = *init.initiation_;
  init.initiation_.reset();
  adv.advertising_ = false;
  ++adv.adv_generation_;

  Link l;
  l.id = next_link_id_++;
  l.central = {&init, init.allocate_handle(), *init.own_address(in.own_address_type), true, 27};
  l.peripheral = {&adv, adv.allocate_handle(), *adv.own_address(adv.adv_.own_address_type), true,
                  27};
  l.interval = in.interval_min;
  l.latency = in.latency;
  l.timeout = in.timeout;
  init.handles_[l.central.handle] = l.id;
  adv.handles_[l.peripheral.handle] = l.id;
  links_[l.id] = l;

  auto announce = [&](const Side& me, const Side& peer, uint8_t role) {
    FakeController& c = *me.controller;
    const uint8_t sca = role == 0x01 ? 0x05 : 0x00;  // central's SCA, peripheral only
    // With the Enhanced Connection Complete bit set only that event is sent (7.7.65.10).
    const bool enhanced =
        c.apply_masks_ && (c.le_event_mask_ & (1ull << (kLeEnhancedConnectionComplete - 1)));
    W w;
    w.u8(kSuccess).le16(me.handle).u8(role).u8(air_type(peer.address)).addr(peer.address);
    if (enhanced) {
      const std::array<uint8_t, 6> none{};
      w.bytes(none).bytes(none);  // local / peer RPA: not used by this fake
    }
    w.le16(l.interval).le16(l.latency).le16(l.timeout).u8(sca);
    c.send_le_event(enhanced ? kLeEnhancedConnectionComplete : kLeConnectionComplete, w.take());
    // 7.7.65.20 LE Channel Selection Algorithm (only when unmasked): #1.
    if (c.apply_masks_ && (c.le_event_mask_ & (1ull << (kLeChannelSelectionAlgorithm - 1))))
      c.send_le_event(kLeChannelSelectionAlgorithm, W().le16(me.handle).u8(0x00).take());
  };
  announce(l.central, l.peripheral, 0x00);
  announce(l.peripheral, l.central, 0x01);
}

void FakeAir::start_param_update(Link& link, FakeController& from, uint16_t min, uint16_t max,
                                 uint16_t latency, uint16_t timeout) {
  if (!rcpr_) {
    apply_param_update(link, &from, kSuccess, min, latency, timeout);
    return;
  }
  Side& peer = other_side(link, from);
  if (!peer.attached) return;
  FakeController& p = *peer.controller;
  // 7.7.65.6: a host that masked the event cannot answer; its controller
  // rejects with Unsupported Remote Feature.
  if (p.apply_masks_ &&
      (!(p.le_event_mask_ & (1ull << (kLeRemoteConnectionParameterRequest - 1))) ||
       !(p.event_mask_ & (1ull << (kEvtLeMeta - 1))))) {
    apply_param_update(link, &from, kUnsupportedRemoteFeature, 0, 0, 0);
    return;
  }
  link.param_req_pending = true;
  link.param_req_from_central = link.central.controller == &from;
  // 7.7.65.6 LE Remote Connection Parameter Request: Handle, Interval_Min,
  // Interval_Max, Max_Latency, Timeout.
  p.send_le_event(kLeRemoteConnectionParameterRequest,
                  W().le16(peer.handle).le16(min).le16(max).le16(latency).le16(timeout).take());
}

// 7.7.65.3 LE Connection Update Complete: Status, Handle, Interval, Latency,
// Supervision_Timeout. On success both hosts get it; on failure only the
// initiator, with the unchanged parameters.
void FakeAir::apply_param_update(Link& link, FakeController* initiator, uint8_t status,
                                 uint16_t min, uint16_t latency, uint16_t timeout) {
  link.param_req_pending = false;
  if (status == kSuccess) {
    link.interval = min;
    link.latency = latency;
    link.timeout = timeout;
  }
  for (Side* s : {&link.central, &link.peripheral}) {
    if (!s->attached) continue;
    if (status != kSuccess && s->controller != initiator) continue;
    s->controller->send_le_event(kLeConnectionUpdateComplete, W().u8(status)
                                                                  .le16(s->handle)
                                                                  .le16(link.interval)
                                                                  .le16(link.latency)
                                                                  .le16(link.timeout)
                                                                  .take());
  }
}

}  // namespace sable::testing
