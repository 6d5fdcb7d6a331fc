// Advertising, as esp32-nimble's BLEAdvertising:
//   device.advertising().set_data(AdvertisementData().name("ESP32 Server").add_service_uuid(u));
//   device.advertising().start();
// Advertising restarts by itself after a disconnection.
#pragma once

#include <cstdint>

#include "sable/advertising_data.hpp"
#include "sable/error.hpp"
#include "sable/result.hpp"

namespace sable {

namespace detail {
class DeviceImpl;
}

class Advertising {
 public:
  // Lays the data out in the advertising packet and, if needed, the scan
  // response; an error if it fits in neither.
  Result<void, Error> set_data(const AdvertisementData& data);
  // Interval in units of 0.625 ms (Core 5.4 Vol 4 Part E 7.8.5); default 100 ms.
  // Takes effect the next time advertising is (re)started.
  Result<void, Error> set_interval(uint16_t min_units, uint16_t max_units);
  // Starts the GATT server (first time) and advertising.
  Result<void, Error> start();
  Result<void, Error> stop();

  explicit Advertising(detail::DeviceImpl* device) : device_(device) {}

 private:
  detail::DeviceImpl* device_;
};

}  // namespace sable
