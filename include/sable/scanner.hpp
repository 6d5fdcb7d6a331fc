// Scanning, as esp32-nimble's BLEScan: results carry the name, services and
// RSSI, with the scan response merged in.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sable/address.hpp"
#include "sable/error.hpp"
#include "sable/result.hpp"
#include "sable/uuid.hpp"

namespace sable {

namespace detail {
class DeviceImpl;
}

struct ScanResult {
  Address address;                  // as advertised (may be a resolvable private address)
  std::optional<Address> identity;  // a bonded peer's identity address, when it resolves
  int8_t rssi = 127;                // dBm; 127 = not available
  std::string name;
  std::vector<Uuid> services;
  bool connectable = false;
  std::optional<uint16_t> appearance;
  std::vector<uint8_t> manufacturer_data;
  std::string to_string() const;
};

// Every field that is set must match.
struct ScanFilter {
  std::string name;                // exact complete or shortened name
  std::optional<Uuid> service;     // advertised service UUID
  std::optional<Address> address;  // matches the advertised or the resolved identity address
  bool matches(const ScanResult& r) const;
};

struct ScanOptions {
  bool active = true;
  bool filter_duplicates = true;
  ScanFilter filter;
};

class Scanner {
 public:
  // Results (filtered) arrive on the stack's thread until stop().
  Result<void, Error> start(const ScanOptions& options,
                            std::function<void(const ScanResult&)> on_result);
  Result<void, Error> stop();
  // Scans until a result matches, or fails with kTimeout.
  Result<ScanResult, Error> find(const ScanFilter& filter, std::chrono::milliseconds timeout);

  explicit Scanner(detail::DeviceImpl* device) : device_(device) {}

 private:
  detail::DeviceImpl* device_;
};

}  // namespace sable
