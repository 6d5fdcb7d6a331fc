// LeLink (src/l2cap/le_link.hpp), either role, fed B-frames, time and local
// requests from the input.
// Input: [role u8][answers u8] then records [op u8] ...
//   op % 5 == 0: a raw B-frame (le16 length, bytes)
//   op % 5 == 1: a B-frame with a patched basic header: CID from op bits 3..4
//                (ATT, signaling, SMP, or le16 from the input), payload
//                (u8 length, bytes); on the signaling channel op bit 5 also
//                patches the command's length and op bit 6 a zero identifier
//   op % 5 == 2: time passes (le16 ms, x64 if op bit 3); on_timeout when due
//   op % 5 == 3: request_connection_parameter_update (8 octets, or valid ones)
//   op % 5 == 4: send_att / send_smp of an SDU (le16 length, x3 if op bit 4)
// Invariants: every frame sent is a well-formed B-frame on a fixed channel,
// signaling commands parse and fit MTUsig, SDUs passed up respect the channel
// MTUs, the update request/result callbacks follow the role and the one
// outstanding request, and next_deadline() is set exactly while it is pending.
#include <vector>

#include "fuzz_common.hpp"
#include "l2cap/le_link.hpp"

namespace {

using namespace sable;
using namespace sable::l2cap;

constexpr size_t kMaxRecords = 256;

struct Delegate final : LinkDelegate {
  Role role = Role::kPeripheral;
  uint8_t answers = 0;
  bool pending = false;
  size_t results = 0;

  void send_pdu(Bytes pdu) override {
    auto frame = BasicFrame::parse(pdu);
    FUZZ_CHECK(frame.ok());
    switch (frame->channel_id()) {
      case kAttCid:
        FUZZ_CHECK(frame->payload().size() <= kAttMaxSduSize);
        break;
      case kSmpCid:
        FUZZ_CHECK(frame->payload().size() <= kSmpMaxSduSize);
        break;
      case kLeSignalingCid: {
        FUZZ_CHECK(frame->payload().size() <= kLeSignalingMtu);
        auto cmd = LeSignalingCommand::parse(frame->payload());
        FUZZ_CHECK(cmd.ok());
        if (cmd->code() == CommandCode::kConnectionParameterUpdateRequest) {
          FUZZ_CHECK(role == Role::kPeripheral);
        }
        break;
      }
      default:
        FUZZ_CHECK(false && "frame sent on a channel that is not a fixed LE channel");
    }
  }
  void on_att_sdu(Bytes sdu) override { FUZZ_CHECK(sdu.size() <= kAttMaxSduSize); }
  void on_smp_sdu(Bytes sdu) override { FUZZ_CHECK(sdu.size() <= kSmpMaxSduSize); }
  bool on_connection_parameter_update_request(const ConnectionParameters& p) override {
    FUZZ_CHECK(role == Role::kCentral);
    FUZZ_CHECK(connection_parameters_valid(p));
    answers = uint8_t((answers >> 1) | (answers << 7));
    return (answers & 1) != 0;
  }
  void on_connection_parameter_update_result(ConnectionParameterUpdateResult) override {
    FUZZ_CHECK(role == Role::kPeripheral);
    FUZZ_CHECK(pending);
    pending = false;
    ++results;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::quiet_logs();
  fuzz::Input in(data, size);
  Delegate d;
  d.role = (in.u8() & 1) ? Role::kCentral : Role::kPeripheral;
  d.answers = in.u8();
  LeLink link(d.role, d);
  TimePoint now{Duration{1000}};

  for (size_t i = 0; i < kMaxRecords && !in.empty(); ++i) {
    uint8_t op = in.u8();
    switch (op % 5) {
      case 0: {
        std::vector<uint8_t> pdu = fuzz::copy(in.frame16(1100));
        link.on_pdu(now, pdu);
        break;
      }
      case 1: {
        uint16_t cid = 0;
        switch ((op >> 3) & 3) {
          case 0:
            cid = kAttCid;
            break;
          case 1:
            cid = kLeSignalingCid;
            break;
          case 2:
            cid = kSmpCid;
            break;
          default:
            cid = in.le16();
        }
        Bytes payload = in.frame8();
        std::vector<uint8_t> pdu(4 + payload.size());
        put_le16(pdu.data(), uint16_t(payload.size()));
        put_le16(pdu.data() + 2, cid);
        std::copy(payload.begin(), payload.end(), pdu.begin() + 4);
        if (cid == kLeSignalingCid && pdu.size() >= 8) {
          if (op & 0x20) put_le16(pdu.data() + 6, uint16_t(pdu.size() - 8));
          if ((op & 0x40) == 0 && pdu[5] == 0) pdu[5] = 1;
        }
        link.on_pdu(now, pdu);
        break;
      }
      case 2: {
        Duration step(in.le16() * ((op & 8) ? 64 : 1));
        now += step;
        if (now >= link.next_deadline()) link.on_timeout(now);
        break;
      }
      case 3: {
        ConnectionParameters p{24, 48, 0, 60};
        if (op & 8) p = {in.le16(), in.le16(), in.le16(), in.le16()};
        auto r = link.request_connection_parameter_update(now, p);
        if (r.ok()) {
          FUZZ_CHECK(d.role == Role::kPeripheral && !d.pending);
          FUZZ_CHECK(connection_parameters_valid(p));
          d.pending = true;
        }
        break;
      }
      case 4: {
        size_t n = size_t(in.le16() % 600) * ((op & 0x10) ? 3 : 1);
        std::vector<uint8_t> sdu(n, uint8_t(op));
        bool ok = (op & 8) ? link.send_smp(sdu) : link.send_att(sdu);
        if (ok) FUZZ_CHECK(n <= ((op & 8) ? kSmpMaxSduSize : kAttMaxSduSize));
        break;
      }
    }
    FUZZ_CHECK(d.pending == (link.next_deadline() != kNever));
    if (d.pending) FUZZ_CHECK(link.next_deadline() > now);
  }
  return 0;
}
