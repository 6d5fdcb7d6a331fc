// The HCI layer allocates nothing after start-up: command round trips (sent at
// once, queued, timed out) and ACL packets both ways are counted through a
// replacement of the global operator new (tests/support/heap).
#include <gtest/gtest.h>

#include <array>
#include <cstdint>

#include "hci/acl.hpp"
#include "hci/command_channel.hpp"
#include "hci/commands.hpp"
#include "hci/controller_init.hpp"
#include "support/heap/heap_count.hpp"

namespace sable::hci {
namespace {

using namespace std::chrono_literals;

// Keeps only what the test checks: no vector, no allocation.
struct CountingSender : Sender {
  void send_hci(HciPacketType type, Bytes packet) override {
    if (type == HciPacketType::kCommand) {
      ++commands;
      last_opcode = get_le16(packet.data());
    } else {
      ++acl;
    }
  }
  size_t commands = 0;
  size_t acl = 0;
  uint16_t last_opcode = 0;
};

// A Command Complete event (Core 5.4 Vol 4 Part E 7.7.14) with status success.
std::array<uint8_t, 6> command_complete(uint16_t opcode) {
  return {ev::kCommandComplete, 4, 1, uint8_t(opcode), uint8_t(opcode >> 8), 0x00};
}

struct Counts {
  size_t completed = 0;
  size_t failed = 0;
  size_t pdus = 0;
  size_t pdu_octets = 0;
};

TEST(NoHeapTest, CommandRoundTripsAndAclPacketsAllocateNothing) {
  // Start-up: everything is constructed and configured here.
  CountingSender sender;
  CommandChannel channel(sender);
  AclOutbound out(sender);
  out.configure(27, 4);
  Counts counts;
  AclInbound in([&counts](uint16_t, Bytes pdu) {
    ++counts.pdus;
    counts.pdu_octets += pdu.size();
  });
  // An L2CAP PDU of 4 + 30 octets, whole and in two fragments (PB 0b10, 0b01).
  std::array<uint8_t, 4 + 4 + 30> whole{0x40, 0x20, 34, 0, 30, 0, 0x04, 0x00};
  std::array<uint8_t, 4 + 10> first{0x40, 0x20, 10, 0, 30, 0, 0x04, 0x00};
  std::array<uint8_t, 4 + 24> rest{0x40, 0x10, 24, 0};
  const std::array<uint8_t, 4 + 60> pdu{60, 0, 0x04, 0x00};  // three 27-octet fragments
  // Number Of Completed Packets (Part E 7.7.19): handle 0x040, 3 packets.
  const std::array<uint8_t, 5> nocp{0x01, 0x40, 0x00, 0x03, 0x00};

  const uint64_t before = testing::heap_allocations();
  TimePoint now{};
  for (int round = 0; round < 100; ++round) {
    now += 10ms;
    // One sent at once, three queued behind it.
    channel.send(now, le_rand(), [&counts](const CommandResult& r) { counts.completed += r.ok(); });
    for (int i = 0; i < 3; ++i) {
      channel.send(now, le_set_advertising_enable(i % 2 == 0),
                   [&counts](const CommandResult& r) { counts.completed += r.ok(); });
    }
    while (channel.in_flight() > 0) {
      const auto cc = command_complete(sender.last_opcode);
      channel.on_event(now, Bytes(cc));
    }
    // A silent controller: the command times out.
    channel.send(now, reset(), [&counts](const CommandResult& r) { counts.failed += r.timed_out; });
    channel.on_timeout(now + 2000ms);

    in.on_acl(Bytes(whole));
    in.on_acl(Bytes(first));
    in.on_acl(Bytes(rest));
    out.send(0x040, Bytes(pdu));
    auto event = NumberOfCompletedPacketsEvent::parse(Bytes(nocp));
    if (event) out.on_number_of_completed_packets(*event);
  }
  const uint64_t allocations = testing::heap_allocations() - before;

  EXPECT_EQ(allocations, 0u);
  EXPECT_EQ(counts.completed, 400u);
  EXPECT_EQ(counts.failed, 100u);
  EXPECT_EQ(counts.pdus, 200u);
  EXPECT_EQ(counts.pdu_octets, 200u * 34);
  EXPECT_EQ(sender.commands, 500u);
  EXPECT_EQ(sender.acl, 300u);
}

}  // namespace
}  // namespace sable::hci
