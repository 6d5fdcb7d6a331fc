// Notifications, indications and CCCD state (Core 5.4 Vol 3 Part G 3.3.3.3,
// 4.10, 4.11; Part F 3.4.7; GATT/SR/GAN/BV-01-C, GAI/BV-01-C).
#include <gtest/gtest.h>

#include "test_db.hpp"

namespace sable::gatt::testing {
namespace {

const V kCounter = {0x2A};

TEST_F(ServerTest, NotifyResults) {
  // Characteristic without Notify/Indicate (FFF1) and a non-value handle: no CCCD.
  EXPECT_EQ(server_.notify(h::kOpen, kCounter), ValueSendResult::kNoCccd);
  EXPECT_EQ(server_.notify(0x0999, kCounter), ValueSendResult::kNoCccd);
  // Notify on an indicate-only characteristic.
  EXPECT_EQ(server_.notify(h::kIndicate, kCounter), ValueSendResult::kNoCccd);
  // The reference characteristic before any subscription.
  EXPECT_EQ(server_.notify(h::kRefValue, kCounter), ValueSendResult::kNotSubscribed);
  EXPECT_TRUE(delegate_.sent.empty());

  // Subscribe on a secure link: Write Request CCCD 0x0011 = 0x0001 -> Write Response.
  server_.set_link_security(link::kScMitm);
  EXPECT_EQ(request({0x12, 0x11, 0x00, 0x01, 0x00}), (V{0x13}));
  ASSERT_EQ(hooks_.subscriptions.size(), 1u);
  EXPECT_EQ(hooks_.subscriptions[0], (std::pair<uint16_t, uint16_t>{kConn, 0x0001}));

  // Sent: Handle Value Notification (0x1B), handle 0x0010, value 0x2A.
  delegate_.sent.clear();
  EXPECT_EQ(server_.notify(h::kRefValue, kCounter), ValueSendResult::kSent);
  ASSERT_EQ(delegate_.sent.size(), 1u);
  EXPECT_EQ(delegate_.sent[0], (V{0x1B, 0x10, 0x00, 0x2A}));

  // The link is no longer good enough (e.g. a bonded reconnection not yet encrypted):
  // the value is withheld.
  delegate_.sent.clear();
  server_.set_link_security(link::kUnencryptedBonded);
  EXPECT_EQ(server_.notify(h::kRefValue, kCounter), ValueSendResult::kLinkNotSecure);
  server_.set_link_security(link::kJustWorks);
  EXPECT_EQ(server_.notify(h::kRefValue, kCounter), ValueSendResult::kLinkNotSecure);
  EXPECT_TRUE(delegate_.sent.empty());

  // Secure again: sent once more.
  server_.set_link_security(link::kLegacyMitm);
  EXPECT_EQ(server_.notify(h::kRefValue, kCounter), ValueSendResult::kSent);
  // Value above ATT_MTU - 3 = 20 octets.
  EXPECT_EQ(server_.notify(h::kRefValue, V(21, 0x01)), ValueSendResult::kTooLong);
  EXPECT_EQ(server_.notify(h::kRefValue, V(20, 0x01)), ValueSendResult::kSent);
  // No buffer in the lower layer.
  delegate_.buffers = false;
  EXPECT_EQ(server_.notify(h::kRefValue, kCounter), ValueSendResult::kOutOfBuffers);
  EXPECT_EQ(delegate_.sent.size(), 2u);

  // Unsubscribe: 0x0000.
  delegate_.buffers = true;
  EXPECT_EQ(request({0x12, 0x11, 0x00, 0x00, 0x00}), (V{0x13}));
  EXPECT_EQ(server_.notify(h::kRefValue, kCounter), ValueSendResult::kNotSubscribed);
  EXPECT_EQ(hooks_.subscriptions.back(), (std::pair<uint16_t, uint16_t>{kConn, 0x0000}));
}

TEST_F(ServerTest, UnauthenticatedSubscriptionNeverLeaks) {
  // Attack #21: an unpaired client tries to subscribe, then the value changes.
  EXPECT_EQ(request({0x12, 0x11, 0x00, 0x01, 0x00}), (V{0x01, 0x12, 0x11, 0x00, 0x05}));
  EXPECT_TRUE(exchange({0x52, 0x11, 0x00, 0x01, 0x00}).empty());  // as a Write Command
  EXPECT_EQ(server_.notify(h::kRefValue, kCounter), ValueSendResult::kNotSubscribed);
  EXPECT_TRUE(delegate_.sent.empty());
  // Restoring a bond's CCCD on a link not yet encrypted also withholds.
  server_.restore_client_state({.cccds = {{h::kRefCccd, 0x0001}}});
  EXPECT_EQ(server_.notify(h::kRefValue, kCounter), ValueSendResult::kLinkNotSecure);
  EXPECT_TRUE(delegate_.sent.empty());
}

TEST_F(ServerTest, CccdWriteValidation) {
  // Indicate bit on a notify-only characteristic: Value Not Allowed (0x13).
  server_.set_link_security(link::kScMitm);
  EXPECT_EQ(request({0x12, 0x11, 0x00, 0x02, 0x00}), (V{0x01, 0x12, 0x11, 0x00, 0x13}));
  // One octet: Invalid Attribute Value Length (0x0D).
  EXPECT_EQ(request({0x12, 0x11, 0x00, 0x01}), (V{0x01, 0x12, 0x11, 0x00, 0x0D}));
  EXPECT_EQ(server_.cccd_value(h::kRefCccd), 0x0000);
}

TEST_F(ServerTest, CccdStatePerConnectionAndExportImport) {
  server_.set_link_security(link::kScMitm);
  EXPECT_EQ(request({0x12, 0x11, 0x00, 0x01, 0x00}), (V{0x13}));
  EXPECT_EQ(request({0x12, 0x1B, 0x00, 0x02, 0x00}), (V{0x13}));
  EXPECT_EQ(request({0x12, 0x0B, 0x00, 0x01}), (V{0x13}));  // Robust Caching

  const ClientState saved = server_.client_state();
  EXPECT_EQ(saved.cccds, (CccdValues{{h::kRefCccd, 0x0001}, {h::kIndicateCccd, 0x0002}}));
  EXPECT_EQ(saved.client_supported_features, 0x01);

  // A second connection starts unsubscribed.
  RecordingDelegate other_delegate;
  att::Bearer other_bearer(other_delegate, kConn + 1);
  Server other(db_, other_bearer);
  other.set_link_security(link::kScMitm);
  EXPECT_EQ(other.notify(h::kRefValue, kCounter), ValueSendResult::kNotSubscribed);

  // The bonded peer reconnects: its state is restored; unknown handles and bits are ignored.
  ClientState restored = saved;
  restored.cccds.push_back({h::kOpen, 0x0001});                // not a CCCD
  restored.cccds.push_back({h::kServiceChangedCccd, 0x0003});  // notify bit not supported
  other.restore_client_state(restored);
  EXPECT_EQ(other.cccd_value(h::kServiceChangedCccd), 0x0002);
  EXPECT_EQ(other.notify(h::kRefValue, kCounter), ValueSendResult::kSent);
  ASSERT_EQ(other_delegate.sent.size(), 1u);
  EXPECT_EQ(other_delegate.sent[0], (V{0x1B, 0x10, 0x00, 0x2A}));
  // Read of the restored CCCD: 0x0002 on FFF4.
  other_delegate.sent.clear();
  other_bearer.on_pdu(now_, V{0x0A, 0x1B, 0x00});
  EXPECT_EQ(other_delegate.sent.at(0), (V{0x0B, 0x02, 0x00}));
}

TEST_F(ServerTest, IndicationFlowAndConfirmation) {
  const V value = {0x44};
  EXPECT_EQ(server_.indicate(now_, h::kIndicate, value), ValueSendResult::kNotSubscribed);
  EXPECT_EQ(server_.indicate(now_, h::kRefValue, value), ValueSendResult::kNoCccd);  // notify only
  // Enable indications on FFF4's CCCD (0x001B): 0x0002.
  EXPECT_EQ(request({0x12, 0x1B, 0x00, 0x02, 0x00}), (V{0x13}));
  EXPECT_EQ(server_.notify(h::kIndicate, value), ValueSendResult::kNoCccd);

  delegate_.sent.clear();
  EXPECT_EQ(server_.indicate(now_, h::kIndicate, value), ValueSendResult::kSent);
  // Handle Value Indication (0x1D), handle 0x001A, value 0x44.
  ASSERT_EQ(delegate_.sent.size(), 1u);
  EXPECT_EQ(delegate_.sent[0], (V{0x1D, 0x1A, 0x00, 0x44}));
  EXPECT_EQ(server_.next_deadline(), now_ + Duration(30'000));
  // Only one outstanding indication.
  EXPECT_EQ(server_.indicate(now_, h::kIndicate, value), ValueSendResult::kIndicationPending);
  // Handle Value Confirmation (0x1E) clears it; nothing is sent in reply.
  EXPECT_TRUE(exchange({0x1E}).empty());
  EXPECT_FALSE(server_.indication_pending());
  EXPECT_EQ(server_.next_deadline(), kNever);
  EXPECT_EQ(server_.indicate(now_, h::kIndicate, value), ValueSendResult::kSent);
  EXPECT_TRUE(exchange({0x1E}).empty());
  // An unexpected confirmation is dropped (no reply, not fatal).
  EXPECT_TRUE(exchange({0x1E}).empty());
  EXPECT_EQ(delegate_.fatal, 0);
}

TEST_F(ServerTest, IndicationTimeoutIsFatal) {
  EXPECT_EQ(request({0x12, 0x1B, 0x00, 0x02, 0x00}), (V{0x13}));
  EXPECT_EQ(server_.indicate(now_, h::kIndicate, V{0x01}), ValueSendResult::kSent);
  server_.on_timeout(now_ + Duration(29'999));
  EXPECT_EQ(delegate_.fatal, 0);
  server_.on_timeout(now_ + Duration(30'000));
  EXPECT_EQ(delegate_.fatal, 1);
  EXPECT_EQ(server_.next_deadline(), kNever);
  // After the transaction timeout no more ATT traffic (Core 5.4 Vol 3 Part F 3.3.3).
  EXPECT_TRUE(exchange({0x0A, 0x03, 0x00}).empty());
  EXPECT_EQ(server_.indicate(now_, h::kIndicate, V{0x01}), ValueSendResult::kNotConnected);
  server_.on_timeout(now_ + Duration(90'000));
  EXPECT_EQ(delegate_.fatal, 1);
}

TEST_F(ServerTest, ServiceChangedCccdIsOpen) {
  // Any client may enable Service Changed indications (0x0009 = 0x0002).
  EXPECT_EQ(request({0x12, 0x09, 0x00, 0x02, 0x00}), (V{0x13}));
  delegate_.sent.clear();
  const V range = {0x01, 0x00, 0xFF, 0xFF};
  // Its value is not readable, yet it is indicated: 0x1D, handle 0x0008, 0x0001..0xFFFF.
  EXPECT_EQ(server_.indicate(now_, h::kServiceChanged, range), ValueSendResult::kSent);
  ASSERT_EQ(delegate_.sent.size(), 1u);
  EXPECT_EQ(delegate_.sent[0], (V{0x1D, 0x08, 0x00, 0x01, 0x00, 0xFF, 0xFF}));
}

}  // namespace
// A client's saved CCCDs live in a fixed array as large as a database's CCCD
// table: a copy allocates nothing, and nothing beyond it is taken.
TEST(CccdValues, HoldsAsManyEntriesAsADatabaseHasCccds) {
  CccdValues values;
  for (size_t i = 0; i < kMaxCccds; ++i) EXPECT_TRUE(values.push_back({uint16_t(i + 1), 0x0001}));
  EXPECT_FALSE(values.push_back({0xFFFF, 0x0001}));
  EXPECT_EQ(values.size(), kMaxCccds);
  const CccdValues copy = values;
  EXPECT_EQ(copy, values);
  EXPECT_EQ(copy.begin()[kMaxCccds - 1].handle, kMaxCccds);
}

}  // namespace sable::gatt::testing
