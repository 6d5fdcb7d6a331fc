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
#include "support/deterministic_random.hpp"
#include "support/fake_controller.hpp"
#include "support/recording_listener.hpp"
#include "support/reference_profile.hpp"

namespace sable::testing {

// The reference program's service and characteristic (DESIGN.md); the
// database and the server's security are in support/reference_profile.hpp.
inline const Uuid& kService = kReferenceService;
inline const Uuid& kCharacteristic = kReferenceCharacteristic;

// A central that types passkeys: bonding, MITM, Secure Connections.
inline gap::HostConfig keyboard_central_config(IoCap io = IoCap::KeyboardOnly) {
  gap::HostConfig c;
  c.security.auth = AuthReq::bond() | AuthReq::mitm() | AuthReq::sc();
  c.security.io_cap = io;
  return c;
}

// A host that records its events (RecordingListener) and answers like a user:
// types passkey_to_enter, accepts or rejects a comparison.
class TestHost final : public ::sable::hci::Sender, public RecordingListener {
 public:
  TestHost(FakeAir& air, FakeController& controller, const gap::HostConfig& config, uint64_t seed)
      : air_(air), controller_(controller), random_(seed), host_(config, *this, *this, random_) {
    controller_.set_host_sink([this](HciPacketType type, Bytes packet) {
      host_.on_hci_packet(air_.now(), type, packet);
    });
    on_passkey_request_hook = [this](const ConnDesc& d) {
      (void)host_.passkey_reply(air_.now(), d.handle, passkey_to_enter);
    };
    on_numeric_comparison_hook = [this](const ConnDesc& d, uint32_t) {
      (void)host_.numeric_comparison_reply(air_.now(), d.handle, accept_comparison);
    };
  }
  gap::Host& host() { return host_; }
  FakeController& controller() { return controller_; }
  TimePoint now() const { return air_.now(); }

  // hci::Sender
  void send_hci(HciPacketType type, Bytes packet) override { controller_.from_host(type, packet); }

  std::optional<uint32_t> passkey_to_enter;
  bool accept_comparison = true;

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

// The reference server and a keyboard central on one air: the server
// advertises (serving `db` if a test sets it before SetUp), the central
// connects and pairs with the reference passkey.
class TwoHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    net.start();
    ASSERT_TRUE(server.host()
                    .set_advertising_data(net.now(), AdvertisementData().name(kReferenceDeviceName))
                    .ok());
    ASSERT_TRUE(server.host().start_advertising(net.now()).ok());
    net.run();
  }
  void connect() {
    size_t before = central.connected.size();
    ASSERT_TRUE(central.host().connect(net.now(), server.host().own_address()).ok());
    net.advance(Duration(100));
    ASSERT_EQ(central.connected.size(), before + 1);
    ch = central.connected.back().handle;
    ph = server.connected.back().handle;
  }
  void pair() {
    central.passkey_to_enter = 123456;
    ASSERT_TRUE(central.host().pair(net.now(), ch).ok());
    net.advance(Duration(100));
    ASSERT_EQ(server.paired.size(), 1u);
  }
  void disconnect() {
    ASSERT_TRUE(central.host().disconnect(net.now(), ch, 0x13).ok());
    net.advance(Duration(100));
  }

  // Declared before the hosts, so that it outlives them.
  gatt::Database db = reference_database();
  Network net;
  TestHost& server = net.add_host("00:AA:01:00:00:01", reference_server_config());
  TestHost& central = net.add_host("00:AA:01:01:00:02", keyboard_central_config());
  uint16_t ch = 0, ph = 0;
};

}  // namespace sable::testing
