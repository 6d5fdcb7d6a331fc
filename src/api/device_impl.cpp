#include "api/device_impl.hpp"

#include <cstdio>
#include <cstring>

#include "api/server_database.hpp"
#include "common/log.hpp"

namespace sable::detail {
namespace {

void stderr_log_sink(LogLevel level, const char* message) {
  static const char* const kNames[] = {"error", "warning", "info", "debug", "trace"};
  std::fprintf(stderr, "sable %s: %s\n", kNames[int(level)], message);
}

}  // namespace

void DeviceImpl::start_log(const DeviceOptions& options) {
  set_log_sink(stderr_log_sink);
  set_log_level(options.verbosity < 0    ? LogLevel::kError
                : options.verbosity == 0 ? LogLevel::kWarn
                : options.verbosity == 1 ? LogLevel::kInfo
                : options.verbosity == 2 ? LogLevel::kDebug
                                         : LogLevel::kTrace);
}

DeviceImpl::DeviceImpl(const DeviceOptions& options, size_t notify_queue)
    : options_(options), notify_queue_(notify_queue) {
  security_.on_change = [this](const SecurityConfig& c) {
    call([&] {
      if (host_) host_->set_security_config(c);
    });
  };
}

DeviceImpl::~DeviceImpl() = default;

void DeviceImpl::attach_host(crypto::RandomSource& random) {
  gap::HostConfig config;
  config.security = security_.config();
  config.max_peripheral_connections = options_.max_connections;
  if (config.max_connections < options_.max_connections)
    config.max_connections = options_.max_connections;
  host_ = std::make_unique<gap::Host>(config, *this, *this, random);
  host_->set_bond_store(bonds_.get());
  if (database_) host_->set_database(database_.get());
}

std::string DeviceImpl::address() {
  return call([this] { return host_->own_address().to_string(); });
}

void DeviceImpl::set_error(Error e) {
  LockGuard lock(error_mutex_);
  if (!error_) error_ = std::move(e);
}

std::optional<Error> DeviceImpl::error() const {
  LockGuard lock(error_mutex_);
  return error_;
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

// ---- Notifications ----

NotifyResult DeviceImpl::notify(Characteristic& c) {
  CharacteristicState& s = *c.state_;
  if (!c.properties().has(Property::Notify) && !c.properties().has(Property::Indicate))
    return NotifyResult{0, NotifyStatus::kNoCccd};
  // Queued values go first: a direct send may not overtake them.
  const bool direct = on_stack_thread() && notify_queue_.empty();
  std::array<uint8_t, Characteristic::kMaxValueLength> value;
  size_t length = 0;
  {
    LockGuard lock(s.mutex);
    if (s.too_long) return NotifyResult{0, NotifyStatus::kValueTooLong};
    if (s.value_handle.load(std::memory_order_acquire) == 0)
      return NotifyResult{0, NotifyStatus::kNotStarted};
    if (links_.load(std::memory_order_relaxed) == 0)
      return NotifyResult{0, NotifyStatus::kNotConnected};
    if (!direct) {
      if (!notify_queue_.push(&c, Bytes(s.value.data(), s.length)))
        return NotifyResult{0, NotifyStatus::kOutOfBuffers};
    } else {
      length = s.length;
      std::memcpy(value.data(), s.value.data(), length);
    }
  }
  if (!direct) {
    if (!waiting_for_buffers_.load()) wake_stack();
    return NotifyResult{0, NotifyStatus::kQueued};
  }
  return send_now(c, Bytes(value.data(), length));
}

NotifyResult DeviceImpl::send_now(Characteristic& c, Bytes value) {
  NotifyResult r = host_ ? host_->notify(now(), c.state_->value_handle, value)
                         : NotifyResult{0, NotifyStatus::kNotConnected};
  report(c, value, r);
  return r;
}

void DeviceImpl::report(Characteristic& c, Bytes value, const NotifyResult& result) {
  CharacteristicState& s = *c.state_;
  if (result.status != NotifyStatus::kSent) {
    LockGuard lock(s.mutex);
    ++s.failures;
  }
  if (s.on_notified) s.on_notified(value, result);
}

void DeviceImpl::send_queued_notifications() {
  std::array<uint8_t, Characteristic::kMaxValueLength> value;
  waiting_for_buffers_.store(false);
  while (auto record = notify_queue_.front()) {
    Characteristic& c = *record->characteristic;
    NotifyResult r = host_ ? host_->notify(now(), c.state_->value_handle, record->value)
                           : NotifyResult{0, NotifyStatus::kNotConnected};
    // Nothing went out for want of ACL buffers (or an unconfirmed indication):
    // keep it; the next input from the controller brings buffers back.
    if (r.sent == 0 && r.status == NotifyStatus::kOutOfBuffers) {
      waiting_for_buffers_.store(true);
      return;
    }
    // Release the record before the callback, which may notify again.
    const size_t length = record->value.size();
    std::memcpy(value.data(), record->value.data(), length);
    notify_queue_.pop();
    report(c, Bytes(value.data(), length), r);
  }
}

// ---- gap::HostListener ----

void DeviceImpl::on_connected(const ConnDesc& desc) {
  links_.fetch_add(1, std::memory_order_relaxed);
  if (desc.role == Role::kPeripheral && server_.on_connect_) server_.on_connect_(server_, desc);
}

void DeviceImpl::on_disconnected(const ConnDesc& desc, uint8_t reason) {
  if (links_.load(std::memory_order_relaxed) > 0) links_.fetch_sub(1, std::memory_order_relaxed);
  // Values queued for this link are reported now, not at some later input.
  if (!notify_queue_.empty()) wake_stack();
  if (desc.role == Role::kPeripheral && server_.on_disconnect_)
    server_.on_disconnect_(desc, reason);
}

void DeviceImpl::on_security_changed(const ConnDesc& desc) {
  if (desc.role == Role::kPeripheral && server_.on_security_changed_)
    server_.on_security_changed_(desc);
}

void DeviceImpl::on_pairing_complete(const ConnDesc& desc) {
  if (auto fn = security_.pairing_complete()) fn(desc);
}

void DeviceImpl::on_pairing_failed(const ConnDesc& desc, const Error& error) {
  if (auto fn = security_.pairing_failed()) fn(desc, error);
}

void DeviceImpl::on_passkey_display(const ConnDesc& desc, uint32_t passkey) {
  if (security_.passkey_display())
    run_prompt({PairingPrompt::Kind::kPasskeyDisplay, desc, passkey});
}

void DeviceImpl::on_passkey_request(const ConnDesc& desc) {
  if (!security_.passkey_request()) {
    // Nobody can type a passkey: refuse (Passkey Entry Failed).
    (void)host_->passkey_reply(now(), desc.handle, std::nullopt);
    return;
  }
  run_prompt({PairingPrompt::Kind::kPasskeyRequest, desc, 0});
}

void DeviceImpl::on_numeric_comparison(const ConnDesc& desc, uint32_t value) {
  if (!security_.numeric_comparison()) {
    (void)host_->numeric_comparison_reply(now(), desc.handle, false);
    return;
  }
  run_prompt({PairingPrompt::Kind::kNumericComparison, desc, value});
}

void DeviceImpl::answer_prompt(const PairingPrompt& prompt) {
  // The replies capture only the handle and the answer: small enough for
  // std::function's inline storage on a 32-bit port.
  const uint16_t handle = prompt.desc.handle;
  switch (prompt.kind) {
    case PairingPrompt::Kind::kPasskeyDisplay:
      if (auto fn = security_.passkey_display()) fn(prompt.desc, prompt.value);
      return;
    case PairingPrompt::Kind::kPasskeyRequest: {
      auto fn = security_.passkey_request();
      std::optional<uint32_t> value = fn ? fn(prompt.desc) : std::nullopt;
      post([this, handle, value] { (void)host_->passkey_reply(now(), handle, value); });
      return;
    }
    case PairingPrompt::Kind::kNumericComparison: {
      auto fn = security_.numeric_comparison();
      bool accept = fn && fn(prompt.desc, prompt.value);
      post(
          [this, handle, accept] { (void)host_->numeric_comparison_reply(now(), handle, accept); });
      return;
    }
  }
}

}  // namespace sable::detail
