#include "transport/h4.hpp"

#include <algorithm>
#include <cstring>

#include "common/log.hpp"

namespace sable {
namespace {

// Command, SCO and Event lengths are one octet: these always fit.
constexpr size_t kMaxOneOctetLength = 255;
constexpr size_t kMaxHeaderSize = 4;

}  // namespace

H4Deframer::H4Deframer(H4PacketTypes accepted, size_t max_payload, Sink sink)
    : accepted_(accepted),
      max_payload_(max_payload),
      sink_(std::move(sink)),
      buffer_size_(kMaxHeaderSize + std::max(max_payload, kMaxOneOctetLength)) {
  buffer_ = std::make_unique<uint8_t[]>(buffer_size_);
}

void H4Deframer::reset() {
  state_ = State::kIndicator;
  filled_ = 0;
  total_ = 0;
}

void H4Deframer::push(Bytes data, const Sink& sink) {
  while (!data.empty()) data = data.subspan(consume(data, sink));
}

size_t H4Deframer::consume(Bytes data, const Sink& sink) {
  switch (state_) {
    case State::kIndicator: {
      uint8_t indicator = data[0];
      if (!accepted_.contains_indicator(indicator)) {
        skip_garbage(indicator, 1);
        return 1;
      }
      type_ = HciPacketType(indicator);
      header_size_ = h4_header_size(type_);
      filled_ = 0;
      state_ = State::kHeader;
      return 1;
    }
    case State::kHeader: {
      size_t n = std::min(header_size_ - filled_, data.size());
      std::memcpy(buffer_.get() + filled_, data.data(), n);
      filled_ += n;
      if (filled_ == header_size_) header_complete(sink);
      return n;
    }
    case State::kPayload: {
      size_t n = std::min(total_ - filled_, data.size());
      std::memcpy(buffer_.get() + filled_, data.data(), n);
      filled_ += n;
      if (filled_ == total_) deliver(sink);
      return n;
    }
  }
  return data.size();
}

void H4Deframer::header_complete(const Sink& sink) {
  const uint8_t* h = buffer_.get();
  size_t length = 0;
  switch (type_) {
    case HciPacketType::kCommand:
    case HciPacketType::kSco:
      length = h[2];
      break;
    case HciPacketType::kEvent:
      length = h[1];
      break;
    case HciPacketType::kAcl:
      length = get_le16(h + 2);
      break;
    case HciPacketType::kIso:
      // Vol 4 Part E 5.4.5: ISO_Data_Load_Length is 14 bits; the top two are RFU.
      length = get_le16(h + 2) & 0x3FFF;
      break;
  }
  // Only ACL and ISO lengths can exceed the buffer (the others are one octet).
  bool oversize =
      (type_ == HciPacketType::kAcl || type_ == HciPacketType::kIso) && length > max_payload_;
  if (oversize) {
    // Not a packet we could hold, so almost certainly not a packet at all: the
    // indicator was a garbage byte that looked plausible. Drop it and look for
    // an indicator again from the byte after it (the header bytes may hold one).
    uint8_t header[kMaxHeaderSize];
    size_t header_size = header_size_;
    std::memcpy(header, h, header_size);
    reset();
    if (!resyncing_) {
      resyncing_ = true;
      ++resync_count_;
      SABLE_LOG_WARN("H4: packet type 0x%02x claims %zu payload octets (max %zu); resynchronising",
                     unsigned(type_), length, max_payload_);
    }
    garbage_bytes_ += 1;
    push(Bytes(header, header_size), sink);
    return;
  }
  total_ = header_size_ + length;
  if (length == 0) {
    deliver(sink);
  } else {
    state_ = State::kPayload;
  }
}

void H4Deframer::deliver(const Sink& sink) {
  HciPacketType type = type_;
  size_t total = total_;
  // Ready for the next packet before the sink runs; the sink must not push
  // into this deframer (the view points into its buffer).
  reset();
  resyncing_ = false;
  if (sink) sink(type, Bytes(buffer_.get(), total));
}

void H4Deframer::skip_garbage(uint8_t byte, size_t count) {
  garbage_bytes_ += count;
  if (resyncing_) return;
  resyncing_ = true;
  ++resync_count_;
  SABLE_LOG_WARN("H4: lost packet framing at byte 0x%02x; skipping bytes until a packet indicator",
                 byte);
}

}  // namespace sable
