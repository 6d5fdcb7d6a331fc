#include "l2cap/pdu.hpp"

#include <cstring>

namespace sable::l2cap {
namespace {

// One row per command defined on LE-U (Core 5.4 Vol 3 Part A 4 Table 4.2, the
// "LE-U" column), with the data lengths its format allows: min..max in steps
// of `step` octets (the credit-based commands carry 1..5 CIDs of 2 octets).
struct LeCommandFormat {
  uint8_t code;
  CommandKind kind;
  uint8_t min_data;
  uint8_t max_data;
  uint8_t step;
};

constexpr LeCommandFormat kLeCommands[] = {
    // 4.1: Reason (2) + reason data; whatever else fits in MTUsig.
    {0x01, CommandKind::kResponse, 2, kLeSignalingMtu - kCommandHeaderSize, 1},
    {0x06, CommandKind::kRequest, 4, 4, 1},     // 4.6: DCID, SCID
    {0x07, CommandKind::kResponse, 4, 4, 1},    // 4.7: DCID, SCID
    {0x12, CommandKind::kRequest, 8, 8, 1},     // 4.20: 4 x 2 octets
    {0x13, CommandKind::kResponse, 2, 2, 1},    // 4.21: Result
    {0x14, CommandKind::kRequest, 10, 10, 1},   // 4.22: SPSM, SCID, MTU, MPS, credits
    {0x15, CommandKind::kResponse, 10, 10, 1},  // 4.23: DCID, MTU, MPS, credits, Result
    {0x16, CommandKind::kIndication, 4, 4, 1},  // 4.24: CID, Credits
    {0x17, CommandKind::kRequest, 10, 18, 2},   // 4.25: SPSM, MTU, MPS, credits, 1..5 SCIDs
    {0x18, CommandKind::kResponse, 10, 18, 2},  // 4.26: MTU, MPS, credits, Result, 1..5 DCIDs
    {0x19, CommandKind::kRequest, 6, 14, 2},    // 4.27: MTU, MPS, 1..5 DCIDs
    {0x1A, CommandKind::kResponse, 2, 2, 1},    // 4.28: Result
};

const LeCommandFormat* find_le_command(uint8_t code) {
  for (const LeCommandFormat& f : kLeCommands) {
    if (f.code == code) return &f;
  }
  return nullptr;
}

}  // namespace

bool connection_parameters_valid(const ConnectionParameters& p) {
  // Core 5.4 Vol 3 Part A 4.20 (ranges as in Vol 4 Part E 7.8.18).
  if (p.interval_min < 6 || p.interval_min > 3200) return false;
  if (p.interval_max < 6 || p.interval_max > 3200) return false;
  if (p.interval_max < p.interval_min) return false;
  if (p.peripheral_latency > 499) return false;
  if (p.supervision_timeout < 10 || p.supervision_timeout > 3200) return false;
  // timeout * 10 ms > (1 + latency) * interval_max * 1.25 ms * 2
  const uint32_t timeout_x4 = uint32_t(p.supervision_timeout) * 4;
  const uint32_t span = (1u + p.peripheral_latency) * uint32_t(p.interval_max);
  return timeout_x4 > span;
}

Result<BasicFrame, BasicFrame::Error> BasicFrame::parse(Bytes pdu) {
  if (pdu.size() < 4) return fail(Error::kTooShort);
  // Core 5.4 Vol 3 Part A 3.1: Length is the payload size, header excluded.
  if (pdu.size() - 4 != get_le16(pdu.data())) return fail(Error::kLengthMismatch);
  return BasicFrame(get_le16(pdu.data() + 2), pdu.subspan(4));
}

bool le_command_kind(uint8_t code, CommandKind* kind) {
  const LeCommandFormat* f = find_le_command(code);
  if (f == nullptr) return false;
  *kind = f->kind;
  return true;
}

Result<LeSignalingCommand, LeSignalingCommand::Error> LeSignalingCommand::parse(Bytes c_frame) {
  using Kind = Error::Kind;
  if (c_frame.size() < kCommandHeaderSize) return fail(Error{Kind::kTooShort, 0, 0});
  const uint8_t code = c_frame[0];
  const uint8_t identifier = c_frame[1];
  const uint16_t length = get_le16(c_frame.data() + 2);
  // Core 5.4 Vol 3 Part A 4: "Signaling identifier 0x00 is an illegal
  // identifier and shall never be used in any command."
  if (identifier == 0) return fail(Error{Kind::kZeroIdentifier, code, identifier});
  // Core 5.4 Vol 3 Part A 4: a C-frame larger than MTUsig gets a Command Reject.
  if (c_frame.size() > kLeSignalingMtu) return fail(Error{Kind::kExceedsMtu, code, identifier});
  // Core 5.4 Vol 3 Part A 4: "only one command per C-frame shall be sent over
  // Fixed Channel CID 0x0005"; the Length field covers the data field only.
  const Bytes data = c_frame.subspan(kCommandHeaderSize);
  if (data.size() != length) return fail(Error{Kind::kLengthMismatch, code, identifier});
  const LeCommandFormat* f = find_le_command(code);
  if (f == nullptr) return fail(Error{Kind::kNotLeCommand, code, identifier});
  if (length < f->min_data || length > f->max_data || (length - f->min_data) % f->step != 0) {
    return fail(Error{Kind::kInvalidDataLength, code, identifier});
  }
  return LeSignalingCommand(CommandCode(code), f->kind, identifier, data);
}

Bytes write_le_signaling_frame(MutableBytes buf, CommandCode code, uint8_t identifier, Bytes data) {
  const size_t size = kBasicHeaderSize + kCommandHeaderSize + data.size();
  if (buf.size() < size) return {};
  uint8_t* p = buf.data();
  put_le16(p, uint16_t(kCommandHeaderSize + data.size()));
  put_le16(p + 2, kLeSignalingCid);
  p[4] = uint8_t(code);
  p[5] = identifier;
  put_le16(p + 6, uint16_t(data.size()));
  if (!data.empty()) std::memcpy(p + 8, data.data(), data.size());
  return Bytes(p, size);
}

}  // namespace sable::l2cap
