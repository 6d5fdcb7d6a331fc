// SMP PDU parser and encoder (Core 5.4 Vol 3 Part H 3.3 - 3.6): every opcode
// empty, one octet short and one octet long; reserved opcodes and field values.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "smp/pdu.hpp"

namespace sable::smp {
namespace {

using Bytes8 = std::vector<uint8_t>;

SmpReason parse_error(const Bytes8& b) {
  auto r = parse_pdu(b);
  EXPECT_FALSE(r.ok());
  return r.ok() ? SmpReason(0) : r.error();
}

TEST(SmpPduTest, ExactLengthPerOpcode) {
  // Total sizes incl. opcode, Vol 3 Part H 3.5 / 3.6.
  const std::vector<std::pair<uint8_t, size_t>> sizes = {
      {0x01, 7},  {0x02, 7}, {0x03, 17}, {0x04, 17}, {0x05, 2},  {0x06, 17}, {0x07, 11},
      {0x08, 17}, {0x09, 8}, {0x0A, 17}, {0x0B, 2},  {0x0C, 65}, {0x0D, 17}, {0x0E, 2}};
  for (auto [op, size] : sizes) {
    SCOPED_TRACE(int(op));
    EXPECT_EQ(pdu_size(op), size);
    Bytes8 exact(size, 0);
    exact[0] = op;
    auto ok = parse_pdu(exact);
    ASSERT_TRUE(ok.ok());
    EXPECT_EQ(uint8_t(ok->opcode()), op);
    EXPECT_EQ(ok->params().size(), size - 1);
    // The encoder writes back the same octets.
    EncodedPdu enc;
    enc.encode(ok->opcode(), ok->params().data());
    EXPECT_TRUE(std::equal(exact.begin(), exact.end(), enc.bytes().begin(), enc.bytes().end()));
    Bytes8 opcode_only = {op};
    EXPECT_EQ(parse_error(opcode_only), SmpReason::kInvalidParameters);
    Bytes8 short_by_one(exact.begin(), exact.end() - 1);
    EXPECT_EQ(parse_error(short_by_one), SmpReason::kInvalidParameters);
    Bytes8 long_by_one = exact;
    long_by_one.push_back(0);
    EXPECT_EQ(parse_error(long_by_one), SmpReason::kInvalidParameters);
  }
}

TEST(SmpPduTest, ReservedOpcodesAreNotSupported) {
  for (unsigned op : {0x00u, 0x0Fu, 0x10u, 0x80u, 0xFFu}) {
    EXPECT_EQ(parse_error(Bytes8{uint8_t(op), 0x00}), SmpReason::kCommandNotSupported) << op;
  }
  EXPECT_EQ(parse_error(Bytes8{}), SmpReason::kInvalidParameters);
}

TEST(SmpPduTest, PairingRequestFields) {
  const Bytes8 req = {
      0x01,  // Pairing Request
      0x04,  // IO Capability: KeyboardDisplay
      0x00,  // OOB data flag: not present
      0x2D,  // AuthReq: Bonding | MITM | SC | CT2 (RFU for us, kept)
      0x10,  // Maximum Encryption Key Size 16
      0xFF,  // Initiator Key Distribution: all bits, RFU 4..7 set
      0x0B,  // Responder Key Distribution: EncKey | IdKey | LinkKey
  };
  auto r = parse_pdu(req);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->opcode(), Opcode::kPairingRequest);
  const PairingFeatures f = r->features();
  EXPECT_EQ(f.io_cap, IoCap::KeyboardDisplay);
  EXPECT_EQ(f.oob_data_flag, 0x00);
  EXPECT_EQ(f.auth.bits(), 0x2D);
  EXPECT_EQ(f.max_key_size, 16);
  EXPECT_TRUE(f.bonding());
  EXPECT_TRUE(f.mitm());
  EXPECT_TRUE(f.sc());
  EXPECT_EQ(f.initiator_key_distribution, 0x0F);  // RFU bits ignored (3.6.1)
  EXPECT_EQ(f.responder_key_distribution, 0x0B);
  // The raw PDU is kept exactly as received, for c1 and f6.
  const PairingPdu raw = r->raw();
  EXPECT_TRUE(std::equal(req.begin(), req.end(), raw.begin()));
}

TEST(SmpPduTest, PairingRequestReservedValues) {
  Bytes8 req = {0x01, 0x03, 0x00, 0x01, 0x10, 0x00, 0x00};
  ASSERT_TRUE(parse_pdu(req).ok());
  Bytes8 io = req;
  io[1] = 0x05;  // IO Capability 0x05: reserved
  EXPECT_EQ(parse_error(io), SmpReason::kInvalidParameters);
  Bytes8 oob = req;
  oob[2] = 0x02;  // OOB data flag 0x02: reserved
  EXPECT_EQ(parse_error(oob), SmpReason::kInvalidParameters);
  Bytes8 big = req;
  big[4] = 17;  // Maximum Encryption Key Size above 16
  EXPECT_EQ(parse_error(big), SmpReason::kInvalidParameters);
  Bytes8 small = req;
  small[4] = 6;  // parses; the key size negotiation answers Encryption Key Size
  EXPECT_TRUE(parse_pdu(small).ok());
  Bytes8 res = req;
  res[0] = 0x02;
  res[1] = 0xFF;  // same checks for Pairing Response
  EXPECT_EQ(parse_error(res), SmpReason::kInvalidParameters);
}

TEST(SmpPduTest, IdentityAddressInformation) {
  // Public identity address.
  // (The parsed PDU is a view: the SDU must outlive it.)
  const Bytes8 public_pdu = {0x09, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06};
  auto pub = parse_pdu(public_pdu);
  ASSERT_TRUE(pub.ok());
  const Address a = pub->identity_address();
  EXPECT_EQ(a.type, AddressType::kPublic);
  EXPECT_EQ(a.bytes, (std::array<uint8_t, 6>{1, 2, 3, 4, 5, 6}));
  // Static random: two most significant bits (last octet) 0b11.
  const Bytes8 random_pdu = {0x09, 0x01, 0x01, 0x02, 0x03, 0x04, 0x05, 0xC6};
  auto random = parse_pdu(random_pdu);
  ASSERT_TRUE(random.ok());
  EXPECT_TRUE(random->identity_address().is_static_random());
  // A resolvable private address (0b01) is not an identity address.
  EXPECT_EQ(parse_error(Bytes8{0x09, 0x01, 0x01, 0x02, 0x03, 0x04, 0x05, 0x46}),
            SmpReason::kInvalidParameters);
  // Non-resolvable private (0b00).
  EXPECT_EQ(parse_error(Bytes8{0x09, 0x01, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06}),
            SmpReason::kInvalidParameters);
  // AddrType 0x02: reserved.
  EXPECT_EQ(parse_error(Bytes8{0x09, 0x02, 0x01, 0x02, 0x03, 0x04, 0x05, 0xC6}),
            SmpReason::kInvalidParameters);
}

TEST(SmpPduTest, KeypressNotificationType) {
  EXPECT_TRUE(parse_pdu(Bytes8{0x0E, 0x04}).ok());  // passkey entry completed
  EXPECT_EQ(parse_error(Bytes8{0x0E, 0x05}), SmpReason::kInvalidParameters);
}

TEST(SmpPduTest, CentralIdentificationLittleEndian) {
  const Bytes8 wire = {
      0x07,                                            // Central Identification
      0x34, 0x12,                                      // EDIV 0x1234
      0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,  // Rand 0x1122334455667788
  };
  auto r = parse_pdu(wire);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->ediv(), 0x1234);
  EXPECT_EQ(r->rand(), 0x1122334455667788u);
  EncodedPdu enc;
  enc.encode(r->opcode(), r->params().data());
  EXPECT_TRUE(std::equal(wire.begin(), wire.end(), enc.bytes().begin(), enc.bytes().end()));
}

TEST(SmpPduTest, EncodePairingResponseClearsRfuKeyBits) {
  PairingFeatures f;
  f.io_cap = IoCap::DisplayOnly;
  f.auth = AuthReq(0x0D);
  f.max_key_size = 16;
  f.initiator_key_distribution = 0xF3;
  f.responder_key_distribution = 0x07;
  const PairingPdu enc = encode_pairing_pdu(Opcode::kPairingResponse, f);
  const Bytes8 expected = {0x02, 0x00, 0x00, 0x0D, 0x10, 0x03, 0x07};
  EXPECT_TRUE(std::equal(expected.begin(), expected.end(), enc.begin(), enc.end()));
}

TEST(SmpPduTest, PairingFailedKeepsUnknownReason) {
  const Bytes8 failed = {0x05, 0x42};
  auto r = parse_pdu(failed);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(uint8_t(r->reason()), 0x42);
  EXPECT_STREQ(to_string(SmpReason::kDhKeyCheckFailed), "DHKey Check Failed");
}

// Every name of Vol 3 Part H 3.5.5 Table 3.7, and "Reserved" for the values
// around it.
TEST(SmpPduTest, EveryReasonHasItsTableName) {
  const char* const names[] = {"Reserved",
                               "Passkey Entry Failed",
                               "OOB Not Available",
                               "Authentication Requirements",
                               "Confirm Value Failed",
                               "Pairing Not Supported",
                               "Encryption Key Size",
                               "Command Not Supported",
                               "Unspecified Reason",
                               "Repeated Attempts",
                               "Invalid Parameters",
                               "DHKey Check Failed",
                               "Numeric Comparison Failed",
                               "BR/EDR Pairing In Progress",
                               "Cross-transport Key Derivation/Generation Not Allowed",
                               "Key Rejected",
                               "Busy",
                               "Reserved"};
  for (size_t v = 0; v < std::size(names); ++v) {
    EXPECT_STREQ(to_string(SmpReason(v)), names[v]) << v;
  }
  EXPECT_STREQ(to_string(SmpReason(0xFF)), "Reserved");
}

}  // namespace
}  // namespace sable::smp

namespace sable::smp {
namespace {

// Real centrals (BlueZ, Android, iOS) set CT2 (bit 5) and sometimes Keypress
// (bit 4) in AuthReq: a Pairing Request carrying them, and RFU bits 6-7, must
// still parse (Core 5.4 Vol 3 Part H 3.5.1: RFU bits are ignored on receipt).
TEST(PdusFromRealCentrals, PairingRequestWithCt2KeypressAndRfuBitsParses) {
  const uint8_t request[] = {
      0x01,  // Pairing Request
      0x04,  // IO capability: KeyboardDisplay
      0x00,  // OOB: not present
      0xFD,  // AuthReq: Bonding | MITM | SC | Keypress | CT2 | RFU bits 6-7
      0x10,  // Maximum Encryption Key Size: 16
      0x0B,  // Initiator Key Distribution: EncKey | IdKey | LinkKey
      0x0B,  // Responder Key Distribution: EncKey | IdKey | LinkKey
  };
  auto pdu = parse_pdu(request);
  ASSERT_TRUE(pdu.ok());
  ASSERT_EQ(pdu->opcode(), Opcode::kPairingRequest);
  const PairingFeatures f = pdu->features();
  EXPECT_TRUE(f.mitm());
  EXPECT_TRUE(f.sc());
  EXPECT_TRUE(f.keypress());
  EXPECT_EQ(f.max_key_size, 16);
}

}  // namespace
}  // namespace sable::smp
