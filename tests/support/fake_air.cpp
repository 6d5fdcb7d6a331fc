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

// Legacy advertising types as extended Advertising_Event_Properties (7.8.53):
// ADV_IND, ADV_DIRECT_IND (high duty), ADV_SCAN_IND, ADV_NONCONN_IND,
// ADV_DIRECT_IND (low duty).
constexpr uint16_t kLegacyProperties[] = {0x13, 0x1D, 0x12, 0x10, 0x15};

std::vector<FakeAir::Advert> FakeAir::adverts_of(FakeController& c) {
  std::vector<Advert> out;
  if (c.advertising_ && c.adv_.type <= 0x04) {
    std::optional<Address> a = c.own_address(c.adv_.own_address_type);
    if (a)
      out.push_back({&c, nullptr, kLegacyProperties[c.adv_.type], *a, c.adv_.peer,
                     c.adv_.filter_policy, &c.adv_data_, &c.scan_rsp_data_, 1, 0, 0xFF});
  }
  for (const auto& set : c.sets_) {
    if (!set.enabled) continue;
    std::optional<Address> a = c.set_address(set);
    if (!a) continue;
    const bool legacy = set.properties & 0x10;
    out.push_back({&c, &set, set.properties, *a, set.peer, set.filter_policy, &set.data,
                   &set.scan_response, set.primary_phy, uint8_t(legacy ? 0 : set.secondary_phy),
                   uint8_t(legacy ? 0xFF : set.sid)});
  }
  return out;
}

void FakeAir::report_all_to(FakeController& scanner) {
  for (auto& c : controllers_)
    if (c.get() != &scanner)
      for (const Advert& a : adverts_of(*c)) report(a, scanner);
}

void FakeAir::report_to_scanners(FakeController& advertiser) {
  auto adverts = adverts_of(advertiser);
  for (auto& s : controllers_)
    if (s.get() != &advertiser && s->scanning_)
      for (const Advert& a : adverts) report(a, *s);
}

// 7.7.65.2 LE Advertising Report for a legacy scanner: Num_Reports (1 here),
// Event_Type, Address_Type, Address, Data_Length, Data, RSSI; an extended
// scanner gets 7.7.65.13 (report_extended).
void FakeAir::report(const Advert& adv, FakeController& scanner) {
  std::optional<Address> scanner_addr = scanner.own_address(scanner.scan_own_address_type_);
  if (!scanner_addr) return;
  const uint16_t props = adv.properties;
  const bool directed = props & 0x04;
  if (directed && !same_air_address(adv.peer, *scanner_addr)) return;
  // Scanner filter policy 0x01/0x03: only advertisers on the accept list.
  if ((scanner.scan_filter_policy_ & 0x01) && !scanner.in_accept_list(adv.address)) return;
  // Active scanning: SCAN_REQ to scannable advertisers, answered by a scan
  // response unless the advertiser filters scan requests by its accept list.
  const bool answers_scan =
      scanner.scan_type_ == 0x01 && (props & 0x02) &&
      (!(adv.filter_policy & 0x01) || adv.controller->in_accept_list(*scanner_addr));
  if (scanner.scan_extended_) {
    report_extended(adv, scanner, false, *scanner_addr);
    if (answers_scan) report_extended(adv, scanner, true, *scanner_addr);
    return;
  }
  // A legacy scanner hears legacy PDUs only (Vol 6 Part B 2.3).
  if (!(props & 0x10)) return;
  auto emit = [&](uint8_t event_type, const std::vector<uint8_t>& data) {
    auto key = std::make_tuple(adv.address.bytes, air_type(adv.address), event_type, uint8_t(0));
    if (scanner.filter_duplicates_ && scanner.reported_.count(key)) return;
    scanner.reported_.insert(key);
    scanner.send_le_event(kLeAdvertisingReport, W().u8(1)
                                                    .u8(event_type)
                                                    .u8(air_type(adv.address))
                                                    .addr(adv.address)
                                                    .u8(uint8_t(data.size()))
                                                    .bytes(data)
                                                    .u8(uint8_t(adv.controller->rssi_))
                                                    .take());
  };
  // Report event types by legacy type; both directed kinds report as
  // ADV_DIRECT_IND (0x01) with no data.
  const uint8_t type = directed ? 0x01 : (props & 0x01) ? 0x00 : (props & 0x02) ? 0x02 : 0x03;
  emit(type, directed ? std::vector<uint8_t>{} : *adv.data);
  if (answers_scan) emit(0x04, *adv.scan_response);
}

// 7.7.65.13 LE Extended Advertising Report: data longer than one report goes
// in several, all but the last with Data_Status 0b01 (more to come).
void FakeAir::report_extended(const Advert& adv, FakeController& scanner, bool scan_response,
                              const Address& scanner_address) {
  const uint16_t props = adv.properties;
  const bool legacy = props & 0x10;
  uint16_t event_type = props & 0x17;               // connectable, scannable, directed, legacy
  if (legacy && (props & 0x04)) event_type = 0x15;  // both directed kinds
  if (scan_response)
    event_type = legacy ? uint16_t(0x18 | (props & 0x03)) : uint16_t(0x08 | (props & 0x03));
  const std::vector<uint8_t>& data = scan_response              ? *adv.scan_response
                                     : (props & 0x04) && legacy ? std::vector<uint8_t>{}
                                                                : *adv.data;
  auto key =
      std::make_tuple(adv.address.bytes, air_type(adv.address), uint8_t(event_type), adv.sid);
  if (scanner.filter_duplicates_ && scanner.reported_.count(key)) return;
  scanner.reported_.insert(key);
  const std::array<uint8_t, 6> none{};
  size_t offset = 0;
  do {
    const size_t chunk = std::min<size_t>(data.size() - offset, kExtendedReportDataMax);
    const bool more = offset + chunk < data.size();
    W w;
    w.u8(1).le16(uint16_t(event_type | (more ? 0x20 : 0x00)));
    w.u8(air_type(adv.address)).addr(adv.address);
    w.u8(adv.primary_phy).u8(adv.secondary_phy).u8(adv.sid);
    w.u8(0x7F).u8(uint8_t(adv.controller->rssi_)).le16(0);  // Tx power n/a, no periodic
    if (props & 0x04)
      w.u8(air_type(scanner_address)).addr(scanner_address);
    else
      w.u8(0).bytes(none);
    w.u8(uint8_t(chunk)).bytes(Bytes(data.data() + offset, chunk));
    scanner.send_le_event(kLeExtendedAdvertisingReport, w.take());
    offset += chunk;
  } while (offset < data.size());
}

std::optional<FakeAir::Advert> FakeAir::find_advertiser_for(FakeController& init) {
  const auto& in = *init.initiation_;
  std::optional<Address> init_addr = init.own_address(in.own_address_type);
  if (!init_addr) return std::nullopt;
  for (auto& up : controllers_) {
    FakeController& c = *up;
    if (&c == &init || c.handles_.size() >= kMaxLinksPerController) continue;
    for (const Advert& adv : adverts_of(c)) {
      if (!(adv.properties & 0x01)) continue;  // not connectable
      // A legacy initiator answers legacy PDUs only.
      if (!in.extended && !(adv.properties & 0x10)) continue;
      if (in.filter_policy == 0x00 ? !same_air_address(in.peer, adv.address)
                                   : !init.in_accept_list(adv.address))
        continue;
      if ((adv.properties & 0x04) && !same_air_address(adv.peer, *init_addr)) continue;
      if ((adv.filter_policy & 0x02) && !c.in_accept_list(*init_addr)) continue;
      return adv;
    }
  }
  return std::nullopt;
}

void FakeAir::try_connect(FakeController& init) {
  if (!init.initiation_ || init.initiation_->connect_scheduled) return;
  std::optional<Advert> adv = find_advertiser_for(init);
  if (!adv) return;  // stays pending until an advertiser appears or a cancel
  if (connection_delay_.count() == 0) {
    establish(init, *adv);
    return;
  }
  init.initiation_->connect_scheduled = true;
  schedule(connection_delay_, [this, &init] {
    if (!init.initiation_) return;
    init.initiation_->connect_scheduled = false;
    if (std::optional<Advert> a = find_advertiser_for(init)) establish(init, *a);
  });
}

void FakeAir::try_connect_all() {
  for (auto& c : controllers_) try_connect(*c);
}

// 7.7.65.1 LE Connection Complete / 7.7.65.10 LE Enhanced Connection Complete
// on both sides; the advertiser stops advertising (Vol 6 Part B 4.4.2).
void FakeAir::establish(FakeController& init, const Advert& advert) {
  const auto in = *init.initiation_;
  init.initiation_.reset();
  FakeController& adv = *advert.controller;
  const Address adv_address = advert.address;
  std::optional<uint8_t> ended_set;
  if (advert.set) {
    // Only the set that accepted the connection ends (7.7.65.18).
    ended_set = advert.set->handle;
    adv.find_set(*ended_set)->enabled = false;
    ++adv.set_generation_[*ended_set];
  } else {
    adv.advertising_ = false;
    ++adv.adv_generation_;
  }

  Link l;
  l.id = next_link_id_++;
  l.central = {&init, init.allocate_handle(), *init.own_address(in.own_address_type), true, 27,
               in.phy};
  l.peripheral = {&adv, adv.allocate_handle(), adv_address, true, 27, in.phy};
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
  // 7.7.65.18 LE Advertising Set Terminated, after the connection's event:
  // Status, Advertising_Handle, Connection_Handle, Num_Completed_Extended_
  // Advertising_Events.
  if (ended_set)
    adv.send_le_event(kLeAdvertisingSetTerminated,
                      W().u8(kSuccess).u8(*ended_set).le16(l.peripheral.handle).u8(1).take());
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
