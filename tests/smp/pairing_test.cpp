// smp::Pairing: two state machines back to back over the full IO capability
// matrix, and scripted single-side tests for every failure path
// (Core 5.4 Vol 3 Part H 2.3 - 2.4, 3; attack catalogue rows 1-7, 12-16, 18, 26, 31).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <string>
#include <utility>

#include "smp/pairing.hpp"
#include "smp/pairing_harness.hpp"

namespace sable::smp {
namespace {

using namespace test;  // pairing_harness.hpp

constexpr IoCap kAllIoCaps[] = {IoCap::DisplayOnly, IoCap::DisplayYesNo, IoCap::KeyboardOnly,
                                IoCap::NoInputNoOutput, IoCap::KeyboardDisplay};

const char* name(IoCap c) {
  switch (c) {
    case IoCap::DisplayOnly:
      return "DisplayOnly";
    case IoCap::DisplayYesNo:
      return "DisplayYesNo";
    case IoCap::KeyboardOnly:
      return "KeyboardOnly";
    case IoCap::NoInputNoOutput:
      return "NoInputNoOutput";
    case IoCap::KeyboardDisplay:
      return "KeyboardDisplay";
  }
  return "?";
}

// The association model derived from the prose of 2.3.5.1 (who can show,
// who can type, who can say yes/no), independently of the table in the code.
PairingMethod expected_method(bool sc, IoCap i, IoCap r) {
  auto keyboard = [](IoCap c) { return c == IoCap::KeyboardOnly || c == IoCap::KeyboardDisplay; };
  auto yes_no = [](IoCap c) { return c == IoCap::DisplayYesNo || c == IoCap::KeyboardDisplay; };
  if (i == IoCap::NoInputNoOutput || r == IoCap::NoInputNoOutput) return PairingMethod::kJustWorks;
  if (sc && yes_no(i) && yes_no(r)) return PairingMethod::kNumericComparison;
  if (!keyboard(i) && !keyboard(r)) return PairingMethod::kJustWorks;
  if (i == IoCap::KeyboardOnly && r == IoCap::KeyboardOnly) return PairingMethod::kPasskeyBothInput;
  if (i == IoCap::KeyboardOnly) return PairingMethod::kPasskeyResponderDisplays;
  if (r == IoCap::KeyboardOnly) return PairingMethod::kPasskeyInitiatorDisplays;
  // Both can display, at least one is KeyboardDisplay: the KeyboardDisplay
  // side types; when both are, the responder types.
  if (r == IoCap::KeyboardDisplay) return PairingMethod::kPasskeyInitiatorDisplays;
  return PairingMethod::kPasskeyResponderDisplays;
}

bool all_zero_from(const Key& k, size_t from) {
  return std::all_of(k.begin() + long(from), k.end(), [](uint8_t b) { return b == 0; });
}

// The key both sides put on the link: the central's HCI_LE_Enable_Encryption
// key must equal the peripheral's answer to the LTK Request.
void expect_same_link_key(const Link& link) {
  ASSERT_EQ(link.c.all_encryptions.size(), 1u);
  ASSERT_EQ(link.ltk_replies.size(), 1u);
  ASSERT_TRUE(link.ltk_replies[0].has_value());
  EXPECT_EQ(link.c.all_encryptions[0].key, *link.ltk_replies[0]);
  EXPECT_EQ(link.c.all_encryptions[0].ediv, 0);
  EXPECT_EQ(link.c.all_encryptions[0].rand, 0u);
}

// ---------------------------------------------------------------------------
// The matrix: IO capability x IO capability x SC/legacy x bonding. The
// central requires MITM, the peripheral does not: Just Works cases are
// refused by the central (Authentication Requirements), all others pair.

TEST(PairingMatrixTest, IoCapabilitiesScLegacyBonding) {
  for (bool sc : {true, false}) {
    if (!sc && !legacy_pairing_linked()) continue;  // built without LE legacy pairing
    for (bool bonding : {true, false}) {
      for (IoCap ci : kAllIoCaps) {
        for (IoCap ri : kAllIoCaps) {
          SCOPED_TRACE(std::string(sc ? "SC " : "legacy ") + (bonding ? "bonding " : "") +
                       "initiator " + name(ci) + " responder " + name(ri));
          const AuthReq base = (bonding ? kBond : AuthReq()) | (sc ? kSc : AuthReq());
          Link link(policy(ci, base | kMitm, sc), policy(ri, base, sc));
          link.pair();
          const PairingMethod m = expected_method(sc, ci, ri);
          const auto& c = link.c;
          const auto& p = link.p;
          if (m == PairingMethod::kJustWorks) {
            // Never silently unauthenticated: the central refuses.
            ASSERT_EQ(c.failures.size(), 1u);
            EXPECT_EQ(c.failures[0].reason, SmpReason::kAuthenticationRequirements);
            EXPECT_EQ(c.failures[0].origin, FailureOrigin::kLocal);
            EXPECT_EQ(c.last_sent(), failed(SmpReason::kAuthenticationRequirements));
            ASSERT_EQ(p.failures.size(), 1u);
            EXPECT_EQ(p.failures[0].origin, FailureOrigin::kPeer);
            EXPECT_FALSE(c.result || p.result);
            EXPECT_TRUE(c.all_encryptions.empty());
            continue;
          }
          ASSERT_TRUE(c.result.has_value());
          ASSERT_TRUE(p.result.has_value());
          EXPECT_TRUE(c.failures.empty() && p.failures.empty());
          // Which user interaction happened says which model ran (attack #13).
          switch (m) {
            case PairingMethod::kNumericComparison:
              ASSERT_EQ(c.comparisons.size(), 1u);
              ASSERT_EQ(p.comparisons.size(), 1u);
              EXPECT_EQ(c.comparisons[0], p.comparisons[0]);
              EXPECT_LE(c.comparisons[0], 999999u);
              EXPECT_TRUE(c.displayed.empty() && p.displayed.empty());
              EXPECT_TRUE(c.requests.empty() && p.requests.empty());
              break;
            case PairingMethod::kPasskeyInitiatorDisplays:
              EXPECT_EQ(c.displayed.size(), 1u);
              EXPECT_EQ(p.requests, std::vector<PasskeyRequest>{PasskeyRequest::kEnter});
              EXPECT_TRUE(c.requests.empty() && p.displayed.empty());
              EXPECT_TRUE(c.comparisons.empty() && p.comparisons.empty());
              break;
            case PairingMethod::kPasskeyResponderDisplays:
              EXPECT_EQ(p.displayed.size(), 1u);
              EXPECT_EQ(c.requests, std::vector<PasskeyRequest>{PasskeyRequest::kEnter});
              EXPECT_TRUE(p.requests.empty() && c.displayed.empty());
              EXPECT_TRUE(c.comparisons.empty() && p.comparisons.empty());
              break;
            case PairingMethod::kPasskeyBothInput:
              EXPECT_EQ(c.requests, std::vector<PasskeyRequest>{PasskeyRequest::kEnter});
              EXPECT_EQ(p.requests, std::vector<PasskeyRequest>{PasskeyRequest::kEnter});
              EXPECT_TRUE(c.displayed.empty() && p.displayed.empty());
              break;
            default:
              ADD_FAILURE() << "unexpected model";
          }
          for (const auto* r : {&*c.result, &*p.result}) {
            EXPECT_EQ(r->method, m);
            EXPECT_TRUE(r->authenticated);
            EXPECT_EQ(r->secure_connections, sc);
            EXPECT_EQ(r->key_size, 16);
            EXPECT_EQ(r->bonded, bonding);
            EXPECT_FALSE(r->peer_used_debug_key);
          }
          expect_same_link_key(link);
          if (sc) {
            ASSERT_TRUE(c.result->ltk && p.result->ltk);
            EXPECT_EQ(c.result->ltk->key, p.result->ltk->key);
            EXPECT_EQ(c.result->ltk->key, c.all_encryptions[0].key);
            EXPECT_FALSE(c.result->local_ltk || c.result->peer_ltk);  // never distributed
          } else {
            EXPECT_FALSE(c.result->ltk || p.result->ltk);
          }
          if (!bonding) {
            // No bonding: nothing distributed.
            EXPECT_FALSE(c.result->peer_irk || p.result->peer_irk || c.result->peer_ltk);
            EXPECT_EQ(c.result->peer_key_distribution | p.result->peer_key_distribution, 0);
            continue;
          }
          if (!sc) {
            // Legacy: the peripheral's distributed LTK/EDIV/Rand is what the central got.
            ASSERT_TRUE(c.result->peer_ltk && p.result->local_ltk);
            EXPECT_EQ(c.result->peer_ltk->key, p.result->local_ltk->key);
            EXPECT_EQ(c.result->peer_ltk->ediv, p.result->local_ltk->ediv);
            EXPECT_EQ(c.result->peer_ltk->rand, p.result->local_ltk->rand);
            ASSERT_TRUE(p.result->peer_ltk && c.result->local_ltk);
            EXPECT_EQ(p.result->peer_ltk->key, c.result->local_ltk->key);
          }
          EXPECT_EQ(c.result->peer_irk, peripheral_irk());
          EXPECT_EQ(c.result->peer_identity_address, peripheral_identity());
          EXPECT_EQ(p.result->peer_irk, test::central_irk());
          EXPECT_EQ(p.result->peer_identity_address, central_address());
        }
      }
    }
  }
}

TEST(PairingMatrixTest, JustWorksWhenNeitherSideAsksForMitm) {
  for (bool sc : {true, false}) {
    if (!sc && !legacy_pairing_linked()) continue;  // built without LE legacy pairing
    for (IoCap ci : kAllIoCaps) {
      for (IoCap ri : kAllIoCaps) {
        SCOPED_TRACE(std::string(sc ? "SC " : "legacy ") + name(ci) + " x " + name(ri));
        const AuthReq auth = kBond | (sc ? kSc : AuthReq());
        Link link(policy(ci, auth, sc), policy(ri, auth, sc));
        link.pair();
        ASSERT_TRUE(link.c.result && link.p.result);
        EXPECT_EQ(link.c.result->method, PairingMethod::kJustWorks);
        EXPECT_FALSE(link.c.result->authenticated);
        EXPECT_FALSE(link.p.result->authenticated);
        EXPECT_TRUE(link.c.displayed.empty() && link.c.requests.empty() &&
                    link.c.comparisons.empty() && link.p.displayed.empty() &&
                    link.p.requests.empty() && link.p.comparisons.empty());
        expect_same_link_key(link);
      }
    }
  }
}

// 3.6.4: a device without an IRK distributes Identity Information with an
// all-zero IRK (it uses no resolvable private addresses), written into the
// send queue in place.
TEST(PairingKeyDistributionTest, WithoutAnIrkIdentityInformationCarriesZeros) {
  const AuthReq auth = kBond | kSc;
  Link link(policy(IoCap::NoInputNoOutput, auth), policy(IoCap::NoInputNoOutput, auth));
  link.peripheral = std::make_unique<Pairing>(
      Role::kResponder, policy(IoCap::NoInputNoOutput, auth), link.p, link.prng,
      LocalDevice{peripheral_identity(), peripheral_rpa(), std::nullopt}, central_address());
  link.pair();
  ASSERT_TRUE(link.c.result && link.p.result);
  EXPECT_EQ(link.c.result->peer_irk, Key{});
  EXPECT_EQ(link.c.result->peer_identity_address, peripheral_identity());
  Octets identity_information(17, 0x00);
  identity_information[0] = 0x08;
  EXPECT_NE(std::find(link.p.sent.begin(), link.p.sent.end(), identity_information),
            link.p.sent.end());
}

// ---------------------------------------------------------------------------
// Byte-exact feature exchange on the peripheral.

TEST(PairingFeatureExchangeTest, ResponseBytesAndLinkKeyBitCleared) {
  PairingPolicy pol = policy(IoCap::DisplayOnly, kBond | kMitm | kSc);
  pol.responder_key_distribution = key_dist::kEncKey | key_dist::kIdKey | key_dist::kSignKey;
  pol.initiator_key_distribution = key_dist::kIdKey | key_dist::kSignKey;
  Peripheral per(pol);
  Octets req = kScPasskeyRequest;
  req[5] = 0x0F;  // the central asks for everything incl. LinkKey (CTKD)
  req[6] = 0x0F;
  per.pairing.on_sdu(kStart, req);
  ASSERT_EQ(per.d.sent.size(), 1u);
  EXPECT_EQ(per.d.sent[0], (Octets{
                               0x02,  // Pairing Response
                               0x00,  // IO Capability: DisplayOnly
                               0x00,  // OOB data flag
                               0x0D,  // AuthReq: Bonding | MITM | SC (no Keypress, no CT2)
                               0x10,  // Maximum Encryption Key Size 16
                               0x06,  // Initiator Key Distribution: IdKey | SignKey
                               0x07,  // Responder Key Distribution: Enc | Id | Sign, no LinkKey
                           }));
  // DisplayOnly responder vs KeyboardDisplay initiator: the responder displays.
  ASSERT_EQ(per.d.displayed.size(), 1u);
  EXPECT_STREQ(per.pairing.phase_name(), "ScPublicKeyExchange");
  EXPECT_EQ(per.pairing.next_deadline(), kStart + kSmpTimeout);
}

TEST(PairingFeatureExchangeTest, PeerMaxKeySize6And17) {
  {
    Peripheral per(policy(IoCap::DisplayOnly, kBond | kSc));
    Octets req = kScPasskeyRequest;
    req[4] = 6;  // below the 7-octet floor and our minimum (KNOB)
    per.pairing.on_sdu(kStart, req);
    EXPECT_EQ(per.d.sent, std::vector<Octets>{failed(SmpReason::kEncryptionKeySize)});
    EXPECT_FALSE(per.pairing.in_progress());
  }
  {
    Peripheral per(policy(IoCap::DisplayOnly, kBond | kSc));
    Octets req = kScPasskeyRequest;
    req[4] = 17;  // out of range (3.5.1)
    per.pairing.on_sdu(kStart, req);
    EXPECT_EQ(per.d.sent, std::vector<Octets>{failed(SmpReason::kInvalidParameters)});
  }
  {
    // A peer maximum of 12 is below our default minimum of 16.
    Peripheral per(policy(IoCap::DisplayOnly, kBond | kSc));
    Octets req = kScPasskeyRequest;
    req[4] = 12;
    per.pairing.on_sdu(kStart, req);
    EXPECT_EQ(per.d.sent, std::vector<Octets>{failed(SmpReason::kEncryptionKeySize)});
    ASSERT_EQ(per.d.failures.size(), 1u);
    EXPECT_EQ(per.d.failures[0].origin, FailureOrigin::kLocal);
  }
}

TEST(PairingFeatureExchangeTest, ReservedFieldValuesAreInvalidParameters) {
  for (auto [index, value] : {std::pair{1, 0x05}, std::pair{2, 0x02}}) {
    Peripheral per(policy(IoCap::DisplayOnly, kBond | kSc));
    Octets req = kScPasskeyRequest;
    req[size_t(index)] = uint8_t(value);  // reserved IO capability / OOB flag
    per.pairing.on_sdu(kStart, req);
    EXPECT_EQ(per.d.sent, std::vector<Octets>{failed(SmpReason::kInvalidParameters)});
  }
}

TEST(PairingFeatureExchangeTest, ScOnlyRefusesLegacyPeer) {
  Peripheral per(policy(IoCap::DisplayOnly, kBond | kMitm | kSc, /*sc_only=*/true));
  Octets req = kScPasskeyRequest;
  req[3] = 0x05;  // AuthReq: Bonding | MITM, no SC
  per.pairing.on_sdu(kStart, req);
  EXPECT_EQ(per.d.sent, std::vector<Octets>{failed(SmpReason::kAuthenticationRequirements)});
}

TEST(PairingFeatureExchangeTest, MitmRequiredButOnlyJustWorksPossible) {
  // Our DisplayOnly + MITM against a NoInputNoOutput central: only Just Works.
  Peripheral per(policy(IoCap::DisplayOnly, kBond | kMitm | kSc));
  Octets req = kScPasskeyRequest;
  req[1] = 0x03;  // NoInputNoOutput
  req[3] = 0x09;  // Bonding | SC, no MITM
  per.pairing.on_sdu(kStart, req);
  EXPECT_EQ(per.d.sent, std::vector<Octets>{failed(SmpReason::kAuthenticationRequirements)});
  EXPECT_TRUE(per.d.displayed.empty());
}

TEST(PairingFeatureExchangeTest, CentralRefusesResponseThatAddsKeyBits) {
  Recorder d;
  TestRandom rng(3);
  Pairing central(Role::kInitiator, policy(IoCap::KeyboardDisplay, kBond | kSc), d, rng,
                  LocalDevice{central_address(), central_address(), {}}, test::peripheral_rpa());
  central.initiate(kStart);
  ASSERT_EQ(d.sent.size(), 1u);
  EXPECT_EQ(d.sent[0], (Octets{0x01, 0x04, 0x00, 0x09, 0x10, 0x03, 0x03}));
  // Responder Key Distribution 0x07 sets SignKey, which we did not offer.
  central.on_sdu(kStart, Octets{0x02, 0x03, 0x00, 0x09, 0x10, 0x03, 0x07});
  EXPECT_EQ(d.last_sent(), failed(SmpReason::kInvalidParameters));
}

// ---------------------------------------------------------------------------
// Key sizes.

// Just Works policies for the central and the peripheral that agree on keys
// of `max_size` octets: the central offers no more, both accept down to 7.
std::pair<PairingPolicy, PairingPolicy> short_key_policies(AuthReq auth, bool sc_only,
                                                           uint8_t max_size) {
  PairingPolicy cp = policy(IoCap::NoInputNoOutput, auth, sc_only);
  cp.min_key_size = 7;
  cp.max_key_size = max_size;
  PairingPolicy pp = policy(IoCap::NoInputNoOutput, auth, sc_only);
  pp.min_key_size = 7;
  return {cp, pp};
}

TEST(PairingKeySizeTest, SevenOctetKeysAreMasked) {
  for (bool sc : {true, false}) {
    if (!sc && !legacy_pairing_linked()) continue;  // built without LE legacy pairing
    SCOPED_TRACE(sc ? "SC" : "legacy");
    const auto [cp, pp] = short_key_policies(kBond | (sc ? kSc : AuthReq()), sc, 7);
    Link link(cp, pp);
    link.pair();
    ASSERT_TRUE(link.c.result && link.p.result);
    EXPECT_EQ(link.c.result->key_size, 7);
    EXPECT_EQ(link.p.result->key_size, 7);
    expect_same_link_key(link);
    // Vol 3 Part H 2.3.4: the 9 most significant octets are zero.
    EXPECT_TRUE(all_zero_from(link.c.all_encryptions[0].key, 7));
    EXPECT_FALSE(all_zero_from(link.c.all_encryptions[0].key, 0));
    if (!sc) {
      ASSERT_TRUE(link.p.result->local_ltk);
      EXPECT_TRUE(all_zero_from(link.p.result->local_ltk->key, 7));
    }
  }
}

// ---------------------------------------------------------------------------
// Bonds: a weaker pairing never replaces a stronger bond (attack #18).

TEST(PairingBondTest, WeakerPairingRefused) {
  struct Case {
    ExistingBond bond;
    bool new_mitm;
    bool new_sc;
    bool refused;
  };
  const Case cases[] = {
      {{true, true, 16}, false, true, true},    // authenticated bond, Just Works now
      {{false, true, 16}, false, false, true},  // SC bond, legacy now
      {{false, false, 16}, false, false, false},
      {{true, true, 16}, true, true, false},  // same strength: allowed
  };
  for (const Case& k : cases) {
    if (!k.new_sc && !legacy_pairing_linked()) continue;  // built without LE legacy pairing
    const AuthReq auth = kBond | (k.new_sc ? kSc : AuthReq()) | (k.new_mitm ? kMitm : AuthReq());
    const IoCap io = k.new_mitm ? IoCap::KeyboardDisplay : IoCap::NoInputNoOutput;
    Link link(policy(io, auth, k.new_sc), policy(io, auth, k.new_sc));
    link.p.bond = k.bond;
    link.pair();
    EXPECT_EQ(link.p.bond_queries, 1);
    if (k.refused) {
      EXPECT_EQ(link.p.last_sent(), failed(SmpReason::kAuthenticationRequirements));
      EXPECT_FALSE(link.p.result.has_value());
    } else {
      EXPECT_TRUE(link.p.result.has_value());
    }
  }
}

TEST(PairingBondTest, CentralAlsoRefusesWeakerPairing) {
  Link link(policy(IoCap::NoInputNoOutput, kBond | kSc),
            policy(IoCap::NoInputNoOutput, kBond | kSc));
  link.c.bond = ExistingBond{true, true, 16};
  link.pair();
  EXPECT_EQ(link.c.last_sent(), failed(SmpReason::kAuthenticationRequirements));
  EXPECT_FALSE(link.c.result || link.p.result);
}

// ---------------------------------------------------------------------------
// LTK Request before phase 2 completed (attacks #4, #5).

TEST(PairingLtkTest, NoKeyBeforePhaseTwoCompletes) {
  for (bool sc : {true, false}) {
    if (!sc && !legacy_pairing_linked()) continue;  // built without LE legacy pairing
    SCOPED_TRACE(sc ? "SC" : "legacy");
    const AuthReq auth = kBond | kMitm | (sc ? kSc : AuthReq());
    Link link(policy(IoCap::KeyboardOnly, auth, sc), policy(IoCap::DisplayOnly, auth, sc));
    EXPECT_FALSE(link.peripheral->on_long_term_key_request(link.now, 0, 0));
    link.central->initiate(link.now);
    bool asked_in_every_phase = link.run_until([&] {
      const std::string phase = link.peripheral->phase_name();
      if (phase == "Encrypting") return true;
      // A central that skips ahead (zero LTK, skipped DHKey check) gets nothing.
      EXPECT_FALSE(link.peripheral->on_long_term_key_request(link.now, 0, 0)) << phase;
      return false;
    });
    ASSERT_TRUE(asked_in_every_phase);
    EXPECT_FALSE(link.peripheral->on_long_term_key_request(link.now, 1, 0));       // wrong Rand
    EXPECT_FALSE(link.peripheral->on_long_term_key_request(link.now, 0, 0x1234));  // wrong EDIV
    EXPECT_TRUE(link.peripheral->on_long_term_key_request(link.now, 0, 0));
    link.run();
    ASSERT_TRUE(link.p.result);
    // After completion the pairing no longer answers; the bond store does.
    EXPECT_FALSE(link.peripheral->on_long_term_key_request(link.now, 0, 0));
  }
}

// Each LTK says what a link encrypted with it gets, as the bond stores it.
TEST(PairingLtkTest, KeysCarryTheirSizeAndProtection) {
  {
    Link link(policy(IoCap::KeyboardOnly, kBond | kMitm | kSc),
              policy(IoCap::DisplayOnly, kBond | kMitm | kSc));
    link.pair();
    ASSERT_TRUE(link.p.result && link.p.result->ltk);
    const LongTermKey& ltk = *link.p.result->ltk;
    EXPECT_EQ(ltk.key_size, 16);
    EXPECT_TRUE(ltk.authenticated);
    EXPECT_TRUE(ltk.secure_connections);
    EXPECT_EQ(ltk.ediv, 0);
    EXPECT_EQ(ltk.rand, 0u);
    ASSERT_TRUE(link.c.result && link.c.result->ltk);
    EXPECT_EQ(*link.c.result->ltk, ltk);
  }
  if (!legacy_pairing_linked()) return;  // built without LE legacy pairing
  const auto [cp, pp] = short_key_policies(kBond, false, 9);
  Link link(cp, pp);
  link.pair();
  ASSERT_TRUE(link.p.result && link.p.result->local_ltk);
  const LongTermKey& ltk = *link.p.result->local_ltk;
  EXPECT_EQ(ltk.key_size, 9);
  EXPECT_FALSE(ltk.authenticated);  // Just Works
  EXPECT_FALSE(ltk.secure_connections);
  ASSERT_TRUE(link.c.result && link.c.result->peer_ltk);
  EXPECT_EQ(*link.c.result->peer_ltk, ltk);  // what the central received
}

TEST(PairingLtkTest, EncryptionFailureFailsPairing) {
  Link link(policy(IoCap::NoInputNoOutput, kBond | kSc),
            policy(IoCap::NoInputNoOutput, kBond | kSc));
  link.central->initiate(link.now);
  ASSERT_TRUE(link.run_until([&] { return !link.c.encryptions.empty(); }));
  link.c.encryptions.clear();
  link.peripheral->on_encryption_changed(link.now, 0x06, false);  // PIN or Key Missing
  EXPECT_EQ(link.p.last_sent(), failed(SmpReason::kUnspecifiedReason));
  ASSERT_EQ(link.p.failures.size(), 1u);
  EXPECT_FALSE(link.peripheral->on_long_term_key_request(link.now, 0, 0));
}

// ---------------------------------------------------------------------------
// Security Request (2.4.6, 3.6.7).

TEST(PairingSecurityRequestTest, PeripheralAsksCentralPairs) {
  Link link(policy(IoCap::KeyboardOnly, kBond | kMitm | kSc),
            policy(IoCap::DisplayOnly, kBond | kMitm | kSc));
  link.peripheral->initiate(link.now);
  EXPECT_EQ(link.p.sent, (std::vector<Octets>{Octets{0x0B, 0x0D}}));  // AuthReq Bond|MITM|SC
  EXPECT_STREQ(link.peripheral->phase_name(), "SecurityRequested");
  link.run();
  ASSERT_EQ(link.c.security_requests.size(), 1u);
  EXPECT_EQ(link.c.security_requests[0].bits(), 0x0D);
  ASSERT_TRUE(link.c.result && link.p.result);
  EXPECT_TRUE(link.p.result->authenticated);
}

TEST(PairingSecurityRequestTest, CentralRejectsOrEncrypts) {
  {
    Link link(policy(IoCap::NoInputNoOutput, kBond | kSc),
              policy(IoCap::NoInputNoOutput, kBond | kSc));
    link.c.security_action = SecurityRequestAction::kReject;
    link.peripheral->initiate(link.now);
    link.run();
    EXPECT_EQ(link.c.sent, std::vector<Octets>{failed(SmpReason::kPairingNotSupported)});
    ASSERT_EQ(link.p.failures.size(), 1u);
    EXPECT_EQ(link.p.failures[0].reason, SmpReason::kPairingNotSupported);
    EXPECT_EQ(link.p.failures[0].origin, FailureOrigin::kPeer);
  }
  {
    Link link(policy(IoCap::NoInputNoOutput, kBond | kSc),
              policy(IoCap::NoInputNoOutput, kBond | kSc));
    link.c.security_action = SecurityRequestAction::kEncryptWithBond;
    link.peripheral->initiate(link.now);
    link.run();
    EXPECT_TRUE(link.c.sent.empty());  // the host encrypts with its bond instead
    EXPECT_TRUE(link.peripheral->in_progress());
    link.peripheral->on_encryption_changed(link.now, 0x00, true);
    EXPECT_FALSE(link.peripheral->in_progress());
    EXPECT_TRUE(link.p.failures.empty());
  }
}

// ---------------------------------------------------------------------------
// Passkeys.

TEST(PairingPasskeyTest, RandomPasskeyIsUniformByRejection) {
  Link link(policy(IoCap::KeyboardOnly, kBond | kMitm | kSc),
            policy(IoCap::DisplayOnly, kBond | kMitm | kSc));
  // The responder's first random draw is the passkey: 4294000000 (the
  // rejection limit, refused) then 4293999999 -> 999999.
  link.prng.scripted = {0x80, 0x3D, 0xF1, 0xFF, 0x7F, 0x3D, 0xF1, 0xFF};
  link.pair();
  EXPECT_EQ(link.p.displayed, std::vector<uint32_t>{999999});
  ASSERT_TRUE(link.p.result);
  // The next pairing draws a new passkey.
  link.now += Duration(1000);
  link.pair();
  ASSERT_EQ(link.p.displayed.size(), 2u);
  EXPECT_NE(link.p.displayed[0], link.p.displayed[1]);
}

TEST(PairingPasskeyTest, StaticPasskeyUsedAsGiven) {
  PairingPolicy pp = policy(IoCap::DisplayOnly, kBond | kMitm | kSc);
  pp.passkey_source = PasskeySource::kStatic;
  pp.static_passkey = 123456;
  Link link(policy(IoCap::KeyboardOnly, kBond | kMitm | kSc), pp);
  link.pair();
  link.now += Duration(1000);
  link.pair();
  EXPECT_EQ(link.p.displayed, (std::vector<uint32_t>{123456, 123456}));
  EXPECT_TRUE(link.p.result && link.p.result->authenticated);
}

TEST(PairingPasskeyTest, AppChosenPasskeyAndSynchronousReplies) {
  PairingPolicy pp = policy(IoCap::DisplayOnly, kBond | kMitm | kSc);
  pp.passkey_source = PasskeySource::kApp;
  Link link(policy(IoCap::KeyboardOnly, kBond | kMitm | kSc), pp);
  // Both apps answer from inside the callback (the Pairing is re-entered).
  link.p.on_request = [&](PasskeyRequest r) {
    EXPECT_EQ(r, PasskeyRequest::kChooseForDisplay);
    link.peripheral->passkey_reply(link.now, 42);
  };
  link.c.on_request = [&](PasskeyRequest r) {
    EXPECT_EQ(r, PasskeyRequest::kEnter);
    link.central->passkey_reply(link.now, 42);
  };
  link.pair();
  EXPECT_TRUE(link.p.displayed.empty());  // the app shows its own value
  ASSERT_TRUE(link.c.result && link.p.result);
  EXPECT_EQ(link.c.result->method, PairingMethod::kPasskeyResponderDisplays);
  expect_same_link_key(link);
}

TEST(PairingPasskeyTest, OutOfRangePasskeyReplyFails) {
  Link link(policy(IoCap::KeyboardOnly, kBond | kMitm | kSc),
            policy(IoCap::DisplayOnly, kBond | kMitm | kSc));
  link.central_types = 1000000;
  link.pair();
  expect_failed_without_keys(link, SmpReason::kPasskeyEntryFailed, /*peripheral_detects=*/false);
}

// ---------------------------------------------------------------------------
// Legacy OOB (2.3.5.4).

TEST(PairingOobTest, LegacyOobWithSharedTk) {
  if (!legacy_pairing_linked()) GTEST_SKIP() << "built without LE legacy pairing";
  PairingPolicy cp = policy(IoCap::NoInputNoOutput, kBond | kMitm, false);
  PairingPolicy pp = policy(IoCap::NoInputNoOutput, kBond | kMitm, false);
  cp.oob = OobData{Key{9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6}};
  pp.oob = cp.oob;
  Link link(cp, pp);
  link.pair();
  ASSERT_TRUE(link.c.result && link.p.result);
  EXPECT_EQ(link.c.result->method, PairingMethod::kOutOfBand);
  EXPECT_TRUE(link.c.result->authenticated);
  expect_same_link_key(link);
  // Different TKs: confirm value failure.
  pp.oob->tk[0] ^= 1;
  Link bad(cp, pp);
  bad.pair();
  expect_failed_without_keys(bad, SmpReason::kConfirmValueFailed, /*peripheral_detects=*/true);
}

TEST(PairingOobTest, ScOobFromPeerIsNotAvailable) {
  Peripheral per(policy(IoCap::DisplayOnly, kBond | kSc));
  Octets req = kScPasskeyRequest;
  req[2] = 0x01;  // the central claims our OOB data
  per.pairing.on_sdu(kStart, req);
  EXPECT_EQ(per.d.sent, std::vector<Octets>{failed(SmpReason::kOobNotAvailable)});
}

}  // namespace
}  // namespace sable::smp
