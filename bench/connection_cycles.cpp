// Heap allocations of the peripheral host over whole connection cycles (the
// footprint issue's "zero heap allocations after start-up"): two gap::Host on
// the in-process fake controller, the server running the reference profile.
// After start-up (bring-up, database, advertising data) each cycle is what the
// reference program lives through: the central connects, pairs (first cycle:
// LE Secure Connections passkey, bonding) or re-encrypts with the bond (later
// cycles), subscribes, the server notifies, the central reads and writes, the
// central disconnects, the server advertises again.
//
// Only the server host's own work is counted: a flag is raised while the
// server host runs (its HCI input, timeouts and API calls) and lowered while
// it hands a packet to the fake controller, so neither the central host nor
// the fake controller's queues are attributed to it.
//
//   sable-bench-cycles [--cycles N] [--trace] [--expect-none]
//
// Prints one line per cycle and a summary line:
//   cycles N: first cycle A allocs, later cycles B..C allocs each, total T
// Allocations made inside the crypto library (Debian's libmbedcrypto, whose
// bignums use the C heap on Linux) are reported apart. --trace prints a
// backtrace (glibc backtrace_symbols_fd) for each counted allocation, to find
// the call sites (bench/alloc_sites.py groups them). --expect-none makes the
// exit status 3 when sable's code allocated at all (the ctest smoke check:
// the count is deterministic, not a timing).
#include <dlfcn.h>
#include <execinfo.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "alloc_counter.hpp"
#include "gap/host.hpp"
#include "gatt/database.hpp"
#include "host_fixture.hpp"
#include "support/deterministic_random.hpp"
#include "support/fake_controller.hpp"
#include "support/reference_profile.hpp"

namespace sable::bench {
namespace {

bool g_trace = false;
int g_server_depth = 0;  // > 0 while the server host runs
uint64_t g_counted = 0;  // by sable's code
uint64_t g_crypto = 0;   // by the crypto library (Debian's shared mbedTLS)
bool g_in_hook = false;

// Whether one of the allocation's nearest callers is in the crypto library:
// on Linux src/crypto binds Debian's shared libmbedcrypto, whose bignums use
// the C heap (the firmware gives mbedTLS a static buffer instead).
bool from_crypto_library(void* const* frames, int n) {
  for (int i = 1; i < n && i < 6; ++i) {
    Dl_info info{};
    if (dladdr(frames[i], &info) != 0 && info.dli_fname != nullptr &&
        std::strstr(info.dli_fname, "mbedcrypto") != nullptr)
      return true;
  }
  return false;
}

void on_allocation(size_t size) {
  if (g_server_depth <= 0 || g_in_hook) return;
  g_in_hook = true;  // backtrace() and dladdr() may allocate on first use
  void* frames[24];
  int n = backtrace(frames, 24);
  if (from_crypto_library(frames, n)) {
    ++g_crypto;
  } else {
    ++g_counted;
    if (g_trace) {
      dprintf(2, "-- allocation %llu (%zu B)\n", static_cast<unsigned long long>(g_counted), size);
      backtrace_symbols_fd(frames + 1, n - 1, 2);
    }
  }
  g_in_hook = false;
}

// Raises the "server is running" flag for a scope (nested scopes allowed).
struct ServerScope {
  ServerScope() { ++g_server_depth; }
  ~ServerScope() { --g_server_depth; }
};
// Lowers it while the server hands a packet to the fake controller.
struct ControllerScope {
  ControllerScope() : saved_(g_server_depth) { g_server_depth = 0; }
  ~ControllerScope() { g_server_depth = saved_; }
  int saved_;
};

class CycleHost final : public hci::Sender, public BenchListener {
 public:
  CycleHost(testing::FakeAir& air, testing::FakeController& controller,
            const gap::HostConfig& config, uint64_t seed, bool counted)
      : air_(air),
        controller_(controller),
        counted_(counted),
        random_(seed),
        host_(config, *this, *this, random_) {
    controller_.set_host_sink([this](HciPacketType type, Bytes packet) {
      std::optional<ServerScope> scope;
      if (counted_) scope.emplace();
      host_.on_hci_packet(air_.now(), type, packet);
    });
  }
  gap::Host& host() { return host_; }

  void send_hci(HciPacketType type, Bytes packet) override {
    ControllerScope outside;
    controller_.from_host(type, packet);
  }
  // Answered by the cycle once the server has displayed its passkey.
  void on_passkey_request(const ConnDesc&) override { passkey_wanted = true; }
  void on_passkey_display(const ConnDesc&, uint32_t passkey) override { displayed = passkey; }
  void on_numeric_comparison(const ConnDesc& d, uint32_t) override {
    (void)host_.numeric_comparison_reply(air_.now(), d.handle, true);
  }

  bool passkey_wanted = false;
  std::optional<uint32_t> displayed;

 private:
  testing::FakeAir& air_;
  testing::FakeController& controller_;
  bool counted_;
  testing::DeterministicRandom random_;
  gap::Host host_;
};

class Cycles {
 public:
  Cycles() {
    auto& server_ctl = air_.add_controller(*Address::parse("00:AA:01:00:00:01"));
    auto& central_ctl = air_.add_controller(*Address::parse("00:AA:01:01:00:02"));
    server_address_ = server_ctl.address();
    server_ =
        std::make_unique<CycleHost>(air_, server_ctl, testing::reference_server_config(), 1, true);
    central_ = std::make_unique<CycleHost>(air_, central_ctl, bench_central_config(), 2, false);
    const BenchHandles h = start_hosts(air_, server_->host(), central_->host(), db_);
    value_handle_ = h.value;
    cccd_handle_ = h.cccd;
    write_handle_ = h.write;
    run();
  }

  bool started() const { return server_->ready && central_->ready; }

  // One connection cycle; false (with why on stderr) if a step did not happen.
  bool cycle(bool first) {
    {
      ServerScope s;
      if (!server_->host().start_advertising(air_.now()).ok()) return fail("start advertising");
    }
    advance(Duration(10));
    if (!central_->host().connect(air_.now(), server_address_).ok()) return fail("connect");
    advance(Duration(100));
    if (!central_->handle || !server_->handle) return fail("no connection");
    uint16_t ch = *central_->handle;
    central_->paired = false;
    if (first) {
      // The central types the passkey the server displays.
      if (!central_->host().pair(air_.now(), ch).ok()) return fail("pair");
      run();
      if (!server_->displayed || !central_->passkey_wanted) return fail("passkey entry");
      if (!central_->host().passkey_reply(air_.now(), ch, server_->displayed).ok())
        return fail("passkey reply");
      advance(Duration(200));
      if (!central_->paired) return fail("pairing");
    } else {
      if (!central_->host().secure(air_.now(), ch).ok()) return fail("secure");
      advance(Duration(100));
      auto desc = central_->host().connection(ch);
      if (!desc || !desc->encrypted) return fail("re-encryption");
    }
    gatt::Client* client = central_->host().gatt_client(ch);
    if (client == nullptr) return fail("no client");
    bool subscribed = false;
    client->subscribe(
        air_.now(), value_handle_, cccd_handle_, false,
        [this](uint16_t, Bytes, bool) { ++notifications_; },
        [&subscribed](gatt::ClientResult<void> r) { subscribed = r.ok(); });
    run();
    if (!subscribed) return fail("subscribe");
    uint64_t before = notifications_;
    for (uint32_t i = 0; i < 5; ++i) {
      std::array<uint8_t, 4> v{uint8_t(i), 0, 0, 0};
      ServerScope s;
      (void)server_->host().notify(air_.now(), value_handle_, v);
    }
    run();
    if (notifications_ != before + 5) return fail("notifications");
    bool read = false;
    client->read(air_.now(), value_handle_,
                 [&read](gatt::ClientResult<std::vector<uint8_t>> r) { read = r.ok(); });
    run();
    if (!read) return fail("read");
    bool written = false;
    std::array<uint8_t, 20> w{};
    w[0] = 1;
    client->write(air_.now(), write_handle_, w, gatt::WriteMode::kRequest,
                  [&written](gatt::ClientResult<void> r) { written = r.ok(); });
    run();
    if (!written) return fail("write");
    if (!central_->host().disconnect(air_.now(), ch, 0x13).ok()) return fail("disconnect");
    advance(Duration(50));
    if (server_->handle || central_->handle) return fail("still connected");
    return true;
  }

 private:
  bool fail(const char* step) {
    std::fprintf(stderr, "sable-bench-cycles: the cycle failed at: %s\n", step);
    return false;
  }
  void run() { run_air(air_); }
  void advance(Duration d) {
    gap::Host& server = server_->host();
    advance_air(air_, server, central_->host(), d, [&](gap::Host& h) {
      std::optional<ServerScope> counted;
      if (&h == &server) counted.emplace();
      h.on_timeout(air_.now());
    });
  }

  testing::FakeAir air_;
  gatt::Database db_ = bench_database();
  std::unique_ptr<CycleHost> server_;
  std::unique_ptr<CycleHost> central_;
  Address server_address_;
  uint16_t value_handle_ = 0;
  uint16_t cccd_handle_ = 0;
  uint16_t write_handle_ = 0;
  uint64_t notifications_ = 0;
};

int usage(const char* why) {
  std::fprintf(
      stderr,
      "sable-bench-cycles: %s\nusage: sable-bench-cycles [--cycles N] [--trace] [--expect-none]\n",
      why);
  return 2;
}

}  // namespace
}  // namespace sable::bench

int main(int argc, char** argv) {
  using namespace sable::bench;
  int cycles = 5;
  bool expect_none = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--trace") {
      g_trace = true;
    } else if (a == "--expect-none") {
      expect_none = true;
    } else if (a == "--cycles" && i + 1 < argc) {
      char* end = nullptr;
      long n = std::strtol(argv[++i], &end, 10);
      if (*end != '\0' || n < 1 || n > 100000) return usage("--cycles needs a number 1..100000");
      cycles = int(n);
    } else {
      return usage(("unknown argument " + a).c_str());
    }
  }
  set_allocation_hook(&on_allocation);
  Cycles c;
  if (!c.started()) {
    std::fprintf(stderr, "sable-bench-cycles: the hosts did not start\n");
    return 1;
  }
  uint64_t first = 0, low = UINT64_MAX, high = 0, total = 0;
  for (int i = 0; i < cycles; ++i) {
    uint64_t before = g_counted;
    uint64_t crypto_before = g_crypto;
    if (!c.cycle(i == 0)) return 1;
    uint64_t n = g_counted - before;
    total += n;
    std::printf("cycle %d (%s): %llu allocs (and %llu in the crypto library)\n", i + 1,
                i == 0 ? "pair" : "bonded reconnect", static_cast<unsigned long long>(n),
                static_cast<unsigned long long>(g_crypto - crypto_before));
    if (i == 0) {
      first = n;
    } else {
      low = std::min(low, n);
      high = std::max(high, n);
    }
  }
  if (cycles == 1) low = high = 0;
  std::printf(
      "cycles %d: first cycle %llu allocs, later cycles %llu..%llu allocs each, total %llu\n",
      cycles, static_cast<unsigned long long>(first), static_cast<unsigned long long>(low),
      static_cast<unsigned long long>(high), static_cast<unsigned long long>(total));
  if (expect_none && total > 0) {
    std::fprintf(stderr, "sable-bench-cycles: %llu allocations after start-up (expected none)\n",
                 static_cast<unsigned long long>(total));
    return 3;
  }
  return 0;
}
