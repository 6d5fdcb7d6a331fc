// The GATT server, in the shape esp32-nimble users know:
//   auto& service = server.create_service(uuid128("9b574847-..."));
//   auto& chr = service.create_characteristic(uuid128("681285a6-..."),
//                                             Property::Read | Property::ReadEnc |
//                                             Property::Notify);
//   chr.set_value("Start Value");
//   chr.set_value({counter}).notify();
// Thread-safe: calls from any thread are carried out on the stack's thread
// (set_value() and notify() hand over without waiting, see Characteristic);
// callbacks run on the stack's thread.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sable/conn_desc.hpp"
#include "sable/error.hpp"
#include "sable/notify.hpp"
#include "sable/result.hpp"
#include "sable/uuid.hpp"

namespace sable {

namespace detail {
class DeviceImpl;
class ServerDatabase;
struct CharacteristicState;
}  // namespace detail

// Characteristic properties (Core 5.4 Vol 3 Part G 3.3.1.1) plus the security
// requirements of the value (the esp32-nimble/NimBLE READ_ENC ... flags).
enum class Property : uint16_t {
  Broadcast = 0x0001,
  Read = 0x0002,
  WriteNoResponse = 0x0004,
  Write = 0x0008,
  Notify = 0x0010,
  Indicate = 0x0020,
  AuthSignedWrite = 0x0040,
  // Access requirements (not sent on the air):
  ReadEnc = 0x0200,     // reading needs an encrypted link
  ReadAuthen = 0x0400,  // reading needs an authenticated (MITM) key
  ReadAuthor = 0x0800,  // reading needs the application's authorization
  WriteEnc = 0x1000,
  WriteAuthen = 0x2000,
  WriteAuthor = 0x4000,
};

class Properties {
 public:
  constexpr Properties() = default;
  constexpr Properties(Property p) : bits_(uint16_t(p)) {}
  constexpr explicit Properties(uint16_t bits) : bits_(bits) {}
  constexpr Properties operator|(Properties o) const {
    return Properties(uint16_t(bits_ | o.bits_));
  }
  constexpr bool has(Property p) const { return (bits_ & uint16_t(p)) != 0; }
  constexpr uint16_t bits() const { return bits_; }

 private:
  uint16_t bits_ = 0;
};
constexpr Properties operator|(Property a, Property b) {
  return Properties(a) | Properties(b);
}

// What a peer asked for, given to on_write.
struct WriteContext {
  uint16_t conn_handle;
  std::span<const uint8_t> value;
};

class Characteristic {
 public:
  // Core 5.4 Vol 3 Part F 3.2.9: an attribute value is at most 512 octets.
  static constexpr size_t kMaxValueLength = 512;

  const Uuid& uuid() const { return uuid_; }
  Properties properties() const { return properties_; }

  // Sets the value peers read and notify() sends, from any thread, without
  // waiting for the stack's thread and without allocating (the value lives in
  // a slot of kMaxValueLength octets made with the characteristic). A longer
  // value is refused: the previous value stays, an error is logged, and
  // notify() returns kValueTooLong until a value that fits is set.
  Characteristic& set_value(std::span<const uint8_t> value);
  Characteristic& set_value(std::string_view value);
  Characteristic& set_value(std::initializer_list<uint8_t> value);
  std::vector<uint8_t> value() const;

  // Notifies (or indicates, if only Indicate is set) the current value to every
  // subscribed peer whose link is secure enough to read it.
  //  - On the stack's thread (inside a callback) and on single-threaded ports:
  //    sent at once; returns the outcome (also given to on_notified).
  //  - From any other thread: the value is copied into a queue preallocated at
  //    start-up and the call returns kQueued without waiting; the stack's thread
  //    sends queued values in order, each once, and gives every outcome to
  //    on_notified (failures also count in notify_failures()).
  // Refused at once, nothing sent: kNoCccd, kNotStarted, kNotConnected (no link
  // at all), kValueTooLong, kOutOfBuffers (the queue is full: retry later).
  NotifyResult notify();
  // The outcome of each notification handed to the stack (the value and how
  // many peers got it), on the stack's thread.
  Characteristic& on_notified(
      std::function<void(std::span<const uint8_t> value, const NotifyResult&)> fn);
  // Notifications handed to the stack that did not reach every subscribed peer.
  uint64_t notify_failures() const;

  // A peer is about to read the value (after the stack checked permissions):
  // the callback may set_value() to supply it.
  Characteristic& on_read(std::function<void(uint16_t conn_handle)> fn);
  // A peer wrote the value (after the stack checked permissions).
  Characteristic& on_write(std::function<void(const WriteContext&)> fn);
  // A peer subscribed or unsubscribed (CCCD value: 0 off, 1 notify, 2 indicate).
  Characteristic& on_subscribe(std::function<void(uint16_t conn_handle, uint16_t cccd)> fn);
  // Authorization for ReadAuthor/WriteAuthor characteristics (default: deny).
  Characteristic& on_authorize(std::function<bool(uint16_t conn_handle, bool write)> fn);

  Characteristic(detail::DeviceImpl* device, Uuid uuid, Properties properties);
  ~Characteristic();
  Characteristic(const Characteristic&) = delete;
  Characteristic& operator=(const Characteristic&) = delete;

 private:
  friend class detail::DeviceImpl;
  friend class detail::ServerDatabase;
  detail::DeviceImpl* device_;
  Uuid uuid_;
  Properties properties_;
  std::unique_ptr<detail::CharacteristicState> state_;  // value slot, callbacks
};

class Service {
 public:
  const Uuid& uuid() const { return uuid_; }
  Characteristic& create_characteristic(const Uuid& uuid, Properties properties);

  Service(detail::DeviceImpl* device, Uuid uuid) : device_(device), uuid_(uuid) {}

 private:
  friend class detail::DeviceImpl;
  friend class detail::ServerDatabase;
  detail::DeviceImpl* device_;
  Uuid uuid_;
  std::deque<Characteristic> characteristics_;  // stable references
};

// Core 5.4 Vol 1 Part F: the HCI reason code given with a disconnection.
using DisconnectReason = uint8_t;

class Server {
 public:
  Service& create_service(const Uuid& uuid);

  Server& on_connect(std::function<void(Server&, const ConnDesc&)> fn);
  Server& on_disconnect(std::function<void(const ConnDesc&, DisconnectReason)> fn);
  // Security level of a link changed (encrypted, paired, bonded).
  Server& on_security_changed(std::function<void(const ConnDesc&)> fn);

  // Interval in 1.25 ms units, latency in events, supervision timeout in 10 ms
  // units, as esp32-nimble's update_conn_params(handle, 24, 48, 0, 60).
  Result<void, Error> update_conn_params(uint16_t conn_handle, uint16_t min_interval,
                                         uint16_t max_interval, uint16_t latency,
                                         uint16_t supervision_timeout);
  Result<void, Error> disconnect(uint16_t conn_handle, uint8_t reason = 0x13);
  std::vector<ConnDesc> connections() const;
  std::optional<ConnDesc> connection(uint16_t conn_handle) const;

  explicit Server(detail::DeviceImpl* device) : device_(device) {}

 private:
  friend class detail::DeviceImpl;
  friend class detail::ServerDatabase;
  detail::DeviceImpl* device_;
  std::deque<Service> services_;
  std::function<void(Server&, const ConnDesc&)> on_connect_;
  std::function<void(const ConnDesc&, DisconnectReason)> on_disconnect_;
  std::function<void(const ConnDesc&)> on_security_changed_;
};

// "uuid128("9b574847-f706-436c-bed7-fc01eb0965c1")": traps on a malformed
// literal (a programming error); use Uuid::parse for text from users.
Uuid uuid128(std::string_view text);

}  // namespace sable
