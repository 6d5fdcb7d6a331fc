#include "api/device_impl.hpp"
#include "api/server_database.hpp"

#include <cstdio>

#include "common/log.hpp"
#include "transport/btsnoop.hpp"

namespace sable::detail {
namespace {

void stderr_log_sink(LogLevel level, const char* message) {
  static const char* const kNames[] = {"error", "warning", "info", "debug", "trace"};
  std::fprintf(stderr, "sable %s: %s\n", kNames[int(level)], message);
}

}  // namespace

// ---- SecurityImpl ----

Security& SecurityImpl::set_auth(AuthReq auth) {
  {
    std::lock_guard lock(mutex_);
    config_.auth = auth;
  }
  changed();
  return *this;
}
Security& SecurityImpl::set_passkey(uint32_t passkey) {
  {
    std::lock_guard lock(mutex_);
    config_.static_passkey = passkey % 1000000;
  }
  changed();
  return *this;
}
Security& SecurityImpl::set_random_passkey() {
  {
    std::lock_guard lock(mutex_);
    config_.static_passkey.reset();
  }
  changed();
  return *this;
}
Security& SecurityImpl::set_io_cap(IoCap io_cap) {
  {
    std::lock_guard lock(mutex_);
    config_.io_cap = io_cap;
  }
  changed();
  return *this;
}
Security& SecurityImpl::resolve_rpa() {
  {
    std::lock_guard lock(mutex_);
    config_.resolvable_private_address = true;
  }
  changed();
  return *this;
}
Security& SecurityImpl::set_min_key_size(uint8_t octets) {
  {
    std::lock_guard lock(mutex_);
    config_.min_key_size = octets < 7 ? 7 : octets > 16 ? 16 : octets;
  }
  changed();
  return *this;
}
Security& SecurityImpl::allow_legacy_pairing(bool allow) {
  {
    std::lock_guard lock(mutex_);
    config_.secure_connections_only = !allow;
  }
  changed();
  return *this;
}
Security& SecurityImpl::allow_debug_keys(bool allow) {
  {
    std::lock_guard lock(mutex_);
    config_.allow_debug_keys = allow;
  }
  changed();
  return *this;
}
SecurityConfig SecurityImpl::config() const {
  std::lock_guard lock(mutex_);
  return config_;
}
Security& SecurityImpl::on_passkey_display(std::function<void(const ConnDesc&, uint32_t)> fn) {
  std::lock_guard lock(mutex_);
  passkey_display = std::move(fn);
  return *this;
}
Security& SecurityImpl::on_passkey_request(
    std::function<std::optional<uint32_t>(const ConnDesc&)> fn) {
  std::lock_guard lock(mutex_);
  passkey_request = std::move(fn);
  return *this;
}
Security& SecurityImpl::on_numeric_comparison(std::function<bool(const ConnDesc&, uint32_t)> fn) {
  std::lock_guard lock(mutex_);
  numeric_comparison = std::move(fn);
  return *this;
}
Security& SecurityImpl::on_pairing_complete(std::function<void(const ConnDesc&)> fn) {
  std::lock_guard lock(mutex_);
  pairing_complete = std::move(fn);
  return *this;
}
Security& SecurityImpl::on_pairing_failed(std::function<void(const ConnDesc&, const Error&)> fn) {
  std::lock_guard lock(mutex_);
  pairing_failed = std::move(fn);
  return *this;
}

void SecurityImpl::changed() {
  if (on_change) on_change(config());
}

// ---- DeviceImpl ----

DeviceImpl::DeviceImpl(std::unique_ptr<Transport> transport) : transport_(std::move(transport)) {}

Result<std::unique_ptr<DeviceImpl>, Error> DeviceImpl::create(const DeviceOptions& options) {
  set_log_sink(stderr_log_sink);
  set_log_level(options.verbosity < 0    ? LogLevel::kError
                : options.verbosity == 0 ? LogLevel::kWarn
                : options.verbosity == 1 ? LogLevel::kInfo
                : options.verbosity == 2 ? LogLevel::kDebug
                                         : LogLevel::kTrace);
  auto opened = open_transport(options.hci);
  if (!opened.ok()) return fail(Error{ErrorKind::kTransport, opened.error().message});
  std::unique_ptr<Transport> transport = std::move(opened.value());
  if (!options.btsnoop.empty()) {
    auto writer = BtsnoopWriter::open(options.btsnoop);
    if (!writer.ok()) return fail(Error{ErrorKind::kBadArgument, writer.error().message});
    transport =
        std::make_unique<CapturingTransport>(std::move(transport), std::move(writer.value()));
  }
  std::unique_ptr<DeviceImpl> d(new DeviceImpl(std::move(transport)));
  d->options_ = options;
  if (!options.bond_store.empty()) {
    auto opened_store = store::FileBondStore::open(options.bond_store);
    if (!opened_store.ok())
      return fail(Error{ErrorKind::kBadArgument, "bond store " + options.bond_store + ": " +
                                                     opened_store.error().to_string()});
    if (const auto& rec = opened_store.value()->recovery()) d->bond_warning_ = rec->to_string();
    d->bonds_ = std::move(opened_store.value());
  } else {
    d->bonds_ = std::make_unique<store::MemoryBondStore>();
  }
  d->attach_host();
  d->security_.on_change = [dev = d.get()](const SecurityConfig& c) {
    dev->call([dev, c] { dev->host().set_security_config(c); });
  };
  if (!d->loop_.watch_fd(d->transport_->fd(), [dev = d.get()] { dev->on_readable(); }))
    return fail(Error{ErrorKind::kTransport, "cannot watch the controller's file descriptor"});

  auto ready = d->ready_promise_.get_future();
  d->thread_ = std::thread([dev = d.get()] { dev->loop_.run(); });
  d->loop_.post([dev = d.get()] {
    dev->host_->start(dev->now());
    dev->reschedule();
  });
  // Bring-up ends in on_ready or on_fatal (a silent controller times out in
  // the command channel); the wait here only guards against a stuck loop.
  if (ready.wait_for(std::chrono::seconds(30)) != std::future_status::ready)
    return fail(Error{ErrorKind::kControllerTimeout, "controller bring-up did not finish"});
  if (auto err = ready.get()) return fail(*err);
  return d;
}

DeviceImpl::~DeviceImpl() {
  if (thread_.joinable()) {
    loop_.stop();
    thread_.join();
  }
  std::lock_guard lock(workers_mutex_);
  for (auto& t : workers_)
    if (t.joinable()) t.join();
}

void DeviceImpl::run_off_loop(std::function<void()> work) {
  std::lock_guard lock(workers_mutex_);
  workers_.emplace_back(std::move(work));
}

// A fresh host for the current transport, with what the application set up.
void DeviceImpl::attach_host() {
  gap::HostConfig config;
  config.security = security_.config();
  host_ = std::make_unique<gap::Host>(config, *this, *this, random_);
  host_->set_bond_store(bonds_.get());
  if (database_) host_->set_database(database_.get());
}

void DeviceImpl::on_readable() {
  if (!transport_) return;
  auto r = transport_->receive(
      [this](HciPacketType type, Bytes packet) { host_->on_hci_packet(now(), type, packet); });
  if (!r.ok()) {
    loop_.unwatch_fd(transport_->fd());
    host_->on_controller_lost(now(), "controller lost: " + r.error().message);
  }
  if (host_) reschedule();
}

// The controller is gone: the links are gone with it. With `reconnect`, tell
// the application its links ended and look for the controller again.
bool DeviceImpl::lose_controller(const Error& error) {
  if (!options_.reconnect || !ready_reported_) return false;
  if (error.kind != ErrorKind::kTransport && error.kind != ErrorKind::kControllerTimeout &&
      error.kind != ErrorKind::kController)
    return false;
  std::fprintf(stderr, "sable: %s; reconnecting to %s every second\n", error.message.c_str(),
               options_.hci.c_str());
  // Tear down after the current step: the host may be the caller.
  loop_.post([this] {
    if (!host_ || reconnecting_) return;
    reconnecting_ = true;
    if (timer_ != 0) loop_.cancel_timer(timer_);
    timer_ = 0;
    timer_at_ = kNever;
    if (transport_) loop_.unwatch_fd(transport_->fd());
    transport_.reset();
    // The failed host stays until a new controller answers: it refuses work
    // and reports no links.
    reconnect_attempts_ = 0;
    loop_.add_timer(now() + Duration(1000), [this] { try_reconnect(); });
  });
  return true;
}

void DeviceImpl::try_reconnect() {
  auto opened = open_transport(options_.hci);
  if (!opened.ok()) {
    if (++reconnect_attempts_ % 30 == 0)
      std::fprintf(stderr, "sable: still no controller: %s\n", opened.error().message.c_str());
    loop_.add_timer(now() + Duration(1000), [this] { try_reconnect(); });
    return;
  }
  transport_ = std::move(opened.value());
  attach_host();
  if (!loop_.watch_fd(transport_->fd(), [this] { on_readable(); })) {
    transport_.reset();
    loop_.add_timer(now() + Duration(1000), [this] { try_reconnect(); });
    return;
  }
  host_->start(now());
  reschedule();
}

void DeviceImpl::send_hci(HciPacketType type, Bytes packet) {
  if (error() || !transport_) return;
  auto r = transport_->send(type, packet);
  if (!r.ok()) {
    // Report after the current step; the host is mid-call.
    std::string message = "controller lost: " + r.error().message;
    loop_.post([this, message] {
      if (host_) host_->on_controller_lost(now(), message);
    });
  }
}

void DeviceImpl::reschedule() {
  if (!host_) return;
  TimePoint next = host_->next_deadline();
  if (next == timer_at_) return;
  if (timer_ != 0) loop_.cancel_timer(timer_);
  timer_ = 0;
  timer_at_ = next;
  if (next == kNever) return;
  timer_ = loop_.add_timer(next, [this] {
    timer_ = 0;
    timer_at_ = kNever;
    host_->on_timeout(now());
    reschedule();
  });
}

void DeviceImpl::set_error(Error e) {
  std::lock_guard lock(mutex_);
  if (!error_) error_ = std::move(e);
}

std::optional<Error> DeviceImpl::error() const {
  std::lock_guard lock(mutex_);
  return error_;
}

void DeviceImpl::on_ready() {
  if (!ready_reported_) {
    ready_reported_ = true;
    ready_promise_.set_value(std::nullopt);
  }
  if (reconnecting_) {
    reconnecting_ = false;
    std::fprintf(stderr, "sable: controller %s is back\n",
                 host_->controller().bd_addr.to_string().c_str());
    if (advertising_data_) (void)host_->set_advertising_data(now(), *advertising_data_);
    if (advertising_wanted_) (void)host_->start_advertising(now());
  }
}

void DeviceImpl::on_fatal(const Error& error) {
  if (reconnecting_) {
    // Bring-up on the new controller failed: keep looking.
    loop_.post([this] {
      if (transport_) loop_.unwatch_fd(transport_->fd());
      transport_.reset();
      loop_.add_timer(now() + Duration(1000), [this] { try_reconnect(); });
    });
    return;
  }
  if (lose_controller(error)) return;
  set_error(error);
  if (!ready_reported_) {
    ready_reported_ = true;
    ready_promise_.set_value(error);
  }
}

std::string DeviceImpl::address() const {
  return const_cast<DeviceImpl*>(this)->call([this] { return host_->own_address().to_string(); });
}

Result<void, Error> DeviceImpl::start_server() {
  if (database_) return {};
  auto built =
      ServerDatabase::build(server_, host_->security_config(), options_.name, options_.appearance);
  if (!built.ok()) return fail(built.error());
  database_ = std::move(built.value());
  host_->set_database(database_.get());
  return {};
}

void DeviceImpl::push_value(Characteristic& c) {
  if (!database_ || c.value_handle_ == 0) return;
  std::vector<uint8_t> v = c.value();
  (void)database_->set_value(c.value_handle_, v);
}

Result<void, Error> DeviceImpl::set_advertising_data(const AdvertisementData& data) {
  if (!host_) {
    advertising_data_ = data;
    return {};
  }
  auto r = host_->set_advertising_data(now(), data);
  if (r.ok()) advertising_data_ = data;
  return r;
}

Result<void, Error> DeviceImpl::start_advertising() {
  if (auto r = start_server(); !r.ok()) return r;
  advertising_wanted_ = true;
  if (!host_) return {};
  return host_->start_advertising(now());
}

Result<void, Error> DeviceImpl::stop_advertising() {
  advertising_wanted_ = false;
  if (!host_) return {};
  return host_->stop_advertising(now());
}

NotifyResult DeviceImpl::notify(Characteristic& c) {
  if (!host_) return NotifyResult{0, NotifyStatus::kNotConnected};
  if (!database_ || c.value_handle_ == 0) return NotifyResult{0, NotifyStatus::kNotStarted};
  if (!c.properties().has(Property::Notify) && !c.properties().has(Property::Indicate))
    return NotifyResult{0, NotifyStatus::kNoCccd};
  std::vector<uint8_t> v = c.value();
  return host_->notify(now(), c.value_handle_, v);
}

void DeviceImpl::on_connected(const ConnDesc& desc) {
  if (desc.role == Role::kCentral) {
    if (connect_wait_ && connect_wait_->peer.bytes == desc.address.bytes) {
      auto done = connect_wait_->done;
      connect_wait_.reset();
      done->set_value(desc);
    }
    return;
  }
  if (server_.on_connect_) server_.on_connect_(server_, desc);
}

void DeviceImpl::on_connect_failed(const Address& peer, const Error& error) {
  if (connect_wait_ && connect_wait_->peer == peer) {
    auto done = connect_wait_->done;
    connect_wait_.reset();
    done->set_value(fail(error));
  }
}

void DeviceImpl::on_disconnected(const ConnDesc& desc, uint8_t reason) {
  if (auto it = security_waits_.find(desc.handle); it != security_waits_.end()) {
    auto done = it->second.done;
    security_waits_.erase(it);
    done->set_value(fail(Error{ErrorKind::kDisconnected, "the link went down", reason}));
  }
  if (auto it = disconnect_waits_.find(desc.handle); it != disconnect_waits_.end()) {
    auto waits = std::move(it->second);
    disconnect_waits_.erase(it);
    for (auto& w : waits) w->set_value();
  }
  if (auto it = client_disconnect_.find(desc.handle); it != client_disconnect_.end()) {
    auto fn = std::move(it->second);
    client_disconnect_.erase(it);
    if (fn) fn(reason);
  }
  if (desc.role == Role::kPeripheral && server_.on_disconnect_)
    server_.on_disconnect_(desc, reason);
}

void DeviceImpl::on_security_changed(const ConnDesc& desc) {
  if (auto it = security_waits_.find(desc.handle);
      it != security_waits_.end() && !it->second.pairing && desc.encrypted) {
    auto done = it->second.done;
    security_waits_.erase(it);
    done->set_value(Result<void, Error>{});
  }
  if (desc.role == Role::kPeripheral && server_.on_security_changed_)
    server_.on_security_changed_(desc);
}

void DeviceImpl::on_pairing_complete(const ConnDesc& desc) {
  if (auto it = security_waits_.find(desc.handle); it != security_waits_.end()) {
    auto done = it->second.done;
    security_waits_.erase(it);
    done->set_value(Result<void, Error>{});
  }
  if (security_.pairing_complete) security_.pairing_complete(desc);
}

void DeviceImpl::on_pairing_failed(const ConnDesc& desc, const Error& error) {
  if (auto it = security_waits_.find(desc.handle); it != security_waits_.end()) {
    auto done = it->second.done;
    security_waits_.erase(it);
    done->set_value(fail(error));
  }
  if (security_.pairing_failed) security_.pairing_failed(desc, error);
}

void DeviceImpl::on_passkey_display(const ConnDesc& desc, uint32_t passkey) {
  if (!security_.passkey_display) return;
  auto fn = security_.passkey_display;
  run_off_loop([fn, desc, passkey] { fn(desc, passkey); });
}

void DeviceImpl::on_passkey_request(const ConnDesc& desc) {
  auto fn = security_.passkey_request;
  if (!fn) {
    // Nobody can type a passkey: refuse (Passkey Entry Failed).
    (void)host_->passkey_reply(now(), desc.handle, std::nullopt);
    return;
  }
  run_off_loop([this, fn, desc] {
    std::optional<uint32_t> value = fn(desc);
    loop_.post([this, desc, value] {
      (void)host_->passkey_reply(now(), desc.handle, value);
      reschedule();
    });
  });
}

void DeviceImpl::on_numeric_comparison(const ConnDesc& desc, uint32_t value) {
  auto fn = security_.numeric_comparison;
  if (!fn) {
    (void)host_->numeric_comparison_reply(now(), desc.handle, false);
    return;
  }
  run_off_loop([this, fn, desc, value] {
    bool accept = fn(desc, value);
    loop_.post([this, desc, accept] {
      (void)host_->numeric_comparison_reply(now(), desc.handle, accept);
      reschedule();
    });
  });
}

void DeviceImpl::await_security(uint16_t handle, bool pairing, Completion done) {
  if (auto it = security_waits_.find(handle); it != security_waits_.end()) {
    done->set_value(
        fail(Error{ErrorKind::kInvalidState, "securing this link is already in progress"}));
    return;
  }
  security_waits_[handle] = SecurityWait{pairing, std::move(done)};
}

void DeviceImpl::await_disconnection(uint16_t handle, std::shared_ptr<std::promise<void>> done) {
  if (!host_->connection(handle)) {
    done->set_value();
    return;
  }
  disconnect_waits_[handle].push_back(std::move(done));
}

void DeviceImpl::set_client_disconnect(uint16_t handle, std::function<void(uint8_t)> fn) {
  client_disconnect_[handle] = std::move(fn);
}

Result<std::unique_ptr<Client>, Error> DeviceImpl::connect(const Address& peer,
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
  auto client = std::make_unique<Client>(this, handle);
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
                        "bonded peer " + peer.to_string() +
                            " did not encrypt with the bond's key (" + s.error().message +
                            "); not using the link. Delete the bond to pair again.",
                        s.error().code});
    }
  }
  return client;
}

Result<void, Error> DeviceImpl::start_scan(const ScanOptions& o,
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

Result<void, Error> DeviceImpl::stop_scan() {
  scan_callback_ = nullptr;
  return host_->stop_scan(now());
}

void DeviceImpl::on_scan_report(const gap::ScanReport& report) {
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
