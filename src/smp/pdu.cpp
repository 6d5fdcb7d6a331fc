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
std::array<uint8_t, N> take_array(ByteReader& r) {
  std::array<uint8_t, N> out{};
  Bytes b = r.take(N);
  std::copy(b.begin(), b.end(), out.begin());
  return out;
}

// IO Capability (3.5.1, Table 3.4): 0x05..0xFF reserved. OOB data flag
// (Table 3.5): 0x02..0xFF reserved. Maximum Encryption Key Size above 16 is
// out of range (a value below 7 is answered with Encryption Key Size by the
// negotiation, 2.3.4, as NimBLE and the KNOB tests expect).
Result<PairingFeatures, SmpReason> parse_features(ByteReader& r) {
  PairingFeatures f;
  uint8_t io = r.u8();
  f.oob_data_flag = r.u8();
  f.auth = AuthReq(r.u8());
  f.max_key_size = r.u8();
  f.initiator_key_distribution = r.u8() & key_dist::kDefined;
  f.responder_key_distribution = r.u8() & key_dist::kDefined;
  if (io > uint8_t(IoCap::KeyboardDisplay) || f.oob_data_flag > 1 || f.max_key_size > 16) {
    return fail(SmpReason::kInvalidParameters);
  }
  f.io_cap = IoCap(io);
  return f;
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

  ByteReader r(sdu.subspan(1));
  switch (Opcode(op)) {
    case Opcode::kPairingRequest:
    case Opcode::kPairingResponse: {
      auto f = parse_features(r);
      if (!f) return fail(f.error());
      PairingPdu raw{};
      std::copy(sdu.begin(), sdu.end(), raw.begin());
      if (Opcode(op) == Opcode::kPairingRequest) return Pdu(PairingRequest{*f, raw});
      return Pdu(PairingResponse{*f, raw});
    }
    case Opcode::kPairingConfirm:
      return Pdu(PairingConfirm{take_array<16>(r)});
    case Opcode::kPairingRandom:
      return Pdu(PairingRandom{take_array<16>(r)});
    case Opcode::kPairingFailed:
      return Pdu(PairingFailed{SmpReason(r.u8())});
    case Opcode::kEncryptionInformation:
      return Pdu(EncryptionInformation{take_array<16>(r)});
    case Opcode::kCentralIdentification: {
      CentralIdentification ci;
      ci.ediv = r.le16();
      uint64_t lo = r.le32();
      uint64_t hi = r.le32();
      ci.rand = lo | (hi << 32);
      return Pdu(ci);
    }
    case Opcode::kIdentityInformation:
      return Pdu(IdentityInformation{take_array<16>(r)});
    case Opcode::kIdentityAddressInformation: {
      // 3.6.5: AddrType 0x00 public, 0x01 static random; anything else is
      // reserved. A random identity address must be a static one, whose two
      // most significant bits are 0b11 (Core 5.4 Vol 6 Part B 1.3.2.1).
      uint8_t type = r.u8();
      Address a;
      a.bytes = take_array<6>(r);
      if (type > 0x01) return fail(SmpReason::kInvalidParameters);
      a.type = type == 0x00 ? AddressType::kPublic : AddressType::kRandom;
      if (a.is_random() && !a.is_static_random()) return fail(SmpReason::kInvalidParameters);
      return Pdu(IdentityAddressInformation{a});
    }
    case Opcode::kSigningInformation:
      return Pdu(SigningInformation{take_array<16>(r)});
    case Opcode::kSecurityRequest:
      return Pdu(SecurityRequest{AuthReq(r.u8())});
    case Opcode::kPairingPublicKey: {
      PairingPublicKey pk;
      pk.key.x = take_array<32>(r);
      pk.key.y = take_array<32>(r);
      return Pdu(pk);
    }
    case Opcode::kPairingDhKeyCheck:
      return Pdu(PairingDhKeyCheck{take_array<16>(r)});
    case Opcode::kPairingKeypressNotification: {
      uint8_t type = r.u8();
      if (type > 4) return fail(SmpReason::kInvalidParameters);  // 3.5.8, Table 3.8
      return Pdu(PairingKeypressNotification{type});
    }
  }
  return fail(SmpReason::kCommandNotSupported);
}

// The variant lists the PDUs in opcode order, so the index gives the opcode.
static_assert(std::variant_size_v<Pdu> == kPduSize.size() - 1);
static_assert(std::is_same_v<std::variant_alternative_t<0x0C - 1, Pdu>, PairingPublicKey>);
Opcode opcode_of(const Pdu& pdu) {
  return Opcode(uint8_t(pdu.index() + 1));
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

EncodedPdu encode_pdu(const Pdu& pdu) {
  EncodedPdu out;
  const Opcode op = opcode_of(pdu);
  ByteWriter w(out.storage());
  auto visitor = [&](const auto& p) {
    using T = std::decay_t<decltype(p)>;
    if constexpr (std::is_same_v<T, PairingRequest> || std::is_same_v<T, PairingResponse>) {
      w.bytes(encode_pairing_pdu(op, p.features));
      return;
    } else {
      w.u8(uint8_t(op));
      if constexpr (std::is_same_v<T, PairingConfirm> || std::is_same_v<T, PairingRandom> ||
                    std::is_same_v<T, PairingDhKeyCheck>) {
        w.bytes(p.value);
      } else if constexpr (std::is_same_v<T, PairingFailed>) {
        w.u8(uint8_t(p.reason));
      } else if constexpr (std::is_same_v<T, EncryptionInformation>) {
        w.bytes(p.ltk);
      } else if constexpr (std::is_same_v<T, CentralIdentification>) {
        w.le16(p.ediv).le32(uint32_t(p.rand)).le32(uint32_t(p.rand >> 32));
      } else if constexpr (std::is_same_v<T, IdentityInformation>) {
        w.bytes(p.irk);
      } else if constexpr (std::is_same_v<T, IdentityAddressInformation>) {
        w.u8(p.address.is_random() ? 0x01 : 0x00).bytes(p.address.bytes);
      } else if constexpr (std::is_same_v<T, SigningInformation>) {
        w.bytes(p.csrk);
      } else if constexpr (std::is_same_v<T, SecurityRequest>) {
        w.u8(p.auth.bits());
      } else if constexpr (std::is_same_v<T, PairingPublicKey>) {
        w.bytes(p.key.x).bytes(p.key.y);
      } else if constexpr (std::is_same_v<T, PairingKeypressNotification>) {
        w.u8(p.type);
      }
    }
  };
  std::visit(visitor, pdu);
  if (!w.ok()) __builtin_trap();  // sizes are fixed by the table
  out.set_size(w.size());
  return out;
}

const char* to_string(SmpReason reason) {
  switch (reason) {
    case SmpReason::kPasskeyEntryFailed:
      return "Passkey Entry Failed";
    case SmpReason::kOobNotAvailable:
      return "OOB Not Available";
    case SmpReason::kAuthenticationRequirements:
      return "Authentication Requirements";
    case SmpReason::kConfirmValueFailed:
      return "Confirm Value Failed";
    case SmpReason::kPairingNotSupported:
      return "Pairing Not Supported";
    case SmpReason::kEncryptionKeySize:
      return "Encryption Key Size";
    case SmpReason::kCommandNotSupported:
      return "Command Not Supported";
    case SmpReason::kUnspecifiedReason:
      return "Unspecified Reason";
    case SmpReason::kRepeatedAttempts:
      return "Repeated Attempts";
    case SmpReason::kInvalidParameters:
      return "Invalid Parameters";
    case SmpReason::kDhKeyCheckFailed:
      return "DHKey Check Failed";
    case SmpReason::kNumericComparisonFailed:
      return "Numeric Comparison Failed";
    case SmpReason::kBrEdrPairingInProgress:
      return "BR/EDR Pairing In Progress";
    case SmpReason::kCrossTransportKeyDerivationNotAllowed:
      return "Cross-transport Key Derivation/Generation Not Allowed";
    case SmpReason::kKeyRejected:
      return "Key Rejected";
    case SmpReason::kBusy:
      return "Busy";
  }
  return "Reserved";
}

}  // namespace sable::smp
