// Parsing of B-frames and LE signaling commands, and the connection parameter
// range checks of Core 5.4 Vol 3 Part A 4.20.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "l2cap/pdu.hpp"

namespace sable::l2cap {
namespace {

using Kind = LeSignalingCommand::Error::Kind;

TEST(BasicFrameTest, ParsesHeaderAndPayload) {
  const uint8_t pdu[] = {
      0x03, 0x00,        // Length 3
      0x04, 0x00,        // CID 0x0004 (ATT)
      0x0A, 0x03, 0x00,  // payload
  };
  auto f = BasicFrame::parse(pdu);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->channel_id(), 0x0004);
  ASSERT_EQ(f->payload().size(), 3u);
  EXPECT_EQ(f->payload()[0], 0x0A);
}

TEST(BasicFrameTest, AcceptsEmptyPayload) {
  const uint8_t pdu[] = {0x00, 0x00, 0x06, 0x00};  // Length 0, CID 0x0006
  auto f = BasicFrame::parse(pdu);
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->payload().empty());
}

TEST(BasicFrameTest, RejectsHeaderShorterThanFourOctets) {
  const uint8_t pdu[] = {0x00, 0x00, 0x04, 0x00};
  for (size_t n = 0; n < 4; ++n) {
    auto f = BasicFrame::parse(Bytes(pdu, n));
    ASSERT_FALSE(f) << n;
    EXPECT_EQ(f.error(), BasicFrame::Error::kTooShort);
  }
}

TEST(BasicFrameTest, RejectsLengthNotMatchingPayload) {
  const uint8_t truncated[] = {
      0xFF, 0xFF,  // Length 65535
      0x04, 0x00,  // CID 0x0004
      0x0A, 0x03,  // only 2 octets present
  };
  auto f = BasicFrame::parse(truncated);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error(), BasicFrame::Error::kLengthMismatch);
  const uint8_t overlong[] = {
      0x01, 0x00,        // Length 1
      0x04, 0x00,        // CID 0x0004
      0x0A, 0x03, 0x00,  // 3 octets present
  };
  auto g = BasicFrame::parse(overlong);
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error(), BasicFrame::Error::kLengthMismatch);
}

std::vector<uint8_t> command(uint8_t code, uint8_t id, size_t data_len) {
  std::vector<uint8_t> c = {code, id, uint8_t(data_len), uint8_t(data_len >> 8)};
  c.resize(4 + data_len, 0x00);
  return c;
}

TEST(LeSignalingCommandTest, ParsesValidCommand) {
  const uint8_t c[] = {
      0x13,        // Code: Connection Parameter Update Response
      0x07,        // Identifier
      0x02, 0x00,  // Length 2
      0x01, 0x00,  // Result: rejected
  };
  auto cmd = LeSignalingCommand::parse(c);
  ASSERT_TRUE(cmd);
  EXPECT_EQ(cmd->code(), CommandCode::kConnectionParameterUpdateResponse);
  EXPECT_EQ(cmd->kind(), CommandKind::kResponse);
  EXPECT_EQ(cmd->identifier(), 0x07);
  ASSERT_EQ(cmd->data().size(), 2u);
  EXPECT_EQ(cmd->data()[0], 0x01);
}

TEST(LeSignalingCommandTest, FramingErrorsCarryCodeAndIdentifier) {
  auto short_header = LeSignalingCommand::parse(Bytes(command(0x12, 1, 0).data(), 3));
  ASSERT_FALSE(short_header);
  EXPECT_EQ(short_header.error().kind, Kind::kTooShort);

  auto zero_id = LeSignalingCommand::parse(command(0x12, 0, 8));
  ASSERT_FALSE(zero_id);
  EXPECT_EQ(zero_id.error().kind, Kind::kZeroIdentifier);

  auto too_big = LeSignalingCommand::parse(command(0x12, 9, 20));  // 24 > MTUsig 23
  ASSERT_FALSE(too_big);
  EXPECT_EQ(too_big.error().kind, Kind::kExceedsMtu);
  EXPECT_EQ(too_big.error().code, 0x12);
  EXPECT_EQ(too_big.error().identifier, 9);

  auto at_mtu = LeSignalingCommand::parse(command(0x01, 9, 19));  // exactly 23
  EXPECT_TRUE(at_mtu);

  auto two = command(0x06, 3, 4);
  const auto second = command(0x06, 4, 4);
  two.insert(two.end(), second.begin(), second.end());
  auto two_cmds = LeSignalingCommand::parse(two);
  ASSERT_FALSE(two_cmds);
  EXPECT_EQ(two_cmds.error().kind, Kind::kLengthMismatch);
  EXPECT_EQ(two_cmds.error().identifier, 3);

  auto truncated = command(0x12, 5, 8);
  auto cut = LeSignalingCommand::parse(Bytes(truncated.data(), truncated.size() - 1));
  ASSERT_FALSE(cut);
  EXPECT_EQ(cut.error().kind, Kind::kLengthMismatch);
}

TEST(LeSignalingCommandTest, RejectsCodesNotDefinedOnLe) {
  for (int code : {0x00, 0x02, 0x03, 0x04, 0x05, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F,
                   0x10, 0x11, 0x1B, 0x7F, 0xFF}) {
    auto cmd = LeSignalingCommand::parse(command(uint8_t(code), 1, 0));
    ASSERT_FALSE(cmd) << code;
    EXPECT_EQ(cmd.error().kind, Kind::kNotLeCommand) << code;
  }
}

// Every LE command: the allowed data lengths parse; one octet short and one
// octet long do not (Core 5.4 Vol 3 Part A 4.1-4.28).
TEST(LeSignalingCommandTest, EnforcesDataLengthPerCommand) {
  struct Row {
    uint8_t code;
    std::vector<size_t> valid;
    std::vector<size_t> invalid;
  };
  const Row rows[] = {
      {0x01, {2, 4, 6, 19}, {0, 1}},
      {0x06, {4}, {0, 3, 5}},
      {0x07, {4}, {3, 5}},
      {0x12, {8}, {0, 7, 9}},
      {0x13, {2}, {1, 3}},
      {0x14, {10}, {9, 11}},
      {0x15, {10}, {9, 11}},
      {0x16, {4}, {3, 5}},
      {0x17, {10, 12, 18}, {8, 9, 11, 17}},
      {0x18, {10, 18}, {8, 9, 11}},
      {0x19, {6, 8, 14}, {4, 5, 7, 13}},
      {0x1A, {2}, {1, 3}},
  };
  for (const Row& row : rows) {
    for (size_t len : row.valid) {
      EXPECT_TRUE(LeSignalingCommand::parse(command(row.code, 1, len)))
          << int(row.code) << " len " << len;
    }
    for (size_t len : row.invalid) {
      auto cmd = LeSignalingCommand::parse(command(row.code, 1, len));
      ASSERT_FALSE(cmd) << int(row.code) << " len " << len;
      EXPECT_EQ(cmd.error().kind, Kind::kInvalidDataLength) << int(row.code) << " len " << len;
    }
  }
}

TEST(LeSignalingCommandTest, WritesFrame) {
  uint8_t buf[27];
  const uint8_t data[] = {0x01, 0x00};
  const Bytes f =
      write_le_signaling_frame(buf, CommandCode::kConnectionParameterUpdateResponse, 0x42, data);
  const std::vector<uint8_t> expected = {
      0x06, 0x00,  // B-frame Length 6
      0x05, 0x00,  // CID 0x0005
      0x13,        // Code
      0x42,        // Identifier
      0x02, 0x00,  // Length 2
      0x01, 0x00,  // Result
  };
  EXPECT_EQ(std::vector<uint8_t>(f.begin(), f.end()), expected);
  uint8_t tiny[9];
  EXPECT_TRUE(
      write_le_signaling_frame(tiny, CommandCode::kConnectionParameterUpdateResponse, 1, data)
          .empty());
}

// Core 5.4 Vol 3 Part A 4.20 ranges, in HCI units.
TEST(ConnectionParametersTest, RangeTable) {
  struct Row {
    ConnectionParameters p;
    bool valid;
  };
  const Row rows[] = {
      {{6, 6, 0, 10}, true},           // smallest everything: 10*4=40 > 1*6
      {{3200, 3200, 0, 3200}, true},   // largest intervals: 12800 > 3200
      {{5, 6, 0, 100}, false},         // interval_min below 6
      {{6, 5, 0, 100}, false},         // interval_max below 6
      {{6, 3201, 0, 3200}, false},     // interval_max above 3200
      {{3201, 3201, 0, 3200}, false},  // interval_min above 3200
      {{40, 24, 0, 100}, false},       // max < min
      {{24, 40, 0, 400}, true},        // typical
      {{6, 6, 499, 3200}, true},       // latency 499: 12800 > 500*6=3000
      {{6, 6, 500, 3200}, false},      // latency above 499
      {{6, 6, 0, 9}, false},           // timeout below 10
      {{6, 6, 0, 3201}, false},        // timeout above 3200
      {{100, 100, 3, 100}, false},     // 400 == (1+3)*100: must be strictly greater
      {{100, 100, 3, 101}, true},      // 404 > 400
      {{100, 100, 4, 125}, false},     // 500 == 5*100
      {{80, 100, 4, 126}, true},       // 504 > 500 (uses interval_max)
      {{80, 100, 7, 199}, false},      // 796 < 800
  };
  for (const Row& row : rows) {
    EXPECT_EQ(connection_parameters_valid(row.p), row.valid)
        << row.p.interval_min << " " << row.p.interval_max << " " << row.p.peripheral_latency << " "
        << row.p.supervision_timeout;
  }
}

}  // namespace
}  // namespace sable::l2cap
