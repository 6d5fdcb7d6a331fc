// What the host has to tell the application, queued while the host is inside
// a protocol call chain (HCI -> ACL -> L2CAP -> SMP/ATT) and delivered by the
// Host once that input is fully processed. So no application callback ever
// runs with a layer half-way through a PDU, and a callback may disconnect,
// delete a bond or start a procedure safely.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "sable/address.hpp"
#include "sable/conn_desc.hpp"
#include "sable/error.hpp"

namespace sable::gap {

class HostListener;

struct HostEvent {
  enum class Kind : uint8_t {
    kReady,
    kFatal,
    kConnected,
    kDisconnected,  // value: HCI reason
    kConnectionUpdated,
    kSecurityChanged,
    kPasskeyDisplay,  // value: passkey
    kPasskeyRequest,
    kNumericComparison,  // value: the number to compare
    kPairingComplete,
    kPairingFailed,
    kConnectFailed,  // address: the peer asked for
  };
  Kind kind = Kind::kReady;
  ConnDesc desc;
  Address address;
  uint32_t value = 0;
  std::optional<Error> error;
};

// A FIFO whose storage is reserved up front (sized from the host's connection
// limit): queueing an event does not allocate in the steady state.
class EventOutbox {
 public:
  explicit EventOutbox(size_t capacity);

  void push(HostEvent event);
  bool empty() const { return count_ == 0; }
  size_t size() const { return count_; }
  // Removes and returns the oldest event.
  HostEvent pop();
  // Delivers every queued event in order, including those queued by the
  // listener's own calls while it runs.
  void deliver(HostListener& listener);

 private:
  std::vector<HostEvent> ring_;
  size_t head_ = 0;
  size_t count_ = 0;
};

}  // namespace sable::gap
