// HCI command flow control (Core 5.4 Vol 4 Part E 4.4): the Controller grants
// command credits with Num_HCI_Command_Packets in every Command Complete and
// Command Status event (also for the NOP opcode 0x0000). The host starts with
// one credit, never has more commands in flight than granted, and queues the
// rest FIFO.
//
// Completion: a command finishes on the Command Complete for its opcode, or on
// a Command Status for its opcode when that command completes with Command
// Status (completes_with_command_status(), e.g. LE_Create_Connection,
// Disconnect) or the status is an error (e.g. 0x01 Unknown HCI Command). A
// successful Command Status for a command that expects Command Complete is
// logged and the command keeps waiting. CC/CS for an opcode with nothing in
// flight are logged and ignored, but their credits are taken.
//
// Timeouts: each sent command must complete within Config::command_timeout
// (default 2000 ms) of being sent; a stall with zero credits, nothing in flight
// and commands queued is timed from the event that took the last credit. On
// expiry the controller is considered unresponsive: the expired command, every
// other in-flight command and every queued command fail with timed_out = true
// (status Unspecified Error), the on_controller_timeout hook fires once with the
// expired opcode, and the channel resets to one credit so that the owner may
// send HCI_Reset or report the failure; a late answer is then ignored as stray.
//
// Storage: fixed at compile time (hci/limits.hpp), no heap: kMaxPendingCommands
// slots for queued and in-flight commands together, and a FIFO of
// kCommandQueueOctets octets holding the packets of the queued ones. When
// either is full, send() fails the command at once: its callback runs inside
// send() with Memory Capacity Exceeded and send() returns false. Callbacks are
// InlineFunctions (a lambda capturing `this` and a value or two).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "common/bytes.hpp"
#include "common/time.hpp"
#include "hci/commands.hpp"
#include "hci/inline_function.hpp"
#include "hci/limits.hpp"
#include "hci/sender.hpp"
#include "hci/status.hpp"

namespace sable::hci {

struct CommandResult {
  uint16_t opcode = 0;
  HciStatus status = HciStatus::kSuccess;
  // Return parameters after the status octet (empty for Command Status).
  // Valid only during the callback.
  Bytes return_params;
  bool timed_out = false;
  // True when completed by a Command Status event.
  bool by_command_status = false;
  TimePoint now{};  // when the answer (or the timeout) was processed

  bool ok() const { return !timed_out && status == HciStatus::kSuccess; }
};

class CommandChannel {
 public:
  using Callback = InlineFunction<void(const CommandResult&)>;
  using TimeoutHook = InlineFunction<void(uint16_t opcode)>;

  struct Config {
    Duration command_timeout{2000};
    // Commands waiting for a credit (at most kMaxPendingCommands in all).
    size_t max_queued = kMaxPendingCommands;
  };

  explicit CommandChannel(Sender& sender) : CommandChannel(sender, Config{}) {}
  CommandChannel(Sender& sender, Config config);
  // Callbacks of pending commands refer to their owners: not copyable.
  CommandChannel(const CommandChannel&) = delete;
  CommandChannel& operator=(const CommandChannel&) = delete;

  // Sends now if a credit is available and nothing is queued, else queues.
  // The callback may be empty; it may call send() again. False when the
  // channel is full: the command was not sent and its callback has already
  // run with Memory Capacity Exceeded.
  bool send(TimePoint now, const CommandPacket& command, Callback callback);

  // Consumes Command Complete / Command Status (returns true, also when it is
  // malformed and dropped); returns false for every other event.
  bool on_event(TimePoint now, Bytes event_packet);

  TimePoint next_deadline() const;
  void on_timeout(TimePoint now);

  // "Controller not responding": called after the failed commands' callbacks.
  void set_on_controller_timeout(TimeoutHook hook) { on_controller_timeout_ = hook; }

  uint8_t credits() const { return credits_; }
  size_t in_flight() const { return count(State::kInFlight); }
  size_t queued() const { return count(State::kQueued); }

 private:
  enum class State : uint8_t { kFree, kQueued, kInFlight, kFailed };
  struct Pending {
    State state = State::kFree;
    uint16_t opcode = 0;
    uint16_t size = 0;     // octets of the packet in queue_octets_ while queued
    uint32_t order = 0;    // send() order: FIFO among queued, oldest first
    TimePoint deadline{};  // while in flight; all-zero when free (a cheap reset)
    Callback callback;
  };

  size_t count(State state) const;
  // The first sent of the commands in `state`, with `opcode` unless 0, due by `due`.
  Pending* oldest(State state, uint16_t opcode = 0, TimePoint due = kNever);
  void pump(TimePoint now);
  void transmit(TimePoint now, Pending& pending, Bytes packet);
  void set_credits(TimePoint now, uint8_t credits);
  static void report(const Callback& callback, const CommandResult& result);
  // Frees `pending`, then runs its callback with `result`.
  void finish(Pending& pending, const CommandResult& result);
  void complete(TimePoint now, uint16_t opcode, HciStatus status, Bytes return_params,
                bool by_command_status);

  Sender& sender_;
  Config config_;
  uint8_t credits_ = 1;
  TimePoint zero_credits_since_ = kNever;
  uint32_t next_order_ = 0;
  std::array<Pending, kMaxPendingCommands> pending_{};
  // Ring of the queued packets, in send() order.
  std::array<uint8_t, kCommandQueueOctets> queue_octets_{};
  size_t queue_head_ = 0;
  size_t queue_used_ = 0;
  TimeoutHook on_controller_timeout_;
};

}  // namespace sable::hci
