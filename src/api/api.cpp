// The public API objects: thin, thread-safe forwarders to DeviceImpl's loop thread.
#include "api/device_impl.hpp"
#include "common/log.hpp"

#include <algorithm>
#include <cstdio>

namespace sable {

using detail::DeviceImpl;

// ---- Device ----

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

Characteristic& Characteristic::set_value(std::span<const uint8_t> value) {
  {
    std::lock_guard lock(mutex_);
    value_.assign(value.begin(), value.end());
  }
  device_->call([&] { device_->push_value(*this); });
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
  std::lock_guard lock(mutex_);
  return value_;
}
NotifyResult Characteristic::notify() {
  return device_->call([&] { return device_->notify(*this); });
}
Characteristic& Characteristic::on_read(std::function<void(uint16_t)> fn) {
  device_->call([&] { on_read_ = std::move(fn); });
  return *this;
}
Characteristic& Characteristic::on_write(std::function<void(const WriteContext&)> fn) {
  device_->call([&] { on_write_ = std::move(fn); });
  return *this;
}
Characteristic& Characteristic::on_subscribe(std::function<void(uint16_t, uint16_t)> fn) {
  device_->call([&] { on_subscribe_ = std::move(fn); });
  return *this;
}
Characteristic& Characteristic::on_authorize(std::function<bool(uint16_t, bool)> fn) {
  device_->call([&] { on_authorize_ = std::move(fn); });
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

}  // namespace sable

// ---- Central role: Device::connect, Scanner, Client ----

namespace sable {

Scanner& Device::scanner() {
  return impl_->scanner();
}

Result<std::unique_ptr<Client>, Error> Device::connect(const Address& peer,
                                                       const ConnectOptions& options) {
  return impl_->connect(peer, options);
}

std::vector<Device::BondInfo> Device::bonds() const {
  return impl_->call([&] {
    std::vector<BondInfo> out;
    for (const auto& b : impl_->bond_store()->all()) {
      BondInfo i;
      i.identity = b.peer_identity;
      i.has_irk = b.peer_irk.has_value();
      i.authenticated = b.authenticated();
      i.secure_connections = b.secure_connections();
      i.key_size = b.key_size();
      i.subscriptions = b.cccds.size();
      out.push_back(i);
    }
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

std::optional<std::string> Device::bond_store_warning() const {
  return impl_->bond_store_warning();
}

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

Result<void, Error> Scanner::start(const ScanOptions& options,
                                   std::function<void(const ScanResult&)> on_result) {
  return device_->call([&] { return device_->start_scan(options, std::move(on_result)); });
}

Result<void, Error> Scanner::stop() {
  return device_->call([&] { return device_->stop_scan(); });
}

Result<ScanResult, Error> Scanner::find(const ScanFilter& filter,
                                        std::chrono::milliseconds timeout) {
  auto done = std::make_shared<std::promise<ScanResult>>();
  auto found = std::make_shared<bool>(false);
  auto future = done->get_future();
  ScanOptions options;
  options.filter = filter;
  options.filter_duplicates = false;
  if (auto r = start(options,
                     [done, found](const ScanResult& r) {
                       if (*found) return;
                       *found = true;
                       done->set_value(r);
                     });
      !r.ok())
    return fail(r.error());
  bool ready = future.wait_for(timeout) == std::future_status::ready;
  (void)stop();
  if (!ready) return fail(Error{ErrorKind::kTimeout, "no advertiser matched within the timeout"});
  return future.get();
}

namespace {

Error to_error(const gatt::ClientError& e) {
  using K = gatt::ClientError::Kind;
  char buf[160];
  switch (e.kind) {
    case K::kAtt:
      std::snprintf(buf, sizeof buf, "ATT error: %s (0x%02x) on handle 0x%04x",
                    att::to_string(e.att_error), unsigned(e.att_error), e.handle);
      return Error{ErrorKind::kAtt, buf, uint8_t(e.att_error)};
    case K::kTimeout:
      return Error{ErrorKind::kTimeout, "ATT transaction timed out (30 s)"};
    case K::kDisconnected:
      return Error{ErrorKind::kDisconnected, "the link went down"};
    case K::kInvalidResponse:
      return Error{ErrorKind::kProtocol, "the peer sent an invalid ATT response"};
    case K::kInvalidParameters:
      return Error{ErrorKind::kBadArgument, "invalid ATT request parameters"};
    case K::kBusy:
      return Error{ErrorKind::kInvalidState, "too many ATT procedures queued"};
  }
  return Error{ErrorKind::kProtocol, "ATT failure"};
}

// Starts a GATT client procedure on the loop thread and waits for it.
template <class T, class Start>
Result<T, Error> run_procedure(detail::DeviceImpl* device, uint16_t handle, Start start) {
  auto done = std::make_shared<std::promise<Result<T, Error>>>();
  auto future = done->get_future();
  device->call([&] {
    gatt::Client* client = device->host().gatt_client(handle);
    if (!client) {
      done->set_value(fail(Error{ErrorKind::kDisconnected, "not connected"}));
      return;
    }
    start(*client, device->now(), [done](gatt::ClientResult<T> r) {
      if (!r.ok()) {
        done->set_value(fail(to_error(r.error())));
      } else if constexpr (std::is_void_v<T>) {
        done->set_value(Result<void, Error>{});
      } else {
        done->set_value(std::move(r.value()));
      }
    });
  });
  // ATT gives each transaction 30 s; a long read is several transactions.
  if (future.wait_for(std::chrono::seconds(120)) != std::future_status::ready)
    return fail(Error{ErrorKind::kTimeout, "GATT procedure did not finish"});
  return future.get();
}

bool needs_security(const Error& e) {
  // Core 5.4 Vol 3 Part F 3.4.1.1: the errors a client answers by encrypting
  // (or pairing) and retrying.
  return e.kind == ErrorKind::kAtt && (e.code == 0x05 || e.code == 0x0F || e.code == 0x0C);
}

}  // namespace

Client::Client(detail::DeviceImpl* device, uint16_t handle) : device_(device), handle_(handle) {}

Client::~Client() {
  if (connected()) (void)disconnect();
}

std::optional<ConnDesc> Client::desc() const {
  return device_->call([&] { return device_->host().connection(handle_); });
}

bool Client::connected() const {
  return desc().has_value();
}

void Client::set_auto_secure(bool on) {
  auto_secure_ = on;
}

Result<uint16_t, Error> Client::exchange_mtu(uint16_t) {
  return run_procedure<uint16_t>(device_, handle_, [](gatt::Client& c, TimePoint now, auto cb) {
    c.exchange_mtu(now, std::move(cb));
  });
}

Result<std::vector<RemoteService>, Error> Client::discover_services(std::optional<Uuid> uuid) {
  auto r = run_procedure<std::vector<gatt::ServiceInfo>>(
      device_, handle_, [uuid](gatt::Client& c, TimePoint now, auto cb) {
        c.discover_primary_services(now, uuid, std::move(cb));
      });
  if (!r.ok()) return fail(r.error());
  std::vector<RemoteService> out;
  for (const auto& s : r.value()) out.push_back(RemoteService{s.start, s.end, s.uuid});
  return out;
}

Result<std::vector<RemoteCharacteristic>, Error> Client::discover_characteristics(
    const RemoteService& s) {
  auto r = run_procedure<std::vector<gatt::CharacteristicInfo>>(
      device_, handle_, [s](gatt::Client& c, TimePoint now, auto cb) {
        c.discover_characteristics(now, s.start_handle, s.end_handle, std::move(cb));
      });
  if (!r.ok()) return fail(r.error());
  std::vector<RemoteCharacteristic> out;
  const auto& list = r.value();
  for (size_t i = 0; i < list.size(); ++i) {
    RemoteCharacteristic rc;
    rc.declaration_handle = list[i].declaration_handle;
    rc.value_handle = list[i].value_handle;
    rc.properties = list[i].properties;
    rc.uuid = list[i].uuid;
    rc.end_handle =
        i + 1 < list.size() ? uint16_t(list[i + 1].declaration_handle - 1) : s.end_handle;
    out.push_back(rc);
  }
  return out;
}

Result<RemoteCharacteristic, Error> Client::find_characteristic(const Uuid& service,
                                                                const Uuid& characteristic) {
  auto services = discover_services(service);
  if (!services.ok()) return fail(services.error());
  for (const auto& s : services.value()) {
    auto chars = discover_characteristics(s);
    if (!chars.ok()) return fail(chars.error());
    for (auto c : chars.value()) {
      if (!(c.uuid == characteristic)) continue;
      if (c.end_handle > c.value_handle) {
        auto descs = run_procedure<std::vector<gatt::DescriptorInfo>>(
            device_, handle_, [c](gatt::Client& cl, TimePoint now, auto cb) {
              cl.discover_descriptors(now, uint16_t(c.value_handle + 1), c.end_handle,
                                      std::move(cb));
            });
        if (!descs.ok()) return fail(descs.error());
        for (const auto& d : descs.value())
          if (d.uuid == Uuid::from16(0x2902)) c.cccd_handle = d.handle;
      }
      return c;
    }
  }
  return fail(Error{ErrorKind::kNotFound, "characteristic " + characteristic.to_string() +
                                              " not found in service " + service.to_string()});
}

Result<std::vector<uint8_t>, Error> Client::read(uint16_t handle) {
  auto once = [&] {
    return run_procedure<std::vector<uint8_t>>(
        device_, handle_,
        [handle](gatt::Client& c, TimePoint now, auto cb) { c.read(now, handle, std::move(cb)); });
  };
  auto r = once();
  if (!r.ok() && auto_secure_ && needs_security(r.error())) {
    if (auto s = secure(); !s.ok()) return fail(s.error());
    r = once();
  }
  return r;
}

Result<void, Error> Client::write(uint16_t handle, std::span<const uint8_t> value,
                                  bool with_response) {
  std::vector<uint8_t> copy(value.begin(), value.end());
  auto once = [&] {
    return run_procedure<void>(device_, handle_, [&](gatt::Client& c, TimePoint now, auto cb) {
      c.write(now, handle, copy,
              with_response ? gatt::WriteMode::kRequest : gatt::WriteMode::kCommand, std::move(cb));
    });
  };
  auto r = once();
  if (!r.ok() && auto_secure_ && needs_security(r.error())) {
    if (auto s = secure(); !s.ok()) return fail(s.error());
    r = once();
  }
  return r;
}

Result<void, Error> Client::subscribe(const RemoteCharacteristic& c,
                                      std::function<void(std::span<const uint8_t>)> on_value,
                                      bool indications) {
  if (c.cccd_handle == 0)
    return fail(Error{ErrorKind::kBadArgument,
                      "the characteristic has no CCCD (not notifiable); use find_characteristic"});
  auto handler = [on_value](uint16_t, Bytes v, bool) {
    if (on_value) on_value(std::span<const uint8_t>(v.data(), v.size()));
  };
  auto once = [&] {
    return run_procedure<void>(device_, handle_, [&](gatt::Client& cl, TimePoint now, auto cb) {
      cl.subscribe(now, c.value_handle, c.cccd_handle, indications, handler, std::move(cb));
    });
  };
  auto r = once();
  if (!r.ok() && auto_secure_ && needs_security(r.error())) {
    if (auto s = secure(); !s.ok()) return fail(s.error());
    r = once();
  }
  return r;
}

Result<void, Error> Client::unsubscribe(const RemoteCharacteristic& c) {
  return run_procedure<void>(device_, handle_, [&](gatt::Client& cl, TimePoint now, auto cb) {
    cl.unsubscribe(now, c.value_handle, std::move(cb));
  });
}

namespace {
Result<void, Error> secure_link(detail::DeviceImpl* device, uint16_t handle, bool force_pairing) {
  auto done = std::make_shared<std::promise<Result<void, Error>>>();
  auto future = done->get_future();
  device->call([&] {
    auto desc = device->host().connection(handle);
    if (!desc) {
      done->set_value(fail(Error{ErrorKind::kDisconnected, "not connected"}));
      return;
    }
    auto bond = device->host().bond_for(handle);
    bool with_bond = !force_pairing && bond && bond->ltk_for(desc->role);
    device->await_security(handle, !with_bond, done);
    auto r = force_pairing ? device->host().pair(device->now(), handle)
                           : device->host().secure(device->now(), handle);
    if (!r.ok()) device->on_pairing_failed(*desc, r.error());
  });
  // SMP's own timeout is 30 s; a person typing a passkey is inside it.
  if (future.wait_for(std::chrono::seconds(45)) != std::future_status::ready)
    return fail(Error{ErrorKind::kTimeout, "securing the link did not finish"});
  return future.get();
}
}  // namespace

Result<void, Error> Client::secure() {
  return secure_link(device_, handle_, false);
}
Result<void, Error> Client::pair() {
  return secure_link(device_, handle_, true);
}

Result<void, Error> Client::disconnect() {
  auto done = std::make_shared<std::promise<void>>();
  auto future = done->get_future();
  Result<void, Error> r = device_->call([&]() -> Result<void, Error> {
    auto sent = device_->host().disconnect(device_->now(), handle_, 0x13);
    if (!sent.ok()) return sent;
    device_->await_disconnection(handle_, done);
    return {};
  });
  if (!r.ok()) return r;
  if (future.wait_for(std::chrono::seconds(10)) != std::future_status::ready)
    return fail(Error{ErrorKind::kTimeout, "disconnection did not complete"});
  return {};
}

void Client::on_disconnect(std::function<void(uint8_t)> fn) {
  device_->call([&] { device_->set_client_disconnect(handle_, std::move(fn)); });
}

}  // namespace sable
