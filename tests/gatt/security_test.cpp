// The permission matrix (attack #20, GATT/SR/GAR/BI-04/05/10/11/16/17/21/22/
// 42/44-C, GAW/BI-05/06/12/13-C): every access path x link state, for the
// reference characteristic (READ_ENC + MITM), an SC-only characteristic and a
// 16-octet-key characteristic. Each row names the ATT error or success.
#include <gtest/gtest.h>

#include "test_db.hpp"

namespace sable::gatt::testing {
namespace {

constexpr uint8_t kOk = 0x00;
constexpr uint8_t kAuthn = 0x05;    // Insufficient Authentication
constexpr uint8_t kEnc = 0x0F;      // Insufficient Encryption
constexpr uint8_t kKeySize = 0x0C;  // Insufficient Encryption Key Size

struct LinkCase {
  const char* name;
  att::LinkSecurity link;
};
const LinkCase kLinks[] = {
    {"unencrypted-unbonded", link::kUnencrypted},
    {"unencrypted-bonded", link::kUnencryptedBonded},
    {"encrypted-unauthenticated", link::kJustWorks},
    {"legacy-mitm", link::kLegacyMitm},
    {"sc-mitm", link::kScMitm},
    {"sc-mitm-key7", link::kScMitmKey7},
};

// Expected outcome per link state (same order as kLinks).
struct Target {
  uint16_t handle;
  V type;  // as sent in Read By Type
  uint8_t expect[6];
};
const Target kReference{h::kRefValue, le128(kRefChar), {kAuthn, kEnc, kAuthn, kOk, kOk, kOk}};
const Target kScOnly{h::kScOnly, {0xF5, 0xFF}, {kAuthn, kEnc, kAuthn, kAuthn, kOk, kOk}};
const Target kKey16{h::kKeySize16, {0xF2, 0xFF}, {kAuthn, kEnc, kOk, kOk, kOk, kKeySize}};

V le(uint16_t v) {
  return {uint8_t(v), uint8_t(v >> 8)};
}
V error(uint8_t op, uint16_t handle, uint8_t code) {
  return cat(cat({0x01, op}, le(handle)), {code});
}

class Matrix : public ServerTest {
 protected:
  // Runs `pdu` on every link state and checks the error or the success opcode.
  void check_read_path(const Target& t, uint8_t op, const V& pdu, uint8_t ok_opcode) {
    for (int i = 0; i < 6; ++i) {
      server_.set_link_security(kLinks[i].link);
      const V rsp = request(pdu);
      ASSERT_FALSE(rsp.empty());
      if (t.expect[i] == kOk)
        EXPECT_EQ(rsp[0], ok_opcode) << kLinks[i].name << " op " << int(op);
      else
        EXPECT_EQ(rsp, error(op, t.handle, t.expect[i])) << kLinks[i].name << " op " << int(op);
    }
  }
  void check_all_read_paths(const Target& t) {
    const V h = le(t.handle);
    check_read_path(t, 0x0A, cat({0x0A}, h), 0x0B);                               // Read
    check_read_path(t, 0x0C, cat(cat({0x0C}, h), {0x00, 0x00}), 0x0D);            // Read Blob
    check_read_path(t, 0x08, cat({0x08, 0x01, 0x00, 0xFF, 0xFF}, t.type), 0x09);  // By Type
    check_read_path(t, 0x0E, cat(cat({0x0E, 0x03, 0x00}, h), {}), 0x0F);          // Multiple
    check_read_path(t, 0x20, cat(cat({0x20}, h), {0x03, 0x00}), 0x21);            // Variable
  }
};

TEST_F(Matrix, ReferenceCharacteristicReadPaths) {
  check_all_read_paths(kReference);
}
TEST_F(Matrix, ScOnlyReadPaths) {
  check_all_read_paths(kScOnly);
}
TEST_F(Matrix, KeySize16ReadPaths) {
  check_all_read_paths(kKey16);
}

TEST_F(Matrix, ReferenceReadNeverLeaksValue) {
  // DESIGN.md: before encryption the answer is 0x05 (unpaired) or 0x0F (bonded), never the value.
  server_.set_link_security(link::kUnencrypted);
  EXPECT_EQ(request({0x0A, 0x10, 0x00}), (V{0x01, 0x0A, 0x10, 0x00, 0x05}));
  server_.set_link_security(link::kUnencryptedBonded);
  EXPECT_EQ(request({0x0A, 0x10, 0x00}), (V{0x01, 0x0A, 0x10, 0x00, 0x0F}));
  server_.set_link_security(link::kLegacyMitm);
  EXPECT_EQ(request({0x0A, 0x10, 0x00}), cat({0x0B}, str("Start Value")));
}

TEST_F(Matrix, ScOnlyWritePaths) {
  const uint8_t* expect = kScOnly.expect;
  for (int i = 0; i < 6; ++i) {
    server_.set_link_security(kLinks[i].link);
    ASSERT_TRUE(db_.set_value(h::kScOnly, V{0x55}).ok());
    // Write Request 0x001D = 0x77.
    const V w = request({0x12, 0x1D, 0x00, 0x77});
    if (expect[i] == kOk) {
      EXPECT_EQ(w, (V{0x13})) << kLinks[i].name;
    } else {
      EXPECT_EQ(w, error(0x12, h::kScOnly, expect[i])) << kLinks[i].name;
    }
    // Write Command 0x001D = 0x66: stored only when allowed; never answered.
    EXPECT_TRUE(exchange({0x52, 0x1D, 0x00, 0x66}).empty());
    EXPECT_EQ(db_.value(*db_.find(h::kScOnly))[0], expect[i] == kOk ? 0x66 : 0x55)
        << kLinks[i].name;
    // Prepare Write 0x001D offset 0 = 0x88: checked at prepare.
    const V p = request({0x16, 0x1D, 0x00, 0x00, 0x00, 0x88});
    if (expect[i] == kOk) {
      EXPECT_EQ(p, (V{0x17, 0x1D, 0x00, 0x00, 0x00, 0x88})) << kLinks[i].name;
    } else {
      EXPECT_EQ(p, error(0x16, h::kScOnly, expect[i])) << kLinks[i].name;
    }
    EXPECT_EQ(request({0x18, 0x00}), (V{0x19}));  // cancel
  }
}

TEST_F(Matrix, ReferenceCccdWriteNeedsTheValuesReadSecurity) {
  // Attack #21: the CCCD of a protected value takes the value's read requirements.
  const uint8_t* expect = kReference.expect;
  for (int i = 0; i < 6; ++i) {
    server_.set_link_security(kLinks[i].link);
    const V w = request({0x12, 0x11, 0x00, 0x01, 0x00});
    if (expect[i] == kOk) {
      EXPECT_EQ(w, (V{0x13})) << kLinks[i].name;
    } else {
      EXPECT_EQ(w, error(0x12, h::kRefCccd, expect[i])) << kLinks[i].name;
    }
  }
  // The CCCD itself is readable without security (Core 5.4 Vol 3 Part G 3.3.3.3).
  server_.set_link_security(link::kUnencrypted);
  EXPECT_EQ(request({0x0A, 0x11, 0x00}), (V{0x0B, 0x01, 0x00}));
}

TEST_F(Matrix, ExecuteRechecksPermissions) {
  // Prepared on a secure link, executed after the link lost its security.
  server_.set_link_security(link::kScMitm);
  EXPECT_EQ(request({0x16, 0x1D, 0x00, 0x00, 0x00, 0x99}), (V{0x17, 0x1D, 0x00, 0x00, 0x00, 0x99}));
  server_.set_link_security(link::kJustWorks);
  EXPECT_EQ(request({0x18, 0x01}), error(0x18, h::kScOnly, kAuthn));
  EXPECT_EQ(db_.value(*db_.find(h::kScOnly))[0], 0x55);
}

TEST_F(Matrix, DiscoveryStaysOpenOnInsecureLinks) {
  server_.set_link_security(link::kUnencrypted);
  // Reference characteristic declaration via Read By Type 0x2803 in its service.
  EXPECT_EQ(request({0x08, 0x0E, 0x00, 0x11, 0x00, 0x03, 0x28}),
            cat({0x09, 0x15, 0x0F, 0x00, 0x12, 0x10, 0x00}, le128(kRefChar)));
  // Find Information over the protected value still names its type.
  EXPECT_EQ(request({0x04, 0x10, 0x00, 0x10, 0x00}),
            cat({0x05, 0x02, 0x10, 0x00}, le128(kRefChar)));
}

}  // namespace
}  // namespace sable::gatt::testing
