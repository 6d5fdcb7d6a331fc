// End-to-end benchmark server: advertises "sable-bench" with one
// characteristic (Read | Notify, open access). In notify mode, once a client
// subscribes, it sends --count notifications of --size octets as fast as the
// controller's ACL buffers allow: the next one goes out only when every ACL
// packet of the previous one has been completed (Number Of Completed
// Packets), so at most the controller's buffer count is ever in flight (the
// program checks that from its own counters). Every value starts with a
// sequence number (LE32; its low octet when --size is below 4). In read
// mode it answers Read Requests and stops after --count of them.
// Prints one "RESULT server ..." line; exits 0 on success.
#include <cstdio>
#include <vector>

#include "e2e_common.hpp"
#include "gatt/database.hpp"

namespace sable::bench {
namespace {

const char kUsage[] =
    "usage: sable-bench-server --hci SPEC [--mode notify|read] [--count N] [--size N]\n"
    "                          [--mtu N] [--timeout S]\n";

class Server final : public Node {
 public:
  Server(const Options& o, std::unique_ptr<Transport> t)
      : Node(config(o), std::move(t)), o_(o), db_(database(o)), value_(o.size, 0xA5) {
    host().set_database(&db_);
    value_handle_ = db_.find_characteristic(kBenchService, kBenchCharacteristic)->value;
  }

  int finish(bool ok) {
    const uint64_t ops = o_.mode == "notify" ? sent_ : reads_;
    if (!done_) wall_end_ = wall_start_, cpu_end_ = cpu_start_;
    const double cpu = ops ? double(cpu_end_ - cpu_start_) / double(ops) : 0.0;
    const double secs = double(wall_end_ - wall_start_) / 1e6;
    const uint16_t buffers = host().controller().acl_packet_count;
    const bool flow_ok = max_in_flight() <= buffers;
    std::printf(
        "RESULT server mode=%s size=%u mtu=%u ops=%llu seconds=%.3f rate=%.0f cpu_us_per_op=%.2f "
        "acl_sent=%llu max_in_flight=%llu acl_buffers=%u flow_ok=%d\n",
        o_.mode.c_str(), unsigned(o_.size), unsigned(mtu_), (unsigned long long)ops, secs,
        secs > 0 ? double(ops) / secs : 0.0, cpu, (unsigned long long)acl_sent(),
        (unsigned long long)max_in_flight(), unsigned(buffers), flow_ok ? 1 : 0);
    std::fflush(stdout);
    return ok && flow_ok && ops == o_.count ? 0 : 1;
  }

  void on_ready() override {
    (void)host().set_advertising_data(now(), AdvertisementData().name(kBenchName));
    (void)host().set_advertising_interval(now(), 0x0020, 0x0020);
    (void)host().start_advertising(now());
  }
  void on_connected(const ConnDesc& d) override { handle_ = d.handle; }
  void on_disconnected(const ConnDesc& d, uint8_t reason) override {
    Node::on_disconnected(d, reason);
    if (done_) stop();
  }

 private:
  static gap::HostConfig config(const Options& o) {
    gap::HostConfig c;
    c.max_att_mtu = o.mtu;
    return c;
  }

  gatt::Database database(const Options& o) {
    gatt::CharacteristicDef c;
    c.type = kBenchCharacteristic;
    c.properties = gatt::prop::kRead | gatt::prop::kNotify;
    c.access.read = gatt::Permissions::open();
    c.access.write = gatt::Permissions::none();
    c.cccd_write = gatt::Permissions::open();
    c.value.assign(o.size, 0x5A);
    c.max_length = 512;
    c.on_subscribe = [this](uint16_t, uint16_t cccd) {
      if ((cccd & gatt::kCccdNotify) && o_.mode == "notify" && !started_) start();
    };
    c.callbacks.on_read = [this](uint16_t,
                                 gatt::AttributeValue&) -> std::optional<att::AttErrorCode> {
      if (reads_ == 0) start();
      if (++reads_ == o_.count) end();
      return std::nullopt;
    };
    gatt::ServiceDef s;
    s.type = kBenchService;
    s.characteristics.push_back(std::move(c));
    std::vector<gatt::ServiceDef> defs;
    defs.push_back(std::move(s));
    gatt::DatabaseOptions opts;
    opts.device_name = kBenchName;
    return std::move(gatt::Database::build(std::move(defs), opts).value());
  }

  void start() {
    started_ = true;
    wall_start_ = wall_time_us();
    cpu_start_ = cpu_time_us();
    if (auto d = host().connection(handle_)) mtu_ = d->mtu;
    const size_t buffer = host().controller().acl_data_length;
    fragments_ = buffer ? (size_t(o_.size) + 3 + 4 + buffer - 1) / buffer : 1;
    pump();
  }
  void end() {
    done_ = true;
    wall_end_ = wall_time_us();
    cpu_end_ = cpu_time_us();
    // The sink disconnects when it has everything; do not wait for ever.
    loop().add_timer(now() + Duration(3000), [this] { stop(); });
  }

  // Sends the next notification when everything sent so far has completed.
  void pump() {
    if (!started_ || done_ || o_.mode != "notify") return;
    if (acl_completed() < expected_acl_ || acl_completed() < acl_sent()) return;
    if (sent_ == o_.count) return end();
    const uint64_t before = acl_sent();
    const uint32_t seq = uint32_t(sent_);
    for (size_t i = 0; i < 4 && i < value_.size(); ++i) value_[i] = uint8_t(seq >> (8 * i));
    NotifyResult r = host().notify(now(), value_handle_, value_);
    if (r.sent != 1) {
      std::fprintf(stderr, "notify %u: %s\n", seq, to_string(r.status));
      failed_ = true;
      stop();
      return;
    }
    ++sent_;
    expected_acl_ = before + fragments_;
  }
  void after_input() override {
    pump();
    if (mtu_ == 23)
      if (auto d = host().connection(handle_)) mtu_ = d->mtu;
  }

  Options o_;
  gatt::Database db_;
  std::vector<uint8_t> value_;
  uint16_t value_handle_ = 0;
  uint16_t handle_ = 0;
  uint16_t mtu_ = 23;
  bool started_ = false;
  bool done_ = false;
  size_t fragments_ = 1;  // ACL packets per notification
  uint64_t sent_ = 0;
  uint64_t reads_ = 0;
  uint64_t expected_acl_ = 0;
  uint64_t wall_start_ = 0, wall_end_ = 0, cpu_start_ = 0, cpu_end_ = 0;
};

}  // namespace
}  // namespace sable::bench

int main(int argc, char** argv) {
  using namespace sable;
  auto o = bench::Options::parse(argc, argv, bench::kUsage);
  auto t = open_transport(o.hci);
  if (!t.ok()) {
    std::fprintf(stderr, "sable-bench-server: %s\n", t.error().message.c_str());
    return 1;
  }
  bench::Server server(o, std::move(t.value()));
  bool ok = server.run(o.timeout_s);
  return server.finish(ok);
}
