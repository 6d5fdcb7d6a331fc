// The public API objects on the Cortex-M4 port: direct calls into the
// single-threaded DeviceImpl (the Linux build's src/api/api.cpp posts them to
// a loop thread instead). Only the peripheral side is provided so far;
// Scanner, Client and Device::connect are not (the reference program does
// not use them, and the linker says so if a program does).
#include "common/log.hpp"
#include "device_impl.hpp"

namespace sable {

using detail::DeviceImpl;

Result<std::unique_ptr<Device>, Error> Device::take(const DeviceOptions& options) {
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
std::string Device::address() const {
  return impl_->address();
}
std::optional<Error> Device::error() const {
  return impl_->error();
}
std::optional<std::string> Device::bond_store_warning() const {
  return impl_->bond_store_warning();
}

Service& Server::create_service(const Uuid& uuid) {
  if (device_->server_started())
    SABLE_LOG_ERROR("create_service after the server started: %s is not published",
                    uuid.to_string().c_str());
  return services_.emplace_back(device_, uuid);
}

Server& Server::on_connect(std::function<void(Server&, const ConnDesc&)> fn) {
  on_connect_ = std::move(fn);
  return *this;
}
Server& Server::on_disconnect(std::function<void(const ConnDesc&, DisconnectReason)> fn) {
  on_disconnect_ = std::move(fn);
  return *this;
}
Server& Server::on_security_changed(std::function<void(const ConnDesc&)> fn) {
  on_security_changed_ = std::move(fn);
  return *this;
}

Result<void, Error> Server::update_conn_params(uint16_t conn_handle, uint16_t min_interval,
                                               uint16_t max_interval, uint16_t latency,
                                               uint16_t supervision_timeout) {
  return device_->host().update_connection_parameters(
      DeviceImpl::now(), conn_handle,
      l2cap::ConnectionParameters{min_interval, max_interval, latency, supervision_timeout});
}

Result<void, Error> Server::disconnect(uint16_t conn_handle, uint8_t reason) {
  return device_->host().disconnect(DeviceImpl::now(), conn_handle, reason);
}

std::vector<ConnDesc> Server::connections() const {
  return device_->host().connections();
}

std::optional<ConnDesc> Server::connection(uint16_t conn_handle) const {
  return device_->host().connection(conn_handle);
}

Characteristic& Service::create_characteristic(const Uuid& uuid, Properties properties) {
  if (device_->server_started())
    SABLE_LOG_ERROR("create_characteristic after the server started: %s is not published",
                    uuid.to_string().c_str());
  return characteristics_.emplace_back(device_, uuid, properties);
}

Characteristic& Characteristic::set_value(std::span<const uint8_t> value) {
  value_.assign(value.begin(), value.end());
  device_->push_value(*this);
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
  return value_;
}
NotifyResult Characteristic::notify() {
  return device_->notify(*this);
}
Characteristic& Characteristic::on_read(std::function<void(uint16_t)> fn) {
  on_read_ = std::move(fn);
  return *this;
}
Characteristic& Characteristic::on_write(std::function<void(const WriteContext&)> fn) {
  on_write_ = std::move(fn);
  return *this;
}
Characteristic& Characteristic::on_subscribe(std::function<void(uint16_t, uint16_t)> fn) {
  on_subscribe_ = std::move(fn);
  return *this;
}
Characteristic& Characteristic::on_authorize(std::function<bool(uint16_t, bool)> fn) {
  on_authorize_ = std::move(fn);
  return *this;
}

Result<void, Error> Advertising::set_data(const AdvertisementData& data) {
  return device_->host().set_advertising_data(DeviceImpl::now(), data);
}

Result<void, Error> Advertising::set_interval(uint16_t min_units, uint16_t max_units) {
  return device_->host().set_advertising_interval(DeviceImpl::now(), min_units, max_units);
}

Result<void, Error> Advertising::start() {
  if (auto r = device_->start_server(); !r.ok()) return r;
  return device_->host().start_advertising(DeviceImpl::now());
}

Result<void, Error> Advertising::stop() {
  return device_->host().stop_advertising(DeviceImpl::now());
}

}  // namespace sable
