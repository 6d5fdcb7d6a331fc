// sable-cli against secure-server on btvirt, as separate processes: each test
// has its own virtual radio; the server and every sable-cli run attach to it
// as their own emulated controllers on the same air.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "integration/btvirt.hpp"

namespace sable::testing {
namespace {

using std::chrono::milliseconds;

const std::string kCli = std::string(SABLE_BINARY_DIR) + "/apps/sable-cli";
const std::string kServer = std::string(SABLE_BINARY_DIR) + "/apps/secure-server";
const std::string kService = "9b574847-f706-436c-bed7-fc01eb0965c1";
const std::string kChar = "681285a6-247f-48c6-80ad-68c3dce18585";

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string read_text(const std::string& path) {
  std::string out;
  run_command("cat " + quote(path) + " 2>/dev/null", &out);
  return out;
}

struct CliRun {
  int code = -1;
  std::string out;
  std::string err;
  double seconds = 0;
};

std::ostream& operator<<(std::ostream& os, const CliRun& r) {
  return os << "exit " << r.code << "\n--- stdout\n" << r.out << "--- stderr\n" << r.err;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// Runs sable-cli in `dir` with stdout and stderr kept apart.
CliRun cli(const std::string& dir, const std::vector<std::string>& args) {
  std::string cmd = "cd " + quote(dir) + " && timeout 60 " + quote(kCli);
  for (const auto& a : args) cmd += " " + quote(a);
  cmd += " </dev/null >" + quote(dir + "/cli.stdout") + " 2>" + quote(dir + "/cli.stderr");
  auto start = std::chrono::steady_clock::now();
  CliRun r;
  r.code = run_command(cmd);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.out = read_text(dir + "/cli.stdout");
  r.err = read_text(dir + "/cli.stderr");
  return r;
}

// The JSON lines of one event kind (the objects are flat; fields are found by text).
std::vector<std::string> events(const CliRun& r, const std::string& event) {
  std::vector<std::string> out;
  for (const auto& l : lines(r.out))
    if (l.rfind("{\"event\":\"" + event + "\"", 0) == 0) out.push_back(l);
  return out;
}

std::string field(const std::string& json, const std::string& key) {
  std::smatch m;
  std::regex re("\"" + key + "\":(\"([^\"]*)\"|[^,}]*)");
  if (!std::regex_search(json, m, re)) return "";
  return m[2].matched ? m[2].str() : m[1].str();
}

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++n;
  return n;
}

class CliOnBtvirt : public ::testing::Test {
 protected:
  // emulator: see VirtualRadio; server_args: extra secure-server options.
  explicit CliOnBtvirt(std::string emulator = "", std::vector<std::string> server_args = {})
      : radio_(std::move(emulator)), server_args_(std::move(server_args)) {}
  void SetUp() override {
    ASSERT_TRUE(radio_.ok());
    hci_ = "unix:" + radio_.le_socket();
    std::vector<std::string> argv = {kServer,
                                     "--hci",
                                     hci_,
                                     "--bond-store",
                                     radio_.dir() + "/server-bonds",
                                     "--btsnoop",
                                     radio_.dir() + "/server.btsnoop"};
    argv.insert(argv.end(), server_args_.begin(), server_args_.end());
    server_ = std::make_unique<ChildProcess>(argv, radio_.dir() + "/server.out");
    ASSERT_TRUE(server_->wait_for_output("advertising \"ESP32 Server\"", milliseconds(10000)))
        << server_->output();
  }
  void TearDown() override {
    if (server_) server_->terminate();
  }
  // sable-cli on this radio, with the given bond store.
  CliRun run(const std::string& bonds, std::vector<std::string> args) {
    args.insert(args.begin(), {"--hci", hci_, "--bond-store", radio_.dir() + "/" + bonds});
    return cli(radio_.dir(), args);
  }
  const std::vector<std::string> target_ = {"--name", "ESP32 Server", "--service",
                                            kService, "--char",       kChar};

  VirtualRadio radio_;
  std::vector<std::string> server_args_;
  std::string hci_;
  std::unique_ptr<ChildProcess> server_;
};

// Several centrals at once need per-link connection handles, which only our
// patched emulator has (stock btvirt tells a peripheral 0x002a for every link).
class MultiLinkOnPatchedBtvirt : public CliOnBtvirt {
 protected:
  MultiLinkOnPatchedBtvirt() : CliOnBtvirt("patched", {"--max-connections", "4"}) {}
};

TEST_F(CliOnBtvirt, ScanRefusedReadPairSubscribeAndReconnectWithBond) {
  // Scan: the server once, with its name and service.
  CliRun scan = run("cli-bonds", {"--json", "scan", "--name", "ESP32 Server", "--timeout", "2"});
  ASSERT_EQ(scan.code, 0) << scan;
  auto devices = events(scan, "device");
  ASSERT_EQ(devices.size(), 1u) << scan;
  EXPECT_EQ(field(devices[0], "name"), "ESP32 Server");
  EXPECT_NE(devices[0].find(kService), std::string::npos) << devices[0];

  // Read before pairing, without auto-secure: refused.
  std::vector<std::string> read = {"read"};
  read.insert(read.end(), target_.begin(), target_.end());
  auto plain = read;
  plain.push_back("--no-auto-secure");
  CliRun refused = run("cli-bonds", plain);
  EXPECT_EQ(refused.code, 4) << refused;
  ASSERT_EQ(lines(refused.err).size(), 1u) << refused;
  EXPECT_EQ(refused.err.rfind("sable-cli: ", 0), 0u) << refused;
  EXPECT_NE(refused.err.find("Insufficient Authentication"), std::string::npos) << refused;
  EXPECT_EQ(refused.out.find("value:"), std::string::npos) << refused;

  // Pair with the passkey: authenticated LE Secure Connections, 16-octet key,
  // the server's identity address learned (it advertises with an RPA).
  CliRun pair = run("cli-bonds", {"--json", "--btsnoop", radio_.dir() + "/cli.btsnoop", "pair",
                                  "--name", "ESP32 Server", "--passkey", "123456"});
  ASSERT_EQ(pair.code, 0) << pair << server_->output();
  auto paired = events(pair, "paired");
  ASSERT_EQ(paired.size(), 1u) << pair;
  EXPECT_EQ(field(paired[0], "authenticated"), "true") << paired[0];
  EXPECT_EQ(field(paired[0], "secure_connections"), "true") << paired[0];
  EXPECT_EQ(field(paired[0], "key_size"), "16") << paired[0];
  EXPECT_EQ(field(paired[0], "identity_learned"), "true") << paired[0];
  EXPECT_EQ(field(paired[0], "identity_type"), "public") << paired[0];
  EXPECT_TRUE(
      std::regex_match(field(paired[0], "identity"), std::regex("00:AA:01:[0-9A-F]{2}:00:42")))
      << paired[0];
  EXPECT_NE(field(paired[0], "identity"), field(paired[0], "address")) << paired[0];
  EXPECT_TRUE(server_->wait_for_output("paired:", milliseconds(3000))) << server_->output();

  CliRun bonds = run("cli-bonds", {"--json", "bonds", "list"});
  ASSERT_EQ(bonds.code, 0) << bonds;
  ASSERT_EQ(events(bonds, "bond").size(), 1u) << bonds;
  EXPECT_EQ(field(events(bonds, "bond")[0], "identity"), field(paired[0], "identity"));

  // Subscribe with the bond (no passkey): three consecutive counter values.
  std::vector<std::string> sub = {"--json",    "subscribe", "--name",    "ESP32 Server",
                                  "--service", kService,    "--char",    kChar,
                                  "--count",   "3",         "--timeout", "10"};
  CliRun notified = run("cli-bonds", sub);
  ASSERT_EQ(notified.code, 0) << notified << server_->output();
  auto values = events(notified, "notification");
  ASSERT_EQ(values.size(), 3u) << notified;
  std::vector<int> counters;
  for (const auto& v : values) {
    ASSERT_EQ(field(v, "length"), "1") << v;
    counters.push_back(std::stoi(field(v, "value"), nullptr, 16));
  }
  EXPECT_EQ(counters[1], (counters[0] + 1) % 256) << notified;
  EXPECT_EQ(counters[2], (counters[1] + 1) % 256) << notified;

  // A second read reconnects with the bond: no new pairing (no passkey shown).
  size_t passkeys = count(server_->output(), "passkey");
  size_t pairings = count(server_->output(), "paired:");
  CliRun again = run("cli-bonds", read);
  ASSERT_EQ(again.code, 0) << again << server_->output();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(again.out, m, std::regex("value: ([0-9a-f]{2})\n"))) << again;
  EXPECT_EQ(count(server_->output(), "passkey"), passkeys) << server_->output();
  EXPECT_EQ(count(server_->output(), "paired:"), pairings) << server_->output();
  EXPECT_TRUE(server_->running()) << server_->output();
}

TEST_F(CliOnBtvirt, WrongPasskeyFailsAndReadStaysRefused) {
  CliRun pair = run("other-bonds", {"pair", "--name", "ESP32 Server", "--passkey", "111111"});
  EXPECT_EQ(pair.code, 4) << pair;
  ASSERT_EQ(lines(pair.err).size(), 1u) << pair;
  EXPECT_NE(pair.err.find("pairing failed"), std::string::npos) << pair;
  EXPECT_TRUE(server_->wait_for_output("failed", milliseconds(3000))) << server_->output();
  EXPECT_EQ(server_->output().find("paired:"), std::string::npos) << server_->output();

  std::vector<std::string> read = {"--json", "read"};
  read.insert(read.end(), target_.begin(), target_.end());
  read.push_back("--no-auto-secure");
  CliRun refused = run("other-bonds", read);
  EXPECT_EQ(refused.code, 4) << refused;
  EXPECT_TRUE(events(refused, "read").empty()) << refused;
  ASSERT_EQ(events(refused, "error").size(), 1u) << refused;
  EXPECT_EQ(field(events(refused, "error")[0], "exit_code"), "4") << refused;
  EXPECT_NE(refused.err.find("Insufficient"), std::string::npos) << refused;

  CliRun bonds = run("other-bonds", {"--json", "bonds", "list"});
  EXPECT_EQ(bonds.code, 0) << bonds;
  EXPECT_TRUE(events(bonds, "bond").empty()) << bonds;
  EXPECT_TRUE(server_->running()) << server_->output();
  CliRun scan = run("other-bonds", {"scan", "--name", "ESP32 Server", "--timeout", "2"});
  EXPECT_EQ(scan.code, 0) << scan << server_->output();
}

// Protocols tshark finds in a capture, and whether it flags anything malformed.
// `except` excludes frames from the check (a known controller deviation).
void check_capture(const std::string& dir, const std::string& file,
                   const std::string& except = "") {
  std::string home = dir + "/tshark-home";
  run_command("mkdir -p " + quote(home));
  std::string env = "HOME=" + quote(home) + " ";
  std::string protocols, malformed;
  ASSERT_EQ(
      run_command(env + "tshark -r " + quote(file) + " -T fields -e frame.protocols 2>/dev/null",
                  &protocols),
      0)
      << protocols;
  EXPECT_NE(protocols.find("btatt"), std::string::npos) << file << "\n" << protocols;
  EXPECT_NE(protocols.find("btsmp"), std::string::npos) << file << "\n" << protocols;
  std::string filter = except.empty() ? "_ws.malformed" : "_ws.malformed && !(" + except + ")";
  ASSERT_EQ(run_command(env + "tshark -r " + quote(file) + " -Y " + quote(filter) + " 2>/dev/null",
                        &malformed),
            0)
      << malformed;
  EXPECT_EQ(malformed, "") << file;
}

TEST_F(CliOnBtvirt, CapturesOfServerAndCliDecodeWithTshark) {
  if (run_command("command -v tshark >/dev/null 2>&1") != 0) GTEST_SKIP() << "no tshark";
  // One read with auto-secure: discovery, refused read, pairing, read again.
  std::vector<std::string> read = {"--btsnoop", radio_.dir() + "/cli.btsnoop", "read"};
  read.insert(read.end(), target_.begin(), target_.end());
  read.insert(read.end(), {"--passkey", "123456"});
  CliRun r = run("cli-bonds", read);
  ASSERT_EQ(r.code, 0) << r << server_->output();
  EXPECT_NE(r.out.find("value: "), std::string::npos) << r;
  ASSERT_TRUE(server_->wait_for_output("disconnected:", milliseconds(3000))) << server_->output();
  server_->terminate();  // the capture is complete
  check_capture(radio_.dir(), radio_.dir() + "/server.btsnoop");
  // btvirt's Command Complete for LE Remote Connection Parameter Request Reply
  // carries only the status, without the Connection_Handle the Core
  // specification requires (Vol 4 Part E 7.8.31): tshark calls that one
  // controller-to-host event malformed. Everything else must decode.
  check_capture(radio_.dir(), radio_.dir() + "/cli.btsnoop", "bthci_evt.opcode == 0x2020");
}

// Four sable-cli processes, each its own controller, pair with the passkey and
// subscribe to one secure-server, all at once: each sees consecutive counter
// values (no notification lost) and all four see some of the same values.
TEST_F(MultiLinkOnPatchedBtvirt, FourCentralsSubscribedAtOnceLoseNoNotification) {
  constexpr int kCentrals = 4;
  constexpr int kCount = 16;
  std::vector<std::unique_ptr<ChildProcess>> centrals;
  for (int i = 0; i < kCentrals; ++i) {
    const std::string n = std::to_string(i);
    std::vector<std::string> argv = {
        kCli, "--hci", hci_, "--bond-store", radio_.dir() + "/bonds-" + n, "--json", "subscribe"};
    argv.insert(argv.end(), target_.begin(), target_.end());
    argv.insert(argv.end(),
                {"--count", std::to_string(kCount), "--timeout", "30", "--passkey", "123456"});
    centrals.push_back(std::make_unique<ChildProcess>(argv, radio_.dir() + "/cli-" + n + ".out"));
    // The next central scans once the server has this one and advertises
    // again: btvirt fails a Create Connection at once while nobody advertises.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (count(server_->output(), "connected: ") < size_t(i + 1) &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(milliseconds(50));
    ASSERT_EQ(count(server_->output(), "connected: "), size_t(i + 1)) << server_->output();
  }
  std::vector<std::vector<int>> seen(kCentrals);
  for (int i = 0; i < kCentrals; ++i) {
    auto code = centrals[i]->wait(milliseconds(60000));
    const std::string out = centrals[i]->output();
    ASSERT_TRUE(code.has_value()) << "central " << i << " still running\n" << out;
    ASSERT_EQ(*code, 0) << "central " << i << "\n" << out << "\n" << server_->output();
    for (const auto& l : lines(out))
      if (l.rfind("{\"event\":\"notification\"", 0) == 0)
        seen[i].push_back(std::stoi(field(l, "value"), nullptr, 16));
    ASSERT_EQ(seen[i].size(), size_t(kCount)) << out;
    for (size_t k = 1; k < seen[i].size(); ++k)
      EXPECT_EQ(seen[i][k], (seen[i][k - 1] + 1) % 256) << "central " << i << " lost a value\n"
                                                        << out;
  }
  // Subscribed at the same time: the last central's first value reached all.
  for (int i = 0; i < kCentrals; ++i)
    EXPECT_NE(std::find(seen[i].begin(), seen[i].end(), seen[kCentrals - 1][0]), seen[i].end())
        << "central " << i << " was not subscribed while central " << kCentrals - 1 << " was";
  EXPECT_EQ(count(server_->output(), "paired: "), size_t(kCentrals)) << server_->output();
  EXPECT_TRUE(server_->running()) << server_->output();
}

TEST(CliBadInput, OneLineErrorsUsageAndNotFound) {
  char tmpl[] = "/tmp/sable-cli-test.XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;

  CliRun bogus = cli(dir, {"--hci", "bogus", "scan"});
  EXPECT_NE(bogus.code, 0) << bogus;
  EXPECT_NE(bogus.code, 2) << bogus;
  EXPECT_EQ(lines(bogus.err).size(), 1u) << bogus;
  EXPECT_EQ(bogus.err.rfind("sable-cli: ", 0), 0u) << bogus;

  CliRun command = cli(dir, {"--hci", "unix:/nonexistent", "frobnicate"});
  EXPECT_EQ(command.code, 2) << command;
  EXPECT_EQ(lines(command.err).size(), 1u) << command;
  CliRun flag = cli(dir, {"--hci", "unix:/nonexistent", "scan", "--frob"});
  EXPECT_EQ(flag.code, 2) << flag;
  EXPECT_NE(flag.err.find("--frob"), std::string::npos) << flag;
  CliRun json = cli(dir, {"--json", "read", "--char", kChar});
  EXPECT_EQ(json.code, 2) << json;
  EXPECT_EQ(json.out.rfind("{\"event\":\"error\"", 0), 0u) << json;

  // Bonds work on the store without a controller.
  CliRun list = cli(dir, {"--bond-store", dir + "/bonds", "bonds", "list"});
  EXPECT_EQ(list.code, 0) << list;
  CliRun del = cli(dir, {"--bond-store", dir + "/bonds", "bonds", "delete", "11:22:33:44:55:66"});
  EXPECT_EQ(del.code, 3) << del;
  run_command("rm -rf " + quote(dir));

  // Nobody advertises this address: not found (3) within the timeout.
  VirtualRadio radio;
  ASSERT_TRUE(radio.ok());
  CliRun missing = cli(radio.dir(), {"--hci", "unix:" + radio.le_socket(), "--bond-store",
                                     radio.dir() + "/bonds", "read", "11:22:33:44:55:66",
                                     "--service", kService, "--char", kChar, "--timeout", "2"});
  EXPECT_EQ(missing.code, 3) << missing;
  EXPECT_LT(missing.seconds, 8.0) << missing;
  EXPECT_EQ(lines(missing.err).size(), 1u) << missing;
  CliRun typed = cli(radio.dir(),
                     {"--hci", "unix:" + radio.le_socket(), "--bond-store", radio.dir() + "/bonds",
                      "connect", "11:22:33:44:55:66/random", "--timeout", "2"});
  EXPECT_EQ(typed.code, 3) << typed;
  EXPECT_LT(typed.seconds, 10.0) << typed;
}

}  // namespace
}  // namespace sable::testing
