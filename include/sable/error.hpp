// Errors the public API reports: a kind a program can branch on, the wire code
// when a protocol produced it, and one line a person can read.
#pragma once

#include <cstdint>
#include <string>

namespace sable {

enum class ErrorKind : uint8_t {
  kBadArgument,        // a caller's mistake (bad --hci spec, bad UUID, ...)
  kTransport,          // the controller cannot be reached or went away
  kControllerTimeout,  // the controller stopped answering commands
  kController,         // the controller answered with an HCI error status
  kNotConnected,       // no such connection
  kInvalidState,       // e.g. changing the database after advertising started
  kDoesNotFit,         // advertising data too long for the packets
  kProtocol,           // a peer violated the protocol
  kAtt,                // the peer answered with an ATT error (code: AttErrorCode)
  kPairingFailed,      // pairing failed (code: SMP Pairing Failed reason)
  kTimeout,            // no answer in time
  kDisconnected,       // the link went down
  kNotFound,           // no such service, characteristic, advertiser or bond
  kNotSupported,       // this build leaves the feature out (its profile) or the peer lacks it
};

// Which side ended a pairing (kPairingFailed, or kTimeout from SMP): we sent
// Pairing Failed or refused to start (kLocal), the peer sent Pairing Failed
// (kPeer, Core 5.4 Vol 3 Part H 3.5.5), or the 30 s SMP timer expired
// (kTimeout, Part H 3.4). kUnknown for every other error.
enum class ErrorOrigin : uint8_t {
  kUnknown,
  kLocal,
  kPeer,
  kTimeout,
};

struct Error {
  ErrorKind kind;
  std::string message;
  uint8_t code = 0;  // HCI status, ATT error or SMP reason when one applies
  ErrorOrigin origin = ErrorOrigin::kUnknown;  // set for pairing failures
};

}  // namespace sable
