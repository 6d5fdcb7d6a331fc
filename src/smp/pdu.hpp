// SMP PDUs (Core 5.4 Vol 3 Part H 3): opcodes, Pairing Failed reasons, one
// checked parser and the encoder. Every PDU is parsed exactly once, at the
// edge, into a checked view read in place: the length is checked against one
// table (exact per opcode, 3.3), and the fields whose reserved values the spec forbids
// (IO capability, OOB data flag, maximum key size > 16, identity address type,
// keypress notification type) are checked there too, so the state machine
// never sees them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

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

// Octets 1..6 of Pairing Request / Response (Vol 3 Part H 3.5.1, 3.5.2).
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

// One received SMP PDU whose length and field values parse_pdu() has checked:
// a view of the SDU (valid as long as the SDU), read in place. Each accessor
// belongs to the opcodes named beside it.
class Pdu {
 public:
  Opcode opcode() const { return Opcode(sdu_[0]); }
  Bytes bytes() const { return sdu_; }
  Bytes params() const { return sdu_.subspan(1); }
  // Pairing Confirm, Random, DHKey Check; Encryption, Identity, Signing
  // Information: the 128-bit value (Confirm, Random, Ea/Eb, LTK, IRK, CSRK).
  Key value() const;
  // Pairing Request / Response: the features, and the PDU as it went over
  // the air (c1 and f6 use it as sent).
  PairingFeatures features() const;
  PairingPdu raw() const;
  // Pairing Failed: any octet is accepted (a peer may send a newer reason).
  SmpReason reason() const { return SmpReason(sdu_[1]); }
  // Security Request.
  AuthReq auth() const { return AuthReq(sdu_[1]); }
  // Central Identification.
  uint16_t ediv() const { return get_le16(&sdu_[1]); }
  uint64_t rand() const;
  // Identity Address Information: a public or a static random address (3.6.5).
  Address identity_address() const;
  // Pairing Public Key.
  crypto::P256PublicKey public_key() const;

 private:
  explicit Pdu(Bytes sdu) : sdu_(sdu) {}
  friend Result<Pdu, SmpReason> parse_pdu(Bytes sdu);
  Bytes sdu_;
};

// The one length table (Vol 3 Part H 3.5, 3.6): total PDU size including the
// opcode octet, indexed by opcode; 0 marks a reserved opcode.
size_t pdu_size(uint8_t opcode);

// Parses one SMP SDU from the fixed channel (CID 0x0006). Errors are the reason
// to send back in Pairing Failed (3.3, 3.5.5): kCommandNotSupported for a
// reserved opcode; kInvalidParameters for an empty SDU, a wrong length or a
// forbidden field value.
Result<Pdu, SmpReason> parse_pdu(Bytes sdu);

// An encoded PDU in a fixed buffer (no heap).
class EncodedPdu {
 public:
  // Encodes a PDU: the opcode, then its parameters in wire order, as many
  // octets from `params` as the length table gives (pdu_size(opcode) - 1).
  void encode(Opcode opcode, const uint8_t* params);
  // Starts a PDU: writes the opcode, sets the size from the length table,
  // and returns where its parameters go (left as they are: a fresh
  // EncodedPdu holds zeros).
  uint8_t* start(Opcode opcode);
  Bytes bytes() const { return Bytes(buf_.data(), size_); }

 private:
  std::array<uint8_t, kMaxPduSize> buf_{};
  uint8_t size_ = 0;
};

// The 7-octet Pairing Request / Response as c1 and f6 consume it, RFU key
// distribution bits cleared.
PairingPdu encode_pairing_pdu(Opcode opcode, const PairingFeatures& features);

const char* to_string(SmpReason reason);

}  // namespace sable::smp
