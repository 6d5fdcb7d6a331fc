// HCI event parsing (src/hci/events.hpp): EventPacket::parse, then every event
// and LE subevent parser, and every return-parameter decoder.
// Input: [mode u8] event packet (code, length, parameters).
// mode bit 0: patch the length octet to the parameters present (so the packet
// passes the framing check and the fuzzer reaches the event parsers).
// Invariants: a parsed EventPacket's params are exactly the octets after the
// 2-octet header; counted events account for every octet; advertising reports
// iterate exactly size() times with data of at most 31 octets inside the input.
#include <vector>

#include "fuzz_common.hpp"
#include "hci/events.hpp"

namespace {

using namespace sable;
using namespace sable::hci;

bool inside(Bytes outer, Bytes inner) {
  return inner.empty() || (inner.data() >= outer.data() &&
                           inner.data() + inner.size() <= outer.data() + outer.size());
}

void parse_all_events(Bytes params) {
  if (auto cc = CommandCompleteEvent::parse(params)) {
    FUZZ_CHECK(params.size() >= 3 && cc->return_params.size() == params.size() - 3);
    (void)cc->status();
    Bytes rp = cc->return_params.empty() ? Bytes{} : cc->return_params.subspan(1);
    (void)decode_read_local_version_information(rp);
    (void)decode_read_bd_addr(rp);
    (void)decode_read_local_supported_commands(rp);
    (void)decode_read_local_supported_features(rp);
    (void)decode_le_read_local_supported_features(rp);
    (void)decode_le_read_buffer_size(rp);
    (void)decode_le_read_buffer_size_v2(rp);
    (void)decode_read_buffer_size(rp);
    (void)decode_le_rand(rp);
  }
  (void)CommandStatusEvent::parse(params);
  (void)DisconnectionCompleteEvent::parse(params);
  (void)EncryptionChangeEvent::parse(params);
  (void)EncryptionKeyRefreshCompleteEvent::parse(params);
  if (auto n = NumberOfCompletedPacketsEvent::parse(params)) {
    FUZZ_CHECK(params.size() == 1 + 4 * n->size());
    for (size_t i = 0; i < n->size(); ++i) {
      FUZZ_CHECK(n->handle(i) <= kHandleMask);
      (void)n->count(i);
    }
  }
  (void)HardwareErrorEvent::parse(params);
  (void)DataBufferOverflowEvent::parse(params);
}

void parse_all_le(Bytes sub) {
  if (auto e = LeConnectionCompleteEvent::parse(sub)) FUZZ_CHECK(e->handle <= kHandleMask);
  if (auto e = LeEnhancedConnectionCompleteEvent::parse(sub)) FUZZ_CHECK(e->handle <= kHandleMask);
  if (auto e = LeAdvertisingReportEvent::parse(sub)) {
    size_t n = 0;
    for (const AdvertisingReport& r : *e) {
      FUZZ_CHECK(r.data.size() <= 31);
      FUZZ_CHECK(inside(sub, r.data));
      ++n;
      FUZZ_CHECK(n <= e->size());
    }
    FUZZ_CHECK(n == e->size());
    FUZZ_CHECK(n >= 1 && n <= 0x19);
  }
  (void)LeConnectionUpdateCompleteEvent::parse(sub);
  (void)LeReadRemoteFeaturesCompleteEvent::parse(sub);
  (void)LeLongTermKeyRequestEvent::parse(sub);
  (void)LeRemoteConnectionParameterRequestEvent::parse(sub);
  (void)LeDataLengthChangeEvent::parse(sub);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::quiet_logs();
  fuzz::Input in(data, size);
  uint8_t mode = in.u8();
  std::vector<uint8_t> packet = fuzz::copy(in.take(2 + 255));
  if ((mode & 1) && packet.size() >= 2) packet[1] = uint8_t(packet.size() - 2);

  auto ev = EventPacket::parse(packet);
  if (!ev) {
    FUZZ_CHECK(packet.size() < 2 || packet[1] != packet.size() - 2);
    // The parameter parsers must also survive octets that never passed framing.
    if (mode & 2) {
      parse_all_events(packet);
      parse_all_le(packet);
    }
    return 0;
  }
  FUZZ_CHECK(packet.size() >= 2 && ev->code == packet[0]);
  FUZZ_CHECK(ev->params.size() == packet[1] && ev->params.size() == packet.size() - 2);
  FUZZ_CHECK(ev->params.empty() || ev->params.data() == packet.data() + 2);

  parse_all_events(ev->params);
  if (auto meta = LeMetaEvent::parse(ev->params)) {
    FUZZ_CHECK(meta->params.size() + 1 == ev->params.size());
    parse_all_le(meta->params);
  }
  return 0;
}
