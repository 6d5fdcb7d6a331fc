#include "hci/command_channel.hpp"

#include <algorithm>
#include <utility>

#include "common/log.hpp"
#include "hci/events.hpp"
#include "hci/opcodes.hpp"

namespace sable::hci {

CommandChannel::CommandChannel(Sender& sender, Config config) : sender_(sender), config_(config) {}

void CommandChannel::send(TimePoint now, const CommandPacket& command, Callback callback) {
  Pending p{command, std::move(callback), kNever};
  if (credits_ > 0 && queue_.empty()) {
    transmit(now, std::move(p));
    return;
  }
  if (queue_.size() >= config_.max_queued) {
    SABLE_LOG_ERROR("hci: command queue full, dropping command 0x%04x", command.opcode());
    CommandResult r;
    r.opcode = command.opcode();
    r.status = HciStatus::kMemoryCapacityExceeded;
    r.now = now;
    finish(p, r);
    return;
  }
  queue_.push_back(std::move(p));
}

void CommandChannel::transmit(TimePoint now, Pending pending) {
  --credits_;
  pending.deadline = now + config_.command_timeout;
  // Copy the bytes out first: a synchronous Sender (an in-process controller)
  // may answer from inside send_hci and complete this very command.
  CommandPacket packet = pending.packet;
  in_flight_.push_back(std::move(pending));
  sender_.send_hci(HciPacketType::kCommand, packet.bytes());
}

void CommandChannel::pump(TimePoint now) {
  while (credits_ > 0 && !queue_.empty()) {
    Pending p = std::move(queue_.front());
    queue_.pop_front();
    transmit(now, std::move(p));
  }
}

void CommandChannel::set_credits(TimePoint now, uint8_t credits) {
  credits_ = credits;
  zero_credits_since_ = credits == 0 ? now : kNever;
}

void CommandChannel::finish(Pending& p, const CommandResult& r) {
  if (p.callback) p.callback(r);
}

void CommandChannel::complete(TimePoint now, uint16_t opcode, HciStatus status, Bytes return_params,
                              bool by_command_status) {
  for (auto it = in_flight_.begin(); it != in_flight_.end(); ++it) {
    if (it->packet.opcode() != opcode) continue;
    Pending p = std::move(*it);
    in_flight_.erase(it);
    CommandResult r;
    r.opcode = opcode;
    r.status = status;
    r.return_params = return_params;
    r.by_command_status = by_command_status;
    r.now = now;
    finish(p, r);
    return;
  }
  SABLE_LOG_WARN("hci: %s for opcode 0x%04x with no such command in flight, ignored",
                 by_command_status ? "Command Status" : "Command Complete", opcode);
}

bool CommandChannel::on_event(TimePoint now, Bytes event_packet) {
  auto packet = EventPacket::parse(event_packet);
  if (!packet) return false;  // not ours to judge; the event dispatcher logs it
  if (packet->code == ev::kCommandComplete) {
    auto cc = CommandCompleteEvent::parse(packet->params);
    if (!cc) {
      SABLE_LOG_WARN("hci: malformed Command Complete dropped (%s)", to_string(cc.error()));
      return true;
    }
    set_credits(now, cc->num_hci_command_packets);
    if (cc->opcode != op::kNop) {
      // Core 5.4 Vol 4 Part E 7.7.14: the first return parameter is the status.
      // Return parameters may be shorter than the command defines (btvirt).
      HciStatus status = HciStatus::kUnspecifiedError;
      Bytes rest;
      if (auto s = cc->status()) {
        status = *s;
        rest = cc->return_params.subspan(1);
      } else {
        SABLE_LOG_WARN("hci: Command Complete for 0x%04x without status", cc->opcode);
      }
      complete(now, cc->opcode, status, rest, false);
    }
    pump(now);
    return true;
  }
  if (packet->code == ev::kCommandStatus) {
    auto cs = CommandStatusEvent::parse(packet->params);
    if (!cs) {
      SABLE_LOG_WARN("hci: malformed Command Status dropped (%s)", to_string(cs.error()));
      return true;
    }
    set_credits(now, cs->num_hci_command_packets);
    if (cs->opcode != op::kNop) {
      if (cs->status != HciStatus::kSuccess || completes_with_command_status(cs->opcode)) {
        complete(now, cs->opcode, cs->status, {}, true);
      } else {
        SABLE_LOG_DEBUG("hci: pending Command Status for 0x%04x, waiting for Command Complete",
                        cs->opcode);
      }
    }
    pump(now);
    return true;
  }
  return false;
}

TimePoint CommandChannel::next_deadline() const {
  TimePoint d = kNever;
  for (const auto& p : in_flight_) d = std::min(d, p.deadline);
  if (credits_ == 0 && in_flight_.empty() && !queue_.empty() && zero_credits_since_ != kNever) {
    d = std::min(d, zero_credits_since_ + config_.command_timeout);
  }
  return d;
}

void CommandChannel::on_timeout(TimePoint now) {
  TimePoint deadline = next_deadline();
  if (deadline == kNever || now < deadline) return;

  uint16_t expired = queue_.empty() ? 0 : queue_.front().packet.opcode();
  for (const auto& p : in_flight_) {
    if (p.deadline <= now) {
      expired = p.packet.opcode();
      break;
    }
  }
  SABLE_LOG_ERROR("hci: controller not responding (command 0x%04x timed out)", expired);

  // Take everything out before running callbacks: they may send again.
  std::deque<Pending> failed = std::move(in_flight_);
  for (auto& p : queue_) failed.push_back(std::move(p));
  in_flight_.clear();
  queue_.clear();
  set_credits(now, 1);

  for (auto& p : failed) {
    CommandResult r;
    r.opcode = p.packet.opcode();
    r.status = HciStatus::kUnspecifiedError;
    r.timed_out = true;
    r.now = now;
    finish(p, r);
  }
  if (on_controller_timeout_) on_controller_timeout_(expired);
}

}  // namespace sable::hci
