// HCI status / error codes (Core 5.4 Vol 1 Part F 1.3 "List of error codes").
// One octet in every Command Complete/Status and most events.
#pragma once

#include <cstdint>

#include "common/log.hpp"

namespace sable::hci {

enum class HciStatus : uint8_t {
  kSuccess = 0x00,
  kUnknownCommand = 0x01,
  kUnknownConnectionId = 0x02,
  kHardwareFailure = 0x03,
  kPageTimeout = 0x04,
  kAuthenticationFailure = 0x05,
  kPinOrKeyMissing = 0x06,
  kMemoryCapacityExceeded = 0x07,
  kConnectionTimeout = 0x08,
  kConnectionLimitExceeded = 0x09,
  kSynchronousConnectionLimitExceeded = 0x0A,
  kConnectionAlreadyExists = 0x0B,
  kCommandDisallowed = 0x0C,
  kConnectionRejectedLimitedResources = 0x0D,
  kConnectionRejectedSecurityReasons = 0x0E,
  kConnectionRejectedUnacceptableBdAddr = 0x0F,
  kConnectionAcceptTimeoutExceeded = 0x10,
  kUnsupportedFeatureOrParameter = 0x11,
  kInvalidCommandParameters = 0x12,
  kRemoteUserTerminatedConnection = 0x13,
  kRemoteDeviceTerminatedLowResources = 0x14,
  kRemoteDeviceTerminatedPowerOff = 0x15,
  kConnectionTerminatedByLocalHost = 0x16,
  kRepeatedAttempts = 0x17,
  kPairingNotAllowed = 0x18,
  kUnknownLmpPdu = 0x19,
  kUnsupportedRemoteFeature = 0x1A,
  kScoOffsetRejected = 0x1B,
  kScoIntervalRejected = 0x1C,
  kScoAirModeRejected = 0x1D,
  kInvalidLmpLlParameters = 0x1E,
  kUnspecifiedError = 0x1F,
  kUnsupportedLmpLlParameterValue = 0x20,
  kRoleChangeNotAllowed = 0x21,
  kLmpLlResponseTimeout = 0x22,
  kLmpLlTransactionCollision = 0x23,
  kLmpPduNotAllowed = 0x24,
  kEncryptionModeNotAcceptable = 0x25,
  kLinkKeyCannotBeChanged = 0x26,
  kRequestedQosNotSupported = 0x27,
  kInstantPassed = 0x28,
  kPairingWithUnitKeyNotSupported = 0x29,
  kDifferentTransactionCollision = 0x2A,
  kQosUnacceptableParameter = 0x2C,
  kQosRejected = 0x2D,
  kChannelClassificationNotSupported = 0x2E,
  kInsufficientSecurity = 0x2F,
  kParameterOutOfMandatoryRange = 0x30,
  kRoleSwitchPending = 0x32,
  kReservedSlotViolation = 0x34,
  kRoleSwitchFailed = 0x35,
  kExtendedInquiryResponseTooLarge = 0x36,
  kSecureSimplePairingNotSupportedByHost = 0x37,
  kHostBusyPairing = 0x38,
  kConnectionRejectedNoSuitableChannel = 0x39,
  kControllerBusy = 0x3A,
  kUnacceptableConnectionParameters = 0x3B,
  kAdvertisingTimeout = 0x3C,
  kConnectionTerminatedMicFailure = 0x3D,
  kConnectionFailedToBeEstablished = 0x3E,
  kCoarseClockAdjustmentRejected = 0x40,
  kType0SubmapNotDefined = 0x41,
  kUnknownAdvertisingIdentifier = 0x42,
  kLimitReached = 0x43,
  kOperationCancelledByHost = 0x44,
  kPacketTooLong = 0x45,
  kTooLate = 0x46,
  kTooEarly = 0x47,
};

// The status's name from Core 5.4 Vol 1 Part F 1.3, e.g. "Unknown HCI Command";
// unknown values give "Reserved" (callers print the number themselves). The
// table is 2 KB of text in its own translation unit (status.cpp): core code
// that only builds messages calls status_text() instead, so a build without
// names never links it.
const char* to_string(HciStatus status);

// Whether messages name HCI statuses: only when log statements above the error
// level are compiled in (cmake/SableLogLevel.cmake). A size-constrained build
// (the firmware logs errors only) prints the numeric status alone, which every
// message carries anyway ("... failed: HCI error (0x03)").
inline constexpr bool kStatusNames = log_compiled_in(LogLevel::kWarn);

// to_string(status) when the build has names, else "HCI error".
inline const char* status_text(HciStatus status) {
  if constexpr (kStatusNames) {
    return to_string(status);
  } else {
    return "HCI error";
  }
}

}  // namespace sable::hci
