// The Linux run loop: one thread owns the stack (DESIGN.md). epoll waits on
// file descriptors and the earliest timer; other threads hand work to the loop
// with post(), which wakes it through an eventfd.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "common/time.hpp"

namespace sable::platform {

class RunLoop {
 public:
  using TimerId = uint64_t;

  RunLoop();
  ~RunLoop();
  RunLoop(const RunLoop&) = delete;
  RunLoop& operator=(const RunLoop&) = delete;

  // Monotonic milliseconds; the epoch is arbitrary but fixed for the process.
  static TimePoint now();

  // Calls on_readable on the loop thread whenever fd is readable (or hung up).
  bool watch_fd(int fd, std::function<void()> on_readable);
  void unwatch_fd(int fd);

  // One-shot timer at an absolute time. Loop thread only.
  TimerId add_timer(TimePoint at, std::function<void()> fn);
  void cancel_timer(TimerId id);

  // Thread-safe: runs fn on the loop thread, in posting order.
  void post(std::function<void()> fn);
  // A handler that other threads trigger without allocating: wake() sets a
  // flag and writes the eventfd only when the flag was clear, so a burst of
  // wakes costs one write and one call. Set it before run().
  void set_wake_handler(std::function<void()> fn);
  // Thread-safe, allocation-free: the wake handler runs soon on the loop thread.
  void wake();
  // Thread-safe: run() returns after the current iteration.
  void stop();
  // Runs until stop(). Returns after draining posted work.
  void run();
  // Runs one iteration waiting at most max_wait. Loop thread only.
  void run_once(Duration max_wait);
  bool on_loop_thread() const;

 private:
  struct Watch {
    int fd;
    std::function<void()> fn;
  };
  struct Timer {
    TimerId id;
    TimePoint at;
    std::function<void()> fn;
  };
  void drain_posted();
  void fire_due_timers();

  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::vector<Watch> watches_;
  std::vector<Timer> timers_;
  TimerId next_timer_id_ = 1;
  std::mutex mutex_;
  std::vector<std::function<void()>> posted_;
  std::function<void()> wake_handler_;
  std::atomic<bool> wake_pending_{false};
  bool stop_ = false;
  std::thread::id loop_thread_{};
};

}  // namespace sable::platform
