// The reference program's whole flow between two real hosts on the fake
// controller: scan, connect, discover, refused read, subscribe (nothing sent
// while the link is insecure), pair with the passkey, read, three
// notifications, then reconnect with the bond (no pairing, subscription kept).
#include <gtest/gtest.h>

#include <string>

#include "gatt/database.hpp"
#include "harness.hpp"

namespace sable::testing {
namespace {

template <class T>
struct Outcome {
  std::optional<gatt::ClientResult<T>> result;
  gatt::Callback<T> callback() {
    return [this](gatt::ClientResult<T> r) { result.emplace(std::move(r)); };
  }
};

class ReferenceFlowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server.host().set_database(&db);
    net.start();
    ASSERT_TRUE(
        server.host()
            .set_advertising_data(
                net.now(), AdvertisementData().name("ESP32 Server").add_service_uuid(kService))
            .ok());
    ASSERT_TRUE(server.host().start_advertising(net.now()).ok());
    net.run();
  }

  Address scan_for_server() {
    EXPECT_TRUE(central.host().start_scan(net.now(), gap::ScanConfig{}).ok());
    net.advance(Duration(200));
    EXPECT_TRUE(central.host().stop_scan(net.now()).ok());
    for (const auto& r : central.reports)
      if (r.data.name == "ESP32 Server" && !r.data.service_uuids.empty() &&
          r.data.service_uuids[0] == kService)
        return r.address;
    ADD_FAILURE() << "ESP32 Server not found";
    return {};
  }

  void connect(const Address& a) {
    ASSERT_TRUE(central.host().connect(net.now(), a).ok());
    net.advance(Duration(100));
    ASSERT_FALSE(central.connected.empty());
    ch = central.connected.back().handle;
    client = central.host().gatt_client(ch);
    ASSERT_NE(client, nullptr);
  }

  gatt::CharacteristicInfo discover(uint16_t* cccd) {
    Outcome<std::vector<gatt::ServiceInfo>> services;
    client->discover_primary_services(net.now(), kService, services.callback());
    net.run();
    EXPECT_TRUE(services.result && services.result->ok());
    if (!services.result || !services.result->ok() || services.result->value().size() != 1)
      return {};
    auto svc = services.result->value()[0];
    Outcome<std::vector<gatt::CharacteristicInfo>> chars;
    client->discover_characteristics(net.now(), svc.start, svc.end, chars.callback());
    net.run();
    EXPECT_TRUE(chars.result && chars.result->ok());
    if (!chars.result || !chars.result->ok() || chars.result->value().empty()) return {};
    auto chr = chars.result->value()[0];
    Outcome<std::vector<gatt::DescriptorInfo>> descs;
    client->discover_descriptors(net.now(), uint16_t(chr.value_handle + 1), svc.end,
                                 descs.callback());
    net.run();
    EXPECT_TRUE(descs.result && descs.result->ok());
    *cccd = 0;
    if (descs.result && descs.result->ok())
      for (const auto& d : descs.result->value())
        if (d.uuid == Uuid::from16(0x2902)) *cccd = d.handle;
    return chr;
  }

  gatt::ClientResult<std::vector<uint8_t>> read(uint16_t handle) {
    Outcome<std::vector<uint8_t>> out;
    client->read(net.now(), handle, out.callback());
    net.run();
    EXPECT_TRUE(out.result);
    return out.result ? std::move(*out.result)
                      : gatt::ClientResult<std::vector<uint8_t>>(
                            fail(gatt::ClientError::of(gatt::ClientError::Kind::kTimeout)));
  }

  NotifyResult notify(uint8_t counter) {
    uint16_t value_handle = db.find_characteristic(kService, kCharacteristic)->value;
    uint8_t v[1] = {counter};
    EXPECT_TRUE(db.set_value(value_handle, v).ok());
    return server.host().notify(net.now(), value_handle, v);
  }

  gatt::Database db = reference_database();
  Network net;
  TestHost& server = net.add_host("00:AA:01:00:00:01", reference_server_config());
  TestHost& central =
      net.add_host("00:AA:01:01:00:02", keyboard_central_config(IoCap::KeyboardDisplay));
  uint16_t ch = 0;
  gatt::Client* client = nullptr;
  std::vector<std::vector<uint8_t>> received;
};

TEST_F(ReferenceFlowTest, ScanConnectRefusePairReadNotifyAndReconnectWithBond) {
  Address server_address = scan_for_server();
  connect(server_address);
  uint16_t cccd = 0;
  gatt::CharacteristicInfo chr = discover(&cccd);
  ASSERT_NE(chr.value_handle, 0);
  EXPECT_EQ(chr.uuid, kCharacteristic);
  EXPECT_EQ(chr.properties, gatt::prop::kRead | gatt::prop::kNotify);
  ASSERT_NE(cccd, 0);

  // Read before pairing: Insufficient Authentication (no key for this peer).
  auto refused = read(chr.value_handle);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(refused.error().is(att::AttErrorCode::kInsufficientAuthentication));

  // Subscribe on the insecure link: accepted, but nothing is sent.
  Outcome<void> sub;
  client->subscribe(
      net.now(), chr.value_handle, cccd, false,
      [this](uint16_t, Bytes v, bool) { received.emplace_back(v.begin(), v.end()); },
      sub.callback());
  net.run();
  ASSERT_TRUE(sub.result && sub.result->ok());
  uint16_t vh = db.find_characteristic(kService, kCharacteristic)->value;
  NotifyResult withheld = server.host().notify(net.now(), vh, db.value(*db.find(vh)));
  EXPECT_EQ(withheld.sent, 0u);
  EXPECT_EQ(withheld.status, NotifyStatus::kLinkNotSecure);
  net.run();
  EXPECT_TRUE(received.empty());

  // Pair with the passkey the server displays.
  central.passkey_to_enter = 123456;
  ASSERT_TRUE(central.host().pair(net.now(), ch).ok());
  net.advance(Duration(100));
  ASSERT_EQ(server.displayed_passkeys, std::vector<uint32_t>{123456});
  ASSERT_EQ(central.paired.size(), 1u);
  EXPECT_TRUE(central.paired[0].authenticated);

  auto value = read(chr.value_handle);
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(std::string(value->begin(), value->end()), "Start Value");

  // Three notifications, one a second, counter incrementing.
  for (uint8_t i = 1; i <= 3; ++i) {
    EXPECT_EQ(notify(i).sent, 1u);
    net.advance(Duration(1000));
  }
  ASSERT_EQ(received.size(), 3u);
  for (uint8_t i = 0; i < 3; ++i) EXPECT_EQ(received[i], std::vector<uint8_t>{uint8_t(i + 1)});

  // Reconnect: encryption with the bond, no pairing, subscription still there.
  ASSERT_TRUE(central.host().disconnect(net.now(), ch, 0x13).ok());
  net.advance(Duration(100));
  ASSERT_TRUE(server.host().advertising());
  connect(server_address);
  ASSERT_TRUE(central.host().secure(net.now(), ch).ok());
  net.advance(Duration(100));
  EXPECT_EQ(central.passkey_requests, 1);
  auto desc = central.host().connection(ch);
  ASSERT_TRUE(desc && desc->encrypted && desc->authenticated);
  // The new client has no handler: count what arrives at the link instead.
  received.clear();
  client = central.host().gatt_client(ch);
  Outcome<void> resub;
  client->subscribe(
      net.now(), chr.value_handle, cccd, false,
      [this](uint16_t, Bytes v, bool) { received.emplace_back(v.begin(), v.end()); },
      resub.callback());
  net.run();
  ASSERT_TRUE(resub.result && resub.result->ok());
  EXPECT_EQ(notify(4).sent, 1u);
  net.run();
  ASSERT_EQ(received.size(), 1u);
}

TEST_F(ReferenceFlowTest, BondedSubscriptionSurvivesReconnectWithoutWritingTheCccdAgain) {
  Address server_address = scan_for_server();
  connect(server_address);
  uint16_t cccd = 0;
  gatt::CharacteristicInfo chr = discover(&cccd);
  central.passkey_to_enter = 123456;
  ASSERT_TRUE(central.host().pair(net.now(), ch).ok());
  net.advance(Duration(100));
  Outcome<void> sub;
  client->subscribe(
      net.now(), chr.value_handle, cccd, false, [](uint16_t, Bytes, bool) {}, sub.callback());
  net.run();
  ASSERT_TRUE(sub.result && sub.result->ok());
  ASSERT_TRUE(central.host().disconnect(net.now(), ch, 0x13).ok());
  net.advance(Duration(100));
  // The server kept the subscription with the bond.
  auto bond = server.host().bond_store().find_by_identity(central.host().controller().bd_addr);
  ASSERT_TRUE(bond);
  EXPECT_EQ(bond->cccd(cccd), 0x0001);

  connect(server_address);
  // Before encryption: withheld (the subscription is not restored to an
  // unverified peer).
  EXPECT_EQ(notify(7).sent, 0u);
  ASSERT_TRUE(central.host().secure(net.now(), ch).ok());
  net.advance(Duration(100));
  // After encryption with the bond: sent without any new CCCD write.
  NotifyResult r = notify(8);
  EXPECT_EQ(r.sent, 1u) << to_string(r.status);
}

}  // namespace
}  // namespace sable::testing
