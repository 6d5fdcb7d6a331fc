// Shared fixture of the GATT tests: the reference program's database plus a
// test service, a recording bearer delegate, and the link states of the
// permission matrix.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "att/bearer.hpp"
#include "gatt/database.hpp"
#include "gatt/server.hpp"
#include "support/reference_profile.hpp"
#include "support/test_time.hpp"

namespace sable::gatt::testing {

using sable::testing::at_ms;
using V = std::vector<uint8_t>;

inline V str(const std::string& s) {
  return V(s.begin(), s.end());
}
inline V cat(V a, const V& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// DESIGN.md's service and characteristic (tests/support). The permission
// matrix below runs over its own variant of the characteristic (authenticated
// read, 20 octets), not the reference database.
inline const Uuid& kRefService = ::sable::testing::kReferenceService;
inline const Uuid& kRefChar = ::sable::testing::kReferenceCharacteristic;
inline V le128(const Uuid& u) {
  return V(u.le128().begin(), u.le128().end());
}

// Handles (contiguous; GAP 0x01-0x05, GATT 0x06-0x0D come first).
namespace h {
inline constexpr uint16_t kDeviceName = 0x0003;
inline constexpr uint16_t kAppearance = 0x0005;
inline constexpr uint16_t kServiceChanged = 0x0008;
inline constexpr uint16_t kServiceChangedCccd = 0x0009;
inline constexpr uint16_t kClientFeatures = 0x000B;
inline constexpr uint16_t kDatabaseHash = 0x000D;
inline constexpr uint16_t kRefServiceDecl = 0x000E;
inline constexpr uint16_t kRefValue = 0x0010;  // READ | NOTIFY, authenticated read
inline constexpr uint16_t kRefCccd = 0x0011;
inline constexpr uint16_t kTestServiceDecl = 0x0012;
inline constexpr uint16_t kOpenDecl = 0x0013;
inline constexpr uint16_t kOpen = 0x0014;       // FFF1: open read/write, max 64
inline constexpr uint16_t kKeySize16 = 0x0016;  // FFF2: read needs encryption, 16-octet key
inline constexpr uint16_t kAuthz = 0x0018;      // FFF3: read/write need authorization
inline constexpr uint16_t kIndicate = 0x001A;   // FFF4: READ | INDICATE
inline constexpr uint16_t kIndicateCccd = 0x001B;
inline constexpr uint16_t kScOnly = 0x001D;     // FFF5: read/write need SC + MITM
inline constexpr uint16_t kWriteOnly = 0x001F;  // FFF6: write only, fixed 2 octets
inline constexpr uint16_t kLast = 0x001F;
}  // namespace h

struct Hooks {
  bool authorize = false;
  int authorize_calls = 0;
  std::vector<std::pair<uint16_t, uint16_t>> subscriptions;  // conn, value
  std::optional<att::AttErrorCode> reject_write;
  V last_write;
};

inline Database make_db(Hooks& hooks) {
  ServiceDef ref{.type = kRefService};
  ref.characteristics.push_back(CharacteristicDef{
      .type = kRefChar,
      .properties = prop::kRead | prop::kNotify,
      // READ_ENC plus the DESIGN.md policy's MITM: an authenticated, encrypted link.
      .access = {.read = Permissions::authenticated(), .write = Permissions::none()},
      .value = str("Start Value"),
      .max_length = 20,
      .on_subscribe = [&hooks](uint16_t conn,
                               uint16_t v) { hooks.subscriptions.emplace_back(conn, v); },
  });

  ServiceDef test{.type = Uuid::from16(0xFFF0)};
  test.characteristics.push_back(CharacteristicDef{
      .type = Uuid::from16(0xFFF1),
      .properties = prop::kRead | prop::kWrite | prop::kWriteWithoutResponse,
      .access = {.read = Permissions::open(), .write = Permissions::open()},
      .value = str("abc"),
      .max_length = 64,
      .callbacks = {.on_write =
                        [&hooks](uint16_t, Bytes v) {
                          hooks.last_write.assign(v.begin(), v.end());
                          return hooks.reject_write;
                        }},
  });
  Permissions key16 = Permissions::encrypted();
  key16.min_key_size = 16;
  test.characteristics.push_back(CharacteristicDef{.type = Uuid::from16(0xFFF2),
                                                   .properties = prop::kRead,
                                                   .access = {.read = key16},
                                                   .value = {0x16}});
  Permissions authz = Permissions::open();
  authz.authorization = true;
  test.characteristics.push_back(CharacteristicDef{
      .type = Uuid::from16(0xFFF3),
      .properties = prop::kRead | prop::kWrite,
      .access = {.read = authz, .write = authz},
      .value = {0x33},
      .callbacks = {.authorize =
                        [&hooks](uint16_t, Op) {
                          ++hooks.authorize_calls;
                          return hooks.authorize;
                        }},
  });
  test.characteristics.push_back(CharacteristicDef{
      .type = Uuid::from16(0xFFF4),
      .properties = prop::kRead | prop::kIndicate,
      .access = {.read = Permissions::open()},
      .value = {0x44},
  });
  Permissions sc = Permissions::authenticated();
  sc.secure_connections_only = true;
  test.characteristics.push_back(CharacteristicDef{.type = Uuid::from16(0xFFF5),
                                                   .properties = prop::kRead | prop::kWrite,
                                                   .access = {.read = sc, .write = sc},
                                                   .value = {0x55},
                                                   .max_length = 4});
  test.characteristics.push_back(CharacteristicDef{
      .type = Uuid::from16(0xFFF6),
      .properties = prop::kWrite,
      .access = {.read = Permissions::none(), .write = Permissions::open()},
      .value = {0x00, 0x00},
      .fixed_length = true,
  });

  std::vector<ServiceDef> services;
  services.push_back(std::move(ref));
  services.push_back(std::move(test));
  auto db = Database::build(std::move(services), {.device_name = "sable", .appearance = 0x0080});
  EXPECT_TRUE(db.ok());
  return std::move(db).value();
}

struct RecordingDelegate : att::BearerDelegate {
  std::vector<V> sent;
  int fatal = 0;
  bool buffers = true;
  void send(Bytes pdu) override { sent.emplace_back(pdu.begin(), pdu.end()); }
  void on_bearer_fatal() override { ++fatal; }
  bool can_send(size_t) override { return buffers; }
};

// The link states of the permission matrix.
namespace link {
inline constexpr att::LinkSecurity kUnencrypted{};
inline constexpr att::LinkSecurity kUnencryptedBonded{.peer_bonded = true};
inline constexpr att::LinkSecurity kJustWorks{
    .encrypted = true, .key_size = 16, .peer_bonded = true};
inline constexpr att::LinkSecurity kLegacyMitm{
    .encrypted = true, .authenticated = true, .key_size = 16, .peer_bonded = true};
inline constexpr att::LinkSecurity kScMitm{.encrypted = true,
                                           .authenticated = true,
                                           .secure_connections = true,
                                           .key_size = 16,
                                           .peer_bonded = true};
inline constexpr att::LinkSecurity kScMitmKey7{.encrypted = true,
                                               .authenticated = true,
                                               .secure_connections = true,
                                               .key_size = 7,
                                               .peer_bonded = true};
}  // namespace link

class ServerTest : public ::testing::Test {
 protected:
  static constexpr uint16_t kConn = 0x0040;
  ServerTest() : db_(make_db(hooks_)), bearer_(delegate_, kConn), server_(db_, bearer_) {}

  // Sends one PDU over the bearer and returns everything sent in reply.
  std::vector<V> exchange(const V& pdu) {
    delegate_.sent.clear();
    bearer_.on_pdu(now_, Bytes(pdu.data(), pdu.size()));
    return delegate_.sent;
  }
  // Sends one request and expects exactly one reply.
  V request(const V& pdu) {
    auto out = exchange(pdu);
    EXPECT_EQ(out.size(), 1u);
    return out.empty() ? V{} : out[0];
  }
  void set_mtu(uint16_t mtu) {
    request({0x02, uint8_t(mtu), uint8_t(mtu >> 8)});
    ASSERT_EQ(server_.mtu(), mtu);
  }

  Hooks hooks_;
  Database db_;
  RecordingDelegate delegate_;
  att::Bearer bearer_;
  Server server_;
  TimePoint now_ = at_ms(1000);
};

}  // namespace sable::gatt::testing
