// BTSnoop capture files (the format of RFC 1761 snoop, as used by BlueZ and
// Android), datalink 1002 "HCI UART (H4)": each record's data is the H4
// indicator byte followed by the HCI packet. Wireshark/tshark and `btmon -r`
// decode these files.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/hci_packet_type.hpp"
#include "sable/result.hpp"
#include "transport/transport.hpp"

namespace sable {

class BtsnoopWriter {
 public:
  static constexpr uint32_t kVersion = 1;
  static constexpr uint32_t kDatalinkH4 = 1002;
  // Microseconds from 0000-01-01 (the BTSnoop epoch) to 1970-01-01.
  static constexpr uint64_t kEpochOffsetUs = 0x00dcddb30f2f8000ULL;

  // Creates (truncates) the file and writes the 16-byte file header.
  static Result<BtsnoopWriter, TransportError> open(const std::string& path);

  BtsnoopWriter(BtsnoopWriter&& other) noexcept;
  BtsnoopWriter& operator=(BtsnoopWriter&& other) noexcept;
  BtsnoopWriter(const BtsnoopWriter&) = delete;
  BtsnoopWriter& operator=(const BtsnoopWriter&) = delete;
  ~BtsnoopWriter();

  // Appends one record stamped with the current wall-clock time. Each record
  // goes to the kernel in one write() before this returns, so the capture
  // survives a crash of this process.
  Result<void, TransportError> record(HciPacketType type, Bytes packet, bool controller_to_host);
  // Same, with an explicit timestamp (deterministic files for tests).
  Result<void, TransportError> record_at(HciPacketType type, Bytes packet, bool controller_to_host,
                                         std::chrono::system_clock::time_point when);

  const std::string& path() const { return path_; }

 private:
  BtsnoopWriter(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  Result<void, TransportError> write_all(Bytes data);

  int fd_ = -1;
  std::string path_;
  std::vector<uint8_t> record_buffer_;  // reused: no allocation per packet once grown
};

// A Transport decorator that records every packet, both ways, then forwards
// it. Only packets that were actually sent are recorded as sent. A failing
// capture (e.g. disk full) is logged once and never breaks the link.
class CapturingTransport final : public Transport {
 public:
  CapturingTransport(std::unique_ptr<Transport> inner, BtsnoopWriter writer);

  int fd() const override { return inner_->fd(); }
  Result<void, TransportError> send(HciPacketType type, Bytes packet) override;
  Result<void, TransportError> receive(const Sink& sink) override;
  std::string describe() const override;

 private:
  void capture(HciPacketType type, Bytes packet, bool controller_to_host);

  std::unique_ptr<Transport> inner_;
  BtsnoopWriter writer_;
  bool capture_failed_ = false;
};

}  // namespace sable
