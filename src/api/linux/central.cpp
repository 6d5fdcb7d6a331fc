// The central role on Linux: Device::connect, Scanner and Client. Each call
// starts a procedure on the loop thread and waits for its completion.
#include <future>

#include "api/linux/linux_device.hpp"

namespace sable::detail {

Result<std::unique_ptr<Client>, Error> LinuxDevice::connect(const Address& peer,
                                                            const ConnectOptions& o) {
  auto done = std::make_shared<std::promise<Result<ConnDesc, Error>>>();
  auto future = done->get_future();
  Result<void, Error> started = call([&]() -> Result<void, Error> {
    if (connect_wait_)
      return fail(Error{ErrorKind::kInvalidState, "another connection attempt is in progress"});
    gap::ConnectConfig cfg;
    cfg.parameters = {o.min_interval, o.max_interval, o.latency, o.supervision_timeout};
    cfg.timeout = std::chrono::duration_cast<Duration>(o.timeout);
    auto r = host_->connect(now(), peer, cfg);
    if (!r.ok()) return r;
    connect_wait_ = ConnectWait{peer, done};
    return {};
  });
  if (!started.ok()) return fail(started.error());
  if (future.wait_for(o.timeout + std::chrono::seconds(5)) != std::future_status::ready)
    return fail(Error{ErrorKind::kTimeout, "connection attempt did not finish"});
  auto r = future.get();
  if (!r.ok()) return fail(r.error());
  uint16_t handle = r.value().handle;
  auto client = std::make_unique<Client>(this, handle, r.value().generation);
  // A bonded peer is trusted only over a link encrypted with the bond's key
  // (BLESA): encrypt before handing the link out, and never fall back.
  bool bonded = call([&] {
    auto b = host_->bond_for(handle);
    return b && b->ltk_for(Role::kCentral) != nullptr;
  });
  if (bonded) {
    if (auto s = client->secure(); !s.ok()) {
      (void)client->disconnect();
      return fail(Error{ErrorKind::kPairingFailed,
                        ErrorMessage::format("bonded peer %s: %s; delete the bond to pair again",
                                             peer.to_string().c_str(), s.error().message.c_str()),
                        s.error().code, s.error().origin});
    }
  }
  return client;
}

Result<void, Error> LinuxDevice::start_scan(const ScanOptions& o,
                                            std::function<void(const ScanResult&)> fn) {
  gap::ScanConfig cfg;
  cfg.active = o.active;
  cfg.filter_duplicates = o.filter_duplicates;
  auto r = host_->start_scan(now(), cfg);
  if (!r.ok()) return r;
  scan_callback_ = std::move(fn);
  scan_filter_ = o.filter;
  return {};
}

Result<void, Error> LinuxDevice::stop_scan() {
  scan_callback_ = nullptr;
  return host_->stop_scan(now());
}

void LinuxDevice::on_scan_report(const gap::ScanReport& report) {
  if (!scan_callback_) return;
  ScanResult r;
  r.address = report.address;
  r.identity = report.identity;
  r.rssi = report.rssi;
  r.name = report.data.name;
  r.services = report.data.service_uuids;
  r.connectable = report.connectable;
  r.appearance = report.data.appearance;
  r.manufacturer_data = report.data.manufacturer_data;
  if (!scan_filter_.matches(r)) return;
  auto fn = scan_callback_;  // the callback may stop the scan
  fn(r);
}

}  // namespace sable::detail

namespace sable {

using detail::linux_device;

Result<std::unique_ptr<Client>, Error> Device::connect(const Address& peer,
                                                       const ConnectOptions& options) {
  return linux_device(impl_.get()).connect(peer, options);
}

Result<void, Error> Scanner::start(const ScanOptions& options,
                                   std::function<void(const ScanResult&)> on_result) {
  return device_->call(
      [&] { return linux_device(device_).start_scan(options, std::move(on_result)); });
}

Result<void, Error> Scanner::stop() {
  return device_->call([&] { return linux_device(device_).stop_scan(); });
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
  switch (e.kind) {
    case K::kAtt:
      return Error{
          ErrorKind::kAtt,
          ErrorMessage::format("ATT error: %s (0x%02x) on handle 0x%04x",
                               att::to_string(e.att_error), unsigned(e.att_error), e.handle),
          uint8_t(e.att_error)};
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
Result<T, Error> run_procedure(detail::DeviceImpl* device, uint16_t handle, uint32_t generation,
                               Start start) {
  auto done = std::make_shared<std::promise<Result<T, Error>>>();
  auto future = done->get_future();
  device->call([&] {
    gatt::Client* client = device->host().is_current(handle, generation)
                               ? device->host().gatt_client(handle)
                               : nullptr;
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
  using att::AttErrorCode;
  if (e.kind != ErrorKind::kAtt) return false;
  switch (AttErrorCode(e.code)) {
    case AttErrorCode::kInsufficientAuthentication:
    case AttErrorCode::kInsufficientEncryption:
    case AttErrorCode::kInsufficientEncryptionKeySize:
      return true;
    default:
      return false;
  }
}

}  // namespace

Client::Client(detail::DeviceImpl* device, uint16_t handle, uint32_t generation)
    : device_(device), handle_(handle), generation_(generation) {}

Client::~Client() {
  if (connected()) (void)disconnect();
}

std::optional<ConnDesc> Client::desc() const {
  return device_->call([&]() -> std::optional<ConnDesc> {
    if (!device_->host().is_current(handle_, generation_)) return std::nullopt;
    return device_->host().connection(handle_);
  });
}

bool Client::connected() const {
  return desc().has_value();
}

void Client::set_auto_secure(bool on) {
  auto_secure_ = on;
}

Result<uint16_t, Error> Client::exchange_mtu(uint16_t mtu) {
  return run_procedure<uint16_t>(
      device_, handle_, generation_,
      [mtu](gatt::Client& c, TimePoint now, auto cb) { c.exchange_mtu(now, mtu, std::move(cb)); });
}

Result<std::vector<RemoteService>, Error> Client::discover_services(std::optional<Uuid> uuid) {
  auto r = run_procedure<std::vector<gatt::ServiceInfo>>(
      device_, handle_, generation_, [uuid](gatt::Client& c, TimePoint now, auto cb) {
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
      device_, handle_, generation_, [s](gatt::Client& c, TimePoint now, auto cb) {
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
            device_, handle_, generation_, [c](gatt::Client& cl, TimePoint now, auto cb) {
              cl.discover_descriptors(now, uint16_t(c.value_handle + 1), c.end_handle,
                                      std::move(cb));
            });
        if (!descs.ok()) return fail(descs.error());
        for (const auto& d : descs.value())
          if (d.uuid == gatt::uuids::kCccd) c.cccd_handle = d.handle;
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
        device_, handle_, generation_,
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
    return run_procedure<void>(
        device_, handle_, generation_, [&](gatt::Client& c, TimePoint now, auto cb) {
          c.write(now, handle, copy,
                  with_response ? gatt::WriteMode::kRequest : gatt::WriteMode::kCommand,
                  std::move(cb));
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
    return run_procedure<void>(
        device_, handle_, generation_, [&](gatt::Client& cl, TimePoint now, auto cb) {
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
  return run_procedure<void>(device_, handle_, generation_,
                             [&](gatt::Client& cl, TimePoint now, auto cb) {
                               cl.unsubscribe(now, c.value_handle, std::move(cb));
                             });
}

namespace {
Result<void, Error> secure_link(detail::DeviceImpl* device, uint16_t handle, uint32_t generation,
                                bool force_pairing) {
  auto done = std::make_shared<std::promise<Result<void, Error>>>();
  auto future = done->get_future();
  device->call([&] {
    auto desc = device->host().connection(handle);
    if (!desc || desc->generation != generation) {
      done->set_value(fail(Error{ErrorKind::kDisconnected, "not connected"}));
      return;
    }
    auto bond = device->host().bond_for(handle);
    bool with_bond = !force_pairing && bond && bond->ltk_for(desc->role);
    linux_device(device).await_security(handle, !with_bond, done);
    auto r = force_pairing ? device->host().pair(device->now(), handle)
                           : device->host().secure(device->now(), handle);
    if (!r.ok()) {
      // Refused before anything was sent: our side's failure.
      Error e = r.error();
      e.origin = ErrorOrigin::kLocal;
      device->on_pairing_failed(*desc, e);
    }
  });
  // SMP's own timeout is 30 s; a person typing a passkey is inside it.
  if (future.wait_for(std::chrono::seconds(45)) != std::future_status::ready)
    return fail(Error{ErrorKind::kTimeout, "securing the link did not finish"});
  return future.get();
}
}  // namespace

Result<void, Error> Client::secure() {
  return secure_link(device_, handle_, generation_, false);
}
Result<void, Error> Client::pair() {
  return secure_link(device_, handle_, generation_, true);
}

Result<void, Error> Client::disconnect() {
  auto done = std::make_shared<std::promise<void>>();
  auto future = done->get_future();
  Result<void, Error> r = device_->call([&]() -> Result<void, Error> {
    if (!device_->host().is_current(handle_, generation_))
      return fail(Error{ErrorKind::kNotConnected, "this client's link has ended"});
    auto sent = device_->host().disconnect(
        device_->now(), handle_, uint8_t(hci::HciStatus::kRemoteUserTerminatedConnection));
    if (!sent.ok()) return sent;
    linux_device(device_).await_disconnection(handle_, done);
    return {};
  });
  if (!r.ok()) return r;
  if (future.wait_for(std::chrono::seconds(10)) != std::future_status::ready)
    return fail(Error{ErrorKind::kTimeout, "disconnection did not complete"});
  return {};
}

void Client::on_disconnect(std::function<void(uint8_t)> fn) {
  device_->call([&] {
    if (device_->host().is_current(handle_, generation_))
      linux_device(device_).set_client_disconnect(handle_, std::move(fn));
  });
}

}  // namespace sable
