// The firmware (ports/cortex-m4: apps/secure-server/main.cpp on a Cortex-M4
// under QEMU, H4 over its UART0 through the re-framing relay) against sable-cli
// on btvirt, as separate processes: the reference flow of DESIGN.md.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "integration/btvirt.hpp"

namespace sable::testing {
namespace {

using std::chrono::milliseconds;

const std::string kCli = std::string(SABLE_BINARY_DIR) + "/apps/sable-cli";
const std::string kRunQemu = std::string(SABLE_SOURCE_DIR) + "/ports/cortex-m4/run-qemu";
const std::string kFirmware = SABLE_FIRMWARE_ELF;
const std::string kService = "9b574847-f706-436c-bed7-fc01eb0965c1";
const std::string kChar = "681285a6-247f-48c6-80ad-68c3dce18585";

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

struct CliRun {
  int code = -1;
  std::string out;
  std::string err;
};

std::ostream& operator<<(std::ostream& os, const CliRun& r) {
  return os << "exit " << r.code << "\n--- stdout\n" << r.out << "--- stderr\n" << r.err;
}

std::string field(const std::string& text, const std::string& key) {
  std::smatch m;
  std::regex re("\"" + key + "\":(\"([^\"]*)\"|[^,}]*)");
  if (!std::regex_search(text, m, re)) return "";
  return m[2].matched ? m[2].str() : m[1].str();
}

std::vector<std::string> events(const CliRun& r, const std::string& event) {
  std::vector<std::string> out;
  std::string prefix = "{\"event\":\"" + event + "\"";
  size_t start = 0;
  while (start < r.out.size()) {
    size_t end = r.out.find('\n', start);
    if (end == std::string::npos) end = r.out.size();
    std::string line = r.out.substr(start, end - start);
    if (line.rfind(prefix, 0) == 0) out.push_back(line);
    start = end + 1;
  }
  return out;
}

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++n;
  return n;
}

class FirmwareOnBtvirt : public ::testing::Test {
 protected:
  void SetUp() override {
    if (run_command("command -v qemu-system-arm >/dev/null 2>&1") != 0)
      GTEST_SKIP() << "qemu-system-arm is not installed";
    if (access(kFirmware.c_str(), R_OK) != 0)
      GTEST_SKIP() << "no firmware at " << kFirmware << " (arm-none-eabi toolchain missing?)";
    ASSERT_TRUE(radio_.ok());
    hci_ = "unix:" + radio_.le_socket();
    setenv("SABLE_H4_RELAY", SABLE_H4_RELAY, 1);
    qemu_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{kRunQemu, "--hci", hci_, "--firmware", kFirmware, "--btsnoop",
                                 radio_.dir() + "/firmware.btsnoop"},
        radio_.dir() + "/firmware.out");
    ASSERT_TRUE(qemu_->wait_for_output("advertising \"ESP32 Server\"", milliseconds(30000)))
        << qemu_->output();
  }
  void TearDown() override {
    if (qemu_) qemu_->terminate();
  }
  CliRun run(const std::string& bonds, std::vector<std::string> args) {
    args.insert(args.begin(), {"--hci", hci_, "--bond-store", radio_.dir() + "/" + bonds});
    std::string cmd = "cd " + quote(radio_.dir()) + " && timeout 60 " + quote(kCli);
    for (const auto& a : args) cmd += " " + quote(a);
    cmd += " </dev/null >" + quote(radio_.dir() + "/cli.stdout") + " 2>" +
           quote(radio_.dir() + "/cli.stderr");
    CliRun r;
    r.code = run_command(cmd);
    run_command("cat " + quote(radio_.dir() + "/cli.stdout"), &r.out);
    run_command("cat " + quote(radio_.dir() + "/cli.stderr"), &r.err);
    return r;
  }

  VirtualRadio radio_;
  std::string hci_;
  std::unique_ptr<ChildProcess> qemu_;
};

TEST_F(FirmwareOnBtvirt, ReferenceFlowWithSableCli) {
  // Scan: "ESP32 Server" with the service UUID.
  CliRun scan = run("cli-bonds", {"--json", "scan", "--name", "ESP32 Server", "--timeout", "3"});
  ASSERT_EQ(scan.code, 0) << scan;
  auto devices = events(scan, "device");
  ASSERT_EQ(devices.size(), 1u) << scan;
  EXPECT_EQ(field(devices[0], "name"), "ESP32 Server");
  EXPECT_NE(devices[0].find(kService), std::string::npos) << devices[0];

  // Read before pairing: refused, no value.
  std::vector<std::string> read = {"read",   "--name", "ESP32 Server", "--service",
                                   kService, "--char", kChar};
  auto plain = read;
  plain.push_back("--no-auto-secure");
  CliRun refused = run("cli-bonds", plain);
  EXPECT_EQ(refused.code, 4) << refused;
  EXPECT_NE(refused.err.find("Insufficient Authentication"), std::string::npos) << refused;
  EXPECT_EQ(refused.out.find("value:"), std::string::npos) << refused;

  // Pair with passkey 123456: LE Secure Connections, MITM, bonded, identity learned.
  CliRun pair =
      run("cli-bonds", {"--json", "pair", "--name", "ESP32 Server", "--passkey", "123456"});
  ASSERT_EQ(pair.code, 0) << pair << qemu_->output();
  auto paired = events(pair, "paired");
  ASSERT_EQ(paired.size(), 1u) << pair;
  EXPECT_EQ(field(paired[0], "authenticated"), "true") << paired[0];
  EXPECT_EQ(field(paired[0], "secure_connections"), "true") << paired[0];
  EXPECT_EQ(field(paired[0], "key_size"), "16") << paired[0];
  EXPECT_EQ(field(paired[0], "identity_learned"), "true") << paired[0];
  EXPECT_NE(field(paired[0], "identity"), field(paired[0], "address")) << paired[0];
  EXPECT_TRUE(qemu_->wait_for_output("paired:", milliseconds(5000))) << qemu_->output();
  EXPECT_NE(qemu_->output().find("passkey 123456"), std::string::npos) << qemu_->output();
  // Connection parameters moved to 30-60 ms; advertising resumed after the disconnect.
  EXPECT_NE(qemu_->output().find("interval 30.00 ms"), std::string::npos) << qemu_->output();
  EXPECT_TRUE(qemu_->wait_for_output("advertising again", milliseconds(5000))) << qemu_->output();

  // Notifications with the bond (no passkey): consecutive counter values.
  CliRun notified =
      run("cli-bonds", {"--json", "subscribe", "--name", "ESP32 Server", "--service", kService,
                        "--char", kChar, "--count", "3", "--timeout", "15"});
  ASSERT_EQ(notified.code, 0) << notified << qemu_->output();
  auto values = events(notified, "notification");
  ASSERT_EQ(values.size(), 3u) << notified;
  std::vector<int> counters;
  for (const auto& v : values) counters.push_back(std::stoi(field(v, "value"), nullptr, 16));
  EXPECT_EQ(counters[1], (counters[0] + 1) % 256) << notified;
  EXPECT_EQ(counters[2], (counters[1] + 1) % 256) << notified;
  EXPECT_TRUE(std::regex_search(qemu_->output(), std::regex("notify [0-9]+: sent to 1 peer")))
      << qemu_->output();

  // Reconnect and read with the bond: re-encrypted, no new pairing.
  size_t passkeys = count(qemu_->output(), "passkey 123456");
  size_t pairings = count(qemu_->output(), "paired:");
  CliRun again = run("cli-bonds", read);
  ASSERT_EQ(again.code, 0) << again << qemu_->output();
  EXPECT_TRUE(std::regex_search(again.out, std::regex("value: [0-9a-f]{2}\n"))) << again;
  EXPECT_EQ(count(qemu_->output(), "passkey 123456"), passkeys) << qemu_->output();
  EXPECT_EQ(count(qemu_->output(), "paired:"), pairings) << qemu_->output();

  // A second central with a wrong passkey is refused.
  CliRun wrong = run("other-bonds", {"pair", "--name", "ESP32 Server", "--passkey", "111111"});
  EXPECT_EQ(wrong.code, 4) << wrong;
  EXPECT_NE(wrong.err.find("pairing failed"), std::string::npos) << wrong;
  EXPECT_TRUE(qemu_->wait_for_output("failed", milliseconds(5000))) << qemu_->output();

  // The firmware kept up: no received octet lost, still running.
  EXPECT_EQ(qemu_->output().find("UART0 overruns 0"), qemu_->output().find("UART0 overruns"))
      << qemu_->output();
  EXPECT_TRUE(qemu_->running()) << qemu_->output();

  // Its memory lines (stack, heaps, allocations), for the footprint figures
  // (`ctest -R FirmwareOnBtvirt -V` shows them).
  std::istringstream lines(qemu_->output());
  for (std::string line; std::getline(lines, line);)
    if (line.find("firmware: memory") != std::string::npos) std::cout << line << "\n";
}

TEST(FirmwareRunQemu, BadInputGivesOneLineError) {
  std::string out;
  int code = run_command(quote(kRunQemu) + " --hci unix:/nonexistent/socket 2>&1", &out);
  EXPECT_NE(code, 0);
  EXPECT_EQ(out, "run-qemu: no controller socket at /nonexistent/socket\n");
  code = run_command(quote(kRunQemu) + " --hci tcp:localhost:1 2>&1", &out);
  EXPECT_NE(code, 0);
  EXPECT_EQ(count(out, "\n"), 1u) << out;
  code = run_command(quote(kRunQemu) + " 2>&1", &out);
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("usage: run-qemu"), std::string::npos) << out;

  // No QEMU: one line naming the package.
  VirtualRadio radio;
  ASSERT_TRUE(radio.ok());
  code = run_command("QEMU=/nonexistent/qemu-system-arm " + quote(kRunQemu) +
                         " --hci unix:" + quote(radio.le_socket()) + " 2>&1",
                     &out);
  EXPECT_EQ(code, 1);
  EXPECT_EQ(out,
            "run-qemu: /nonexistent/qemu-system-arm not found (install the Debian package "
            "qemu-system-arm)\n");
}

}  // namespace
}  // namespace sable::testing
