// std::this_thread::sleep_for on the board. arm-none-eabi's libstdc++ has no
// nanosleep, so its sleep_for calls this hook (bits/this_thread_sleep.h,
// _GLIBCXX_USE_NANOSLEEP undefined). Here a program's sleep is the stack's
// run loop: it serves HCI input and the host's deadlines until the time is up,
// and sleeps (WFI) in between. This is what lets the reference program's
// `for (;;) { sleep_for(1 s); notify(); }` run unchanged on one thread.
#include <chrono>
#include <thread>

#include "board_device.hpp"

namespace std::this_thread {

void __sleep_for(chrono::seconds s, chrono::nanoseconds ns) {
  auto ms = chrono::duration_cast<chrono::milliseconds>(s) +
            chrono::duration_cast<chrono::milliseconds>(ns + chrono::nanoseconds(999999));
  sable::TimePoint deadline = sable::detail::board_now() + ms;
  if (auto* device = sable::detail::BoardDevice::instance()) {
    device->run_until(deadline);
    return;
  }
  while (sable::detail::board_now() < deadline) sable::detail::board_idle_until(deadline);
}

}  // namespace std::this_thread
