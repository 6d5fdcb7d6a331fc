#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <utility>

#include "sable/error.hpp"
#include "support/heap/heap_count.hpp"

namespace sable {
namespace {

constexpr size_t kCap = ErrorMessage::kCapacity;

TEST(ErrorMessageTest, EmptyByDefault) {
  ErrorMessage m;
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(m.size(), 0u);
  EXPECT_STREQ(m.c_str(), "");
  EXPECT_FALSE(m.truncated());
  EXPECT_EQ(ErrorMessage(static_cast<const char*>(nullptr)), "");
}

TEST(ErrorMessageTest, HoldsAndComparesText) {
  ErrorMessage m = "the controller is not ready";
  EXPECT_EQ(m, "the controller is not ready");
  EXPECT_EQ("the controller is not ready", m);
  EXPECT_NE(m, "the controller is not read");
  EXPECT_NE(m, "the controller is not ready!");
  EXPECT_EQ(m, std::string_view("the controller is not ready"));
  EXPECT_EQ(m, ErrorMessage(std::string("the controller is not ready")));
  EXPECT_EQ(m.size(), 27u);
  EXPECT_STREQ(m.c_str(), "the controller is not ready");
  std::string_view v = m;
  EXPECT_EQ(v, "the controller is not ready");
  EXPECT_TRUE(m.contains("not ready"));
  EXPECT_FALSE(m.contains("failed"));
  EXPECT_TRUE(m.starts_with("the controller"));
  EXPECT_FALSE(m.starts_with("controller"));
}

TEST(ErrorMessageTest, TextOfExactlyTheCapacityIsKept) {
  std::string text(kCap, 'a');
  ErrorMessage m = text;
  EXPECT_EQ(m.size(), kCap);
  EXPECT_EQ(m, text);
  EXPECT_FALSE(m.truncated());
}

TEST(ErrorMessageTest, LongerTextIsCutAndEndsWithEllipsis) {
  std::string text(kCap + 1, 'a');
  ErrorMessage m = text;
  EXPECT_EQ(m.size(), kCap);
  EXPECT_TRUE(m.truncated());
  EXPECT_EQ(m, std::string(kCap - 3, 'a') + "...");
  EXPECT_EQ(std::string(m.c_str()).size(), kCap);  // NUL-terminated at the capacity
}

TEST(ErrorMessageTest, FormatsWithSablesFormatter) {
  ErrorMessage m = ErrorMessage::format("%s failed: %s (0x%02x)", "LE_Set_Advertising_Enable",
                                        "Command Disallowed", 0x0Cu);
  EXPECT_EQ(m, "LE_Set_Advertising_Enable failed: Command Disallowed (0x0c)");
  EXPECT_FALSE(m.truncated());
  EXPECT_EQ(ErrorMessage::format("handle 0x%04X, %d octets", 0x2Au, -3),
            "handle 0x002A, -3 octets");
}

TEST(ErrorMessageTest, FormattingBeyondTheCapacityIsCut) {
  std::string word(200, 'w');
  ErrorMessage m = ErrorMessage::format("start %s end", word.c_str());
  EXPECT_EQ(m.size(), kCap);
  EXPECT_TRUE(m.truncated());
  EXPECT_TRUE(m.starts_with("start www"));
  EXPECT_EQ(m.view().substr(kCap - 4), "w...");
}

TEST(ErrorMessageTest, AppendsTextAndFormattedText) {
  ErrorMessage m = "ATT error";
  m += ": Insufficient Authentication";
  m.append_format(" (0x%02x) on handle 0x%04x", 5u, 3u);
  EXPECT_EQ(m, "ATT error: Insufficient Authentication (0x05) on handle 0x0003");
  EXPECT_FALSE(m.truncated());
}

TEST(ErrorMessageTest, AppendingBeyondTheCapacityIsCut) {
  ErrorMessage m = std::string(kCap - 5, 'a');
  m.append("bcdefgh");
  EXPECT_EQ(m.size(), kCap);
  EXPECT_TRUE(m.truncated());
  EXPECT_EQ(m.view().substr(kCap - 6), "abc...");
  ErrorMessage f = std::string(kCap - 2, 'a');
  f.append_format("%d", 12345);
  EXPECT_TRUE(f.truncated());
  EXPECT_EQ(f.size(), kCap);
  // A full message stays full and marked.
  f.append("more");
  f.append_format("%s", "more");
  EXPECT_EQ(f.size(), kCap);
  EXPECT_EQ(f.view().substr(kCap - 3), "...");
}

TEST(ErrorMessageTest, StreamsAsText) {
  std::ostringstream out;
  Error e{ErrorKind::kTimeout, "connection attempt timed out"};
  out << "error: " << e.message << ".";
  EXPECT_EQ(out.str(), "error: connection attempt timed out.");
}

TEST(ErrorMessageTest, StdStringCanBeBuiltFromIt) {
  ErrorMessage m = "pairing failed: Passkey Entry Failed (0x01, peer)";
  std::string s(m);
  EXPECT_EQ(s, "pairing failed: Passkey Entry Failed (0x01, peer)");
  EXPECT_EQ("scan: " + std::string(m.view()), "scan: " + s);
}

// The core reports errors after start-up, where it must not allocate
// (Error used to hold a std::string: every message longer than the small
// string buffer was a heap allocation, and so was each copy).
TEST(ErrorTest, BuildingCopyingAndMovingAllocateNothing) {
  const uint64_t before = testing::heap_allocations();
  Error made{ErrorKind::kController,
             "encryption with the bonded key failed: Connection Failed to be Established (0x3e)",
             0x3E};
  Error formatted{ErrorKind::kPairingFailed,
                  ErrorMessage::format("pairing failed: %s (0x%02x, %s)",
                                       "Numeric Comparison Failed", 0x0Cu, "peer"),
                  0x0C, ErrorOrigin::kPeer};
  Error copy = made;
  Error moved = std::move(formatted);
  std::optional<Error> slot;
  slot = copy;
  slot = std::move(moved);
  copy = *slot;
  copy.message += " (while reconnecting)";
  const uint64_t after = testing::heap_allocations();
  EXPECT_EQ(after, before);
  EXPECT_EQ(copy.message,
            "pairing failed: Numeric Comparison Failed (0x0c, peer) (while reconnecting)");
  EXPECT_EQ(copy.origin, ErrorOrigin::kPeer);
  EXPECT_EQ(made.code, 0x3E);
}

// The counter above really counts: a std::string too long for its inline
// buffer allocates (so the test above could fail).
TEST(ErrorTest, TheAllocationCounterCounts) {
  const uint64_t before = testing::heap_allocations();
  std::string s(200, 'x');
  EXPECT_GT(testing::heap_allocations(), before);
  EXPECT_EQ(s.size(), 200u);
}

}  // namespace
}  // namespace sable
