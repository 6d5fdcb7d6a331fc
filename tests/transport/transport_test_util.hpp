// Helpers shared by the transport tests: a private temporary directory, a log
// capture, and byte-vector shorthands.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "common/hci_packet_type.hpp"
#include "common/log.hpp"

namespace sable::testing {

using ByteVector = std::vector<uint8_t>;

// A fresh directory under $TMPDIR (or /tmp), removed with its contents.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/sable-transport-XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = buf.data();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Captures SABLE_LOG_* lines at Warn and above while alive.
class LogCapture {
 public:
  LogCapture() {
    lines().clear();
    set_log_level(LogLevel::kWarn);
    set_log_sink([](LogLevel level, const char* message) {
      if (level <= LogLevel::kWarn) lines().push_back(message);
    });
  }
  ~LogCapture() {
    set_log_sink(nullptr);
    set_log_level(LogLevel::kInfo);
  }
  static std::vector<std::string>& lines() {
    static std::vector<std::string> captured;
    return captured;
  }
};

struct Packet {
  HciPacketType type;
  ByteVector bytes;
  friend bool operator==(const Packet&, const Packet&) = default;
};

inline void PrintTo(const Packet& p, std::ostream* os) {
  *os << "{type " << int(p.type) << ":";
  for (uint8_t b : p.bytes) *os << ' ' << std::hex << int(b) << std::dec;
  *os << "}";
}

}  // namespace sable::testing
