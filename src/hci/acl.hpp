// ACL data (Core 5.4 Vol 4 Part E 5.4.2 and 4.1 / 4.3): host-to-controller
// fragmentation with buffer credits, and controller-to-host recombination of
// L2CAP PDUs (Core 5.4 Vol 3 Part A 7.2). Packets here carry no H4 indicator.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "common/bytes.hpp"
#include "hci/events.hpp"
#include "hci/inline_function.hpp"
#include "hci/sender.hpp"
#include "sable/result.hpp"

namespace sable::hci {

// Packet_Boundary_Flag values (Core 5.4 Vol 4 Part E 5.4.2).
namespace pb {
inline constexpr uint8_t kFirstNonFlushable = 0b00;  // host to controller, LE start
inline constexpr uint8_t kContinuation = 0b01;
inline constexpr uint8_t kFirstFlushable = 0b10;  // controller to host start
inline constexpr uint8_t kComplete = 0b11;        // BR/EDR only; not allowed on LE-U
}  // namespace pb

// Header: Handle (12 bits) | PB (2) | BC (2), Data_Total_Length (2); the data
// length must equal the octets present.
struct AclPacket {
  static constexpr size_t kHeaderSize = 4;
  uint16_t handle = 0;
  uint8_t packet_boundary = 0;
  uint8_t broadcast = 0;
  Bytes data;
  static Result<AclPacket, ParseError> parse(Bytes packet);
};

// Host → controller. Splits each L2CAP PDU into ACL packets of at most the
// controller's buffer length (first PB=0b00, then PB=0b01) and sends them while
// controller buffers (credits) remain. Every PDU is first copied, whole, into a
// bounded fragment pool allocated by configure() (at bring-up, never per packet); fragments then go
// out in order per handle and round-robin, one fragment per turn, across handles. A handle is
// tracked only while it has fragments queued or in flight. Re-entrant calls from inside
// Sender::send_hci are safe.
class AclOutbound {
 public:
  struct Config {
    size_t max_links = 8;  // handles with data queued or in flight at once
    size_t max_queued_fragments = 64;
  };

  explicit AclOutbound(Sender& sender) : AclOutbound(sender, Config{}) {}
  AclOutbound(Sender& sender, Config config);

  // From bring-up (ControllerInfo::acl_data_length / acl_packet_count).
  // Allocates the pool; drops anything queued. Length 0 or count 0 disables.
  void configure(uint16_t buffer_length, uint16_t buffer_count);

  // Queues a complete L2CAP PDU (basic header included) for `handle`. False,
  // with nothing queued or sent, when not configured, the PDU is empty, or the
  // pool or link table cannot take all of it ("out of buffers").
  bool send(uint16_t handle, Bytes l2cap_pdu);

  // Core 5.4 Vol 4 Part E 7.7.19: returns credits and sends queued fragments.
  // A count for a handle with nothing in flight (or more than in flight) is
  // logged and not credited.
  void on_number_of_completed_packets(const NumberOfCompletedPacketsEvent& event);

  // Core 5.4 Vol 4 Part E 4.3: the controller flushed the handle's buffers, so
  // its in-flight packets count as completed; its queued fragments are dropped.
  void on_disconnection(uint16_t handle);

  uint16_t buffer_length() const { return buffer_length_; }
  uint16_t available_credits() const { return credits_; }
  uint16_t in_flight(uint16_t handle) const;
  size_t queued_fragments(uint16_t handle) const;
  size_t free_fragments() const { return free_count_; }
  AclOutbound(const AclOutbound&) = delete;
  AclOutbound& operator=(const AclOutbound&) = delete;

 private:
  static constexpr int32_t kNone = -1;
  struct Link {
    bool used = false;
    uint16_t handle = 0;
    uint16_t in_flight = 0;
    int32_t head = kNone;
    int32_t tail = kNone;
    size_t queued = 0;
  };

  // A slot of the pool: its place in a link's FIFO or the free list, and the
  // octets of the ACL packet it holds.
  struct Fragment {
    int32_t next = kNone;
    uint16_t length = 0;
  };

  std::span<Link> links() { return {links_.get(), config_.max_links}; }
  std::span<const Link> links() const { return {links_.get(), config_.max_links}; }
  Link* find(uint16_t handle);
  const Link* find(uint16_t handle) const;
  Link* allocate(uint16_t handle);
  void release_if_idle(Link& link);
  int32_t pop_free();
  void push_free(int32_t slot);
  uint8_t* slot_data(int32_t slot) { return &pool_[size_t(slot) * slot_size_]; }
  void drain();

  Sender& sender_;
  Config config_;
  uint16_t buffer_length_ = 0;
  uint16_t buffer_count_ = 0;
  uint16_t credits_ = 0;
  std::unique_ptr<Link[]> links_;  // config_.max_links
  size_t slot_size_ = 0;
  size_t fragment_count_ = 0;
  std::unique_ptr<uint8_t[]> pool_;  // fragment_count_ * (4 + buffer_length)
  std::unique_ptr<Fragment[]> fragments_;
  int32_t free_head_ = kNone;
  size_t free_count_ = 0;
  size_t round_robin_ = 0;
  bool draining_ = false;
};

// Controller → host. Recombines L2CAP PDUs per connection handle: a start
// fragment (PB=0b10, also 0b00) carries the L2CAP basic header whose length
// gives the PDU size 4 + length; continuations (PB=0b01) are appended until
// that size. A PDU that arrives whole in one packet is passed on without a
// copy. Dropped with a log line: a malformed header, BC != 0, PB=0b11, an
// orphan continuation, a partial PDU interrupted by a new start (the partial
// one), more octets than declared, a PDU over max_pdu_size, no free slot.
class AclInbound {
 public:
  using Sink = InlineFunction<void(uint16_t handle, Bytes l2cap_pdu)>;
  struct Config {
    size_t max_links = 8;  // handles with a partial PDU at once
    size_t max_pdu_size = 4 + 1024;
  };

  explicit AclInbound(Sink sink) : AclInbound(sink, Config{}) {}
  // Allocates the recombination buffers, once.
  AclInbound(Sink sink, Config config);
  AclInbound(const AclInbound&) = delete;
  AclInbound& operator=(const AclInbound&) = delete;

  // The PDU view passed to the sink is valid only during the call.
  void on_acl(Bytes packet);
  void on_disconnection(uint16_t handle);

  size_t dropped() const { return dropped_; }  // packets or partial PDUs dropped
  bool has_partial(uint16_t handle) const;

 private:
  struct Slot {
    bool active = false;
    uint16_t handle = 0;
    size_t have = 0;
    size_t expected = 0;  // 0 until the 4-octet basic header is complete
  };
  std::span<Slot> slots() { return {slots_.get(), config_.max_links}; }
  std::span<const Slot> slots() const { return {slots_.get(), config_.max_links}; }
  Slot* find(uint16_t handle);
  uint8_t* buffer(const Slot& s) {
    return &buffers_[size_t(&s - slots_.get()) * config_.max_pdu_size];
  }
  void drop_partial(Slot& s, const char* why);
  void append(Slot& s, Bytes data);

  Sink sink_;
  Config config_;
  std::unique_ptr<Slot[]> slots_;       // config_.max_links
  std::unique_ptr<uint8_t[]> buffers_;  // config_.max_links * config_.max_pdu_size
  size_t dropped_ = 0;
};

}  // namespace sable::hci
