#include "hci/status.hpp"

namespace sable::hci {

const char* to_string(HciStatus status) {
  switch (status) {
    case HciStatus::kSuccess:
      return "Success";
    case HciStatus::kUnknownCommand:
      return "Unknown HCI Command";
    case HciStatus::kUnknownConnectionId:
      return "Unknown Connection Identifier";
    case HciStatus::kHardwareFailure:
      return "Hardware Failure";
    case HciStatus::kPageTimeout:
      return "Page Timeout";
    case HciStatus::kAuthenticationFailure:
      return "Authentication Failure";
    case HciStatus::kPinOrKeyMissing:
      return "PIN or Key Missing";
    case HciStatus::kMemoryCapacityExceeded:
      return "Memory Capacity Exceeded";
    case HciStatus::kConnectionTimeout:
      return "Connection Timeout";
    case HciStatus::kConnectionLimitExceeded:
      return "Connection Limit Exceeded";
    case HciStatus::kSynchronousConnectionLimitExceeded:
      return "Synchronous Connection Limit To A Device Exceeded";
    case HciStatus::kConnectionAlreadyExists:
      return "Connection Already Exists";
    case HciStatus::kCommandDisallowed:
      return "Command Disallowed";
    case HciStatus::kConnectionRejectedLimitedResources:
      return "Connection Rejected due to Limited Resources";
    case HciStatus::kConnectionRejectedSecurityReasons:
      return "Connection Rejected Due To Security Reasons";
    case HciStatus::kConnectionRejectedUnacceptableBdAddr:
      return "Connection Rejected due to Unacceptable BD_ADDR";
    case HciStatus::kConnectionAcceptTimeoutExceeded:
      return "Connection Accept Timeout Exceeded";
    case HciStatus::kUnsupportedFeatureOrParameter:
      return "Unsupported Feature or Parameter Value";
    case HciStatus::kInvalidCommandParameters:
      return "Invalid HCI Command Parameters";
    case HciStatus::kRemoteUserTerminatedConnection:
      return "Remote User Terminated Connection";
    case HciStatus::kRemoteDeviceTerminatedLowResources:
      return "Remote Device Terminated Connection due to Low Resources";
    case HciStatus::kRemoteDeviceTerminatedPowerOff:
      return "Remote Device Terminated Connection due to Power Off";
    case HciStatus::kConnectionTerminatedByLocalHost:
      return "Connection Terminated By Local Host";
    case HciStatus::kRepeatedAttempts:
      return "Repeated Attempts";
    case HciStatus::kPairingNotAllowed:
      return "Pairing Not Allowed";
    case HciStatus::kUnknownLmpPdu:
      return "Unknown LMP PDU";
    case HciStatus::kUnsupportedRemoteFeature:
      return "Unsupported Remote Feature";
    case HciStatus::kScoOffsetRejected:
      return "SCO Offset Rejected";
    case HciStatus::kScoIntervalRejected:
      return "SCO Interval Rejected";
    case HciStatus::kScoAirModeRejected:
      return "SCO Air Mode Rejected";
    case HciStatus::kInvalidLmpLlParameters:
      return "Invalid LMP Parameters / Invalid LL Parameters";
    case HciStatus::kUnspecifiedError:
      return "Unspecified Error";
    case HciStatus::kUnsupportedLmpLlParameterValue:
      return "Unsupported LMP Parameter Value / Unsupported LL Parameter Value";
    case HciStatus::kRoleChangeNotAllowed:
      return "Role Change Not Allowed";
    case HciStatus::kLmpLlResponseTimeout:
      return "LMP Response Timeout / LL Response Timeout";
    case HciStatus::kLmpLlTransactionCollision:
      return "LMP Error Transaction Collision / LL Procedure Collision";
    case HciStatus::kLmpPduNotAllowed:
      return "LMP PDU Not Allowed";
    case HciStatus::kEncryptionModeNotAcceptable:
      return "Encryption Mode Not Acceptable";
    case HciStatus::kLinkKeyCannotBeChanged:
      return "Link Key cannot be Changed";
    case HciStatus::kRequestedQosNotSupported:
      return "Requested QoS Not Supported";
    case HciStatus::kInstantPassed:
      return "Instant Passed";
    case HciStatus::kPairingWithUnitKeyNotSupported:
      return "Pairing With Unit Key Not Supported";
    case HciStatus::kDifferentTransactionCollision:
      return "Different Transaction Collision";
    case HciStatus::kQosUnacceptableParameter:
      return "QoS Unacceptable Parameter";
    case HciStatus::kQosRejected:
      return "QoS Rejected";
    case HciStatus::kChannelClassificationNotSupported:
      return "Channel Classification Not Supported";
    case HciStatus::kInsufficientSecurity:
      return "Insufficient Security";
    case HciStatus::kParameterOutOfMandatoryRange:
      return "Parameter Out Of Mandatory Range";
    case HciStatus::kRoleSwitchPending:
      return "Role Switch Pending";
    case HciStatus::kReservedSlotViolation:
      return "Reserved Slot Violation";
    case HciStatus::kRoleSwitchFailed:
      return "Role Switch Failed";
    case HciStatus::kExtendedInquiryResponseTooLarge:
      return "Extended Inquiry Response Too Large";
    case HciStatus::kSecureSimplePairingNotSupportedByHost:
      return "Secure Simple Pairing Not Supported By Host";
    case HciStatus::kHostBusyPairing:
      return "Host Busy - Pairing";
    case HciStatus::kConnectionRejectedNoSuitableChannel:
      return "Connection Rejected due to No Suitable Channel Found";
    case HciStatus::kControllerBusy:
      return "Controller Busy";
    case HciStatus::kUnacceptableConnectionParameters:
      return "Unacceptable Connection Parameters";
    case HciStatus::kAdvertisingTimeout:
      return "Advertising Timeout";
    case HciStatus::kConnectionTerminatedMicFailure:
      return "Connection Terminated due to MIC Failure";
    case HciStatus::kConnectionFailedToBeEstablished:
      return "Connection Failed to be Established / Synchronization Timeout";
    case HciStatus::kCoarseClockAdjustmentRejected:
      return "Coarse Clock Adjustment Rejected but Will Try to Adjust Using Clock Dragging";
    case HciStatus::kType0SubmapNotDefined:
      return "Type0 Submap Not Defined";
    case HciStatus::kUnknownAdvertisingIdentifier:
      return "Unknown Advertising Identifier";
    case HciStatus::kLimitReached:
      return "Limit Reached";
    case HciStatus::kOperationCancelledByHost:
      return "Operation Cancelled by Host";
    case HciStatus::kPacketTooLong:
      return "Packet Too Long";
    case HciStatus::kTooLate:
      return "Too Late";
    case HciStatus::kTooEarly:
      return "Too Early";
  }
  return "Reserved";
}

}  // namespace sable::hci
