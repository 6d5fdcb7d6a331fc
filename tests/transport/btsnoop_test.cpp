#include "transport/btsnoop.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>

#include "transport_test_util.hpp"

namespace sable {
namespace {

using testing::ByteVector;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::Packet;
using ::testing::StartsWith;
using testing::TempDir;

const ByteVector kResetCommand = {0x03, 0x0C, 0x00};
const ByteVector kResetComplete = {0x0E, 0x04, 0x01, 0x03, 0x0C, 0x00};

// BTSnoop file header: "btsnoop\0", version 1, datalink 1002 (H4), big endian.
const ByteVector kFileHeader = {'b',  't',  's',  'n',  'o',  'o',  'p',  0x00,
                                0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x03, 0xEA};

ByteVector read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return ByteVector(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

uint32_t be32(const ByteVector& b, size_t at) {
  return uint32_t(b[at]) << 24 | uint32_t(b[at + 1]) << 16 | uint32_t(b[at + 2]) << 8 | b[at + 3];
}

uint64_t be64(const ByteVector& b, size_t at) {
  return uint64_t(be32(b, at)) << 32 | be32(b, at + 4);
}

std::chrono::system_clock::time_point unix_us(int64_t us) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::microseconds(us)));
}

TEST(BtsnoopWriterTest, HeaderAndOneRecordExactBytes) {
  TempDir dir;
  std::string path = dir.file("capture.btsnoop");
  {
    auto w = BtsnoopWriter::open(path);
    ASSERT_TRUE(w) << w.error().message;
    // 2023-11-14T22:13:20.123456Z.
    ASSERT_TRUE(w->record_at(HciPacketType::kCommand, kResetCommand, false,
                             unix_us(1'700'000'000'123'456)));
  }
  ByteVector expected = kFileHeader;
  ByteVector record = {
      0x00, 0x00, 0x00, 0x04,  // original length: indicator + 3
      0x00, 0x00, 0x00, 0x04,  // included length
      0x00, 0x00, 0x00, 0x02,  // flags: sent (bit 0 = 0), command (bit 1 = 1)
      0x00, 0x00, 0x00, 0x00,  // cumulative drops
      // 1700000000123456 us + 62168256000000000 us (year 0 to 1970) =
      // 63868256000123456 = 0x00E2E7D7274FA240
      0x00, 0xE2, 0xE7, 0xD7, 0x27, 0x4F, 0xA2, 0x40, 0x01, 0x03, 0x0C,
      0x00,  // H4: Command, HCI_Reset
  };
  expected.insert(expected.end(), record.begin(), record.end());
  EXPECT_EQ(read_file(path), expected);
}

TEST(BtsnoopWriterTest, FlagsGiveDirectionAndCommandOrEvent) {
  TempDir dir;
  std::string path = dir.file("flags.btsnoop");
  auto w = BtsnoopWriter::open(path);
  ASSERT_TRUE(w);
  ByteVector acl = {0x40, 0x00, 0x00, 0x00};
  ASSERT_TRUE(w->record(HciPacketType::kCommand, kResetCommand, false));
  ASSERT_TRUE(w->record(HciPacketType::kEvent, kResetComplete, true));
  ASSERT_TRUE(w->record(HciPacketType::kAcl, acl, false));
  ASSERT_TRUE(w->record(HciPacketType::kAcl, acl, true));
  ASSERT_TRUE(w->record(HciPacketType::kIso, acl, true));

  // Records reach the file as they are written, without closing the writer.
  ByteVector file = read_file(path);
  std::vector<uint32_t> flags;
  std::vector<uint8_t> indicators;
  size_t at = kFileHeader.size();
  while (at + 24 <= file.size()) {
    uint32_t included = be32(file, at + 4);
    EXPECT_EQ(be32(file, at), included);
    flags.push_back(be32(file, at + 8));
    indicators.push_back(file[at + 24]);
    at += 24 + included;
  }
  EXPECT_EQ(at, file.size());
  EXPECT_THAT(flags, ElementsAre(2u, 3u, 0u, 1u, 1u));
  EXPECT_THAT(indicators, ElementsAre(0x01, 0x04, 0x02, 0x02, 0x05));
}

TEST(BtsnoopWriterTest, RecordUsesTheWallClock) {
  TempDir dir;
  std::string path = dir.file("clock.btsnoop");
  auto w = BtsnoopWriter::open(path);
  ASSERT_TRUE(w);
  auto us_now = [] {
    return uint64_t(std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count()) +
           BtsnoopWriter::kEpochOffsetUs;
  };
  uint64_t before = us_now();
  ASSERT_TRUE(w->record(HciPacketType::kEvent, kResetComplete, true));
  uint64_t after = us_now();
  ByteVector file = read_file(path);
  ASSERT_GE(file.size(), kFileHeader.size() + 24);
  uint64_t stamp = be64(file, kFileHeader.size() + 16);
  EXPECT_GE(stamp, before);
  EXPECT_LE(stamp, after);
}

TEST(BtsnoopWriterTest, OpenFailureNamesThePath) {
  auto w = BtsnoopWriter::open("/nonexistent-dir/capture.btsnoop");
  ASSERT_FALSE(w);
  EXPECT_THAT(w.error().message, HasSubstr("/nonexistent-dir/capture.btsnoop"));
  EXPECT_THAT(w.error().message, HasSubstr("No such file or directory"));
}

TEST(BtsnoopWriterTest, MovedWriterKeepsWriting) {
  TempDir dir;
  std::string path = dir.file("moved.btsnoop");
  auto w = BtsnoopWriter::open(path);
  ASSERT_TRUE(w);
  BtsnoopWriter moved = std::move(w.value());
  ASSERT_TRUE(moved.record(HciPacketType::kCommand, kResetCommand, false));
  EXPECT_EQ(read_file(path).size(), kFileHeader.size() + 24 + 4);
  EXPECT_EQ(moved.path(), path);
}

// ---- CapturingTransport ------------------------------------------------------

// A host-side CapturingTransport over a socketpair; the test plays the controller.
struct CaptureFixture {
  CaptureFixture() {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    controller = fds[1];
    auto w = BtsnoopWriter::open(path);
    EXPECT_TRUE(w);
    transport = std::make_unique<CapturingTransport>(make_stream_transport(fds[0], "socketpair"),
                                                     std::move(w.value()));
  }
  ~CaptureFixture() { ::close(controller); }

  // Host sends HCI_Reset; the controller answers with its Command Complete.
  void reset_exchange(std::vector<Packet>& received) {
    ASSERT_TRUE(transport->send(HciPacketType::kCommand, kResetCommand));
    uint8_t buf[16];
    ASSERT_EQ(::read(controller, buf, sizeof buf), 4);
    ByteVector event = {0x04};
    event.insert(event.end(), kResetComplete.begin(), kResetComplete.end());
    ASSERT_EQ(::write(controller, event.data(), event.size()), ssize_t(event.size()));
    pollfd pfd{transport->fd(), POLLIN, 0};
    ASSERT_EQ(::poll(&pfd, 1, 5000), 1);
    ASSERT_TRUE(transport->receive([&](HciPacketType type, Bytes packet) {
      received.push_back({type, ByteVector(packet.begin(), packet.end())});
    }));
  }

  TempDir dir;
  std::string path = dir.file("hci.btsnoop");
  int controller = -1;
  std::unique_ptr<Transport> transport;
};

TEST(CapturingTransportTest, RecordsBothDirectionsAndForwards) {
  CaptureFixture f;
  std::vector<Packet> received;
  f.reset_exchange(received);
  EXPECT_THAT(received, ElementsAre(Packet{HciPacketType::kEvent, kResetComplete}));
  EXPECT_EQ(f.transport->describe(), "socketpair (capturing to " + f.path + ")");

  ByteVector file = read_file(f.path);
  ASSERT_EQ(file.size(), kFileHeader.size() + (24 + 4) + (24 + 7));
  EXPECT_TRUE(std::equal(kFileHeader.begin(), kFileHeader.end(), file.begin()));
  size_t first = kFileHeader.size(), second = first + 24 + 4;
  EXPECT_EQ(be32(file, first + 8), 2u);  // sent command
  EXPECT_EQ(ByteVector(file.begin() + first + 24, file.begin() + second),
            (ByteVector{0x01, 0x03, 0x0C, 0x00}));
  EXPECT_EQ(be32(file, second + 8), 3u);  // received event
  EXPECT_EQ(ByteVector(file.begin() + second + 24, file.end()),
            (ByteVector{0x04, 0x0E, 0x04, 0x01, 0x03, 0x0C, 0x00}));
}

TEST(CapturingTransportTest, FailedSendIsNotRecorded) {
  CaptureFixture f;
  ::close(f.controller);
  f.controller = ::dup(0);  // keep the destructor's close harmless
  EXPECT_FALSE(f.transport->send(HciPacketType::kCommand, kResetCommand));
  EXPECT_EQ(read_file(f.path), kFileHeader);
}

// Runs a shell command and returns its stdout.
std::string run(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

TEST(CapturingTransportTest, TsharkDecodesTheCapture) {
  constexpr const char* kTshark = "/usr/bin/tshark";
  if (::access(kTshark, X_OK) != 0) {
    FAIL() << kTshark << " not found: install the Debian package tshark (apt-get install tshark)";
  }
  CaptureFixture f;
  std::vector<Packet> received;
  f.reset_exchange(received);

  // tshark wants a writable HOME for its profile; keep it out of the real one.
  std::string env = "HOME='" + f.dir.path() + "' ";
  std::string tshark = env + kTshark + " -r '" + f.path + "' ";
  std::string stderr_file = f.dir.file("tshark.err");

  std::string protocols = run(tshark + "-T fields -e frame.protocols 2>'" + stderr_file + "'");
  auto rows = lines_of(protocols);
  ASSERT_EQ(rows.size(), 2u) << protocols << "\nstderr: " << run("cat '" + stderr_file + "'");
  EXPECT_THAT(rows[0], HasSubstr("bthci_cmd"));
  EXPECT_THAT(rows[1], HasSubstr("bthci_evt"));

  // The decoded fields: the Reset opcode, and a Command Complete (0x0e) for it.
  auto fields =
      lines_of(run(tshark + "-T fields -E separator=, -e bthci_cmd.opcode -e bthci_evt.code "
                            "-e bthci_evt.opcode -e bthci_evt.status 2>/dev/null"));
  ASSERT_EQ(fields.size(), 2u);
  EXPECT_EQ(fields[0], "0x0c03,,,");
  EXPECT_EQ(fields[1], ",0x0e,0x0c03,0x00");

  EXPECT_THAT(lines_of(run(tshark + "-Y _ws.malformed 2>/dev/null")), IsEmpty());
}

}  // namespace
}  // namespace sable
