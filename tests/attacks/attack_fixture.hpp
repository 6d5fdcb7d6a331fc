// Shared fixture of the attack tests: the reference server, one malicious
// central, and the checks every attack ends with.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "attacks/malicious_peer.hpp"

namespace sable::testing::attack {

inline Pdu att_error(uint8_t request_opcode, uint16_t handle, uint8_t code) {
  return {0x01, request_opcode, uint8_t(handle), uint8_t(handle >> 8), code};
}
inline Pdu le16_pdu(uint8_t opcode, uint16_t v) {
  return {opcode, uint8_t(v), uint8_t(v >> 8)};
}
inline Pdu read_request(uint16_t handle) {
  return le16_pdu(0x0A, handle);
}
inline Pdu str_pdu(uint8_t opcode, const std::string& s) {
  Pdu p{opcode};
  p.insert(p.end(), s.begin(), s.end());
  return p;
}

// ATT error codes (Core 5.4 Vol 3 Part F 3.4.1.1).
inline constexpr uint8_t kInvalidHandle = 0x01;
inline constexpr uint8_t kReadNotPermitted = 0x02;
inline constexpr uint8_t kWriteNotPermitted = 0x03;
inline constexpr uint8_t kInvalidPdu = 0x04;
inline constexpr uint8_t kInsufficientAuthentication = 0x05;
inline constexpr uint8_t kRequestNotSupported = 0x06;
inline constexpr uint8_t kInvalidOffset = 0x07;
inline constexpr uint8_t kInsufficientAuthorization = 0x08;
inline constexpr uint8_t kPrepareQueueFull = 0x09;
inline constexpr uint8_t kAttributeNotFound = 0x0A;
inline constexpr uint8_t kInsufficientKeySize = 0x0C;
inline constexpr uint8_t kInvalidValueLength = 0x0D;
inline constexpr uint8_t kInsufficientEncryption = 0x0F;
inline constexpr uint8_t kValueNotAllowed = 0x13;

// SMP Pairing Failed reasons (Core 5.4 Vol 3 Part H 3.5.5).
inline constexpr uint8_t kAuthRequirements = 0x03;
inline constexpr uint8_t kConfirmValueFailed = 0x04;
inline constexpr uint8_t kEncryptionKeySize = 0x06;
inline constexpr uint8_t kCommandNotSupported = 0x07;
inline constexpr uint8_t kUnspecifiedReason = 0x08;
inline constexpr uint8_t kRepeatedAttempts = 0x09;
inline constexpr uint8_t kInvalidParameters = 0x0A;
inline constexpr uint8_t kDhKeyCheckFailed = 0x0B;

inline constexpr uint32_t kPasskey = 123456;

class AttackTest : public ::testing::Test {
 protected:
  explicit AttackTest(const gap::HostConfig& config = reference_server_config())
      : arena(config), m(arena.add_peer("00:BA:D0:00:00:01")) {}

  ServerUnderTest& server() { return arena.server(); }
  TestDatabase& db() { return arena.database(); }
  void connect() { ASSERT_TRUE(m.connect(server().address())); }
  // A full, correct SC passkey pairing by the malicious peer.
  void pair(const PairingRequestFields& f = {}) {
    ScInitiator sc(m, server().address());
    ASSERT_TRUE(sc.pair(kPasskey, f)) << "pairing did not complete";
    ltk = sc.ltk();
    arena.run();
    m.smp_rx().clear();  // the server's distributed keys
  }
  size_t bonds() { return server().host().bond_store().size(); }
  size_t ltk_replies() {
    return server().controller().commands_received(op::kLeLongTermKeyRequestReply);
  }
  size_t ltk_negative_replies() {
    return server().controller().commands_received(op::kLeLongTermKeyRequestNegativeReply);
  }

  // The host has not failed and the link still answers a valid request.
  void expect_host_healthy() {
    EXPECT_FALSE(server().fatal.has_value()) << server().fatal->message;
    EXPECT_FALSE(server().host().failed());
    EXPECT_FALSE(arena.air().livelocked());
  }
  void expect_link_usable(MaliciousPeer& peer) {
    ASSERT_TRUE(peer.connected()) << "the link was dropped";
    auto rsp = peer.att_request(read_request(db().device_name));
    ASSERT_TRUE(rsp.has_value()) << "no answer to a valid Read Request";
    EXPECT_EQ(*rsp, str_pdu(0x0B, "ESP32 Server"));
  }
  void expect_survived() {
    expect_host_healthy();
    expect_link_usable(m);
  }
  // The next SMP PDU is Pairing Failed with `reason`.
  void expect_pairing_failed(uint8_t reason) {
    auto p = m.pop_smp();
    ASSERT_TRUE(p.has_value()) << "no SMP answer";
    EXPECT_EQ(*p, pairing_failed(reason));
  }
  void expect_no_smp() { EXPECT_TRUE(m.smp_rx().empty()) << "unexpected SMP PDU"; }

  AttackArena arena;
  MaliciousPeer& m;
  smp::Key ltk{};
};

}  // namespace sable::testing::attack
