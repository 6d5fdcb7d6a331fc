#include "platform/run_loop.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

namespace sable::platform {

RunLoop::RunLoop() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = wake_fd_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  loop_thread_ = std::this_thread::get_id();
}

RunLoop::~RunLoop() {
  if (wake_fd_ >= 0) close(wake_fd_);
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

// The one place a Linux reading of the monotonic clock becomes the core's time
// base (sable::CoreClock): whole milliseconds since steady_clock's epoch.
TimePoint RunLoop::now() {
  return TimePoint{
      std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now().time_since_epoch())};
}

bool RunLoop::watch_fd(int fd, std::function<void()> on_readable) {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP;
  ev.data.fd = fd;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) return false;
  watches_.push_back({fd, std::move(on_readable)});
  return true;
}

void RunLoop::unwatch_fd(int fd) {
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  std::erase_if(watches_, [fd](const Watch& w) { return w.fd == fd; });
}

RunLoop::TimerId RunLoop::add_timer(TimePoint at, std::function<void()> fn) {
  TimerId id = next_timer_id_++;
  timers_.push_back({id, at, std::move(fn)});
  return id;
}

void RunLoop::cancel_timer(TimerId id) {
  std::erase_if(timers_, [id](const Timer& t) { return t.id == id; });
}

void RunLoop::post(std::function<void()> fn) {
  {
    std::lock_guard lock(mutex_);
    posted_.push_back(std::move(fn));
  }
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof one);
}

void RunLoop::set_wake_handler(std::function<void()> fn) {
  wake_handler_ = std::move(fn);
}

void RunLoop::wake() {
  // acq_rel: the loop's exchange(false) sees everything written before this.
  if (wake_pending_.exchange(true, std::memory_order_acq_rel)) return;
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof one);
}

void RunLoop::stop() {
  post([this] { stop_ = true; });
}

bool RunLoop::on_loop_thread() const {
  return std::this_thread::get_id() == loop_thread_;
}

void RunLoop::drain_posted() {
  std::vector<std::function<void()>> work;
  {
    std::lock_guard lock(mutex_);
    work.swap(posted_);
  }
  for (auto& fn : work) fn();
}

void RunLoop::fire_due_timers() {
  // Timers may add or cancel timers while running: take due ones out first.
  TimePoint t = now();
  std::vector<Timer> due;
  for (auto it = timers_.begin(); it != timers_.end();) {
    if (it->at <= t) {
      due.push_back(std::move(*it));
      it = timers_.erase(it);
    } else {
      ++it;
    }
  }
  std::sort(due.begin(), due.end(), [](const Timer& a, const Timer& b) { return a.at < b.at; });
  for (auto& timer : due) timer.fn();
}

void RunLoop::run_once(Duration max_wait) {
  TimePoint t = now();
  Duration wait = max_wait;
  for (const auto& timer : timers_) wait = std::min(wait, std::max(Duration(0), timer.at - t));
  epoll_event events[16];
  int n = epoll_wait(epoll_fd_, events, 16, int(wait.count()));
  if (n < 0 && errno != EINTR) return;
  for (int i = 0; i < n; ++i) {
    int fd = events[i].data.fd;
    if (fd == wake_fd_) {
      uint64_t count;
      [[maybe_unused]] ssize_t r = read(wake_fd_, &count, sizeof count);
      continue;
    }
    // The callback may unwatch fds: look each one up afresh.
    auto it =
        std::find_if(watches_.begin(), watches_.end(), [fd](const Watch& w) { return w.fd == fd; });
    if (it != watches_.end()) {
      auto fn = it->fn;
      fn();
    }
  }
  drain_posted();
  if (wake_pending_.exchange(false, std::memory_order_acq_rel) && wake_handler_) wake_handler_();
  fire_due_timers();
}

void RunLoop::run() {
  loop_thread_ = std::this_thread::get_id();
  stop_ = false;
  while (!stop_) run_once(Duration(60'000));
}

}  // namespace sable::platform
