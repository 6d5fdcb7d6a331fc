// Prepared writes (Core 5.4 Vol 3 Part F 3.4.6; attack #22; GATT/SR/GAW/BI-09,
// BI-32/33-C): bounded queue, errors at execute, all-or-nothing.
#include <gtest/gtest.h>

#include "test_db.hpp"

namespace sable::gatt::testing {
namespace {

V stored(const Database& db, uint16_t handle) {
  const auto v = db.value(*db.find(handle));
  return V(v.begin(), v.end());
}

TEST_F(ServerTest, WriteLongValue) {
  // Prepare Write 0x0014 offset 0 "hello " -> echoed in the Prepare Write Response (0x17).
  EXPECT_EQ(request(cat({0x16, 0x14, 0x00, 0x00, 0x00}, str("hello "))),
            cat({0x17, 0x14, 0x00, 0x00, 0x00}, str("hello ")));
  EXPECT_EQ(request(cat({0x16, 0x14, 0x00, 0x06, 0x00}, str("world"))),
            cat({0x17, 0x14, 0x00, 0x06, 0x00}, str("world")));
  EXPECT_EQ(stored(db_, h::kOpen), str("abc"));  // nothing written before execute
  // Execute Write, flags 0x01 -> Execute Write Response (0x19).
  EXPECT_EQ(request({0x18, 0x01}), (V{0x19}));
  EXPECT_EQ(stored(db_, h::kOpen), str("hello world"));
  EXPECT_EQ(hooks_.last_write, str("hello world"));  // the app saw the whole value
  // The queue is empty afterwards: executing again changes nothing.
  EXPECT_EQ(request({0x18, 0x01}), (V{0x19}));
  EXPECT_EQ(stored(db_, h::kOpen), str("hello world"));
}

TEST_F(ServerTest, ExecuteCancel) {
  EXPECT_EQ(request({0x16, 0x14, 0x00, 0x00, 0x00, 'Q'}), (V{0x17, 0x14, 0x00, 0x00, 0x00, 'Q'}));
  EXPECT_EQ(request({0x18, 0x00}), (V{0x19}));  // flags 0x00: cancel all
  EXPECT_EQ(request({0x18, 0x01}), (V{0x19}));
  EXPECT_EQ(stored(db_, h::kOpen), str("abc"));
}

TEST_F(ServerTest, ExecuteInvalidOffset) {
  // Offset 0x000A beyond the 3-octet value: Invalid Offset (0x07) at execute, not at prepare.
  EXPECT_EQ(request({0x16, 0x14, 0x00, 0x0A, 0x00, 'Z'}), (V{0x17, 0x14, 0x00, 0x0A, 0x00, 'Z'}));
  EXPECT_EQ(request({0x18, 0x01}), (V{0x01, 0x18, 0x14, 0x00, 0x07}));
  EXPECT_EQ(stored(db_, h::kOpen), str("abc"));
  // The queue was cleared by the error.
  EXPECT_EQ(request({0x18, 0x01}), (V{0x19}));
}

TEST_F(ServerTest, ExecuteInvalidLength) {
  set_mtu(100);
  // 60 + 10 octets exceed FFF1's 64: Invalid Attribute Value Length (0x0D).
  EXPECT_EQ(request(cat({0x16, 0x14, 0x00, 0x00, 0x00}, V(60, 1)))[0], 0x17);
  EXPECT_EQ(request(cat({0x16, 0x14, 0x00, 0x3C, 0x00}, V(10, 2)))[0], 0x17);
  EXPECT_EQ(request({0x18, 0x01}), (V{0x01, 0x18, 0x14, 0x00, 0x0D}));
  EXPECT_EQ(stored(db_, h::kOpen), str("abc"));
}

TEST_F(ServerTest, ExecuteIsAllOrNothing) {
  // A valid segment for FFF1 and a wrong-length one for FFF6 (fixed 2 octets).
  EXPECT_EQ(request({0x16, 0x14, 0x00, 0x00, 0x00, 'O', 'K'})[0], 0x17);
  EXPECT_EQ(request({0x16, 0x1F, 0x00, 0x00, 0x00, 0x01})[0], 0x17);
  EXPECT_EQ(request({0x18, 0x01}), (V{0x01, 0x18, 0x1F, 0x00, 0x0D}));
  EXPECT_EQ(stored(db_, h::kOpen), str("abc"));  // FFF1 untouched
  // The application refusing one value also aborts the whole queue.
  EXPECT_EQ(request({0x16, 0x1F, 0x00, 0x00, 0x00, 0x01, 0x02})[0], 0x17);
  EXPECT_EQ(request({0x16, 0x14, 0x00, 0x00, 0x00, 'N', 'O'})[0], 0x17);
  hooks_.reject_write = att::AttErrorCode(0x81);
  EXPECT_EQ(request({0x18, 0x01}), (V{0x01, 0x18, 0x14, 0x00, 0x81}));
  EXPECT_EQ(stored(db_, h::kWriteOnly), (V{0x00, 0x00}));
  EXPECT_EQ(stored(db_, h::kOpen), str("abc"));
}

TEST_F(ServerTest, PrepareErrors) {
  // Invalid handle.
  EXPECT_EQ(request({0x16, 0x99, 0x00, 0x00, 0x00, 0x01}), (V{0x01, 0x16, 0x99, 0x00, 0x01}));
  // Read-only reference value: Write Not Permitted (0x03).
  EXPECT_EQ(request({0x16, 0x10, 0x00, 0x00, 0x00, 0x01}), (V{0x01, 0x16, 0x10, 0x00, 0x03}));
  // SC-only value on an unencrypted link: Insufficient Authentication (0x05).
  EXPECT_EQ(request({0x16, 0x1D, 0x00, 0x00, 0x00, 0x01}), (V{0x01, 0x16, 0x1D, 0x00, 0x05}));
}

TEST_F(ServerTest, PrepareQueueFullByEntries) {
  for (uint16_t i = 0; i < kMaxPreparedWrites; ++i)
    ASSERT_EQ(request({0x16, 0x14, 0x00, uint8_t(i), 0x00, 0x61})[0], 0x17) << i;
  // Entry 17: Prepare Queue Full (0x09).
  EXPECT_EQ(request({0x16, 0x14, 0x00, 0x10, 0x00, 0x61}), (V{0x01, 0x16, 0x14, 0x00, 0x09}));
  // Executing still applies the 16 queued segments.
  EXPECT_EQ(request({0x18, 0x01}), (V{0x19}));
  EXPECT_EQ(stored(db_, h::kOpen), V(16, 0x61));
}

TEST_F(ServerTest, PrepareQueueFullByBytesAndPerConnection) {
  set_mtu(517);
  // Four 512-octet segments fill the 2 KiB queue.
  for (int i = 0; i < 4; ++i)
    ASSERT_EQ(request(cat({0x16, 0x14, 0x00, 0x00, 0x00}, V(512, 7)))[0], 0x17) << i;
  EXPECT_EQ(request({0x16, 0x14, 0x00, 0x00, 0x00, 0x07}), (V{0x01, 0x16, 0x14, 0x00, 0x09}));
  // Another connection has its own queue and can still write long values.
  RecordingDelegate other_delegate;
  att::Bearer other_bearer(other_delegate, kConn + 1);
  Server other(db_, other_bearer);
  other_bearer.on_pdu(now_, V{0x16, 0x14, 0x00, 0x00, 0x00, 'o', 'k'});
  other_bearer.on_pdu(now_, V{0x18, 0x01});
  ASSERT_EQ(other_delegate.sent.size(), 2u);
  EXPECT_EQ(other_delegate.sent[1], (V{0x19}));
  EXPECT_EQ(stored(db_, h::kOpen), str("ok"));
  // The flooded queue is rejected at execute (512 > 64 octets) and then empty.
  EXPECT_EQ(request({0x18, 0x01}), (V{0x01, 0x18, 0x14, 0x00, 0x0D}));
  EXPECT_EQ(request({0x16, 0x14, 0x00, 0x00, 0x00, 0x07})[0], 0x17);
}

}  // namespace
}  // namespace sable::gatt::testing
