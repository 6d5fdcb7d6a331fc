// secure-server with a bad --hci: a one-line error and a non-zero exit, never a
// crash or a hang.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <sstream>
#include <thread>

#include "btvirt.hpp"
#include "sable/device.hpp"

namespace sable::testing {
namespace {

using std::chrono::milliseconds;

const std::string kServer = std::string(SABLE_BINARY_DIR) + "/apps/secure-server";

struct Outcome {
  std::optional<int> exit_code;
  std::string output;
};

Outcome run_server(const std::vector<std::string>& args,
                   milliseconds timeout = milliseconds(15000)) {
  char tmpl[] = "/tmp/sable-test-out.XXXXXX";
  int fd = mkstemp(tmpl);
  close(fd);
  std::vector<std::string> argv = {kServer};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--bond-store");
  argv.push_back(std::string(tmpl) + ".bonds");
  ChildProcess p(argv, tmpl);
  Outcome o;
  o.exit_code = p.wait(timeout);
  o.output = p.output();
  unlink(tmpl);
  unlink((std::string(tmpl) + ".bonds").c_str());
  unlink((std::string(tmpl) + ".bonds.lock").c_str());
  return o;
}

int lines_starting_with(const std::string& text, const std::string& prefix) {
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line))
    if (line.rfind(prefix, 0) == 0) ++n;
  return n;
}

// A unix socket "controller" that accepts one client and then misbehaves.
class FakeListener {
 public:
  enum class Mode { kSilent, kGarbage, kCloseAtOnce };
  explicit FakeListener(Mode mode) : mode_(mode) {
    char tmpl[] = "/tmp/sable-test-ctl.XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/ctl";
    fd_ = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path_.c_str());
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    listen(fd_, 1);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeListener() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
    unlink(path_.c_str());
    rmdir(dir_.c_str());
  }
  std::string spec() const { return "unix:" + path_; }

 private:
  void serve() {
    int c = accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    uint8_t garbage[64];
    for (size_t i = 0; i < sizeof garbage; ++i) garbage[i] = uint8_t(0xA5 ^ (i * 37));
    while (!stop_) {
      if (mode_ == Mode::kCloseAtOnce) break;
      if (mode_ == Mode::kGarbage && send(c, garbage, sizeof garbage, MSG_NOSIGNAL) < 0) break;
      std::this_thread::sleep_for(milliseconds(20));
    }
    close(c);
  }
  Mode mode_;
  std::string dir_, path_;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST(SecureServerErrors, BadHciSpec) {
  auto o = run_server({"--hci", "bluetooth0"});
  ASSERT_TRUE(o.exit_code) << "hung";
  EXPECT_NE(*o.exit_code, 0);
  EXPECT_EQ(lines_starting_with(o.output, "secure-server: "), 1) << o.output;
  EXPECT_NE(o.output.find("bad --hci spec 'bluetooth0'"), std::string::npos) << o.output;
}

TEST(SecureServerErrors, MissingSocket) {
  auto o = run_server({"--hci", "unix:/nonexistent/sable.sock"});
  ASSERT_TRUE(o.exit_code) << "hung";
  EXPECT_NE(*o.exit_code, 0);
  EXPECT_EQ(lines_starting_with(o.output, "secure-server: "), 1) << o.output;
  EXPECT_NE(o.output.find("/nonexistent/sable.sock"), std::string::npos) << o.output;
}

TEST(SecureServerErrors, ControllerThatNeverAnswers) {
  FakeListener listener(FakeListener::Mode::kSilent);
  auto o = run_server({"--hci", listener.spec()});
  ASSERT_TRUE(o.exit_code) << "hung";
  EXPECT_NE(*o.exit_code, 0);
  EXPECT_EQ(lines_starting_with(o.output, "secure-server: "), 1) << o.output;
  EXPECT_NE(o.output.find("timed out"), std::string::npos) << o.output;
}

TEST(SecureServerErrors, ControllerSendingGarbage) {
  FakeListener listener(FakeListener::Mode::kGarbage);
  auto o = run_server({"--hci", listener.spec()});
  ASSERT_TRUE(o.exit_code) << "hung";
  EXPECT_NE(*o.exit_code, 0);
  EXPECT_EQ(lines_starting_with(o.output, "secure-server: "), 1) << o.output;
}

TEST(SecureServerErrors, ControllerThatHangsUp) {
  FakeListener listener(FakeListener::Mode::kCloseAtOnce);
  auto o = run_server({"--hci", listener.spec()});
  ASSERT_TRUE(o.exit_code) << "hung";
  EXPECT_NE(*o.exit_code, 0);
  EXPECT_EQ(lines_starting_with(o.output, "secure-server: "), 1) << o.output;
  EXPECT_NE(o.output.find("closed"), std::string::npos) << o.output;
}

TEST(SecureServerErrors, BadFlags) {
  auto o = run_server({"--hci", "unix:/x", "--passkey", "1234567"});
  ASSERT_TRUE(o.exit_code);
  EXPECT_EQ(*o.exit_code, 2);
  EXPECT_NE(o.output.find("--passkey"), std::string::npos);
  for (const char* n : {"0", "17", "two", ""}) {
    o = run_server({"--hci", "unix:/x", "--max-connections", n});
    ASSERT_TRUE(o.exit_code) << n;
    EXPECT_EQ(*o.exit_code, 2) << n;
    EXPECT_NE(o.output.find("--max-connections must be a number from 1 to 16"), std::string::npos)
        << o.output;
  }
  o = run_server({"--frobnicate"});
  ASSERT_TRUE(o.exit_code);
  EXPECT_EQ(*o.exit_code, 2);
  EXPECT_NE(o.output.find("unknown option '--frobnicate'"), std::string::npos);
}

// The API refuses a maximum it cannot honour before it opens anything.
TEST(DeviceOptionsErrors, MaxConnectionsOutsideOneToSixteenIsABadArgument) {
  for (unsigned n : {0u, 17u}) {
    DeviceOptions options;
    options.hci = "unix:/nonexistent/socket";
    options.max_connections = n;
    auto taken = Device::take(options);
    ASSERT_FALSE(taken.ok()) << n;
    EXPECT_EQ(taken.error().kind, ErrorKind::kBadArgument) << n;
    EXPECT_EQ(taken.error().message, "max_connections must be 1 to 16") << n;
  }
}

}  // namespace
}  // namespace sable::testing
