#include "platform/run_loop.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <thread>

#include "platform/os_random.hpp"

namespace sable::platform {
namespace {

TEST(RunLoopTest, RunsPostedWorkFromOtherThreadsInOrder) {
  RunLoop loop;
  std::vector<int> seen;
  std::thread t([&] {
    for (int i = 0; i < 5; ++i) loop.post([&seen, i] { seen.push_back(i); });
    loop.stop();
  });
  loop.run();
  t.join();
  EXPECT_EQ(seen, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(RunLoopTest, FiresTimersInDeadlineOrderAndHonoursCancel) {
  RunLoop loop;
  std::vector<int> fired;
  TimePoint t = RunLoop::now();
  loop.add_timer(t + Duration(20), [&] { fired.push_back(2); });
  loop.add_timer(t + Duration(5), [&] { fired.push_back(1); });
  auto cancelled = loop.add_timer(t + Duration(10), [&] { fired.push_back(99); });
  loop.cancel_timer(cancelled);
  loop.add_timer(t + Duration(30), [&] { loop.stop(); });
  loop.run();
  EXPECT_EQ(fired, (std::vector<int>{1, 2}));
}

TEST(RunLoopTest, CallsWatcherWhenFdBecomesReadable) {
  RunLoop loop;
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  char got = 0;
  loop.watch_fd(fds[0], [&] {
    ASSERT_EQ(read(fds[0], &got, 1), 1);
    loop.unwatch_fd(fds[0]);
    loop.stop();
  });
  ASSERT_EQ(write(fds[1], "x", 1), 1);
  loop.run();
  EXPECT_EQ(got, 'x');
  close(fds[0]);
  close(fds[1]);
}

TEST(OsRandomTest, FillsBuffersWithDifferentValues) {
  OsRandom random;
  std::array<uint8_t, 32> a{}, b{};
  random.fill(a);
  random.fill(b);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace sable::platform
