// Command flow control, completion matching and timeouts (Core 5.4 Vol 4 Part E 4.4).
#include "hci/command_channel.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "event_builders.hpp"
#include "fake_sender.hpp"
#include "hci/commands.hpp"
#include "support/test_time.hpp"

namespace sable::hci {
namespace {

using sable::testing::at_ms;
using testing::bytes;
using testing::command_complete;
using testing::command_status;
using testing::FakeSender;
using testing::Packet;

struct Recorded {
  HciStatus status;
  Packet return_params;
  bool timed_out;
  bool by_command_status;
};

class CommandChannelTest : public ::testing::Test {
 protected:
  CommandChannel::Callback record() {
    return [this](const CommandResult& r) {
      results.push_back({r.status, Packet(r.return_params.begin(), r.return_params.end()),
                         r.timed_out, r.by_command_status});
    };
  }
  bool feed(TimePoint now, const Packet& event) { return channel.on_event(now, bytes(event)); }

  FakeSender sender;
  CommandChannel channel{sender};
  std::vector<Recorded> results;
};

TEST_F(CommandChannelTest, SendsImmediatelyWithTheInitialCredit) {
  channel.send(at_ms(0), reset(), record());
  ASSERT_EQ(sender.commands().size(), 1u);
  EXPECT_EQ(sender.commands()[0], (Packet{0x03, 0x0C, 0x00}));
  EXPECT_EQ(sender.sent[0].type, HciPacketType::kCommand);
  EXPECT_EQ(channel.credits(), 0);
  EXPECT_EQ(channel.in_flight(), 1u);
}

TEST_F(CommandChannelTest, SecondCommandWaitsForFirstCommandComplete) {
  channel.send(at_ms(0), reset(), record());
  channel.send(at_ms(0), read_bd_addr(), record());
  EXPECT_EQ(sender.commands().size(), 1u);  // one credit: Read_BD_ADDR waits
  EXPECT_EQ(channel.queued(), 1u);

  // Command Complete: 1 credit, opcode Reset, status success.
  EXPECT_TRUE(feed(at_ms(10), command_complete(1, op::kReset, {0x00})));
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].status, HciStatus::kSuccess);
  EXPECT_TRUE(results[0].return_params.empty());
  ASSERT_EQ(sender.commands().size(), 2u);
  EXPECT_EQ(sender.commands()[1], (Packet{0x09, 0x10, 0x00}));

  EXPECT_TRUE(feed(
      at_ms(20), command_complete(1, op::kReadBdAddr, {0x00, 0x42, 0x00, 0x02, 0x01, 0xAA, 0x00})));
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[1].return_params, (Packet{0x42, 0x00, 0x02, 0x01, 0xAA, 0x00}));
}

TEST_F(CommandChannelTest, ZeroCreditsBlockUntilNop) {
  channel.send(at_ms(0), reset(), record());
  channel.send(at_ms(0), read_bd_addr(), record());
  // Reset completes but the controller grants no credit.
  feed(at_ms(1), command_complete(0, op::kReset, {0x00}));
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(sender.commands().size(), 1u);
  EXPECT_EQ(channel.credits(), 0);
  // A NOP Command Complete (opcode 0x0000, no return parameters) grants one.
  EXPECT_TRUE(feed(at_ms(2), command_complete(1, op::kNop, {})));
  EXPECT_EQ(results.size(), 1u);  // completes nothing
  ASSERT_EQ(sender.commands().size(), 2u);
  EXPECT_EQ(sender.commands()[1], (Packet{0x09, 0x10, 0x00}));
}

TEST_F(CommandChannelTest, NeverMoreInFlightThanGranted) {
  feed(at_ms(0), command_complete(2, op::kNop, {}));  // two credits
  channel.send(at_ms(0), reset(), record());
  channel.send(at_ms(0), read_bd_addr(), record());
  channel.send(at_ms(0), le_rand(), record());
  EXPECT_EQ(sender.commands().size(), 2u);
  EXPECT_EQ(channel.in_flight(), 2u);
  EXPECT_EQ(channel.queued(), 1u);
  // The second one completes first (matched by opcode, not order).
  feed(at_ms(1), command_complete(1, op::kReadBdAddr, {0x00, 1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(sender.commands().size(), 3u);
  EXPECT_EQ(channel.in_flight(), 2u);
}

TEST_F(CommandChannelTest, CommandStatusCompletesCommandStatusCommands) {
  CreateConnectionParameters p;
  channel.send(at_ms(0), le_create_connection(p), record());
  // Command Status: pending (0x00), 1 credit, LE_Create_Connection.
  EXPECT_TRUE(feed(at_ms(1), command_status(HciStatus::kSuccess, 1, op::kLeCreateConnection)));
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].status, HciStatus::kSuccess);
  EXPECT_TRUE(results[0].by_command_status);
  EXPECT_EQ(channel.in_flight(), 0u);

  channel.send(at_ms(2), disconnect(0x0001, HciStatus::kRemoteUserTerminatedConnection), record());
  feed(at_ms(3), command_status(HciStatus::kUnknownConnectionId, 1, op::kDisconnect));
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[1].status, HciStatus::kUnknownConnectionId);
}

TEST_F(CommandChannelTest, SuccessfulCommandStatusForCommandCompleteCommandKeepsWaiting) {
  channel.send(at_ms(0), le_rand(), record());
  feed(at_ms(1), command_status(HciStatus::kSuccess, 1, op::kLeRand));
  EXPECT_TRUE(results.empty());
  EXPECT_EQ(channel.in_flight(), 1u);
  feed(at_ms(2), command_complete(1, op::kLeRand, {0x00, 1, 2, 3, 4, 5, 6, 7, 8}));
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(results[0].by_command_status);
}

TEST_F(CommandChannelTest, UnknownCommandYieldsStatusByCompleteOrStatus) {
  channel.send(at_ms(0), le_read_buffer_size_v2(), record());
  feed(at_ms(1), command_complete(1, op::kLeReadBufferSizeV2, {0x01}));  // Unknown HCI Command
  channel.send(at_ms(2), le_set_data_length(1, 251, 2120), record());
  feed(at_ms(3), command_status(HciStatus::kUnknownCommand, 1, op::kLeSetDataLength));
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].status, HciStatus::kUnknownCommand);
  EXPECT_FALSE(results[0].timed_out);
  EXPECT_EQ(results[1].status, HciStatus::kUnknownCommand);
}

TEST_F(CommandChannelTest, BtvirtShortRemoteConnParamReplyCompletes) {
  ConnectionParameters p;
  channel.send(at_ms(0), le_remote_connection_parameter_request_reply(0x0001, p), record());
  // btvirt: only the status octet, no Connection_Handle.
  feed(at_ms(1), command_complete(1, op::kLeRemoteConnectionParameterRequestReply, {0x00}));
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].status, HciStatus::kSuccess);
  EXPECT_TRUE(results[0].return_params.empty());
}

TEST_F(CommandChannelTest, StrayCompleteIsIgnoredButCreditsCount) {
  channel.send(at_ms(0), reset(), record());
  channel.send(at_ms(0), le_rand(), record());
  // Command Complete for Read_BD_ADDR, which nobody sent; 1 credit.
  EXPECT_TRUE(feed(at_ms(1), command_complete(1, op::kReadBdAddr, {0x00, 1, 2, 3, 4, 5, 6})));
  EXPECT_TRUE(results.empty());
  EXPECT_EQ(channel.in_flight(), 2u);  // the credit let LE_Rand go out
  EXPECT_EQ(sender.commands().size(), 2u);
  feed(at_ms(2), command_status(HciStatus::kSuccess, 1, op::kDisconnect));  // stray CS
  EXPECT_TRUE(results.empty());
}

TEST_F(CommandChannelTest, OtherEventsAreNotConsumed) {
  EXPECT_FALSE(feed(at_ms(0), testing::event(ev::kHardwareError, {0x01})));
  EXPECT_FALSE(channel.on_event(at_ms(0), Bytes{}));
  // Malformed Command Complete (too short): consumed and dropped.
  EXPECT_TRUE(feed(at_ms(0), testing::event(ev::kCommandComplete, {0x01, 0x03})));
  EXPECT_EQ(channel.credits(), 1);
}

TEST_F(CommandChannelTest, TimeoutFailsCommandsAndFiresHook) {
  std::optional<uint16_t> hook;
  channel.set_on_controller_timeout([&](uint16_t opcode) { hook = opcode; });
  EXPECT_EQ(channel.next_deadline(), kNever);
  channel.send(at_ms(100), reset(), record());
  channel.send(at_ms(150), read_bd_addr(), record());  // queued behind it
  EXPECT_EQ(channel.next_deadline(), at_ms(2100));
  channel.on_timeout(at_ms(2099));
  EXPECT_TRUE(results.empty());
  EXPECT_FALSE(hook);

  channel.on_timeout(at_ms(2100));
  ASSERT_EQ(results.size(), 2u);
  EXPECT_TRUE(results[0].timed_out);
  EXPECT_TRUE(results[1].timed_out);  // the queued one fails too
  EXPECT_EQ(hook, op::kReset);
  EXPECT_EQ(channel.next_deadline(), kNever);

  // Usable afterwards; a late Command Complete for Reset is stray.
  channel.send(at_ms(2200), reset(), record());
  EXPECT_EQ(sender.commands().size(), 2u);
  feed(at_ms(2300), command_complete(1, op::kReset, {0x00}));
  ASSERT_EQ(results.size(), 3u);
  EXPECT_FALSE(results[2].timed_out);
}

TEST_F(CommandChannelTest, ZeroCreditStallTimesOut) {
  bool hook = false;
  channel.set_on_controller_timeout([&](uint16_t) { hook = true; });
  channel.send(at_ms(0), reset(), record());
  channel.send(at_ms(0), read_bd_addr(), record());
  feed(at_ms(500), command_complete(0, op::kReset, {0x00}));  // no credit, no NOP ever
  EXPECT_EQ(channel.next_deadline(), at_ms(2500));
  channel.on_timeout(at_ms(2500));
  ASSERT_EQ(results.size(), 2u);
  EXPECT_TRUE(results[1].timed_out);
  EXPECT_TRUE(hook);
}

TEST_F(CommandChannelTest, ConfigurableTimeout) {
  CommandChannel fast(sender, CommandChannel::Config{Duration(50), 64});
  fast.send(at_ms(10), reset(), nullptr);
  EXPECT_EQ(fast.next_deadline(), at_ms(60));
}

TEST_F(CommandChannelTest, CallbackMaySendNextCommand) {
  channel.send(at_ms(0), reset(), [&](const CommandResult& r) {
    EXPECT_EQ(r.now, at_ms(5));
    channel.send(r.now, read_bd_addr(), record());
  });
  feed(at_ms(5), command_complete(1, op::kReset, {0x00}));
  ASSERT_EQ(sender.commands().size(), 2u);
  EXPECT_EQ(channel.next_deadline(), at_ms(2005));
}

TEST_F(CommandChannelTest, SynchronousControllerAnswerInsideSend) {
  // An in-process controller that answers from inside send_hci.
  sender.on_send = [&](HciPacketType, Bytes packet) {
    uint16_t opcode = get_le16(packet.data());
    Packet cc = command_complete(1, opcode, {0x00});
    channel.on_event(at_ms(0), bytes(cc));
  };
  channel.send(at_ms(0), reset(), record());
  channel.send(at_ms(0), le_rand(), record());
  EXPECT_EQ(results.size(), 2u);
  EXPECT_EQ(channel.in_flight(), 0u);
  EXPECT_EQ(channel.credits(), 1);
}

TEST_F(CommandChannelTest, FullQueueFailsAtOnce) {
  CommandChannel small(sender, CommandChannel::Config{Duration(2000), 1});
  std::vector<HciStatus> st;
  auto rec = [&](const CommandResult& r) { st.push_back(r.status); };
  EXPECT_TRUE(small.send(at_ms(0), reset(), rec));     // in flight
  EXPECT_TRUE(small.send(at_ms(0), le_rand(), rec));   // queued
  EXPECT_FALSE(small.send(at_ms(0), le_rand(), rec));  // no room
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0], HciStatus::kMemoryCapacityExceeded);
  EXPECT_EQ(small.queued(), 1u);
}

// The fixed capacity (hci/limits.hpp): kMaxPendingCommands commands in all;
// one more fails at once, the others go out in order and each callback runs
// exactly once with its own result.
TEST_F(CommandChannelTest, FixedCapacityFailsTheCommandBeyondIt) {
  struct Log {
    std::vector<int> done = std::vector<int>(kMaxPendingCommands + 1, 0);
    std::vector<HciStatus> status = std::vector<HciStatus>(kMaxPendingCommands + 1);
  } log;
  auto& done = log.done;
  auto& status = log.status;
  for (size_t i = 0; i <= kMaxPendingCommands; ++i) {
    // Reset first, then LE_Set_Advertising_Enable with the index's parity.
    CommandPacket cmd = i == 0 ? reset() : le_set_advertising_enable(i % 2 == 1);
    const bool accepted = channel.send(at_ms(0), cmd, [&log, i](const CommandResult& r) {
      ++log.done[i];
      log.status[i] = r.status;
    });
    EXPECT_EQ(accepted, i < kMaxPendingCommands) << i;
  }
  EXPECT_EQ(done[kMaxPendingCommands], 1);
  EXPECT_EQ(status[kMaxPendingCommands], HciStatus::kMemoryCapacityExceeded);
  EXPECT_EQ(channel.in_flight(), 1u);
  EXPECT_EQ(channel.queued(), kMaxPendingCommands - 1);

  // Answer each in turn with a status that names it (i & 0x0F).
  for (size_t i = 0; i < kMaxPendingCommands; ++i) {
    ASSERT_EQ(sender.commands().size(), i + 1);
    const Packet sent = sender.commands()[i];
    if (i > 0) {
      EXPECT_EQ(sent, (Packet{0x0A, 0x20, 0x01, uint8_t(i % 2)})) << i;  // FIFO order
    }
    feed(at_ms(1), command_complete(1, get_le16(sent.data()), {uint8_t(i & 0x0F)}));
  }
  for (size_t i = 0; i < kMaxPendingCommands; ++i) {
    EXPECT_EQ(done[i], 1) << i;
    EXPECT_EQ(status[i], HciStatus(i & 0x0F)) << i;
  }
  EXPECT_EQ(channel.in_flight() + channel.queued(), 0u);
}

// Queued packets share kCommandQueueOctets: when the next one does not fit,
// it fails although slots remain; sent ones give their octets back.
TEST_F(CommandChannelTest, QueueOctetsFullFailsTheCommand) {
  const Packet big(CommandPacket::kMaxParams, 0xAB);
  const CommandPacket large = make_command(0xFC00, bytes(big));  // vendor opcode, 258 octets
  channel.send(at_ms(0), reset(), record());
  size_t fit = 0;
  while (channel.send(at_ms(0), large, record())) ++fit;
  EXPECT_EQ(fit, kCommandQueueOctets / large.size);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].status, HciStatus::kMemoryCapacityExceeded);
  EXPECT_LT(channel.queued(), kMaxPendingCommands);

  feed(at_ms(1), command_complete(1, op::kReset, {0x00}));  // one large one goes out
  ASSERT_EQ(sender.commands().size(), 2u);
  EXPECT_EQ(sender.commands()[1], Packet(large.bytes().begin(), large.bytes().end()));
  EXPECT_TRUE(channel.send(at_ms(2), large, record()));  // its octets are free again
}

TEST_F(CommandChannelTest, CallbackOfATimedOutCommandMaySendAgain) {
  channel.send(at_ms(0), reset(), [&](const CommandResult& r) {
    EXPECT_TRUE(r.timed_out);
    channel.send(r.now, reset(), record());
  });
  channel.send(at_ms(0), le_rand(), record());  // queued: fails with the first
  channel.on_timeout(at_ms(2000));
  ASSERT_EQ(results.size(), 1u);  // LE_Rand; the new Reset is in flight
  EXPECT_TRUE(results[0].timed_out);
  EXPECT_EQ(channel.in_flight(), 1u);
  EXPECT_EQ(sender.commands().size(), 2u);
  feed(at_ms(2001), command_complete(1, op::kReset, {0x00}));
  ASSERT_EQ(results.size(), 2u);
  EXPECT_FALSE(results[1].timed_out);
}

TEST(InlineFunctionTest, CopiesCapturesAndCallsThem) {
  int calls = 0;
  InlineFunction<int(int)> empty;
  EXPECT_FALSE(empty);
  InlineFunction<int(int)> add = [&calls, base = 40](int x) {
    ++calls;
    return base + x;
  };
  InlineFunction<int(int)> copy = add;
  EXPECT_TRUE(copy);
  EXPECT_EQ(copy(2), 42);
  EXPECT_EQ(add(3), 43);
  EXPECT_EQ(calls, 2);
  copy = nullptr;
  EXPECT_FALSE(copy);
}

}  // namespace
}  // namespace sable::hci
