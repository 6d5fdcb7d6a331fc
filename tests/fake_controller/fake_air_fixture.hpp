// Test fixture for the fake controller's own tests: raw HCI byte builders
// and a FakeAir with three controllers (Core 5.4 Vol 4 Part E).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "support/fake_controller.hpp"
#include "support/test_time.hpp"

namespace sable::testing {

using Packet = std::vector<uint8_t>;

inline Address pub(uint8_t last) {
  return Address{{last, 0x00, 0x00, 0xAA, 0xBB, 0xCC}, AddressType::kPublic};
}

inline void append16(Packet& p, uint16_t v) {
  p.push_back(uint8_t(v));
  p.push_back(uint8_t(v >> 8));
}
inline void append_addr(Packet& p, const Address& a) {
  p.insert(p.end(), a.bytes.begin(), a.bytes.end());
}

// 7.7.14 Command Complete with Num_HCI_Command_Packets = 1.
inline Packet cc(uint16_t opcode, Packet ret) {
  Packet p{0x0E, uint8_t(3 + ret.size()), 0x01};
  append16(p, opcode);
  p.insert(p.end(), ret.begin(), ret.end());
  return p;
}
// 7.7.15 Command Status.
inline Packet cs(uint16_t opcode, uint8_t status) {
  Packet p{0x0F, 0x04, status, 0x01};
  append16(p, opcode);
  return p;
}
// 7.7.65 LE Meta event.
inline Packet le(uint8_t subevent, Packet params) {
  Packet p{0x3E, uint8_t(1 + params.size()), subevent};
  p.insert(p.end(), params.begin(), params.end());
  return p;
}
inline Packet h16(uint16_t h) {
  return {uint8_t(h), uint8_t(h >> 8)};
}
inline Packet cat(std::initializer_list<Packet> parts) {
  Packet out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// 7.8.5: 0x0800 intervals, type, own address type, public peer 00.., all channels, no filter.
inline Packet adv_params(uint8_t type = 0x00, uint8_t own = 0x00, const Address& peer = Address{}) {
  Packet p{0x00, 0x08, 0x00, 0x08, type, own, uint8_t(peer.is_random() ? 1 : 0)};
  append_addr(p, peer);
  p.push_back(0x07);
  p.push_back(0x00);
  return p;
}
// 7.8.7 / 7.8.8: length then 31 octets.
inline Packet adv_data(Packet data) {
  Packet p{uint8_t(data.size())};
  p.insert(p.end(), data.begin(), data.end());
  p.resize(32, 0);
  return p;
}
// 7.8.12: scan 0x0060/0x0030, no filter, peer, own type, interval min/max, latency, timeout, CE.
inline Packet create_params(const Address& peer, uint8_t own = 0x00, uint16_t min = 24,
                            uint16_t max = 40, uint16_t latency = 0, uint16_t timeout = 72) {
  Packet p{0x60, 0x00, 0x30, 0x00, 0x00, uint8_t(peer.is_random() ? 1 : 0)};
  append_addr(p, peer);
  p.push_back(own);
  append16(p, min);
  append16(p, max);
  append16(p, latency);
  append16(p, timeout);
  append16(p, 0);
  append16(p, 0);
  return p;
}

class FakeAirTest : public ::testing::Test {
 protected:
  FakeAir air;
  FakeController& a = air.add_controller(pub(0xA1));
  FakeController& b = air.add_controller(pub(0xB2));
  FakeController& c = air.add_controller(pub(0xC3));

  void send(FakeController& ctl, uint16_t opcode, const Packet& params = {}) {
    auto pkt = hci::command(opcode, Bytes(params));
    ctl.from_host(HciPacketType::kCommand, pkt);
  }
  void send_acl(FakeController& ctl, uint16_t handle, uint8_t pb, const Packet& payload) {
    auto pkt = hci::acl(handle, pb, Bytes(payload));
    ctl.from_host(HciPacketType::kAcl, pkt);
  }
  // Events delivered to ctl since the last call.
  std::vector<Packet> events(FakeController& ctl) {
    auto e = ctl.events_to_host();
    auto acl = ctl.acl_to_host();
    ctl.clear_log();
    pending_acl_[&ctl].insert(pending_acl_[&ctl].end(), acl.begin(), acl.end());
    return e;
  }
  std::vector<Packet> acl(FakeController& ctl) {
    events(ctl);
    return std::exchange(pending_acl_[&ctl], {});
  }
  // Sends one command, runs the air, and returns ctl's events.
  std::vector<Packet> exec(FakeController& ctl, uint16_t opcode, const Packet& params = {}) {
    send(ctl, opcode, params);
    air.run_until_idle();
    return events(ctl);
  }
  // Reset + event masks: every event, LE events 0..6 (no Enhanced Connection Complete).
  void bring_up(FakeController& ctl) {
    EXPECT_EQ(exec(ctl, op::kReset), std::vector<Packet>{cc(op::kReset, {0x00})});
    EXPECT_EQ(exec(ctl, op::kSetEventMask, {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F}),
              std::vector<Packet>{cc(op::kSetEventMask, {0x00})});
    EXPECT_EQ(exec(ctl, op::kLeSetEventMask, {0x7F, 0, 0, 0, 0, 0, 0, 0}),
              std::vector<Packet>{cc(op::kLeSetEventMask, {0x00})});
  }
  void advertise(FakeController& ctl, uint8_t type = 0x00, uint8_t own = 0x00,
                 const Packet& data = {0x02, 0x01, 0x06}) {
    EXPECT_EQ(exec(ctl, op::kLeSetAdvertisingParameters, adv_params(type, own)),
              std::vector<Packet>{cc(op::kLeSetAdvertisingParameters, {0x00})});
    EXPECT_EQ(exec(ctl, op::kLeSetAdvertisingData, adv_data(data)),
              std::vector<Packet>{cc(op::kLeSetAdvertisingData, {0x00})});
    EXPECT_EQ(exec(ctl, op::kLeSetAdvertisingEnable, {0x01}),
              std::vector<Packet>{cc(op::kLeSetAdvertisingEnable, {0x00})});
  }
  // Connects central to peripheral (which must be advertising); returns
  // {central handle, peripheral handle} read from the two Connection Completes.
  std::pair<uint16_t, uint16_t> connect(FakeController& central, FakeController& peripheral) {
    send(central, op::kLeCreateConnection, create_params(peripheral.address()));
    air.run_until_idle();
    auto ce = events(central);
    auto pe = events(peripheral);
    EXPECT_EQ(ce.size(), 2u);
    EXPECT_EQ(pe.size(), 1u);
    if (ce.size() != 2 || pe.size() != 1) return {0xFFFF, 0xFFFF};
    EXPECT_EQ(ce[0], cs(op::kLeCreateConnection, 0x00));
    return {uint16_t(ce[1][4] | (ce[1][5] << 8)), uint16_t(pe[0][4] | (pe[0][5] << 8))};
  }
  void expect_no_violations() {
    for (FakeController* ctl : {&a, &b, &c}) {
      EXPECT_EQ(ctl->violations().total(), 0u) << "controller " << ctl->index();
      for (const auto& m : ctl->violation_messages()) ADD_FAILURE() << m;
    }
  }

  std::map<FakeController*, std::vector<Packet>> pending_acl_;
};

}  // namespace sable::testing
