// The GATT client (Core 5.4 Vol 3 Part G 4; Part F 3.3, 3.4): every procedure
// against a real gatt::Server over an in-memory link, and scripted byte-exact
// tests of what a misbehaving or failing server can do to it.
#include "gatt/client.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <string>

#include "test_db.hpp"

namespace sable::gatt::testing {
namespace {

using Kind = ClientError::Kind;
using att::AttErrorCode;

// Records one procedure's completion(s).
template <class T>
struct Capture {
  int calls = 0;
  std::optional<ClientResult<T>> result;
  Callback<T> cb() {
    return [this](ClientResult<T> r) {
      ++calls;
      result.emplace(std::move(r));
    };
  }
  bool ok() const { return calls == 1 && result->ok(); }
  ClientError error() const {
    if (calls != 1 || result->ok()) {
      ADD_FAILURE() << "expected exactly one failed completion, got " << calls;
      return ClientError::of(ClientError::Kind::kBusy);
    }
    return result->error();
  }
};

struct Notified {
  uint16_t handle;
  V value;
  bool indication;
  friend bool operator==(const Notified&, const Notified&) = default;
};

const Uuid kLongChar = *Uuid::parse("681285a6-247f-48c6-80ad-68c3dce18586");
const Uuid kVendorDescriptor = *Uuid::parse("0000aaaa-1111-2222-3333-444455556666");

V pattern(size_t n) {
  V v(n);
  for (size_t i = 0; i < n; ++i) v[i] = uint8_t(i * 7 + 1);
  return v;
}

// Handles of the client test database (GAP 0x01-0x05 and GATT 0x06-0x0D first).
namespace ch {
inline constexpr uint16_t kRefService = 0x000E;  // 128-bit, ends 0x0013
inline constexpr uint16_t kRefValue = 0x0010;    // READ | NOTIFY, authenticated read
inline constexpr uint16_t kRefCccd = 0x0011;
inline constexpr uint16_t kLongValue = 0x0013;  // 128-bit, READ | WRITE, 300 octets, max 512
inline constexpr uint16_t kBattery = 0x0014;    // 0x180F, ends 0x001C
inline constexpr uint16_t kLevelDecl = 0x0015;
inline constexpr uint16_t kLevel = 0x0016;  // 0x2A19 READ | NOTIFY
inline constexpr uint16_t kLevelCccd = 0x0017;
inline constexpr uint16_t kLevelUserDesc = 0x0018;
inline constexpr uint16_t kLevelVendor = 0x0019;  // 128-bit descriptor
inline constexpr uint16_t kAlertDecl = 0x001A;
inline constexpr uint16_t kAlert = 0x001B;  // 0xFFF4 READ | WRITE | INDICATE
inline constexpr uint16_t kAlertCccd = 0x001C;
inline constexpr uint16_t kTest = 0x001D;     // 0xFFF0, ends 0x0021
inline constexpr uint16_t kFixed2 = 0x001F;   // 0xFFF6 write, fixed 2 octets
inline constexpr uint16_t kFixed22 = 0x0021;  // 0xFFF7 read, fixed 22 octets
}  // namespace ch

Database make_client_db() {
  ServiceDef ref{.type = kRefService};
  ref.characteristics.push_back(CharacteristicDef{
      .type = kRefChar,
      .properties = prop::kRead | prop::kNotify,
      .access = {.read = Permissions::authenticated(), .write = Permissions::none()},
      .value = str("Start Value"),
      .max_length = 20,
  });
  ref.characteristics.push_back(CharacteristicDef{
      .type = kLongChar,
      .properties = prop::kRead | prop::kWrite,
      .access = {.read = Permissions::open(), .write = Permissions::open()},
      .value = pattern(300),
      .max_length = 512,
  });
  ServiceDef battery{.type = Uuid::from16(0x180F)};
  battery.characteristics.push_back(CharacteristicDef{
      .type = Uuid::from16(0x2A19),
      .properties = prop::kRead | prop::kNotify,
      .access = {.read = Permissions::open()},
      .value = {0x64},
      .descriptors = {DescriptorDef{.type = uuids::kUserDescription,
                                    .access = {.read = Permissions::open()},
                                    .value = str("Level")},
                      DescriptorDef{.type = kVendorDescriptor,
                                    .access = {.read = Permissions::open()},
                                    .value = {0x01}}},
  });
  battery.characteristics.push_back(CharacteristicDef{
      .type = Uuid::from16(0xFFF4),
      .properties = prop::kRead | prop::kWrite | prop::kIndicate,
      .access = {.read = Permissions::open(), .write = Permissions::open()},
      .value = {0x44},
  });
  ServiceDef test{.type = Uuid::from16(0xFFF0)};
  test.characteristics.push_back(CharacteristicDef{
      .type = Uuid::from16(0xFFF6),
      .properties = prop::kWrite,
      .access = {.read = Permissions::none(), .write = Permissions::open()},
      .value = {0x00, 0x00},
      .fixed_length = true,
  });
  test.characteristics.push_back(CharacteristicDef{
      .type = Uuid::from16(0xFFF7),
      .properties = prop::kRead,
      .access = {.read = Permissions::open()},
      .value = pattern(22),
      .fixed_length = true,
  });
  std::vector<ServiceDef> services;
  services.push_back(std::move(ref));
  services.push_back(std::move(battery));
  services.push_back(std::move(test));
  auto db = Database::build(std::move(services), {.device_name = "sable"});
  EXPECT_TRUE(db.ok());
  return std::move(db).value();
}

// --- An in-memory ATT link: client <-> real gatt::Server ---------------------

struct Wire {
  std::deque<std::pair<bool, V>> in_flight;  // (to the client?, PDU)
  std::vector<V> to_server;
  std::vector<V> to_client;
};
struct ClientEnd : att::BearerDelegate {
  Wire& wire;
  int fatal = 0;
  explicit ClientEnd(Wire& w) : wire(w) {}
  void send(Bytes pdu) override {
    wire.to_server.emplace_back(pdu.begin(), pdu.end());
    wire.in_flight.emplace_back(false, wire.to_server.back());
  }
  void on_bearer_fatal() override { ++fatal; }
};
struct ServerEnd : att::BearerDelegate {
  Wire& wire;
  explicit ServerEnd(Wire& w) : wire(w) {}
  void send(Bytes pdu) override {
    wire.to_client.emplace_back(pdu.begin(), pdu.end());
    wire.in_flight.emplace_back(true, wire.to_client.back());
  }
  void on_bearer_fatal() override { ADD_FAILURE() << "server fatal"; }
};

class ClientServerTest : public ::testing::Test {
 protected:
  static constexpr uint16_t kConn = 0x0041;
  ClientServerTest()
      : db_(make_client_db()),
        client_end_(wire_),
        server_end_(wire_),
        client_bearer_(client_end_, kConn, 247),
        server_bearer_(server_end_, kConn),
        server_(db_, server_bearer_),
        client_(client_bearer_) {}

  // Delivers PDUs both ways until the link is quiet.
  void run() {
    while (!wire_.in_flight.empty()) {
      auto [to_client, pdu] = std::move(wire_.in_flight.front());
      wire_.in_flight.pop_front();
      if (to_client)
        client_bearer_.on_pdu(now_, pdu);
      else
        server_bearer_.on_pdu(now_, pdu);
    }
  }
  void clear() {
    wire_.to_server.clear();
    wire_.to_client.clear();
  }
  V stored(uint16_t handle) {
    const Bytes v = db_.value(*db_.find(handle));
    return V(v.begin(), v.end());
  }
  void exchange_mtu() {
    Capture<uint16_t> mtu;
    client_.exchange_mtu(now_, mtu.cb());
    run();
    ASSERT_TRUE(mtu.ok());
    clear();
  }

  Database db_;
  Wire wire_;
  ClientEnd client_end_;
  ServerEnd server_end_;
  att::Bearer client_bearer_;  // the client's device
  att::Bearer server_bearer_;  // the server's device
  Server server_;
  Client client_;
  TimePoint now_ = at_ms(5000);
};

TEST_F(ClientServerTest, ExchangeMtuOncePerConnection) {
  Capture<uint16_t> mtu;
  client_.exchange_mtu(now_, mtu.cb());
  run();
  // Exchange MTU Request (0x02), Client Rx MTU 247 -> Response (0x03), Server Rx MTU 517.
  ASSERT_EQ(wire_.to_server, (std::vector<V>{{0x02, 0xF7, 0x00}}));
  EXPECT_EQ(wire_.to_client, (std::vector<V>{{0x03, 0x05, 0x02}}));
  ASSERT_TRUE(mtu.ok());
  EXPECT_EQ(mtu.result->value(), 247);
  EXPECT_EQ(client_.mtu(), 247);
  EXPECT_EQ(server_.mtu(), 247);
  // Vol 3 Part F 3.4.2.1: sent once; a second call reports the MTU, sends nothing.
  Capture<uint16_t> again;
  client_.exchange_mtu(now_, again.cb());
  run();
  EXPECT_EQ(wire_.to_server.size(), 1u);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.result->value(), 247);
}

TEST_F(ClientServerTest, DiscoverAllPrimaryServicesLoops) {
  Capture<std::vector<ServiceInfo>> services;
  client_.discover_primary_services(now_, std::nullopt, services.cb());
  run();
  // Read By Group Type (0x10), start..0xFFFF, type 0x2800; the next request
  // starts after the last group's end; Attribute Not Found ends it.
  EXPECT_EQ(wire_.to_server, (std::vector<V>{
                                 {0x10, 0x01, 0x00, 0xFF, 0xFF, 0x00, 0x28},
                                 {0x10, 0x0E, 0x00, 0xFF, 0xFF, 0x00, 0x28},
                                 {0x10, 0x14, 0x00, 0xFF, 0xFF, 0x00, 0x28},
                                 {0x10, 0x22, 0x00, 0xFF, 0xFF, 0x00, 0x28},
                             }));
  // The last answer: Error Response to 0x10, handle 0x0022, Attribute Not Found.
  EXPECT_EQ(wire_.to_client.back(), (V{0x01, 0x10, 0x22, 0x00, 0x0A}));
  ASSERT_TRUE(services.ok());
  EXPECT_EQ(services.result->value(),
            (std::vector<ServiceInfo>{{0x0001, 0x0005, uuids::kGapService},
                                      {0x0006, 0x000D, uuids::kGattService},
                                      {ch::kRefService, 0x0013, kRefService},
                                      {ch::kBattery, 0x001C, Uuid::from16(0x180F)},
                                      {ch::kTest, 0x0021, Uuid::from16(0xFFF0)}}));
}

TEST_F(ClientServerTest, DiscoverPrimaryServiceByUuid) {
  Capture<std::vector<ServiceInfo>> ref;
  client_.discover_primary_services(now_, kRefService, ref.cb());
  run();
  // Find By Type Value (0x06), 0x0001..0xFFFF, type 0x2800, value = the 128-bit UUID.
  ASSERT_GE(wire_.to_server.size(), 1u);
  EXPECT_EQ(wire_.to_server[0],
            cat({0x06, 0x01, 0x00, 0xFF, 0xFF, 0x00, 0x28}, le128(kRefService)));
  // Found 0x000E..0x0013; continues from 0x0014 until Attribute Not Found.
  EXPECT_EQ(wire_.to_client[0], (V{0x07, 0x0E, 0x00, 0x13, 0x00}));
  EXPECT_EQ(wire_.to_server[1],
            cat({0x06, 0x14, 0x00, 0xFF, 0xFF, 0x00, 0x28}, le128(kRefService)));
  ASSERT_TRUE(ref.ok());
  EXPECT_EQ(ref.result->value(), (std::vector<ServiceInfo>{{0x000E, 0x0013, kRefService}}));

  clear();
  Capture<std::vector<ServiceInfo>> battery;
  client_.discover_primary_services(now_, Uuid::from16(0x180F), battery.cb());
  Capture<std::vector<ServiceInfo>> absent;
  client_.discover_primary_services(now_, Uuid::from16(0x1234), absent.cb());
  run();
  EXPECT_EQ(wire_.to_server[0], (V{0x06, 0x01, 0x00, 0xFF, 0xFF, 0x00, 0x28, 0x0F, 0x18}));
  ASSERT_TRUE(battery.ok());
  EXPECT_EQ(battery.result->value(),
            (std::vector<ServiceInfo>{{0x0014, 0x001C, Uuid::from16(0x180F)}}));
  ASSERT_TRUE(absent.ok());  // Attribute Not Found at once: no such service
  EXPECT_TRUE(absent.result->value().empty());
}

TEST_F(ClientServerTest, DiscoverCharacteristics) {
  Capture<std::vector<CharacteristicInfo>> battery;
  client_.discover_characteristics(now_, 0x0014, 0x001C, battery.cb());
  run();
  // Read By Type (0x08) 0x0014..0x001C, type 0x2803; continues after the last declaration.
  EXPECT_EQ(wire_.to_server, (std::vector<V>{{0x08, 0x14, 0x00, 0x1C, 0x00, 0x03, 0x28},
                                             {0x08, 0x1B, 0x00, 0x1C, 0x00, 0x03, 0x28}}));
  // Length 7: declaration 0x0015, properties 0x12, value 0x0016, UUID 0x2A19; then 0x001A.
  EXPECT_EQ(wire_.to_client[0], (V{0x09, 0x07, 0x15, 0x00, 0x12, 0x16, 0x00, 0x19, 0x2A, 0x1A, 0x00,
                                   0x2A, 0x1B, 0x00, 0xF4, 0xFF}));
  ASSERT_TRUE(battery.ok());
  EXPECT_EQ(battery.result->value(),
            (std::vector<CharacteristicInfo>{
                {ch::kLevelDecl, prop::kRead | prop::kNotify, ch::kLevel, Uuid::from16(0x2A19)},
                {ch::kAlertDecl, prop::kRead | prop::kWrite | prop::kIndicate, ch::kAlert,
                 Uuid::from16(0xFFF4)}}));

  // 128-bit characteristics: one per response at ATT_MTU 23 (length 21).
  clear();
  Capture<std::vector<CharacteristicInfo>> ref;
  client_.discover_characteristics(now_, 0x000E, 0x0013, ref.cb());
  run();
  EXPECT_EQ(wire_.to_server.size(), 3u);  // 0x000E.., 0x0010.., 0x0013.. (Not Found)
  ASSERT_TRUE(ref.ok());
  EXPECT_EQ(ref.result->value(),
            (std::vector<CharacteristicInfo>{
                {0x000F, prop::kRead | prop::kNotify, ch::kRefValue, kRefChar},
                {0x0012, prop::kRead | prop::kWrite, ch::kLongValue, kLongChar}}));

  // An empty range sends nothing.
  clear();
  Capture<std::vector<CharacteristicInfo>> empty;
  client_.discover_characteristics(now_, 0x0022, 0x0021, empty.cb());
  run();
  EXPECT_TRUE(wire_.to_server.empty());
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty.result->value().empty());
}

TEST_F(ClientServerTest, DiscoverDescriptors) {
  Capture<std::vector<DescriptorInfo>> d;
  client_.discover_descriptors(now_, ch::kLevel + 1, 0x0019, d.cb());
  run();
  // Find Information (0x04) 0x0017..0x0019: format 0x01 (16-bit) stops at the 128-bit UUID.
  EXPECT_EQ(wire_.to_server,
            (std::vector<V>{{0x04, 0x17, 0x00, 0x19, 0x00}, {0x04, 0x19, 0x00, 0x19, 0x00}}));
  EXPECT_EQ(wire_.to_client[0], (V{0x05, 0x01, 0x17, 0x00, 0x02, 0x29, 0x18, 0x00, 0x01, 0x29}));
  EXPECT_EQ(wire_.to_client[1], cat({0x05, 0x02, 0x19, 0x00}, le128(kVendorDescriptor)));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.result->value(),
            (std::vector<DescriptorInfo>{{ch::kLevelCccd, uuids::kCccd},
                                         {ch::kLevelUserDesc, uuids::kUserDescription},
                                         {ch::kLevelVendor, kVendorDescriptor}}));
  // A characteristic whose value is the last handle of its service: no descriptors, no request.
  clear();
  Capture<std::vector<DescriptorInfo>> none;
  client_.discover_descriptors(now_, ch::kFixed22 + 1, ch::kFixed22, none.cb());
  EXPECT_TRUE(wire_.to_server.empty());
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none.result->value().empty());
}

TEST_F(ClientServerTest, LongReadFollowsMtu) {
  Capture<std::vector<uint8_t>> r;
  client_.read(now_, ch::kLongValue, r.cb());
  run();
  // ATT_MTU 23: Read (22 octets) then Read Blob at 22, 44, ... 286 (the last 14 octets).
  ASSERT_EQ(wire_.to_server.size(), 14u);
  EXPECT_EQ(wire_.to_server[0], (V{0x0A, 0x13, 0x00}));
  EXPECT_EQ(wire_.to_server[1], (V{0x0C, 0x13, 0x00, 0x16, 0x00}));
  EXPECT_EQ(wire_.to_server[13], (V{0x0C, 0x13, 0x00, 0x1E, 0x01}));
  EXPECT_EQ(wire_.to_client[13].size(), 1u + 14u);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.result->value(), pattern(300));

  // After the MTU exchange (247): Read (246 octets) + one Read Blob at 246.
  exchange_mtu();
  Capture<std::vector<uint8_t>> big;
  client_.read(now_, ch::kLongValue, big.cb());
  run();
  EXPECT_EQ(wire_.to_server, (std::vector<V>{{0x0A, 0x13, 0x00}, {0x0C, 0x13, 0x00, 0xF6, 0x00}}));
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big.result->value(), pattern(300));
}

TEST_F(ClientServerTest, ShortReadsAndAttributeNotLong) {
  Capture<std::vector<uint8_t>> level;
  client_.read(now_, ch::kLevel, level.cb());
  run();
  EXPECT_EQ(wire_.to_server, (std::vector<V>{{0x0A, 0x16, 0x00}}));  // one Read only
  ASSERT_TRUE(level.ok());
  EXPECT_EQ(level.result->value(), (V{0x64}));

  // Exactly ATT_MTU - 1 octets: a Read Blob at 22 gets Attribute Not Long: done.
  clear();
  Capture<std::vector<uint8_t>> fixed;
  client_.read(now_, ch::kFixed22, fixed.cb());
  run();
  EXPECT_EQ(wire_.to_server, (std::vector<V>{{0x0A, 0x21, 0x00}, {0x0C, 0x21, 0x00, 0x16, 0x00}}));
  EXPECT_EQ(wire_.to_client[1], (V{0x01, 0x0C, 0x21, 0x00, 0x0B}));
  ASSERT_TRUE(fixed.ok());
  EXPECT_EQ(fixed.result->value(), pattern(22));
}

TEST_F(ClientServerTest, WriteRequestCommandAndLong) {
  Capture<void> w;
  client_.write(now_, ch::kLongValue, str("hello"), WriteMode::kRequest, w.cb());
  run();
  // Write Request (0x12) handle 0x0013 "hello" -> Write Response (0x13).
  EXPECT_EQ(wire_.to_server, (std::vector<V>{cat({0x12, 0x13, 0x00}, str("hello"))}));
  EXPECT_EQ(wire_.to_client, (std::vector<V>{{0x13}}));
  EXPECT_TRUE(w.ok());
  EXPECT_EQ(stored(ch::kLongValue), str("hello"));

  // Write Command (0x52): sent at once, no response, completes at once.
  clear();
  Capture<void> c;
  client_.write(now_, ch::kFixed2, V{0xAB, 0xCD}, WriteMode::kCommand, c.cb());
  EXPECT_TRUE(c.ok());
  run();
  EXPECT_EQ(wire_.to_server, (std::vector<V>{{0x52, 0x1F, 0x00, 0xAB, 0xCD}}));
  EXPECT_TRUE(wire_.to_client.empty());
  EXPECT_EQ(stored(ch::kFixed2), (V{0xAB, 0xCD}));

  // kLong with a short value: one Prepare Write (0x16) at offset 0, then Execute (0x18 0x01).
  clear();
  Capture<void> l;
  client_.write(now_, ch::kLongValue, str("hi"), WriteMode::kLong, l.cb());
  run();
  EXPECT_EQ(wire_.to_server,
            (std::vector<V>{cat({0x16, 0x13, 0x00, 0x00, 0x00}, str("hi")), {0x18, 0x01}}));
  EXPECT_TRUE(l.ok());
  EXPECT_EQ(stored(ch::kLongValue), str("hi"));
}

TEST_F(ClientServerTest, LongWriteOfThreeHundredOctets) {
  // ATT_MTU 23: 18 octets per Prepare Write -> 17 segments; the server's queue
  // holds 16: Prepare Queue Full, and the client cancels what was queued.
  const V value = pattern(300);
  Capture<void> full;
  client_.write(now_, ch::kLongValue, value, WriteMode::kRequest, full.cb());
  run();
  ASSERT_EQ(wire_.to_server.size(), 18u);
  EXPECT_EQ(wire_.to_server[1],
            cat({0x16, 0x13, 0x00, 0x12, 0x00}, V(value.begin() + 18, value.begin() + 36)));
  EXPECT_EQ(wire_.to_client[16], (V{0x01, 0x16, 0x13, 0x00, 0x09}));  // Prepare Queue Full
  EXPECT_EQ(wire_.to_server[17], (V{0x18, 0x00}));                    // Execute Write: cancel all
  EXPECT_EQ(wire_.to_client[17], (V{0x19}));
  ASSERT_EQ(full.calls, 1);
  EXPECT_EQ(full.error(), ClientError::att(AttErrorCode::kPrepareQueueFull, ch::kLongValue));
  EXPECT_EQ(stored(ch::kLongValue), value);  // unchanged
  // The server's queue is empty again: a later Execute writes nothing.

  // ATT_MTU 247: 242 + 58 octets, then Execute; read back equal.
  exchange_mtu();
  V other = pattern(300);
  for (auto& b : other) b ^= 0xFF;
  Capture<void> ok;
  client_.write(now_, ch::kLongValue, other, WriteMode::kRequest, ok.cb());
  Capture<std::vector<uint8_t>> back;
  client_.read(now_, ch::kLongValue, back.cb());
  run();
  ASSERT_EQ(wire_.to_server.size(), 5u);
  EXPECT_EQ(wire_.to_server[0].size(), 5u + 242u);
  EXPECT_EQ(wire_.to_server[1],
            cat({0x16, 0x13, 0x00, 0xF2, 0x00}, V(other.begin() + 242, other.end())));
  EXPECT_EQ(wire_.to_server[2], (V{0x18, 0x01}));
  EXPECT_TRUE(ok.ok());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back.result->value(), other);
}

TEST_F(ClientServerTest, SubscribeNotifyIndicateUnsubscribe) {
  std::vector<Notified> got;
  auto handler = [&](uint16_t h, Bytes v, bool ind) {
    got.push_back({h, V(v.begin(), v.end()), ind});
  };
  Capture<void> s1, s2;
  client_.subscribe(now_, ch::kLevel, ch::kLevelCccd, false, handler, s1.cb());
  client_.subscribe(now_, ch::kAlert, ch::kAlertCccd, true, handler, s2.cb());
  run();
  // CCCD 0x0017 = 0x0001 (notifications), CCCD 0x001C = 0x0002 (indications).
  EXPECT_EQ(wire_.to_server,
            (std::vector<V>{{0x12, 0x17, 0x00, 0x01, 0x00}, {0x12, 0x1C, 0x00, 0x02, 0x00}}));
  EXPECT_TRUE(s1.ok());
  EXPECT_TRUE(s2.ok());
  EXPECT_EQ(server_.cccd_value(ch::kLevelCccd), 0x0001);
  EXPECT_EQ(server_.cccd_value(ch::kAlertCccd), 0x0002);

  clear();
  EXPECT_EQ(server_.notify(ch::kLevel, V{0x2A}), ValueSendResult::kSent);
  EXPECT_EQ(server_.indicate(now_, ch::kAlert, V{0x07, 0x08}), ValueSendResult::kSent);
  EXPECT_TRUE(server_.indication_pending());
  run();
  EXPECT_EQ(got,
            (std::vector<Notified>{{ch::kLevel, {0x2A}, false}, {ch::kAlert, {0x07, 0x08}, true}}));
  // Handle Value Confirmation (0x1E) after the indication; the server is free again.
  EXPECT_EQ(wire_.to_server, (std::vector<V>{{0x1E}}));
  EXPECT_FALSE(server_.indication_pending());

  clear();
  Capture<void> u;
  client_.unsubscribe(now_, ch::kLevel, u.cb());
  run();
  EXPECT_EQ(wire_.to_server, (std::vector<V>{{0x12, 0x17, 0x00, 0x00, 0x00}}));
  EXPECT_TRUE(u.ok());
  EXPECT_EQ(server_.notify(ch::kLevel, V{0x2B}), ValueSendResult::kNotSubscribed);
  // Unsubscribing again: nothing to remove.
  Capture<void> u2;
  client_.unsubscribe(now_, ch::kLevel, u2.cb());
  EXPECT_EQ(u2.error().kind, Kind::kInvalidParameters);
}

TEST_F(ClientServerTest, InsufficientAuthenticationSurfacesThenRetrySucceeds) {
  Capture<std::vector<uint8_t>> r;
  client_.read(now_, ch::kRefValue, r.cb());
  std::vector<Notified> got;
  Capture<void> s;
  client_.subscribe(
      now_, ch::kRefValue, ch::kRefCccd, false,
      [&](uint16_t h, Bytes v, bool i) {
        got.push_back({h, V(v.begin(), v.end()), i});
      },
      s.cb());
  run();
  // Error Response (0x01) to Read (0x0A) / Write (0x12): Insufficient Authentication (0x05).
  EXPECT_EQ(wire_.to_client,
            (std::vector<V>{{0x01, 0x0A, 0x10, 0x00, 0x05}, {0x01, 0x12, 0x11, 0x00, 0x05}}));
  EXPECT_TRUE(r.error().is(AttErrorCode::kInsufficientAuthentication));
  EXPECT_EQ(r.error().handle, ch::kRefValue);
  EXPECT_TRUE(s.error().is(AttErrorCode::kInsufficientAuthentication));
  // The failed subscription's handler is gone.
  const V forged = {0x1B, 0x10, 0x00, 0x01};
  client_bearer_.on_pdu(now_, forged);
  EXPECT_TRUE(got.empty());

  // The owner pairs (MITM), then retries.
  server_.set_link_security(link::kScMitm);
  Capture<std::vector<uint8_t>> r2;
  client_.read(now_, ch::kRefValue, r2.cb());
  Capture<void> s2;
  client_.subscribe(
      now_, ch::kRefValue, ch::kRefCccd, false,
      [&](uint16_t h, Bytes v, bool i) {
        got.push_back({h, V(v.begin(), v.end()), i});
      },
      s2.cb());
  run();
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2.result->value(), str("Start Value"));
  EXPECT_TRUE(s2.ok());
  EXPECT_EQ(server_.notify(ch::kRefValue, V{0x05}), ValueSendResult::kSent);
  run();
  EXPECT_EQ(got, (std::vector<Notified>{{ch::kRefValue, {0x05}, false}}));
}

// --- Scripted: the client against byte-exact server behaviour ---------------

struct Recorder : att::BearerDelegate {
  std::vector<V> sent;
  int fatal = 0;
  void send(Bytes pdu) override { sent.emplace_back(pdu.begin(), pdu.end()); }
  void on_bearer_fatal() override { ++fatal; }
};

class ClientTest : public ::testing::Test {
 protected:
  static constexpr uint16_t kConn = 0x0042;
  void rx(const V& pdu) { bearer_.on_pdu(now_, pdu); }
  V last() { return out_.sent.empty() ? V{} : out_.sent.back(); }

  Recorder out_;
  att::Bearer bearer_{out_, kConn};
  Client client_{bearer_};
  TimePoint now_ = at_ms(1000);
};

TEST_F(ClientTest, WrongResponseOpcodeFailsAndQueueContinues) {
  Capture<std::vector<uint8_t>> r;
  client_.read(now_, 0x0003, r.cb());
  Capture<std::vector<uint8_t>> next;
  client_.read(now_, 0x0005, next.cb());
  ASSERT_EQ(out_.sent, (std::vector<V>{{0x0A, 0x03, 0x00}}));  // one outstanding request
  rx({0x13});                                                  // Write Response to a Read Request
  EXPECT_EQ(r.calls, 1);
  EXPECT_EQ(r.error().kind, Kind::kInvalidResponse);
  EXPECT_EQ(last(), (V{0x0A, 0x05, 0x00}));  // the queued read runs next
  rx({0x0B, 'o', 'k'});
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next.result->value(), str("ok"));
  EXPECT_EQ(r.calls, 1);  // completed exactly once
}

TEST_F(ClientTest, ResponseWithoutRequestIsDropped) {
  rx({0x0B, 0x01});
  rx({0x01, 0x0A, 0x01, 0x00, 0x01});
  EXPECT_TRUE(out_.sent.empty());
  EXPECT_EQ(out_.fatal, 0);
  EXPECT_EQ(client_.next_deadline(), kNever);
}

TEST_F(ClientTest, ErrorResponseForAnotherRequestIsDropped) {
  Capture<std::vector<uint8_t>> r;
  client_.read(now_, 0x0003, r.cb());
  rx({0x01, 0x12, 0x03, 0x00, 0x03});  // for a Write Request: not ours
  EXPECT_EQ(r.calls, 0);
  EXPECT_NE(client_.next_deadline(), kNever);
  rx({0x01, 0x0A, 0x03, 0x00, 0x02});  // Read Not Permitted for our Read
  EXPECT_EQ(r.calls, 1);
  EXPECT_EQ(r.error(), ClientError::att(AttErrorCode::kReadNotPermitted, 0x0003));
  EXPECT_EQ(client_.next_deadline(), kNever);
}

TEST_F(ClientTest, ServiceHandlesMustIncrease) {
  Capture<std::vector<ServiceInfo>> s;
  client_.discover_primary_services(now_, std::nullopt, s.cb());
  // Length 6: 0x0001..0x0005 0x1800.
  rx({0x11, 0x06, 0x01, 0x00, 0x05, 0x00, 0x00, 0x18});
  EXPECT_EQ(last(), (V{0x10, 0x06, 0x00, 0xFF, 0xFF, 0x00, 0x28}));
  // A server that answers from 0x0003 again (at or below the last end): rejected, no loop.
  rx({0x11, 0x06, 0x03, 0x00, 0x08, 0x00, 0x01, 0x18});
  EXPECT_EQ(s.calls, 1);
  EXPECT_EQ(s.error().kind, Kind::kInvalidResponse);
  EXPECT_EQ(out_.sent.size(), 2u);

  // End before start.
  Capture<std::vector<ServiceInfo>> s2;
  client_.discover_primary_services(now_, std::nullopt, s2.cb());
  rx({0x11, 0x06, 0x09, 0x00, 0x08, 0x00, 0x01, 0x18});
  EXPECT_EQ(s2.error().kind, Kind::kInvalidResponse);

  // A last group ending at 0xFFFF ends the procedure without another request.
  out_.sent.clear();
  Capture<std::vector<ServiceInfo>> s3;
  client_.discover_primary_services(now_, Uuid::from16(0x180F), s3.cb());
  rx({0x07, 0x10, 0x00, 0xFF, 0xFF});
  EXPECT_EQ(out_.sent.size(), 1u);
  ASSERT_TRUE(s3.ok());
  EXPECT_EQ(s3.result->value(), (std::vector<ServiceInfo>{{0x0010, 0xFFFF, Uuid::from16(0x180F)}}));
}

TEST_F(ClientTest, CharacteristicAndDescriptorHandlesValidated) {
  // Value handle not after its declaration.
  Capture<std::vector<CharacteristicInfo>> c;
  client_.discover_characteristics(now_, 0x0010, 0x0020, c.cb());
  EXPECT_EQ(last(), (V{0x08, 0x10, 0x00, 0x20, 0x00, 0x03, 0x28}));
  rx({0x09, 0x07, 0x12, 0x00, 0x02, 0x12, 0x00, 0x19, 0x2A});
  EXPECT_EQ(c.error().kind, Kind::kInvalidResponse);

  // Declaration before the requested start.
  Capture<std::vector<CharacteristicInfo>> c2;
  client_.discover_characteristics(now_, 0x0010, 0x0020, c2.cb());
  rx({0x09, 0x07, 0x0F, 0x00, 0x02, 0x10, 0x00, 0x19, 0x2A});
  EXPECT_EQ(c2.error().kind, Kind::kInvalidResponse);

  // Second response repeating the first declaration (a server stuck in a loop).
  Capture<std::vector<CharacteristicInfo>> c3;
  client_.discover_characteristics(now_, 0x0010, 0x0020, c3.cb());
  rx({0x09, 0x07, 0x11, 0x00, 0x02, 0x12, 0x00, 0x19, 0x2A});
  EXPECT_EQ(last(), (V{0x08, 0x12, 0x00, 0x20, 0x00, 0x03, 0x28}));
  rx({0x09, 0x07, 0x11, 0x00, 0x02, 0x12, 0x00, 0x19, 0x2A});
  EXPECT_EQ(c3.error().kind, Kind::kInvalidResponse);

  // Descriptor outside the range.
  Capture<std::vector<DescriptorInfo>> d;
  client_.discover_descriptors(now_, 0x0013, 0x0014, d.cb());
  EXPECT_EQ(last(), (V{0x04, 0x13, 0x00, 0x14, 0x00}));
  rx({0x05, 0x01, 0x13, 0x00, 0x02, 0x29, 0x15, 0x00, 0x01, 0x29});
  EXPECT_EQ(d.error().kind, Kind::kInvalidResponse);
}

TEST_F(ClientTest, TruncatedAndInconsistentResponses) {
  // Read By Group Type: Length 6 but 7 octets of data.
  Capture<std::vector<ServiceInfo>> s;
  client_.discover_primary_services(now_, std::nullopt, s.cb());
  rx({0x11, 0x06, 0x01, 0x00, 0x05, 0x00, 0x00, 0x18, 0x00});
  EXPECT_EQ(s.error().kind, Kind::kInvalidResponse);
  // Read By Group Type: Length 5 (a 1-octet UUID).
  Capture<std::vector<ServiceInfo>> s2;
  client_.discover_primary_services(now_, std::nullopt, s2.cb());
  rx({0x11, 0x05, 0x01, 0x00, 0x05, 0x00, 0x00});
  EXPECT_EQ(s2.error().kind, Kind::kInvalidResponse);
  // Read By Type: Length 5 is no characteristic declaration.
  Capture<std::vector<CharacteristicInfo>> c;
  client_.discover_characteristics(now_, 0x0001, 0xFFFF, c.cb());
  rx({0x09, 0x05, 0x02, 0x00, 0x02, 0x03, 0x00});
  EXPECT_EQ(c.error().kind, Kind::kInvalidResponse);
  // Find Information: format 0x03.
  Capture<std::vector<DescriptorInfo>> d;
  client_.discover_descriptors(now_, 0x0001, 0xFFFF, d.cb());
  rx({0x05, 0x03, 0x01, 0x00, 0x00, 0x28});
  EXPECT_EQ(d.error().kind, Kind::kInvalidResponse);
  // A 4-octet Error Response.
  Capture<std::vector<uint8_t>> r;
  client_.read(now_, 0x0003, r.cb());
  rx({0x01, 0x0A, 0x03, 0x00});
  EXPECT_EQ(r.error().kind, Kind::kInvalidResponse);
  // Exchange MTU Response of 2 octets.
  Capture<uint16_t> m;
  client_.exchange_mtu(now_, m.cb());
  rx({0x03, 0x40});
  EXPECT_EQ(m.error().kind, Kind::kInvalidResponse);
  EXPECT_EQ(client_.mtu(), 23);
  // A response above ATT_MTU.
  Capture<std::vector<uint8_t>> big;
  client_.read(now_, 0x0003, big.cb());
  V huge(24, 0x00);
  huge[0] = 0x0B;
  rx(huge);
  EXPECT_EQ(big.error().kind, Kind::kInvalidResponse);
  EXPECT_EQ(out_.fatal, 0);
}

TEST_F(ClientTest, ErrorResponsePerProcedure) {
  Capture<uint16_t> m;
  client_.exchange_mtu(now_, m.cb());
  rx({0x01, 0x02, 0x00, 0x00, 0x06});  // Request Not Supported
  EXPECT_EQ(m.error(), ClientError::att(AttErrorCode::kRequestNotSupported, 0));
  EXPECT_EQ(client_.mtu(), 23);

  Capture<std::vector<ServiceInfo>> s;
  client_.discover_primary_services(now_, std::nullopt, s.cb());
  rx({0x01, 0x10, 0x01, 0x00, 0x10});  // Unsupported Group Type
  EXPECT_EQ(s.error(), ClientError::att(AttErrorCode::kUnsupportedGroupType, 0x0001));

  Capture<std::vector<ServiceInfo>> su;
  client_.discover_primary_services(now_, Uuid::from16(0x180F), su.cb());
  rx({0x01, 0x06, 0x01, 0x00, 0x0E});  // Unlikely Error
  EXPECT_EQ(su.error(), ClientError::att(AttErrorCode::kUnlikelyError, 0x0001));

  Capture<std::vector<CharacteristicInfo>> c;
  client_.discover_characteristics(now_, 0x0001, 0x0005, c.cb());
  rx({0x01, 0x08, 0x02, 0x00, 0x08});  // Insufficient Authorization
  EXPECT_EQ(c.error(), ClientError::att(AttErrorCode::kInsufficientAuthorization, 0x0002));

  Capture<std::vector<DescriptorInfo>> d;
  client_.discover_descriptors(now_, 0x0001, 0x0005, d.cb());
  rx({0x01, 0x04, 0x01, 0x00, 0x01});  // Invalid Handle
  EXPECT_EQ(d.error(), ClientError::att(AttErrorCode::kInvalidHandle, 0x0001));

  Capture<std::vector<uint8_t>> r;
  client_.read(now_, 0x0003, r.cb());
  rx({0x01, 0x0A, 0x03, 0x00, 0x0F});  // Insufficient Encryption
  EXPECT_TRUE(r.error().is(AttErrorCode::kInsufficientEncryption));

  Capture<void> w;
  client_.write(now_, 0x0003, V{0x01}, WriteMode::kRequest, w.cb());
  EXPECT_EQ(last(), (V{0x12, 0x03, 0x00, 0x01}));
  rx({0x01, 0x12, 0x03, 0x00, 0x03});  // Write Not Permitted
  EXPECT_EQ(w.error(), ClientError::att(AttErrorCode::kWriteNotPermitted, 0x0003));

  // Execute Write refused: the error surfaces (the server has dropped its queue).
  Capture<void> l;
  client_.write(now_, 0x0003, V{0x01}, WriteMode::kLong, l.cb());
  rx({0x17, 0x03, 0x00, 0x00, 0x00, 0x01});
  EXPECT_EQ(last(), (V{0x18, 0x01}));
  rx({0x01, 0x18, 0x03, 0x00, 0x0D});  // Invalid Attribute Value Length
  EXPECT_EQ(l.error(), ClientError::att(AttErrorCode::kInvalidAttributeValueLength, 0x0003));

  // Subscribing: the CCCD write's error, and the handler is removed.
  int notified = 0;
  Capture<void> sub;
  client_.subscribe(
      now_, 0x0010, 0x0011, true, [&](uint16_t, Bytes, bool) { ++notified; }, sub.cb());
  rx({0x01, 0x12, 0x11, 0x00, 0xFD});  // CCCD Improperly Configured
  EXPECT_TRUE(sub.error().is(AttErrorCode::kCccdImproperlyConfigured));
  out_.sent.clear();
  rx({0x1D, 0x10, 0x00, 0x01});
  EXPECT_EQ(notified, 0);
  EXPECT_EQ(out_.sent, (std::vector<V>{{0x1E}}));  // still confirmed
  EXPECT_EQ(out_.fatal, 0);
}

TEST_F(ClientTest, PrepareWriteEchoMismatchCancels) {
  Capture<void> w;
  client_.write(now_, 0x0020, str("abcdefghijklmnopqrstuvwxyz"), WriteMode::kLong, w.cb());
  // ATT_MTU 23: 18 octets at offset 0.
  EXPECT_EQ(last(), cat({0x16, 0x20, 0x00, 0x00, 0x00}, str("abcdefghijklmnopqr")));
  // The echo carries a different value: cancel (Execute Write flags 0x00).
  rx(cat({0x17, 0x20, 0x00, 0x00, 0x00}, str("abcdefghijklmnopqX")));
  EXPECT_EQ(last(), (V{0x18, 0x00}));
  EXPECT_EQ(w.calls, 0);
  rx({0x19});
  EXPECT_EQ(w.calls, 1);
  EXPECT_EQ(w.error().kind, Kind::kInvalidResponse);

  // Wrong offset in the second echo.
  Capture<void> w2;
  client_.write(now_, 0x0020, str("abcdefghijklmnopqrstuvwxyz"), WriteMode::kLong, w2.cb());
  rx(cat({0x17, 0x20, 0x00, 0x00, 0x00}, str("abcdefghijklmnopqr")));
  EXPECT_EQ(last(), cat({0x16, 0x20, 0x00, 0x12, 0x00}, str("stuvwxyz")));
  rx(cat({0x17, 0x20, 0x00, 0x13, 0x00}, str("stuvwxyz")));
  EXPECT_EQ(last(), (V{0x18, 0x00}));
  rx({0x01, 0x18, 0x00, 0x00, 0x0E});  // even an error to the cancel ends it
  EXPECT_EQ(w2.error().kind, Kind::kInvalidResponse);

  // An Error Response after a queued segment also cancels, then reports the error.
  Capture<void> w3;
  client_.write(now_, 0x0020, str("abcdefghijklmnopqrstuvwxyz"), WriteMode::kLong, w3.cb());
  rx(cat({0x17, 0x20, 0x00, 0x00, 0x00}, str("abcdefghijklmnopqr")));
  rx({0x01, 0x16, 0x20, 0x00, 0x09});  // Prepare Queue Full
  EXPECT_EQ(last(), (V{0x18, 0x00}));
  rx({0x19});
  EXPECT_EQ(w3.error(), ClientError::att(AttErrorCode::kPrepareQueueFull, 0x0020));
}

TEST_F(ClientTest, LongReadStopsAt512Octets) {
  Capture<std::vector<uint8_t>> r;
  client_.read(now_, 0x0030, r.cb());
  V full(23, 0x5A);
  full[0] = 0x0B;
  rx(full);
  for (int i = 1; i < 23; ++i) {
    full[0] = 0x0D;
    rx(full);  // 23 * 22 = 506 octets so far
  }
  EXPECT_EQ(last(), (V{0x0C, 0x30, 0x00, 0xFA, 0x01}));  // Read Blob at 506
  rx(full);                                              // 528 > 512
  EXPECT_EQ(r.calls, 1);
  EXPECT_EQ(r.error().kind, Kind::kInvalidResponse);

  // ATT_MTU 129 (set by the peer's exchange with our server): four full
  // 128-octet parts make 512 octets, the most a value can hold: no fifth request.
  rx({0x02, 0x81, 0x00});
  ASSERT_EQ(client_.mtu(), 129);
  out_.sent.clear();
  Capture<std::vector<uint8_t>> max;
  client_.read(now_, 0x0030, max.cb());
  V part(129, 0x33);
  part[0] = 0x0B;
  rx(part);
  part[0] = 0x0D;
  for (int i = 0; i < 3; ++i) rx(part);
  EXPECT_EQ(out_.sent.size(), 4u);
  EXPECT_EQ(out_.sent.back(), (V{0x0C, 0x30, 0x00, 0x80, 0x01}));  // Read Blob at 384
  ASSERT_TRUE(max.ok());
  EXPECT_EQ(max.result->value(), V(512, 0x33));
}

TEST_F(ClientTest, TimeoutIsFatal) {
  Capture<std::vector<uint8_t>> r;
  client_.read(now_, 0x0003, r.cb());
  Capture<void> queued;
  client_.write(now_, 0x0003, V{0x01}, WriteMode::kRequest, queued.cb());
  // Core 5.4 Vol 3 Part F 3.3.3: 30 s from the request.
  EXPECT_EQ(client_.next_deadline(), now_ + Duration(30'000));
  client_.on_timeout(now_ + Duration(29'999));
  EXPECT_EQ(r.calls, 0);
  client_.on_timeout(now_ + Duration(30'000));
  EXPECT_EQ(r.error().kind, Kind::kTimeout);
  EXPECT_EQ(queued.error().kind, Kind::kDisconnected);
  EXPECT_EQ(out_.fatal, 1);
  EXPECT_FALSE(client_.open());
  EXPECT_EQ(client_.next_deadline(), kNever);
  // No further requests on this bearer; late PDUs are ignored.
  Capture<std::vector<uint8_t>> later;
  client_.read(now_, 0x0003, later.cb());
  EXPECT_EQ(later.error().kind, Kind::kDisconnected);
  Capture<void> cmd;
  client_.write(now_, 0x0003, V{0x01}, WriteMode::kCommand, cmd.cb());
  EXPECT_EQ(cmd.error().kind, Kind::kDisconnected);
  rx({0x0B, 0x01});
  rx({0x1D, 0x03, 0x00, 0x01});
  EXPECT_EQ(out_.sent, (std::vector<V>{{0x0A, 0x03, 0x00}}));
  EXPECT_EQ(r.calls, 1);
  client_.on_timeout(now_ + Duration(90'000));
  EXPECT_EQ(out_.fatal, 1);
}

TEST_F(ClientTest, DisconnectFailsEverythingOnce) {
  // A subscription's handler (and what it holds) is released on disconnection.
  auto held = std::make_shared<int>(0);
  client_.subscribe(
      now_, 0x0010, 0x0011, false, [held](uint16_t, Bytes, bool) {}, nullptr);
  rx({0x13});
  EXPECT_EQ(held.use_count(), 2);
  std::vector<std::string> order;
  client_.read(now_, 0x0003, [&](ClientResult<std::vector<uint8_t>> r) {
    EXPECT_EQ(r.error().kind, Kind::kDisconnected);
    order.push_back("read");
  });
  client_.discover_primary_services(now_, std::nullopt,
                                    [&](ClientResult<std::vector<ServiceInfo>> r) {
                                      EXPECT_EQ(r.error().kind, Kind::kDisconnected);
                                      order.push_back("services");
                                    });
  client_.exchange_mtu(now_, [&](ClientResult<uint16_t> r) {
    EXPECT_EQ(r.error().kind, Kind::kDisconnected);
    order.push_back("mtu");
  });
  client_.on_disconnected();
  EXPECT_EQ(order, (std::vector<std::string>{"read", "services", "mtu"}));
  EXPECT_EQ(held.use_count(), 1);
  rx({0x0B, 0x01});  // late response
  client_.on_disconnected();
  EXPECT_EQ(order.size(), 3u);
  EXPECT_EQ(out_.sent.size(), 2u);  // the CCCD write and the first Read
  EXPECT_EQ(out_.fatal, 0);
}

TEST_F(ClientTest, NotificationPaths) {
  std::vector<Notified> got;
  auto handler = [&](uint16_t h, Bytes v, bool i) { got.push_back({h, V(v.begin(), v.end()), i}); };
  Capture<void> a, b;
  client_.subscribe(now_, 0x0010, 0x0011, false, handler, a.cb());
  rx({0x13});
  client_.subscribe(now_, 0x0020, 0x0021, false, handler, b.cb());
  rx({0x13});
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  out_.sent.clear();

  rx({0x1B, 0x30, 0x00, 0x01});  // nobody subscribed to 0x0030: dropped
  rx({0x1D, 0x30, 0x00, 0x02});  // indication without subscriber: still confirmed
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(out_.sent, (std::vector<V>{{0x1E}}));
  // Multiple Handle Value Notification (0x23): 0x0010 len 1 {0xAA}, 0x0020 len 2 {0xBB 0xCC}.
  rx({0x23, 0x10, 0x00, 0x01, 0x00, 0xAA, 0x20, 0x00, 0x02, 0x00, 0xBB, 0xCC});
  EXPECT_EQ(got, (std::vector<Notified>{{0x0010, {0xAA}, false}, {0x0020, {0xBB, 0xCC}, false}}));
  // Truncated second tuple: the first is delivered, the rest dropped.
  got.clear();
  rx({0x23, 0x10, 0x00, 0x01, 0x00, 0xAA, 0x20, 0x00, 0x05, 0x00, 0xBB, 0xCC});
  EXPECT_EQ(got, (std::vector<Notified>{{0x0010, {0xAA}, false}}));
  // Above ATT_MTU (23): dropped.
  got.clear();
  V big(24, 0x01);
  big[0] = 0x1B;
  big[1] = 0x10;
  big[2] = 0x00;
  rx(big);
  EXPECT_TRUE(got.empty());
  // Empty value, and a request meant for a server this link does not have:
  // not for the client; the bearer answers Request Not Supported (0x06).
  rx({0x1B, 0x10, 0x00});
  rx({0x0A, 0x10, 0x00});
  EXPECT_EQ(got, (std::vector<Notified>{{0x0010, {}, false}}));
  EXPECT_EQ(out_.sent, (std::vector<V>{{0x1E}, {0x01, 0x0A, 0x00, 0x00, 0x06}}));
}

TEST_F(ClientTest, CallbacksMayReenter) {
  // A completion starts the next procedure; it runs after those already queued.
  std::vector<int> order;
  Capture<std::vector<uint8_t>> third;
  client_.read(now_, 0x0001, [&](ClientResult<std::vector<uint8_t>>) {
    order.push_back(1);
    client_.read(now_, 0x0003, third.cb());
  });
  client_.read(now_, 0x0002, [&](ClientResult<std::vector<uint8_t>>) { order.push_back(2); });
  rx({0x0B, 0x01});
  EXPECT_EQ(last(), (V{0x0A, 0x02, 0x00}));
  rx({0x0B, 0x02});
  EXPECT_EQ(last(), (V{0x0A, 0x03, 0x00}));
  rx({0x0B, 0x03});
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  ASSERT_TRUE(third.ok());

  // A handler that unsubscribes itself while it runs.
  int calls = 0;
  Capture<void> s;
  client_.subscribe(
      now_, 0x0010, 0x0011, true,
      [&](uint16_t, Bytes, bool) {
        ++calls;
        client_.unsubscribe(now_, 0x0010, nullptr);
      },
      s.cb());
  rx({0x13});
  out_.sent.clear();
  rx({0x1D, 0x10, 0x00, 0x01});
  EXPECT_EQ(calls, 1);
  // The CCCD write (0x0000) and the confirmation.
  EXPECT_EQ(out_.sent, (std::vector<V>{{0x12, 0x11, 0x00, 0x00, 0x00}, {0x1E}}));
  rx({0x13});
  rx({0x1B, 0x10, 0x00, 0x01});
  EXPECT_EQ(calls, 1);
}

TEST(ClientLifetime, CallbackMayDestroyTheClient) {
  Recorder out;
  att::Bearer bearer(out, 1);
  auto client = std::make_unique<Client>(bearer);
  int failed = 0;
  client->read(at_ms(0), 0x0003, [&](ClientResult<std::vector<uint8_t>> r) {
    EXPECT_TRUE(r.ok());
    client.reset();
  });
  client->read(at_ms(0), 0x0004, [&](ClientResult<std::vector<uint8_t>>) { ++failed; });
  const V rsp = {0x0B, 0x01};
  bearer.on_pdu(at_ms(0), rsp);
  EXPECT_EQ(client, nullptr);
  EXPECT_EQ(failed, 0);  // destroyed with the procedure queued: never called
  EXPECT_EQ(out.sent.size(), 1u);

  // A notification handler that destroys the client: no confirmation is sent.
  Recorder out2;
  att::Bearer bearer2(out2, 2);
  auto c2 = std::make_unique<Client>(bearer2);
  c2->subscribe(
      at_ms(0), 0x0010, 0x0011, true, [&](uint16_t, Bytes, bool) { c2.reset(); }, nullptr);
  const V ok = {0x13};
  bearer2.on_pdu(at_ms(0), ok);
  const V ind = {0x1D, 0x10, 0x00, 0x01};
  bearer2.on_pdu(at_ms(0), ind);
  EXPECT_EQ(c2, nullptr);
  EXPECT_EQ(out2.sent.size(), 1u);  // only the CCCD write
}

TEST_F(ClientTest, InvalidParametersAndBusy) {
  Capture<std::vector<uint8_t>> r;
  client_.read(now_, 0x0000, r.cb());
  EXPECT_EQ(r.error().kind, Kind::kInvalidParameters);
  Capture<void> w;
  client_.write(now_, 0x0003, V(513, 0x00), WriteMode::kLong, w.cb());
  EXPECT_EQ(w.error().kind, Kind::kInvalidParameters);
  Capture<void> cmd;
  client_.write(now_, 0x0003, V(21, 0x00), WriteMode::kCommand, cmd.cb());  // > ATT_MTU - 3
  EXPECT_EQ(cmd.error().kind, Kind::kInvalidParameters);
  Capture<void> sub;
  client_.subscribe(
      now_, 0x0010, 0x0010, false, [](uint16_t, Bytes, bool) {}, sub.cb());
  EXPECT_EQ(sub.error().kind, Kind::kInvalidParameters);
  Capture<std::vector<CharacteristicInfo>> c;
  client_.discover_characteristics(now_, 0x0000, 0x0010, c.cb());
  EXPECT_EQ(c.error().kind, Kind::kInvalidParameters);
  EXPECT_TRUE(out_.sent.empty());

  // One running + kMaxQueuedProcedures waiting; one more is refused.
  int refused = 0;
  for (size_t i = 0; i < kMaxQueuedProcedures + 2; ++i)
    client_.read(now_, 0x0003, [&](ClientResult<std::vector<uint8_t>> res) {
      if (!res.ok() && res.error().kind == Kind::kBusy) ++refused;
    });
  EXPECT_EQ(refused, 1);
  EXPECT_EQ(out_.sent.size(), 1u);
}

TEST_F(ClientTest, WriteRequestBecomesLongWhenValueExceedsMtu) {
  Capture<void> w;
  const V value = pattern(21);  // > ATT_MTU - 3 = 20
  client_.write(now_, 0x0020, value, WriteMode::kRequest, w.cb());
  EXPECT_EQ(last(), cat({0x16, 0x20, 0x00, 0x00, 0x00}, V(value.begin(), value.begin() + 18)));
  rx(cat({0x17, 0x20, 0x00, 0x00, 0x00}, V(value.begin(), value.begin() + 18)));
  EXPECT_EQ(last(), cat({0x16, 0x20, 0x00, 0x12, 0x00}, V(value.begin() + 18, value.end())));
  rx(cat({0x17, 0x20, 0x00, 0x12, 0x00}, V(value.begin() + 18, value.end())));
  EXPECT_EQ(last(), (V{0x18, 0x01}));
  rx({0x19});
  EXPECT_TRUE(w.ok());
  // A value of exactly ATT_MTU - 3 is one Write Request.
  Capture<void> w2;
  client_.write(now_, 0x0020, pattern(20), WriteMode::kRequest, w2.cb());
  EXPECT_EQ(last(), cat({0x12, 0x20, 0x00}, pattern(20)));
}

}  // namespace
}  // namespace sable::gatt::testing
