#include "gap/event_outbox.hpp"

#include <utility>

#include "common/log.hpp"
#include "gap/host_listener.hpp"

namespace sable::gap {

EventOutbox::EventOutbox(size_t capacity) : ring_(capacity < 4 ? 4 : capacity) {}

void EventOutbox::push(HostEvent event) {
  if (count_ == ring_.size()) {
    // More events from one input than the limits foresaw: keep them all (a
    // lost disconnection or pairing result is worse than an allocation).
    SABLE_LOG_WARN("host event queue full (%zu); growing it", ring_.size());
    std::vector<HostEvent> bigger(ring_.size() * 2);
    for (size_t i = 0; i < count_; ++i) bigger[i] = std::move(ring_[(head_ + i) % ring_.size()]);
    ring_ = std::move(bigger);
    head_ = 0;
  }
  ring_[(head_ + count_) % ring_.size()] = std::move(event);
  ++count_;
}

HostEvent EventOutbox::pop() {
  HostEvent e = std::move(ring_[head_]);
  head_ = (head_ + 1) % ring_.size();
  --count_;
  return e;
}

void EventOutbox::deliver(HostListener& l) {
  while (!empty()) {
    HostEvent e = pop();
    using K = HostEvent::Kind;
    switch (e.kind) {
      case K::kReady:
        l.on_ready();
        break;
      case K::kFatal:
        l.on_fatal(*e.error);
        break;
      case K::kConnected:
        l.on_connected(e.desc);
        break;
      case K::kDisconnected:
        l.on_disconnected(e.desc, uint8_t(e.value));
        break;
      case K::kConnectionUpdated:
        l.on_connection_updated(e.desc);
        break;
      case K::kSecurityChanged:
        l.on_security_changed(e.desc);
        break;
      case K::kPasskeyDisplay:
        l.on_passkey_display(e.desc, e.value);
        break;
      case K::kPasskeyRequest:
        l.on_passkey_request(e.desc);
        break;
      case K::kNumericComparison:
        l.on_numeric_comparison(e.desc, e.value);
        break;
      case K::kPairingComplete:
        l.on_pairing_complete(e.desc);
        break;
      case K::kPairingFailed:
        l.on_pairing_failed(e.desc, *e.error);
        break;
      case K::kConnectFailed:
        l.on_connect_failed(e.address, *e.error);
        break;
    }
  }
}

}  // namespace sable::gap
