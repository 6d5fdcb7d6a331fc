#include "transport/transport.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <future>
#include <thread>
#include <vector>

#include "transport_test_util.hpp"

namespace sable {
namespace {

using testing::ByteVector;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using testing::Packet;
using ::testing::StartsWith;
using testing::TempDir;

const ByteVector kResetCommand = {0x03, 0x0C, 0x00};  // HCI_Reset, no parameters
const ByteVector kResetComplete = {0x0E, 0x04, 0x01, 0x03, 0x0C, 0x00};

// Reads exactly n bytes from a blocking or non-blocking fd, waiting at most
// 5 s for each chunk so a broken transport fails the test instead of hanging.
ByteVector read_exactly(int fd, size_t n) {
  ByteVector out;
  while (out.size() < n) {
    pollfd pfd{fd, POLLIN, 0};
    if (::poll(&pfd, 1, 5000) <= 0) break;
    uint8_t buf[4096];
    ssize_t r = ::read(fd, buf, std::min(sizeof buf, n - out.size()));
    if (r <= 0) break;
    out.insert(out.end(), buf, buf + r);
  }
  return out;
}

void write_all(int fd, const ByteVector& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    ASSERT_GT(n, 0) << std::strerror(errno);
    done += size_t(n);
  }
}

// Drains a transport until `want` packets arrived (bounded by 5 s).
std::vector<Packet> receive_packets(Transport& t, size_t want) {
  std::vector<Packet> got;
  for (int i = 0; i < 50 && got.size() < want; ++i) {
    pollfd pfd{t.fd(), POLLIN, 0};
    ::poll(&pfd, 1, 100);
    auto r = t.receive([&](HciPacketType type, Bytes packet) {
      got.push_back({type, ByteVector(packet.begin(), packet.end())});
    });
    if (!r) {
      ADD_FAILURE() << r.error().message;
      break;
    }
  }
  return got;
}

struct SocketPair {
  SocketPair() {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    host = fds[0];
    peer = fds[1];
  }
  ~SocketPair() {
    if (peer >= 0) ::close(peer);
  }
  void close_peer() {
    ::close(peer);
    peer = -1;
  }
  int host;  // owned by the transport
  int peer;
};

// ---- stream transport over a socketpair -----------------------------------

TEST(StreamTransportTest, SendWritesIndicatorAndPacket) {
  SocketPair sp;
  auto t = make_stream_transport(sp.host, "socketpair");
  ASSERT_TRUE(t->send(HciPacketType::kCommand, kResetCommand));
  EXPECT_EQ(read_exactly(sp.peer, 4), (ByteVector{0x01, 0x03, 0x0C, 0x00}));
  ByteVector acl = {0x40, 0x00, 0x02, 0x00, 0xAA, 0xBB};
  ASSERT_TRUE(t->send(HciPacketType::kAcl, acl));
  EXPECT_EQ(read_exactly(sp.peer, 7), (ByteVector{0x02, 0x40, 0x00, 0x02, 0x00, 0xAA, 0xBB}));
  EXPECT_EQ(t->describe(), "socketpair");
}

// btvirt mis-parses H4 that arrives in pieces, so each packet must leave in
// one write(). A SOCK_SEQPACKET pair keeps write boundaries: one read() on the
// peer returns exactly what one write() carried.
TEST(StreamTransportTest, EachPacketLeavesInOneWrite) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds), 0);
  auto t = make_stream_transport(fds[0], "seqpacket");
  ByteVector acl = {0x40, 0x00, 0x05, 0x00, 0x01, 0x00, 0x04, 0x00, 0x1E};
  ASSERT_TRUE(t->send(HciPacketType::kCommand, kResetCommand));
  ASSERT_TRUE(t->send(HciPacketType::kAcl, acl));
  uint8_t buf[64];
  ASSERT_EQ(::read(fds[1], buf, sizeof buf), 4);
  EXPECT_EQ(ByteVector(buf, buf + 4), (ByteVector{0x01, 0x03, 0x0C, 0x00}));
  ASSERT_EQ(::read(fds[1], buf, sizeof buf), 10);
  EXPECT_EQ(buf[0], 0x02);
  EXPECT_EQ(ByteVector(buf + 1, buf + 10), acl);
  ::close(fds[1]);
}

TEST(StreamTransportTest, FdIsNonBlocking) {
  SocketPair sp;
  auto t = make_stream_transport(sp.host, "socketpair");
  EXPECT_EQ(t->fd(), sp.host);
  EXPECT_TRUE(::fcntl(t->fd(), F_GETFL) & O_NONBLOCK);
}

TEST(StreamTransportTest, ReceiveWithNothingAvailableReturnsAtOnce) {
  SocketPair sp;
  auto t = make_stream_transport(sp.host, "socketpair");
  int calls = 0;
  auto r = t->receive([&](HciPacketType, Bytes) { ++calls; });
  EXPECT_TRUE(r);
  EXPECT_EQ(calls, 0);
}

TEST(StreamTransportTest, ReceiveDeliversPacketsSplitAcrossWrites) {
  SocketPair sp;
  auto t = make_stream_transport(sp.host, "socketpair");
  ByteVector stream = {0x04, 0x0E, 0x04, 0x01, 0x03, 0x0C, 0x00,  // Command Complete
                       0x02, 0x40, 0x20, 0x01, 0x00, 0x99};       // ACL, 1 octet
  std::vector<Packet> got;
  auto sink = [&](HciPacketType type, Bytes packet) {
    got.push_back({type, ByteVector(packet.begin(), packet.end())});
  };
  write_all(sp.peer, ByteVector(stream.begin(), stream.begin() + 3));
  ASSERT_TRUE(t->receive(sink));
  EXPECT_THAT(got, IsEmpty());
  write_all(sp.peer, ByteVector(stream.begin() + 3, stream.end()));
  ASSERT_TRUE(t->receive(sink));
  EXPECT_THAT(got, ElementsAre(Packet{HciPacketType::kEvent, kResetComplete},
                               Packet{HciPacketType::kAcl, {0x40, 0x20, 0x01, 0x00, 0x99}}));
}

TEST(StreamTransportTest, RelayDirectionAcceptsCommands) {
  SocketPair sp;
  auto t = make_stream_transport(sp.host, "relay", H4PacketTypes::to_controller());
  write_all(sp.peer, {0x01, 0x03, 0x0C, 0x00});
  EXPECT_THAT(receive_packets(*t, 1), ElementsAre(Packet{HciPacketType::kCommand, kResetCommand}));
}

TEST(StreamTransportTest, PeerCloseIsAnErrorNotAHang) {
  SocketPair sp;
  auto t = make_stream_transport(sp.host, "socketpair");
  write_all(sp.peer, {0x04, 0x0E, 0x04, 0x01, 0x03, 0x0C, 0x00});
  sp.close_peer();
  std::vector<Packet> got;
  auto r = t->receive([&](HciPacketType type, Bytes packet) {
    got.push_back({type, ByteVector(packet.begin(), packet.end())});
  });
  // What arrived before the close is still delivered.
  EXPECT_THAT(got, ElementsAre(Packet{HciPacketType::kEvent, kResetComplete}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "socketpair: controller closed the connection");
}

TEST(StreamTransportTest, SendAfterPeerCloseIsAnErrorNotSigpipe) {
  SocketPair sp;
  auto t = make_stream_transport(sp.host, "socketpair");
  sp.close_peer();
  auto r = t->send(HciPacketType::kCommand, kResetCommand);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, StartsWith("socketpair: controller closed the connection"));
  EXPECT_THAT(r.error().message, Not(HasSubstr("\n")));
}

// An ACL packet far larger than the socket buffer: the first write() can only
// be partial, and the rest goes out as the peer drains.
ByteVector big_acl() {
  ByteVector acl = {0x01, 0x00, 0x60, 0xEA};  // handle 1, length 0xEA60 = 60000
  acl.resize(4 + 60000);
  for (size_t i = 4; i < acl.size(); ++i) acl[i] = uint8_t(i * 7);
  return acl;
}

void shrink_send_buffer(int fd) {
  int size = 4096;
  ASSERT_EQ(::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size), 0);
  socklen_t len = sizeof size;
  ASSERT_EQ(::getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, &len), 0);
  ASSERT_LT(size, 60000) << "the packet must not fit in one write";
}

TEST(StreamTransportTest, PartialWritesStillDeliverTheWholePacket) {
  SocketPair sp;
  shrink_send_buffer(sp.host);
  auto t = make_stream_transport(sp.host, "socketpair");
  ByteVector acl = big_acl();

  // The peer reads slowly in small pieces.
  std::promise<ByteVector> received;
  std::thread reader([&] {
    ByteVector out;
    while (out.size() < acl.size() + 1) {
      pollfd pfd{sp.peer, POLLIN, 0};
      if (::poll(&pfd, 1, 5000) <= 0) break;
      uint8_t buf[1000];
      ssize_t n = ::read(sp.peer, buf, sizeof buf);
      if (n <= 0) break;
      out.insert(out.end(), buf, buf + n);
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    received.set_value(std::move(out));
  });
  auto sent = t->send(HciPacketType::kAcl, acl);
  ByteVector got = received.get_future().get();
  reader.join();

  ASSERT_TRUE(sent) << sent.error().message;
  ByteVector expected{0x02};
  expected.insert(expected.end(), acl.begin(), acl.end());
  EXPECT_EQ(got.size(), expected.size());
  EXPECT_TRUE(got == expected);
}

TEST(StreamTransportTest, PeerThatNeverReadsMakesSendFailWithinTheBoundedWait) {
  SocketPair sp;
  shrink_send_buffer(sp.host);
  auto t = make_stream_transport(sp.host, "stuck");
  ByteVector acl = big_acl();
  auto result = std::async(std::launch::async, [&] { return t->send(HciPacketType::kAcl, acl); });
  // The transport gives up after 2 s; 30 s only guards the test against a hang.
  if (result.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
    ADD_FAILURE() << "send() did not give up";
    sp.close_peer();  // unblocks it (EPIPE) so the test can finish
  }
  auto r = result.get();
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, StartsWith("stuck: controller is not accepting data"));
}

// ---- open_transport: spec errors ------------------------------------------------

std::string open_error(const std::string& spec) {
  auto r = open_transport(spec);
  if (r) return "(opened)";
  return r.error().message;
}

TEST(OpenTransportTest, RejectsUnknownSpecsWithTheAcceptedForms) {
  for (const char* spec : {"", "hci0", "bogus:1", "serial:/dev/ttyS0", "UNIX:/tmp/x"}) {
    EXPECT_EQ(open_error(spec),
              std::string("bad --hci spec '") + spec +
                  "': expected unix:PATH, tcp:HOST:PORT, uart:DEV[:BAUD[:rtscts]] or user:N");
  }
}

TEST(OpenTransportTest, RejectsMalformedSpecs) {
  for (const char* spec :
       {"unix:", "tcp:localhost", "tcp::8000", "tcp:localhost:", "tcp:localhost:0",
        "tcp:localhost:65536", "tcp:localhost:12ab", "tcp:localhost:-1", "tcp:[::1]8000",
        "uart:", "uart::115200", "uart:/dev/ttyS0:115200:xonxoff", "uart:/dev/ttyS0:1:rtscts:x",
        "user:", "user:x", "user:-1", "user:0x1", "user:65535", "user:99999999999"}) {
    std::string message = open_error(spec);
    EXPECT_THAT(message, StartsWith(std::string("bad --hci spec '") + spec + "': ")) << spec;
    EXPECT_THAT(message, Not(HasSubstr("\n")));
  }
}

TEST(OpenTransportTest, RejectsUnsupportedBaudRates) {
  EXPECT_THAT(open_error("uart:/dev/ttyUSB9:123456"),
              StartsWith("bad --hci spec 'uart:/dev/ttyUSB9:123456': unsupported baud rate "
                         "'123456'"));
  EXPECT_THAT(open_error("uart:/dev/ttyUSB9:4000001"), HasSubstr("unsupported baud rate"));
  EXPECT_THAT(open_error("uart:/dev/ttyUSB9:fast"), HasSubstr("unsupported baud rate"));
  EXPECT_THAT(open_error("uart:/dev/ttyUSB9:0"), HasSubstr("unsupported baud rate"));
}

TEST(OpenTransportTest, UartThatIsNotAFileOrNotATty) {
  EXPECT_THAT(open_error("uart:/nonexistent/ttyX"),
              StartsWith("uart:/nonexistent/ttyX: cannot open /nonexistent/ttyX"));
  EXPECT_THAT(open_error("uart:/nonexistent/ttyX"), HasSubstr("No such file or directory"));
  EXPECT_THAT(open_error("uart:/dev/null"),
              StartsWith("uart:/dev/null: /dev/null is not a serial port"));
}

TEST(OpenTransportTest, MissingUnixSocketNamesThePath) {
  TempDir dir;
  std::string path = dir.file("bt-server-le");
  std::string message = open_error("unix:" + path);
  EXPECT_THAT(message, StartsWith("unix:" + path + ": no socket at " + path));
  EXPECT_THAT(message, HasSubstr("No such file or directory"));
}

TEST(OpenTransportTest, StaleUnixSocketFileIsConnectionRefused) {
  TempDir dir;
  std::string path = dir.file("stale");
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ::close(fd);  // the file stays, nobody listens: like a dead btvirt
  std::string message = open_error("unix:" + path);
  EXPECT_THAT(message, StartsWith("unix:" + path + ": nothing is listening on " + path));
  EXPECT_THAT(message, HasSubstr("Connection refused"));
}

TEST(OpenTransportTest, UnixPathTooLong) {
  std::string path = "/tmp/" + std::string(200, 'x');
  EXPECT_THAT(open_error("unix:" + path), HasSubstr("socket path is too long"));
}

// A TCP port bound on loopback but not listening: connecting is refused, and
// no other process can take the port while we hold it.
TEST(OpenTransportTest, TcpConnectionRefused) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  std::string port = std::to_string(ntohs(addr.sin_port));
  std::string spec = "tcp:127.0.0.1:" + port;
  EXPECT_EQ(open_error(spec), spec +
                                  ": connection refused: nothing is listening on 127.0.0.1 port " +
                                  port + " (connect: Connection refused)");
  ::close(fd);
}

TEST(OpenTransportTest, TcpUnknownHost) {
  EXPECT_THAT(open_error("tcp:no-such-host.invalid:9000"),
              StartsWith("tcp:no-such-host.invalid:9000: cannot resolve host "
                         "'no-such-host.invalid'"));
}

TEST(OpenTransportTest, UserChannelWithoutKernelBluetooth) {
  int probe = ::socket(31 /* AF_BLUETOOTH */, SOCK_RAW, 1 /* BTPROTO_HCI */);
  int err = errno;
  if (probe >= 0) ::close(probe);
  std::string message = open_error("user:0");
  if (probe < 0 && err == EAFNOSUPPORT) {
    // This machine: no Bluetooth in the kernel at all.
    EXPECT_EQ(message,
              "user:0: this kernel has no Bluetooth support (socket(AF_BLUETOOTH): Address family "
              "not supported by protocol)");
  } else {
    // A machine with Bluetooth: still one clear line about user:0.
    EXPECT_THAT(message, StartsWith("user:0: "));
    EXPECT_THAT(message, Not(HasSubstr("\n")));
  }
}

// ---- open_transport: working connections ---------------------------------

TEST(OpenTransportTest, UnixListenerIsConnectedAndUsedBothWays) {
  TempDir dir;
  std::string path = dir.file("controller");
  int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 1), 0);

  auto opened = open_transport("unix:" + path);
  ASSERT_TRUE(opened) << opened.error().message;
  auto& t = *opened.value();
  EXPECT_EQ(t.describe(), "unix:" + path);
  int controller = ::accept(listener, nullptr, nullptr);
  ASSERT_GE(controller, 0);

  ASSERT_TRUE(t.send(HciPacketType::kCommand, kResetCommand));
  EXPECT_EQ(read_exactly(controller, 4), (ByteVector{0x01, 0x03, 0x0C, 0x00}));
  write_all(controller, {0x04, 0x0E, 0x04, 0x01, 0x03, 0x0C, 0x00});
  EXPECT_THAT(receive_packets(t, 1), ElementsAre(Packet{HciPacketType::kEvent, kResetComplete}));

  ::close(controller);
  ::close(listener);
}

TEST(OpenTransportTest, TcpListenerIsConnectedWithNoDelay) {
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);

  auto opened = open_transport("tcp:localhost:" + std::to_string(ntohs(addr.sin_port)));
  ASSERT_TRUE(opened) << opened.error().message;
  auto& t = *opened.value();
  int controller = ::accept(listener, nullptr, nullptr);
  ASSERT_GE(controller, 0);

  int nodelay = 0;
  len = sizeof nodelay;
  ASSERT_EQ(::getsockopt(t.fd(), IPPROTO_TCP, TCP_NODELAY, &nodelay, &len), 0);
  EXPECT_NE(nodelay, 0);

  ASSERT_TRUE(t.send(HciPacketType::kCommand, kResetCommand));
  EXPECT_EQ(read_exactly(controller, 4), (ByteVector{0x01, 0x03, 0x0C, 0x00}));
  write_all(controller, {0x04, 0x0E, 0x04, 0x01, 0x03, 0x0C, 0x00});
  EXPECT_THAT(receive_packets(t, 1), ElementsAre(Packet{HciPacketType::kEvent, kResetComplete}));
  ::close(controller);
  ::close(listener);
}

// A pseudo-terminal stands in for a serial port.
struct Pty {
  Pty() {
    master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master >= 0 && ::grantpt(master) == 0 && ::unlockpt(master) == 0) {
      const char* name = ::ptsname(master);
      if (name) slave_path = name;
    }
  }
  ~Pty() {
    if (master >= 0) ::close(master);
  }
  int master;
  std::string slave_path;
};

TEST(OpenTransportTest, UartIsRawAtTheRequestedBaudRate) {
  Pty pty;
  ASSERT_FALSE(pty.slave_path.empty()) << "no pseudo-terminal: " << std::strerror(errno);
  auto opened = open_transport("uart:" + pty.slave_path + ":921600");
  ASSERT_TRUE(opened) << opened.error().message;
  auto& t = *opened.value();

  termios tio{};
  ASSERT_EQ(::tcgetattr(t.fd(), &tio), 0);
  EXPECT_EQ(::cfgetospeed(&tio), speed_t(B921600));
  EXPECT_EQ(tio.c_lflag & (ICANON | ECHO), 0u);
  EXPECT_EQ(tio.c_cflag & CRTSCTS, 0u);

  // Binary bytes pass unchanged both ways (no CR/LF translation: 0x0A, 0x0D).
  ByteVector acl = {0x0A, 0x00, 0x02, 0x00, 0x0D, 0x0A};
  ASSERT_TRUE(t.send(HciPacketType::kAcl, acl));
  EXPECT_EQ(read_exactly(pty.master, 7), (ByteVector{0x02, 0x0A, 0x00, 0x02, 0x00, 0x0D, 0x0A}));
  write_all(pty.master, {0x04, 0x0E, 0x04, 0x01, 0x03, 0x0C, 0x00});
  EXPECT_THAT(receive_packets(t, 1), ElementsAre(Packet{HciPacketType::kEvent, kResetComplete}));
}

TEST(OpenTransportTest, UartDefaultsTo115200AndEnablesRtsCts) {
  Pty pty;
  ASSERT_FALSE(pty.slave_path.empty());
  {
    auto opened = open_transport("uart:" + pty.slave_path);
    ASSERT_TRUE(opened) << opened.error().message;
    termios tio{};
    ASSERT_EQ(::tcgetattr(opened.value()->fd(), &tio), 0);
    EXPECT_EQ(::cfgetospeed(&tio), speed_t(B115200));
  }
  auto opened = open_transport("uart:" + pty.slave_path + ":3000000:rtscts");
  ASSERT_TRUE(opened) << opened.error().message;
  termios tio{};
  ASSERT_EQ(::tcgetattr(opened.value()->fd(), &tio), 0);
  EXPECT_EQ(::cfgetospeed(&tio), speed_t(B3000000));
  EXPECT_NE(tio.c_cflag & CRTSCTS, 0u);
}

}  // namespace
}  // namespace sable
