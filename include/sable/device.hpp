// The entry point: one Device per controller, as esp32-nimble's BLEDevice::take().
//   auto device = sable::Device::take({.hci = "unix:/tmp/bt-server-le"});
//   if (!device.ok()) { ...device.error().message... }
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <vector>
#include "sable/advertising.hpp"
#include "sable/client.hpp"
#include "sable/error.hpp"
#include "sable/result.hpp"
#include "sable/scanner.hpp"
#include "sable/security.hpp"
#include "sable/server.hpp"

namespace sable {

struct DeviceOptions {
  std::string hci;             // unix:PATH, tcp:HOST:PORT, uart:DEV[:BAUD[:rtscts]], user:N
  std::string btsnoop;         // capture every HCI packet to this BTSnoop file
  std::string bond_store;      // bond file; empty: bonds are kept in memory only
  std::string name = "sable";  // GAP Device Name
  uint16_t appearance = 0;
  // After losing the controller (socket closed, device unplugged, no answer),
  // reopen `hci` every second and resume: services, bonds and advertising come
  // back on the new controller. Without it the Device stops with error().
  bool reconnect = false;
  // Centrals served at once (peripheral role), 1 to kMaxConnections. While
  // fewer are connected, advertising resumes after each connection.
  unsigned max_connections = 1;
  static constexpr unsigned kMaxConnections = 16;
  int verbosity = 0;  // -1 errors only, 0 warnings, 1 info, 2 debug, 3 trace
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
  Scanner& scanner();

  // Central: connects to a peripheral (fails with kTimeout after options.timeout).
  Result<std::unique_ptr<Client>, Error> connect(const Address& peer,
                                                 const ConnectOptions& options = {});

  struct BondInfo {
    Address identity;
    bool has_irk = false;
    bool authenticated = false;
    bool secure_connections = false;
    uint8_t key_size = 0;
    size_t subscriptions = 0;
  };
  std::vector<BondInfo> bonds() const;
  Result<void, Error> delete_bond(const Address& identity);
  Result<void, Error> delete_all_bonds();
  // A problem met when opening the bond store (e.g. a corrupt file moved aside).
  std::optional<std::string> bond_store_warning() const;
  // The controller's public address (BD_ADDR) and the address used on air.
  std::string address() const;
  // Set when the stack has stopped for good (controller lost, ...).
  std::optional<Error> error() const;

 private:
  explicit Device(std::unique_ptr<detail::DeviceImpl> impl);
  std::unique_ptr<detail::DeviceImpl> impl_;
};

}  // namespace sable
