#include "transport/transport.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

#include "common/log.hpp"

namespace sable {

Transport::~Transport() = default;

namespace {

std::string os_error(const char* call, int err) {
  return std::string("(") + call + ": " + std::strerror(err) + ")";
}

Unexpected<TransportError> error(std::string message) {
  return fail(TransportError{std::move(message)});
}

// Large enough for any packet a controller sends (an ISO packet's length is 14
// bits), so one user-channel read always holds one whole packet.
constexpr size_t kReadBufferSize = 1 + 4 + 0x3FFF;

// How each read delimits packets.
enum class Framing {
  kStream,    // H4 byte stream: a read may hold any part of any packet
  kDatagram,  // HCI socket: each read is exactly one packet with its indicator
};

// H4 over one fd, non-blocking. Owns the fd.
class FdTransport final : public Transport {
 public:
  FdTransport(int fd, std::string description, H4PacketTypes accepted, Framing framing)
      : fd_(fd),
        description_(std::move(description)),
        framing_(framing),
        deframer_(accepted, framing == Framing::kStream ? H4Deframer::kDefaultMaxPayload
                                                        : kReadBufferSize - 5),
        read_buffer_(std::make_unique<uint8_t[]>(kReadBufferSize)) {
    struct stat st {};
    is_socket_ = ::fstat(fd_, &st) == 0 && S_ISSOCK(st.st_mode);
    int flags = ::fcntl(fd_, F_GETFL);
    if (flags >= 0 && !(flags & O_NONBLOCK)) ::fcntl(fd_, F_SETFL, flags | O_NONBLOCK);
  }
  ~FdTransport() override { ::close(fd_); }
  FdTransport(const FdTransport&) = delete;
  FdTransport& operator=(const FdTransport&) = delete;

  int fd() const override { return fd_; }
  std::string describe() const override { return description_; }

  Result<void, TransportError> send(HciPacketType type, Bytes packet) override {
    // One buffer, one write: indicator then packet (see Transport::send).
    const size_t total = 1 + packet.size();
    if (send_buffer_.size() < total) send_buffer_.resize(total);
    send_buffer_[0] = uint8_t(type);
    if (!packet.empty()) std::memcpy(send_buffer_.data() + 1, packet.data(), packet.size());

    size_t sent = 0;
    while (sent < total) {
      const uint8_t* p = send_buffer_.data() + sent;
      // MSG_NOSIGNAL: a controller that went away must be an error, not SIGPIPE.
      ssize_t n =
          is_socket_ ? ::send(fd_, p, total - sent, MSG_NOSIGNAL) : ::write(fd_, p, total - sent);
      if (n > 0) {
        sent += size_t(n);
        continue;
      }
      int err = n < 0 ? errno : EAGAIN;
      if (err == EINTR) continue;
      if (err == EAGAIN || err == EWOULDBLOCK) {
        auto waited = wait_writable();
        if (!waited) return waited;
        continue;
      }
      if (err == EPIPE || err == ECONNRESET) {
        return error(description_ + ": controller closed the connection " + os_error("write", err));
      }
      return error(description_ + ": write failed " + os_error("write", err));
    }
    return {};
  }

  Result<void, TransportError> receive(const Sink& sink) override {
    for (;;) {
      ssize_t n = ::read(fd_, read_buffer_.get(), kReadBufferSize);
      if (n > 0) {
        Bytes data(read_buffer_.get(), size_t(n));
        if (framing_ == Framing::kDatagram) {
          deliver_datagram(data, sink);
        } else {
          deframer_.push(data, sink);
        }
        continue;
      }
      if (n == 0) return error(description_ + ": controller closed the connection");
      int err = errno;
      if (err == EINTR) continue;
      if (err == EAGAIN || err == EWOULDBLOCK) return {};
      if (err == ECONNRESET) {
        return error(description_ + ": controller closed the connection " + os_error("read", err));
      }
      return error(description_ + ": read failed " + os_error("read", err));
    }
  }

 private:
  // After a partial write: wait (bounded) until the peer drained some data.
  Result<void, TransportError> wait_writable() {
    for (;;) {
      pollfd pfd{fd_, POLLOUT, 0};
      int r = ::poll(&pfd, 1, kSendStallTimeoutMs);
      if (r > 0) return {};  // writable, or an error the next write reports
      if (r == 0) {
        return error(description_ +
                     ": controller is not accepting data (nothing could be sent for " +
                     std::to_string(kSendStallTimeoutMs / 1000) + " s)");
      }
      if (errno != EINTR) return error(description_ + ": " + os_error("poll", errno));
    }
  }

  // The kernel hands the user channel one whole packet per read; anything that
  // does not frame exactly is dropped, never carried into the next read.
  void deliver_datagram(Bytes data, const Sink& sink) {
    bool exact = false;
    int packets = 0;
    deframer_.reset();
    deframer_.push(data, [&](HciPacketType type, Bytes packet) {
      if (++packets == 1 && packet.size() + 1 == data.size()) {
        exact = true;
        sink(type, packet);
      }
    });
    deframer_.reset();
    if (!exact) {
      SABLE_LOG_WARN("%s: dropped a malformed %zu-byte packet", description_.c_str(), data.size());
    }
  }

  int fd_;
  std::string description_;
  Framing framing_;
  bool is_socket_ = false;
  H4Deframer deframer_;
  std::vector<uint8_t> send_buffer_;
  std::unique_ptr<uint8_t[]> read_buffer_;
};

// ---- --hci spec parsing -------------------------------------------------------

constexpr const char* kSpecHelp =
    "expected unix:PATH, tcp:HOST:PORT, uart:DEV[:BAUD[:rtscts]] or user:N";

Unexpected<TransportError> bad_spec(std::string_view spec, std::string_view why = kSpecHelp) {
  return error("bad --hci spec '" + std::string(spec) + "': " + std::string(why));
}

// A decimal number with only digits, within [min, max].
std::optional<unsigned long> parse_number(std::string_view text, unsigned long min,
                                          unsigned long max) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  unsigned long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (value < min || value > max) return std::nullopt;
  return value;
}

class Fd {  // closes on scope exit unless released
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

Result<std::unique_ptr<Transport>, TransportError> open_unix(std::string_view spec,
                                                             std::string_view path) {
  if (path.empty()) return bad_spec(spec, "unix: needs a socket path, e.g. unix:/tmp/bt-server-le");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    return error(std::string(spec) + ": socket path is too long (at most " +
                 std::to_string(sizeof addr.sun_path - 1) + " bytes)");
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return error(std::string(spec) + ": " + os_error("socket", errno));
  int r;
  do {
    r = ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  } while (r < 0 && errno == EINTR);
  if (r < 0) {
    int err = errno;
    std::string p(path);
    if (err == ENOENT) {
      return error(std::string(spec) + ": no socket at " + p +
                   " (is the controller, e.g. btvirt -s, running?) " + os_error("connect", err));
    }
    if (err == ECONNREFUSED) {
      return error(std::string(spec) + ": nothing is listening on " + p +
                   " (a stale socket file?) " + os_error("connect", err));
    }
    return error(std::string(spec) + ": cannot connect to " + p + " " + os_error("connect", err));
  }
  return make_stream_transport(fd.release(), std::string(spec));
}

// Connects with a bounded wait so an unreachable host gives an error, not a
// multi-minute hang.
constexpr int kTcpConnectTimeoutMs = 5000;

int connect_bounded(int fd, const sockaddr* addr, socklen_t len) {
  int flags = ::fcntl(fd, F_GETFL);
  ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  if (::connect(fd, addr, len) == 0) return 0;
  if (errno != EINPROGRESS && errno != EINTR) return errno;
  pollfd pfd{fd, POLLOUT, 0};
  int r;
  do {
    r = ::poll(&pfd, 1, kTcpConnectTimeoutMs);
  } while (r < 0 && errno == EINTR);
  if (r == 0) return ETIMEDOUT;
  if (r < 0) return errno;
  int so_error = 0;
  socklen_t so_len = sizeof so_error;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &so_len) < 0) return errno;
  return so_error;
}

Result<std::unique_ptr<Transport>, TransportError> open_tcp(std::string_view spec,
                                                            std::string_view rest) {
  // HOST:PORT, with an IPv6 literal in brackets: [::1]:PORT.
  std::string_view host, port_text;
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':') {
      return bad_spec(spec, "expected tcp:HOST:PORT or tcp:[IPV6]:PORT");
    }
    host = rest.substr(1, close - 1);
    port_text = rest.substr(close + 2);
  } else {
    size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos) return bad_spec(spec, "expected tcp:HOST:PORT");
    host = rest.substr(0, colon);
    port_text = rest.substr(colon + 1);
  }
  if (host.empty()) return bad_spec(spec, "expected tcp:HOST:PORT (the host is empty)");
  auto port = parse_number(port_text, 1, 65535);
  if (!port) return bad_spec(spec, "the TCP port must be a number from 1 to 65535");

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* list = nullptr;
  std::string host_str(host), port_str = std::to_string(*port);
  int gai = ::getaddrinfo(host_str.c_str(), port_str.c_str(), &hints, &list);
  if (gai != 0) {
    return error(std::string(spec) + ": cannot resolve host '" + host_str +
                 "' (getaddrinfo: " + ::gai_strerror(gai) + ")");
  }
  int last_err = ECONNREFUSED;
  int connected = -1;
  for (addrinfo* ai = list; ai != nullptr && connected < 0; ai = ai->ai_next) {
    Fd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
    if (fd.get() < 0) {
      last_err = errno;
      continue;
    }
    last_err = connect_bounded(fd.get(), ai->ai_addr, ai->ai_addrlen);
    if (last_err == 0) connected = fd.release();
  }
  ::freeaddrinfo(list);
  if (connected < 0) {
    if (last_err == ECONNREFUSED) {
      return error(std::string(spec) + ": connection refused: nothing is listening on " + host_str +
                   " port " + port_str + " " + os_error("connect", last_err));
    }
    return error(std::string(spec) + ": cannot connect to " + host_str + " port " + port_str + " " +
                 os_error("connect", last_err));
  }
  // HCI packets are small and latency matters (one Command in flight at a time).
  int one = 1;
  ::setsockopt(connected, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return make_stream_transport(connected, std::string(spec));
}

struct BaudRate {
  unsigned long rate;
  speed_t code;
};
constexpr BaudRate kBaudRates[] = {
    {1200, B1200},       {2400, B2400},       {4800, B4800},       {9600, B9600},
    {19200, B19200},     {38400, B38400},     {57600, B57600},     {115200, B115200},
    {230400, B230400},   {460800, B460800},   {500000, B500000},   {576000, B576000},
    {921600, B921600},   {1000000, B1000000}, {1152000, B1152000}, {1500000, B1500000},
    {2000000, B2000000}, {2500000, B2500000}, {3000000, B3000000}, {3500000, B3500000},
    {4000000, B4000000},
};

Result<std::unique_ptr<Transport>, TransportError> open_uart(std::string_view spec,
                                                             std::string_view rest) {
  // DEV[:BAUD[:rtscts]]
  std::string_view fields[3];
  size_t count = 0;
  while (true) {
    if (count == 3) return bad_spec(spec, "expected uart:DEV[:BAUD[:rtscts]]");
    size_t colon = rest.find(':');
    fields[count++] = rest.substr(0, colon);
    if (colon == std::string_view::npos) break;
    rest = rest.substr(colon + 1);
  }
  std::string device(fields[0]);
  if (device.empty()) return bad_spec(spec, "uart: needs a device, e.g. uart:/dev/ttyUSB0");
  speed_t speed = B115200;
  if (count >= 2) {
    auto rate = parse_number(fields[1], 1, 4000000);
    const BaudRate* found = nullptr;
    for (const BaudRate& b : kBaudRates) {
      if (rate && b.rate == *rate) found = &b;
    }
    if (!found) {
      return bad_spec(spec, "unsupported baud rate '" + std::string(fields[1]) +
                                "' (use a standard rate from 1200 to 4000000, e.g. 115200, "
                                "921600, 1000000, 3000000)");
    }
    speed = found->code;
  }
  bool rtscts = false;
  if (count == 3) {
    if (fields[2] != "rtscts") {
      return bad_spec(spec, "the third uart field may only be 'rtscts' (hardware flow control)");
    }
    rtscts = true;
  }

  Fd fd(::open(device.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) {
    int err = errno;
    std::string hint = err == EACCES ? " (is your user in the dialout group?)" : "";
    return error(std::string(spec) + ": cannot open " + device + hint + " " +
                 os_error("open", err));
  }
  termios tio{};
  if (::tcgetattr(fd.get(), &tio) < 0) {
    return error(std::string(spec) + ": " + device + " is not a serial port " +
                 os_error("tcgetattr", errno));
  }
  // Raw 8N1, no echo or line editing: H4 is binary.
  ::cfmakeraw(&tio);
  tio.c_cflag |= CLOCAL | CREAD;
  tio.c_cflag &= ~CSTOPB;
  if (rtscts) {
    tio.c_cflag |= CRTSCTS;
  } else {
    tio.c_cflag &= ~CRTSCTS;
  }
  tio.c_cc[VMIN] = 1;
  tio.c_cc[VTIME] = 0;
  if (::cfsetispeed(&tio, speed) < 0 || ::cfsetospeed(&tio, speed) < 0 ||
      ::tcsetattr(fd.get(), TCSANOW, &tio) < 0) {
    return error(std::string(spec) + ": cannot configure " + device + " " +
                 os_error("tcsetattr", errno));
  }
  // Bytes queued before we configured the line are noise.
  ::tcflush(fd.get(), TCIOFLUSH);
  return make_stream_transport(fd.release(), std::string(spec));
}

// Linux HCI sockets (include/net/bluetooth/hci_sock.h), defined here so the
// build does not need libbluetooth-dev.
constexpr int kAfBluetooth = 31;
constexpr int kBtProtoHci = 1;
constexpr unsigned short kHciChannelUser = 1;
struct sockaddr_hci {
  sa_family_t hci_family;
  unsigned short hci_dev;
  unsigned short hci_channel;
};

Result<std::unique_ptr<Transport>, TransportError> open_user_channel(std::string_view spec,
                                                                     std::string_view index) {
  // 0xFFFF is HCI_DEV_NONE.
  auto dev = parse_number(index, 0, 0xFFFE);
  if (!dev) return bad_spec(spec, "user: needs an HCI device index, e.g. user:0 for hci0");
  std::string s(spec);
  std::string n = std::to_string(*dev);

  Fd fd(::socket(kAfBluetooth, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, kBtProtoHci));
  if (fd.get() < 0) {
    int err = errno;
    if (err == EAFNOSUPPORT || err == EPROTONOSUPPORT) {
      return error(s + ": this kernel has no Bluetooth support " +
                   os_error("socket(AF_BLUETOOTH)", err));
    }
    if (err == EPERM || err == EACCES) {
      return error(s + ": the HCI user channel needs root or CAP_NET_ADMIN " +
                   os_error("socket(AF_BLUETOOTH)", err));
    }
    return error(s + ": cannot open an HCI socket " + os_error("socket(AF_BLUETOOTH)", err));
  }
  sockaddr_hci addr{};
  addr.hci_family = kAfBluetooth;
  addr.hci_dev = static_cast<unsigned short>(*dev);
  addr.hci_channel = kHciChannelUser;
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) < 0) {
    int err = errno;
    switch (err) {
      case EBUSY:
        return error(s + ": hci" + n + " is up: power it off first, e.g. `btmgmt --index " + n +
                     " power off` " + os_error("bind", err));
      case EPERM:
      case EACCES:
        return error(s + ": the HCI user channel needs root or CAP_NET_ADMIN " +
                     os_error("bind", err));
      case ENODEV:
        return error(s + ": no such HCI device hci" + n + " " + os_error("bind", err));
      case EUSERS:
      case EALREADY:
        return error(s + ": hci" + n + " is already open on another user channel " +
                     os_error("bind", err));
      default:
        return error(s + ": cannot bind the HCI user channel " + os_error("bind", err));
    }
  }
  return std::unique_ptr<Transport>(std::make_unique<FdTransport>(
      fd.release(), s, H4PacketTypes::from_controller(), Framing::kDatagram));
}

}  // namespace

std::unique_ptr<Transport> make_stream_transport(int fd, std::string description,
                                                 H4PacketTypes accepted) {
  return std::make_unique<FdTransport>(fd, std::move(description), accepted, Framing::kStream);
}

Result<std::unique_ptr<Transport>, TransportError> open_transport(std::string_view spec) {
  size_t colon = spec.find(':');
  if (colon == std::string_view::npos) return bad_spec(spec);
  std::string_view kind = spec.substr(0, colon);
  std::string_view rest = spec.substr(colon + 1);
  if (kind == "unix") return open_unix(spec, rest);
  if (kind == "tcp") return open_tcp(spec, rest);
  if (kind == "uart") return open_uart(spec, rest);
  if (kind == "user") return open_user_channel(spec, rest);
  return bad_spec(spec);
}

}  // namespace sable
