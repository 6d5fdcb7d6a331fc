// Test double for hci::Sender: records every packet sent, byte for byte.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <vector>

#include "common/bytes.hpp"
#include "common/hci_packet_type.hpp"
#include "hci/sender.hpp"

namespace sable::hci::testing {

using Packet = std::vector<uint8_t>;

struct SentPacket {
  HciPacketType type;
  Packet bytes;
};

class FakeSender : public Sender {
 public:
  void send_hci(HciPacketType type, Bytes packet) override {
    sent.push_back({type, Packet(packet.begin(), packet.end())});
    if (on_send) on_send(type, packet);
  }
  std::vector<Packet> commands() const { return of(HciPacketType::kCommand); }
  std::vector<Packet> acl() const { return of(HciPacketType::kAcl); }
  std::vector<Packet> of(HciPacketType t) const {
    std::vector<Packet> out;
    for (const auto& p : sent)
      if (p.type == t) out.push_back(p.bytes);
    return out;
  }
  std::vector<SentPacket> sent;
  std::function<void(HciPacketType, Bytes)> on_send;
};

inline Bytes bytes(const Packet& p) {
  return Bytes(p.data(), p.size());
}

}  // namespace sable::hci::testing
