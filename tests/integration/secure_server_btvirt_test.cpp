// The reference program on btvirt, as separate processes: secure-server on one
// emulated controller, and an independent central written here in raw HCI
// bytes on another controller of the same virtual air.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "btvirt.hpp"
#include "sable/uuid.hpp"

namespace sable::testing {
namespace {

using std::chrono::milliseconds;

const std::string kServer = std::string(SABLE_BINARY_DIR) + "/apps/secure-server";
const Uuid kService = *Uuid::parse("9b574847-f706-436c-bed7-fc01eb0965c1");
const Uuid kCharacteristic = *Uuid::parse("681285a6-247f-48c6-80ad-68c3dce18585");

struct Advert {
  uint8_t event_type;
  uint8_t address_type;
  std::vector<uint8_t> address;
  std::vector<uint8_t> data;
};

// Parses one LE Advertising Report event (single report, as btvirt sends).
std::optional<Advert> parse_report(const HciPacket& p) {
  const auto& b = p.bytes;  // 3E len 02 num type addr_type addr[6] len data rssi
  if (b.size() < 13 || b[3] != 1) return std::nullopt;
  Advert a{b[4], b[5], {b.begin() + 6, b.begin() + 12}, {}};
  size_t len = b[12];
  if (b.size() < 13 + len) return std::nullopt;
  a.data.assign(b.begin() + 13, b.begin() + 13 + long(len));
  return a;
}

bool contains(const std::vector<uint8_t>& hay, const std::vector<uint8_t>& needle) {
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

std::vector<uint8_t> le_bytes(const Uuid& u) {
  return {u.le128().begin(), u.le128().end()};
}

// Scans until both the advertising packet and the scan response of the server
// have been seen; returns the advertiser's address and type.
std::optional<Advert> scan_for_server(RawHci& central, milliseconds timeout) {
  central.command(0x200B, {0x01, 0x10, 0x00, 0x10, 0x00, 0x00, 0x00});  // active scan
  central.command(0x200C, {0x01, 0x00});                                // enable, no dup filter
  std::optional<Advert> adv;
  bool saw_name = false;
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end && !(adv && saw_name)) {
    auto ev = central.wait_le_event(0x02, milliseconds(500));
    if (!ev) continue;
    auto a = parse_report(*ev);
    if (!a) continue;
    if (contains(a->data, le_bytes(kService))) adv = a;
    const std::string name = "ESP32 Server";
    if (contains(a->data, std::vector<uint8_t>(name.begin(), name.end()))) saw_name = true;
  }
  central.command(0x200C, {0x00, 0x00});
  if (adv && saw_name) return adv;
  return std::nullopt;
}

TEST(SecureServerOnBtvirt, AdvertisesConnectsRefusesReadUpdatesParametersAndReadvertises) {
  VirtualRadio radio;
  ASSERT_TRUE(radio.ok());
  ChildProcess server({kServer, "--hci", "unix:" + radio.le_socket()}, radio.dir() + "/server.out");
  ASSERT_TRUE(server.wait_for_output("advertising \"ESP32 Server\"", milliseconds(10000)))
      << server.output();

  RawHci central("unix:" + radio.le_socket());
  ASSERT_TRUE(central.ok());
  ASSERT_TRUE(central.reset());

  // 1. Advertising: name + 128-bit service UUID (name in the scan response).
  auto adv = scan_for_server(central, milliseconds(5000));
  ASSERT_TRUE(adv) << "no advertising report with the name and service UUID";

  // 2. Connect (LE_Create_Connection, interval 50 ms, timeout 4 s).
  std::vector<uint8_t> create = {0x10, 0x00, 0x10, 0x00, 0x00, adv->address_type};
  create.insert(create.end(), adv->address.begin(), adv->address.end());
  create.insert(create.end(),
                {0x00, 0x28, 0x00, 0x28, 0x00, 0x00, 0x00, 0x90, 0x01, 0x00, 0x00, 0x00, 0x00});
  auto status = central.command(0x200D, create);
  ASSERT_TRUE(status && (*status)[0] == 0x00);
  auto complete = central.wait_le_event(0x01, milliseconds(5000));
  ASSERT_TRUE(complete);
  ASSERT_EQ(complete->bytes[3], 0x00) << "connection failed";
  uint16_t handle = get_le16(&complete->bytes[4]) & 0x0FFF;

  // 3. The peripheral asks for 30-60 ms / latency 0 / 600 ms: on btvirt's LE
  // controller this reaches the central as a Remote Connection Parameter Request.
  auto request = central.wait_le_event(0x06, milliseconds(5000));
  ASSERT_TRUE(request) << server.output();
  EXPECT_EQ(get_le16(&request->bytes[5]), 24);   // Interval_Min
  EXPECT_EQ(get_le16(&request->bytes[7]), 48);   // Interval_Max
  EXPECT_EQ(get_le16(&request->bytes[9]), 0);    // Max_Latency
  EXPECT_EQ(get_le16(&request->bytes[11]), 60);  // Timeout
  std::vector<uint8_t> reply = {uint8_t(handle), uint8_t(handle >> 8)};
  reply.insert(reply.end(), request->bytes.begin() + 5, request->bytes.begin() + 13);
  reply.insert(reply.end(), {0x00, 0x00, 0x00, 0x00});
  central.command(0x2020, reply);
  auto update = central.wait_le_event(0x03, milliseconds(5000));
  ASSERT_TRUE(update);
  uint16_t interval = get_le16(&update->bytes[6]);
  EXPECT_GE(interval, 24);
  EXPECT_LE(interval, 48);

  // 4. Discover the service: Read By Group Type (primary services).
  uint16_t service_start = 0, service_end = 0;
  for (uint16_t start = 1; start != 0 && service_start == 0;) {
    central.send_att(handle, {0x10, uint8_t(start), uint8_t(start >> 8), 0xFF, 0xFF, 0x00, 0x28});
    auto rsp = central.wait_att(handle, milliseconds(3000));
    ASSERT_TRUE(rsp);
    if ((*rsp)[0] != 0x11) break;  // Error Response: no more services
    size_t len = (*rsp)[1];
    for (size_t i = 2; i + len <= rsp->size(); i += len) {
      uint16_t s = get_le16(&(*rsp)[i]), e = get_le16(&(*rsp)[i + 2]);
      if (len == 20 && std::equal(rsp->begin() + long(i) + 4, rsp->begin() + long(i) + 20,
                                  kService.le128().begin()))
        service_start = s, service_end = e;
      start = uint16_t(e + 1);
    }
  }
  ASSERT_NE(service_start, 0) << "service not discovered";

  // 5. Its characteristic: Read By Type (Characteristic declarations).
  central.send_att(handle, {0x08, uint8_t(service_start), uint8_t(service_start >> 8),
                            uint8_t(service_end), uint8_t(service_end >> 8), 0x03, 0x28});
  auto chars = central.wait_att(handle, milliseconds(3000));
  ASSERT_TRUE(chars);
  ASSERT_EQ((*chars)[0], 0x09);
  ASSERT_EQ((*chars)[1], 21);  // handle(2) properties(1) value handle(2) UUID(16)
  uint8_t properties = (*chars)[4];
  uint16_t value_handle = get_le16(&(*chars)[5]);
  EXPECT_TRUE(std::equal(chars->begin() + 7, chars->begin() + 23, kCharacteristic.le128().begin()));
  EXPECT_EQ(properties, 0x12);  // Read | Notify

  // 6. Read before pairing: refused with Insufficient Authentication (0x05).
  central.send_att(handle, {0x0A, uint8_t(value_handle), uint8_t(value_handle >> 8)});
  auto read = central.wait_att(handle, milliseconds(3000));
  ASSERT_TRUE(read);
  std::vector<uint8_t> refused = {0x01, 0x0A, uint8_t(value_handle), uint8_t(value_handle >> 8),
                                  0x05};
  EXPECT_EQ(*read, refused);

  // 7. Disconnect; the server prints it and advertises again.
  central.command(0x0406, {uint8_t(handle), uint8_t(handle >> 8), 0x13});
  ASSERT_TRUE(central.wait_event(0x05, milliseconds(3000)));
  ASSERT_TRUE(server.wait_for_output("disconnected:", milliseconds(5000))) << server.output();
  EXPECT_NE(server.output().find("connected: handle"), std::string::npos);
  EXPECT_TRUE(scan_for_server(central, milliseconds(5000))) << "advertising did not resume";
  EXPECT_TRUE(server.running()) << server.output();
}

}  // namespace
}  // namespace sable::testing
