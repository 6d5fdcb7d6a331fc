// The entry point: one Device per controller, as esp32-nimble's BLEDevice::take().
//   auto device = sable::Device::take({.hci = "unix:/tmp/bt-server-le"});
//   if (!device.ok()) { ...device.error().message... }
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "sable/advertising.hpp"
#include "sable/error.hpp"
#include "sable/result.hpp"
#include "sable/security.hpp"
#include "sable/server.hpp"

namespace sable {

struct DeviceOptions {
  std::string hci;             // unix:PATH, tcp:HOST:PORT, uart:DEV[:BAUD[:rtscts]], user:N
  std::string btsnoop;         // capture every HCI packet to this BTSnoop file
  std::string bond_store;      // where bonds are kept
  std::string name = "sable";  // GAP Device Name
  uint16_t appearance = 0;
  int verbosity = 0;  // 0 info, 1 debug, 2 trace
};

class Device {
 public:
  // Opens the controller, brings it up (Reset, buffer sizes, address...) and
  // starts the stack's thread. Fails with a one-line error when the spec is bad,
  // the controller is missing, or it does not answer.
  static Result<std::unique_ptr<Device>, Error> take(const DeviceOptions& options);
  ~Device();

  Security& security();
  Server& server();
  Advertising& advertising();
  // The controller's public address (BD_ADDR) and the address used on air.
  std::string address() const;
  // Set when the stack has stopped for good (controller lost, ...).
  std::optional<Error> error() const;

 private:
  explicit Device(std::unique_ptr<detail::DeviceImpl> impl);
  std::unique_ptr<detail::DeviceImpl> impl_;
};

}  // namespace sable
