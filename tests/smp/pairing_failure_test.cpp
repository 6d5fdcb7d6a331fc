// smp::Pairing failure paths: confirm, passkey and DHKey Check failures,
// public key validation, out-of-sequence and malformed PDUs in every phase,
// and the SMP timeout (Core 5.4 Vol 3 Part H 2.3.5, 3.4, 3.5.5; attack
// catalogue rows 1-7, 16).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "smp/pairing.hpp"
#include "smp/pairing_harness.hpp"

namespace sable::smp {
namespace {

using namespace test;  // pairing_harness.hpp

// ---------------------------------------------------------------------------
// Confirm / passkey / DHKey failures: nothing is handed out.

TEST(PairingFailureTest, WrongPasskeySecureConnections) {
  Link link(policy(IoCap::KeyboardOnly, kBond | kMitm | kSc),
            policy(IoCap::DisplayOnly, kBond | kMitm | kSc));
  link.central_types = 0;  // the user types a wrong passkey
  link.pair();
  ASSERT_EQ(link.p.displayed.size(), 1u);
  ASSERT_NE(link.p.displayed[0], 0u);
  // The responder checks Cai first and detects the first differing bit.
  expect_failed_without_keys(link, SmpReason::kConfirmValueFailed, /*peripheral_detects=*/true);
  EXPECT_FALSE(link.peripheral->on_long_term_key_request(link.now, 0, 0));
}

TEST(PairingFailureTest, WrongPasskeyLegacy) {
  if (!legacy_pairing_linked()) GTEST_SKIP() << "built without LE legacy pairing";
  Link link(policy(IoCap::KeyboardOnly, kBond | kMitm, false),
            policy(IoCap::DisplayOnly, kBond | kMitm, false));
  link.central_types = 0;
  link.pair();
  expect_failed_without_keys(link, SmpReason::kConfirmValueFailed, /*peripheral_detects=*/true);
}

TEST(PairingFailureTest, AllTwentyPasskeyRoundsAreChecked) {
  // A passkey that differs only in bit 19 fails only in the last round.
  PairingPolicy pp = policy(IoCap::DisplayOnly, kBond | kMitm | kSc);
  pp.passkey_source = PasskeySource::kStatic;
  pp.static_passkey = 0x00001;  // bit 19 clear
  Link link(policy(IoCap::KeyboardOnly, kBond | kMitm | kSc), pp);
  link.central_types = 0x80001;  // 524289: bit 19 set
  int central_confirms = 0;
  link.tamper = [&](bool to_peripheral, Octets& pdu) {
    if (to_peripheral && pdu[0] == 0x03) ++central_confirms;
  };
  link.pair();
  EXPECT_EQ(central_confirms, 20);
  expect_failed_without_keys(link, SmpReason::kConfirmValueFailed, /*peripheral_detects=*/true);
}

TEST(PairingFailureTest, TamperedConfirmSecureConnections) {
  Link link(policy(IoCap::NoInputNoOutput, kBond | kSc),
            policy(IoCap::NoInputNoOutput, kBond | kSc));
  link.tamper = [](bool to_peripheral, Octets& pdu) {
    if (!to_peripheral && pdu[0] == 0x03) pdu[1] ^= 0x01;  // Cb
  };
  link.pair();
  expect_failed_without_keys(link, SmpReason::kConfirmValueFailed, /*peripheral_detects=*/false);
}

TEST(PairingFailureTest, TamperedConfirmLegacy) {
  if (!legacy_pairing_linked()) GTEST_SKIP() << "built without LE legacy pairing";
  Link link(policy(IoCap::NoInputNoOutput, kBond, false),
            policy(IoCap::NoInputNoOutput, kBond, false));
  link.tamper = [](bool to_peripheral, Octets& pdu) {
    if (to_peripheral && pdu[0] == 0x03) pdu[16] ^= 0x80;  // Mconfirm
  };
  link.pair();
  expect_failed_without_keys(link, SmpReason::kConfirmValueFailed, /*peripheral_detects=*/true);
}

TEST(PairingFailureTest, ReflectedLegacyConfirm) {
  if (!legacy_pairing_linked()) GTEST_SKIP() << "built without LE legacy pairing";
  // SM/CEN/JW/BI-06-C: a responder echoing Mconfirm.
  Link link(policy(IoCap::NoInputNoOutput, kBond, false),
            policy(IoCap::NoInputNoOutput, kBond, false));
  Octets mconfirm;
  link.tamper = [&](bool to_peripheral, Octets& pdu) {
    if (pdu[0] != 0x03) return;
    if (to_peripheral)
      mconfirm = pdu;
    else
      pdu = mconfirm;
  };
  link.pair();
  expect_failed_without_keys(link, SmpReason::kConfirmValueFailed, /*peripheral_detects=*/false);
}

TEST(PairingFailureTest, TamperedDhKeyCheck) {
  Link link(policy(IoCap::DisplayYesNo, kBond | kMitm | kSc),
            policy(IoCap::DisplayYesNo, kBond | kMitm | kSc));
  link.tamper = [](bool to_peripheral, Octets& pdu) {
    if (to_peripheral && pdu[0] == 0x0D) pdu[5] ^= 0x10;  // Ea
  };
  link.pair();
  expect_failed_without_keys(link, SmpReason::kDhKeyCheckFailed, /*peripheral_detects=*/true);
}

TEST(PairingFailureTest, NumericComparisonRejected) {
  Link link(policy(IoCap::DisplayYesNo, kBond | kMitm | kSc),
            policy(IoCap::DisplayYesNo, kBond | kMitm | kSc));
  link.peripheral_accepts_comparison = false;
  link.pair();
  expect_failed_without_keys(link, SmpReason::kNumericComparisonFailed, true);
}

TEST(PairingFailureTest, PasskeyEntryCancelled) {
  Link link(policy(IoCap::KeyboardOnly, kBond | kMitm | kSc),
            policy(IoCap::DisplayOnly, kBond | kMitm | kSc));
  link.c.on_request = [&](PasskeyRequest) { link.central->passkey_reply(link.now, std::nullopt); };
  link.pair();
  expect_failed_without_keys(link, SmpReason::kPasskeyEntryFailed, /*peripheral_detects=*/false);
}

// p - y on P-256 (least significant octet first): the same X, negated Y.
std::array<uint8_t, 32> negate_y(const std::array<uint8_t, 32>& y) {
  const char* p_hex = "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff";
  std::array<uint8_t, 32> p{};
  for (size_t i = 0; i < 32; ++i)
    p[31 - i] = uint8_t(std::stoul(std::string(p_hex + 2 * i, 2), nullptr, 16));
  std::array<uint8_t, 32> out{};
  int borrow = 0;
  for (size_t i = 0; i < 32; ++i) {
    int v = int(p[i]) - int(y[i]) - borrow;
    borrow = v < 0;
    out[i] = uint8_t(v + (borrow ? 256 : 0));
  }
  return out;
}

TEST(PairingPublicKeyTest, OffCurveKeyIsRefused) {
  Link link(policy(IoCap::NoInputNoOutput, kBond | kSc),
            policy(IoCap::NoInputNoOutput, kBond | kSc));
  link.tamper = [](bool to_peripheral, Octets& pdu) {
    if (to_peripheral && pdu[0] == 0x0C) pdu[33] ^= 0x01;  // PKa.y (CVE-2018-5383)
  };
  link.pair();
  // The responder never sends its own key nor a confirm.
  for (const auto& pdu : link.p.sent) EXPECT_NE(pdu[0], 0x0C);
  expect_failed_without_keys(link, SmpReason::kDhKeyCheckFailed, /*peripheral_detects=*/true);
}

TEST(PairingPublicKeyTest, ReflectedKeyIsRefused) {
  for (bool negate : {false, true}) {
    SCOPED_TRACE(negate ? "(X, p-Y)" : "(X, Y)");
    Link link(policy(IoCap::KeyboardOnly, kBond | kMitm | kSc),
              policy(IoCap::DisplayOnly, kBond | kMitm | kSc));
    Octets pka;
    link.tamper = [&](bool to_peripheral, Octets& pdu) {
      if (pdu[0] != 0x0C) return;
      if (to_peripheral) {
        pka = pdu;
        return;
      }
      pdu = pka;  // CVE-2020-26558: the MITM answers with the initiator's own X
      if (negate) {
        std::array<uint8_t, 32> y{};
        std::copy(pdu.begin() + 33, pdu.end(), y.begin());
        y = negate_y(y);
        std::copy(y.begin(), y.end(), pdu.begin() + 33);
      }
    };
    link.pair();
    // Refused before any Pairing Confirm leaves the central.
    for (const auto& pdu : link.c.sent) EXPECT_NE(pdu[0], 0x03);
    expect_failed_without_keys(link, SmpReason::kInvalidParameters, /*peripheral_detects=*/false);
  }
}

Octets public_key_pdu(const crypto::P256PublicKey& k) {
  Octets pdu = {0x0C};
  pdu.insert(pdu.end(), k.x.begin(), k.x.end());
  pdu.insert(pdu.end(), k.y.begin(), k.y.end());
  return pdu;
}

TEST(PairingPublicKeyTest, DebugKeyFromPeer) {
  const Octets jw_request = {0x01, 0x03, 0x00, 0x09, 0x10, 0x00, 0x00};  // NoIO, Bonding | SC
  {
    Peripheral per(policy(IoCap::NoInputNoOutput, kBond | kSc));
    per.pairing.on_sdu(kStart, jw_request);
    per.pairing.on_sdu(kStart, public_key_pdu(kDebugKeyPair.public_key));
    EXPECT_EQ(per.d.last_sent(), failed(SmpReason::kAuthenticationRequirements));
    EXPECT_EQ(per.d.sent.size(), 2u);  // Pairing Response, Pairing Failed
  }
  {
    PairingPolicy pol = policy(IoCap::NoInputNoOutput, kBond | kSc);
    pol.allow_debug_keys = true;
    Peripheral per(pol);
    per.pairing.on_sdu(kStart, jw_request);
    per.pairing.on_sdu(kStart, public_key_pdu(kDebugKeyPair.public_key));
    ASSERT_EQ(per.d.sent.size(), 3u);  // Pairing Response, Public Key, Confirm (Cb)
    EXPECT_EQ(per.d.sent[1][0], 0x0C);
    EXPECT_EQ(per.d.sent[2][0], 0x03);
    EXPECT_TRUE(per.d.failures.empty());
  }
}

TEST(PairingPublicKeyTest, FreshKeyPairPerPairing) {
  Link link(policy(IoCap::NoInputNoOutput, kBond | kSc),
            policy(IoCap::NoInputNoOutput, kBond | kSc));
  link.pair();
  ASSERT_TRUE(link.c.result);
  link.now += Duration(1000);
  link.pair();  // the same Pairing objects pair again
  std::vector<Octets> keys;
  for (const auto& pdu : link.c.sent) {
    if (pdu[0] == 0x0C) keys.push_back(pdu);
  }
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_NE(keys[0], keys[1]);
}

// ---------------------------------------------------------------------------
// Out-of-sequence, reserved and malformed PDUs in every phase (attack #16).

// A well-formed PDU of each opcode (all-zero payload parses for each).
Octets any_pdu(uint8_t op) {
  Octets pdu(pdu_size(op), 0);
  pdu[0] = op;
  return pdu;
}

struct PhaseCase {
  bool legacy;
  bool on_peripheral;
  const char* phase;
  std::vector<uint8_t> accepted;  // opcodes this phase handles
};

TEST(PairingSequenceTest, EveryUnexpectedOpcodeInEveryPhase) {
  const PhaseCase cases[] = {
      {false, true, "Idle", {0x01}},
      {false, true, "ScPublicKeyExchange", {0x0C}},
      {false, true, "ScStage1", {0x04}},  // Just Works responder: waits for Na
      {false, true, "ScDhKeyCheck", {0x0D}},
      {false, true, "Encrypting", {}},
      {false, true, "KeyDistribution", {0x08}},  // SC: the central's IRK first
      {true, true, "LegacyPhase2", {0x03}},
      {false, false, "Idle", {0x0B}},
      {false, false, "AwaitingResponse", {0x02}},
      {false, false, "ScPublicKeyExchange", {0x0C}},
      {false, false, "ScStage1", {0x03}},  // waits for Cb
      {false, false, "ScDhKeyCheck", {0x0D}},
      {false, false, "Encrypting", {}},
      {false, false, "KeyDistribution", {0x08}},
      {true, false, "LegacyPhase2", {0x03}},
      {true, false, "KeyDistribution", {0x06}},  // legacy: the peripheral's LTK first
  };
  for (const PhaseCase& k : cases) {
    if (k.legacy && !legacy_pairing_linked()) continue;  // built without LE legacy pairing
    for (uint8_t op = 0x01; op <= 0x0E; ++op) {
      if (op == 0x05) continue;  // Pairing Failed: see PairingFailedFromPeer
      if (std::find(k.accepted.begin(), k.accepted.end(), op) != k.accepted.end()) continue;
      SCOPED_TRACE(std::string(k.legacy ? "legacy " : "SC ") +
                   (k.on_peripheral ? "peripheral " : "central ") + k.phase + " opcode " +
                   std::to_string(op));
      const AuthReq auth = kBond | (k.legacy ? AuthReq() : kSc);
      Link link(policy(IoCap::NoInputNoOutput, auth, !k.legacy),
                policy(IoCap::NoInputNoOutput, auth, !k.legacy));
      Pairing& side = k.on_peripheral ? *link.peripheral : *link.central;
      Recorder& rec = k.on_peripheral ? link.p : link.c;
      if (std::string(k.phase) != "Idle") {
        link.central->initiate(link.now);
        ASSERT_TRUE(link.run_until([&] { return std::string(side.phase_name()) == k.phase; }));
      }
      const bool was_pairing = side.in_progress();
      const size_t sent_before = rec.sent.size();
      side.on_sdu(link.now, any_pdu(op));
      // Only the other role sends these: Command Not Supported; else Unspecified.
      const bool wrong_role = k.on_peripheral ? (op == 0x02 || op == 0x0B) : op == 0x01;
      const SmpReason reason =
          wrong_role ? SmpReason::kCommandNotSupported : SmpReason::kUnspecifiedReason;
      ASSERT_EQ(rec.sent.size(), sent_before + 1);
      EXPECT_EQ(rec.last_sent(), failed(reason));
      EXPECT_FALSE(side.in_progress());
      EXPECT_STREQ(side.phase_name(), "Idle");
      if (k.on_peripheral) {
        EXPECT_FALSE(link.peripheral->on_long_term_key_request(link.now, 0, 0));
      }
      if (was_pairing) {
        ASSERT_EQ(rec.failures.size(), 1u);
        EXPECT_EQ(rec.failures[0].reason, reason);
        EXPECT_EQ(rec.failures[0].origin, FailureOrigin::kLocal);
      } else {
        EXPECT_TRUE(rec.failures.empty());  // nothing was in progress
      }
      // The failed side never completes (the other may have, e.g. a central
      // whose keys had all arrived before the peripheral failed).
      link.run();
      EXPECT_FALSE(rec.result.has_value());
    }
  }
}

TEST(PairingSequenceTest, ReservedOpcodeAndWrongLengthMidPairing) {
  struct Case {
    Octets pdu;
    SmpReason reason;
  };
  const Case cases[] = {
      {{0x0F, 0x00}, SmpReason::kCommandNotSupported},  // reserved opcode
      {{0x00}, SmpReason::kCommandNotSupported},
      {{0xFF, 0x01, 0x02}, SmpReason::kCommandNotSupported},
      {Octets(64, 0x0C), SmpReason::kInvalidParameters},  // Public Key one octet short
      {{0x04, 0x00}, SmpReason::kInvalidParameters},      // Pairing Random, 1 octet
      {{}, SmpReason::kInvalidParameters},                // empty SDU
  };
  for (const Case& k : cases) {
    Link link(policy(IoCap::NoInputNoOutput, kBond | kSc),
              policy(IoCap::NoInputNoOutput, kBond | kSc));
    link.central->initiate(link.now);
    ASSERT_TRUE(link.run_until(
        [&] { return std::string(link.peripheral->phase_name()) == "ScPublicKeyExchange"; }));
    link.peripheral->on_sdu(link.now, k.pdu);
    EXPECT_EQ(link.p.last_sent(), failed(k.reason));
    ASSERT_EQ(link.p.failures.size(), 1u);
    EXPECT_EQ(link.p.failures[0].reason, k.reason);
    EXPECT_FALSE(link.peripheral->in_progress());
  }
}

TEST(PairingSequenceTest, PairingFailedFromPeer) {
  Link link(policy(IoCap::NoInputNoOutput, kBond | kSc),
            policy(IoCap::NoInputNoOutput, kBond | kSc));
  link.central->initiate(link.now);
  ASSERT_TRUE(
      link.run_until([&] { return std::string(link.peripheral->phase_name()) == "ScStage1"; }));
  const size_t sent = link.p.sent.size();
  link.peripheral->on_sdu(link.now, Octets{0x05, 0x08});
  EXPECT_EQ(link.p.sent.size(), sent);  // not answered
  ASSERT_EQ(link.p.failures.size(), 1u);
  EXPECT_EQ(link.p.failures[0].reason, SmpReason::kUnspecifiedReason);
  EXPECT_EQ(link.p.failures[0].origin, FailureOrigin::kPeer);
  EXPECT_FALSE(link.peripheral->in_progress());
  EXPECT_EQ(link.peripheral->next_deadline(), kNever);
  // Outside a pairing a Pairing Failed is ignored, not answered.
  link.peripheral->on_sdu(link.now, Octets{0x05, 0x08});
  EXPECT_EQ(link.p.sent.size(), sent);
}

TEST(PairingSequenceTest, KeyDistributionOrderEnforced) {
  // The peripheral's Identity Information is lost: the central sees Identity
  // Address Information where it expects the IRK.
  Link link(policy(IoCap::NoInputNoOutput, kBond | kSc),
            policy(IoCap::NoInputNoOutput, kBond | kSc));
  link.tamper = [](bool to_peripheral, Octets& pdu) {
    if (!to_peripheral && pdu[0] == 0x08) pdu.clear();
  };
  link.pair();
  EXPECT_EQ(link.c.last_sent(), failed(SmpReason::kUnspecifiedReason));
  EXPECT_FALSE(link.c.result || link.p.result);
}

TEST(PairingSequenceTest, InvalidIdentityAddressIsInvalidParameters) {
  Link link(policy(IoCap::NoInputNoOutput, kBond | kSc),
            policy(IoCap::NoInputNoOutput, kBond | kSc));
  link.tamper = [](bool to_peripheral, Octets& pdu) {
    if (!to_peripheral && pdu[0] == 0x09) {
      pdu[1] = 0x01;  // random...
      pdu[7] = 0x40;  // ...but resolvable private, not static
    }
  };
  link.pair();
  EXPECT_EQ(link.c.last_sent(), failed(SmpReason::kInvalidParameters));
  EXPECT_FALSE(link.c.result.has_value());
}

// ---------------------------------------------------------------------------
// SMP timeout (3.4).

TEST(PairingTimeoutTest, ThirtySecondsThenNoMoreSmp) {
  Link link(policy(IoCap::NoInputNoOutput, kBond | kSc),
            policy(IoCap::NoInputNoOutput, kBond | kSc));
  EXPECT_EQ(link.central->next_deadline(), kNever);
  link.central->initiate(kStart);
  EXPECT_EQ(link.central->next_deadline(), kStart + kSmpTimeout);
  link.central->on_timeout(kStart + kSmpTimeout - Duration(1));
  EXPECT_TRUE(link.central->in_progress());
  link.central->on_timeout(kStart + kSmpTimeout);
  ASSERT_EQ(link.c.failures.size(), 1u);
  EXPECT_EQ(link.c.failures[0].origin, FailureOrigin::kTimeout);
  EXPECT_TRUE(link.central->timed_out());
  EXPECT_FALSE(link.central->in_progress());
  EXPECT_EQ(link.central->next_deadline(), kNever);
  EXPECT_EQ(link.c.sent.size(), 1u);  // no Pairing Failed on timeout
  // No more SMP on this link: PDUs are dropped and initiate() does nothing.
  link.c.outbox.clear();
  link.central->on_sdu(kStart, Octets{0x02, 0x03, 0x00, 0x09, 0x10, 0x00, 0x00});
  link.central->on_sdu(kStart, Octets{0x0B, 0x0D});
  link.central->initiate(kStart);
  EXPECT_EQ(link.c.sent.size(), 1u);
  EXPECT_EQ(link.c.failures.size(), 1u);
}

TEST(PairingTimeoutTest, TimerRestartsWhenAPduIsSent) {
  Peripheral per(policy(IoCap::DisplayOnly, kBond | kMitm | kSc));
  per.pairing.on_sdu(kStart, kScPasskeyRequest);
  EXPECT_EQ(per.pairing.next_deadline(), kStart + kSmpTimeout);
  // 20 s later the central's public key arrives; our answer restarts the timer.
  TestRandom rng(99);
  auto central_key = crypto::generate_p256_key_pair(rng);
  ASSERT_TRUE(central_key.ok());
  const TimePoint later = kStart + Duration(20000);
  per.pairing.on_sdu(later, public_key_pdu(central_key->public_key));
  EXPECT_EQ(per.d.last_sent()[0], 0x0C);
  EXPECT_EQ(per.pairing.next_deadline(), later + kSmpTimeout);
  // The user never types (waits for Cai): the pairing times out.
  per.pairing.on_timeout(later + kSmpTimeout);
  ASSERT_EQ(per.d.failures.size(), 1u);
  EXPECT_EQ(per.d.failures[0].origin, FailureOrigin::kTimeout);
  EXPECT_FALSE(per.pairing.on_long_term_key_request(later + kSmpTimeout, 0, 0));
}

}  // namespace
}  // namespace sable::smp
