// The public API's one-line descriptions: text() (fixed buffer, no heap, for a
// program printing on an MCU) and to_string() give the same line.
#include <gtest/gtest.h>

#include <string>

#include "sable/conn_desc.hpp"
#include "sable/notify.hpp"

namespace sable {
namespace {

TEST(Descriptions, ConnDescTextIsItsStringWithoutTheHeap) {
  ConnDesc d;
  d.handle = 0x0040;
  d.address = *Address::parse("00:AA:01:01:00:42");
  d.id_address = *Address::parse("C0:11:22:33:44:55", AddressType::kRandom);
  d.interval = 24;  // 30 ms in 1.25 ms units
  d.supervision_timeout = 60;
  d.encrypted = true;
  d.key_size = 16;
  d.mtu = 247;
  const std::string line = d.text().c_str();
  EXPECT_EQ(line, d.to_string());
  EXPECT_NE(line.find("handle 0x0040 peripheral peer 00:AA:01:01:00:42 (public)"),
            std::string::npos)
      << line;
  EXPECT_NE(line.find("identity C0:11:22:33:44:55 (random static)"), std::string::npos) << line;
  EXPECT_NE(line.find("interval 30.00 ms"), std::string::npos) << line;
  EXPECT_NE(line.find("supervision timeout 600 ms encrypted yes"), std::string::npos) << line;
  EXPECT_NE(line.find("key size 16 mtu 247"), std::string::npos) << line;
}

TEST(Descriptions, NotifyResultTextIsItsStringWithoutTheHeap) {
  NotifyResult sent{1, NotifyStatus::kSent};
  EXPECT_EQ(std::string(sent.text().c_str()), "sent to 1 peer");
  EXPECT_EQ(sent.text().view(), sent.to_string());
  NotifyResult refused{0, NotifyStatus::kNotSubscribed};
  EXPECT_EQ(std::string(refused.text().c_str()), "not sent: peer has not subscribed");
  EXPECT_EQ(refused.text().view(), refused.to_string());
}

TEST(Descriptions, AddressTextIsItsString) {
  Address a = *Address::parse("01:23:45:67:89:AB");
  EXPECT_EQ(std::string(a.text().c_str()), "01:23:45:67:89:AB");
  EXPECT_EQ(a.text().view(), a.to_string());
}

}  // namespace
}  // namespace sable
