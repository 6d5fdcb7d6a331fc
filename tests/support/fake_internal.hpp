// Shared by the fake controller's translation units (test support only):
// HCI constants and small helpers. All spec references are Core 5.4, Vol 4
// Part E unless stated otherwise.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "common/bytes.hpp"
#include "sable/address.hpp"

namespace sable::testing::fake {

// Event codes (7.7).
inline constexpr uint8_t kEvtDisconnectionComplete = 0x05;
inline constexpr uint8_t kEvtEncryptionChange = 0x08;
inline constexpr uint8_t kEvtReadRemoteVersionComplete = 0x0C;
inline constexpr uint8_t kEvtCommandComplete = 0x0E;
inline constexpr uint8_t kEvtCommandStatus = 0x0F;
inline constexpr uint8_t kEvtNumberOfCompletedPackets = 0x13;
inline constexpr uint8_t kEvtEncryptionKeyRefreshComplete = 0x30;
inline constexpr uint8_t kEvtLeMeta = 0x3E;
// LE subevent codes (7.7.65.x).
inline constexpr uint8_t kLeConnectionComplete = 0x01;
inline constexpr uint8_t kLeAdvertisingReport = 0x02;
inline constexpr uint8_t kLeConnectionUpdateComplete = 0x03;
inline constexpr uint8_t kLeReadRemoteFeaturesComplete = 0x04;
inline constexpr uint8_t kLeLongTermKeyRequest = 0x05;
inline constexpr uint8_t kLeRemoteConnectionParameterRequest = 0x06;
inline constexpr uint8_t kLeDataLengthChange = 0x07;
inline constexpr uint8_t kLeEnhancedConnectionComplete = 0x0A;
inline constexpr uint8_t kLePhyUpdateComplete = 0x0C;
inline constexpr uint8_t kLeExtendedAdvertisingReport = 0x0D;
inline constexpr uint8_t kLeAdvertisingSetTerminated = 0x12;
inline constexpr uint8_t kLeChannelSelectionAlgorithm = 0x14;

// Error codes (Vol 1 Part F 1.3).
inline constexpr uint8_t kSuccess = 0x00;
inline constexpr uint8_t kUnknownCommand = 0x01;
inline constexpr uint8_t kUnknownConnectionId = 0x02;
inline constexpr uint8_t kPinOrKeyMissing = 0x06;
inline constexpr uint8_t kMemoryCapacityExceeded = 0x07;
inline constexpr uint8_t kConnectionTimeout = 0x08;
inline constexpr uint8_t kConnectionLimitExceeded = 0x09;
inline constexpr uint8_t kCommandDisallowed = 0x0C;
inline constexpr uint8_t kInvalidParameters = 0x12;
inline constexpr uint8_t kLocalHostTerminated = 0x16;
inline constexpr uint8_t kUnsupportedRemoteFeature = 0x1A;
inline constexpr uint8_t kAdvertisingTimeout = 0x3C;
inline constexpr uint8_t kMicFailure = 0x3D;
inline constexpr uint8_t kUnsupportedFeature = 0x11;
inline constexpr uint8_t kUnknownAdvertisingId = 0x42;
inline constexpr uint8_t kLimitReached = 0x43;

// Extended advertising (7.8.57, 7.7.65.13): the most data a set holds, and
// the most one Extended Advertising Report carries (255 octets of event
// parameters less the subevent code, report count and a report's fields).
inline constexpr size_t kExtendedAdvertisingDataMax = 1650;
inline constexpr size_t kExtendedReportDataMax = 229;
inline constexpr uint8_t kQuirkLtkMismatch = 0x05;  // btvirt: Authentication Failure

inline constexpr size_t kMaxLinksPerController = 16;
inline constexpr size_t kAcceptListSize = 8;
inline constexpr size_t kResolvingListSize = 8;
inline constexpr uint64_t kDefaultEventMask = 0x00001FFFFFFFFFFFull;    // 7.3.1
inline constexpr uint64_t kDefaultLeEventMask = 0x000000000000001Full;  // 7.8.1

// Little-endian byte builder for event parameters.
class W {
 public:
  W& u8(uint8_t v) {
    v_.push_back(v);
    return *this;
  }
  W& le16(uint16_t v) { return u8(uint8_t(v)).u8(uint8_t(v >> 8)); }
  W& le64(uint64_t v) {
    for (int i = 0; i < 8; ++i) u8(uint8_t(v >> (8 * i)));
    return *this;
  }
  W& bytes(Bytes b) {
    v_.insert(v_.end(), b.begin(), b.end());
    return *this;
  }
  W& addr(const Address& a) { return bytes(a.bytes); }
  std::vector<uint8_t> take() { return std::move(v_); }

 private:
  std::vector<uint8_t> v_;
};

inline Address read_address(ByteReader& r, uint8_t type) {
  Address a;
  Bytes b = r.take(6);
  if (b.size() == 6) std::copy(b.begin(), b.end(), a.bytes.begin());
  a.type = (type & 0x01) ? AddressType::kRandom : AddressType::kPublic;
  return a;
}

inline uint8_t air_type(const Address& a) {
  return a.is_random() ? 0x01 : 0x00;
}

inline bool same_air_address(const Address& a, const Address& b) {
  return a.bytes == b.bytes && a.is_random() == b.is_random();
}

// Connection parameter ranges (7.8.12 / 7.8.18).
inline bool valid_conn_params(uint16_t min, uint16_t max, uint16_t latency, uint16_t timeout) {
  if (min < 0x0006 || max > 0x0C80 || min > max) return false;
  if (latency > 0x01F3 || timeout < 0x000A || timeout > 0x0C80) return false;
  // Supervision timeout (10 ms) > (1 + latency) * interval (1.25 ms) * 2.
  return uint32_t(timeout) * 4 > (1u + latency) * uint32_t(max);
}

inline std::string hex16(uint16_t v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%04X", v);
  return buf;
}

inline bool valid_disconnect_reason(uint8_t r) {  // 7.1.6
  return r == 0x05 || r == 0x13 || r == 0x14 || r == 0x15 || r == 0x1A || r == 0x29 || r == 0x3B;
}

}  // namespace sable::testing::fake
