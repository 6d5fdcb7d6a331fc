// Hosts on the in-process fake controller: each TestHost is a real gap::Host
// wired to a FakeController of one FakeAir, with deterministic time and
// randomness, recording what the host tells its listener.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "gap/host.hpp"
#include "gatt/database.hpp"
#include "support/fake_controller.hpp"

namespace sable::testing {

// The reference program's service and characteristic (DESIGN.md).
inline const Uuid kService = *Uuid::parse("9b574847-f706-436c-bed7-fc01eb0965c1");
inline const Uuid kCharacteristic = *Uuid::parse("681285a6-247f-48c6-80ad-68c3dce18585");

// The database secure-server builds: READ | READ_ENC | NOTIFY under an SC +
// MITM policy with 16-octet keys; anyone may subscribe, values are withheld
// from links that may not read them.
inline gatt::Database reference_database() {
  gatt::CharacteristicDef c;
  c.type = kCharacteristic;
  c.properties = gatt::prop::kRead | gatt::prop::kNotify;
  c.access.read = gatt::Permissions::authenticated();
  c.access.read.min_key_size = 16;
  c.access.read.secure_connections_only = true;
  c.access.write = gatt::Permissions::none();
  c.cccd_write = gatt::Permissions::open();
  std::string v = "Start Value";
  c.value.assign(v.begin(), v.end());
  c.max_length = 512;
  gatt::ServiceDef s;
  s.type = kService;
  s.characteristics.push_back(std::move(c));
  std::vector<gatt::ServiceDef> defs;
  defs.push_back(std::move(s));
  gatt::DatabaseOptions o;
  o.device_name = "ESP32 Server";
  return std::move(gatt::Database::build(std::move(defs), o).value());
}

// The reference server's security: AuthReq all, DisplayOnly, passkey 123456.
inline gap::HostConfig reference_server_config() {
  gap::HostConfig c;
  c.security.auth = AuthReq::all();
  c.security.io_cap = IoCap::DisplayOnly;
  c.security.static_passkey = 123456;
  return c;
}

// A central that types passkeys: bonding, MITM, Secure Connections.
inline gap::HostConfig keyboard_central_config(IoCap io = IoCap::KeyboardOnly) {
  gap::HostConfig c;
  c.security.auth = AuthReq::bond() | AuthReq::mitm() | AuthReq::sc();
  c.security.io_cap = io;
  return c;
}

class DeterministicRandom final : public crypto::RandomSource {
 public:
  explicit DeterministicRandom(uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ull + 1) {}
  void fill(MutableBytes out) override {
    for (auto& b : out) {
      state_ ^= state_ << 13;
      state_ ^= state_ >> 7;
      state_ ^= state_ << 17;
      b = uint8_t(state_);
    }
  }

 private:
  uint64_t state_;
};

struct Disconnection {
  ConnDesc desc;
  uint8_t reason;
};

class TestHost final : public ::sable::hci::Sender, public gap::HostListener {
 public:
  TestHost(FakeAir& air, FakeController& controller, const gap::HostConfig& config, uint64_t seed)
      : air_(air), controller_(controller), random_(seed), host_(config, *this, *this, random_) {
    controller_.set_host_sink([this](HciPacketType type, Bytes packet) {
      host_.on_hci_packet(air_.now(), type, packet);
    });
  }
  gap::Host& host() { return host_; }
  FakeController& controller() { return controller_; }
  TimePoint now() const { return air_.now(); }

  // hci::Sender
  void send_hci(HciPacketType type, Bytes packet) override { controller_.from_host(type, packet); }

  // gap::HostListener
  void on_ready() override { ready = true; }
  void on_fatal(const Error& e) override { fatal = e; }
  void on_connected(const ConnDesc& d) override {
    connected.push_back(d);
    if (on_connected_hook) on_connected_hook(d);
  }
  void on_disconnected(const ConnDesc& d, uint8_t reason) override {
    disconnected.push_back({d, reason});
  }
  void on_connection_updated(const ConnDesc& d) override { updated.push_back(d); }
  void on_security_changed(const ConnDesc& d) override { security_changes.push_back(d); }
  void on_scan_report(const gap::ScanReport& r) override { reports.push_back(r); }
  void on_connect_failed(const Address& a, const Error& e) override {
    connect_failures.push_back({a, e});
  }
  void on_passkey_display(const ConnDesc&, uint32_t passkey) override {
    displayed_passkeys.push_back(passkey);
  }
  void on_passkey_request(const ConnDesc& d) override {
    ++passkey_requests;
    (void)host_.passkey_reply(air_.now(), d.handle, passkey_to_enter);
  }
  void on_numeric_comparison(const ConnDesc& d, uint32_t value) override {
    compared_values.push_back(value);
    (void)host_.numeric_comparison_reply(air_.now(), d.handle, accept_comparison);
  }
  void on_pairing_complete(const ConnDesc& d) override {
    paired.push_back(d);
    if (on_pairing_complete_hook) on_pairing_complete_hook(d);
  }
  void on_pairing_failed(const ConnDesc&, const Error& e) override {
    pairing_failures.push_back(e);
  }

  // Run from inside the callbacks, to test what a listener may do there.
  std::function<void(const ConnDesc&)> on_connected_hook;
  std::function<void(const ConnDesc&)> on_pairing_complete_hook;

  bool ready = false;
  std::optional<Error> fatal;
  std::vector<ConnDesc> connected;
  std::vector<Disconnection> disconnected;
  std::vector<ConnDesc> updated;
  std::vector<ConnDesc> security_changes;
  std::vector<gap::ScanReport> reports;
  std::vector<std::pair<Address, Error>> connect_failures;
  std::vector<uint32_t> displayed_passkeys;
  int passkey_requests = 0;
  std::optional<uint32_t> passkey_to_enter;
  std::vector<uint32_t> compared_values;
  bool accept_comparison = true;
  std::vector<ConnDesc> paired;
  std::vector<Error> pairing_failures;

 private:
  FakeAir& air_;
  FakeController& controller_;
  DeterministicRandom random_;
  gap::Host host_;
};

// A FakeAir with hosts on it and a clock that fires the hosts' deadlines.
class Network {
 public:
  TestHost& add_host(const std::string& public_address, const gap::HostConfig& config = {}) {
    auto& controller = air_.add_controller(*Address::parse(public_address));
    hosts_.push_back(std::make_unique<TestHost>(air_, controller, config, 0x5AB1E + hosts_.size()));
    return *hosts_.back();
  }
  // Starts every host and runs bring-up to completion.
  void start() {
    for (auto& h : hosts_) h->host().start(air_.now());
    run();
  }
  // Delivers every queued packet (time does not move).
  void run() {
    for (int i = 0; i < 1000 && air_.run_until_idle(); ++i) {
    }
  }
  // Moves time forward by d, firing host deadlines in order.
  void advance(Duration d) {
    TimePoint target = air_.now() + d;
    for (;;) {
      TimePoint next = kNever;
      for (auto& h : hosts_) next = std::min(next, h->host().next_deadline());
      if (next > target) break;
      if (next > air_.now()) air_.advance(next - air_.now());
      for (auto& h : hosts_)
        if (h->host().next_deadline() <= air_.now()) h->host().on_timeout(air_.now());
      run();
    }
    if (target > air_.now()) air_.advance(target - air_.now());
    run();
  }
  FakeAir& air() { return air_; }
  TimePoint now() const { return air_.now(); }

 private:
  FakeAir air_;
  std::vector<std::unique_ptr<TestHost>> hosts_;
};

}  // namespace sable::testing
