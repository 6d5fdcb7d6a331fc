// The public API's platform-independent pieces, without a controller: the
// notification hand-off queue, the run loop's allocation-free wake, and the
// origin of a pairing failure.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include "api/device_impl.hpp"
#include "api/notify_queue.hpp"
#include "platform/run_loop.hpp"

namespace sable::detail {
namespace {

Characteristic* tag(uintptr_t n) {
  return reinterpret_cast<Characteristic*>(n * 16);
}

TEST(NotifyQueue, KeepsOrderAcrossTheEndOfTheRing) {
  // Room for exactly four 1-octet records; a 40-octet one needs 64.
  NotifyQueue q(4 * NotifyQueue::record_size(1));
  uint8_t v[40] = {};
  for (uint8_t i = 0; i < 4; ++i) {
    v[0] = i;
    ASSERT_TRUE(q.push(tag(i + 1), Bytes(v, 1)));
  }
  EXPECT_FALSE(q.push(tag(9), Bytes(v, 1))) << "full";
  for (uint8_t i = 0; i < 3; ++i) {
    auto r = q.front();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->characteristic, tag(i + 1));
    ASSERT_EQ(r->value.size(), 1u);
    EXPECT_EQ(r->value[0], i);
    q.pop();
  }
  // One record left at the last slot; a 40-octet value does not fit before
  // the end, so the end becomes padding and the record starts at 0.
  v[0] = 0xAA;
  v[39] = 0xBB;
  ASSERT_TRUE(q.push(tag(5), Bytes(v, 40)));
  auto last = q.front();
  ASSERT_TRUE(last);
  EXPECT_EQ(last->characteristic, tag(4));
  q.pop();
  auto wrapped = q.front();
  ASSERT_TRUE(wrapped);
  EXPECT_EQ(wrapped->characteristic, tag(5));
  ASSERT_EQ(wrapped->value.size(), 40u);
  EXPECT_EQ(wrapped->value[0], 0xAA);
  EXPECT_EQ(wrapped->value[39], 0xBB);
  q.pop();
  EXPECT_TRUE(q.empty());
  EXPECT_FALSE(q.front());
}

TEST(NotifyQueue, WithoutCapacityEveryPushFails) {
  NotifyQueue q(0);
  uint8_t v = 1;
  EXPECT_FALSE(q.push(tag(1), Bytes(&v, 1)));
  EXPECT_TRUE(q.empty());
}

TEST(NotifyQueue, ALongestValueFits) {
  NotifyQueue q(8192);
  std::vector<uint8_t> v(Characteristic::kMaxValueLength, 0x5A);
  ASSERT_TRUE(q.push(tag(1), v));
  auto r = q.front();
  ASSERT_TRUE(r);
  EXPECT_EQ(std::vector<uint8_t>(r->value.begin(), r->value.end()), v);
}

// Many producers, one consumer: every record arrives once, each producer's in order.
TEST(NotifyQueue, ProducersOnOtherThreadsLoseNothing) {
  NotifyQueue q(1024);
  constexpr int kPerThread = 20000;
  std::atomic<bool> done{false};
  std::vector<int> next(3, 0);
  int received = 0;
  std::thread consumer([&] {
    while (!done || !q.empty()) {
      while (auto r = q.front()) {
        const size_t producer = reinterpret_cast<uintptr_t>(r->characteristic) / 16 - 1;
        int seq = r->value[0] | (r->value[1] << 8) | (r->value[2] << 16);
        EXPECT_EQ(seq, next[producer]);
        next[producer] = seq + 1;
        ++received;
        q.pop();
      }
      std::this_thread::yield();
    }
  });
  std::vector<std::thread> producers;
  for (uintptr_t p = 0; p < 3; ++p) {
    producers.emplace_back([&q, p] {
      for (int i = 0; i < kPerThread;) {
        uint8_t v[5] = {uint8_t(i), uint8_t(i >> 8), uint8_t(i >> 16), 0, 0};
        if (q.push(tag(p + 1), Bytes(v, 3 + p)))  // sizes differ: records wrap unevenly
          ++i;
        else
          std::this_thread::yield();
      }
    });
  }
  for (auto& t : producers) t.join();
  done = true;
  consumer.join();
  EXPECT_EQ(received, 3 * kPerThread);
}

TEST(RunLoopWake, RunsTheHandlerOnTheLoopThreadOncePerBurst) {
  platform::RunLoop loop;
  std::atomic<int> calls{0};
  std::atomic<bool> on_loop{false};
  loop.set_wake_handler([&] {
    on_loop = loop.on_loop_thread();
    ++calls;
  });
  std::thread t([&] { loop.run(); });
  // Hold the loop thread while 100 wakes arrive: they are one call.
  std::promise<void> release;
  std::promise<void> holding;
  loop.post([&] {
    holding.set_value();
    release.get_future().wait();
  });
  holding.get_future().wait();
  for (int i = 0; i < 100; ++i) loop.wake();
  release.set_value();
  for (int i = 0; i < 400 && calls == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(calls.load(), 1);
  EXPECT_TRUE(on_loop);
  loop.wake();
  for (int i = 0; i < 400 && calls == 1; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(calls.load(), 2) << "a wake after the handler ran is not lost";
  loop.stop();
  t.join();
}

}  // namespace
}  // namespace sable::detail
