// The public API objects, shared by every platform: thin forwarders that run
// on the stack's thread through DeviceImpl::call(), except set_value() and
// notify(), which hand over without waiting (see Characteristic).
#include <algorithm>
#include <cstdio>
#include <cstring>

#include "api/device_impl.hpp"
#include "common/log.hpp"

namespace sable {

using detail::DeviceImpl;

namespace detail {
Device::BondInfo bond_info(const store::Bond& b) {
  Device::BondInfo i;
  i.identity = b.peer_identity;
  i.has_irk = b.peer_irk.has_value();
  i.authenticated = b.authenticated();
  i.secure_connections = b.secure_connections();
  i.key_size = b.key_size();
  i.subscriptions = b.cccds.size();
  return i;
}
}  // namespace detail

// ---- Device ----

Result<std::unique_ptr<Device>, Error> Device::take(const DeviceOptions& options) {
  if (options.max_connections < 1 || options.max_connections > DeviceOptions::kMaxConnections)
    return fail(Error{ErrorKind::kBadArgument, "max_connections must be 1 to 16"});
  auto impl = DeviceImpl::create(options);
  if (!impl.ok()) return fail(impl.error());
  return std::unique_ptr<Device>(new Device(std::move(impl.value())));
}

Device::Device(std::unique_ptr<DeviceImpl> impl) : impl_(std::move(impl)) {}
Device::~Device() = default;
Security& Device::security() {
  return impl_->security();
}
Server& Device::server() {
  return impl_->server();
}
Advertising& Device::advertising() {
  return impl_->advertising();
}
Scanner& Device::scanner() {
  return impl_->scanner();
}
std::string Device::address() const {
  return impl_->address();
}
std::optional<Error> Device::error() const {
  return impl_->error();
}
std::optional<std::string> Device::bond_store_warning() const {
  return impl_->bond_store_warning();
}

std::vector<Device::BondInfo> Device::bonds() const {
  return impl_->call([&] {
    std::vector<BondInfo> out;
    for (const auto& b : impl_->bond_store()->all()) out.push_back(detail::bond_info(b));
    return out;
  });
}

Result<void, Error> Device::delete_bond(const Address& identity) {
  return impl_->call([&] { return impl_->host().remove_bond(identity); });
}

Result<void, Error> Device::delete_all_bonds() {
  return impl_->call([&]() -> Result<void, Error> {
    for (const auto& b : impl_->bond_store()->all())
      if (auto r = impl_->host().remove_bond(b.peer_identity); !r.ok()) return r;
    return {};
  });
}

// ---- Server ----

Service& Server::create_service(const Uuid& uuid) {
  return device_->call([&]() -> Service& {
    if (device_->server_started())
      SABLE_LOG_ERROR("create_service after the server started: %s is not published",
                      uuid.to_string().c_str());
    return services_.emplace_back(device_, uuid);
  });
}

Server& Server::on_connect(std::function<void(Server&, const ConnDesc&)> fn) {
  device_->call([&] { on_connect_ = std::move(fn); });
  return *this;
}
Server& Server::on_disconnect(std::function<void(const ConnDesc&, DisconnectReason)> fn) {
  device_->call([&] { on_disconnect_ = std::move(fn); });
  return *this;
}
Server& Server::on_security_changed(std::function<void(const ConnDesc&)> fn) {
  device_->call([&] { on_security_changed_ = std::move(fn); });
  return *this;
}

Result<void, Error> Server::update_conn_params(uint16_t conn_handle, uint16_t min_interval,
                                               uint16_t max_interval, uint16_t latency,
                                               uint16_t supervision_timeout) {
  return device_->call([&] {
    return device_->host().update_connection_parameters(
        device_->now(), conn_handle,
        l2cap::ConnectionParameters{min_interval, max_interval, latency, supervision_timeout});
  });
}

Result<void, Error> Server::disconnect(uint16_t conn_handle, uint8_t reason) {
  return device_->call(
      [&] { return device_->host().disconnect(device_->now(), conn_handle, reason); });
}

std::vector<ConnDesc> Server::connections() const {
  return device_->call([&] { return device_->host().connections(); });
}

std::optional<ConnDesc> Server::connection(uint16_t conn_handle) const {
  return device_->call([&] { return device_->host().connection(conn_handle); });
}

// ---- Service / Characteristic ----

Characteristic& Service::create_characteristic(const Uuid& uuid, Properties properties) {
  return device_->call([&]() -> Characteristic& {
    if (device_->server_started())
      SABLE_LOG_ERROR("create_characteristic after the server started: %s is not published",
                      uuid.to_string().c_str());
    return characteristics_.emplace_back(device_, uuid, properties);
  });
}

Characteristic::Characteristic(detail::DeviceImpl* device, Uuid uuid, Properties properties)
    : device_(device),
      uuid_(uuid),
      properties_(properties),
      state_(std::make_unique<detail::CharacteristicState>()) {}
Characteristic::~Characteristic() = default;

Characteristic& Characteristic::set_value(std::span<const uint8_t> value) {
  detail::LockGuard lock(state_->mutex);
  if (value.size() > kMaxValueLength) {
    state_->too_long = true;
    SABLE_LOG_ERROR("set_value: %u octets for %s, longer than the maximum %u: refused",
                    unsigned(value.size()), uuid_.to_string().c_str(), unsigned(kMaxValueLength));
    return *this;
  }
  state_->too_long = false;
  if (!value.empty()) std::memcpy(state_->value.data(), value.data(), value.size());
  state_->length = uint16_t(value.size());
  return *this;
}
Characteristic& Characteristic::set_value(std::string_view value) {
  return set_value(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(value.data()), value.size()));
}
Characteristic& Characteristic::set_value(std::initializer_list<uint8_t> value) {
  return set_value(std::span<const uint8_t>(value.begin(), value.size()));
}
std::vector<uint8_t> Characteristic::value() const {
  detail::LockGuard lock(state_->mutex);
  return std::vector<uint8_t>(state_->value.begin(), state_->value.begin() + state_->length);
}
NotifyResult Characteristic::notify() {
  return device_->notify(*this);
}
uint64_t Characteristic::notify_failures() const {
  detail::LockGuard lock(state_->mutex);
  return state_->failures;
}
Characteristic& Characteristic::on_notified(
    std::function<void(std::span<const uint8_t>, const NotifyResult&)> fn) {
  device_->call([&] { state_->on_notified = std::move(fn); });
  return *this;
}
Characteristic& Characteristic::on_read(std::function<void(uint16_t)> fn) {
  device_->call([&] { state_->on_read = std::move(fn); });
  return *this;
}
Characteristic& Characteristic::on_write(std::function<void(const WriteContext&)> fn) {
  device_->call([&] { state_->on_write = std::move(fn); });
  return *this;
}
Characteristic& Characteristic::on_subscribe(std::function<void(uint16_t, uint16_t)> fn) {
  device_->call([&] { state_->on_subscribe = std::move(fn); });
  return *this;
}
Characteristic& Characteristic::on_authorize(std::function<bool(uint16_t, bool)> fn) {
  device_->call([&] { state_->on_authorize = std::move(fn); });
  return *this;
}

// ---- Advertising ----

Result<void, Error> Advertising::set_data(const AdvertisementData& data) {
  return device_->call([&] { return device_->set_advertising_data(data); });
}

Result<void, Error> Advertising::set_interval(uint16_t min_units, uint16_t max_units) {
  return device_->call([&] {
    return device_->host().set_advertising_interval(device_->now(), min_units, max_units);
  });
}

Result<void, Error> Advertising::start() {
  return device_->call([&] { return device_->start_advertising(); });
}

Result<void, Error> Advertising::stop() {
  return device_->call([&] { return device_->stop_advertising(); });
}

// ---- Scan results ----

bool ScanFilter::matches(const ScanResult& r) const {
  if (!name.empty() && r.name != name) return false;
  if (service && std::find(r.services.begin(), r.services.end(), *service) == r.services.end())
    return false;
  if (address && address->bytes != r.address.bytes &&
      !(r.identity && r.identity->bytes == address->bytes))
    return false;
  return true;
}

std::string ScanResult::to_string() const {
  std::string s = address.to_string() + (address.is_random() ? " (random)" : " (public)");
  char rssi_text[24];
  std::snprintf(rssi_text, sizeof rssi_text, " rssi %d", int(rssi));
  s += rssi_text;
  if (identity) s += " identity " + identity->to_string();
  if (!name.empty()) s += " name \"" + name + "\"";
  for (const auto& u : services) s += " service " + u.to_string();
  if (!connectable) s += " (not connectable)";
  return s;
}

}  // namespace sable
