// H4Deframer (src/transport/h4.hpp) over an arbitrary byte stream.
// Input: [types u8][max_payload u8][split seed u8] stream...
// Invariants: every packet has an accepted type, a full header, a length field
// equal to the octets after the header and a payload within max_payload; the
// packets, garbage count and resync count do not depend on how the stream is
// split into push() calls (whole, seeded chunks, one byte at a time).
#include <string>
#include <vector>

#include "fuzz_common.hpp"
#include "transport/h4.hpp"

namespace {

using sable::Bytes;
using sable::H4Deframer;
using sable::H4PacketTypes;
using sable::HciPacketType;

struct Packet {
  HciPacketType type;
  std::vector<uint8_t> bytes;
  bool operator==(const Packet&) const = default;
};

struct Run {
  std::vector<Packet> packets;
  uint64_t garbage = 0;
  uint64_t resyncs = 0;
};

void check_packet(const H4PacketTypes& accepted, size_t max_payload, HciPacketType type, Bytes p) {
  FUZZ_CHECK(accepted.contains(type));
  size_t header = sable::h4_header_size(type);
  FUZZ_CHECK(header != 0 && p.size() >= header);
  size_t length = 0;
  switch (type) {
    case HciPacketType::kCommand:
    case HciPacketType::kSco:
      length = p[2];
      break;
    case HciPacketType::kEvent:
      length = p[1];
      break;
    case HciPacketType::kAcl:
      length = sable::get_le16(&p[2]);
      break;
    case HciPacketType::kIso:
      length = sable::get_le16(&p[2]) & 0x3FFF;
      break;
  }
  FUZZ_CHECK(length == p.size() - header);
  if (type == HciPacketType::kAcl || type == HciPacketType::kIso) FUZZ_CHECK(length <= max_payload);
}

// split: 0 whole, 1 one byte at a time, else chunks of 1 + (seed-driven) octets.
Run deframe(const H4PacketTypes& accepted, size_t max_payload, Bytes stream, int split,
            uint8_t seed) {
  Run run;
  H4Deframer d(accepted, max_payload, [&](HciPacketType type, Bytes p) {
    check_packet(accepted, max_payload, type, p);
    run.packets.push_back({type, std::vector<uint8_t>(p.begin(), p.end())});
  });
  size_t pos = 0;
  uint32_t s = seed;
  while (pos < stream.size()) {
    size_t n = stream.size() - pos;
    if (split == 1) {
      n = 1;
    } else if (split == 2) {
      s = s * 1103515245u + 12345u;
      size_t c = 1 + ((s >> 16) % 37);
      if (c < n) n = c;
    }
    d.push(stream.subspan(pos, n));
    pos += n;
  }
  run.garbage = d.garbage_bytes();
  run.resyncs = d.resync_count();
  return run;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sable::fuzz::quiet_logs();
  sable::fuzz::Input in(data, size);
  uint8_t t = in.u8();
  H4PacketTypes accepted =
      (t & 1) ? H4PacketTypes::to_controller() : H4PacketTypes::from_controller();
  // Small buffers reach the oversize/resync path; the default is what hosts use.
  uint8_t m = in.u8();
  size_t max_payload = (m & 0x80) ? H4Deframer::kDefaultMaxPayload : size_t(m);
  uint8_t seed = in.u8();
  Bytes stream = in.take(8192);

  Run whole = deframe(accepted, max_payload, stream, 0, seed);
  Run bytes = deframe(accepted, max_payload, stream, 1, seed);
  Run chunks = deframe(accepted, max_payload, stream, 2, seed);
  FUZZ_CHECK(whole.packets == bytes.packets);
  FUZZ_CHECK(whole.packets == chunks.packets);
  FUZZ_CHECK(whole.garbage == bytes.garbage && whole.garbage == chunks.garbage);
  FUZZ_CHECK(whole.resyncs == bytes.resyncs && whole.resyncs == chunks.resyncs);
  // Every byte is either in a packet (plus its indicator), skipped, or part of
  // the unfinished tail.
  size_t delivered = 0;
  for (const auto& p : whole.packets) delivered += 1 + p.bytes.size();
  FUZZ_CHECK(delivered + whole.garbage <= stream.size());
  return 0;
}
