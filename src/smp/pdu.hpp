// SMP PDUs (Core 5.4 Vol 3 Part H 3): opcodes, Pairing Failed reasons, one
// checked parser and the encoder. Every PDU is parsed exactly once, at the
// edge, into a typed value: the length is checked against one table (exact
// per opcode, 3.3), and the fields whose reserved values the spec forbids
// (IO capability, OOB data flag, maximum key size > 16, identity address type,
// keypress notification type) are checked there too, so the state machine
// never sees them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <variant>

#include "common/bytes.hpp"
#include "crypto/crypto.hpp"
#include "sable/address.hpp"
#include "sable/result.hpp"
#include "sable/security.hpp"
#include "smp/toolbox.hpp"

namespace sable::smp {

// Vol 3 Part H 3.3, Table 3.1.
enum class Opcode : uint8_t {
  kPairingRequest = 0x01,
  kPairingResponse = 0x02,
  kPairingConfirm = 0x03,
  kPairingRandom = 0x04,
  kPairingFailed = 0x05,
  kEncryptionInformation = 0x06,
  kCentralIdentification = 0x07,
  kIdentityInformation = 0x08,
  kIdentityAddressInformation = 0x09,
  kSigningInformation = 0x0A,
  kSecurityRequest = 0x0B,
  kPairingPublicKey = 0x0C,
  kPairingDhKeyCheck = 0x0D,
  kPairingKeypressNotification = 0x0E,
};

// Vol 3 Part H 3.5.5, Table 3.7: the Reason octet of Pairing Failed.
enum class SmpReason : uint8_t {
  kPasskeyEntryFailed = 0x01,
  kOobNotAvailable = 0x02,
  kAuthenticationRequirements = 0x03,
  kConfirmValueFailed = 0x04,
  kPairingNotSupported = 0x05,
  kEncryptionKeySize = 0x06,
  kCommandNotSupported = 0x07,
  kUnspecifiedReason = 0x08,
  kRepeatedAttempts = 0x09,
  kInvalidParameters = 0x0A,
  kDhKeyCheckFailed = 0x0B,
  kNumericComparisonFailed = 0x0C,
  kBrEdrPairingInProgress = 0x0D,
  kCrossTransportKeyDerivationNotAllowed = 0x0E,
  kKeyRejected = 0x0F,
  kBusy = 0x10,
};

// Vol 3 Part H 3.6.1, Figure 3.11: Initiator/Responder Key Distribution bits.
namespace key_dist {
inline constexpr uint8_t kEncKey = 0x01;
inline constexpr uint8_t kIdKey = 0x02;
inline constexpr uint8_t kSignKey = 0x04;
inline constexpr uint8_t kLinkKey = 0x08;  // BR/EDR (CTKD): never used by this LE-only host
inline constexpr uint8_t kDefined = 0x0F;  // bits 4..7 are RFU, ignored on receipt
}  // namespace key_dist

// Vol 3 Part H 3.5.1, Figure 3.3: bits 0..1 of AuthReq are Bonding_Flags.
inline constexpr uint8_t kBondingFlagsMask = 0x03;
inline constexpr uint8_t kBondingFlagsBonding = 0x01;

inline constexpr size_t kMaxPduSize = 65;  // Pairing Public Key (3.5.6)

// Octets 1..6 of Pairing Request / Response (Vol 3 Part H 3.5.1, 3.5.2), plus
// the PDU exactly as it went over the air (c1 and f6 use it as sent).
struct PairingFeatures {
  IoCap io_cap = IoCap::NoInputNoOutput;
  uint8_t oob_data_flag = 0;  // 0x00 not present, 0x01 present
  AuthReq auth;
  uint8_t max_key_size = 16;
  uint8_t initiator_key_distribution = 0;  // RFU bits cleared
  uint8_t responder_key_distribution = 0;

  bool bonding() const { return (auth.bits() & kBondingFlagsMask) == kBondingFlagsBonding; }
  bool mitm() const { return auth.has(AuthReq::kMitm); }
  bool sc() const { return auth.has(AuthReq::kSc); }
  bool keypress() const { return auth.has(AuthReq::kKeypress); }
};

struct PairingRequest {
  PairingFeatures features;
  PairingPdu raw{};
};
struct PairingResponse {
  PairingFeatures features;
  PairingPdu raw{};
};
struct PairingConfirm {
  Key value{};  // Mconfirm/Sconfirm (legacy) or Ca/Cb (SC), wire order
};
struct PairingRandom {
  Random value{};  // Mrand/Srand or Na/Nb
};
struct PairingFailed {
  SmpReason reason{};  // any octet is accepted: a peer may send a newer reason
};
struct EncryptionInformation {
  Key ltk{};
};
struct CentralIdentification {
  uint16_t ediv = 0;
  uint64_t rand = 0;
};
struct IdentityInformation {
  Key irk{};
};
// Parsed only if the address is a public or a static random one (3.6.5).
struct IdentityAddressInformation {
  Address address;
};
struct SigningInformation {
  Key csrk{};
};
struct SecurityRequest {
  AuthReq auth;
};
struct PairingPublicKey {
  crypto::P256PublicKey key;
};
struct PairingDhKeyCheck {
  Key value{};  // Ea or Eb
};
struct PairingKeypressNotification {
  uint8_t type = 0;  // 0..4 (3.5.8)
};

using Pdu =
    std::variant<PairingRequest, PairingResponse, PairingConfirm, PairingRandom, PairingFailed,
                 EncryptionInformation, CentralIdentification, IdentityInformation,
                 IdentityAddressInformation, SigningInformation, SecurityRequest, PairingPublicKey,
                 PairingDhKeyCheck, PairingKeypressNotification>;

// The one length table (Vol 3 Part H 3.5, 3.6): total PDU size including the
// opcode octet, indexed by opcode; 0 marks a reserved opcode.
size_t pdu_size(uint8_t opcode);

// Parses one SMP SDU from the fixed channel (CID 0x0006). Errors are the reason
// to send back in Pairing Failed (3.3, 3.5.5): kCommandNotSupported for a
// reserved opcode; kInvalidParameters for an empty SDU, a wrong length or a
// forbidden field value.
Result<Pdu, SmpReason> parse_pdu(Bytes sdu);

Opcode opcode_of(const Pdu& pdu);

// An encoded PDU in a fixed buffer (no heap).
class EncodedPdu {
 public:
  Bytes bytes() const { return Bytes(buf_.data(), size_); }
  MutableBytes storage() { return buf_; }
  void set_size(size_t n) { size_ = uint8_t(n); }
  void wipe() {
    crypto::secure_wipe(buf_);
    size_ = 0;
  }

 private:
  std::array<uint8_t, kMaxPduSize> buf_{};
  uint8_t size_ = 0;
};

// Encodes a PDU. Pairing Request/Response are written from `features` (the
// `raw` member is ignored) with RFU key distribution bits cleared.
EncodedPdu encode_pdu(const Pdu& pdu);

// The 7-octet PDU as c1 and f6 consume it.
PairingPdu encode_pairing_pdu(Opcode opcode, const PairingFeatures& features);

const char* to_string(SmpReason reason);

}  // namespace sable::smp
