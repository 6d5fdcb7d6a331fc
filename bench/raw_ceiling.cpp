// The raw btvirt ceiling: two raw H4 clients of one virtual radio, connected
// to each other with the fewest HCI commands (Reset, advertising on one,
// LE Create Connection on the other), bounce one ACL packet back and forth.
// Each side sends only after it has received the peer's packet AND its own
// previous packet has been completed (Number Of Completed Packets): one ACL
// credit, at most one packet in flight. After connecting, the program forks:
// each side runs in its own process, like a server and a sink.
//
//   sable-bench-raw SOCKET [--seconds S] [--size N] [--mode bounce|stream]
// bounce: ping-pong, both directions counted. stream: one side sends on
// every credit, the other counts what arrives (the shape of a notification
// stream; lost = sent - received). Prints
// "RESULT raw mode=M packets=N lost=L seconds=S rate=R" (ACL packets/s).
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "sable-bench-raw: %s\n", what);
  std::exit(1);
}

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

class H4 {
 public:
  explicit H4(const std::string& path) {
    fd_ = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
    if (fd_ < 0 || connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
      die("cannot connect to the controller socket");
  }
  // One whole H4 packet in one write (btvirt mis-parses split packets).
  void send(const std::vector<uint8_t>& p) {
    if (write(fd_, p.data(), p.size()) != ssize_t(p.size())) die("write");
  }
  void command(uint16_t opcode, std::vector<uint8_t> params) {
    std::vector<uint8_t> p = {0x01, uint8_t(opcode), uint8_t(opcode >> 8), uint8_t(params.size())};
    p.insert(p.end(), params.begin(), params.end());
    send(p);
  }
  // The next packet (indicator first), blocking.
  std::vector<uint8_t> next() {
    for (;;) {
      const uint8_t* b = buf_.data() + pos_;
      const size_t have = buf_.size() - pos_;
      if (have >= 3) {
        size_t need = 0;
        if (b[0] == 0x04)
          need = 3 + b[2];
        else if (b[0] == 0x02 && have >= 5)
          need = 5 + size_t(b[3] | b[4] << 8);
        else if (b[0] != 0x02)
          die("unexpected H4 packet type");
        if (need && have >= need) {
          std::vector<uint8_t> p(b, b + need);
          pos_ += need;
          return p;
        }
      }
      buf_.erase(buf_.begin(), buf_.begin() + long(pos_));  // keep only the partial packet
      pos_ = 0;
      uint8_t tmp[4096];
      ssize_t n = read(fd_, tmp, sizeof tmp);
      if (n <= 0) die("controller closed");
      buf_.insert(buf_.end(), tmp, tmp + n);
    }
  }
  // Waits for the Command Complete of opcode; returns its return parameters.
  std::vector<uint8_t> complete(uint16_t opcode) {
    for (;;) {
      auto p = next();
      if (p[0] == 0x04 && p[1] == 0x0E && p.size() >= 6 && (p[4] | p[5] << 8) == opcode)
        return std::vector<uint8_t>(p.begin() + 6, p.end());
      if (p[0] == 0x04 && p[1] == 0x0F && p.size() >= 7 && (p[5] | p[6] << 8) == opcode &&
          p[3] != 0)
        die("command failed");
    }
  }
  // Waits for LE Connection Complete; returns the handle.
  uint16_t connection_complete() {
    for (;;) {
      auto p = next();
      if (p[0] == 0x04 && p[1] == 0x3E && p.size() >= 7 && p[3] == 0x01) {
        if (p[4] != 0) die("connection failed");
        return uint16_t((p[5] | p[6] << 8) & 0x0FFF);
      }
    }
  }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  std::vector<uint8_t> buf_;
  size_t pos_ = 0;
};

// Bounces until `seconds` pass (the initiator) or the peer stops sending.
// stream: the initiator sends whenever its credit is back, the peer only
// counts (the traffic shape of notifications); returns packets sent, or for
// the peer packets received.
uint64_t bounce(H4& h, uint16_t handle, size_t size, bool initiator, double seconds, bool stream) {
  std::vector<uint8_t> acl = {0x02,
                              uint8_t(handle),
                              uint8_t(handle >> 8),
                              uint8_t(size + 4),
                              uint8_t((size + 4) >> 8),
                              uint8_t(size),
                              uint8_t(size >> 8),
                              0x04,
                              0x00};  // L2CAP on CID 4
  acl.resize(9 + size, 0x42);
  bool credit = true, have_turn = initiator;
  uint64_t sent = 0, received = 0;
  const double end = now_s() + seconds;
  for (;;) {
    if (credit && have_turn) {
      if (initiator && now_s() >= end) return sent;
      h.send(acl);
      ++sent;
      credit = have_turn = false;
    }
    auto p = h.next();
    if (p[0] == 0x04 && p[1] == 0x13) {
      credit = true;  // Number Of Completed Packets
      if (stream && initiator) have_turn = true;
    } else if (p[0] == 0x02) {
      ++received;
      if (!stream) have_turn = true;
    } else if (p[0] == 0x04 && p[1] == 0x05) {
      return initiator ? sent : received;  // Disconnection Complete
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) die("usage: sable-bench-raw SOCKET [--seconds S] [--size N]");
  std::string path = argv[1];
  double seconds = 2.0;
  size_t size = 1 + 3;  // an ATT notification of 1 octet
  bool stream = false;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::atof(argv[i + 1]);
    if (std::strcmp(argv[i], "--size") == 0) size = size_t(std::atoi(argv[i + 1]));
    if (std::strcmp(argv[i], "--mode") == 0) stream = std::strcmp(argv[i + 1], "stream") == 0;
  }
  if (size < 1 || size > 180) die("--size must be 1..180 (btvirt's buffer is 192 octets)");

  H4 a(path), b(path);
  a.command(0x0C03, {});  // Reset
  a.complete(0x0C03);
  b.command(0x0C03, {});
  b.complete(0x0C03);
  a.command(0x1009, {});  // Read BD_ADDR
  auto rp = a.complete(0x1009);
  if (rp.size() < 7 || rp[0] != 0) die("Read BD_ADDR failed");
  // LE Set Advertising Parameters: 20 ms, ADV_IND, public, all channels; enable.
  a.command(0x2006, {0x20, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0x07, 0x00});
  a.complete(0x2006);
  a.command(0x200A, {0x01});
  a.complete(0x200A);
  // LE Create Connection to A: 7.5 ms interval, 4 s supervision timeout.
  std::vector<uint8_t> cc = {0x60, 0x00, 0x30, 0x00, 0x00, 0x00};
  cc.insert(cc.end(), rp.begin() + 1, rp.begin() + 7);
  cc.insert(cc.end(),
            {0x00, 0x06, 0x00, 0x06, 0x00, 0x00, 0x00, 0x90, 0x01, 0x00, 0x00, 0x00, 0x00});
  b.command(0x200D, cc);
  uint16_t hb = b.connection_complete();
  uint16_t ha = a.connection_complete();

  int report[2];
  if (pipe(report) != 0) die("pipe");
  pid_t child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    close(a.fd());
    uint64_t got = bounce(b, hb, size, false, 0, stream);
    if (write(report[1], &got, sizeof got) != sizeof got) _exit(1);
    _exit(0);
  }
  close(b.fd());
  const double t0 = now_s();
  uint64_t sent = bounce(a, ha, size, true, seconds, stream);
  const double t = now_s() - t0;
  // Disconnect (Remote User Terminated): both sides get Disconnection Complete.
  a.command(0x0406, {uint8_t(ha), uint8_t(ha >> 8), 0x13});
  int status = 0;
  for (int i = 0; i < 200 && waitpid(child, &status, WNOHANG) == 0; ++i) usleep(10000);
  if (waitpid(child, &status, WNOHANG) == 0) kill(child, SIGTERM), waitpid(child, &status, 0);
  uint64_t got = 0;
  if (read(report[0], &got, sizeof got) != sizeof got) got = 0;
  // bounce: each of ours came back once; stream: ours, minus what was lost.
  const uint64_t packets = stream ? sent : 2 * sent;
  const uint64_t lost = stream && got < sent ? sent - got : 0;
  std::printf("RESULT raw mode=%s packets=%llu lost=%llu seconds=%.3f rate=%.0f\n",
              stream ? "stream" : "bounce", (unsigned long long)packets, (unsigned long long)lost,
              t, double(packets) / t);
  return 0;
}
