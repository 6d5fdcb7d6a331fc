// LeLink: B-frame routing, LE signaling channel behaviour (Core 5.4 Vol 3
// Part A 4) and the peripheral's Connection Parameter Update procedure.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/log.hpp"
#include "l2cap/le_link.hpp"
#include "support/test_time.hpp"

namespace sable::l2cap {
namespace {

using sable::testing::at_ms;
using Pdu = std::vector<uint8_t>;

std::vector<std::string>& logs() {
  static std::vector<std::string> lines;
  return lines;
}
void capture_log(LogLevel, const char* message) {
  logs().emplace_back(message);
}

class FakeDelegate : public LinkDelegate {
 public:
  void send_pdu(Bytes pdu) override { sent.emplace_back(pdu.begin(), pdu.end()); }
  void on_att_sdu(Bytes sdu) override { att.emplace_back(sdu.begin(), sdu.end()); }
  void on_smp_sdu(Bytes sdu) override { smp.emplace_back(sdu.begin(), sdu.end()); }
  bool on_connection_parameter_update_request(const ConnectionParameters& p) override {
    param_requests.push_back(p);
    return accept;
  }
  void on_connection_parameter_update_result(ConnectionParameterUpdateResult r) override {
    results.push_back(r);
    if (on_result) on_result();
  }

  std::vector<Pdu> sent, att, smp;
  std::vector<ConnectionParameters> param_requests;
  std::vector<ConnectionParameterUpdateResult> results;
  bool accept = true;
  void (*on_result)() = nullptr;
};

// An ATT Read Request and an SMP Pairing Request, used to check that routing
// still works after bad input.
const Pdu kAttRead = {
    0x03, 0x00,  // Length 3
    0x04, 0x00,  // CID 0x0004 ATT
    0x0A,        // ATT_READ_REQ
    0x03, 0x00,  // handle 0x0003
};
const Pdu kSmpPairingRequest = {
    0x07, 0x00,  // Length 7
    0x06, 0x00,  // CID 0x0006 SMP
    0x01,        // Pairing Request
    0x03,        // IO capability NoInputNoOutput
    0x00,        // OOB not present
    0x0D,        // AuthReq bonding | MITM | SC
    0x10,        // max key size 16
    0x0F, 0x0F,  // key distribution
};

constexpr TimePoint kT0 = at_ms(1'000);

class LeLinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    logs().clear();
    set_log_sink(capture_log);
    set_log_level(LogLevel::kDebug);
  }
  void TearDown() override { set_log_sink(nullptr); }

  void receive(LeLink& link, const Pdu& pdu, TimePoint now = kT0) { link.on_pdu(now, pdu); }

  // Routing to ATT and SMP works and nothing is sent in reply.
  void expect_routing_works(LeLink& link) {
    const size_t att_before = d.att.size(), smp_before = d.smp.size(), sent = d.sent.size();
    receive(link, kAttRead);
    receive(link, kSmpPairingRequest);
    ASSERT_EQ(d.att.size(), att_before + 1);
    EXPECT_EQ(d.att.back(), Pdu(kAttRead.begin() + 4, kAttRead.end()));
    ASSERT_EQ(d.smp.size(), smp_before + 1);
    EXPECT_EQ(d.smp.back(), Pdu(kSmpPairingRequest.begin() + 4, kSmpPairingRequest.end()));
    EXPECT_EQ(d.sent.size(), sent);
  }

  // The input is dropped: nothing sent, nothing delivered, a log line written.
  void expect_dropped(LeLink& link, const Pdu& pdu) {
    const size_t logged = logs().size(), sent = d.sent.size(), att = d.att.size(),
                 smp = d.smp.size(), requests = d.param_requests.size(), results = d.results.size();
    receive(link, pdu);
    EXPECT_EQ(d.sent.size(), sent);
    EXPECT_EQ(d.att.size(), att);
    EXPECT_EQ(d.smp.size(), smp);
    EXPECT_EQ(d.param_requests.size(), requests);
    EXPECT_EQ(d.results.size(), results);
    EXPECT_GT(logs().size(), logged);
  }

  // The input gets exactly one reply, `expected`.
  void expect_reply(LeLink& link, const Pdu& pdu, const Pdu& expected) {
    d.sent.clear();
    receive(link, pdu);
    ASSERT_EQ(d.sent.size(), 1u);
    EXPECT_EQ(d.sent[0], expected);
    d.sent.clear();
  }

  FakeDelegate d;
  LeLink central{Role::kCentral, d};
  LeLink peripheral{Role::kPeripheral, d};
};

// Parameters 24..40, latency 0, timeout 400, sent in a request with id `id`.
Pdu update_request(uint8_t id) {
  return {
      0x0C, 0x00,  // Length 12
      0x05, 0x00,  // CID 0x0005 LE signaling
      0x12,        // Connection Parameter Update Request
      id,          // Identifier
      0x08, 0x00,  // Length 8
      0x18, 0x00,  // interval min 24
      0x28, 0x00,  // interval max 40
      0x00, 0x00,  // latency 0
      0x90, 0x01,  // timeout 400
  };
}
Pdu update_response(uint8_t id, uint16_t result) {
  return {
      0x06,
      0x00,  // Length 6
      0x05,
      0x00,  // CID 0x0005
      0x13,  // Connection Parameter Update Response
      id,    // Identifier
      0x02,
      0x00,  // Length 2
      uint8_t(result),
      uint8_t(result >> 8),  // Result
  };
}
Pdu command_reject_not_understood(uint8_t id) {
  return {
      0x06, 0x00,  // Length 6
      0x05, 0x00,  // CID 0x0005
      0x01,        // Command Reject
      id,          // Identifier of the rejected command
      0x02, 0x00,  // Length 2
      0x00, 0x00,  // Reason: Command not understood
  };
}
constexpr ConnectionParameters kParams{24, 40, 0, 400};

// --- B-frame routing -------------------------------------------------------

TEST_F(LeLinkTest, RoutesAttAndSmp) {
  expect_routing_works(central);
}

TEST_F(LeLinkTest, DeliversLargestAttSduAndDropsLarger) {
  Pdu pdu = {0x05, 0x02, 0x04, 0x00};  // Length 517, CID 0x0004
  pdu.resize(4 + 517, 0xAB);
  receive(central, pdu);
  ASSERT_EQ(d.att.size(), 1u);
  EXPECT_EQ(d.att[0].size(), 517u);
  d.att.clear();
  Pdu big = {0x06, 0x02, 0x04, 0x00};  // Length 518, CID 0x0004
  big.resize(4 + 518, 0xAB);
  expect_dropped(central, big);
  expect_routing_works(central);
}

TEST_F(LeLinkTest, DeliversSmpUpTo65AndDropsLarger) {
  Pdu pdu = {0x41, 0x00, 0x06, 0x00};  // Length 65, CID 0x0006
  pdu.resize(4 + 65, 0x0C);
  receive(peripheral, pdu);
  ASSERT_EQ(d.smp.size(), 1u);
  EXPECT_EQ(d.smp[0].size(), 65u);
  d.smp.clear();
  Pdu big = {0x42, 0x00, 0x06, 0x00};  // Length 66, CID 0x0006
  big.resize(4 + 66, 0x0C);
  expect_dropped(peripheral, big);
  expect_routing_works(peripheral);
}

TEST_F(LeLinkTest, DropsTruncatedAndOverlongBFrames) {
  expect_dropped(central, {});                        // nothing at all
  expect_dropped(central, {0x03, 0x00, 0x04});        // 3 of 4 header octets
  expect_dropped(central, {0xFF, 0xFF, 0x04, 0x00,    // Length 65535, CID 4
                           0x0A, 0x03, 0x00});        // but 3 octets present
  expect_dropped(central, {0x04, 0x00, 0x04, 0x00,    // Length 4, CID 4
                           0x0A, 0x03, 0x00});        // 3 octets: truncated
  expect_dropped(central, {0x02, 0x00, 0x04, 0x00,    // Length 2, CID 4
                           0x0A, 0x03, 0x00});        // 3 octets: overlong
  expect_dropped(central, {0x08, 0x00, 0x05, 0x00,    // Length 8, CID 5
                           0x12, 0x01, 0x08, 0x00});  // signaling, truncated B-frame
  expect_routing_works(central);
}

TEST_F(LeLinkTest, DropsFramesForChannelsThatDoNotExist) {
  // Null, BR/EDR signaling, connectionless, AMP manager, BR/EDR SMP,
  // last fixed, first and last LE dynamic, top of range.
  for (uint16_t cid : {0x0000, 0x0001, 0x0002, 0x0003, 0x0007, 0x003F, 0x0040, 0x007F, 0xFFFF}) {
    expect_dropped(central, {0x03, 0x00,                       // Length 3
                             uint8_t(cid), uint8_t(cid >> 8),  // CID
                             0x0A, 0x03, 0x00});
  }
  // An Information Request on the BR/EDR signaling channel gets no answer.
  expect_dropped(peripheral, {0x06, 0x00,    // Length 6
                              0x01, 0x00,    // CID 0x0001
                              0x0A,          // Information Request
                              0x01,          // Identifier
                              0x02, 0x00,    // Length 2
                              0x02, 0x00});  // InfoType: extended features
  expect_routing_works(central);
}

TEST_F(LeLinkTest, SendsAttAndSmpAsBFrames) {
  const uint8_t att[] = {0x0B, 0x48, 0x69};  // ATT_READ_RSP "Hi"
  EXPECT_TRUE(peripheral.send_att(att));
  const uint8_t smp[] = {0x05, 0x08};  // Pairing Failed, Unspecified Reason
  EXPECT_TRUE(peripheral.send_smp(smp));
  ASSERT_EQ(d.sent.size(), 2u);
  EXPECT_EQ(d.sent[0], (Pdu{0x03, 0x00,           // Length 3
                            0x04, 0x00,           // CID 0x0004
                            0x0B, 0x48, 0x69}));  // SDU
  EXPECT_EQ(d.sent[1], (Pdu{0x02, 0x00,           // Length 2
                            0x06, 0x00,           // CID 0x0006
                            0x05, 0x08}));        // SDU
}

TEST_F(LeLinkTest, RefusesToSendOversizeSdus) {
  std::vector<uint8_t> att(517, 0x01);
  EXPECT_TRUE(peripheral.send_att(att));
  ASSERT_EQ(d.sent.size(), 1u);
  EXPECT_EQ(d.sent[0].size(), 4u + 517u);
  EXPECT_EQ(d.sent[0][0], 0x05);  // Length 517 low
  EXPECT_EQ(d.sent[0][1], 0x02);  // Length 517 high
  att.push_back(0x01);
  EXPECT_FALSE(peripheral.send_att(att));
  std::vector<uint8_t> smp(65, 0x02);
  EXPECT_TRUE(peripheral.send_smp(smp));
  smp.push_back(0x02);
  EXPECT_FALSE(peripheral.send_smp(smp));
  EXPECT_EQ(d.sent.size(), 2u);
}

// --- LE signaling: framing --------------------------------------------------

TEST_F(LeLinkTest, DropsCommandWithZeroIdentifier) {
  expect_dropped(central, update_request(0x00));
  expect_dropped(central, {0x04, 0x00, 0x05, 0x00,  // Length 4, CID 5
                           0x0A,                    // Information Request (BR/EDR only)
                           0x00,                    // Identifier 0
                           0x00, 0x00});            // Length 0
  expect_routing_works(central);
}

TEST_F(LeLinkTest, DropsCFrameShorterThanCommandHeader) {
  expect_dropped(central, {0x00, 0x00, 0x05, 0x00});  // empty C-frame
  expect_dropped(central, {0x03, 0x00, 0x05, 0x00,    // Length 3, CID 5
                           0x12, 0x01, 0x08});        // 3 header octets
  expect_routing_works(central);
}

TEST_F(LeLinkTest, RejectsTwoCommandsInOneCFrame) {
  const Pdu two = {
      0x14, 0x00,              // Length 20
      0x05, 0x00,              // CID 0x0005
      0x12, 0x21, 0x08, 0x00,  // Conn Param Update Request, id 0x21, Length 8
      0x18, 0x00, 0x28, 0x00,  // interval 24..40
      0x00, 0x00, 0x90, 0x01,  // latency 0, timeout 400
      0x06, 0x22, 0x04, 0x00,  // Disconnection Request, id 0x22, Length 4
      0x40, 0x00, 0x41, 0x00,  // DCID 0x0040, SCID 0x0041
  };
  // One reject, for the first command; neither command is acted on.
  expect_reply(central, two, command_reject_not_understood(0x21));
  EXPECT_TRUE(d.param_requests.empty());
  expect_routing_works(central);
}

TEST_F(LeLinkTest, RejectsTruncatedCommand) {
  const Pdu truncated = {
      0x0A, 0x00,              // Length 10
      0x05, 0x00,              // CID 0x0005
      0x12, 0x31, 0x08, 0x00,  // Conn Param Update Request, id 0x31, Length 8
      0x18, 0x00, 0x28, 0x00,  // only 6 of 8 data octets
      0x00, 0x00,
  };
  expect_reply(central, truncated, command_reject_not_understood(0x31));
  EXPECT_TRUE(d.param_requests.empty());
  expect_routing_works(central);
}

TEST_F(LeLinkTest, RejectsCFrameOverSignalingMtu) {
  Pdu big = {
      0x18, 0x00,  // Length 24
      0x05, 0x00,  // CID 0x0005
      0x14,        // LE Credit Based Connection Request
      0x41,        // Identifier
      0x14, 0x00,  // Length 20 (C-frame 24 > MTUsig 23)
  };
  big.resize(4 + 24, 0x00);
  expect_reply(central, big,
               {
                   0x08, 0x00,  // Length 8
                   0x05, 0x00,  // CID 0x0005
                   0x01,        // Command Reject
                   0x41,        // Identifier of the rejected command
                   0x04, 0x00,  // Length 4
                   0x01, 0x00,  // Reason: Signaling MTU exceeded
                   0x17, 0x00,  // Actual MTUsig 23
               });
  expect_routing_works(central);
}

TEST_F(LeLinkTest, CFrameOfExactlyMtuIsNotMtuRejected) {
  Pdu at_mtu = {
      0x17, 0x00,  // Length 23
      0x05, 0x00,  // CID 0x0005
      0x20,        // unknown code
      0x42,        // Identifier
      0x13, 0x00,  // Length 19 (C-frame 23 == MTUsig)
  };
  at_mtu.resize(4 + 23, 0x00);
  expect_reply(central, at_mtu, command_reject_not_understood(0x42));
}

TEST_F(LeLinkTest, DiscardsOversizeResponseSilently) {
  Pdu big = {
      0x18, 0x00,  // Length 24
      0x05, 0x00,  // CID 0x0005
      0x13,        // Connection Parameter Update Response
      0x01,        // Identifier
      0x14, 0x00,  // Length 20
  };
  big.resize(4 + 24, 0x00);
  expect_dropped(peripheral, big);
  Pdu reject = big;
  reject[4] = 0x01;  // Command Reject: never answered with a Command Reject
  expect_dropped(peripheral, reject);
  expect_routing_works(peripheral);
}

TEST_F(LeLinkTest, RejectsEveryBrEdrOnlyAndUnknownCode) {
  for (LeLink* link : {&central, &peripheral}) {
    uint8_t id = 0x50;
    for (int code : {0x02, 0x03, 0x04, 0x05, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10,
                     0x11, 0x00, 0x1B, 0x1C, 0x80, 0xFF}) {
      ++id;
      expect_reply(*link,
                   {
                       0x06, 0x00,     // Length 6
                       0x05, 0x00,     // CID 0x0005
                       uint8_t(code),  // Code
                       id,             // Identifier
                       0x02, 0x00,     // Length 2
                       0x02, 0x00,     // e.g. InfoType / PSM
                   },
                   command_reject_not_understood(id));
    }
    expect_routing_works(*link);
  }
}

TEST_F(LeLinkTest, RejectsKnownRequestsWithWrongLength) {
  struct Bad {
    uint8_t code;
    uint8_t data_len;
  };
  const Bad bad[] = {
      {0x06, 3}, {0x06, 5},               // Disconnection Request: 4
      {0x12, 7}, {0x12, 9},               // Conn Param Update Request: 8
      {0x14, 9}, {0x14, 11},              // LE Credit Based Connection Request: 10
      {0x16, 3}, {0x16, 5},               // Flow Control Credit Ind: 4
      {0x17, 8}, {0x17, 9},  {0x17, 11},  // Credit Based Connection Request: 8+2n
      {0x19, 4}, {0x19, 7},               // Credit Based Reconfigure Request: 4+2n
  };
  uint8_t id = 0x60;
  for (const Bad& b : bad) {
    ++id;
    Pdu pdu = {
        uint8_t(4 + b.data_len),
        0x00,  // Length
        0x05,
        0x00,    // CID 0x0005
        b.code,  // Code
        id,      // Identifier
        b.data_len,
        0x00,  // Length
    };
    pdu.resize(8 + b.data_len, 0x00);
    expect_reply(central, pdu, command_reject_not_understood(id));
  }
  EXPECT_TRUE(d.param_requests.empty());
  expect_routing_works(central);
}

TEST_F(LeLinkTest, DropsMalformedResponses) {
  ASSERT_TRUE(peripheral.request_connection_parameter_update(kT0, kParams));
  // Response with id 1 (pending) but 3 data octets: discarded, still pending.
  expect_dropped(peripheral, {0x07, 0x00, 0x05, 0x00,  // Length 7, CID 5
                              0x13, 0x01, 0x03, 0x00,  // CPU Response, id 1, Length 3
                              0x00, 0x00, 0x00});
  // Command Reject with 1 data octet: discarded.
  expect_dropped(peripheral, {0x05, 0x00, 0x05, 0x00,  // Length 5, CID 5
                              0x01, 0x01, 0x01, 0x00,  // Command Reject, id 1, Length 1
                              0x00});
  EXPECT_TRUE(d.results.empty());
  EXPECT_EQ(peripheral.next_deadline(), kT0 + LeLink::kRtxTimeout);
  receive(peripheral, update_response(0x01, 0x0000));
  EXPECT_EQ(d.results, std::vector{ConnectionParameterUpdateResult::kAccepted});
}

// --- Connection Parameter Update: central -----------------------------------

TEST_F(LeLinkTest, CentralAcceptsValidParametersTheDelegateAccepts) {
  expect_reply(central, update_request(0x77), update_response(0x77, 0x0000));
  ASSERT_EQ(d.param_requests.size(), 1u);
  EXPECT_EQ(d.param_requests[0], kParams);
}

TEST_F(LeLinkTest, CentralRejectsWhenTheDelegateRefuses) {
  d.accept = false;
  expect_reply(central, update_request(0x78), update_response(0x78, 0x0001));
  EXPECT_EQ(d.param_requests.size(), 1u);
}

TEST_F(LeLinkTest, CentralRejectsOutOfRangeParametersWithoutAskingTheDelegate) {
  const ConnectionParameters invalid[] = {
      {5, 40, 0, 400},      // interval_min < 6
      {24, 3201, 0, 400},   // interval_max > 3200
      {40, 24, 0, 400},     // max < min
      {24, 40, 500, 3200},  // latency > 499
      {24, 40, 0, 9},       // timeout < 10
      {24, 40, 0, 3201},    // timeout > 3200
      {24, 40, 3, 40},      // 40*4 = 160 <= (1+3)*40
  };
  uint8_t id = 0x80;
  for (const ConnectionParameters& p : invalid) {
    ++id;
    const Pdu req = {
        0x0C,
        0x00,  // Length 12
        0x05,
        0x00,  // CID 0x0005
        0x12,
        id,
        0x08,
        0x00,  // CPU Request
        uint8_t(p.interval_min),
        uint8_t(p.interval_min >> 8),  // interval min
        uint8_t(p.interval_max),
        uint8_t(p.interval_max >> 8),  // interval max
        uint8_t(p.peripheral_latency),
        uint8_t(p.peripheral_latency >> 8),  // latency
        uint8_t(p.supervision_timeout),
        uint8_t(p.supervision_timeout >> 8),  // timeout
    };
    expect_reply(central, req, update_response(id, 0x0001));
  }
  EXPECT_TRUE(d.param_requests.empty());
}

TEST_F(LeLinkTest, CentralIgnoresUnsolicitedUpdateResponse) {
  expect_dropped(central, update_response(0x01, 0x0000));
  expect_routing_works(central);
}

TEST_F(LeLinkTest, CentralCannotRequestParameterUpdate) {
  auto r = central.request_connection_parameter_update(kT0, kParams);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), ConnectionParameterUpdateError::kNotPeripheral);
  EXPECT_TRUE(d.sent.empty());
  EXPECT_EQ(central.next_deadline(), kNever);
}

// --- Connection Parameter Update: peripheral --------------------------------

TEST_F(LeLinkTest, PeripheralRejectsUpdateRequestWithCommandReject) {
  expect_reply(peripheral, update_request(0x09), command_reject_not_understood(0x09));
  EXPECT_TRUE(d.param_requests.empty());
  expect_routing_works(peripheral);
}

TEST_F(LeLinkTest, PeripheralSendsRequestAndHandlesAcceptance) {
  ASSERT_TRUE(peripheral.request_connection_parameter_update(kT0, kParams));
  ASSERT_EQ(d.sent.size(), 1u);
  EXPECT_EQ(d.sent[0], update_request(0x01));  // first identifier is 1
  EXPECT_EQ(peripheral.next_deadline(), kT0 + Duration(30'000));
  receive(peripheral, update_response(0x01, 0x0000));
  EXPECT_EQ(d.results, std::vector{ConnectionParameterUpdateResult::kAccepted});
  EXPECT_EQ(peripheral.next_deadline(), kNever);
  EXPECT_EQ(d.sent.size(), 1u);  // nothing sent in reply to the response
}

TEST_F(LeLinkTest, PeripheralHandlesRejectionAndUsesFreshIdentifiers) {
  ASSERT_TRUE(peripheral.request_connection_parameter_update(kT0, kParams));
  receive(peripheral, update_response(0x01, 0x0001));
  ASSERT_TRUE(peripheral.request_connection_parameter_update(kT0, kParams));
  receive(peripheral, update_response(0x02, 0x0005));  // reserved result: rejected
  ASSERT_EQ(d.sent.size(), 2u);
  EXPECT_EQ(d.sent[0], update_request(0x01));
  EXPECT_EQ(d.sent[1], update_request(0x02));
  EXPECT_EQ(d.results, (std::vector{ConnectionParameterUpdateResult::kRejected,
                                    ConnectionParameterUpdateResult::kRejected}));
}

TEST_F(LeLinkTest, PeripheralAllowsOneRequestAtATimeAndChecksRanges) {
  auto invalid = peripheral.request_connection_parameter_update(kT0, {24, 40, 0, 9});
  ASSERT_FALSE(invalid);
  EXPECT_EQ(invalid.error(), ConnectionParameterUpdateError::kInvalidParameters);
  EXPECT_TRUE(d.sent.empty());
  ASSERT_TRUE(peripheral.request_connection_parameter_update(kT0, kParams));
  auto again = peripheral.request_connection_parameter_update(kT0, kParams);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error(), ConnectionParameterUpdateError::kRequestPending);
  EXPECT_EQ(d.sent.size(), 1u);
}

TEST_F(LeLinkTest, PeripheralIgnoresResponsesWithOtherIdentifiers) {
  expect_dropped(peripheral, update_response(0x01, 0x0000));  // nothing pending
  ASSERT_TRUE(peripheral.request_connection_parameter_update(kT0, kParams));
  d.sent.clear();
  receive(peripheral, update_response(0x02, 0x0000));  // wrong identifier
  receive(peripheral, command_reject_not_understood(0x07));
  EXPECT_TRUE(d.results.empty());
  EXPECT_TRUE(d.sent.empty());
  EXPECT_EQ(peripheral.next_deadline(), kT0 + LeLink::kRtxTimeout);
  receive(peripheral, update_response(0x01, 0x0000));
  EXPECT_EQ(d.results, std::vector{ConnectionParameterUpdateResult::kAccepted});
}

TEST_F(LeLinkTest, PeripheralTreatsMatchingCommandRejectAsRejection) {
  ASSERT_TRUE(peripheral.request_connection_parameter_update(kT0, kParams));
  receive(peripheral, command_reject_not_understood(0x01));
  EXPECT_EQ(d.results, std::vector{ConnectionParameterUpdateResult::kRejected});
  EXPECT_EQ(peripheral.next_deadline(), kNever);
  EXPECT_EQ(d.sent.size(), 1u);  // a reject is never answered
}

TEST_F(LeLinkTest, PeripheralTimesOutAfterRtx) {
  EXPECT_EQ(peripheral.next_deadline(), kNever);
  ASSERT_TRUE(peripheral.request_connection_parameter_update(kT0, kParams));
  const TimePoint deadline = peripheral.next_deadline();
  EXPECT_EQ(deadline, kT0 + Duration(30'000));
  peripheral.on_timeout(deadline - Duration(1));
  EXPECT_TRUE(d.results.empty());
  peripheral.on_timeout(deadline);
  EXPECT_EQ(d.results, std::vector{ConnectionParameterUpdateResult::kTimedOut});
  EXPECT_EQ(peripheral.next_deadline(), kNever);
  // A late answer is discarded; a second timeout reports nothing.
  receive(peripheral, update_response(0x01, 0x0000));
  peripheral.on_timeout(deadline + Duration(60'000));
  EXPECT_EQ(d.results.size(), 1u);
  // The next request uses a new identifier.
  ASSERT_TRUE(peripheral.request_connection_parameter_update(deadline, kParams));
  EXPECT_EQ(d.sent.back(), update_request(0x02));
  EXPECT_EQ(peripheral.next_deadline(), deadline + Duration(30'000));
}

TEST_F(LeLinkTest, IdentifierWrapsSkippingZero) {
  for (int i = 1; i <= 255; ++i) {
    ASSERT_TRUE(peripheral.request_connection_parameter_update(kT0, kParams));
    EXPECT_EQ(d.sent.back()[5], uint8_t(i));
    receive(peripheral, update_response(uint8_t(i), 0x0000));
  }
  ASSERT_TRUE(peripheral.request_connection_parameter_update(kT0, kParams));
  EXPECT_EQ(d.sent.back(), update_request(0x01));
  EXPECT_EQ(d.results.size(), 255u);
}

LeLink* g_reentrant_link = nullptr;

TEST_F(LeLinkTest, DelegateMayRequestAgainFromResultCallback) {
  g_reentrant_link = &peripheral;
  ASSERT_TRUE(peripheral.request_connection_parameter_update(kT0, kParams));
  d.on_result = [] {
    EXPECT_TRUE(g_reentrant_link->request_connection_parameter_update(kT0, kParams));
  };
  receive(peripheral, command_reject_not_understood(0x01));  // triggers the re-request
  ASSERT_EQ(d.sent.size(), 2u);
  EXPECT_EQ(d.sent[1], update_request(0x02));
  EXPECT_EQ(peripheral.next_deadline(), kT0 + LeLink::kRtxTimeout);
}

// --- Credit based channels are not offered ---------------------------------

TEST_F(LeLinkTest, RefusesLeCreditBasedConnection) {
  expect_reply(central,
               {
                   0x0E, 0x00,  // Length 14
                   0x05, 0x00,  // CID 0x0005
                   0x14,        // LE Credit Based Connection Request
                   0x0A,        // Identifier
                   0x0A, 0x00,  // Length 10
                   0x80, 0x00,  // SPSM 0x0080
                   0x40, 0x00,  // Source CID 0x0040
                   0x00, 0x02,  // MTU 512
                   0xF7, 0x00,  // MPS 247
                   0x0A, 0x00,  // Initial credits 10
               },
               {
                   0x0E, 0x00,  // Length 14
                   0x05, 0x00,  // CID 0x0005
                   0x15,        // LE Credit Based Connection Response
                   0x0A,        // Identifier
                   0x0A, 0x00,  // Length 10
                   0x00, 0x00,  // Destination CID: none
                   0x00, 0x00,  // MTU
                   0x00, 0x00,  // MPS
                   0x00, 0x00,  // Initial credits
                   0x02, 0x00,  // Result: SPSM not supported
               });
  expect_routing_works(central);
}

TEST_F(LeLinkTest, RefusesCreditBasedConnectionPerRequestedChannel) {
  expect_reply(peripheral,
               {
                   0x10, 0x00,  // Length 16
                   0x05, 0x00,  // CID 0x0005
                   0x17,        // Credit Based Connection Request
                   0x0B,        // Identifier
                   0x0C, 0x00,  // Length 12
                   0x27, 0x00,  // SPSM 0x0027 (EATT)
                   0x00, 0x02,  // MTU 512
                   0x40, 0x00,  // MPS 64
                   0x05, 0x00,  // Initial credits 5
                   0x40, 0x00,  // Source CID 0x0040
                   0x41, 0x00,  // Source CID 0x0041
               },
               {
                   0x10, 0x00,  // Length 16
                   0x05, 0x00,  // CID 0x0005
                   0x18,        // Credit Based Connection Response
                   0x0B,        // Identifier
                   0x0C, 0x00,  // Length 12
                   0x00, 0x00,  // MTU
                   0x00, 0x00,  // MPS
                   0x00, 0x00,  // Initial credits
                   0x02, 0x00,  // Result: all refused, SPSM not supported
                   0x00, 0x00,  // Destination CID 1: refused
                   0x00, 0x00,  // Destination CID 2: refused
               });
  expect_routing_works(peripheral);
}

TEST_F(LeLinkTest, RefusesCreditBasedReconfigure) {
  expect_reply(central,
               {
                   0x0A, 0x00,  // Length 10
                   0x05, 0x00,  // CID 0x0005
                   0x19,        // Credit Based Reconfigure Request
                   0x0C,        // Identifier
                   0x06, 0x00,  // Length 6
                   0x00, 0x02,  // MTU 512
                   0x40, 0x00,  // MPS 64
                   0x40, 0x00,  // Destination CID 0x0040
               },
               {
                   0x06, 0x00,  // Length 6
                   0x05, 0x00,  // CID 0x0005
                   0x1A,        // Credit Based Reconfigure Response
                   0x0C,        // Identifier
                   0x02, 0x00,  // Length 2
                   0x03, 0x00,  // Result: Destination CID invalid
               });
}

TEST_F(LeLinkTest, RejectsDisconnectionRequestForUnknownCid) {
  expect_reply(peripheral,
               {
                   0x08, 0x00,  // Length 8
                   0x05, 0x00,  // CID 0x0005
                   0x06,        // Disconnection Request
                   0x0D,        // Identifier
                   0x04, 0x00,  // Length 4
                   0x40, 0x00,  // DCID 0x0040 (our side)
                   0x52, 0x00,  // SCID 0x0052 (their side)
               },
               {
                   0x0A, 0x00,  // Length 10
                   0x05, 0x00,  // CID 0x0005
                   0x01,        // Command Reject
                   0x0D,        // Identifier
                   0x06, 0x00,  // Length 6
                   0x02, 0x00,  // Reason: Invalid CID in request
                   0x40, 0x00,  // local endpoint: the request's DCID
                   0x52, 0x00,  // remote endpoint: the request's SCID
               });
  expect_routing_works(peripheral);
}

TEST_F(LeLinkTest, IgnoresCreditIndAndUnsolicitedResponses) {
  const Pdu inputs[] = {
      {0x08, 0x00, 0x05, 0x00,   // Length 8, CID 5
       0x16, 0x0E, 0x04, 0x00,   // Flow Control Credit Ind, id 0x0E, Length 4
       0x40, 0x00, 0x05, 0x00},  // CID 0x0040, credits 5
      {0x08, 0x00, 0x05, 0x00,   // Length 8, CID 5
       0x07, 0x0F, 0x04, 0x00,   // Disconnection Response, id 0x0F, Length 4
       0x40, 0x00, 0x41, 0x00},  // DCID, SCID
      {0x0E, 0x00, 0x05, 0x00,   // Length 14, CID 5
       0x15, 0x10, 0x0A, 0x00,   // LE Credit Based Connection Response, Length 10
       0x40, 0x00, 0x17, 0x00, 0x17, 0x00, 0x01, 0x00, 0x00, 0x00},
      {0x0E, 0x00, 0x05, 0x00,  // Length 14, CID 5
       0x18, 0x11, 0x0A, 0x00,  // Credit Based Connection Response, Length 10
       0x17, 0x00, 0x17, 0x00, 0x01, 0x00, 0x00, 0x00, 0x40, 0x00},
      {0x06, 0x00, 0x05, 0x00,  // Length 6, CID 5
       0x1A, 0x12, 0x02, 0x00,  // Credit Based Reconfigure Response, Length 2
       0x00, 0x00},             // Result
      command_reject_not_understood(0x13),
  };
  for (LeLink* link : {&central, &peripheral}) {
    for (const Pdu& in : inputs) expect_dropped(*link, in);
    expect_routing_works(*link);
  }
  EXPECT_TRUE(d.results.empty());
}

// Deterministic pseudo-random C-frames: every reply is a well-formed LE
// signaling B-frame within MTUsig, and the link keeps routing and answering.
TEST_F(LeLinkTest, SurvivesSignalingNoise) {
  set_log_sink(nullptr);
  uint32_t seed = 12345;
  auto next = [&seed] {
    seed = seed * 1103515245u + 12345u;
    return uint8_t(seed >> 16);
  };
  for (LeLink* link : {&central, &peripheral}) {
    for (int i = 0; i < 20000; ++i) {
      const size_t n = next() % 30;
      Pdu pdu = {uint8_t(n), 0x00, 0x05, 0x00};
      for (size_t k = 0; k < n; ++k) pdu.push_back(next());
      if (n >= 4 && (i & 1)) {  // half of them with a consistent command length
        pdu[6] = uint8_t(n - 4);
        pdu[7] = 0;
      }
      link->on_pdu(kT0, pdu);
    }
    for (const Pdu& out : d.sent) {
      ASSERT_GE(out.size(), 8u);
      EXPECT_LE(out.size(), 4u + 23u);
      EXPECT_EQ(get_le16(&out[0]), out.size() - 4);  // B-frame length
      EXPECT_EQ(get_le16(&out[2]), 0x0005);          // CID
      EXPECT_EQ(get_le16(&out[6]), out.size() - 8);  // command length
      EXPECT_NE(out[5], 0x00);                       // identifier
    }
    d.sent.clear();
    d.results.clear();
    d.param_requests.clear();
    expect_routing_works(*link);
  }
  expect_reply(central, update_request(0x99), update_response(0x99, 0x0000));
}

}  // namespace
}  // namespace sable::l2cap
