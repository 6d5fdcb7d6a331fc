// The central's view of one connection: GATT client and link security, as
// esp32-nimble's BLEClient. Calls block the calling thread (never call them
// from a stack callback) and return typed errors: kAtt with the ATT error code,
// kPairingFailed with the SMP reason, kTimeout, kDisconnected.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "sable/conn_desc.hpp"
#include "sable/error.hpp"
#include "sable/result.hpp"
#include "sable/uuid.hpp"

namespace sable {

namespace detail {
class DeviceImpl;
struct ClientState;
}  // namespace detail

struct ConnectOptions {
  std::chrono::milliseconds timeout{5000};
  uint16_t min_interval = 24;  // 1.25 ms units
  uint16_t max_interval = 40;
  uint16_t latency = 0;
  uint16_t supervision_timeout = 400;  // 10 ms units
};

struct RemoteService {
  uint16_t start_handle = 0;
  uint16_t end_handle = 0;
  Uuid uuid;
};

struct RemoteCharacteristic {
  uint16_t declaration_handle = 0;
  uint16_t value_handle = 0;
  uint16_t end_handle = 0;  // last handle of its descriptors
  uint8_t properties = 0;   // Core 5.4 Vol 3 Part G 3.3.1.1
  Uuid uuid;
  uint16_t cccd_handle = 0;  // found by discover_descriptors / find_characteristic
};

class Client {
 public:
  ~Client();
  std::optional<ConnDesc> desc() const;
  bool connected() const;

  Result<uint16_t, Error> exchange_mtu(uint16_t mtu = 517);
  Result<std::vector<RemoteService>, Error> discover_services(std::optional<Uuid> uuid = {});
  Result<std::vector<RemoteCharacteristic>, Error> discover_characteristics(const RemoteService& s);
  // Service + characteristic by UUID, with its CCCD handle when it has one.
  Result<RemoteCharacteristic, Error> find_characteristic(const Uuid& service,
                                                          const Uuid& characteristic);

  // On Insufficient Encryption/Authentication the client secures the link
  // (re-encrypts with the bond, or pairs) and retries once, unless disabled.
  void set_auto_secure(bool on);
  Result<std::vector<uint8_t>, Error> read(uint16_t handle);
  Result<void, Error> write(uint16_t handle, std::span<const uint8_t> value,
                            bool with_response = true);
  // Enables notifications (or indications) and calls on_value for each one,
  // on the stack's thread.
  Result<void, Error> subscribe(const RemoteCharacteristic& c,
                                std::function<void(std::span<const uint8_t>)> on_value,
                                bool indications = false);

  // Disables notifications/indications (writes 0 to the CCCD).
  Result<void, Error> unsubscribe(const RemoteCharacteristic& c);

  // Encrypts with the stored bond, or pairs when there is none. A bonded peer
  // whose key fails is never used unencrypted: the error is returned.
  Result<void, Error> secure();
  // Pairs (and bonds, per the security settings) even if a bond exists.
  Result<void, Error> pair();
  Result<void, Error> disconnect();
  void on_disconnect(std::function<void(uint8_t reason)> fn);

  // `generation` (ConnDesc::generation) names the link: once it ends, this
  // Client refuses every call, even when a new link reuses its handle.
  Client(detail::DeviceImpl* device, uint16_t handle, uint32_t generation);

 private:
  detail::DeviceImpl* device_;
  uint16_t handle_;
  uint32_t generation_;
  bool auto_secure_ = true;
};

}  // namespace sable
