#include "gatt/access.hpp"

#include <gtest/gtest.h>

#include "test_db.hpp"

namespace sable::gatt {
namespace {

using att::AttErrorCode;
namespace link = testing::link;

TEST(CheckAccess, NotAllowed) {
  EXPECT_EQ(check_access(Permissions::none(), link::kScMitm, Op::kRead),
            AttErrorCode::kReadNotPermitted);
  EXPECT_EQ(check_access(Permissions::none(), link::kScMitm, Op::kWrite),
            AttErrorCode::kWriteNotPermitted);
  EXPECT_EQ(check_access(Permissions::open(), link::kUnencrypted, Op::kRead), std::nullopt);
}

// The NimBLE/Zephyr rule on an unencrypted link (Core 5.4 Vol 3 Part C 10.3.1).
TEST(CheckAccess, UnencryptedLinkDependsOnBond) {
  for (const auto& p : {Permissions::encrypted(), Permissions::authenticated()}) {
    EXPECT_EQ(check_access(p, link::kUnencrypted, Op::kRead),
              AttErrorCode::kInsufficientAuthentication);
    EXPECT_EQ(check_access(p, link::kUnencryptedBonded, Op::kRead),
              AttErrorCode::kInsufficientEncryption);
    EXPECT_EQ(check_access(p, link::kUnencryptedBonded, Op::kWrite),
              AttErrorCode::kInsufficientEncryption);
  }
}

TEST(CheckAccess, AuthenticationSecureConnectionsKeySize) {
  const Permissions enc = Permissions::encrypted();
  const Permissions mitm = Permissions::authenticated();
  Permissions sc = mitm;
  sc.secure_connections_only = true;
  Permissions key16 = enc;
  key16.min_key_size = 16;

  EXPECT_EQ(check_access(enc, link::kJustWorks, Op::kRead), std::nullopt);
  EXPECT_EQ(check_access(mitm, link::kJustWorks, Op::kRead),
            AttErrorCode::kInsufficientAuthentication);
  EXPECT_EQ(check_access(mitm, link::kLegacyMitm, Op::kRead), std::nullopt);
  EXPECT_EQ(check_access(sc, link::kLegacyMitm, Op::kRead),
            AttErrorCode::kInsufficientAuthentication);
  EXPECT_EQ(check_access(sc, link::kScMitm, Op::kRead), std::nullopt);
  EXPECT_EQ(check_access(key16, link::kScMitmKey7, Op::kRead),
            AttErrorCode::kInsufficientEncryptionKeySize);
  EXPECT_EQ(check_access(key16, link::kScMitm, Op::kRead), std::nullopt);
  EXPECT_EQ(check_access(mitm, link::kScMitmKey7, Op::kRead), std::nullopt);  // min 7
}

TEST(CheckAccess, AuthorizationIsLastAndDefaultDeny) {
  Permissions p = Permissions::encrypted();
  p.authorization = true;
  EXPECT_EQ(check_access(p, link::kJustWorks, Op::kRead), AttErrorCode::kInsufficientAuthorization);
  EXPECT_EQ(check_access(p, link::kJustWorks, Op::kRead, true), std::nullopt);
  // Encryption is reported before authorization, and the app is not asked.
  int asked = 0;
  EXPECT_EQ(check_access_with(p, link::kUnencrypted, Op::kRead, [&] { return ++asked, true; }),
            AttErrorCode::kInsufficientAuthentication);
  EXPECT_EQ(asked, 0);
  EXPECT_EQ(check_access_with(p, link::kJustWorks, Op::kRead, [&] { return ++asked, false; }),
            AttErrorCode::kInsufficientAuthorization);
  EXPECT_EQ(asked, 1);
}

}  // namespace
}  // namespace sable::gatt
