// End-to-end benchmark of the public API's notify path: the program an
// application writes. It advertises "sable-bench" with one characteristic
// (Read | Notify) through sable::Device, waits for a subscriber (run
// sable-bench-sink against it), then loops, on its own thread,
//   characteristic.set_value(v).notify();
// --count times, each value starting with a sequence number (LE32; its low
// octet when --size is below 4). A full hand-off queue (kOutOfBuffers) is
// retried after a 1 ms sleep. It counts heap allocations over the loop (the
// bench allocation counter replaces malloc), waits until the stack has
// reported every notification (on_notified), and prints one "RESULT server
// ..." line (rate, CPU per notification, allocations per notification,
// failures). Exit 0 when every notification was sent.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "alloc_counter.hpp"
#include "e2e_common.hpp"
#include "sable/device.hpp"

namespace {

const char kUsage[] =
    "usage: sable-bench-api-notify --hci SPEC [--count N] [--size N] [--timeout S]\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace sable;
  using std::chrono::milliseconds;
  auto o = bench::Options::parse(argc, argv, kUsage);
  DeviceOptions options;
  options.hci = o.hci;
  options.name = bench::kBenchName;
  auto taken = Device::take(options);
  if (!taken.ok()) {
    std::fprintf(stderr, "sable-bench-api-notify: %s\n", taken.error().message.c_str());
    return 1;
  }
  Device& device = *taken.value();
  Characteristic& characteristic =
      device.server()
          .create_service(bench::kBenchService)
          .create_characteristic(bench::kBenchCharacteristic, Property::Read | Property::Notify);
  std::vector<uint8_t> value(o.size, 0xA5);
  characteristic.set_value(value);

  std::atomic<bool> subscribed{false};
  std::atomic<bool> disconnected{false};
  std::atomic<uint32_t> reported{0};
  std::atomic<uint32_t> sent{0};
  characteristic.on_subscribe([&](uint16_t, uint16_t cccd) { subscribed = (cccd & 0x0001) != 0; });
  characteristic.on_notified([&](std::span<const uint8_t>, const NotifyResult& r) {
    if (r.status == NotifyStatus::kSent) sent.fetch_add(1, std::memory_order_relaxed);
    reported.fetch_add(1, std::memory_order_release);
  });
  device.server().on_disconnect([&](const ConnDesc&, DisconnectReason) { disconnected = true; });
  if (!device.advertising().set_data(AdvertisementData().name(bench::kBenchName)).ok() ||
      !device.advertising().set_interval(0x0020, 0x0020).ok() ||
      !device.advertising().start().ok()) {
    std::fprintf(stderr, "sable-bench-api-notify: cannot advertise\n");
    return 1;
  }

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(o.timeout_s);
  while (!subscribed && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(milliseconds(5));
  if (!subscribed) {
    std::fprintf(stderr, "sable-bench-api-notify: nobody subscribed\n");
    return 1;
  }

  const uint64_t wall_start = bench::wall_time_us();
  const uint64_t cpu_start = bench::cpu_time_us();
  const uint64_t allocations_start = bench::allocation_count();
  uint64_t full = 0;
  bool failed = false;
  for (uint32_t i = 0; i < o.count && !failed;) {
    for (size_t k = 0; k < 4 && k < value.size(); ++k) value[k] = uint8_t(i >> (8 * k));
    NotifyResult r = characteristic.set_value(value).notify();
    if (r.status == NotifyStatus::kQueued) {
      ++i;
    } else if (r.status == NotifyStatus::kOutOfBuffers) {
      ++full;
      std::this_thread::sleep_for(milliseconds(1));
    } else {
      std::fprintf(stderr, "notify %u: %s\n", i, r.to_string().c_str());
      failed = true;
    }
  }
  const uint64_t allocations = bench::allocation_count() - allocations_start;
  while (!failed && reported.load(std::memory_order_acquire) < o.count &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(milliseconds(1));
  const uint64_t wall_end = bench::wall_time_us();
  const uint64_t cpu_end = bench::cpu_time_us();

  const double secs = double(wall_end - wall_start) / 1e6;
  const uint32_t ops = sent.load();
  std::printf(
      "RESULT server mode=api-notify size=%u ops=%u seconds=%.3f rate=%.0f cpu_us_per_op=%.2f "
      "allocations=%llu allocs_per_op=%.3f queue_full=%llu failures=%llu flow_ok=1\n",
      unsigned(o.size), ops, secs, secs > 0 ? double(ops) / secs : 0.0,
      ops ? double(cpu_end - cpu_start) / double(ops) : 0.0, (unsigned long long)allocations,
      o.count ? double(allocations) / double(o.count) : 0.0, (unsigned long long)full,
      (unsigned long long)characteristic.notify_failures());
  std::fflush(stdout);
  // The sink disconnects when it has everything.
  const auto linger = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (!disconnected && std::chrono::steady_clock::now() < linger)
    std::this_thread::sleep_for(milliseconds(10));
  return !failed && ops == o.count ? 0 : 1;
}
