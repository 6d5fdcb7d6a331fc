#include "hci/command_channel.hpp"

#include <algorithm>

#include "common/log.hpp"
#include "hci/events.hpp"
#include "hci/opcodes.hpp"

namespace sable::hci {
CommandChannel::CommandChannel(Sender& sender, Config config) : sender_(sender), config_(config) {}

void CommandChannel::report(const Callback& callback, const CommandResult& result) {
  if (callback) callback(result);
}

void CommandChannel::finish(Pending& pending, const CommandResult& result) {
  // Free the slot before the callback, which may send again. A free slot's
  // other fields are rewritten by the send() that takes it.
  const Callback callback = pending.callback;
  pending.state = State::kFree;
  report(callback, result);
}

size_t CommandChannel::count(State state) const {
  size_t n = 0;
  for (const Pending& p : pending_) n += p.state == state;
  return n;
}

CommandChannel::Pending* CommandChannel::oldest(State state, uint16_t opcode, TimePoint due) {
  Pending* found = nullptr;
  for (Pending& p : pending_) {
    if (p.state != state || (opcode != 0 && p.opcode != opcode) || p.deadline > due) continue;
    // Wrap-safe comparison of the send() order.
    if (!found || int32_t(p.order - found->order) < 0) found = &p;
  }
  return found;
}

bool CommandChannel::send(TimePoint now, const CommandPacket& command, Callback callback) {
  Pending* slot = oldest(State::kFree);
  const size_t waiting = queued();
  const bool direct = credits_ > 0 && waiting == 0;
  if (!slot || (!direct && (waiting >= config_.max_queued ||
                            command.size > queue_octets_.size() - queue_used_))) {
    SABLE_LOG_ERROR("hci: command queue full, dropping command 0x%04x", command.opcode());
    CommandResult r;
    r.opcode = command.opcode();
    r.status = HciStatus::kMemoryCapacityExceeded;
    r.now = now;
    report(callback, r);
    return false;
  }
  slot->opcode = command.opcode();
  slot->order = next_order_++;
  slot->callback = callback;
  if (direct) {
    // The caller's packet stays valid while a synchronous Sender (an
    // in-process controller) answers from inside send_hci.
    transmit(now, *slot, command.bytes());
    return true;
  }
  slot->state = State::kQueued;
  slot->size = uint16_t(command.size);
  for (size_t i = 0; i < command.size; ++i) {
    queue_octets_[(queue_head_ + queue_used_ + i) % queue_octets_.size()] = command.data[i];
  }
  queue_used_ += command.size;
  return true;
}

void CommandChannel::transmit(TimePoint now, Pending& pending, Bytes packet) {
  --credits_;
  pending.state = State::kInFlight;
  pending.deadline = now + config_.command_timeout;
  sender_.send_hci(HciPacketType::kCommand, packet);
}

void CommandChannel::pump(TimePoint now) {
  while (credits_ > 0) {
    Pending* p = oldest(State::kQueued);
    if (!p) return;
    // Out of the ring first: a synchronous Sender may queue more from inside.
    // (Not a CommandPacket: no zeroing of octets that are not sent.)
    std::array<uint8_t, CommandPacket::kHeaderSize + CommandPacket::kMaxParams> packet;
    const size_t size = p->size;
    for (size_t i = 0; i < size; ++i) {
      packet[i] = queue_octets_[(queue_head_ + i) % queue_octets_.size()];
    }
    queue_head_ = (queue_head_ + size) % queue_octets_.size();
    queue_used_ -= size;
    transmit(now, *p, Bytes(packet.data(), size));
  }
}

void CommandChannel::set_credits(TimePoint now, uint8_t credits) {
  credits_ = credits;
  zero_credits_since_ = credits == 0 ? now : kNever;
}

void CommandChannel::complete(TimePoint now, uint16_t opcode, HciStatus status, Bytes return_params,
                              bool by_command_status) {
  // Answers carry only the opcode: the oldest command in flight with it.
  Pending* found = oldest(State::kInFlight, opcode);
  if (!found) {
    SABLE_LOG_WARN("hci: %s for opcode 0x%04x with no such command in flight, ignored",
                   by_command_status ? "Command Status" : "Command Complete", opcode);
    return;
  }
  CommandResult r;
  r.opcode = opcode;
  r.status = status;
  r.return_params = return_params;
  r.by_command_status = by_command_status;
  r.now = now;
  finish(*found, r);
}

bool CommandChannel::on_event(TimePoint now, Bytes event_packet) {
  auto packet = EventPacket::parse(event_packet);
  if (!packet) return false;  // not ours to judge; the event dispatcher logs it
  const bool by_command_status = packet->code == ev::kCommandStatus;
  if (!by_command_status && packet->code != ev::kCommandComplete) return false;
  // What both events carry, read in place, then one path: credits,
  // completion, the queue. Core 5.4 Vol 4 Part E 7.7.14: Num_HCI_Command_Packets
  // (1), Command_Opcode (2), return parameters; 7.7.15: Status (1) first.
  const Bytes params = packet->params;
  const size_t at = by_command_status ? 1 : 0;
  if (params.size() < 3 + at) {
    SABLE_LOG_WARN("hci: malformed %s dropped (%s)",
                   by_command_status ? "Command Status" : "Command Complete",
                   to_string(ParseError::kTruncated));
    return true;
  }
  const uint8_t credits = params[at];
  const uint16_t opcode = get_le16(&params[at + 1]);
  HciStatus status = HciStatus::kUnspecifiedError;
  Bytes rest;
  bool completes = true;
  if (by_command_status) {
    status = HciStatus(params[0]);
    completes = status != HciStatus::kSuccess || completes_with_command_status(opcode);
    if (!completes && opcode != op::kNop) {
      SABLE_LOG_DEBUG("hci: pending Command Status for 0x%04x, waiting for Command Complete",
                      opcode);
    }
  } else if (params.size() > 3) {
    // Core 5.4 Vol 4 Part E 7.7.14: the first return parameter is the status.
    // Return parameters may be shorter than the command defines (btvirt).
    status = HciStatus(params[3]);
    rest = params.subspan(4);
  } else if (opcode != op::kNop) {
    SABLE_LOG_WARN("hci: Command Complete for 0x%04x without status", opcode);
  }
  set_credits(now, credits);
  if (opcode != op::kNop && completes) complete(now, opcode, status, rest, by_command_status);
  pump(now);
  return true;
}

TimePoint CommandChannel::next_deadline() const {
  TimePoint d = kNever;
  bool in_flight = false;
  bool queued = false;
  for (const Pending& p : pending_) {
    if (p.state == State::kInFlight) {
      d = std::min(d, p.deadline);
      in_flight = true;
    }
    queued = queued || p.state == State::kQueued;
  }
  if (credits_ == 0 && !in_flight && queued && zero_credits_since_ != kNever) {
    d = std::min(d, zero_credits_since_ + config_.command_timeout);
  }
  return d;
}

void CommandChannel::on_timeout(TimePoint now) {
  TimePoint deadline = next_deadline();
  if (deadline == kNever || now < deadline) return;

  // The first command sent that is past its deadline, else (a zero-credit
  // stall) the first one queued.
  Pending* first = oldest(State::kInFlight, 0, now);
  if (!first) first = oldest(State::kQueued);
  const uint16_t expired = first ? first->opcode : 0;
  SABLE_LOG_ERROR("hci: controller not responding (command 0x%04x timed out)", expired);

  // Mark everything failed before running callbacks: they may send again,
  // and what they send goes out on the fresh credit.
  for (Pending& p : pending_) {
    if (p.state != State::kFree) p.state = State::kFailed;
  }
  queue_head_ = 0;
  queue_used_ = 0;
  set_credits(now, 1);

  while (Pending* p = oldest(State::kFailed)) {
    CommandResult r;
    r.opcode = p->opcode;
    r.status = HciStatus::kUnspecifiedError;
    r.timed_out = true;
    r.now = now;
    finish(*p, r);
  }
  if (on_controller_timeout_) on_controller_timeout_(expired);
}

}  // namespace sable::hci
