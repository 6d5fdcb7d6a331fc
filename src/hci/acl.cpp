#include "hci/acl.hpp"

#include <algorithm>
#include <cstring>

#include "common/log.hpp"

namespace sable::hci {
namespace {

// Why a partial PDU was dropped, for the warning; the texts are left out of
// builds without warn-level logs (nothing would print them).
constexpr const char* reason(const char* text) {
  return log_compiled_in(LogLevel::kWarn) ? text : "";
}

}  // namespace

// ---- Header ----

Result<AclPacket, ParseError> AclPacket::parse(Bytes packet) {
  if (packet.size() < kHeaderSize) return fail(ParseError::kTruncated);
  const uint16_t handle_and_flags = get_le16(packet.data());
  if (packet.size() - kHeaderSize != get_le16(packet.data() + 2))
    return fail(ParseError::kLengthMismatch);
  AclPacket p;
  p.handle = handle_and_flags & kHandleMask;
  p.packet_boundary = uint8_t((handle_and_flags >> 12) & 0x3);
  p.broadcast = uint8_t(handle_and_flags >> 14);
  p.data = packet.subspan(kHeaderSize);
  return p;
}

// ---- Outbound ----

AclOutbound::AclOutbound(Sender& sender, Config config)
    : sender_(sender), config_(config), links_(std::make_unique<Link[]>(config.max_links)) {}

void AclOutbound::configure(uint16_t buffer_length, uint16_t buffer_count) {
  buffer_length_ = buffer_length;
  buffer_count_ = buffer_count;
  credits_ = buffer_count;
  for (auto& l : links()) l = Link{};
  round_robin_ = 0;
  slot_size_ = AclPacket::kHeaderSize + buffer_length;
  const size_t n = (buffer_length == 0 || buffer_count == 0) ? 0 : config_.max_queued_fragments;
  fragment_count_ = n;
  pool_ = std::make_unique<uint8_t[]>(n * slot_size_);
  fragments_ = std::make_unique<Fragment[]>(n);
  free_head_ = kNone;
  free_count_ = 0;
  for (size_t i = n; i-- > 0;) push_free(int32_t(i));
}

int32_t AclOutbound::pop_free() {
  int32_t s = free_head_;
  if (s != kNone) {
    free_head_ = fragments_[size_t(s)].next;
    fragments_[size_t(s)].next = kNone;
    --free_count_;
  }
  return s;
}

void AclOutbound::push_free(int32_t slot) {
  fragments_[size_t(slot)].next = free_head_;
  free_head_ = slot;
  ++free_count_;
}

AclOutbound::Link* AclOutbound::find(uint16_t handle) {
  for (auto& l : links())
    if (l.used && l.handle == handle) return &l;
  return nullptr;
}

const AclOutbound::Link* AclOutbound::find(uint16_t handle) const {
  for (const auto& l : links())
    if (l.used && l.handle == handle) return &l;
  return nullptr;
}

AclOutbound::Link* AclOutbound::allocate(uint16_t handle) {
  for (auto& l : links()) {
    if (!l.used) {
      l = Link{};
      l.used = true;
      l.handle = handle;
      return &l;
    }
  }
  return nullptr;
}

void AclOutbound::release_if_idle(Link& link) {
  if (link.in_flight == 0 && link.queued == 0) link.used = false;
}

uint16_t AclOutbound::in_flight(uint16_t handle) const {
  const Link* l = find(handle);
  return l ? l->in_flight : 0;
}

size_t AclOutbound::queued_fragments(uint16_t handle) const {
  const Link* l = find(handle);
  return l ? l->queued : 0;
}

bool AclOutbound::send(uint16_t handle, Bytes l2cap_pdu) {
  handle &= kHandleMask;
  if (buffer_length_ == 0 || fragment_count_ == 0) {
    SABLE_LOG_WARN("hci: ACL send on 0x%03x before buffers are configured", handle);
    return false;
  }
  if (l2cap_pdu.empty()) {
    SABLE_LOG_WARN("hci: empty ACL PDU for 0x%03x not sent", handle);
    return false;
  }
  const size_t fragments = (l2cap_pdu.size() + buffer_length_ - 1) / buffer_length_;
  if (fragments > free_count_) {
    SABLE_LOG_WARN("hci: out of ACL buffers: 0x%03x needs %zu fragments, %zu free", handle,
                   fragments, free_count_);
    return false;
  }
  Link* link = find(handle);
  if (!link) link = allocate(handle);
  if (!link) {
    SABLE_LOG_WARN("hci: out of ACL link slots for 0x%03x", handle);
    return false;
  }
  // Core 5.4 Vol 4 Part E 5.4.2: the first packet of an L2CAP PDU from the host
  // is "first non-automatically-flushable" (0b00), the rest continuations.
  size_t offset = 0;
  for (size_t i = 0; i < fragments; ++i) {
    const size_t len = std::min<size_t>(buffer_length_, l2cap_pdu.size() - offset);
    const uint8_t flag = i == 0 ? pb::kFirstNonFlushable : pb::kContinuation;
    int32_t slot = pop_free();  // cannot fail: checked above, nothing ran since
    uint8_t* p = slot_data(slot);
    put_le16(p, uint16_t(handle | (flag << 12)));  // BC = 0b00
    put_le16(p + 2, uint16_t(len));
    std::memcpy(p + AclPacket::kHeaderSize, l2cap_pdu.data() + offset, len);
    fragments_[size_t(slot)].length = uint16_t(AclPacket::kHeaderSize + len);
    if (link->tail == kNone) {
      link->head = slot;
    } else {
      fragments_[size_t(link->tail)].next = slot;
    }
    link->tail = slot;
    ++link->queued;
    offset += len;
  }
  drain();
  return true;
}

void AclOutbound::drain() {
  if (draining_) return;  // the outer drain loop picks up new work and credits
  draining_ = true;
  while (credits_ > 0) {
    // Round-robin: the next link after the last one served that has data.
    Link* link = nullptr;
    const size_t count = config_.max_links;
    for (size_t k = 0; k < count; ++k) {
      size_t i = (round_robin_ + k) % count;
      if (links_[i].used && links_[i].queued > 0) {
        link = &links_[i];
        round_robin_ = (i + 1) % count;
        break;
      }
    }
    if (!link) break;
    int32_t slot = link->head;
    link->head = fragments_[size_t(slot)].next;
    if (link->head == kNone) link->tail = kNone;
    fragments_[size_t(slot)].next = kNone;
    --link->queued;
    ++link->in_flight;
    --credits_;
    // The slot is neither queued nor free while the sender reads it.
    sender_.send_hci(HciPacketType::kAcl, Bytes(slot_data(slot), fragments_[size_t(slot)].length));
    push_free(slot);
  }
  draining_ = false;
}

void AclOutbound::on_number_of_completed_packets(const NumberOfCompletedPacketsEvent& event) {
  for (size_t i = 0; i < event.size(); ++i) {
    const uint16_t handle = event.handle(i);
    uint16_t count = event.count(i);
    Link* link = find(handle);
    if (!link || link->in_flight == 0) {
      if (count > 0) {
        SABLE_LOG_WARN("hci: %u completed packets for 0x%03x with none in flight, ignored", count,
                       handle);
      }
      continue;
    }
    if (count > link->in_flight) {
      SABLE_LOG_WARN("hci: %u completed packets for 0x%03x but only %u in flight", count, handle,
                     link->in_flight);
      count = link->in_flight;
    }
    link->in_flight = uint16_t(link->in_flight - count);
    credits_ = uint16_t(std::min<unsigned>(buffer_count_, credits_ + count));
    release_if_idle(*link);
  }
  drain();
}

void AclOutbound::on_disconnection(uint16_t handle) {
  Link* link = find(handle & kHandleMask);
  if (!link) return;
  for (int32_t s = link->head; s != kNone;) {
    int32_t next = fragments_[size_t(s)].next;
    push_free(s);
    s = next;
  }
  credits_ = uint16_t(std::min<unsigned>(buffer_count_, credits_ + link->in_flight));
  *link = Link{};
  drain();
}

// ---- Inbound ----

AclInbound::AclInbound(Sink sink, Config config)
    : sink_(sink),
      config_(config),
      slots_(std::make_unique<Slot[]>(config.max_links)),
      buffers_(std::make_unique<uint8_t[]>(config.max_links * config.max_pdu_size)) {}

AclInbound::Slot* AclInbound::find(uint16_t handle) {
  for (auto& s : slots())
    if (s.active && s.handle == handle) return &s;
  return nullptr;
}

bool AclInbound::has_partial(uint16_t handle) const {
  for (const auto& s : slots())
    if (s.active && s.handle == handle) return true;
  return false;
}

void AclInbound::drop_partial(Slot& s, const char* why) {
  SABLE_LOG_WARN("hci: ACL 0x%03x: partial L2CAP PDU (%zu of %zu octets) dropped: %s", s.handle,
                 s.have, s.expected, why);
  s = Slot{};
  ++dropped_;
}

void AclInbound::append(Slot& s, Bytes data) {
  std::memcpy(buffer(s) + s.have, data.data(), data.size());
  s.have += data.size();
  // Core 5.4 Vol 3 Part A 3.1: Length (2) of the basic header excludes the header.
  if (s.expected == 0 && s.have >= 4) s.expected = 4 + size_t(get_le16(buffer(s)));
}

void AclInbound::on_acl(Bytes packet) {
  auto parsed = AclPacket::parse(packet);
  if (!parsed) {
    SABLE_LOG_WARN("hci: malformed ACL packet dropped (%s)", to_string(parsed.error()));
    ++dropped_;
    return;
  }
  const AclPacket& p = *parsed;
  if (p.broadcast != 0 || p.packet_boundary == pb::kComplete) {
    SABLE_LOG_WARN("hci: ACL 0x%03x with PB=%u BC=%u not valid on LE-U, dropped", p.handle,
                   p.packet_boundary, p.broadcast);
    ++dropped_;
    return;
  }
  Slot* slot = find(p.handle);

  if (p.packet_boundary == pb::kContinuation) {
    if (!slot) {
      SABLE_LOG_WARN("hci: ACL 0x%03x continuation without a start, dropped", p.handle);
      ++dropped_;
      return;
    }
  } else {
    // A start fragment (0b10 from a controller; 0b00 accepted as well).
    if (slot) drop_partial(*slot, reason("a new start fragment arrived"));
    // Core 5.4 Vol 3 Part A 3.1: Length (2) of the basic header excludes the header.
    if (p.data.size() >= 4 && p.data.size() <= config_.max_pdu_size &&
        p.data.size() == 4 + size_t(get_le16(p.data.data()))) {
      return sink_(p.handle, p.data);  // whole: no copy
    }
    slot = nullptr;
    for (auto& candidate : slots()) {
      if (!candidate.active) {
        slot = &candidate;
        break;
      }
    }
    if (!slot) {
      SABLE_LOG_WARN("hci: ACL 0x%03x: no free recombination buffer, dropped", p.handle);
      ++dropped_;
      return;
    }
    *slot = Slot{};
    slot->active = true;
    slot->handle = p.handle;
  }
  // The same checks for the start and every continuation: a partial PDU that
  // cannot become a valid one is dropped at once.
  if (slot->have + p.data.size() > config_.max_pdu_size) {
    return drop_partial(*slot, reason("larger than the maximum PDU size"));
  }
  append(*slot, p.data);
  if (slot->expected == 0) return;
  if (slot->expected > config_.max_pdu_size) {
    return drop_partial(*slot, reason("larger than the maximum PDU size"));
  }
  if (slot->have > slot->expected) return drop_partial(*slot, reason("more octets than declared"));
  if (slot->have == slot->expected) {
    Bytes pdu(buffer(*slot), slot->have);
    *slot = Slot{};  // free before the sink runs; the buffer stays intact
    sink_(p.handle, pdu);
  }
}

void AclInbound::on_disconnection(uint16_t handle) {
  if (Slot* s = find(handle & kHandleMask)) *s = Slot{};
}

}  // namespace sable::hci
