// Shared plumbing of the end-to-end benchmark programs (bench_server,
// bench_sink): one gap::Host on a transport and a run loop, as src/api does,
// without the public API's thread hop, plus counters of ACL packets in flight
// taken from the HCI traffic itself.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "gap/host.hpp"
#include "platform/os_random.hpp"
#include "platform/run_loop.hpp"
#include "support/reference_profile.hpp"
#include "transport/transport.hpp"

namespace sable::bench {

// The reference program's UUIDs (tests/support), on an open benchmark database.
inline const Uuid& kBenchService = testing::kReferenceService;
inline const Uuid& kBenchCharacteristic = testing::kReferenceCharacteristic;
inline constexpr const char* kBenchName = "sable-bench";

// Command-line options shared by both programs: --key value pairs.
struct Options {
  std::string hci;
  std::string mode = "notify";  // notify | read
  uint32_t count = 10000;
  uint16_t size = 1;
  uint16_t mtu = 23;
  uint32_t timeout_s = 60;
  static Options parse(int argc, char** argv, const char* usage);
};

// CPU time of this process (user + system), microseconds.
uint64_t cpu_time_us();
// Monotonic time, microseconds.
uint64_t wall_time_us();

class Node : public hci::Sender, public gap::HostListener {
 public:
  Node(const gap::HostConfig& config, std::unique_ptr<Transport> transport);
  virtual ~Node() = default;

  // Starts bring-up and runs the loop until stop() or the timeout.
  // Returns false on a transport or controller failure or the timeout.
  bool run(uint32_t timeout_s);
  void stop() { loop_.stop(); }
  gap::Host& host() { return host_; }
  TimePoint now() const { return platform::RunLoop::now(); }
  platform::RunLoop& loop() { return loop_; }

  // ACL accounting from the traffic (Number Of Completed Packets).
  uint64_t acl_sent() const { return acl_sent_; }
  uint64_t acl_completed() const { return acl_completed_; }
  uint64_t max_in_flight() const { return max_in_flight_; }

  void on_fatal(const Error& e) override;
  void on_disconnected(const ConnDesc&, uint8_t reason) override;

 protected:
  // After every batch of input from the controller (and after timers).
  virtual void after_input() {}
  bool failed_ = false;
  bool disconnected_ = false;

 private:
  void send_hci(HciPacketType type, Bytes packet) override;
  void on_readable();
  void rearm();

  platform::RunLoop loop_;
  std::unique_ptr<Transport> transport_;
  platform::OsRandom random_;
  gap::Host host_;
  platform::RunLoop::TimerId timer_ = 0;
  TimePoint timer_at_ = kNever;
  uint64_t acl_sent_ = 0;
  uint64_t acl_completed_ = 0;
  uint64_t max_in_flight_ = 0;
};

}  // namespace sable::bench
