#include "e2e_common.hpp"

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/bytes.hpp"

namespace sable::bench {

Options Options::parse(int argc, char** argv, const char* usage) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::fputs(usage, stdout);
      std::exit(0);
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s needs a value\n%s", a.c_str(), usage);
      std::exit(2);
    }
    std::string v = argv[++i];
    unsigned long n = std::strtoul(v.c_str(), nullptr, 10);
    if (a == "--hci") {
      o.hci = v;
    } else if (a == "--mode" && (v == "notify" || v == "read")) {
      o.mode = v;
    } else if (a == "--count" && n > 0) {
      o.count = uint32_t(n);
    } else if (a == "--size" && n >= 1 && n <= 512) {
      o.size = uint16_t(n);
    } else if (a == "--mtu" && n >= 23 && n <= 517) {
      o.mtu = uint16_t(n);
    } else if (a == "--timeout" && n > 0) {
      o.timeout_s = uint32_t(n);
    } else {
      std::fprintf(stderr, "bad option %s %s\n%s", a.c_str(), v.c_str(), usage);
      std::exit(2);
    }
  }
  if (o.hci.empty()) {
    std::fprintf(stderr, "--hci is required\n%s", usage);
    std::exit(2);
  }
  return o;
}

uint64_t cpu_time_us() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return uint64_t(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1000000u +
         uint64_t(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

uint64_t wall_time_us() {
  return uint64_t(std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count());
}

Node::Node(const gap::HostConfig& config, std::unique_ptr<Transport> transport)
    : transport_(std::move(transport)), host_(config, *this, *this, random_) {}

bool Node::run(uint32_t timeout_s) {
  if (!loop_.watch_fd(transport_->fd(), [this] { on_readable(); })) return false;
  host_.start(now());
  rearm();
  loop_.add_timer(now() + Duration(int64_t(timeout_s) * 1000), [this] {
    std::fprintf(stderr, "timeout\n");
    failed_ = true;
    loop_.stop();
  });
  loop_.run();
  return !failed_;
}

void Node::on_fatal(const Error& e) {
  std::fprintf(stderr, "fatal: %s\n", e.message.c_str());
  failed_ = true;
  loop_.stop();
}

void Node::on_disconnected(const ConnDesc&, uint8_t) {
  disconnected_ = true;
}

void Node::send_hci(HciPacketType type, Bytes packet) {
  if (type == HciPacketType::kAcl) {
    ++acl_sent_;
    uint64_t in_flight = acl_sent_ - acl_completed_;
    if (in_flight > max_in_flight_) max_in_flight_ = in_flight;
  }
  if (auto r = transport_->send(type, packet); !r.ok()) {
    std::fprintf(stderr, "send: %s\n", r.error().message.c_str());
    failed_ = true;
    loop_.stop();
  }
}

void Node::on_readable() {
  auto r = transport_->receive([this](HciPacketType type, Bytes packet) {
    // Number Of Completed Packets (Core 5.4 Vol 4 Part E 7.7.19).
    if (type == HciPacketType::kEvent && packet.size() >= 3 && packet[0] == 0x13) {
      size_t n = packet[2];
      for (size_t i = 0; i < n && 3 + 4 * i + 4 <= packet.size(); ++i)
        acl_completed_ += get_le16(&packet[3 + 4 * i + 2]);
    }
    host_.on_hci_packet(now(), type, packet);
  });
  if (!r.ok()) {
    std::fprintf(stderr, "receive: %s\n", r.error().message.c_str());
    failed_ = true;
    loop_.stop();
    return;
  }
  after_input();
  rearm();
}

void Node::rearm() {
  TimePoint next = host_.next_deadline();
  if (next == timer_at_) return;
  if (timer_ != 0) loop_.cancel_timer(timer_);
  timer_ = 0;
  timer_at_ = next;
  if (next == kNever) return;
  timer_ = loop_.add_timer(next, [this] {
    timer_ = 0;
    timer_at_ = kNever;
    host_.on_timeout(now());
    after_input();
    rearm();
  });
}

}  // namespace sable::bench
