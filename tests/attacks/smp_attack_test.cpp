// Security Manager attacks against the reference server (catalog items 1, 2,
// 4-7, 12-16, 18, 19, 25, 26, 31 and the SM/PER qualification cases): a
// malicious central drives SMP by hand and the server must answer with the
// exact Pairing Failed reason, never hand out a key, never store a bond from
// a failed pairing, and keep serving the link.
#include <gtest/gtest.h>

#include <set>
#include "attacks/attack_fixture.hpp"

#include "smp/pairing.hpp"

namespace sable::testing::attack {
namespace {

using SmpAttack = AttackTest;

// --------------------------------------------------------------------------
// Baseline: the legitimate path works (the attacker is a correct central).

TEST_F(SmpAttack, ScPasskeyPairingSucceeds_SM_PER_SCPK_BV_02_C) {
  connect();
  pair();
  ASSERT_EQ(server().paired.size(), 1u);
  const ConnDesc& d = server().paired[0];
  EXPECT_TRUE(d.encrypted);
  EXPECT_TRUE(d.authenticated);
  EXPECT_TRUE(d.bonded);
  EXPECT_EQ(d.key_size, 16);
  // DisplayOnly responder: it displays; it never compares nor asks.
  EXPECT_EQ(server().displayed_passkeys, std::vector<uint32_t>{kPasskey});
  EXPECT_TRUE(server().compared_values.empty());
  EXPECT_EQ(server().passkey_requests, 0);
  EXPECT_EQ(bonds(), 1u);
  EXPECT_EQ(*m.att_request(read_request(db().secret)), str_pdu(0x0B, "Start Value"));
  expect_survived();
}

TEST_F(SmpAttack, MaxKeySizeEqualToMinimumSucceeds_SM_PER_EKS_BV_02_C) {
  connect();
  ScInitiator sc(m, server().address());
  ASSERT_TRUE(sc.feature_exchange({.max_key_size = 16}));
  EXPECT_EQ(sc.pairing_response()[4], 16);  // the server's Maximum Encryption Key Size
  ASSERT_TRUE(sc.exchange_public_keys());
  ASSERT_TRUE(sc.passkey_rounds(kPasskey));
  sc.derive_keys();
  ASSERT_TRUE(sc.dhkey_check());
  ASSERT_TRUE(sc.encrypt());
  arena.run();
  ASSERT_EQ(server().paired.size(), 1u);
  EXPECT_EQ(server().paired[0].key_size, 16);
}

TEST_F(SmpAttack, AuthReqRfuBitsAreIgnoredAndNotEchoed_SM_PER_SCPK_BV_03_C) {
  connect();
  // Bonding | MITM | SC | Keypress | CT2 | both RFU bits.
  ScInitiator sc(m, server().address());
  ASSERT_TRUE(sc.feature_exchange({.auth = 0xFD}));
  // The response carries only Bonding | MITM | SC (no keypress, CT2 or RFU).
  EXPECT_EQ(sc.pairing_response()[3], 0x0D);
  ASSERT_TRUE(sc.exchange_public_keys());
  ASSERT_TRUE(sc.passkey_rounds(kPasskey));
  sc.derive_keys();
  ASSERT_TRUE(sc.dhkey_check());
  ASSERT_TRUE(sc.encrypt());
  arena.run();
  EXPECT_EQ(server().paired.size(), 1u);
}

// --------------------------------------------------------------------------
// 1. Invalid curve points (CVE-2018-5383), SM/PER/KDU/BI-01-C and BI-04-C.

struct InvalidKey {
  const char* name;
  const char* x;
  const char* y;
};

class SmpAttackInvalidCurve : public AttackTest,
                              public ::testing::WithParamInterface<InvalidKey> {};

TEST_P(SmpAttackInvalidCurve, InvalidPublicKeyFailsBeforeAnyKeyExists_SM_PER_KDU_BI_01_C_BI_04_C) {
  connect();
  ScInitiator sc(m, server().address());
  ASSERT_TRUE(sc.feature_exchange());
  crypto::P256PublicKey bad{coordinate_from_hex(GetParam().x), coordinate_from_hex(GetParam().y)};
  ASSERT_FALSE(crypto::is_valid_p256_public_key(bad));
  m.send_smp(public_key_pdu(bad));
  // Pairing Failed instead of the server's public key: no DHKey, no confirm.
  expect_pairing_failed(kDhKeyCheckFailed);
  expect_no_smp();
  ASSERT_EQ(server().pairing_failures.size(), 1u);
  EXPECT_EQ(server().pairing_failures[0].code, kDhKeyCheckFailed);
  // Whatever key the attacker guesses, the server hands out none.
  m.start_encryption(smp::Key{});
  EXPECT_EQ(ltk_replies(), 0u);
  EXPECT_EQ(ltk_negative_replies(), 1u);
  ASSERT_FALSE(m.encryption_changes().empty());
  EXPECT_EQ(m.encryption_changes().back().status, 0x06);  // PIN or Key Missing
  EXPECT_EQ(bonds(), 0u);
  EXPECT_EQ(*m.att_request(read_request(db().secret)),
            att_error(0x0A, db().secret, kInsufficientAuthentication));
  expect_survived();
}

INSTANTIATE_TEST_SUITE_P(
    Vectors, SmpAttackInvalidCurve,
    ::testing::Values(
        InvalidKey{"y_zero", "20b003d2f297be2c5e2c83a7e9f9a5b9eff49111acf4fddbcc0301480e359de6",
                   "0000000000000000000000000000000000000000000000000000000000000000"},
        InvalidKey{"y_off_by_one",
                   "20b003d2f297be2c5e2c83a7e9f9a5b9eff49111acf4fddbcc0301480e359de6",
                   "dc809c49652aeb6d63329abf5a52155c766345c28fed3024741c8ed01589d28c"},
        InvalidKey{"all_zero", "0000000000000000000000000000000000000000000000000000000000000000",
                   "0000000000000000000000000000000000000000000000000000000000000000"},
        InvalidKey{"x_equals_p", "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff",
                   "dc809c49652aeb6d63329abf5a52155c766345c28fed3024741c8ed01589d28b"}),
    [](const ::testing::TestParamInfo<InvalidKey>& info) { return std::string(info.param.name); });

// --------------------------------------------------------------------------
// 2. Public key reflection (CVE-2020-26558): the server must fail when the
// peer's key has its own X, both for the same point and for (X, p - Y).
// The server's random source replays the stretch of the first pairing, so
// in the second one it generates the key pair the attacker already saw.

class SmpAttackReflection : public AttackTest, public ::testing::WithParamInterface<bool> {};

TEST_P(SmpAttackReflection, ReflectedPublicKeyIsRefused) {
  const bool negate_y = GetParam();
  connect();
  server().random().start_recording();
  ScInitiator first(m, server().address());
  ASSERT_TRUE(first.feature_exchange());
  ASSERT_TRUE(first.exchange_public_keys());
  const crypto::P256PublicKey server_key = first.peer_key();
  m.send_smp(pairing_failed(kUnspecifiedReason));  // abandon; not a failed attempt
  arena.run();

  server().random().start_replay();
  ScInitiator second(m, server().address(), 99);
  ASSERT_TRUE(second.feature_exchange());
  crypto::P256PublicKey reflected = server_key;
  if (negate_y) reflected.y = p256_negate_y(server_key.y);
  ASSERT_TRUE(crypto::is_valid_p256_public_key(reflected));  // curve checks alone pass
  m.send_smp(public_key_pdu(reflected));
  server().random().stop();
  expect_pairing_failed(kInvalidParameters);
  expect_no_smp();
  EXPECT_EQ(server().pairing_failures.back().code, kInvalidParameters);
  EXPECT_EQ(bonds(), 0u);
  EXPECT_EQ(ltk_replies(), 0u);
  expect_survived();
}

INSTANTIATE_TEST_SUITE_P(Variants, SmpAttackReflection, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return std::string(info.param ? "SameXNegatedY" : "SameKey");
                         });

// --------------------------------------------------------------------------
// 31. The SC debug key is refused (the policy does not allow debug keys).

TEST_F(SmpAttack, DebugPublicKeyIsRefused) {
  connect();
  ScInitiator sc(m, server().address());
  ASSERT_TRUE(sc.feature_exchange());
  m.send_smp(public_key_pdu(smp::kDebugKeyPair.public_key));
  // sable refuses it as a policy violation (Authentication Requirements);
  // the server's own public key is never sent.
  expect_pairing_failed(kAuthRequirements);
  expect_no_smp();
  EXPECT_EQ(bonds(), 0u);
  expect_survived();
}

// In debug mode (SecurityConfig::allow_debug_keys) the same key is accepted:
// the server answers with its own public key instead of Pairing Failed.
class SmpAttackDebugMode : public AttackTest {
 protected:
  static gap::HostConfig debug_config() {
    gap::HostConfig c = reference_server_config();
    c.security.allow_debug_keys = true;
    return c;
  }
  SmpAttackDebugMode() : AttackTest(debug_config()) {}
};

TEST_F(SmpAttackDebugMode, DebugPublicKeyIsAcceptedOnlyInDebugMode) {
  connect();
  ScInitiator sc(m, server().address());
  ASSERT_TRUE(sc.feature_exchange());
  m.send_smp(public_key_pdu(smp::kDebugKeyPair.public_key));
  arena.run();
  ASSERT_FALSE(m.smp_rx().empty());
  EXPECT_EQ(m.smp_rx().front()[0], 0x0C);  // Pairing Public Key, not Pairing Failed (0x05)
  expect_survived();
}

// --------------------------------------------------------------------------
// 13. Method confusion: the model comes strictly from the IO capability
// table; a DisplayOnly server with MITM required only ever displays a
// passkey (never Numeric Comparison), and a pairing is authenticated only
// with a MITM model.

class SmpAttackMethod : public AttackTest, public ::testing::WithParamInterface<uint8_t> {};

TEST_P(SmpAttackMethod, ModelFollowsTheIoCapabilityTable) {
  const uint8_t io = GetParam();
  connect();
  // Table 2.8, responder DisplayOnly: KeyboardOnly / KeyboardDisplay
  // initiators get Passkey Entry (responder displays); all others Just Works,
  // which the MITM policy refuses.
  const bool passkey = io == 0x02 || io == 0x04;
  ScInitiator sc(m, server().address());
  if (!passkey) {
    m.send_smp(pairing_request({.io_cap = io}));
    expect_pairing_failed(kAuthRequirements);
    EXPECT_TRUE(server().displayed_passkeys.empty());
    EXPECT_EQ(bonds(), 0u);
  } else {
    ASSERT_TRUE(sc.pair(kPasskey, {.io_cap = io}));
    arena.run();
    ASSERT_EQ(server().paired.size(), 1u);
    EXPECT_TRUE(server().paired[0].authenticated);
    EXPECT_EQ(server().displayed_passkeys, std::vector<uint32_t>{kPasskey});
  }
  EXPECT_TRUE(server().compared_values.empty());  // never Numeric Comparison
  EXPECT_EQ(server().passkey_requests, 0);        // never asks a DisplayOnly user to type
  expect_survived();
}

std::string io_cap_name(const ::testing::TestParamInfo<uint8_t>& info) {
  static const char* const kNames[] = {"DisplayOnly", "DisplayYesNo", "KeyboardOnly",
                                       "NoInputNoOutput", "KeyboardDisplay"};
  return kNames[info.param];
}

INSTANTIATE_TEST_SUITE_P(IoCaps, SmpAttackMethod, ::testing::Values(0, 1, 2, 3, 4), io_cap_name);

TEST(SmpAttackMethodTable, AllTwentyFivePairsMatchCoreTable2_8) {
  using M = smp::PairingMethod;
  constexpr M J = M::kJustWorks, N = M::kNumericComparison, I = M::kPasskeyInitiatorDisplays,
              R = M::kPasskeyResponderDisplays, B = M::kPasskeyBothInput;
  // [responder][initiator], written from Core 5.4 Vol 3 Part H Table 2.8.
  const M legacy[5][5] = {
      {J, J, R, J, R}, {J, J, R, J, R}, {I, I, B, J, I}, {J, J, J, J, J}, {I, I, R, J, I}};
  const M sc[5][5] = {
      {J, J, R, J, R}, {J, N, R, J, N}, {I, I, B, J, I}, {J, J, J, J, J}, {I, N, R, J, N}};
  for (int r = 0; r < 5; ++r) {
    for (int i = 0; i < 5; ++i) {
      smp::PairingFeatures ini, res;
      ini.io_cap = IoCap(i);
      res.io_cap = IoCap(r);
      ini.auth = AuthReq(AuthReq::kMitm | AuthReq::kSc);
      res.auth = AuthReq(AuthReq::kMitm | AuthReq::kSc);
      EXPECT_EQ(smp::select_method(true, ini, res), sc[r][i]) << "SC r=" << r << " i=" << i;
      EXPECT_EQ(smp::select_method(false, ini, res), legacy[r][i])
          << "legacy r=" << r << " i=" << i;
      EXPECT_EQ(smp::is_authenticated(sc[r][i]), sc[r][i] != J);
      // Neither side asks for MITM: Just Works whatever the IO capabilities.
      ini.auth = res.auth = AuthReq(AuthReq::kSc);
      EXPECT_EQ(smp::select_method(true, ini, res), J);
    }
  }
}

// --------------------------------------------------------------------------
// 6, 12. Key size: below the minimum (16) -> Encryption Key Size; above 16
// -> Invalid Parameters; a sweep of every value leaves the server sane.

TEST_F(SmpAttack, KnobKeySizeSevenIsRefused_SM_PER_EKS_BI_02_C) {
  connect();
  for (uint8_t size : {7, 15}) {
    m.send_smp(pairing_request({.max_key_size = size}));
    expect_pairing_failed(kEncryptionKeySize);
  }
  EXPECT_EQ(server().pairing_failures.back().code, kEncryptionKeySize);
  EXPECT_EQ(bonds(), 0u);
  expect_survived();
}

TEST_F(SmpAttack, MaxKeySizeSweepZeroTo255) {
  connect();
  for (int size = 0; size <= 255; ++size) {
    m.send_smp(pairing_request({.max_key_size = uint8_t(size)}));
    auto p = m.pop_smp();
    ASSERT_TRUE(p.has_value()) << size;
    if (size == 16) {
      ASSERT_EQ((*p)[0], smp_op::kPairingResponse);
      m.send_smp(pairing_failed(kUnspecifiedReason));
    } else if (size > 16) {
      EXPECT_EQ(*p, pairing_failed(kInvalidParameters)) << size;
    } else {
      EXPECT_EQ(*p, pairing_failed(kEncryptionKeySize)) << size;
    }
    expect_no_smp();
  }
  EXPECT_EQ(bonds(), 0u);
  expect_survived();
}

// --------------------------------------------------------------------------
// 15. Online passkey guessing is throttled with a growing wait.

TEST_F(SmpAttack, PasskeyGuessingIsThrottledWithGrowingWait) {
  connect();
  // 123456 is even: guessing bit 0 = 1 fails round 1 with Confirm Value Failed.
  auto guess_wrong = [&] {
    ScInitiator sc(m, server().address());
    ASSERT_TRUE(sc.feature_exchange());
    ASSERT_TRUE(sc.exchange_public_keys());
    EXPECT_FALSE(sc.passkey_round(0, 1));
    ASSERT_TRUE(sc.unexpected.has_value());
    EXPECT_EQ(*sc.unexpected, pairing_failed(kConfirmValueFailed));
  };
  auto refused = [&] {
    m.send_smp(pairing_request());
    auto p = m.pop_smp();
    if (p && (*p)[0] == smp_op::kPairingResponse) m.send_smp(pairing_failed(kUnspecifiedReason));
    return p == pairing_failed(kRepeatedAttempts);
  };
  guess_wrong();
  EXPECT_TRUE(refused());  // at once: Repeated Attempts
  arena.advance(Duration(1900));
  EXPECT_TRUE(refused());
  arena.advance(Duration(200));  // 2.1 s after the first failure
  guess_wrong();
  arena.advance(Duration(3000));  // the second wait is longer than the first
  EXPECT_TRUE(refused());
  arena.advance(Duration(1200));  // 4.2 s after the second failure
  guess_wrong();
  arena.advance(Duration(7000));
  EXPECT_TRUE(refused());
  arena.advance(Duration(1200));  // 8.2 s after the third failure
  // The right passkey still pairs once the wait is over.
  pair();
  EXPECT_EQ(server().paired.size(), 1u);
  EXPECT_EQ(bonds(), 1u);
  expect_survived();
}

TEST_F(SmpAttack, PasskeyGuessingFromRotatingAddressesIsThrottled) {
  // Catalog item 15: "rotating random addresses still throttled". Each guess
  // comes from a new static random address, one after the other.
  for (int i = 0; i < 6; ++i) {
    MaliciousPeer& p = arena.add_peer("00:BA:D0:00:01:0" + std::to_string(i));
    Address a = *Address::parse("C0:11:22:33:44:0" + std::to_string(i));
    p.use_random_address(a);
    ASSERT_TRUE(p.connect(server().address()));
    ScInitiator sc(p, server().address());
    if (i < 5) {
      ASSERT_TRUE(sc.feature_exchange());
      ASSERT_TRUE(sc.exchange_public_keys());
      EXPECT_FALSE(sc.passkey_round(0, 1));
      p.disconnect();
      arena.advance(Duration(10));
      continue;
    }
    // Five failures in a few milliseconds: a sixth identity must wait too.
    p.send_smp(pairing_request());
    auto rsp = p.pop_smp();
    ASSERT_TRUE(rsp.has_value());
    EXPECT_EQ(*rsp, pairing_failed(kRepeatedAttempts))
        << "a new address got a Pairing Response right after 5 failed guesses";
  }
  expect_host_healthy();
}

// --------------------------------------------------------------------------
// 14. Mismatched confirm: the random does not open the commitment.

TEST_F(SmpAttack, RandomNotMatchingConfirmFails_SM_PER_SCPK_BI_03_C) {
  connect();
  ScInitiator sc(m, server().address());
  ASSERT_TRUE(sc.feature_exchange());
  ASSERT_TRUE(sc.exchange_public_keys());
  smp::Random na{}, other{};
  na[0] = 1;
  other[0] = 2;
  m.send_smp(value_pdu(smp_op::kPairingConfirm,
                       smp::f4(sc.local_key().public_key.x, sc.peer_key().x, na, 0x80)));
  auto cb = m.pop_smp();
  ASSERT_TRUE(cb && (*cb)[0] == smp_op::kPairingConfirm);
  m.send_smp(value_pdu(smp_op::kPairingRandom, other));
  expect_pairing_failed(kConfirmValueFailed);
  EXPECT_EQ(bonds(), 0u);
  EXPECT_EQ(ltk_replies(), 0u);
  expect_survived();
}

TEST_F(SmpAttack, WrongDhKeyCheckFailsAndNoKeyIsHandedOut) {
  connect();
  ScInitiator sc(m, server().address());
  ASSERT_TRUE(sc.feature_exchange());
  ASSERT_TRUE(sc.exchange_public_keys());
  ASSERT_TRUE(sc.passkey_rounds(kPasskey));
  sc.derive_keys();
  EXPECT_FALSE(sc.dhkey_check(/*corrupt=*/true));
  ASSERT_TRUE(sc.unexpected.has_value());
  EXPECT_EQ(*sc.unexpected, pairing_failed(kDhKeyCheckFailed));
  // The attacker knows the real LTK: the server must still refuse it.
  EXPECT_FALSE(sc.encrypt());
  EXPECT_EQ(ltk_replies(), 0u);
  EXPECT_EQ(m.encryption_changes().back().status, 0x06);
  EXPECT_EQ(bonds(), 0u);
  expect_survived();
}

// 5. DHKey Check skipping (CVE-2020-13593): encrypt with the f5 LTK without Ea.
TEST_F(SmpAttack, EncryptingBeforeDhKeyCheckGetsNegativeReply) {
  connect();
  ScInitiator sc(m, server().address());
  ASSERT_TRUE(sc.feature_exchange());
  ASSERT_TRUE(sc.exchange_public_keys());
  ASSERT_TRUE(sc.passkey_rounds(kPasskey));
  sc.derive_keys();
  EXPECT_FALSE(sc.encrypt());
  EXPECT_EQ(ltk_replies(), 0u);
  EXPECT_EQ(ltk_negative_replies(), 1u);
  ASSERT_FALSE(m.encryption_changes().empty());
  EXPECT_EQ(m.encryption_changes().back().status, 0x06);
  EXPECT_FALSE(arena.server_link(m)->encrypted);
  EXPECT_EQ(bonds(), 0u);
  EXPECT_EQ(*m.att_request(read_request(db().secret)),
            att_error(0x0A, db().secret, kInsufficientAuthentication));
  expect_survived();
}

// 4. Zero LTK installation (CVE-2019-19194): encryption right after the
// feature exchange, and before any SMP at all.
TEST_F(SmpAttack, ZeroLtkAfterPairingResponseGetsNegativeReply) {
  connect();
  ScInitiator sc(m, server().address());
  ASSERT_TRUE(sc.feature_exchange());
  m.start_encryption(smp::Key{}, 0, 0);
  EXPECT_EQ(ltk_replies(), 0u);
  EXPECT_EQ(ltk_negative_replies(), 1u);
  ASSERT_EQ(m.encryption_changes().size(), 1u);
  EXPECT_EQ(m.encryption_changes()[0].status, 0x06);
  EXPECT_FALSE(m.encryption_changes()[0].enabled);
  EXPECT_EQ(*m.att_request(read_request(db().secret)),
            att_error(0x0A, db().secret, kInsufficientAuthentication));
  EXPECT_EQ(bonds(), 0u);
  expect_survived();
}

TEST_F(SmpAttack, LtkRequestWithoutAnyPairingGetsNegativeReply) {
  connect();
  smp::Key guess{};
  guess.fill(0x42);
  m.start_encryption(guess, 0x1122334455667788ull, 0xBEEF);
  EXPECT_EQ(ltk_replies(), 0u);
  EXPECT_EQ(ltk_negative_replies(), 1u);
  EXPECT_EQ(m.encryption_changes().back().status, 0x06);
  expect_survived();
}

// --------------------------------------------------------------------------
// 16. SMP out of sequence, reserved opcodes, wrong lengths.

TEST_F(SmpAttack, OutOfSequencePdusInIdleGetUnspecifiedReason) {
  connect();
  struct Case {
    uint8_t opcode;
    size_t size;
  };
  // Every PDU an initiator may send, except Pairing Request, with its exact length.
  for (Case c : {Case{0x03, 17}, Case{0x04, 17}, Case{0x06, 17}, Case{0x07, 11}, Case{0x08, 17},
                 Case{0x09, 8}, Case{0x0A, 17}, Case{0x0C, 65}, Case{0x0D, 17}, Case{0x0E, 2}}) {
    Pdu p(c.size, 0);
    p[0] = c.opcode;
    if (c.opcode == 0x0C) p = public_key_pdu(smp::kDebugKeyPair.public_key);  // a valid point
    if (c.opcode == 0x09) p = {0x09, 0x00, 1, 2, 3, 4, 5, 6};  // a valid public address
    m.send_smp(p);
    auto rsp = m.pop_smp();
    ASSERT_TRUE(rsp.has_value()) << int(c.opcode);
    EXPECT_EQ(*rsp, pairing_failed(kUnspecifiedReason)) << int(c.opcode);
  }
  // Pairing Failed outside a pairing is never answered.
  m.send_smp(pairing_failed(kUnspecifiedReason));
  expect_no_smp();
  EXPECT_EQ(ltk_replies(), 0u);
  EXPECT_EQ(bonds(), 0u);
  // A correct pairing still works afterwards (no attempt was counted).
  pair();
  EXPECT_EQ(server().paired.size(), 1u);
  expect_survived();
}

TEST_F(SmpAttack, OutOfSequencePdusMidPairingResetCleanly) {
  connect();
  struct Step {
    const char* what;
    std::function<void(ScInitiator&)> setup;
    Pdu wrong;
  };
  smp::Key zero{};
  const std::vector<Step> steps = {
      {"DHKey Check after the Pairing Response", [](ScInitiator& sc) { sc.feature_exchange(); },
       value_pdu(smp_op::kPairingDhKeyCheck, zero)},
      {"Pairing Random before any confirm",
       [](ScInitiator& sc) {
         sc.feature_exchange();
         sc.exchange_public_keys();
       },
       value_pdu(smp_op::kPairingRandom, zero)},
      {"Pairing Request during the pairing", [](ScInitiator& sc) { sc.feature_exchange(); },
       pairing_request()},
      {"second Public Key",
       [](ScInitiator& sc) {
         sc.feature_exchange();
         sc.exchange_public_keys();
       },
       public_key_pdu(smp::kDebugKeyPair.public_key)},
      {"Encryption Information in phase 2",
       [](ScInitiator& sc) {
         sc.feature_exchange();
         sc.exchange_public_keys();
       },
       value_pdu(0x06, zero)},
  };
  for (const auto& step : steps) {
    ScInitiator sc(m, server().address());
    step.setup(sc);
    m.clear_rx();
    const size_t failures = server().pairing_failures.size();
    m.send_smp(step.wrong);
    auto rsp = m.pop_smp();
    ASSERT_TRUE(rsp.has_value()) << step.what;
    EXPECT_EQ(*rsp, pairing_failed(kUnspecifiedReason)) << step.what;
    EXPECT_EQ(server().pairing_failures.size(), failures + 1) << step.what;
    // The state machine is back to idle: a stray confirm is out of sequence too.
    m.send_smp(value_pdu(smp_op::kPairingConfirm, zero));
    EXPECT_EQ(m.pop_smp(), pairing_failed(kUnspecifiedReason)) << step.what;
  }
  EXPECT_EQ(bonds(), 0u);
  pair();
  EXPECT_EQ(server().paired.size(), 1u);
  expect_survived();
}

TEST_F(SmpAttack, ReservedOpcodesGetCommandNotSupported) {
  connect();
  for (int op : {0x00, 0x0F, 0x10, 0x20, 0x7F, 0x80, 0xFF}) {
    m.send_smp({uint8_t(op), 0x00, 0x00});
    auto rsp = m.pop_smp();
    ASSERT_TRUE(rsp.has_value()) << op;
    EXPECT_EQ(*rsp, pairing_failed(kCommandNotSupported)) << op;
  }
  // Commands only a responder sends are not supported by a responder.
  m.send_smp({smp_op::kSecurityRequest, 0x0D});
  EXPECT_EQ(m.pop_smp(), pairing_failed(kCommandNotSupported));
  m.send_smp({smp_op::kPairingResponse, 0x04, 0x00, 0x0D, 0x10, 0x00, 0x01});
  EXPECT_EQ(m.pop_smp(), pairing_failed(kCommandNotSupported));
  pair();
  expect_survived();
}

TEST_F(SmpAttack, WrongLengthsGetInvalidParameters) {
  connect();
  const std::vector<Pdu> bad = {
      {},                                             // empty SDU
      {0x01, 0x04, 0x00, 0x0D, 0x10, 0x00},           // Pairing Request one short
      {0x01, 0x04, 0x00, 0x0D, 0x10, 0x00, 0x03, 0},  // one long
      {0x01, 0x05, 0x00, 0x0D, 0x10, 0x00, 0x03},     // reserved IO capability
      {0x01, 0x04, 0x02, 0x0D, 0x10, 0x00, 0x03},     // reserved OOB flag
      {0x03, 0x00},                                   // Pairing Confirm, 2 octets
      {0x05},                                         // Pairing Failed without reason
  };
  for (const auto& p : bad) {
    m.send_smp(p);
    auto rsp = m.pop_smp();
    if (p.size() == 1 && p[0] == 0x05) {
      // A malformed Pairing Failed outside a pairing: answered like any bad PDU.
      ASSERT_TRUE(rsp.has_value());
    } else {
      ASSERT_TRUE(rsp.has_value()) << p.size();
    }
    EXPECT_EQ(*rsp, pairing_failed(kInvalidParameters)) << "size " << p.size();
  }
  // 7. Public Key Crash (CVE-2019-17520): a short public key after the
  // Pairing Response ends the pairing with Invalid Parameters.
  ScInitiator sc(m, server().address());
  ASSERT_TRUE(sc.feature_exchange());
  m.send_smp(Pdu(10, smp_op::kPairingPublicKey));
  expect_pairing_failed(kInvalidParameters);
  m.send_smp(Pdu(64, 0));  // 64 octets with opcode 0x00 (the key without its opcode)
  expect_pairing_failed(kCommandNotSupported);
  EXPECT_EQ(bonds(), 0u);
  expect_survived();
}

TEST_F(SmpAttack, PeerPairingFailedEndsPairingQuietly_SM_PER_SCPK_BI_04_C) {
  connect();
  ScInitiator sc(m, server().address());
  ASSERT_TRUE(sc.feature_exchange());
  ASSERT_TRUE(sc.exchange_public_keys());
  m.send_smp(pairing_failed(0x01));  // Passkey Entry Failed
  expect_no_smp();                   // never answered
  ASSERT_EQ(server().pairing_failures.size(), 1u);
  EXPECT_EQ(server().pairing_failures[0].code, 0x01);
  EXPECT_EQ(bonds(), 0u);
  pair();  // not counted as a failed attempt: a new pairing works at once
  EXPECT_EQ(server().paired.size(), 1u);
  expect_survived();
}

TEST_F(SmpAttack, SmpTimeoutEndsTheLink_SM_PER_PROT_BV_02_C) {
  connect();
  ScInitiator sc(m, server().address());
  ASSERT_TRUE(sc.feature_exchange());
  arena.advance(Duration(29000));
  EXPECT_TRUE(m.connected());
  arena.advance(Duration(1500));
  // 30 s without progress: the pairing failed and the server disconnected.
  ASSERT_FALSE(server().pairing_failures.empty());
  EXPECT_EQ(server().pairing_failures.back().kind, ErrorKind::kTimeout);
  EXPECT_FALSE(m.connected());
  ASSERT_FALSE(m.disconnect_reasons().empty());
  EXPECT_EQ(m.disconnect_reasons().back(), 0x13);
  expect_no_smp();  // no Pairing Failed on timeout (3.4)
  EXPECT_EQ(bonds(), 0u);
  expect_host_healthy();
  // A new connection pairs normally.
  arena.advance(Duration(100));
  connect();
  pair();
  EXPECT_EQ(server().paired.size(), 1u);
}

// --------------------------------------------------------------------------
// 19. Downgrades, and the SM/PER cases the SC-only + MITM policy refuses.

TEST_F(SmpAttack, LegacyPairingIsRefused_SM_PER_PKE_BV_02_C) {
  connect();
  // Passkey entry without the SC bit: LE legacy, refused in SC-only mode.
  m.send_smp(pairing_request({.io_cap = 0x02, .auth = 0x05}));
  expect_pairing_failed(kAuthRequirements);
  EXPECT_TRUE(server().displayed_passkeys.empty());
  expect_survived();
}

TEST_F(SmpAttack, InsufficientIoForPasskeyIsRefused_SM_PER_PKE_BV_05_C) {
  connect();
  m.send_smp(pairing_request({.io_cap = 0x03}));  // NoInputNoOutput
  expect_pairing_failed(kAuthRequirements);
  expect_survived();
}

TEST_F(SmpAttack, JustWorksIsRefused_SM_PER_JW_BI_02_C_SCJW_BV_02_C) {
  connect();
  for (uint8_t auth : {0x01, 0x09}) {  // legacy JW, SC JW (no MITM, NoInputNoOutput)
    m.send_smp(pairing_request({.io_cap = 0x03, .auth = auth}));
    expect_pairing_failed(kAuthRequirements);
  }
  EXPECT_EQ(bonds(), 0u);
  expect_survived();
}

TEST_F(SmpAttack, ClearingMitmDoesNotDowngradeTheModel) {
  connect();
  // A keyboard central that does not ask for MITM still gets Passkey Entry:
  // the server's own MITM requirement picks the model.
  ScInitiator sc(m, server().address());
  ASSERT_TRUE(sc.pair(kPasskey, {.io_cap = 0x02, .auth = 0x09}));
  arena.run();
  ASSERT_EQ(server().paired.size(), 1u);
  EXPECT_TRUE(server().paired[0].authenticated);
  EXPECT_EQ(server().displayed_passkeys, std::vector<uint32_t>{kPasskey});
}

// --------------------------------------------------------------------------
// Key distribution: 26 (LinkKey / CTKD bit), SM/PER/KDU/BV-08/09-C, BI-03-C.

TEST_F(SmpAttack, LinkKeyBitIsNeverSetInTheResponse) {
  connect();
  ScInitiator sc(m, server().address());
  ASSERT_TRUE(sc.feature_exchange({.initiator_keys = 0x0F, .responder_keys = 0x0F}));
  EXPECT_EQ(sc.pairing_response()[5] & 0x08, 0);
  EXPECT_EQ(sc.pairing_response()[6] & 0x08, 0);
  // Nothing the server offers is outside what was asked.
  EXPECT_EQ(sc.pairing_response()[5] & ~0x0F, 0);
  EXPECT_EQ(sc.pairing_response()[6] & ~0x0F, 0);
  m.send_smp(pairing_failed(kUnspecifiedReason));
  expect_survived();
}

TEST_F(SmpAttack, InitiatorIdAndSignKeysAccepted_SM_PER_KDU_BV_08_C_BV_09_C) {
  connect();
  ScInitiator sc(m, server().address());
  ASSERT_TRUE(sc.feature_exchange({.initiator_keys = 0x06, .responder_keys = 0x07}));
  const uint8_t ikd = sc.pairing_response()[5];
  const uint8_t rkd = sc.pairing_response()[6];
  EXPECT_EQ(ikd & ~0x06, 0);
  EXPECT_EQ(rkd & ~0x07, 0);
  ASSERT_TRUE(sc.exchange_public_keys());
  ASSERT_TRUE(sc.passkey_rounds(kPasskey));
  sc.derive_keys();
  ASSERT_TRUE(sc.dhkey_check());
  ASSERT_TRUE(sc.encrypt());
  // The responder's keys come first; SC never distributes an LTK.
  for (auto& p : m.smp_rx()) EXPECT_NE(p[0], 0x06) << "Encryption Information in SC";
  m.clear_rx();
  const Address identity = *Address::parse("00:1D:E0:00:00:01");
  if (ikd & 0x02) {
    smp::Key irk{};
    irk.fill(0x5A);
    m.send_smp(value_pdu(0x08, irk));
    Pdu addr{0x09, 0x00};
    addr.insert(addr.end(), identity.bytes.begin(), identity.bytes.end());
    m.send_smp(addr);
  }
  if (ikd & 0x04) {
    smp::Key csrk{};
    csrk.fill(0xC5);
    m.send_smp(value_pdu(0x0A, csrk));
  }
  arena.run();
  expect_no_smp();
  ASSERT_EQ(server().paired.size(), 1u);
  EXPECT_EQ(bonds(), 1u);
  if (ikd & 0x02) {
    EXPECT_TRUE(server().host().bond_store().find_by_identity(identity));
  }
  expect_survived();
}

TEST_F(SmpAttack, KeyRejectedDuringDistributionStoresNoBond_SM_PER_KDU_BI_03_C) {
  connect();
  ScInitiator sc(m, server().address());
  ASSERT_TRUE(sc.feature_exchange({.initiator_keys = 0x02, .responder_keys = 0x02}));
  ASSERT_TRUE(sc.exchange_public_keys());
  ASSERT_TRUE(sc.passkey_rounds(kPasskey));
  sc.derive_keys();
  ASSERT_TRUE(sc.dhkey_check());
  ASSERT_TRUE(sc.encrypt());
  arena.run();
  // The server sent its identity and waits for ours; we reject instead.
  m.clear_rx();
  m.send_smp(pairing_failed(0x0F));  // Key Rejected
  expect_no_smp();
  EXPECT_TRUE(server().paired.empty());
  ASSERT_FALSE(server().pairing_failures.empty());
  EXPECT_EQ(server().pairing_failures.back().code, 0x0F);
  EXPECT_EQ(bonds(), 0u);
  expect_host_healthy();
}

TEST_F(SmpAttack, NonBondingPeerGetsNoBond_GAP_BOND_NBON_BV_03_C) {
  connect();
  pair({.auth = 0x0C, .responder_keys = 0x00});  // MITM | SC, no Bonding flag
  ASSERT_EQ(server().paired.size(), 1u);
  EXPECT_FALSE(server().paired[0].bonded);
  EXPECT_EQ(bonds(), 0u);
  EXPECT_EQ(*m.att_request(read_request(db().secret)), str_pdu(0x0B, "Start Value"));
}

// --------------------------------------------------------------------------
// Re-encryption, peripheral-initiated security, lost bond, BLERP (18).

TEST_F(SmpAttack, EncryptedLinkIsReEncryptedWithTheLtk_SM_PER_KDU_BV_07_C) {
  connect();
  pair();
  const size_t before = m.encryption_changes().size();
  m.start_encryption(ltk);
  ASSERT_EQ(m.encryption_changes().size(), before + 1);
  EXPECT_EQ(m.encryption_changes().back().status, 0x00);  // Key Refresh Complete
  EXPECT_TRUE(arena.server_link(m)->encrypted);
  EXPECT_EQ(*m.att_request(read_request(db().secret)), str_pdu(0x0B, "Start Value"));
}

TEST_F(SmpAttack, PeripheralInitiatesPairing_SM_PER_PIS_BV_01_C) {
  connect();
  ASSERT_TRUE(server().host().secure(arena.now(), arena.server_link(m)->handle).ok());
  arena.run();
  auto sr = m.pop_smp();
  ASSERT_TRUE(sr.has_value());
  EXPECT_EQ(*sr, (Pdu{smp_op::kSecurityRequest, 0x0D}));
  pair();
  EXPECT_EQ(server().paired.size(), 1u);
}

TEST_F(SmpAttack, BondedPeerEncryptsAfterSecurityRequest_SM_PER_PIS_BV_02_C) {
  connect();
  pair();
  m.disconnect();
  arena.advance(Duration(100));
  connect();
  ASSERT_TRUE(server().host().secure(arena.now(), arena.server_link(m)->handle).ok());
  arena.run();
  EXPECT_EQ(m.pop_smp(), (Pdu{smp_op::kSecurityRequest, 0x0D}));
  m.start_encryption(ltk);
  ASSERT_FALSE(m.encryption_changes().empty());
  EXPECT_EQ(m.encryption_changes().back().status, 0x00);
  EXPECT_TRUE(m.encryption_changes().back().enabled);
  auto link = arena.server_link(m);
  EXPECT_TRUE(link->encrypted && link->authenticated && link->bonded);
  EXPECT_EQ(*m.att_request(read_request(db().secret)), str_pdu(0x0B, "Start Value"));
}

TEST_F(SmpAttack, LostBondOnTheServerMeansNegativeReplyThenRePairing_GAP_SEC_AUT_BV_22_C) {
  connect();
  pair();
  m.disconnect();
  arena.advance(Duration(100));
  ASSERT_TRUE(server().host().remove_bond(m.address()).ok());
  connect();
  m.start_encryption(ltk);
  EXPECT_EQ(m.encryption_changes().back().status, 0x06);
  EXPECT_EQ(*m.att_request(read_request(db().secret)),
            att_error(0x0A, db().secret, kInsufficientAuthentication));
  pair();
  EXPECT_EQ(*m.att_request(read_request(db().secret)), str_pdu(0x0B, "Start Value"));
}

TEST_F(SmpAttack, WeakerRePairingCannotReplaceTheBond) {
  connect();
  pair();
  m.disconnect();
  arena.advance(Duration(100));
  const auto before = server().host().bond_store().find_by_identity(m.address());
  ASSERT_TRUE(before && before->ltk);
  // The same address asks for Just Works, then for a shorter key.
  connect();
  m.send_smp(pairing_request({.io_cap = 0x03, .auth = 0x09}));
  expect_pairing_failed(kAuthRequirements);
  m.send_smp(pairing_request({.max_key_size = 12}));
  expect_pairing_failed(kEncryptionKeySize);
  const auto after = server().host().bond_store().find_by_identity(m.address());
  ASSERT_TRUE(after && after->ltk);
  EXPECT_EQ(after->ltk->key, before->ltk->key);
  // The old key still works.
  m.start_encryption(ltk);
  EXPECT_EQ(m.encryption_changes().back().status, 0x00);
  expect_survived();
}

// --------------------------------------------------------------------------
// 25. Passkeys: a fresh random one per pairing unless the app insists on a
// static one (the reference program does; DESIGN.md keeps it with a warning).

TEST(SmpAttackPasskey, RandomPasskeyModeUsesAFreshPasskeyPerPairing) {
  gap::HostConfig c = reference_server_config();
  c.security.static_passkey.reset();
  AttackArena arena(c);
  MaliciousPeer& m = arena.add_peer("00:BA:D0:00:00:01");
  ASSERT_TRUE(m.connect(arena.server().address()));
  std::set<uint32_t> seen;
  for (int i = 0; i < 20; ++i) {
    m.send_smp(pairing_request());
    auto rsp = m.pop_smp();
    ASSERT_TRUE(rsp && (*rsp)[0] == smp_op::kPairingResponse);
    m.send_smp(pairing_failed(kUnspecifiedReason));
    ASSERT_EQ(arena.server().displayed_passkeys.size(), size_t(i + 1));
    const uint32_t p = arena.server().displayed_passkeys.back();
    EXPECT_LE(p, 999999u);
    seen.insert(p);
  }
  EXPECT_GE(seen.size(), 19u);
}

// 30. Privacy: the server is reached on a resolvable private address that
// only the IRK it distributes (to a bonded peer) resolves; its identity
// address is never on the air. GAP/PRIV/CONN/BV-10-C, GAP/CONN/PRDA/BV-01-C.
TEST(SmpAttackPrivacy, RpaResolvesOnlyWithTheDistributedIrk_GAP_PRIV_CONN_BV_10_C) {
  gap::HostConfig c = reference_server_config();
  c.security.resolvable_private_address = true;
  AttackArena arena(c);
  MaliciousPeer& m = arena.add_peer("00:BA:D0:00:00:01");
  const Address rpa = arena.server().address();
  ASSERT_TRUE(rpa.is_resolvable_private());
  EXPECT_NE(rpa.bytes, arena.server().controller().address().bytes);
  ASSERT_TRUE(m.connect(rpa));
  ScInitiator sc(m, rpa);
  ASSERT_TRUE(sc.pair(kPasskey, {.responder_keys = 0x02}));
  arena.run();
  // Identity Information (IRK) then Identity Address Information.
  auto irk_pdu = m.pop_smp();
  auto addr_pdu = m.pop_smp();
  ASSERT_TRUE(irk_pdu && irk_pdu->size() == 17 && (*irk_pdu)[0] == 0x08);
  ASSERT_TRUE(addr_pdu && addr_pdu->size() == 8 && (*addr_pdu)[0] == 0x09);
  smp::Key irk{};
  std::copy(irk_pdu->begin() + 1, irk_pdu->end(), irk.begin());
  EXPECT_TRUE(smp::rpa_matches_irk(irk, rpa.bytes));
  EXPECT_TRUE(std::equal(addr_pdu->begin() + 2, addr_pdu->end(),
                         arena.server().controller().address().bytes.begin()));
  smp::Key other = irk;
  other[0] ^= 1;
  EXPECT_FALSE(smp::rpa_matches_irk(other, rpa.bytes));
  // After the rotation period the address changes and still resolves.
  m.disconnect();
  arena.advance(Duration(15 * 60 * 1000 + 1000));
  const Address next = arena.server().address();
  EXPECT_NE(next.bytes, rpa.bytes);
  EXPECT_TRUE(smp::rpa_matches_irk(irk, next.bytes));
}

}  // namespace
}  // namespace sable::testing::attack
