#include "gap/event_outbox.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gap/host_listener.hpp"

namespace sable::gap {
namespace {

// Records the order of deliveries; optionally queues more events from inside
// the callbacks, as an application calling back into the host does.
class OrderListener final : public HostListener {
 public:
  explicit OrderListener(EventOutbox& outbox) : outbox_(outbox) {}
  void on_ready() override { seen.push_back(-1); }
  void on_fatal(const Error& e) override { fatal.push_back(e.message.c_str()); }
  void on_connected(const ConnDesc& d) override {
    seen.push_back(d.handle);
    // Each connection queues `fan_out` more while the queue is delivered.
    for (int i = 0; i < fan_out; ++i) {
      ConnDesc more;
      more.handle = uint16_t(100 * d.handle + i);
      outbox_.push(HostEvent::Kind::kConnectionUpdated, more);
    }
  }
  void on_disconnected(const ConnDesc& d, uint8_t reason) override {
    seen.push_back(d.handle);
    reasons.push_back(reason);
  }
  void on_connection_updated(const ConnDesc& d) override { seen.push_back(d.handle); }

  std::vector<int> seen;
  std::vector<int> reasons;
  std::vector<std::string> fatal;
  int fan_out = 0;

 private:
  EventOutbox& outbox_;
};

ConnDesc link(uint16_t handle) {
  ConnDesc d;
  d.handle = handle;
  return d;
}

TEST(EventOutboxTest, DeliversInOrderWithEachKindsFields) {
  EventOutbox outbox(4);
  OrderListener l(outbox);
  outbox.push(HostEvent::Kind::kReady);
  outbox.push(HostEvent::Kind::kDisconnected, link(7), 0x13);
  outbox.push(HostEvent::Kind::kFatal).error = Error{ErrorKind::kController, "gone"};
  EXPECT_EQ(outbox.size(), 3u);
  outbox.deliver(l);
  EXPECT_TRUE(outbox.empty());
  EXPECT_EQ(l.seen, (std::vector<int>{-1, 7}));
  EXPECT_EQ(l.reasons, (std::vector<int>{0x13}));
  EXPECT_EQ(l.fatal, (std::vector<std::string>{"gone"}));
}

TEST(EventOutboxTest, GrowsRatherThanLosingEvents) {
  EventOutbox outbox(4);
  OrderListener l(outbox);
  for (uint16_t h = 1; h <= 11; ++h) outbox.push(HostEvent::Kind::kConnectionUpdated, link(h));
  EXPECT_EQ(outbox.size(), 11u);
  outbox.deliver(l);
  EXPECT_EQ(l.seen, (std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
}

// Events queued by the listener while the queue is delivered come after the
// ones already queued, also when the queue wraps (taken ones make room) or
// must grow.
TEST(EventOutboxTest, KeepsOrderForEventsQueuedDuringDelivery) {
  EventOutbox outbox(4);
  OrderListener l(outbox);
  l.fan_out = 2;
  outbox.push(HostEvent::Kind::kConnected, link(1));
  outbox.push(HostEvent::Kind::kConnected, link(2));
  outbox.push(HostEvent::Kind::kConnected, link(3));
  outbox.deliver(l);
  EXPECT_EQ(l.seen, (std::vector<int>{1, 2, 3, 100, 101, 200, 201, 300, 301}));
  EXPECT_TRUE(outbox.empty());
  // The emptied queue starts over.
  l.seen.clear();
  l.fan_out = 0;
  outbox.push(HostEvent::Kind::kConnected, link(9));
  outbox.deliver(l);
  EXPECT_EQ(l.seen, (std::vector<int>{9}));
}

}  // namespace
}  // namespace sable::gap
