#include "att/pdu.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace sable::att {
namespace {

using V = std::vector<uint8_t>;

Result<Pdu, ParseError> parse(const V& v) {
  return parse_pdu(Bytes(v.data(), v.size()));
}

// A copy of the view (scalar fields outlive the temporary Result; spans still
// borrow the input bytes, so inputs read through spans are named variables).
template <class T>
T as(const Result<Pdu, ParseError>& r) {
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(std::holds_alternative<T>(*r));
  return std::get<T>(*r);
}

V bytes(Bytes b) {
  return V(b.begin(), b.end());
}

TEST(AttPdu, EmptyAndUnknown) {
  EXPECT_EQ(parse({}).error(), ParseError::kEmpty);
  EXPECT_EQ(parse({0x1F}).error(), ParseError::kUnknownOpcode);        // reserved opcode
  EXPECT_EQ(parse({0x7F, 0x00}).error(), ParseError::kUnknownOpcode);  // unknown command
}

// Every opcode of the table: just the opcode, one octet short of the
// minimum and one octet above a fixed maximum are rejected.
TEST(AttPdu, LengthTableBounds) {
  const uint8_t all[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B,
                         0x0C, 0x0D, 0x0E, 0x0F, 0x10, 0x11, 0x12, 0x13, 0x16, 0x17, 0x18,
                         0x19, 0x20, 0x21, 0x23, 0x1B, 0x1D, 0x1E, 0x52, 0xD2};
  for (uint8_t op : all) {
    const auto len = pdu_length(op);
    ASSERT_TRUE(len) << int(op);
    if (len->min > 1) {
      V shortp(len->min - 1, 0x00);
      shortp[0] = op;
      EXPECT_EQ(parse(shortp).error(), ParseError::kInvalidLength) << int(op);
    }
    if (len->max != 0xFFFF) {
      V longp(len->max + 1, 0x01);
      longp[0] = op;
      EXPECT_EQ(parse(longp).error(), ParseError::kInvalidLength) << int(op);
    }
  }
}

// known_opcode: exactly the opcodes of the table.
TEST(AttPdu, KnownOpcodesAreTheTable) {
  for (int op = 0; op < 256; ++op)
    EXPECT_EQ(known_opcode(uint8_t(op)), pdu_length(uint8_t(op)).has_value()) << op;
  EXPECT_TRUE(known_opcode(0xD2));   // Signed Write Command
  EXPECT_FALSE(known_opcode(0x1F));  // reserved
}

// An unbounded format is bounded only by ATT_MTU (up to 517 octets): a length
// above one octet's range must still parse.
TEST(AttPdu, UnboundedFormatsTakeLongPdus) {
  V write(1 + 2 + 513, 0x01);
  write[0] = 0x12;  // Write Request
  const auto w = as<WriteRequest>(parse(write));
  EXPECT_EQ(w.handle, 0x0101);
  EXPECT_EQ(w.value.size(), 513u);
  V notification(300, 0x02);
  notification[0] = 0x1B;
  EXPECT_EQ(as<HandleValueNotification>(parse(notification)).value.size(), 297u);
  EXPECT_EQ(pdu_length(0x12)->max, 0xFFFF);
}

TEST(AttPdu, ParsesRequests) {
  // Exchange MTU Request: opcode, Client Rx MTU 0x0200.
  EXPECT_EQ(as<ExchangeMtuRequest>(parse({0x02, 0x00, 0x02})).client_rx_mtu, 0x0200);
  // Find Information Request: 0x0001..0xFFFF.
  const auto& fi = as<FindInformationRequest>(parse({0x04, 0x01, 0x00, 0xFF, 0xFF}));
  EXPECT_EQ(fi.start_handle, 0x0001);
  EXPECT_EQ(fi.end_handle, 0xFFFF);
  // Find By Type Value Request: range, type 0x2800, value 0x180D.
  const V fbtv_in = {0x06, 0x01, 0x00, 0xFF, 0xFF, 0x00, 0x28, 0x0D, 0x18};
  const auto fbtv = parse(fbtv_in);  // views borrow the input
  EXPECT_EQ(as<FindByTypeValueRequest>(fbtv).type, 0x2800);
  EXPECT_EQ(bytes(as<FindByTypeValueRequest>(fbtv).value), (V{0x0D, 0x18}));
  // Read By Type Request with a 16-bit type (7 octets) and a 128-bit type (21 octets).
  EXPECT_EQ(as<ReadByTypeRequest>(parse({0x08, 0x01, 0x00, 0x05, 0x00, 0x03, 0x28})).type,
            Uuid::from16(0x2803));
  V rbt128 = {0x08, 0x01, 0x00, 0xFF, 0xFF};
  for (int i = 0; i < 16; ++i) rbt128.push_back(uint8_t(i + 1));
  EXPECT_FALSE(as<ReadByTypeRequest>(parse(rbt128)).type.is16());
  // A 32-bit type (9 octets) is not an ATT UUID form.
  EXPECT_EQ(parse({0x08, 0x01, 0x00, 0xFF, 0xFF, 0x00, 0x28, 0x00, 0x00}).error(),
            ParseError::kInvalidLength);
  // Read Request handle 0x0003; Read Blob Request handle 0x0003 offset 0x0016.
  EXPECT_EQ(as<ReadRequest>(parse({0x0A, 0x03, 0x00})).handle, 0x0003);
  const auto& rb = as<ReadBlobRequest>(parse({0x0C, 0x03, 0x00, 0x16, 0x00}));
  EXPECT_EQ(rb.handle, 0x0003);
  EXPECT_EQ(rb.offset, 0x0016);
  // Read Multiple: two handles; an odd number of handle octets is malformed.
  const V rm_in = {0x0E, 0x03, 0x00, 0x05, 0x00};
  const auto rm = parse(rm_in);
  EXPECT_EQ(as<ReadMultipleRequest>(rm).count(), 2u);
  EXPECT_EQ(as<ReadMultipleRequest>(rm).handle(1), 0x0005);
  EXPECT_EQ(parse({0x0E, 0x03, 0x00, 0x05, 0x00, 0x07}).error(), ParseError::kInvalidLength);
  EXPECT_EQ(parse({0x20, 0x03, 0x00, 0x05}).error(), ParseError::kInvalidLength);
  // Read By Group Type: type 0x2800.
  EXPECT_EQ(
      as<ReadByGroupTypeRequest>(parse({0x10, 0x01, 0x00, 0xFF, 0xFF, 0x00, 0x28})).group_type,
      Uuid::from16(0x2800));
  // Write Request: handle 0x0009, value 01 00.
  const V wr_in = {0x12, 0x09, 0x00, 0x01, 0x00};
  const auto wr = parse(wr_in);
  EXPECT_EQ(as<WriteRequest>(wr).handle, 0x0009);
  EXPECT_EQ(bytes(as<WriteRequest>(wr).value), (V{0x01, 0x00}));
  // Write Command with an empty value.
  EXPECT_TRUE(as<WriteCommand>(parse({0x52, 0x09, 0x00})).value.empty());
  // Prepare Write Request: handle 0x0003, offset 0x0012, value AA.
  const V pw_in = {0x16, 0x03, 0x00, 0x12, 0x00, 0xAA};
  const auto pw = parse(pw_in);
  EXPECT_EQ(as<PrepareWriteRequest>(pw).offset, 0x0012);
  EXPECT_EQ(bytes(as<PrepareWriteRequest>(pw).value), (V{0xAA}));
  // Execute Write: 0x00 and 0x01 are the only flags.
  EXPECT_EQ(as<ExecuteWriteRequest>(parse({0x18, 0x01})).flags, 0x01);
  EXPECT_EQ(parse({0x18, 0x02}).error(), ParseError::kInvalidParameter);
  // Signed Write Command: handle, value 7F, 12-octet signature.
  V sw = {0xD2, 0x03, 0x00, 0x7F};
  for (int i = 0; i < 12; ++i) sw.push_back(0xEE);
  const auto s = parse(sw);
  EXPECT_EQ(bytes(as<SignedWriteCommand>(s).value), (V{0x7F}));
  EXPECT_EQ(as<SignedWriteCommand>(s).signature.size(), 12u);
  // Handle Value Confirmation: opcode only.
  EXPECT_TRUE(std::holds_alternative<HandleValueConfirmation>(*parse({0x1E})));
}

TEST(AttPdu, ParsesClientSidePdus) {
  // Error Response: request 0x0A, handle 0x0003, Insufficient Encryption.
  const auto& e = as<ErrorResponse>(parse({0x01, 0x0A, 0x03, 0x00, 0x0F}));
  EXPECT_EQ(e.request_opcode, 0x0A);
  EXPECT_EQ(e.handle, 0x0003);
  EXPECT_EQ(e.error, AttErrorCode::kInsufficientEncryption);
  // Notification: handle 0x0010, value 2A.
  const V n_in = {0x1B, 0x10, 0x00, 0x2A};
  const auto n = parse(n_in);
  EXPECT_EQ(as<HandleValueNotification>(n).handle, 0x0010);
  // Read By Type Response: pairs of 7 octets; data not a multiple is malformed.
  EXPECT_TRUE(parse({0x09, 0x04, 0x02, 0x00, 0xAA, 0xBB}).ok());
  EXPECT_EQ(parse({0x09, 0x04, 0x02, 0x00, 0xAA}).error(), ParseError::kInvalidLength);
  // Find Information Response with an unknown format.
  EXPECT_EQ(parse({0x05, 0x03, 0x01, 0x00, 0x00, 0x28}).error(), ParseError::kInvalidParameter);
}

// check_pdu is parse_pdu's verdict without the view (the server reads the
// fields itself): well formed, or the same error.
TEST(AttPdu, CheckAgreesWithParse) {
  const std::vector<V> cases = {
      {},
      {0x1F},
      {0x0A, 0x01},                                                  // Read Request, short
      {0x0A, 0x01, 0x00},                                            // Read Request
      {0x08, 0x01, 0x00, 0xFF, 0xFF, 0x03, 0x2A, 0x00},              // 3-octet UUID
      {0x08, 0x01, 0x00, 0xFF, 0xFF, 0x03, 0x2A},                    // Read By Type
      {0x10, 0x01, 0x00, 0xFF, 0xFF, 0x00, 0x28, 0x00, 0x00, 0x00},  // 5-octet UUID
      {0x0E, 0x03, 0x00, 0x05, 0x00, 0x07},                          // odd set of handles
      {0x20, 0x03, 0x00, 0x05, 0x00},                                // Read Multiple Variable
      {0x18, 0x02},                                                  // reserved flags
      {0x18, 0x00},                                                  // cancel
      {0x05, 0x02, 0x01, 0x00, 0x00, 0x28},                          // 128-bit format, 4 octets
      {0x05, 0x01, 0x01, 0x00, 0x00, 0x28},                          // 16-bit format
      {0x07, 0x01, 0x00, 0x05, 0x00, 0x06},                          // not handle pairs
      {0x11, 0x03, 0x01, 0x00, 0x05},                                // group entries below 4
      {0x11, 0x04, 0x01, 0x00, 0x05, 0x00},                          // one group entry
      {0x09, 0x01, 0x02, 0x00},                                      // entries below 2
      {0x52, 0x09, 0x00},                                            // Write Command
  };
  for (const V& v : cases) {
    const auto parsed = parse(v);
    const auto checked = check_pdu(Bytes(v.data(), v.size()));
    EXPECT_EQ(checked.has_value(), !parsed.ok()) << testing::PrintToString(v);
    if (checked && !parsed.ok()) {
      EXPECT_EQ(*checked, parsed.error()) << testing::PrintToString(v);
    }
  }
  EXPECT_EQ(check_pdu(V{0x08, 0x01, 0x00, 0xFF, 0xFF, 0x03, 0x2A, 0x00}),
            ParseError::kInvalidLength);
  EXPECT_EQ(check_pdu(V{0x11, 0x03, 0x01, 0x00, 0x05}), ParseError::kInvalidLength);
  EXPECT_EQ(check_pdu(V{0x18, 0x02}), ParseError::kInvalidParameter);
  EXPECT_EQ(check_pdu(V{0x0A, 0x01, 0x00}), std::nullopt);
}

TEST(AttPdu, Encoders) {
  std::array<uint8_t, 64> buf;
  {
    ByteWriter w(buf);
    write_error_response(w, 0x0A, 0x0003, AttErrorCode::kInsufficientAuthentication);
    EXPECT_EQ(bytes(w.written()), (V{0x01, 0x0A, 0x03, 0x00, 0x05}));
  }
  {
    ByteWriter w(buf);
    write_exchange_mtu(w, Opcode::kExchangeMtuRequest, 517);
    EXPECT_EQ(bytes(w.written()), (V{0x02, 0x05, 0x02}));
  }
  {
    ByteWriter w(buf);
    write_read_by_type_request(w, Opcode::kReadByGroupTypeRequest, 0x0001, 0xFFFF,
                               Uuid::from16(0x2800));
    EXPECT_EQ(bytes(w.written()), (V{0x10, 0x01, 0x00, 0xFF, 0xFF, 0x00, 0x28}));
  }
  {
    ByteWriter w(buf);
    write_read_blob_request(w, 0x0003, 0x0016);
    EXPECT_EQ(bytes(w.written()), (V{0x0C, 0x03, 0x00, 0x16, 0x00}));
  }
  {
    ByteWriter w(buf);
    const uint8_t v[] = {0x01, 0x00};
    write_handle_value(w, Opcode::kWriteRequest, 0x0009, v);
    EXPECT_EQ(bytes(w.written()), (V{0x12, 0x09, 0x00, 0x01, 0x00}));
  }
  {
    ByteWriter w(buf);
    const uint8_t v[] = {0xAA};
    write_prepare_write(w, Opcode::kPrepareWriteRequest, 0x0003, 0x0012, v);
    write_execute_write_request(w, 0x01);
    write_opcode_only(w, Opcode::kHandleValueConfirmation);
    EXPECT_EQ(bytes(w.written()), (V{0x16, 0x03, 0x00, 0x12, 0x00, 0xAA, 0x18, 0x01, 0x1E}));
  }
  {
    ByteWriter w(buf);
    write_find_information_request(w, 0x0001, 0x0005);
    write_read_request(w, 0x0007);
    write_find_by_type_value_request(w, 1, 0xFFFF, 0x2800, std::array<uint8_t, 2>{0x0F, 0x18});
    EXPECT_EQ(bytes(w.written()), (V{0x04, 0x01, 0x00, 0x05, 0x00, 0x0A, 0x07, 0x00, 0x06, 0x01,
                                     0x00, 0xFF, 0xFF, 0x00, 0x28, 0x0F, 0x18}));
  }
}

TEST(AttPdu, ErrorNames) {
  EXPECT_STREQ(to_string(AttErrorCode::kInsufficientEncryption), "Insufficient Encryption");
  EXPECT_STREQ(to_string(AttErrorCode(0x85)), "Application Error");
  EXPECT_STREQ(to_string(AttErrorCode(0x50)), "Reserved");
}

}  // namespace
}  // namespace sable::att
