#include "transport/btsnoop.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "common/log.hpp"

namespace sable {
namespace {

// BTSnoop fields are big endian, unlike everything inside the HCI packets.
void put_be32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = uint8_t(v >> (24 - 8 * i));
}
void put_be64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = uint8_t(v >> (56 - 8 * i));
}

constexpr size_t kFileHeaderSize = 16;
constexpr size_t kRecordHeaderSize = 24;

// Record flags for datalink 1002 (H4).
constexpr uint32_t kFlagReceived = 1u << 0;        // controller -> host
constexpr uint32_t kFlagCommandOrEvent = 1u << 1;  // not ACL/SCO/ISO data

}  // namespace

Result<BtsnoopWriter, TransportError> BtsnoopWriter::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    int err = errno;
    return fail(TransportError{"cannot create capture file " + path +
                               " (open: " + std::strerror(err) + ")"});
  }
  BtsnoopWriter writer(fd, path);
  uint8_t header[kFileHeaderSize];
  std::memcpy(header, "btsnoop\0", 8);
  put_be32(header + 8, kVersion);
  put_be32(header + 12, kDatalinkH4);
  auto written = writer.write_all(Bytes(header, sizeof header));
  if (!written) return fail(written.error());
  return writer;
}

BtsnoopWriter::BtsnoopWriter(BtsnoopWriter&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      path_(std::move(other.path_)),
      record_buffer_(std::move(other.record_buffer_)) {}

BtsnoopWriter& BtsnoopWriter::operator=(BtsnoopWriter&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
    record_buffer_ = std::move(other.record_buffer_);
  }
  return *this;
}

BtsnoopWriter::~BtsnoopWriter() {
  if (fd_ >= 0) ::close(fd_);
}

Result<void, TransportError> BtsnoopWriter::record(HciPacketType type, Bytes packet,
                                                   bool controller_to_host) {
  return record_at(type, packet, controller_to_host, std::chrono::system_clock::now());
}

Result<void, TransportError> BtsnoopWriter::record_at(HciPacketType type, Bytes packet,
                                                      bool controller_to_host,
                                                      std::chrono::system_clock::time_point when) {
  const size_t length = 1 + packet.size();  // H4 indicator + HCI packet
  record_buffer_.resize(kRecordHeaderSize + length);
  uint8_t* r = record_buffer_.data();

  uint32_t flags = 0;
  if (controller_to_host) flags |= kFlagReceived;
  if (type == HciPacketType::kCommand || type == HciPacketType::kEvent) {
    flags |= kFlagCommandOrEvent;
  }
  auto unix_us =
      std::chrono::duration_cast<std::chrono::microseconds>(when.time_since_epoch()).count();

  put_be32(r + 0, uint32_t(length));  // original length
  put_be32(r + 4, uint32_t(length));  // included length: never truncated
  put_be32(r + 8, flags);
  put_be32(r + 12, 0);  // cumulative drops
  put_be64(r + 16, uint64_t(unix_us) + kEpochOffsetUs);
  r[kRecordHeaderSize] = uint8_t(type);
  if (!packet.empty()) std::memcpy(r + kRecordHeaderSize + 1, packet.data(), packet.size());
  return write_all(Bytes(record_buffer_.data(), record_buffer_.size()));
}

Result<void, TransportError> BtsnoopWriter::write_all(Bytes data) {
  if (fd_ < 0) return fail(TransportError{"capture file " + path_ + " is not open"});
  while (!data.empty()) {
    ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : EIO;
      return fail(TransportError{"cannot write capture file " + path_ +
                                 " (write: " + std::strerror(err) + ")"});
    }
    data = data.subspan(size_t(n));
  }
  return {};
}

CapturingTransport::CapturingTransport(std::unique_ptr<Transport> inner, BtsnoopWriter writer)
    : inner_(std::move(inner)), writer_(std::move(writer)) {}

Result<void, TransportError> CapturingTransport::send(HciPacketType type, Bytes packet) {
  auto sent = inner_->send(type, packet);
  if (sent) capture(type, packet, /*controller_to_host=*/false);
  return sent;
}

Result<void, TransportError> CapturingTransport::receive(const Sink& sink) {
  return inner_->receive([&](HciPacketType type, Bytes packet) {
    capture(type, packet, /*controller_to_host=*/true);
    sink(type, packet);
  });
}

std::string CapturingTransport::describe() const {
  return inner_->describe() + " (capturing to " + writer_.path() + ")";
}

void CapturingTransport::capture(HciPacketType type, Bytes packet, bool controller_to_host) {
  auto recorded = writer_.record(type, packet, controller_to_host);
  if (!recorded && !capture_failed_) {
    capture_failed_ = true;
    SABLE_LOG_WARN("%s", recorded.error().message.c_str());
  }
}

}  // namespace sable
