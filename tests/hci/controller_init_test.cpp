// Controller bring-up against a scripted controller: a FakeSender records the
// commands and the script answers each with a Command Complete.
#include "hci/controller_init.hpp"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "event_builders.hpp"
#include "fake_sender.hpp"
#include "support/test_time.hpp"

namespace sable::hci {
namespace {

using sable::testing::at_ms;
using namespace std::chrono_literals;
using testing::bytes;
using testing::command_complete;
using testing::FakeSender;
using testing::Packet;

class ControllerInitTest : public ::testing::Test {
 protected:
  ControllerInitTest() {
    // A btvirt-like LE controller (VIRTUAL-RADIO.md).
    script[op::kReset] = {0x00};
    script[op::kReadLocalVersionInformation] = {0x00,         // status
                                                0x09,         // HCI version 5.0
                                                0x00, 0x00,   // HCI subversion
                                                0x09,         // LMP version
                                                0x3F, 0x00,   // company 0x003F
                                                0x00, 0x00};  // LMP subversion
    Packet cmds(65, 0x00);  // status + 64 octets, v2 not supported
    script[op::kReadLocalSupportedCommands] = cmds;
    script[op::kReadLocalSupportedFeatures] = {0x00, 0, 0, 0, 0, 0, 0x60, 0, 0};
    script[op::kLeReadLocalSupportedFeatures] = {0x00, 0x01, 0, 0, 0, 0, 0, 0, 0};
    script[op::kReadBdAddr] = {0x00, 0x42, 0x00, 0x01, 0x01, 0xAA, 0x00};
    script[op::kLeReadBufferSize] = {0x00, 0xC0, 0x00, 0x01};  // 192 octets, 1 packet
    script[op::kSetEventMask] = {0x00};
    script[op::kLeSetEventMask] = {0x00};
  }

  void support_v2() { script[op::kReadLocalSupportedCommands][1 + 41] = 0x20; }  // octet 41 bit 5

  // Answers every command the channel sends, in order, until none is left.
  void run() {
    TimePoint now = at_ms(0);
    while (answered < sender.commands().size()) {
      Packet cmd = sender.commands()[answered++];
      uint16_t opcode = get_le16(cmd.data());
      opcodes.push_back(opcode);
      auto it = script.find(opcode);
      if (it == script.end()) return;  // silence: the test drives the timeout
      now += 1ms;
      channel.on_event(now, bytes(command_complete(1, opcode, it->second)));
    }
  }

  void start() {
    init.start(at_ms(0), [this](const Result<ControllerInfo, InitError>& r) {
      ++callbacks;
      if (r) {
        info = *r;
      } else {
        error = r.error();
      }
    });
    run();
  }

  FakeSender sender;
  CommandChannel channel{sender};
  ControllerInit init{channel};
  std::map<uint16_t, Packet> script;
  size_t answered = 0;
  std::vector<uint16_t> opcodes;
  int callbacks = 0;
  std::optional<ControllerInfo> info;
  std::optional<InitError> error;
};

TEST_F(ControllerInitTest, BringsUpBtvirtLikeController) {
  start();
  ASSERT_EQ(callbacks, 1);
  ASSERT_TRUE(info) << error->to_string().c_str();
  EXPECT_EQ(opcodes,
            (std::vector<uint16_t>{op::kReset, op::kReadLocalVersionInformation,
                                   op::kReadLocalSupportedCommands, op::kReadLocalSupportedFeatures,
                                   op::kLeReadLocalSupportedFeatures, op::kReadBdAddr,
                                   op::kLeReadBufferSize, op::kSetEventMask, op::kLeSetEventMask}));
  EXPECT_EQ(info->bd_addr.to_string(), "00:AA:01:01:00:42");
  EXPECT_EQ(info->bd_addr.type, AddressType::kPublic);
  EXPECT_EQ(info->hci_version, 0x09);
  EXPECT_EQ(info->manufacturer, 0x003F);
  EXPECT_EQ(info->features, 0x0000600000000000ull);
  EXPECT_EQ(info->le_features, 0x01ull);
  EXPECT_EQ(info->acl_data_length, 192);
  EXPECT_EQ(info->acl_packet_count, 1);
  EXPECT_FALSE(info->supports(supported::kLeReadBufferSizeV2));
  EXPECT_FALSE(init.running());
}

TEST_F(ControllerInitTest, SendsTheEventMasks) {
  start();
  auto cmds = sender.commands();
  ASSERT_EQ(cmds.size(), 9u);
  EXPECT_EQ(cmds[7], (Packet{0x01, 0x0C, 0x08,  // Set_Event_Mask, length 8
                                                // bits 4, 7, 11, 15, 25, 47, 61
                             0x90, 0x88, 0x00, 0x02, 0x00, 0x80, 0x00, 0x20}));
  EXPECT_EQ(cmds[8], (Packet{0x01, 0x20, 0x08,  // LE_Set_Event_Mask, length 8
                                                // subevents 0x01..0x0A and 0x0C
                             0xFF, 0x0B, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}));
}

TEST_F(ControllerInitTest, UsesV2WhenSupported) {
  support_v2();
  script[op::kLeReadBufferSizeV2] = {0x00, 0xFB, 0x00, 0x0C, 0x00, 0x00, 0x00};  // 251 x 12
  start();
  ASSERT_TRUE(info);
  EXPECT_TRUE(info->supports(supported::kLeReadBufferSizeV2));
  EXPECT_EQ(opcodes[6], op::kLeReadBufferSizeV2);
  EXPECT_EQ(opcodes[7], op::kSetEventMask);
  EXPECT_EQ(info->acl_data_length, 251);
  EXPECT_EQ(info->acl_packet_count, 12);
}

TEST_F(ControllerInitTest, FallsBackToV1WhenV2IsUnknown) {
  support_v2();
  script[op::kLeReadBufferSizeV2] = {0x01};  // Unknown HCI Command
  start();
  ASSERT_TRUE(info);
  EXPECT_EQ(opcodes[6], op::kLeReadBufferSizeV2);
  EXPECT_EQ(opcodes[7], op::kLeReadBufferSize);
  EXPECT_EQ(info->acl_data_length, 192);
  EXPECT_EQ(info->acl_packet_count, 1);
}

TEST_F(ControllerInitTest, V1ZeroMeansSharedBrEdrBuffers) {
  script[op::kLeReadBufferSize] = {0x00, 0x00, 0x00, 0x00};  // length 0, count 0
  script[op::kReadBufferSize] = {0x00,                       // status
                                 0xFD, 0x03,                 // ACL length 1021
                                 0x40,                       // SCO length
                                 0x08, 0x00,                 // ACL count 8
                                 0x00, 0x00};                // SCO count
  start();
  ASSERT_TRUE(info);
  EXPECT_EQ(opcodes[7], op::kReadBufferSize);
  EXPECT_EQ(info->acl_data_length, 1021);
  EXPECT_EQ(info->acl_packet_count, 8);
}

TEST_F(ControllerInitTest, NoBuffersAtAllFails) {
  script[op::kLeReadBufferSize] = {0x00, 0x00, 0x00, 0x00};
  script[op::kReadBufferSize] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  start();
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind, InitError::Kind::kNoBuffers);
  EXPECT_EQ(error->step, InitStep::kReadBufferSize);
}

TEST_F(ControllerInitTest, FailingResetIsAClearError) {
  script[op::kReset] = {0x03};  // Hardware Failure
  start();
  ASSERT_EQ(callbacks, 1);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind, InitError::Kind::kStatus);
  EXPECT_EQ(error->step, InitStep::kReset);
  EXPECT_EQ(error->status, HciStatus::kHardwareFailure);
  EXPECT_EQ(
      std::string(error->to_string().c_str()),
      std::string("HCI_Reset failed: ") + status_text(HciStatus::kHardwareFailure) + " (0x03)");
  EXPECT_EQ(sender.commands().size(), 1u);  // nothing after the failed step
  EXPECT_FALSE(init.running());
}

TEST_F(ControllerInitTest, OtherFailuresAreNotTolerated) {
  script[op::kLeReadBufferSize] = {0x01};  // v1 unknown: no fallback left
  start();
  ASSERT_TRUE(error);
  EXPECT_EQ(error->step, InitStep::kLeReadBufferSize);
  EXPECT_EQ(std::string(error->to_string().c_str()),
            std::string("HCI_LE_Read_Buffer_Size failed: ") +
                status_text(HciStatus::kUnknownCommand) + " (0x01)");
}

TEST_F(ControllerInitTest, MalformedReturnParametersFail) {
  script[op::kReadBdAddr] = {0x00, 0x42, 0x00};  // address cut short
  start();
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind, InitError::Kind::kMalformed);
  EXPECT_EQ(error->step, InitStep::kReadBdAddr);
}

TEST_F(ControllerInitTest, SilentControllerTimesOut) {
  script.erase(op::kReadLocalSupportedFeatures);
  start();
  EXPECT_EQ(callbacks, 0);
  ASSERT_NE(channel.next_deadline(), kNever);
  channel.on_timeout(channel.next_deadline());
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind, InitError::Kind::kTimeout);
  EXPECT_EQ(error->step, InitStep::kReadLocalSupportedFeatures);
  EXPECT_STREQ(error->to_string().c_str(),
               "HCI_Read_Local_Supported_Features timed out: controller not responding");
}

TEST(InitStepTest, EveryStepIsNamedAfterItsCommand) {
  EXPECT_STREQ(to_string(InitStep::kReset), "HCI_Reset");
  EXPECT_STREQ(to_string(InitStep::kReadLocalVersionInformation),
               "HCI_Read_Local_Version_Information");
  EXPECT_STREQ(to_string(InitStep::kReadLocalSupportedCommands),
               "HCI_Read_Local_Supported_Commands");
  EXPECT_STREQ(to_string(InitStep::kReadLocalSupportedFeatures),
               "HCI_Read_Local_Supported_Features");
  EXPECT_STREQ(to_string(InitStep::kLeReadLocalSupportedFeatures),
               "HCI_LE_Read_Local_Supported_Features");
  EXPECT_STREQ(to_string(InitStep::kReadBdAddr), "HCI_Read_BD_ADDR");
  EXPECT_STREQ(to_string(InitStep::kLeReadBufferSizeV2), "HCI_LE_Read_Buffer_Size [v2]");
  EXPECT_STREQ(to_string(InitStep::kLeReadBufferSize), "HCI_LE_Read_Buffer_Size");
  EXPECT_STREQ(to_string(InitStep::kReadBufferSize), "HCI_Read_Buffer_Size");
  EXPECT_STREQ(to_string(InitStep::kSetEventMask), "HCI_Set_Event_Mask");
  EXPECT_STREQ(to_string(InitStep::kLeSetEventMask), "HCI_LE_Set_Event_Mask");
  EXPECT_STREQ(to_string(InitStep(0x7F)), "?");
}

TEST(InitErrorTest, EveryKindHasItsText) {
  const auto text = [](InitError::Kind kind) {
    return std::string(
        InitError{kind, InitStep::kReadBdAddr, HciStatus::kSuccess}.to_string().c_str());
  };
  EXPECT_EQ(text(InitError::Kind::kTimeout),
            "HCI_Read_BD_ADDR timed out: controller not responding");
  EXPECT_EQ(text(InitError::Kind::kMalformed), "HCI_Read_BD_ADDR returned malformed parameters");
  EXPECT_EQ(text(InitError::Kind::kNoBuffers),
            "HCI_Read_BD_ADDR: controller reports no ACL data buffers");
  EXPECT_EQ(text(InitError::Kind::kBusy), "controller bring-up already running");
}

TEST_F(ControllerInitTest, StartWhileRunningIsRejected) {
  script.erase(op::kReset);
  start();
  std::optional<InitError> second;
  init.start(at_ms(0), [&](const Result<ControllerInfo, InitError>& r) { second = r.error(); });
  ASSERT_TRUE(second);
  EXPECT_EQ(second->kind, InitError::Kind::kBusy);
  EXPECT_TRUE(init.running());
}

}  // namespace
}  // namespace sable::hci
