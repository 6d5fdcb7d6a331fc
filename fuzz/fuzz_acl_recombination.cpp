// AclInbound recombination (src/hci/acl.hpp) fed a sequence of ACL packets.
// Input: [config u8] then records [op u8] ...
//   op & 3 == 3: on_disconnection(handle)                 (handle from op bits 2..3)
//   else: an ACL packet: [len u8 or le16] data; op bits 2..3 pick one of four
//   handles, bits 4..5 the PB flag, bit 6 sets BC=1, bit 7 keeps the raw bytes
//   (no patched header: the record is the whole packet).
// Invariants: every PDU delivered has a basic header whose length matches its
// size, fits max_pdu_size, goes to a handle that sent it, and equals the
// concatenation of the fragments sent on that handle since its last start.
#include <algorithm>
#include <map>
#include <vector>

#include "fuzz_common.hpp"
#include "hci/acl.hpp"

namespace {

using namespace sable;
using namespace sable::hci;

constexpr uint16_t kHandles[4] = {0x0001, 0x0040, 0x0EFF, 0x0FFF};
constexpr size_t kMaxRecords = 256;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::quiet_logs();
  fuzz::Input in(data, size);
  uint8_t cfg = in.u8();
  AclInbound::Config config;
  config.max_links = 1 + (cfg & 7);
  config.max_pdu_size = (cfg & 0x80) ? 4 + 1024 : 4 + ((cfg >> 3) & 0x0F) * 4;

  // Model: the octets received on a handle since its last start fragment.
  std::map<uint16_t, std::vector<uint8_t>> since_start;
  size_t delivered = 0;
  bool in_packet = false;
  uint16_t packet_handle = 0;

  // The sink keeps one reference: AclInbound's callback holds 16 octets of captures.
  auto check = [&](uint16_t handle, Bytes pdu) {
    FUZZ_CHECK(in_packet && handle == packet_handle);
    FUZZ_CHECK(pdu.size() >= 4 && size_t(get_le16(pdu.data())) + 4 == pdu.size());
    FUZZ_CHECK(pdu.size() <= config.max_pdu_size);
    auto it = since_start.find(handle);
    FUZZ_CHECK(it != since_start.end());
    FUZZ_CHECK(it->second.size() == pdu.size() &&
               std::equal(pdu.begin(), pdu.end(), it->second.begin()));
    since_start.erase(it);
    ++delivered;
  };
  AclInbound acl([&check](uint16_t handle, Bytes pdu) { check(handle, pdu); }, config);

  for (size_t i = 0; i < kMaxRecords && !in.empty(); ++i) {
    uint8_t op = in.u8();
    uint16_t handle = kHandles[(op >> 2) & 3];
    if ((op & 3) == 3) {
      acl.on_disconnection(handle);
      since_start.erase(handle);
      FUZZ_CHECK(!acl.has_partial(handle));
      continue;
    }
    std::vector<uint8_t> packet;
    if (op & 0x80) {
      packet = fuzz::copy(op & 1 ? in.frame16(2048) : in.frame8());
    } else {
      Bytes payload = (op & 1) ? in.frame16(1100) : in.frame8();
      uint8_t pb = (op >> 4) & 3;
      uint8_t bc = (op & 0x40) ? 1 : 0;
      packet.resize(4 + payload.size());
      put_le16(packet.data(), uint16_t(handle | (pb << 12) | (bc << 14)));
      put_le16(packet.data() + 2, uint16_t(payload.size()));
      std::copy(payload.begin(), payload.end(), packet.begin() + 4);
    }
    auto parsed = AclPacket::parse(packet);
    if (parsed) {
      FUZZ_CHECK(parsed->handle <= kHandleMask && parsed->data.size() + 4 == packet.size());
      packet_handle = parsed->handle;
      if (parsed->broadcast == 0 && parsed->packet_boundary != pb::kComplete) {
        auto& acc = since_start[parsed->handle];
        if (parsed->packet_boundary != pb::kContinuation) acc.clear();
        acc.insert(acc.end(), parsed->data.begin(), parsed->data.end());
      }
    }
    in_packet = true;
    acl.on_acl(packet);
    in_packet = false;
  }
  (void)delivered;
  return 0;
}
