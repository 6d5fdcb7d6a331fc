// The HCI layer's only output: whole HCI packets (no H4 indicator) handed to the
// owner, which forwards them to the transport. Implemented by the host glue and
// by test fakes. The packet view is valid only during the call.
#pragma once

#include "common/bytes.hpp"
#include "common/hci_packet_type.hpp"

namespace sable::hci {

struct Sender {
  virtual void send_hci(HciPacketType type, Bytes packet) = 0;

 protected:
  ~Sender() = default;
};

}  // namespace sable::hci
