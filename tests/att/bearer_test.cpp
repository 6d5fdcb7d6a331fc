// att::Bearer (Core 5.4 Vol 3 Part F 3.3, 3.4.2, 3.4.9): byte-exact tests of
// classification, one transaction at a time each way, the 30 s transaction
// timeout and the ATT_MTU rules, with recording roles on both sides.
#include "att/bearer.hpp"
#include "support/test_time.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <utility>
#include <vector>

namespace sable::att {
namespace {

using sable::testing::at_ms;
using V = std::vector<uint8_t>;

struct Link : BearerDelegate {
  std::vector<V> sent;
  int fatal = 0;
  bool room = true;
  size_t asked = 0;  // the last length asked about
  void send(Bytes pdu) override { sent.emplace_back(pdu.begin(), pdu.end()); }
  bool can_send(size_t length) override {
    asked = length;
    return room;
  }
  void on_bearer_fatal() override { ++fatal; }
};

struct Server : ServerRole {
  std::vector<V> got;
  std::function<void(Bytes)> answer;  // called for each PDU, e.g. to respond
  void on_request(TimePoint, Bytes pdu) override {
    got.emplace_back(pdu.begin(), pdu.end());
    if (answer) answer(pdu);
  }
};

struct Client : ClientRole {
  std::vector<std::pair<uint8_t, V>> responses;  // (request opcode, PDU)
  std::vector<V> server_pdus;
  std::vector<CloseReason> closed;
  std::function<void()> on_close;
  void on_response(TimePoint, uint8_t request, Bytes pdu) override {
    responses.emplace_back(request, V(pdu.begin(), pdu.end()));
  }
  void on_server_pdu(TimePoint, Bytes pdu) override {
    server_pdus.emplace_back(pdu.begin(), pdu.end());
  }
  void on_bearer_closed(CloseReason reason) override {
    closed.push_back(reason);
    if (on_close) on_close();
  }
};

class BearerTest : public ::testing::Test {
 protected:
  BearerTest() {
    bearer_.attach(static_cast<ServerRole*>(&server_));
    bearer_.attach(static_cast<ClientRole*>(&client_));
  }
  void rx(const V& pdu) { bearer_.on_pdu(now_, pdu); }
  // Everything the bearer sent in reply to one PDU.
  std::vector<V> reply(const V& pdu) {
    link_.sent.clear();
    rx(pdu);
    return link_.sent;
  }

  Link link_;
  Server server_;
  Client client_;
  Bearer bearer_{link_, 0x0040};
  TimePoint now_ = at_ms(1000);
};

// --- Classification (Vol 3 Part F 3.3, 3.4.8) -----------------------------------

TEST_F(BearerTest, RequestsAndCommandsGoToTheServer) {
  rx({0x0A, 0x03, 0x00});                  // Read Request
  rx({0x52, 0x14, 0x00, 0x01});            // Write Command
  rx({0xD2, 0x14, 0x00, 0x01, 0, 0, 0, 0,  // Signed Write Command:
      0, 0, 0, 0, 0, 0, 0, 0});            //   12-octet signature
  EXPECT_EQ(server_.got,
            (std::vector<V>{{0x0A, 0x03, 0x00},
                            {0x52, 0x14, 0x00, 0x01},
                            {0xD2, 0x14, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}}));
  EXPECT_TRUE(client_.server_pdus.empty());
  EXPECT_TRUE(client_.responses.empty());
}

TEST_F(BearerTest, NotificationsAndIndicationsGoToTheClient) {
  rx({0x1B, 0x10, 0x00, 0x01});                    // Handle Value Notification
  rx({0x1D, 0x10, 0x00, 0x02});                    // Handle Value Indication
  rx({0x23, 0x10, 0x00, 0x01, 0x00, 0xAA, 0x20});  // Multiple Handle Value Notification
  EXPECT_EQ(client_.server_pdus, (std::vector<V>{{0x1B, 0x10, 0x00, 0x01},
                                                 {0x1D, 0x10, 0x00, 0x02},
                                                 {0x23, 0x10, 0x00, 0x01, 0x00, 0xAA, 0x20}}));
  EXPECT_TRUE(server_.got.empty());
  // The indication is confirmed once (Handle Value Confirmation, 0x1E).
  EXPECT_EQ(bearer_.send_confirmation(), SendResult::kSent);
  EXPECT_EQ(bearer_.send_confirmation(), SendResult::kUnexpected);
  EXPECT_EQ(link_.sent, (std::vector<V>{{0x1E}}));
}

TEST_F(BearerTest, UnknownOpcodes) {
  // Without the Command Flag: a request we do not support (3.4.1.1):
  // Error Response, request opcode 0x3F, handle 0x0000, Request Not Supported.
  EXPECT_EQ(reply({0x3F, 0x01}), (std::vector<V>{{0x01, 0x3F, 0x00, 0x00, 0x06}}));
  // Opcode 0x00 too.
  EXPECT_EQ(reply({0x00}), (std::vector<V>{{0x01, 0x00, 0x00, 0x00, 0x06}}));
  // With the Command Flag (0x40): ignored (3.3).
  EXPECT_TRUE(reply({0x7F, 0x01}).empty());
  EXPECT_TRUE(reply({0xC1}).empty());
  EXPECT_TRUE(server_.got.empty());
  EXPECT_TRUE(client_.server_pdus.empty());
}

TEST_F(BearerTest, WithoutServerRequestsAreNotSupportedAndCommandsIgnored) {
  bearer_.detach(static_cast<ServerRole*>(&server_));
  EXPECT_EQ(reply({0x0A, 0x03, 0x00}), (std::vector<V>{{0x01, 0x0A, 0x00, 0x00, 0x06}}));
  EXPECT_TRUE(reply({0x52, 0x03, 0x00, 0x01}).empty());
  // Exchange MTU is the bearer's own: still answered.
  EXPECT_EQ(reply({0x02, 0x40, 0x00}), (std::vector<V>{{0x03, 0x05, 0x02}}));
  EXPECT_TRUE(server_.got.empty());
}

TEST_F(BearerTest, EmptyOversizedAndStrayPdusAreDropped) {
  rx({});
  // 24 octets at ATT_MTU 23 (attack #9): a request, a command, a notification.
  V big(24, 0x00);
  for (uint8_t op : {0x0A, 0x52, 0x1B}) {
    big[0] = op;
    EXPECT_TRUE(reply(big).empty());
  }
  // A response without a request; a malformed or unexpected confirmation.
  rx({0x0B, 0x01});
  rx({0x01, 0x0A, 0x03, 0x00, 0x01});
  rx({0x1E});
  EXPECT_TRUE(server_.got.empty());
  EXPECT_TRUE(client_.responses.empty());
  EXPECT_TRUE(client_.server_pdus.empty());
  EXPECT_TRUE(link_.sent.empty());
  EXPECT_EQ(link_.fatal, 0);
}

TEST_F(BearerTest, SendsAreCheckedAgainstTheirKind) {
  EXPECT_EQ(bearer_.send_request(now_, V{0x0B, 0x01}), SendResult::kInvalid);  // a response
  EXPECT_EQ(bearer_.send_request(now_, V{}), SendResult::kInvalid);
  EXPECT_EQ(bearer_.send_command(V{0x12, 0x03, 0x00}), SendResult::kInvalid);  // a request
  EXPECT_EQ(bearer_.send_notification(V{0x1D, 0x03, 0x00}), SendResult::kInvalid);
  EXPECT_EQ(bearer_.send_indication(now_, V{0x1B, 0x03, 0x00}), SendResult::kInvalid);
  EXPECT_EQ(bearer_.send_response(V{0x0A, 0x03, 0x00}), SendResult::kInvalid);
  // Longer than ATT_MTU (23).
  V big(24, 0x00);
  big[0] = 0x1B;
  EXPECT_EQ(bearer_.send_notification(big), SendResult::kInvalid);
  big[0] = 0x52;
  EXPECT_EQ(bearer_.send_command(big), SendResult::kInvalid);
  EXPECT_TRUE(link_.sent.empty());
  // What fits is sent as given.
  EXPECT_EQ(bearer_.send_notification(V{0x1B, 0x03, 0x00, 0x01}), SendResult::kSent);
  EXPECT_EQ(bearer_.send_command(V{0x52, 0x03, 0x00, 0x01}), SendResult::kSent);
  EXPECT_EQ(link_.sent, (std::vector<V>{{0x1B, 0x03, 0x00, 0x01}, {0x52, 0x03, 0x00, 0x01}}));
  // can_send passes the PDU length down.
  link_.room = false;
  EXPECT_FALSE(bearer_.can_send(23));
  EXPECT_EQ(link_.asked, 23u);
}

// --- One transaction each way (Vol 3 Part F 3.3.2) --------------------------

TEST_F(BearerTest, OneOutstandingRequestOfOurs) {
  EXPECT_EQ(bearer_.send_request(now_, V{0x0A, 0x03, 0x00}), SendResult::kSent);
  EXPECT_TRUE(bearer_.request_pending());
  EXPECT_EQ(bearer_.send_request(now_, V{0x0A, 0x05, 0x00}), SendResult::kBusy);
  EXPECT_EQ(link_.sent, (std::vector<V>{{0x0A, 0x03, 0x00}}));
  // An Error Response naming another request is not ours: dropped, still pending.
  rx({0x01, 0x12, 0x03, 0x00, 0x03});
  EXPECT_TRUE(client_.responses.empty());
  EXPECT_TRUE(bearer_.request_pending());
  // Any response ends it and reaches the client with the request's opcode,
  // even one of the wrong kind (the client rejects it).
  rx({0x13});
  EXPECT_EQ(client_.responses, (std::vector<std::pair<uint8_t, V>>{{0x0A, {0x13}}}));
  EXPECT_FALSE(bearer_.request_pending());
  EXPECT_EQ(bearer_.next_deadline(), kNever);
  EXPECT_EQ(bearer_.send_request(now_, V{0x0A, 0x05, 0x00}), SendResult::kSent);
  rx({0x01, 0x0A, 0x05, 0x00, 0x02});  // Read Not Permitted for it
  EXPECT_EQ(client_.responses.back(),
            (std::pair<uint8_t, V>{0x0A, {0x01, 0x0A, 0x05, 0x00, 0x02}}));
  // A response longer than ATT_MTU still ends the transaction (the client fails it).
  EXPECT_EQ(bearer_.send_request(now_, V{0x0A, 0x05, 0x00}), SendResult::kSent);
  V big(24, 0x00);
  big[0] = 0x0B;
  rx(big);
  EXPECT_EQ(client_.responses.size(), 3u);
  EXPECT_FALSE(bearer_.request_pending());
}

TEST_F(BearerTest, OneResponsePerPeerRequest) {
  EXPECT_EQ(bearer_.send_response(V{0x0B, 0x01}), SendResult::kUnexpected);
  server_.answer = [&](Bytes) {
    EXPECT_EQ(bearer_.send_response(V{0x0B, 0x01}), SendResult::kSent);
    EXPECT_EQ(bearer_.send_response(V{0x0B, 0x02}), SendResult::kUnexpected);
  };
  EXPECT_EQ(reply({0x0A, 0x03, 0x00}), (std::vector<V>{{0x0B, 0x01}}));
  // A second request before our response breaks 3.3.2 on the peer's side; it
  // is handed to the server and answered all the same.
  server_.answer = nullptr;
  rx({0x0A, 0x03, 0x00});
  server_.answer = [&](Bytes) { bearer_.send_response(V{0x0B, 0x02}); };
  EXPECT_EQ(reply({0x0A, 0x05, 0x00}), (std::vector<V>{{0x0B, 0x02}}));
  EXPECT_EQ(server_.got.size(), 3u);
}

TEST_F(BearerTest, OneOutstandingIndicationOfOurs) {
  EXPECT_EQ(bearer_.send_indication(now_, V{0x1D, 0x1A, 0x00, 0x44}), SendResult::kSent);
  EXPECT_TRUE(bearer_.indication_pending());
  EXPECT_EQ(bearer_.next_deadline(), now_ + Duration(30'000));
  EXPECT_EQ(bearer_.send_indication(now_, V{0x1D, 0x1A, 0x00, 0x45}), SendResult::kBusy);
  // Notifications need no transaction.
  EXPECT_EQ(bearer_.send_notification(V{0x1B, 0x10, 0x00, 0x01}), SendResult::kSent);
  // A two-octet "confirmation" is malformed (3.4.7.3): ignored.
  rx({0x1E, 0x00});
  EXPECT_TRUE(bearer_.indication_pending());
  rx({0x1E});
  EXPECT_FALSE(bearer_.indication_pending());
  EXPECT_EQ(bearer_.next_deadline(), kNever);
  EXPECT_TRUE(server_.got.empty());  // the bearer consumed it
  EXPECT_EQ(bearer_.send_indication(now_, V{0x1D, 0x1A, 0x00, 0x45}), SendResult::kSent);
  EXPECT_EQ(link_.sent,
            (std::vector<V>{
                {0x1D, 0x1A, 0x00, 0x44}, {0x1B, 0x10, 0x00, 0x01}, {0x1D, 0x1A, 0x00, 0x45}}));
}

// --- The 30 s transaction timeout (Vol 3 Part F 3.3.3) ------------------------

TEST_F(BearerTest, RequestTimeoutClosesTheBearer) {
  ASSERT_EQ(bearer_.send_request(now_, V{0x0A, 0x03, 0x00}), SendResult::kSent);
  EXPECT_EQ(bearer_.next_deadline(), now_ + Duration(30'000));
  bearer_.on_timeout(now_ + Duration(29'999));
  EXPECT_TRUE(bearer_.open());
  EXPECT_EQ(link_.fatal, 0);
  bearer_.on_timeout(now_ + Duration(30'000));
  EXPECT_FALSE(bearer_.open());
  EXPECT_EQ(client_.closed, (std::vector<CloseReason>{CloseReason::kRequestTimeout}));
  EXPECT_EQ(link_.fatal, 1);
  EXPECT_EQ(bearer_.next_deadline(), kNever);
  // No more ATT on this bearer, either way.
  link_.sent.clear();
  rx({0x0B, 0x01});
  rx({0x0A, 0x03, 0x00});
  rx({0x1B, 0x10, 0x00, 0x01});
  EXPECT_TRUE(client_.responses.empty());
  EXPECT_TRUE(server_.got.empty());
  EXPECT_TRUE(client_.server_pdus.empty());
  EXPECT_EQ(bearer_.send_request(now_, V{0x0A, 0x03, 0x00}), SendResult::kClosed);
  EXPECT_EQ(bearer_.send_command(V{0x52, 0x03, 0x00}), SendResult::kClosed);
  EXPECT_EQ(bearer_.send_notification(V{0x1B, 0x03, 0x00}), SendResult::kClosed);
  EXPECT_TRUE(link_.sent.empty());
  bearer_.on_timeout(now_ + Duration(90'000));
  bearer_.close();
  EXPECT_EQ(link_.fatal, 1);
  EXPECT_EQ(client_.closed.size(), 1u);
}

TEST_F(BearerTest, IndicationTimeoutClosesTheBearer) {
  ASSERT_EQ(bearer_.send_indication(now_, V{0x1D, 0x1A, 0x00, 0x44}), SendResult::kSent);
  bearer_.on_timeout(now_ + Duration(30'000));
  EXPECT_EQ(client_.closed, (std::vector<CloseReason>{CloseReason::kIndicationTimeout}));
  EXPECT_EQ(link_.fatal, 1);
  EXPECT_EQ(bearer_.send_indication(now_, V{0x1D, 0x1A, 0x00, 0x44}), SendResult::kClosed);
}

TEST_F(BearerTest, CloseIsNotFatal) {
  ASSERT_EQ(bearer_.send_request(now_, V{0x0A, 0x03, 0x00}), SendResult::kSent);
  bearer_.close();
  EXPECT_EQ(client_.closed, (std::vector<CloseReason>{CloseReason::kClosed}));
  EXPECT_EQ(link_.fatal, 0);
  EXPECT_EQ(bearer_.next_deadline(), kNever);
  bearer_.on_timeout(now_ + Duration(30'000));
  EXPECT_EQ(link_.fatal, 0);
}

TEST(BearerLifetime, ClientMayDestroyTheBearerWhenItCloses) {
  Link link;
  Client client;
  auto bearer = std::make_unique<Bearer>(link, 1);
  bearer->attach(static_cast<ClientRole*>(&client));
  client.on_close = [&] { bearer.reset(); };
  ASSERT_EQ(bearer->send_request(at_ms(0), V{0x0A, 0x03, 0x00}), SendResult::kSent);
  bearer->on_timeout(at_ms(30'000));
  EXPECT_EQ(bearer, nullptr);
  EXPECT_EQ(link.fatal, 0);  // nothing touched the destroyed bearer
}

// --- ATT_MTU (Vol 3 Part F 3.4.2) --------------------------------------------

TEST_F(BearerTest, PeerExchangeTakesTheSmallerOnce) {
  EXPECT_EQ(bearer_.mtu(), 23);
  // Request: 0x02, Client Rx MTU 0x00F7 (247). Response: 0x03, Server Rx MTU 0x0205 (517).
  EXPECT_EQ(reply({0x02, 0xF7, 0x00}), (std::vector<V>{{0x03, 0x05, 0x02}}));
  EXPECT_EQ(bearer_.mtu(), 247);
  EXPECT_TRUE(bearer_.mtu_exchanged());
  EXPECT_TRUE(server_.got.empty());
  // "Shall only be sent once": answered, ATT_MTU unchanged.
  EXPECT_EQ(reply({0x02, 0x00, 0x02}), (std::vector<V>{{0x03, 0x05, 0x02}}));
  EXPECT_EQ(bearer_.mtu(), 247);
  // Exchanged in one direction is enough for both: we send no request of ours.
  EXPECT_EQ(bearer_.send_request(now_, V{0x02, 0xF7, 0x00}), SendResult::kUnexpected);
  // PDUs up to the new ATT_MTU now pass both ways.
  V note(247, 0x01);
  note[0] = 0x1B;
  rx(note);
  EXPECT_EQ(client_.server_pdus.size(), 1u);
  EXPECT_EQ(bearer_.send_notification(note), SendResult::kSent);
}

TEST_F(BearerTest, PeerExchangeBelowDefaultOrMalformed) {
  // Client Rx MTU 5 (< 23): ATT_MTU stays 23 (3.4.2.2); the exchange is done.
  EXPECT_EQ(reply({0x02, 0x05, 0x00}), (std::vector<V>{{0x03, 0x05, 0x02}}));
  EXPECT_EQ(bearer_.mtu(), 23);
  // A two-octet request: Invalid PDU (0x04), handle 0x0000.
  Bearer other(link_, 2);
  link_.sent.clear();
  other.on_pdu(now_, V{0x02, 0x40});
  EXPECT_EQ(link_.sent, (std::vector<V>{{0x01, 0x02, 0x00, 0x00, 0x04}}));
  EXPECT_EQ(other.mtu(), 23);
  EXPECT_FALSE(other.mtu_exchanged());
}

TEST_F(BearerTest, OurExchangeAppliesOnTheResponseAndStaysSymmetric) {
  Bearer small(link_, 3, /*max_mtu=*/100);
  small.attach(static_cast<ClientRole*>(&client_));
  // More than we can receive is refused; then Client Rx MTU 0x0050 (80).
  EXPECT_EQ(small.send_request(now_, V{0x02, 0x65, 0x00}), SendResult::kInvalid);
  EXPECT_EQ(small.send_request(now_, V{0x02, 0x50, 0x00}), SendResult::kSent);
  EXPECT_EQ(small.rx_mtu(), 80);
  EXPECT_EQ(small.mtu(), 23);               // not before the response
  small.on_pdu(now_, V{0x03, 0x05, 0x02});  // Server Rx MTU 517
  EXPECT_EQ(small.mtu(), 80);
  EXPECT_EQ(client_.responses.back(), (std::pair<uint8_t, V>{0x02, {0x03, 0x05, 0x02}}));
  // Once per connection (3.4.2.1).
  EXPECT_EQ(small.send_request(now_, V{0x02, 0x50, 0x00}), SendResult::kUnexpected);
  // The peer exchanging too gets the same Rx MTU we announced (80, not 100),
  // and ATT_MTU does not change.
  link_.sent.clear();
  small.on_pdu(now_, V{0x02, 0x00, 0x02});
  EXPECT_EQ(link_.sent, (std::vector<V>{{0x03, 0x50, 0x00}}));
  EXPECT_EQ(small.mtu(), 80);
}

TEST_F(BearerTest, CrossedExchangesKeepTheFirstMtu) {
  ASSERT_EQ(bearer_.send_request(now_, V{0x02, 0xF7, 0x00}), SendResult::kSent);  // 247
  // The peer's request crosses ours: answered with 247, applied: min(247, 185).
  EXPECT_EQ(reply({0x02, 0xB9, 0x00}), (std::vector<V>{{0x03, 0xF7, 0x00}}));
  EXPECT_EQ(bearer_.mtu(), 185);
  // Our response then says 200: "the MTUs shall be the same": ATT_MTU stays.
  rx({0x03, 0xC8, 0x00});
  EXPECT_EQ(bearer_.mtu(), 185);
  EXPECT_EQ(client_.responses.size(), 1u);
}

TEST_F(BearerTest, ServerRxMtuBelowDefaultOrErrorLeavesTheDefault) {
  ASSERT_EQ(bearer_.send_request(now_, V{0x02, 0xF7, 0x00}), SendResult::kSent);
  rx({0x03, 0x10, 0x00});  // Server Rx MTU 16
  EXPECT_EQ(bearer_.mtu(), 23);

  Bearer other(link_, 2);
  ASSERT_EQ(other.send_request(now_, V{0x02, 0xF7, 0x00}), SendResult::kSent);
  other.on_pdu(now_, V{0x01, 0x02, 0x00, 0x00, 0x06});  // Request Not Supported
  EXPECT_EQ(other.mtu(), 23);
  EXPECT_FALSE(other.mtu_exchanged());
  EXPECT_TRUE(other.mtu_requested());
  // A malformed response (2 octets) ends the transaction and changes nothing.
  Bearer third(link_, 3);
  ASSERT_EQ(third.send_request(now_, V{0x02, 0xF7, 0x00}), SendResult::kSent);
  third.on_pdu(now_, V{0x03, 0x40});
  EXPECT_EQ(third.mtu(), 23);
  EXPECT_FALSE(third.request_pending());
}

}  // namespace
}  // namespace sable::att
