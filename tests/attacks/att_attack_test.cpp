// ATT/GATT attacks against the reference server (catalog items 8, 9, 11, 12,
// 20-22, 29 and the GATT/SR, GAP/SEC qualification cases): every opcode path
// to a protected attribute in every link state, commands silently dropped,
// no notification on an insecure link, bounded prepare queue, MTU edges.
#include <gtest/gtest.h>

#include "attacks/attack_fixture.hpp"

namespace sable::testing::attack {
namespace {

Pdu u16s(std::initializer_list<uint16_t> values, uint8_t opcode) {
  Pdu p{opcode};
  for (uint16_t v : values) {
    p.push_back(uint8_t(v));
    p.push_back(uint8_t(v >> 8));
  }
  return p;
}
Pdu with_bytes(Pdu p, const std::vector<uint8_t>& tail) {
  p.insert(p.end(), tail.begin(), tail.end());
  return p;
}
std::vector<uint8_t> uuid128(const Uuid& u) {
  std::vector<uint8_t> out(16);
  u.write_att(out.data());
  return out;
}

// Every request path to the protected attributes must answer `code` (0x05
// or 0x0F), and the commands must change nothing.
class AttAttack : public AttackTest {
 protected:
  void expect_every_path_refused(uint8_t code);
};

void AttAttack::expect_every_path_refused(uint8_t code) {
  TestDatabase& db = arena.database();
  const uint16_t s = db.secret, rw = db.protected_rw;
  // Read, Read Blob.
  EXPECT_EQ(m.att_request(read_request(s)), att_error(0x0A, s, code));
  EXPECT_EQ(m.att_request(u16s({s, 0}, 0x0C)), att_error(0x0C, s, code));
  // Read By Type over the whole range, by the characteristic's UUID.
  EXPECT_EQ(m.att_request(with_bytes(u16s({0x0001, 0xFFFF}, 0x08), uuid128(kSecureCharacteristic))),
            att_error(0x08, s, code));
  // Read Multiple / Read Multiple Variable: an open handle then a protected one.
  EXPECT_EQ(m.att_request(u16s({db.device_name, s}, 0x0E)), att_error(0x0E, s, code));
  EXPECT_EQ(m.att_request(u16s({db.device_name, s}, 0x20)), att_error(0x20, s, code));
  // Find By Type Value on the protected 0x2901 descriptor: not an oracle.
  EXPECT_EQ(m.att_request(
                with_bytes(u16s({0x0001, 0xFFFF, 0x2901}, 0x06), {'H', 'i', 'd', 'd', 'e', 'n'})),
            att_error(0x06, 0x0001, kAttributeNotFound));
  // Write, Prepare Write.
  EXPECT_EQ(m.att_request(with_bytes(u16s({rw}, 0x12), {'x'})), att_error(0x12, rw, code));
  EXPECT_EQ(m.att_request(with_bytes(u16s({rw, 0}, 0x16), {'x'})), att_error(0x16, rw, code));
  // Execute: nothing was queued, nothing is written.
  EXPECT_EQ(m.att_request({0x18, 0x01}), (Pdu{0x19}));
  // Write Command and Signed Write Command: silently dropped.
  m.att_rx().clear();
  m.send_att(with_bytes(u16s({rw}, 0x52), {'c', 'm', 'd'}));
  m.send_att(with_bytes(u16s({rw}, 0xD2), {'s', 'i', 'g', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_TRUE(m.att_rx().empty());
  const Bytes v = db.db.value(*db.db.find(rw));
  EXPECT_EQ(std::string(v.begin(), v.end()), "Protected");
  // Discovery stays open: primary services and characteristic declarations.
  auto services = m.att_request(with_bytes(u16s({0x0001, 0xFFFF}, 0x10), {0x00, 0x28}));
  ASSERT_TRUE(services.has_value());
  EXPECT_EQ((*services)[0], 0x11);
}

TEST_F(AttAttack, EveryPathRefusedUnpaired_GATT_SR_GAR_BI_04_10_16_21_42_GAW_BI_05_12) {
  connect();
  expect_every_path_refused(kInsufficientAuthentication);
  expect_survived();
}

TEST_F(AttAttack, EveryPathRefusedBondedButUnencrypted_GAP_SEC_AUT_BV_23_C) {
  connect();
  pair();
  m.disconnect();
  arena.advance(Duration(100));
  connect();  // the bonded peer, not (yet) encrypted
  expect_every_path_refused(kInsufficientEncryption);
  expect_survived();
}

TEST_F(AttAttack, EveryPathWorksAfterPairing_GATT_SR_GAR_BV_01_C_GAP_SEC_AUT_BV_18_C) {
  connect();
  // First refused (Insufficient Authentication), then the correct pairing opens it.
  EXPECT_EQ(m.att_request(read_request(db().secret)),
            att_error(0x0A, db().secret, kInsufficientAuthentication));
  pair();
  const uint16_t s = db().secret, rw = db().protected_rw;
  EXPECT_EQ(m.att_request(read_request(s)), str_pdu(0x0B, "Start Value"));
  EXPECT_EQ(m.att_request(u16s({s, 6}, 0x0C)), str_pdu(0x0D, "Value"));
  Pdu by_type = u16s({13, s}, 0x09);
  by_type.erase(by_type.begin() + 2);  // Length octet then handle: {0x09, 13, h, h}
  EXPECT_EQ(m.att_request(with_bytes(u16s({0x0001, 0xFFFF}, 0x08), uuid128(kSecureCharacteristic))),
            with_bytes(by_type, {'S', 't', 'a', 'r', 't', ' ', 'V', 'a', 'l', 'u', 'e'}));
  EXPECT_EQ(m.att_request(u16s({s, s}, 0x0E)), str_pdu(0x0F, "Start ValueStart Value"));
  EXPECT_EQ(m.att_request(u16s({s, db().device_name}, 0x20)),
            // Cut at ATT_MTU (23): the second value's length is still exact.
            with_bytes({0x21, 11, 0, 'S', 't', 'a', 'r', 't', ' ', 'V', 'a', 'l', 'u', 'e', 12, 0},
                       {'E', 'S', 'P', '3', '2', ' ', 'S'}));
  EXPECT_EQ(m.att_request(
                with_bytes(u16s({0x0001, 0xFFFF, 0x2901}, 0x06), {'H', 'i', 'd', 'd', 'e', 'n'})),
            u16s({db().hidden_descriptor, db().hidden_descriptor}, 0x07));
  EXPECT_EQ(m.att_request(with_bytes(u16s({rw}, 0x12), {'w'})), (Pdu{0x13}));
  m.send_att(with_bytes(u16s({rw}, 0x52), {'c'}));
  EXPECT_EQ(m.att_request(read_request(rw)), str_pdu(0x0B, "c"));
  EXPECT_EQ(m.att_request(with_bytes(u16s({rw, 0}, 0x16), {'p'})),
            with_bytes(u16s({rw, 0}, 0x17), {'p'}));
  EXPECT_EQ(m.att_request({0x18, 0x01}), (Pdu{0x19}));
  EXPECT_EQ(m.att_request(read_request(rw)), str_pdu(0x0B, "p"));
  // Signed writes are not supported: dropped even on an encrypted link.
  m.att_rx().clear();
  m.send_att(with_bytes(u16s({rw}, 0xD2), {'s', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_TRUE(m.att_rx().empty());
  EXPECT_EQ(m.att_request(read_request(rw)), str_pdu(0x0B, "p"));
}

TEST_F(AttAttack, ShortKeyGetsInsufficientKeySize_GATT_SR_GAR_BI_05_11_17_22_44_GAW_BI_06_13) {
  // 12. KNOB with a server that accepts 7-octet keys: the 16-octet attributes
  // still refuse, with Insufficient Encryption Key Size.
  gap::HostConfig c = reference_server_config();
  c.security.min_key_size = 7;
  AttackArena a(c);
  MaliciousPeer& p = a.add_peer("00:BA:D0:00:00:07");
  ASSERT_TRUE(p.connect(a.server().address()));
  ScInitiator sc(p, a.server().address());
  ASSERT_TRUE(sc.pair(kPasskey, {.max_key_size = 7}));
  a.run();
  ASSERT_EQ(a.server().paired.size(), 1u);
  EXPECT_EQ(a.server().paired[0].key_size, 7);
  const uint16_t s = a.database().secret, rw = a.database().protected_rw;
  const uint8_t k = kInsufficientKeySize;
  EXPECT_EQ(p.att_request(read_request(s)), att_error(0x0A, s, k));
  EXPECT_EQ(p.att_request(u16s({s, 0}, 0x0C)), att_error(0x0C, s, k));
  EXPECT_EQ(p.att_request(with_bytes(u16s({0x0001, 0xFFFF}, 0x08), uuid128(kSecureCharacteristic))),
            att_error(0x08, s, k));
  EXPECT_EQ(p.att_request(u16s({a.database().device_name, s}, 0x0E)), att_error(0x0E, s, k));
  EXPECT_EQ(p.att_request(u16s({a.database().device_name, s}, 0x20)), att_error(0x20, s, k));
  EXPECT_EQ(p.att_request(with_bytes(u16s({rw}, 0x12), {'x'})), att_error(0x12, rw, k));
  EXPECT_EQ(p.att_request(with_bytes(u16s({rw, 0}, 0x16), {'x'})), att_error(0x16, rw, k));
}

TEST_F(AttAttack, AuthorizationIsRequired_GATT_SR_GAR_BI_03_09_15_20_40_GAW_BI_04_11) {
  connect();
  pair();  // even a fully secured link is not authorized
  const uint16_t z = db().authorized;
  const uint8_t k = kInsufficientAuthorization;
  EXPECT_EQ(m.att_request(read_request(z)), att_error(0x0A, z, k));
  EXPECT_EQ(m.att_request(u16s({z, 0}, 0x0C)), att_error(0x0C, z, k));
  const Uuid type = *Uuid::parse("5ab1e000-a77a-4c6b-9e5f-000000000003");
  EXPECT_EQ(m.att_request(with_bytes(u16s({0x0001, 0xFFFF}, 0x08), uuid128(type))),
            att_error(0x08, z, k));
  EXPECT_EQ(m.att_request(u16s({z, z}, 0x0E)), att_error(0x0E, z, k));
  EXPECT_EQ(m.att_request(u16s({z, z}, 0x20)), att_error(0x20, z, k));
  EXPECT_EQ(m.att_request(with_bytes(u16s({z}, 0x12), {1})), att_error(0x12, z, k));
  EXPECT_EQ(m.att_request(with_bytes(u16s({z, 0}, 0x16), {1})), att_error(0x16, z, k));
}

TEST_F(AttAttack, NotPermittedAndInvalidHandle_GATT_SR_GAR_BI_01_02_GAW_BI_03) {
  connect();
  const uint16_t n = db().not_permitted;
  EXPECT_EQ(m.att_request(read_request(n)), att_error(0x0A, n, kReadNotPermitted));
  EXPECT_EQ(m.att_request(with_bytes(u16s({n}, 0x12), {1})),
            att_error(0x12, n, kWriteNotPermitted));
  EXPECT_EQ(m.att_request(read_request(0xFFFF)), att_error(0x0A, 0xFFFF, kInvalidHandle));
  EXPECT_EQ(m.att_request(read_request(0x0000)), att_error(0x0A, 0x0000, kInvalidHandle));
  // The reference characteristic has no WRITE: Write Not Permitted.
  EXPECT_EQ(m.att_request(with_bytes(u16s({db().secret}, 0x12), {1})),
            att_error(0x12, db().secret, kWriteNotPermitted));
  expect_survived();
}

TEST_F(AttAttack, InvalidOffsetsAndLengths_GATT_SR_GAR_BI_13_GAW_BI_09_32_33) {
  connect();
  const uint16_t o = db().open_rw;
  EXPECT_EQ(m.att_request(u16s({db().device_name, 100}, 0x0C)),
            att_error(0x0C, db().device_name, kInvalidOffset));
  // Long write at an offset past the value: Invalid Offset at execute.
  EXPECT_EQ(m.att_request(with_bytes(u16s({o, 5}, 0x16), {1})),
            with_bytes(u16s({o, 5}, 0x17), {1}));
  EXPECT_EQ(m.att_request({0x18, 0x01}), att_error(0x18, o, kInvalidOffset));
  // Longer than 512 octets in total: Invalid Attribute Value Length at execute.
  EXPECT_EQ(m.att_request(u16s({517}, 0x02)), u16s({517}, 0x03));
  std::vector<uint8_t> chunk(200, 0xAB);
  for (uint16_t off = 0; off < 600; off += 200)
    ASSERT_EQ((*m.att_request(with_bytes(u16s({o, off}, 0x16), chunk)))[0], 0x17) << off;
  EXPECT_EQ(m.att_request({0x18, 0x01}), att_error(0x18, o, kInvalidValueLength));
  EXPECT_EQ(db().db.value(*db().db.find(o)).size(), 1u);  // nothing written
  // A single Write longer than 512 octets.
  EXPECT_EQ(m.att_request(with_bytes(u16s({o}, 0x12), std::vector<uint8_t>(513, 1))),
            att_error(0x12, o, kInvalidValueLength));
  // Reserved Execute Write flags: Invalid PDU.
  EXPECT_EQ(m.att_request({0x18, 0x02}), att_error(0x18, 0x0000, kInvalidPdu));
  expect_survived();
}

TEST_F(AttAttack, UnsupportedRequestsAndCommands_GATT_SR_UNS_BI_01_BI_02) {
  connect();
  for (uint8_t op : {0x1F, 0x30, 0x3F, 0x22})
    EXPECT_EQ(m.att_request({op, 0x01, 0x00}), att_error(op, 0x0000, kRequestNotSupported))
        << int(op);
  m.att_rx().clear();
  for (uint8_t op : {0x7F, 0x5F, 0xFF}) m.send_att({op, 0x01, 0x00});  // unknown commands
  EXPECT_TRUE(m.att_rx().empty());
  // 8. A request shorter than its format: Invalid PDU.
  EXPECT_EQ(m.att_request({0x0A, 0x03}), att_error(0x0A, 0x0000, kInvalidPdu));
  EXPECT_EQ(m.att_request({0x08, 0x01, 0x00, 0xFF}), att_error(0x08, 0x0000, kInvalidPdu));
  expect_survived();
}

// 21. CCCD write on an insecure link: accepted, but no value leaks.
TEST_F(AttAttack, NoNotificationLeavesAnInsecureLink_GATT_SR_GAN_BV_01_C) {
  connect();
  EXPECT_EQ(m.att_request(with_bytes(u16s({db().secret_cccd}, 0x12), {0x01, 0x00})), (Pdu{0x13}));
  uint8_t v[1] = {42};
  NotifyResult r = server().host().notify(arena.now(), db().secret, v);
  arena.run();
  EXPECT_EQ(r.sent, 0u);
  EXPECT_EQ(r.status, NotifyStatus::kLinkNotSecure);
  EXPECT_TRUE(m.notifications().empty());
  // Indications are not a property of the reference characteristic.
  EXPECT_EQ(m.att_request(with_bytes(u16s({db().secret_cccd}, 0x12), {0x02, 0x00})),
            att_error(0x12, db().secret_cccd, kValueNotAllowed));
  // After pairing the same subscription delivers.
  pair();
  r = server().host().notify(arena.now(), db().secret, v);
  arena.run();
  EXPECT_EQ(r.sent, 1u);
  ASSERT_EQ(m.notifications().size(), 1u);
  EXPECT_EQ(m.notifications()[0], with_bytes(u16s({db().secret}, 0x1B), {42}));
}

TEST_F(AttAttack, BondedSubscriptionWithheldUntilEncrypted_GATT_SR_GAN_BV_03_C) {
  connect();
  pair();
  EXPECT_EQ(m.att_request(with_bytes(u16s({db().secret_cccd}, 0x12), {0x01, 0x00})), (Pdu{0x13}));
  m.disconnect();
  arena.advance(Duration(100));
  connect();
  uint8_t v[1] = {7};
  EXPECT_EQ(server().host().notify(arena.now(), db().secret, v).sent, 0u);
  arena.run();
  EXPECT_TRUE(m.notifications().empty());
  m.start_encryption(ltk);
  EXPECT_EQ(server().host().notify(arena.now(), db().secret, v).sent, 1u);
  arena.run();
  EXPECT_EQ(m.notifications().size(), 1u);
}

// 22. Prepare-queue exhaustion: bounded, Prepare Queue Full, link usable,
// and another link still long-writes.
TEST(AttAttackQueue, PrepareFloodIsBoundedAndOtherLinksUnaffected) {
  gap::HostConfig c = reference_server_config();
  c.max_peripheral_connections = 2;
  AttackArena a(c);
  MaliciousPeer& flood = a.add_peer("00:BA:D0:00:00:0F");
  ASSERT_TRUE(flood.connect(a.server().address()));
  a.run();
  MaliciousPeer& other = a.add_peer("00:BA:D0:00:00:10");
  ASSERT_TRUE(other.connect(a.server().address()));
  const uint16_t o = a.database().open_rw;
  size_t full = 0, accepted = 0;
  for (int i = 0; i < 10000; ++i) {
    auto r =
        flood.att_request(with_bytes(u16s({o, 0}, 0x16), std::vector<uint8_t>(18, uint8_t(i))));
    ASSERT_TRUE(r.has_value()) << i;
    if (*r == att_error(0x16, o, kPrepareQueueFull)) ++full;
    if ((*r)[0] == 0x17) ++accepted;
  }
  EXPECT_LE(accepted, 16u);
  EXPECT_EQ(accepted + full, 10000u);
  // The other link long-writes normally meanwhile.
  EXPECT_EQ((*other.att_request(with_bytes(u16s({o, 0}, 0x16), {'a', 'b'})))[0], 0x17);
  EXPECT_EQ((*other.att_request(with_bytes(u16s({o, 2}, 0x16), {'c'})))[0], 0x17);
  EXPECT_EQ(other.att_request({0x18, 0x01}), (Pdu{0x19}));
  EXPECT_EQ(other.att_request(read_request(o)), str_pdu(0x0B, "abc"));
  // Cancel frees the flooder's queue.
  EXPECT_EQ(flood.att_request({0x18, 0x00}), (Pdu{0x19}));
  EXPECT_EQ((*flood.att_request(with_bytes(u16s({o, 0}, 0x16), {1})))[0], 0x17);
  // A queue left behind at disconnection is gone on the next link.
  flood.disconnect();
  a.advance(Duration(100));
  ASSERT_TRUE(flood.connect(a.server().address()));
  EXPECT_EQ(flood.att_request({0x18, 0x01}), (Pdu{0x19}));
  EXPECT_EQ(flood.att_request(read_request(o)), str_pdu(0x0B, "abc"));
  EXPECT_FALSE(a.server().fatal.has_value());
}

TEST_F(AttAttack, MtuEdgeCases) {
  connect();
  const uint16_t o = db().open_rw;
  std::vector<uint8_t> big(512);
  for (size_t i = 0; i < big.size(); ++i) big[i] = uint8_t(i);
  ASSERT_TRUE(db().db.set_value(o, big).ok());
  // Client Rx MTU below 23: the server answers and keeps 23.
  EXPECT_EQ(m.att_request(u16s({0}, 0x02)), u16s({517}, 0x03));
  auto r = m.att_request(read_request(o));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->size(), 23u);  // Read Response: MTU - 1 octets of value
  // A second exchange is answered but changes nothing.
  EXPECT_EQ(m.att_request(u16s({0xFFFF}, 0x02)), u16s({517}, 0x03));
  EXPECT_EQ(m.att_request(read_request(o))->size(), 23u);
  expect_survived();
}

TEST_F(AttAttack, HugeMtuIsCappedAtTheServerMaximum) {
  connect();
  const uint16_t o = db().open_rw;
  ASSERT_TRUE(db().db.set_value(o, std::vector<uint8_t>(512, 0x5A)).ok());
  EXPECT_EQ(m.att_request(u16s({0xFFFF}, 0x02)), u16s({517}, 0x03));
  auto r = m.att_request(read_request(o));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->size(), 513u);
  expect_survived();
}

// 9. Silent Length Overflow: an ATT PDU longer than the MTU is dropped.
TEST_F(AttAttack, PduLargerThanMtuIsDropped) {
  connect();
  Pdu big = read_request(db().device_name);
  big.resize(114, 0xEE);
  EXPECT_EQ(m.att_request(big), std::nullopt);
  Pdu write = with_bytes(u16s({db().open_rw}, 0x12), std::vector<uint8_t>(60, 1));
  EXPECT_EQ(m.att_request(write), std::nullopt);
  EXPECT_EQ(db().db.value(*db().db.find(db().open_rw)).size(), 1u);
  expect_survived();
}

// 11. Sequential ATT deadlock: 100 requests without waiting.
TEST_F(AttAttack, PipelinedRequestsDoNotDeadlock_GATT_SR_GAR_BI_45_C) {
  connect();
  m.att_rx().clear();
  m.pause();
  for (int i = 0; i < 100; ++i) m.send_att(read_request(db().device_name));
  m.resume();
  EXPECT_LE(m.att_rx().size(), 100u);
  for (const auto& p : m.att_rx()) EXPECT_EQ(p, str_pdu(0x0B, "ESP32 Server"));
  arena.advance(Duration(31000));
  expect_survived();
}

}  // namespace
}  // namespace sable::testing::attack
