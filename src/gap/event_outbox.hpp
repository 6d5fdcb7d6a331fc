// What the host has to tell the application, queued while the host is inside
// a protocol call chain (HCI -> ACL -> L2CAP -> SMP/ATT) and delivered by the
// Host once that input is fully processed. So no application callback ever
// runs with a layer half-way through a PDU, and a callback may disconnect,
// delete a bond or start a procedure safely.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

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
  // Each kind carries only the fields deliver() reads for it: desc (every
  // link event), value (as noted above), error (kFatal, kPairingFailed,
  // kConnectFailed), address (kConnectFailed).
  Kind kind = Kind::kReady;
  ConnDesc desc;
  Address address;
  uint32_t value = 0;
  Error error{};
};

// A FIFO whose storage is reserved up front (sized from the host's connection
// limit): queueing an event does not allocate in the steady state.
class EventOutbox {
 public:
  explicit EventOutbox(size_t capacity);

  // Queues an event of `kind` and returns it, in place, for the caller to
  // fill in the fields its kind carries (no event is built and then copied).
  HostEvent& push(HostEvent::Kind kind);
  // A link event: `desc` and `value`.
  void push(HostEvent::Kind kind, const ConnDesc& desc, uint32_t value = 0);
  bool empty() const { return head_ == tail_; }
  size_t size() const { return tail_ - head_; }
  // Removes and returns the oldest event.
  HostEvent pop();
  // Delivers every queued event in order, including those queued by the
  // listener's own calls while it runs.
  void deliver(HostListener& listener);

 private:
  // Queued events are events_[head_, tail_): appended at the tail, taken
  // from the head; both return to 0 when the queue empties.
  std::unique_ptr<HostEvent[]> events_;
  size_t capacity_;
  size_t head_ = 0;
  size_t tail_ = 0;
};

}  // namespace sable::gap
