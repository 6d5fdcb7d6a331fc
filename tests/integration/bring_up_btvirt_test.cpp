// The host brings up a controller nobody here wrote: BlueZ's btvirt, through
// the unix transport. Read_BD_ADDR gives btvirt's address pattern and LE
// advertising enable succeeds (an independent raw-HCI scanner sees it).
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <thread>

#include "btvirt.hpp"
#include "sable/device.hpp"

namespace sable::testing {
namespace {

using std::chrono::milliseconds;

TEST(BringUpOnBtvirt, ReadsBdAddrAndEnablesAdvertising) {
  VirtualRadio radio;
  ASSERT_TRUE(radio.ok());
  DeviceOptions options;
  options.hci = "unix:" + radio.le_socket();
  options.name = "bring-up";
  auto device = Device::take(options);
  ASSERT_TRUE(device.ok()) << device.error().message;
  // btvirt gives each client 00:AA:01:<slot>:00:42 (Read_BD_ADDR).
  std::string address = (*device)->address();
  ASSERT_EQ(address.size(), 17u) << address;
  EXPECT_EQ(address.substr(0, 9), "00:AA:01:") << address;
  EXPECT_TRUE(std::isxdigit(address[9]) && std::isxdigit(address[10])) << address;
  EXPECT_EQ(address.substr(11), ":00:42") << address;

  ASSERT_TRUE((*device)->advertising().set_data(AdvertisementData().name("bring-up")).ok());
  ASSERT_TRUE((*device)->advertising().start().ok());

  RawHci scanner("unix:" + radio.le_socket());
  ASSERT_TRUE(scanner.ok());
  ASSERT_TRUE(scanner.reset());
  scanner.command(0x200B, {0x00, 0x10, 0x00, 0x10, 0x00, 0x00, 0x00});  // passive
  scanner.command(0x200C, {0x01, 0x00});
  bool seen = false;
  for (int i = 0; i < 20 && !seen; ++i) {
    auto ev = scanner.wait_le_event(0x02, milliseconds(250));
    if (!ev) continue;
    const std::string name = "bring-up";
    seen = std::search(ev->bytes.begin(), ev->bytes.end(), name.begin(), name.end()) !=
           ev->bytes.end();
  }
  EXPECT_TRUE(seen) << "advertising not seen by an independent scanner";
  EXPECT_FALSE((*device)->error().has_value());
}

TEST(BringUpOnBtvirt, LostControllerIsReportedAsAnError) {
  auto radio = std::make_unique<VirtualRadio>();
  ASSERT_TRUE(radio->ok());
  DeviceOptions options;
  options.hci = "unix:" + radio->le_socket();
  auto device = Device::take(options);
  ASSERT_TRUE(device.ok()) << device.error().message;
  radio.reset();  // btvirt is killed: the socket closes
  std::optional<Error> error;
  for (int i = 0; i < 100 && !error; ++i) {
    std::this_thread::sleep_for(milliseconds(50));
    error = (*device)->error();
  }
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->kind, ErrorKind::kTransport);
  EXPECT_TRUE(error->message.contains("controller lost")) << error->message;
}

}  // namespace
}  // namespace sable::testing

namespace sable::testing {
namespace {

// With DeviceOptions::reconnect, losing the controller (btvirt killed) ends
// the links and the stack waits for a controller on the same --hci; when a
// new btvirt appears there, advertising resumes by itself.
TEST(BringUpOnBtvirt, ReconnectsToANewControllerAndResumesAdvertising) {
  VirtualRadio radio;
  ASSERT_TRUE(radio.ok());
  std::string socket = radio.le_socket();
  DeviceOptions options;
  options.hci = "unix:" + socket;
  options.reconnect = true;
  auto device = Device::take(options);
  ASSERT_TRUE(device.ok()) << device.error().message;
  ASSERT_TRUE((*device)->advertising().set_data(AdvertisementData().name("phoenix")).ok());
  ASSERT_TRUE((*device)->advertising().start().ok());

  ASSERT_TRUE(radio.restart());
  ASSERT_EQ(radio.le_socket(), socket);
  RawHci scanner("unix:" + radio.le_socket());
  ASSERT_TRUE(scanner.ok());
  ASSERT_TRUE(scanner.reset());
  bool seen = false;
  for (int attempt = 0; attempt < 10 && !seen; ++attempt) {
    // btvirt reports an advertiser once per scan: restart the scan each round.
    scanner.command(0x200C, {0x00, 0x00});
    scanner.command(0x200B, {0x00, 0x10, 0x00, 0x10, 0x00, 0x00, 0x00});
    scanner.command(0x200C, {0x01, 0x00});
    for (int i = 0; i < 4 && !seen; ++i) {
      auto ev = scanner.wait_le_event(0x02, milliseconds(250));
      if (!ev) continue;
      const std::string name = "phoenix";
      seen = std::search(ev->bytes.begin(), ev->bytes.end(), name.begin(), name.end()) !=
             ev->bytes.end();
    }
  }
  EXPECT_TRUE(seen) << "advertising did not resume on the new controller";
  EXPECT_FALSE((*device)->error().has_value());
}

}  // namespace
}  // namespace sable::testing
