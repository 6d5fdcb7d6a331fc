// ATT_MTU is one value per link for our client and our server (Core 5.4 Vol 3
// Part F 3.4.2): two devices, each a gatt::Server and a gatt::Client on one
// att::Bearer, over an in-memory link. Regression for issue 13 item 2: an
// Exchange MTU our client started used to leave our server at 23.
#include <gtest/gtest.h>

#include <deque>

#include "gatt/client.hpp"
#include "test_db.hpp"

namespace sable::gatt::testing {
namespace {

struct Device;

struct Air {
  std::deque<std::pair<Device*, V>> in_flight;  // (receiver, PDU)
};

struct Device : att::BearerDelegate {
  Device(Air& air, Database& db, uint16_t conn)
      : air(air), bearer(*this, conn), server(db, bearer) {
    server.set_link_security(link::kScMitm);
  }
  void send(Bytes pdu) override {
    sent.emplace_back(pdu.begin(), pdu.end());
    air.in_flight.emplace_back(peer, sent.back());
  }
  void on_bearer_fatal() override { ADD_FAILURE() << "bearer failed"; }

  Air& air;
  Device* peer = nullptr;
  std::vector<V> sent;
  att::Bearer bearer;
  Server server;
  Client client{bearer};
};

class SharedMtuTest : public ::testing::Test {
 protected:
  SharedMtuTest() : a_(air_, db_, 0x0040), b_(air_, db_, 0x0041) {
    a_.peer = &b_;
    b_.peer = &a_;
  }
  void run() {
    while (!air_.in_flight.empty()) {
      auto [to, pdu] = std::move(air_.in_flight.front());
      air_.in_flight.pop_front();
      to->bearer.on_pdu(now_, pdu);
    }
  }
  // `from`'s client subscribes to the peer's reference characteristic.
  void subscribe(Device& from, std::vector<V>& got) {
    bool ok = false;
    from.client.subscribe(
        now_, h::kRefValue, h::kRefCccd, false,
        [&got](uint16_t, Bytes v, bool) { got.emplace_back(v.begin(), v.end()); },
        [&ok](ClientResult<void> r) { ok = r.ok(); });
    run();
    ASSERT_TRUE(ok);
  }
  uint16_t exchange(Device& from, uint16_t mtu) {
    uint16_t result = 0;
    from.client.exchange_mtu(now_, mtu, [&](ClientResult<uint16_t> r) {
      ASSERT_TRUE(r.ok());
      result = r.value();
    });
    run();
    return result;
  }

  Hooks hooks_;
  Database db_ = make_db(hooks_);
  Air air_;
  Device a_;
  Device b_;
  TimePoint now_ = at_ms(1000);
};

TEST_F(SharedMtuTest, ClientInitiatedExchangeReachesOurServer) {
  std::vector<V> at_a, at_b;
  subscribe(a_, at_a);  // a's client on b's server
  subscribe(b_, at_b);  // b's client on a's server
  a_.sent.clear();
  // a's client: Exchange MTU Request, Client Rx MTU 247 (0x00F7); b answers 517.
  EXPECT_EQ(exchange(a_, 247), 247);
  EXPECT_EQ(a_.sent, (std::vector<V>{{0x02, 0xF7, 0x00}}));
  EXPECT_EQ(b_.sent.back(), (V{0x03, 0x05, 0x02}));
  // One ATT_MTU per link: a's server uses it as well as a's client.
  EXPECT_EQ(a_.server.mtu(), 247);
  EXPECT_EQ(a_.client.mtu(), 247);
  EXPECT_EQ(b_.server.mtu(), 247);
  EXPECT_EQ(b_.client.mtu(), 247);
  // a's server notifies 244 octets (ATT_MTU - 3): sent whole, not refused as too long.
  const V value(244, 0x5A);
  EXPECT_EQ(a_.server.notify(h::kRefValue, value), ValueSendResult::kSent);
  EXPECT_EQ(a_.sent.back().size(), 247u);
  EXPECT_EQ(a_.server.notify(h::kRefValue, V(245, 0x5A)), ValueSendResult::kTooLong);
  // And the other way round.
  EXPECT_EQ(b_.server.notify(h::kRefValue, value), ValueSendResult::kSent);
  run();
  EXPECT_EQ(at_b, (std::vector<V>{value}));
  EXPECT_EQ(at_a, (std::vector<V>{value}));
}

TEST_F(SharedMtuTest, ExchangeMtuHonoursItsArgument) {
  a_.sent.clear();
  // Client Rx MTU 100 (0x0064), not our maximum.
  EXPECT_EQ(exchange(a_, 100), 100);
  EXPECT_EQ(a_.sent, (std::vector<V>{{0x02, 0x64, 0x00}}));
  EXPECT_EQ(a_.server.mtu(), 100);
  // Below the default it is sent as 23 (Core 5.4 Vol 3 Part F 3.4.2.1).
  Device c(air_, db_, 0x0042);
  Device d(air_, db_, 0x0043);
  c.peer = &d;
  d.peer = &c;
  EXPECT_EQ(exchange(c, 5), 23);
  EXPECT_EQ(c.sent, (std::vector<V>{{0x02, 0x17, 0x00}}));
  // b's client needs no exchange of its own (3.4.2.2); a peer that sends
  // one anyway is answered with a's announced 100 (the MTU is symmetric),
  // and nothing changes.
  b_.sent.clear();
  EXPECT_EQ(exchange(b_, 517), 100);
  EXPECT_TRUE(b_.sent.empty());
  a_.sent.clear();
  a_.bearer.on_pdu(now_, V{0x02, 0x05, 0x02});
  EXPECT_EQ(a_.sent, (std::vector<V>{{0x03, 0x64, 0x00}}));
  EXPECT_EQ(a_.server.mtu(), 100);
}

TEST_F(SharedMtuTest, AfterThePeersExchangeOurClientSendsNone) {
  EXPECT_EQ(exchange(b_, 185), 185);
  EXPECT_EQ(a_.client.mtu(), 185);
  a_.sent.clear();
  // One direction is enough (3.4.2.2): reported without a request.
  EXPECT_EQ(exchange(a_, 247), 185);
  EXPECT_TRUE(a_.sent.empty());
}

}  // namespace
}  // namespace sable::gatt::testing
