#include "gap/event_outbox.hpp"

#include <algorithm>

#include "common/log.hpp"
#include "gap/host_listener.hpp"

namespace sable::gap {

EventOutbox::EventOutbox(size_t capacity)
    : events_(std::make_unique<HostEvent[]>(capacity < 4 ? 4 : capacity)),
      capacity_(capacity < 4 ? 4 : capacity) {}

HostEvent& EventOutbox::push(HostEvent::Kind kind) {
  if (tail_ == capacity_) {
    if (head_ > 0) {
      // Delivery has taken some from the front: move the rest down.
      std::copy(&events_[head_], &events_[tail_], &events_[0]);
    } else {
      // More events from one input than the limits foresaw: keep them all (a
      // lost disconnection or pairing result is worse than an allocation).
      SABLE_LOG_WARN("host event queue full (%zu); growing it", capacity_);
      auto bigger = std::make_unique<HostEvent[]>(capacity_ * 2);
      std::copy(&events_[0], &events_[tail_], &bigger[0]);
      events_ = std::move(bigger);
      capacity_ *= 2;
    }
    tail_ -= head_;
    head_ = 0;
  }
  HostEvent& e = events_[tail_++];
  e.kind = kind;
  return e;
}

void EventOutbox::push(HostEvent::Kind kind, const ConnDesc& desc, uint32_t value) {
  HostEvent& e = push(kind);
  e.desc = desc;
  e.value = value;
}

HostEvent EventOutbox::pop() {
  HostEvent e = events_[head_++];
  if (head_ == tail_) head_ = tail_ = 0;
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
        l.on_fatal(e.error);
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
        l.on_pairing_failed(e.desc, e.error);
        break;
      case K::kConnectFailed:
        l.on_connect_failed(e.address, e.error);
        break;
    }
  }
}

}  // namespace sable::gap
