// End-to-end benchmark sink (a central): scans for "sable-bench", connects,
// exchanges the MTU when --mtu is above 23, discovers the characteristic and
// then either subscribes and counts --count notifications, checking the
// sequence number at the start of every value (lost = gaps, ooo = a number
// lower than expected), or loops --count Read Requests, one at a time.
// Disconnects, prints one "RESULT sink ..." line, exits 0 when all arrived
// in order.
#include <cstdio>
#include <vector>

#include "e2e_common.hpp"

namespace sable::bench {
namespace {

const char kUsage[] =
    "usage: sable-bench-sink --hci SPEC [--mode notify|read] [--count N] [--size N]\n"
    "                        [--mtu N] [--timeout S]\n";

class Sink final : public Node {
 public:
  Sink(const Options& o, std::unique_ptr<Transport> t) : Node(config(o), std::move(t)), o_(o) {}

  int finish(bool ok) {
    // The server sends exactly --count: whatever did not arrive was lost.
    if (o_.mode == "notify" && received_ + lost_ < o_.count) lost_ = o_.count - received_;
    const double secs = double(last_us_ - first_us_) / 1e6;
    // The rate counts intervals between the first and the last operation.
    const double rate = secs > 0 && received_ > 1 ? double(received_ - 1) / secs : 0.0;
    std::printf(
        "RESULT sink mode=%s size=%u mtu=%u count=%u received=%llu lost=%llu ooo=%llu "
        "seconds=%.3f rate=%.0f\n",
        o_.mode.c_str(), unsigned(o_.size), unsigned(mtu_), o_.count, (unsigned long long)received_,
        (unsigned long long)lost_, (unsigned long long)ooo_, secs, rate);
    std::fflush(stdout);
    return ok && received_ == o_.count && lost_ == 0 && ooo_ == 0 ? 0 : 1;
  }

  void on_ready() override {
    gap::ScanConfig sc;
    sc.active = true;
    (void)host().start_scan(now(), sc);
  }
  void on_scan_report(const gap::ScanReport& r) override {
    if (connecting_ || r.data.name != kBenchName) return;
    connecting_ = true;
    (void)host().stop_scan(now());
    gap::ConnectConfig cc;
    cc.parameters = l2cap::ConnectionParameters{6, 6, 0, 400};  // 7.5 ms
    (void)host().connect(now(), r.address, cc);
  }
  void on_connect_failed(const Address&, const Error& e) override { fail(e.message.c_str()); }
  void on_connected(const ConnDesc& d) override {
    handle_ = d.handle;
    client_ = host().gatt_client(d.handle);
    if (client_ == nullptr) return fail("no GATT client");
    if (o_.mtu > 23) {
      client_->exchange_mtu(now(), [this](gatt::ClientResult<uint16_t> r) {
        if (!r.ok()) return fail("MTU exchange failed");
        mtu_ = *r;
        discover();
      });
    } else {
      discover();
    }
  }
  void on_disconnected(const ConnDesc& d, uint8_t reason) override {
    Node::on_disconnected(d, reason);
    stop();
  }

 private:
  static gap::HostConfig config(const Options& o) {
    gap::HostConfig c;
    c.max_att_mtu = o.mtu;
    return c;
  }
  void fail(const char* why) {
    std::fprintf(stderr, "sable-bench-sink: %s\n", why);
    failed_ = true;
    stop();
  }

  void discover() {
    client_->discover_primary_services(
        now(), kBenchService, [this](gatt::ClientResult<std::vector<gatt::ServiceInfo>> r) {
          if (!r.ok() || r->empty()) return fail("service not found");
          auto svc = (*r)[0];
          client_->discover_characteristics(
              now(), svc.start, svc.end,
              [this](gatt::ClientResult<std::vector<gatt::CharacteristicInfo>> c) {
                if (!c.ok()) return fail("characteristic discovery failed");
                for (const auto& ch : *c)
                  if (ch.uuid == kBenchCharacteristic) value_handle_ = ch.value_handle;
                if (value_handle_ == 0) return fail("characteristic not found");
                begin();
              });
        });
  }

  void begin() {
    if (o_.mode == "read") return read_next();
    // The CCCD is the attribute right after the value (no other descriptors).
    client_->subscribe(
        now(), value_handle_, uint16_t(value_handle_ + 1), false,
        [this](uint16_t, Bytes v, bool) { on_value(v); },
        [this](gatt::ClientResult<void> r) {
          if (!r.ok()) fail("subscribe failed");
        });
    arm_idle_timer();
  }

  void on_value(Bytes v) {
    const uint64_t t = wall_time_us();
    if (received_ == 0) first_us_ = t;
    last_us_ = t;
    ++received_;
    uint32_t seq = 0;
    for (size_t i = 0; i < 4 && i < v.size(); ++i) seq |= uint32_t(v[i]) << (8 * i);
    const uint32_t mask = v.size() >= 4 ? 0xFFFFFFFFu : (1u << (8 * v.size())) - 1;
    const uint32_t want = uint32_t(expected_) & mask;
    if (v.size() != o_.size) ++ooo_;
    if (seq == want) {
      ++expected_;
    } else if (((seq - want) & mask) < (mask >> 1)) {
      if (gaps_++ < 5)
        std::fprintf(stderr, "gap: expected %u got %u after %llu values\n", want, seq,
                     (unsigned long long)received_);
      lost_ += (seq - want) & mask;  // a gap: values dropped
      expected_ += ((seq - want) & mask) + 1;
    } else {
      ++ooo_;
    }
    if (received_ == o_.count || expected_ >= o_.count) done();
  }

  void read_next() {
    client_->read(now(), value_handle_, [this](gatt::ClientResult<std::vector<uint8_t>> r) {
      if (!r.ok()) return fail("read failed");
      const uint64_t t = wall_time_us();
      if (received_ == 0) first_us_ = t;
      last_us_ = t;
      if (++received_ == o_.count) return done();
      read_next();
    });
  }

  // Ends the run when nothing arrived for 2 s (btvirt drops data silently).
  void arm_idle_timer() {
    loop().add_timer(now() + Duration(2000), [this, seen = received_] {
      if (finished_) return;
      if (received_ == seen && received_ > 0) return done();
      arm_idle_timer();
    });
  }

  void done() {
    if (finished_) return;
    finished_ = true;
    (void)host().disconnect(now(), handle_, 0x13);
    loop().add_timer(now() + Duration(1000), [this] { stop(); });
  }

  Options o_;
  gatt::Client* client_ = nullptr;
  uint16_t handle_ = 0;
  uint16_t mtu_ = 23;
  uint16_t value_handle_ = 0;
  bool connecting_ = false;
  bool finished_ = false;
  uint64_t received_ = 0, expected_ = 0, lost_ = 0, ooo_ = 0;
  uint64_t first_us_ = 0, last_us_ = 0;
  int gaps_ = 0;
};

}  // namespace
}  // namespace sable::bench

int main(int argc, char** argv) {
  using namespace sable;
  auto o = bench::Options::parse(argc, argv, bench::kUsage);
  auto t = open_transport(o.hci);
  if (!t.ok()) {
    std::fprintf(stderr, "sable-bench-sink: %s\n", t.error().message.c_str());
    return 1;
  }
  bench::Sink sink(o, std::move(t.value()));
  bool ok = sink.run(o.timeout_s);
  return sink.finish(ok);
}
