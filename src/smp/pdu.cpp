// SMP PDU parsing and encoding (Core 5.4 Vol 3 Part H 3.3 - 3.6).
#include "smp/pdu.hpp"

#include <algorithm>

namespace sable::smp {
namespace {

// Total PDU sizes (opcode included), indexed by opcode (Vol 3 Part H 3.5, 3.6).
constexpr std::array<uint8_t, 0x0F> kPduSize = {
    0,   // 0x00 reserved
    7,   // 0x01 Pairing Request (3.5.1)
    7,   // 0x02 Pairing Response (3.5.2)
    17,  // 0x03 Pairing Confirm (3.5.3)
    17,  // 0x04 Pairing Random (3.5.4)
    2,   // 0x05 Pairing Failed (3.5.5)
    17,  // 0x06 Encryption Information (3.6.2)
    11,  // 0x07 Central Identification (3.6.3)
    17,  // 0x08 Identity Information (3.6.4)
    8,   // 0x09 Identity Address Information (3.6.5)
    17,  // 0x0A Signing Information (3.6.6)
    2,   // 0x0B Security Request (3.6.7)
    65,  // 0x0C Pairing Public Key (3.5.6)
    17,  // 0x0D Pairing DHKey Check (3.5.7)
    2,   // 0x0E Pairing Keypress Notification (3.5.8)
};

template <size_t N>
std::array<uint8_t, N> copy_out(Bytes from) {
  std::array<uint8_t, N> out{};
  std::copy_n(from.begin(), N, out.begin());
  return out;
}

}  // namespace

size_t pdu_size(uint8_t opcode) {
  return opcode < kPduSize.size() ? kPduSize[opcode] : 0;
}

Result<Pdu, SmpReason> parse_pdu(Bytes sdu) {
  if (sdu.empty()) return fail(SmpReason::kInvalidParameters);
  const uint8_t op = sdu[0];
  const size_t size = pdu_size(op);
  if (size == 0) return fail(SmpReason::kCommandNotSupported);
  if (sdu.size() != size) return fail(SmpReason::kInvalidParameters);
  const Pdu pdu(sdu);
  bool valid = true;
  switch (Opcode(op)) {
    case Opcode::kPairingRequest:
    case Opcode::kPairingResponse:
      // IO Capability (3.5.1, Table 3.4): 0x05..0xFF reserved. OOB data flag
      // (Table 3.5): 0x02..0xFF reserved. Maximum Encryption Key Size above
      // 16 is out of range (a value below 7 is answered with Encryption Key
      // Size by the negotiation, 2.3.4, as NimBLE and the KNOB tests expect).
      valid = sdu[1] <= uint8_t(IoCap::KeyboardDisplay) && sdu[2] <= 1 && sdu[4] <= 16;
      break;
    case Opcode::kIdentityAddressInformation:
      // 3.6.5: AddrType 0x00 public, 0x01 static random; anything else is
      // reserved. A random identity address must be a static one, whose two
      // most significant bits are 0b11 (Core 5.4 Vol 6 Part B 1.3.2.1).
      valid = sdu[1] == 0x00 || (sdu[1] == 0x01 && pdu.identity_address().is_static_random());
      break;
    case Opcode::kPairingKeypressNotification:
      valid = sdu[1] <= 4;  // 3.5.8, Table 3.8
      break;
    default:
      break;
  }
  if (!valid) return fail(SmpReason::kInvalidParameters);
  return pdu;
}

Key Pdu::value() const {
  return copy_out<16>(params());
}

PairingFeatures Pdu::features() const {
  PairingFeatures f;
  f.io_cap = IoCap(sdu_[1]);
  f.oob_data_flag = sdu_[2];
  f.auth = AuthReq(sdu_[3]);
  f.max_key_size = sdu_[4];
  f.initiator_key_distribution = sdu_[5] & key_dist::kDefined;
  f.responder_key_distribution = sdu_[6] & key_dist::kDefined;
  return f;
}

PairingPdu Pdu::raw() const {
  return copy_out<7>(sdu_);
}

uint64_t Pdu::rand() const {
  return uint64_t(get_le32(&sdu_[3])) | (uint64_t(get_le32(&sdu_[7])) << 32);
}

Address Pdu::identity_address() const {
  Address a;
  a.type = sdu_[1] == 0x00 ? AddressType::kPublic : AddressType::kRandom;
  a.bytes = copy_out<6>(sdu_.subspan(2));
  return a;
}

crypto::P256PublicKey Pdu::public_key() const {
  return {copy_out<32>(params()), copy_out<32>(params().subspan(32))};
}

PairingPdu encode_pairing_pdu(Opcode opcode, const PairingFeatures& f) {
  return PairingPdu{uint8_t(opcode),
                    uint8_t(f.io_cap),
                    f.oob_data_flag,
                    f.auth.bits(),
                    f.max_key_size,
                    uint8_t(f.initiator_key_distribution & key_dist::kDefined),
                    uint8_t(f.responder_key_distribution & key_dist::kDefined)};
}

uint8_t* EncodedPdu::start(Opcode opcode) {
  const size_t size = pdu_size(uint8_t(opcode));
  if (size == 0) __builtin_trap();  // a reserved opcode is never sent
  buf_[0] = uint8_t(opcode);
  size_ = uint8_t(size);
  return &buf_[1];
}

void EncodedPdu::encode(Opcode opcode, const uint8_t* params) {
  uint8_t* out = start(opcode);
  std::copy_n(params, size_ - 1, out);
}

const char* to_string(SmpReason reason) {
  // Table 3.7's names in reason order (0x01..0x10), then the name of any
  // other value: one string, so that the lookup is a walk, not a table of
  // pointers.
  static constexpr char kNames[] =
      "Passkey Entry Failed\0OOB Not Available\0Authentication Requirements\0"
      "Confirm Value Failed\0Pairing Not Supported\0Encryption Key Size\0"
      "Command Not Supported\0Unspecified Reason\0Repeated Attempts\0"
      "Invalid Parameters\0DHKey Check Failed\0Numeric Comparison Failed\0"
      "BR/EDR Pairing In Progress\0"
      "Cross-transport Key Derivation/Generation Not Allowed\0Key Rejected\0Busy\0"
      "Reserved";
  unsigned skip = uint8_t(uint8_t(reason) - 1);
  if (skip > 16) skip = 16;  // 0x00 and 0x11..0xFF: Reserved
  const char* name = kNames;
  while (skip != 0) {
    if (*name++ == '\0') --skip;
  }
  return name;
}

}  // namespace sable::smp
