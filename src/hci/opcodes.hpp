// HCI numbers: command opcodes (OGF << 10 | OCF, Core 5.4 Vol 4 Part E 5.4.1),
// event codes (Part E 7.7), LE Meta subevent codes (Part E 7.7.65), event-mask
// bits (Part E 7.3.1 and 7.8.1) and Supported_Commands bits (Part E 6.27).
#pragma once

#include <cstdint>

namespace sable::hci {

constexpr uint16_t make_opcode(uint8_t ogf, uint16_t ocf) {
  return uint16_t((uint16_t(ogf) << 10) | (ocf & 0x03FF));
}

namespace op {
// The "no operation" opcode: a Command Complete/Status with it only returns
// command credits (Core 5.4 Vol 4 Part E 7.7.14).
inline constexpr uint16_t kNop = 0x0000;
// Link Control (OGF 0x01), Part E 7.1.
inline constexpr uint16_t kDisconnect = make_opcode(0x01, 0x0006);
inline constexpr uint16_t kReadRemoteVersionInformation = make_opcode(0x01, 0x001D);
// Controller & Baseband (OGF 0x03), Part E 7.3.
inline constexpr uint16_t kSetEventMask = make_opcode(0x03, 0x0001);
inline constexpr uint16_t kReset = make_opcode(0x03, 0x0003);
// Informational parameters (OGF 0x04), Part E 7.4.
inline constexpr uint16_t kReadLocalVersionInformation = make_opcode(0x04, 0x0001);
inline constexpr uint16_t kReadLocalSupportedCommands = make_opcode(0x04, 0x0002);
inline constexpr uint16_t kReadLocalSupportedFeatures = make_opcode(0x04, 0x0003);
inline constexpr uint16_t kReadBufferSize = make_opcode(0x04, 0x0005);
inline constexpr uint16_t kReadBdAddr = make_opcode(0x04, 0x0009);
// LE Controller (OGF 0x08), Part E 7.8.
inline constexpr uint16_t kLeSetEventMask = make_opcode(0x08, 0x0001);
inline constexpr uint16_t kLeReadBufferSize = make_opcode(0x08, 0x0002);
inline constexpr uint16_t kLeReadLocalSupportedFeatures = make_opcode(0x08, 0x0003);
inline constexpr uint16_t kLeSetRandomAddress = make_opcode(0x08, 0x0005);
inline constexpr uint16_t kLeSetAdvertisingParameters = make_opcode(0x08, 0x0006);
inline constexpr uint16_t kLeSetAdvertisingData = make_opcode(0x08, 0x0008);
inline constexpr uint16_t kLeSetScanResponseData = make_opcode(0x08, 0x0009);
inline constexpr uint16_t kLeSetAdvertisingEnable = make_opcode(0x08, 0x000A);
inline constexpr uint16_t kLeSetScanParameters = make_opcode(0x08, 0x000B);
inline constexpr uint16_t kLeSetScanEnable = make_opcode(0x08, 0x000C);
inline constexpr uint16_t kLeCreateConnection = make_opcode(0x08, 0x000D);
inline constexpr uint16_t kLeCreateConnectionCancel = make_opcode(0x08, 0x000E);
inline constexpr uint16_t kLeConnectionUpdate = make_opcode(0x08, 0x0013);
inline constexpr uint16_t kLeReadRemoteFeatures = make_opcode(0x08, 0x0016);
inline constexpr uint16_t kLeEncrypt = make_opcode(0x08, 0x0017);
inline constexpr uint16_t kLeRand = make_opcode(0x08, 0x0018);
inline constexpr uint16_t kLeStartEncryption = make_opcode(0x08, 0x0019);  // LE_Enable_Encryption
inline constexpr uint16_t kLeLongTermKeyRequestReply = make_opcode(0x08, 0x001A);
inline constexpr uint16_t kLeLongTermKeyRequestNegativeReply = make_opcode(0x08, 0x001B);
inline constexpr uint16_t kLeRemoteConnectionParameterRequestReply = make_opcode(0x08, 0x0020);
inline constexpr uint16_t kLeRemoteConnectionParameterRequestNegativeReply =
    make_opcode(0x08, 0x0021);
inline constexpr uint16_t kLeSetDataLength = make_opcode(0x08, 0x0022);
inline constexpr uint16_t kLeReadLocalP256PublicKey = make_opcode(0x08, 0x0025);
inline constexpr uint16_t kLeGenerateDhKey = make_opcode(0x08, 0x0026);
inline constexpr uint16_t kLeAddDeviceToResolvingList = make_opcode(0x08, 0x0027);
inline constexpr uint16_t kLeClearResolvingList = make_opcode(0x08, 0x0029);
inline constexpr uint16_t kLeSetAddressResolutionEnable = make_opcode(0x08, 0x002D);
inline constexpr uint16_t kLeSetResolvablePrivateAddressTimeout = make_opcode(0x08, 0x002E);
inline constexpr uint16_t kLeSetPhy = make_opcode(0x08, 0x0032);
inline constexpr uint16_t kLeExtendedCreateConnection = make_opcode(0x08, 0x0043);
inline constexpr uint16_t kLeSetPrivacyMode = make_opcode(0x08, 0x004E);
inline constexpr uint16_t kLeReadBufferSizeV2 = make_opcode(0x08, 0x0060);
}  // namespace op

// Commands whose completion the Controller reports with Command Status (and a
// later, separate event), not Command Complete. Each command's "Events
// generated" paragraph in Core 5.4 Vol 4 Part E 7 says which.
constexpr bool completes_with_command_status(uint16_t opcode) {
  switch (opcode) {
    case op::kDisconnect:
    case op::kReadRemoteVersionInformation:
    case op::kLeCreateConnection:
    case op::kLeConnectionUpdate:
    case op::kLeReadRemoteFeatures:
    case op::kLeStartEncryption:
    case op::kLeReadLocalP256PublicKey:
    case op::kLeGenerateDhKey:
    case op::kLeSetPhy:
    case op::kLeExtendedCreateConnection:
      return true;
    default:
      return false;
  }
}

namespace ev {
// Event codes, Core 5.4 Vol 4 Part E 7.7.
inline constexpr uint8_t kDisconnectionComplete = 0x05;
inline constexpr uint8_t kEncryptionChange = 0x08;  // v1
inline constexpr uint8_t kReadRemoteVersionInformationComplete = 0x0C;
inline constexpr uint8_t kCommandComplete = 0x0E;
inline constexpr uint8_t kCommandStatus = 0x0F;
inline constexpr uint8_t kHardwareError = 0x10;
inline constexpr uint8_t kNumberOfCompletedPackets = 0x13;
inline constexpr uint8_t kDataBufferOverflow = 0x1A;
inline constexpr uint8_t kEncryptionKeyRefreshComplete = 0x30;
inline constexpr uint8_t kLeMeta = 0x3E;
}  // namespace ev

namespace le_ev {
// LE Meta subevent codes, Core 5.4 Vol 4 Part E 7.7.65.x.
inline constexpr uint8_t kConnectionComplete = 0x01;
inline constexpr uint8_t kAdvertisingReport = 0x02;
inline constexpr uint8_t kConnectionUpdateComplete = 0x03;
inline constexpr uint8_t kReadRemoteFeaturesComplete = 0x04;
inline constexpr uint8_t kLongTermKeyRequest = 0x05;
inline constexpr uint8_t kRemoteConnectionParameterRequest = 0x06;
inline constexpr uint8_t kDataLengthChange = 0x07;
inline constexpr uint8_t kReadLocalP256PublicKeyComplete = 0x08;
inline constexpr uint8_t kGenerateDhKeyComplete = 0x09;
inline constexpr uint8_t kEnhancedConnectionComplete = 0x0A;  // v1
inline constexpr uint8_t kPhyUpdateComplete = 0x0C;
}  // namespace le_ev

// HCI_Set_Event_Mask bits (Core 5.4 Vol 4 Part E 7.3.1).
namespace event_mask {
inline constexpr uint64_t kDisconnectionComplete = uint64_t(1) << 4;
inline constexpr uint64_t kEncryptionChange = uint64_t(1) << 7;
inline constexpr uint64_t kReadRemoteVersionInformationComplete = uint64_t(1) << 11;
inline constexpr uint64_t kHardwareError = uint64_t(1) << 15;
inline constexpr uint64_t kDataBufferOverflow = uint64_t(1) << 25;
inline constexpr uint64_t kEncryptionKeyRefreshComplete = uint64_t(1) << 47;
inline constexpr uint64_t kLeMeta = uint64_t(1) << 61;
}  // namespace event_mask

// HCI_LE_Set_Event_Mask bits (Core 5.4 Vol 4 Part E 7.8.1): bit n is subevent n+1.
namespace le_event_mask {
constexpr uint64_t bit_for(uint8_t subevent) {
  return uint64_t(1) << (subevent - 1);
}
inline constexpr uint64_t kConnectionComplete = bit_for(le_ev::kConnectionComplete);
inline constexpr uint64_t kAdvertisingReport = bit_for(le_ev::kAdvertisingReport);
inline constexpr uint64_t kConnectionUpdateComplete = bit_for(le_ev::kConnectionUpdateComplete);
inline constexpr uint64_t kReadRemoteFeaturesComplete = bit_for(le_ev::kReadRemoteFeaturesComplete);
inline constexpr uint64_t kLongTermKeyRequest = bit_for(le_ev::kLongTermKeyRequest);
inline constexpr uint64_t kRemoteConnectionParameterRequest =
    bit_for(le_ev::kRemoteConnectionParameterRequest);
inline constexpr uint64_t kDataLengthChange = bit_for(le_ev::kDataLengthChange);
inline constexpr uint64_t kReadLocalP256PublicKeyComplete =
    bit_for(le_ev::kReadLocalP256PublicKeyComplete);
inline constexpr uint64_t kGenerateDhKeyComplete = bit_for(le_ev::kGenerateDhKeyComplete);
inline constexpr uint64_t kEnhancedConnectionComplete = bit_for(le_ev::kEnhancedConnectionComplete);
inline constexpr uint64_t kPhyUpdateComplete = bit_for(le_ev::kPhyUpdateComplete);
}  // namespace le_event_mask

// A bit of the 64-octet Supported_Commands bitmap (Core 5.4 Vol 4 Part E 6.27).
struct SupportedCommand {
  uint8_t octet;
  uint8_t bit;
};
namespace supported {
inline constexpr SupportedCommand kReadBufferSize{14, 7};
inline constexpr SupportedCommand kLeReadBufferSize{25, 1};
inline constexpr SupportedCommand kLeRemoteConnectionParameterRequestReply{33, 4};
inline constexpr SupportedCommand kLeSetDataLength{33, 6};
inline constexpr SupportedCommand kLeReadLocalP256PublicKey{34, 1};
inline constexpr SupportedCommand kLeGenerateDhKey{34, 2};
inline constexpr SupportedCommand kLeAddDeviceToResolvingList{34, 3};
inline constexpr SupportedCommand kLeSetAddressResolutionEnable{35, 1};
inline constexpr SupportedCommand kLeSetPrivacyMode{39, 2};
inline constexpr SupportedCommand kLeReadBufferSizeV2{41, 5};
}  // namespace supported

}  // namespace sable::hci
