// The pairing matrix between two real hosts on the fake controller: every IO
// capability pair x LE Secure Connections / legacy x bonding x MITM. The
// expected association model is written here from Core 5.4 Vol 3 Part H
// 2.3.5.1 (Tables 2.7 and 2.8), independently of src/smp's own table.
#include <gtest/gtest.h>

#include <tuple>

#include "harness.hpp"

namespace sable::testing {
namespace {

enum class Model {
  kJustWorks,
  kNumericComparison,
  kResponderDisplays,
  kInitiatorDisplays,
  kBothInput
};

// Table 2.8, rows = responder, columns = initiator, for legacy and SC.
Model expected_model(IoCap initiator, IoCap responder, bool sc) {
  using I = IoCap;
  if (initiator == I::NoInputNoOutput || responder == I::NoInputNoOutput) return Model::kJustWorks;
  auto displays_only = [](I c) { return c == I::DisplayOnly; };
  auto yes_no = [](I c) { return c == I::DisplayYesNo; };
  auto keyboard_only = [](I c) { return c == I::KeyboardOnly; };
  if (keyboard_only(initiator) && keyboard_only(responder)) return Model::kBothInput;
  if (keyboard_only(initiator)) return Model::kResponderDisplays;  // initiator types
  if (keyboard_only(responder)) return Model::kInitiatorDisplays;  // responder types
  // Neither is KeyboardOnly or NoInputNoOutput: DisplayOnly, DisplayYesNo, KeyboardDisplay.
  if (displays_only(initiator) || displays_only(responder)) {
    if (displays_only(initiator) && responder == I::KeyboardDisplay)
      return Model::kInitiatorDisplays;
    if (displays_only(responder) && initiator == I::KeyboardDisplay)
      return Model::kResponderDisplays;
    return Model::kJustWorks;  // DisplayOnly with DisplayOnly/DisplayYesNo
  }
  // Both in {DisplayYesNo, KeyboardDisplay}.
  if (sc) return Model::kNumericComparison;
  if (yes_no(initiator) && yes_no(responder)) return Model::kJustWorks;
  if (yes_no(initiator))
    return Model::kResponderDisplays;  // responder KeyboardDisplay... see below
  return Model::kInitiatorDisplays;
}

// Legacy rows where one side is DisplayYesNo and the other KeyboardDisplay:
// the KeyboardDisplay side inputs, the DisplayYesNo side displays.
Model legacy_yes_no_keyboard(IoCap initiator, IoCap responder) {
  if (initiator == IoCap::DisplayYesNo && responder == IoCap::KeyboardDisplay)
    return Model::kInitiatorDisplays;
  if (initiator == IoCap::KeyboardDisplay && responder == IoCap::DisplayYesNo)
    return Model::kResponderDisplays;
  if (initiator == IoCap::KeyboardDisplay && responder == IoCap::KeyboardDisplay)
    return Model::kInitiatorDisplays;
  return Model::kJustWorks;
}

using Case = std::tuple<IoCap, IoCap, bool /*sc*/, bool /*bond*/, bool /*mitm*/>;

class PairingMatrixTest : public ::testing::TestWithParam<Case> {};

TEST_P(PairingMatrixTest, ModelCallbacksAndResultingSecurity) {
  // Plain copies, not structured bindings: clang 14 cannot capture those.
  const IoCap init_io = std::get<0>(GetParam()), resp_io = std::get<1>(GetParam());
  const bool sc = std::get<2>(GetParam()), bond = std::get<3>(GetParam()),
             mitm = std::get<4>(GetParam());
  auto config = [&](IoCap io) {
    gap::HostConfig c;
    uint8_t bits = uint8_t((bond ? AuthReq::kBond : 0) | (mitm ? AuthReq::kMitm : 0) |
                           (sc ? AuthReq::kSc : 0));
    c.security.auth = AuthReq(bits);
    c.security.io_cap = io;
    c.security.secure_connections_only = sc;
    c.security.static_passkey = 123456;
    return c;
  };
  Network net;
  TestHost& responder = net.add_host("00:AA:01:00:00:01", config(resp_io));
  TestHost& initiator = net.add_host("00:AA:01:01:00:02", config(init_io));
  initiator.passkey_to_enter = 123456;
  responder.passkey_to_enter = 123456;
  net.start();
  ASSERT_TRUE(responder.host().start_advertising(net.now()).ok());
  net.run();
  ASSERT_TRUE(initiator.host().connect(net.now(), responder.host().own_address()).ok());
  net.advance(Duration(100));
  ASSERT_EQ(initiator.connected.size(), 1u);
  ASSERT_TRUE(initiator.host().pair(net.now(), initiator.connected[0].handle).ok());
  net.advance(Duration(500));

  Model model = expected_model(init_io, resp_io, sc);
  if (!sc && model != Model::kJustWorks && model != Model::kBothInput &&
      (init_io == IoCap::DisplayYesNo || init_io == IoCap::KeyboardDisplay) &&
      (resp_io == IoCap::DisplayYesNo || resp_io == IoCap::KeyboardDisplay))
    model = legacy_yes_no_keyboard(init_io, resp_io);
  if (!mitm) model = Model::kJustWorks;  // neither side asked for MITM: Just Works

  if (model == Model::kJustWorks && mitm) {
    // Our policy: a side that requires MITM refuses a pairing that cannot give it.
    EXPECT_TRUE(initiator.paired.empty());
    EXPECT_TRUE(responder.paired.empty());
    ASSERT_FALSE(initiator.pairing_failures.empty());
    EXPECT_EQ(initiator.pairing_failures[0].code, 0x03);
    EXPECT_EQ(responder.host().bond_store().size(), 0u);
    return;
  }
  ASSERT_EQ(initiator.paired.size(), 1u);
  ASSERT_EQ(responder.paired.size(), 1u);
  const ConnDesc& r = responder.paired[0];
  EXPECT_EQ(r.authenticated, model != Model::kJustWorks);
  EXPECT_EQ(r.bonded, bond);
  EXPECT_TRUE(r.encrypted);
  EXPECT_EQ(r.key_size, 16);
  EXPECT_EQ(responder.host().bond_store().size(), bond ? 1u : 0u);
  EXPECT_EQ(initiator.host().bond_store().size(), bond ? 1u : 0u);

  switch (model) {
    case Model::kJustWorks:
      EXPECT_TRUE(initiator.displayed_passkeys.empty() && responder.displayed_passkeys.empty());
      EXPECT_EQ(initiator.passkey_requests + responder.passkey_requests, 0);
      EXPECT_TRUE(initiator.compared_values.empty() && responder.compared_values.empty());
      break;
    case Model::kNumericComparison:
      ASSERT_EQ(initiator.compared_values.size(), 1u);
      ASSERT_EQ(responder.compared_values.size(), 1u);
      EXPECT_EQ(initiator.compared_values[0], responder.compared_values[0]);
      EXPECT_LE(initiator.compared_values[0], 999999u);
      break;
    case Model::kResponderDisplays:
      EXPECT_EQ(responder.displayed_passkeys, std::vector<uint32_t>{123456});
      EXPECT_EQ(initiator.passkey_requests, 1);
      EXPECT_EQ(responder.passkey_requests, 0);
      break;
    case Model::kInitiatorDisplays:
      EXPECT_EQ(initiator.displayed_passkeys, std::vector<uint32_t>{123456});
      EXPECT_EQ(responder.passkey_requests, 1);
      EXPECT_EQ(initiator.passkey_requests, 0);
      break;
    case Model::kBothInput:
      EXPECT_EQ(responder.passkey_requests, 1);
      EXPECT_EQ(initiator.passkey_requests, 1);
      break;
  }
}

const IoCap kAll[] = {IoCap::DisplayOnly, IoCap::DisplayYesNo, IoCap::KeyboardOnly,
                      IoCap::NoInputNoOutput, IoCap::KeyboardDisplay};

std::string name(const ::testing::TestParamInfo<Case>& info) {
  static const char* io[] = {"DisplayOnly", "DisplayYesNo", "KeyboardOnly", "NoIO",
                             "KeyboardDisplay"};
  auto [i, r, sc, bond, mitm] = info.param;
  return std::string(io[int(i)]) + "_to_" + io[int(r)] + (sc ? "_SC" : "_Legacy") +
         (bond ? "_Bond" : "_NoBond") + (mitm ? "_Mitm" : "_NoMitm");
}

INSTANTIATE_TEST_SUITE_P(AllPairs, PairingMatrixTest,
                         ::testing::Combine(::testing::ValuesIn(kAll), ::testing::ValuesIn(kAll),
                                            ::testing::Bool(), ::testing::Bool(),
                                            ::testing::Bool()),
                         name);

}  // namespace
}  // namespace sable::testing
