#include "api/linux/linux_device.hpp"

#include <cstdio>

#include "common/log.hpp"
#include "store/file_bond_store.hpp"
#include "transport/btsnoop.hpp"

namespace sable::detail {
namespace {

// Room for the notifications application threads hand over between two turns
// of the loop: 512 one-octet values, or 15 of the longest.
constexpr size_t kNotifyQueueOctets = 8192;

}  // namespace

LinuxDevice::LinuxDevice(const DeviceOptions& options, std::unique_ptr<Transport> transport)
    : DeviceImpl(options, kNotifyQueueOctets), transport_(std::move(transport)) {}

Result<std::unique_ptr<DeviceImpl>, Error> DeviceImpl::create(const DeviceOptions& options) {
  start_log(options);
  auto opened = open_transport(options.hci);
  if (!opened.ok()) return fail(Error{ErrorKind::kTransport, opened.error().message});
  std::unique_ptr<Transport> transport = std::move(opened.value());
  if (!options.btsnoop.empty()) {
    auto writer = BtsnoopWriter::open(options.btsnoop);
    if (!writer.ok()) return fail(Error{ErrorKind::kBadArgument, writer.error().message});
    transport =
        std::make_unique<CapturingTransport>(std::move(transport), std::move(writer.value()));
  }
  std::unique_ptr<LinuxDevice> d(new LinuxDevice(options, std::move(transport)));
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
  d->attach_host(d->random_);
  LinuxDevice* dev = d.get();
  d->loop_.set_wake_handler([dev] {
    dev->send_queued_notifications();
    dev->reschedule();
  });
  if (!d->loop_.watch_fd(d->transport_->fd(), [dev] { dev->on_readable(); }))
    return fail(Error{ErrorKind::kTransport, "cannot watch the controller's file descriptor"});

  auto ready = d->ready_promise_.get_future();
  d->thread_ = std::thread([dev] { dev->loop_.run(); });
  d->loop_.post([dev] {
    dev->host_->start(dev->now());
    dev->reschedule();
  });
  // Bring-up ends in on_ready or on_fatal (a silent controller times out in
  // the command channel); the wait here only guards against a stuck loop.
  if (ready.wait_for(std::chrono::seconds(30)) != std::future_status::ready)
    return fail(Error{ErrorKind::kControllerTimeout, "controller bring-up did not finish"});
  if (auto err = ready.get()) return fail(*err);
  return std::unique_ptr<DeviceImpl>(std::move(d));
}

LinuxDevice::~LinuxDevice() {
  if (thread_.joinable()) {
    loop_.stop();
    thread_.join();
  }
  std::lock_guard lock(workers_mutex_);
  for (auto& t : workers_)
    if (t.joinable()) t.join();
  // Before the random source and the transport it uses go.
  host_.reset();
}

void LinuxDevice::run_sync(FunctionRef fn) {
  if (loop_.on_loop_thread()) return fn();
  std::promise<void> done;
  auto finished = done.get_future();
  loop_.post([&] {
    fn();
    reschedule();
    done.set_value();
  });
  finished.get();
}

void LinuxDevice::post(std::function<void()> fn) {
  loop_.post([this, fn = std::move(fn)] {
    fn();
    reschedule();
  });
}

void LinuxDevice::run_prompt(const PairingPrompt& prompt) {
  std::lock_guard lock(workers_mutex_);
  workers_.emplace_back([this, prompt] { answer_prompt(prompt); });
}

void LinuxDevice::on_readable() {
  if (!transport_) return;
  auto r = transport_->receive(
      [this](HciPacketType type, Bytes packet) { host_->on_hci_packet(now(), type, packet); });
  if (!r.ok()) {
    loop_.unwatch_fd(transport_->fd());
    host_->on_controller_lost(now(), "controller lost: " + r.error().message);
  }
  if (!host_) return;
  // Completed packets give ACL buffers back: send what waits for them.
  send_queued_notifications();
  reschedule();
}

// The controller is gone: the links are gone with it. With `reconnect`, tell
// the application its links ended and look for the controller again.
bool LinuxDevice::lose_controller(const Error& error) {
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
    reset_links();
    reconnect_attempts_ = 0;
    loop_.add_timer(now() + Duration(1000), [this] { try_reconnect(); });
  });
  return true;
}

void LinuxDevice::try_reconnect() {
  auto opened = open_transport(options_.hci);
  if (!opened.ok()) {
    if (++reconnect_attempts_ % 30 == 0)
      std::fprintf(stderr, "sable: still no controller: %s\n", opened.error().message.c_str());
    loop_.add_timer(now() + Duration(1000), [this] { try_reconnect(); });
    return;
  }
  transport_ = std::move(opened.value());
  attach_host(random_);
  if (!loop_.watch_fd(transport_->fd(), [this] { on_readable(); })) {
    transport_.reset();
    loop_.add_timer(now() + Duration(1000), [this] { try_reconnect(); });
    return;
  }
  host_->start(now());
  reschedule();
}

void LinuxDevice::send_hci(HciPacketType type, Bytes packet) {
  if (error() || !transport_) return;
  auto r = transport_->send(type, packet);
  if (!r.ok()) {
    // Report after the current step; the host is mid-call.
    ErrorMessage message = "controller lost: " + r.error().message;
    loop_.post([this, message] {
      if (host_) host_->on_controller_lost(now(), message);
    });
  }
}

void LinuxDevice::reschedule() {
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

void LinuxDevice::on_ready() {
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

void LinuxDevice::on_fatal(const Error& error) {
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

void LinuxDevice::on_connected(const ConnDesc& desc) {
  if (desc.role == Role::kCentral && connect_wait_ &&
      connect_wait_->peer.bytes == desc.address.bytes) {
    auto done = connect_wait_->done;
    connect_wait_.reset();
    done->set_value(desc);
  }
  DeviceImpl::on_connected(desc);
}

void LinuxDevice::on_connect_failed(const Address& peer, const Error& error) {
  if (connect_wait_ && connect_wait_->peer == peer) {
    auto done = connect_wait_->done;
    connect_wait_.reset();
    done->set_value(fail(error));
  }
}

void LinuxDevice::on_disconnected(const ConnDesc& desc, uint8_t reason) {
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
  DeviceImpl::on_disconnected(desc, reason);
}

void LinuxDevice::on_security_changed(const ConnDesc& desc) {
  if (auto it = security_waits_.find(desc.handle);
      it != security_waits_.end() && !it->second.pairing && desc.encrypted) {
    auto done = it->second.done;
    security_waits_.erase(it);
    done->set_value(Result<void, Error>{});
  }
  DeviceImpl::on_security_changed(desc);
}

void LinuxDevice::on_pairing_complete(const ConnDesc& desc) {
  if (auto it = security_waits_.find(desc.handle); it != security_waits_.end()) {
    auto done = it->second.done;
    security_waits_.erase(it);
    done->set_value(Result<void, Error>{});
  }
  DeviceImpl::on_pairing_complete(desc);
}

void LinuxDevice::on_pairing_failed(const ConnDesc& desc, const Error& error) {
  if (auto it = security_waits_.find(desc.handle); it != security_waits_.end()) {
    auto done = it->second.done;
    security_waits_.erase(it);
    done->set_value(fail(error));
  }
  DeviceImpl::on_pairing_failed(desc, error);
}

void LinuxDevice::await_security(uint16_t handle, bool pairing, Completion done) {
  if (auto it = security_waits_.find(handle); it != security_waits_.end()) {
    done->set_value(
        fail(Error{ErrorKind::kInvalidState, "securing this link is already in progress"}));
    return;
  }
  security_waits_[handle] = SecurityWait{pairing, std::move(done)};
}

void LinuxDevice::await_disconnection(uint16_t handle, std::shared_ptr<std::promise<void>> done) {
  if (!host_->connection(handle)) {
    done->set_value();
    return;
  }
  disconnect_waits_[handle].push_back(std::move(done));
}

void LinuxDevice::set_client_disconnect(uint16_t handle, std::function<void(uint8_t)> fn) {
  client_disconnect_[handle] = std::move(fn);
}

}  // namespace sable::detail
