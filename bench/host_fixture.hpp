// Two real gap::Host instances on the in-process fake controller
// (tests/support), brought to the steady state of the reference program:
// connected, paired (LE SC passkey, MITM, bonded), ATT_MTU exchanged, the
// central subscribed to the characteristic's notifications.
//
// After setup the server host is cut off from its fake controller: whatever it
// sends is captured into a fixed buffer (no allocation, no queueing), and the
// benchmark feeds it HCI packets directly (an ATT request in an ACL packet, a
// Number Of Completed Packets event). The measured work is therefore exactly
// the host's: HCI/ACL decode, L2CAP, ATT/GATT, ACL fragmentation and credits.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gap/host.hpp"
#include "gatt/database.hpp"
#include "support/deterministic_random.hpp"
#include "support/fake_controller.hpp"
#include "support/reference_profile.hpp"

namespace sable::bench {

inline const Uuid& kService = testing::kReferenceService;
inline const Uuid& kCharacteristic = testing::kReferenceCharacteristic;
// A second characteristic for Write Requests (authenticated write, 20 octets).
inline const Uuid kWritable = *Uuid::parse("681285a6-247f-48c6-80ad-68c3dce18586");

// Delivers what the fake air holds until nothing more happens.
inline void run_air(testing::FakeAir& air) {
  for (int i = 0; i < 1000 && air.run_until_idle(); ++i) {
  }
}

// Moves the air's clock on by d, firing the two hosts' timers as they fall
// due (fire(host) runs one host's on_timeout) and delivering what follows.
template <class Fire>
void advance_air(testing::FakeAir& air, gap::Host& a, gap::Host& b, Duration d, Fire fire) {
  TimePoint target = air.now() + d;
  for (;;) {
    TimePoint next = std::min(a.next_deadline(), b.next_deadline());
    if (next > target) break;
    if (next > air.now()) air.advance(next - air.now());
    for (gap::Host* h : {&a, &b})
      if (h->next_deadline() <= air.now()) fire(*h);
    run_air(air);
  }
  if (target > air.now()) air.advance(target - air.now());
  run_air(air);
}

// What the benchmarks' hosts note of their listener's events.
class BenchListener : public gap::HostListener {
 public:
  void on_ready() override { ready = true; }
  void on_fatal(const Error&) override { fatal = true; }
  void on_connected(const ConnDesc& d) override { handle = d.handle; }
  void on_disconnected(const ConnDesc&, uint8_t) override { handle.reset(); }
  void on_pairing_complete(const ConnDesc&) override { paired = true; }

  bool ready = false;
  bool fatal = false;
  bool paired = false;
  std::optional<uint16_t> handle;  // the current link's
};

// One host wired to a fake controller, or (capture mode) to a buffer.
class BenchHost final : public hci::Sender, public BenchListener {
 public:
  BenchHost(testing::FakeAir& air, testing::FakeController& controller,
            const gap::HostConfig& config, uint64_t seed)
      : air_(air), controller_(controller), random_(seed), host_(config, *this, *this, random_) {
    controller_.set_host_sink([this](HciPacketType type, Bytes packet) {
      if (!detached_) host_.on_hci_packet(air_.now(), type, packet);
    });
  }
  gap::Host& host() { return host_; }

  // From now on nothing goes to or comes from the fake controller.
  void detach() { detached_ = true; }

  void send_hci(HciPacketType type, Bytes packet) override {
    if (!detached_) {
      controller_.from_host(type, packet);
      return;
    }
    ++sent_packets;
    if (type == HciPacketType::kAcl) ++sent_acl;
    last_length = packet.size() < last.size() ? packet.size() : last.size();
    std::memcpy(last.data(), packet.data(), last_length);
  }

  void on_passkey_request(const ConnDesc& d) override {
    (void)host_.passkey_reply(air_.now(), d.handle, passkey_to_enter);
  }
  void on_numeric_comparison(const ConnDesc& d, uint32_t) override {
    (void)host_.numeric_comparison_reply(air_.now(), d.handle, true);
  }

  std::optional<uint32_t> passkey_to_enter;
  uint64_t sent_packets = 0;
  uint64_t sent_acl = 0;
  std::array<uint8_t, 600> last{};
  size_t last_length = 0;

 private:
  testing::FakeAir& air_;
  testing::FakeController& controller_;
  testing::DeterministicRandom random_;
  gap::Host host_;
  bool detached_ = false;
};

// The reference program's database plus one writable characteristic.
inline gatt::Database bench_database() {
  gatt::CharacteristicDef w;
  w.type = kWritable;
  w.properties = gatt::prop::kRead | gatt::prop::kWrite;
  w.access.read = gatt::Permissions::authenticated();
  w.access.write = gatt::Permissions::authenticated();
  w.value.assign(20, 0);
  w.max_length = 20;
  std::vector<gatt::CharacteristicDef> extra;
  extra.push_back(std::move(w));
  return testing::reference_database(std::move(extra));
}

// The central of the benchmarks: bonding, MITM, LE SC, keyboard and display.
inline gap::HostConfig bench_central_config() {
  gap::HostConfig cc;
  cc.security.auth = AuthReq::bond() | AuthReq::mitm() | AuthReq::sc();
  cc.security.io_cap = IoCap::KeyboardDisplay;
  return cc;
}

// The handles of bench_database() the benchmarks use.
struct BenchHandles {
  uint16_t value = 0;  // the reference characteristic's value (notified)
  uint16_t cccd = 0;
  uint16_t write = 0;  // the writable characteristic's value
};

// Brings both hosts up, the server with `db` and its advertising data (name)
// set, not yet advertising.
inline BenchHandles start_hosts(testing::FakeAir& air, gap::Host& server, gap::Host& central,
                                gatt::Database& db) {
  server.set_database(&db);
  server.start(air.now());
  central.start(air.now());
  run_air(air);
  auto chr = *db.find_characteristic(kService, kCharacteristic);
  BenchHandles h{chr.value, chr.cccd, db.find_characteristic(kService, kWritable)->value};
  (void)server.set_advertising_data(air.now(),
                                    AdvertisementData().name(testing::kReferenceDeviceName));
  return h;
}

// Server and central, paired and subscribed, MTU exchanged to `mtu`.
class SteadyState {
 public:
  explicit SteadyState(uint16_t mtu) {
    gap::HostConfig sc = testing::reference_server_config();
    sc.max_att_mtu = mtu;
    gap::HostConfig cc = bench_central_config();
    cc.max_att_mtu = mtu;
    auto& server_ctl = air_.add_controller(*Address::parse("00:AA:01:00:00:01"));
    auto& central_ctl = air_.add_controller(*Address::parse("00:AA:01:01:00:02"));
    server_ = std::make_unique<BenchHost>(air_, server_ctl, sc, 1);
    central_ = std::make_unique<BenchHost>(air_, central_ctl, cc, 2);
    central_->passkey_to_enter = 123456;
    const BenchHandles h = start_hosts(air_, server_->host(), central_->host(), db_);
    value_handle = h.value;
    cccd_handle = h.cccd;
    write_handle = h.write;
    (void)server_->host().start_advertising(air_.now());
    advance(Duration(10));
    (void)central_->host().connect(air_.now(), server_ctl.address());
    advance(Duration(100));
    if (!central_->handle || !server_->handle) return;
    (void)central_->host().pair(air_.now(), *central_->handle);
    advance(Duration(200));
    gatt::Client* client = central_->host().gatt_client(*central_->handle);
    if (client == nullptr || !central_->paired) return;
    client->exchange_mtu(air_.now(), [](gatt::ClientResult<uint16_t>) {});
    run();
    bool subscribed = false;
    client->subscribe(
        air_.now(), value_handle, cccd_handle, false,
        [this](uint16_t, Bytes, bool) { ++notifications_received; },
        [&subscribed](gatt::ClientResult<void> r) { subscribed = r.ok(); });
    run();
    if (!subscribed) return;
    server_handle = *server_->handle;
    auto desc = server_->host().connection(server_handle);
    att_mtu = desc ? desc->mtu : 0;
    ok = att_mtu == mtu;
    server_->detach();
    // Number Of Completed Packets: one packet on the server's link.
    nocp_ = {0x13, 0x05, 0x01, uint8_t(server_handle), uint8_t(server_handle >> 8), 0x01, 0x00};
  }

  gap::Host& server() { return server_->host(); }
  BenchHost& server_side() { return *server_; }
  TimePoint now() const { return air_.now(); }

  // Feeds the server one ACL packet carrying an ATT PDU on CID 4.
  void deliver_att(Bytes att_pdu) {
    size_t n = att_pdu.size();
    acl_[0] = uint8_t(server_handle);
    acl_[1] = uint8_t(((server_handle >> 8) & 0x0F) | 0x20);  // PB = 0b10: first, flushable
    acl_[2] = uint8_t(n + 4);
    acl_[3] = uint8_t((n + 4) >> 8);
    acl_[4] = uint8_t(n);
    acl_[5] = uint8_t(n >> 8);
    acl_[6] = 0x04;
    acl_[7] = 0x00;
    std::memcpy(&acl_[8], att_pdu.data(), n);
    server().on_hci_packet(air_.now(), HciPacketType::kAcl, Bytes(acl_.data(), n + 8));
  }
  // Returns the controller buffer the server's last ACL packet used.
  void complete_one() { server().on_hci_packet(air_.now(), HciPacketType::kEvent, nocp_); }

  bool ok = false;
  uint16_t server_handle = 0;
  uint16_t value_handle = 0;
  uint16_t cccd_handle = 0;
  uint16_t write_handle = 0;
  uint16_t att_mtu = 0;
  uint64_t notifications_received = 0;

 private:
  void run() { run_air(air_); }
  void advance(Duration d) {
    advance_air(air_, server_->host(), central_->host(), d,
                [this](gap::Host& h) { h.on_timeout(air_.now()); });
  }

  testing::FakeAir air_;
  gatt::Database db_ = bench_database();
  std::unique_ptr<BenchHost> server_;
  std::unique_ptr<BenchHost> central_;
  std::array<uint8_t, 7> nocp_{};
  std::array<uint8_t, 600> acl_{};
};

}  // namespace sable::bench
