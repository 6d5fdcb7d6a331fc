// Test doubles for smp::Pairing: a deterministic RandomSource, a recording
// PairingDelegate, and a Link that wires a central (initiator) and a
// peripheral (responder) Pairing back to back, plays both users and the
// controller's LTK exchange (LE LTK Request + Encryption Change).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "smp/pairing.hpp"
#include "support/test_time.hpp"

namespace sable::smp::test {

using sable::testing::at_ms;
using Octets = std::vector<uint8_t>;

// SplitMix64 stream; `scripted` octets are handed out first.
class TestRandom : public crypto::RandomSource {
 public:
  explicit TestRandom(uint64_t seed) : state_(seed) {}
  void fill(MutableBytes out) override {
    for (auto& b : out) {
      if (!scripted.empty()) {
        b = scripted.front();
        scripted.pop_front();
        continue;
      }
      if (left_ == 0) {
        uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        word_ = z ^ (z >> 31);
        left_ = 8;
      }
      b = uint8_t(word_);
      word_ >>= 8;
      --left_;
    }
  }
  std::deque<uint8_t> scripted;

 private:
  uint64_t state_;
  uint64_t word_ = 0;
  int left_ = 0;
};

struct Recorder : PairingDelegate {
  std::deque<Octets> outbox;  // not yet delivered to the peer
  std::vector<Octets> sent;   // everything ever sent
  std::deque<LongTermKey> encryptions;
  std::vector<LongTermKey> all_encryptions;
  std::vector<uint32_t> displayed;
  std::vector<PasskeyRequest> requests;
  std::vector<uint32_t> comparisons;
  int pending_requests = 0;
  int pending_comparisons = 0;
  std::optional<PairingResult> result;
  std::vector<PairingFailure> failures;
  std::optional<ExistingBond> bond;
  SecurityRequestAction security_action = SecurityRequestAction::kPair;
  std::vector<AuthReq> security_requests;
  int bond_queries = 0;
  std::function<void(PasskeyRequest)> on_request;  // optional synchronous answer

  void send_smp(Bytes sdu) override {
    outbox.emplace_back(sdu.begin(), sdu.end());
    sent.emplace_back(sdu.begin(), sdu.end());
  }
  void start_encryption(const Key& ltk, uint64_t rand, uint16_t ediv) override {
    encryptions.push_back({ltk, ediv, rand});
    all_encryptions.push_back({ltk, ediv, rand});
  }
  void display_passkey(uint32_t passkey) override { displayed.push_back(passkey); }
  void request_passkey(PasskeyRequest r) override {
    requests.push_back(r);
    if (on_request) {
      on_request(r);
    } else {
      ++pending_requests;
    }
  }
  void confirm_numeric_comparison(uint32_t value) override {
    comparisons.push_back(value);
    ++pending_comparisons;
  }
  void on_pairing_complete(const PairingResult& r) override { result = r; }
  void on_pairing_failed(const PairingFailure& f) override { failures.push_back(f); }
  std::optional<ExistingBond> existing_bond_for_peer() override {
    ++bond_queries;
    return bond;
  }
  SecurityRequestAction on_security_request(AuthReq auth) override {
    security_requests.push_back(auth);
    return security_action;
  }
  Octets last_sent() const { return sent.empty() ? Octets{} : sent.back(); }
};

inline Address central_address() {  // static random (two top bits 0b11)
  return Address{.bytes = {0x01, 0x02, 0x03, 0x04, 0x05, 0xC6}, .type = AddressType::kRandom};
}
inline Address peripheral_rpa() {  // resolvable private (0b01)
  return Address{.bytes = {0x11, 0x12, 0x13, 0x14, 0x15, 0x56}, .type = AddressType::kRandom};
}
inline Address peripheral_identity() {
  return Address{.bytes = {0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6}, .type = AddressType::kPublic};
}
inline Key peripheral_irk() {
  return Key{0xec, 0x02, 0x34, 0xa3, 0x57, 0xc8, 0xad, 0x05,
             0x34, 0x10, 0x10, 0xa6, 0x0a, 0x39, 0x7d, 0x9b};
}
inline Key central_irk() {
  return Key{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
}

inline const AuthReq kBond = AuthReq::bond();
inline const AuthReq kMitm = AuthReq::mitm();
inline const AuthReq kSc = AuthReq::sc();

// Pairing Failed with `r` (3.5.5).
inline Octets failed(SmpReason r) {
  return Octets{0x05, uint8_t(r)};
}

inline const Octets kScPasskeyRequest = {
    0x01,  // Pairing Request
    0x04,  // IO Capability: KeyboardDisplay
    0x00,  // OOB data flag: not present
    0x0D,  // AuthReq: Bonding | MITM | SC
    0x10,  // Maximum Encryption Key Size: 16
    0x03,  // Initiator Key Distribution: EncKey | IdKey
    0x03,  // Responder Key Distribution: EncKey | IdKey
};

inline PairingPolicy policy(IoCap io, AuthReq auth, bool sc_only = true) {
  PairingPolicy p;
  p.io_cap = io;
  p.auth = auth;
  p.sc_only = sc_only;
  return p;
}

inline constexpr TimePoint kStart = at_ms(1'000'000);

// A responder Pairing alone, driven byte by byte by the test.
struct Peripheral {
  explicit Peripheral(const PairingPolicy& policy, RepeatedAttempts* attempts = nullptr,
                      const Address& central = central_address())
      : pairing(Role::kResponder, policy, d, rng,
                LocalDevice{peripheral_identity(), peripheral_rpa(), peripheral_irk()}, central,
                attempts) {}
  Recorder d;
  TestRandom rng{7};
  Pairing pairing;
};

class Link {
 public:
  Link(const PairingPolicy& central_policy, const PairingPolicy& peripheral_policy,
       RepeatedAttempts* central_attempts = nullptr,
       RepeatedAttempts* peripheral_attempts = nullptr,
       const Address& central_on_air = central_address())
      : central(
            std::make_unique<Pairing>(Role::kInitiator, central_policy, c, crng,
                                      LocalDevice{central_address(), central_on_air, central_irk()},
                                      peripheral_rpa(), central_attempts)),
        peripheral(std::make_unique<Pairing>(
            Role::kResponder, peripheral_policy, p, prng,
            LocalDevice{peripheral_identity(), peripheral_rpa(), peripheral_irk()}, central_on_air,
            peripheral_attempts)) {}

  Recorder c;  // the central's delegate
  Recorder p;  // the peripheral's delegate
  TestRandom crng{0x1111};
  TestRandom prng{0x2222};
  std::unique_ptr<Pairing> central;
  std::unique_ptr<Pairing> peripheral;
  TimePoint now = kStart;

  // Users: what they type. nullopt: the value the other side displays.
  std::optional<uint32_t> central_types;
  std::optional<uint32_t> peripheral_types;
  uint32_t both_input_passkey = 314159;  // KeyboardOnly x KeyboardOnly: users agree on it
  bool central_accepts_comparison = true;
  bool peripheral_accepts_comparison = true;
  // In-flight PDU hook: modify, or clear to drop. to_peripheral: sent by the central.
  std::function<void(bool to_peripheral, Octets&)> tamper;
  // The peripheral's answers to LE LTK Requests (nullopt: negative reply).
  std::vector<std::optional<Key>> ltk_replies;

  // One delivery, user answer or encryption; false when nothing is left.
  bool step() {
    if (!c.outbox.empty()) return deliver(c, *peripheral, true);
    if (!p.outbox.empty()) return deliver(p, *central, false);
    if (p.pending_requests > 0) {
      --p.pending_requests;
      peripheral->passkey_reply(now, typed(p, c, peripheral_types));
      return true;
    }
    if (c.pending_requests > 0) {
      --c.pending_requests;
      central->passkey_reply(now, typed(c, p, central_types));
      return true;
    }
    if (c.pending_comparisons > 0) {
      --c.pending_comparisons;
      central->numeric_comparison_reply(now, central_accepts_comparison);
      return true;
    }
    if (p.pending_comparisons > 0) {
      --p.pending_comparisons;
      peripheral->numeric_comparison_reply(now, peripheral_accepts_comparison);
      return true;
    }
    if (!c.encryptions.empty()) {
      // The controllers: the peripheral's host answers the LTK Request; the
      // link encrypts only if both keys match (as btvirt does).
      LongTermKey k = c.encryptions.front();
      c.encryptions.pop_front();
      auto reply = peripheral->on_long_term_key_request(now, k.rand, k.ediv);
      ltk_replies.push_back(reply);
      const bool ok = reply.has_value() && *reply == k.key;
      peripheral->on_encryption_changed(now, ok ? 0x00 : 0x06, ok);
      central->on_encryption_changed(now, ok ? 0x00 : 0x06, ok);
      return true;
    }
    return false;
  }

  void run() {
    for (int i = 0; i < 10000; ++i) {
      if (!step()) return;
    }
    ADD_FAILURE() << "link did not settle";
  }

  // Steps until `done` holds (checked before each step); false if it never does.
  bool run_until(const std::function<bool()>& done) {
    for (int i = 0; i < 10000; ++i) {
      if (done()) return true;
      if (!step()) return done();
    }
    return false;
  }

  void pair() {
    central->initiate(now);
    run();
  }

 private:
  bool deliver(Recorder& from, Pairing& to, bool to_peripheral) {
    Octets pdu = from.outbox.front();
    from.outbox.pop_front();
    if (tamper) tamper(to_peripheral, pdu);
    if (!pdu.empty()) to.on_sdu(now, pdu);
    return true;
  }
  uint32_t typed(const Recorder& self, const Recorder& other, std::optional<uint32_t> forced) {
    if (forced) return *forced;
    if (self.requests.back() == PasskeyRequest::kChooseForDisplay) return 271828;
    if (!other.displayed.empty()) return other.displayed.back();
    if (!other.requests.empty() && other.requests.back() == PasskeyRequest::kChooseForDisplay) {
      return 271828;
    }
    return both_input_passkey;
  }
};

// A failed pairing: `reason` reported once by the side that detected it
// (and sent), as the peer's by the other; no keys, no encryption.
inline void expect_failed_without_keys(const Link& link, SmpReason reason,
                                       bool peripheral_detects) {
  const Recorder& detector = peripheral_detects ? link.p : link.c;
  const Recorder& other = peripheral_detects ? link.c : link.p;
  ASSERT_EQ(detector.failures.size(), 1u);
  EXPECT_EQ(detector.failures[0].reason, reason);
  EXPECT_EQ(detector.failures[0].origin, FailureOrigin::kLocal);
  // Sent once; PDUs of the aborted pairing still in flight may draw 0x08 later.
  EXPECT_EQ(std::count(detector.sent.begin(), detector.sent.end(), failed(reason)), 1);
  ASSERT_EQ(other.failures.size(), 1u);
  EXPECT_EQ(other.failures[0].reason, reason);
  EXPECT_EQ(other.failures[0].origin, FailureOrigin::kPeer);
  EXPECT_FALSE(link.c.result || link.p.result);
  EXPECT_TRUE(link.c.all_encryptions.empty());
  EXPECT_FALSE(link.central->in_progress() || link.peripheral->in_progress());
}

}  // namespace sable::smp::test
