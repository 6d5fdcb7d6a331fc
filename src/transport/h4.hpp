// H4 framing (Core 5.4 Vol 4 Part A 2): each HCI packet on a byte stream is
// preceded by a one-byte packet indicator. The deframer is sans-I/O: it takes
// whatever bytes a read() produced, in any split, and hands out whole packets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>

#include "common/bytes.hpp"
#include "common/hci_packet_type.hpp"

namespace sable {

// The packet types a deframer accepts from its peer. A host hears Events and
// data from the controller; a relay standing in for a host toward a controller
// hears Commands and data.
class H4PacketTypes {
 public:
  constexpr H4PacketTypes(std::initializer_list<HciPacketType> types) {
    for (HciPacketType t : types) mask_ |= bit(t);
  }
  constexpr bool contains(HciPacketType type) const { return (mask_ & bit(type)) != 0; }
  constexpr bool contains_indicator(uint8_t indicator) const {
    return indicator >= 0x01 && indicator <= 0x05 && contains(HciPacketType(indicator));
  }

  // What a host receives from a controller.
  static constexpr H4PacketTypes from_controller() {
    return {HciPacketType::kEvent, HciPacketType::kAcl, HciPacketType::kSco, HciPacketType::kIso};
  }
  // What a controller receives from a host.
  static constexpr H4PacketTypes to_controller() {
    return {HciPacketType::kCommand, HciPacketType::kAcl, HciPacketType::kSco, HciPacketType::kIso};
  }

 private:
  static constexpr uint8_t bit(HciPacketType t) { return uint8_t(1u << (uint8_t(t) & 7)); }
  uint8_t mask_ = 0;
};

// Size of the HCI packet header that follows the indicator, or 0 for an
// indicator that is not an HCI packet type.
constexpr size_t h4_header_size(HciPacketType type) {
  switch (type) {
    case HciPacketType::kCommand:  // Vol 4 Part E 5.4.1: opcode le16, length u8
      return 3;
    case HciPacketType::kAcl:  // 5.4.2: handle+flags le16, length le16
      return 4;
    case HciPacketType::kSco:  // 5.4.3: handle+flags le16, length u8
      return 3;
    case HciPacketType::kEvent:  // 5.4.4: event code u8, length u8
      return 2;
    case HciPacketType::kIso:  // 5.4.5: handle+flags le16, length le16 (14 bits)
      return 4;
  }
  return 0;
}

class H4Deframer {
 public:
  // Receives each complete packet: the HCI header and payload, without the
  // indicator byte. The view is valid only during the call.
  using Sink = std::function<void(HciPacketType type, Bytes packet)>;

  // Enough for an ACL packet carrying 1024 octets of L2CAP payload plus the
  // 4-octet L2CAP basic header. Command, SCO and Event lengths are one octet,
  // so they always fit.
  static constexpr size_t kDefaultMaxPayload = 1024 + 4;

  explicit H4Deframer(H4PacketTypes accepted, size_t max_payload = kDefaultMaxPayload,
                      Sink sink = nullptr);

  // Feeds bytes in any split; calls the sink given here (or the constructor's)
  // once per complete packet, in order.
  void push(Bytes data, const Sink& sink);
  void push(Bytes data) { push(data, sink_); }

  // Drops a partly received packet (e.g. after reconnecting).
  void reset();

  // Bytes skipped while resynchronising after garbage, since construction.
  uint64_t garbage_bytes() const { return garbage_bytes_; }
  // Number of times the stream lost sync (each one logged once).
  uint64_t resync_count() const { return resync_count_; }
  size_t max_payload() const { return max_payload_; }

 private:
  enum class State { kIndicator, kHeader, kPayload };

  // Consumes a prefix of data; returns how many bytes it used (at least 1).
  size_t consume(Bytes data, const Sink& sink);
  void skip_garbage(uint8_t byte, size_t count);
  void header_complete(const Sink& sink);
  void deliver(const Sink& sink);

  H4PacketTypes accepted_;
  size_t max_payload_;
  Sink sink_;
  // header (at most 4 octets) + payload; allocated once, never per packet.
  std::unique_ptr<uint8_t[]> buffer_;
  size_t buffer_size_;

  State state_ = State::kIndicator;
  HciPacketType type_ = HciPacketType::kEvent;
  size_t header_size_ = 0;
  size_t filled_ = 0;  // bytes of header+payload in buffer_
  size_t total_ = 0;   // header+payload length once the header is known
  bool resyncing_ = false;
  uint64_t garbage_bytes_ = 0;
  uint64_t resync_count_ = 0;
};

}  // namespace sable
