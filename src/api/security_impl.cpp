#include "api/security_impl.hpp"

namespace sable::detail {

template <class Change>
Security& SecurityImpl::change(Change&& apply) {
  SecurityConfig now;
  {
    LockGuard lock(mutex_);
    apply(config_);
    now = config_;
  }
  // Outside the lock: the owner may wait for the stack's thread.
  if (on_change) on_change(now);
  return *this;
}

template <class Fn>
Security& SecurityImpl::set_callback(Fn& slot, Fn fn) {
  LockGuard lock(mutex_);
  slot = std::move(fn);
  return *this;
}

Security& SecurityImpl::set_auth(AuthReq auth) {
  return change([&](SecurityConfig& c) { c.auth = auth; });
}
Security& SecurityImpl::set_passkey(uint32_t passkey) {
  return change([&](SecurityConfig& c) { c.static_passkey = passkey % 1000000; });
}
Security& SecurityImpl::set_random_passkey() {
  return change([](SecurityConfig& c) { c.static_passkey.reset(); });
}
Security& SecurityImpl::set_io_cap(IoCap io_cap) {
  return change([&](SecurityConfig& c) { c.io_cap = io_cap; });
}
Security& SecurityImpl::resolve_rpa() {
  return change([](SecurityConfig& c) { c.resolvable_private_address = true; });
}
// Core 5.4 Vol 3 Part H 2.3.4: encryption keys are 7 to 16 octets.
Security& SecurityImpl::set_min_key_size(uint8_t octets) {
  return change([&](SecurityConfig& c) {
    c.min_key_size = octets < 7 ? 7 : octets > 16 ? 16 : octets;
  });
}
Security& SecurityImpl::allow_legacy_pairing(bool allow) {
  return change([&](SecurityConfig& c) { c.secure_connections_only = !allow; });
}
Security& SecurityImpl::allow_debug_keys(bool allow) {
  return change([&](SecurityConfig& c) { c.allow_debug_keys = allow; });
}
SecurityConfig SecurityImpl::config() const {
  LockGuard lock(mutex_);
  return config_;
}

Security& SecurityImpl::on_passkey_display(std::function<void(const ConnDesc&, uint32_t)> fn) {
  return set_callback(passkey_display_, std::move(fn));
}
Security& SecurityImpl::on_passkey_request(
    std::function<std::optional<uint32_t>(const ConnDesc&)> fn) {
  return set_callback(passkey_request_, std::move(fn));
}
Security& SecurityImpl::on_numeric_comparison(std::function<bool(const ConnDesc&, uint32_t)> fn) {
  return set_callback(numeric_comparison_, std::move(fn));
}
Security& SecurityImpl::on_pairing_complete(std::function<void(const ConnDesc&)> fn) {
  return set_callback(pairing_complete_, std::move(fn));
}
Security& SecurityImpl::on_pairing_failed(std::function<void(const ConnDesc&, const Error&)> fn) {
  return set_callback(pairing_failed_, std::move(fn));
}

std::function<void(const ConnDesc&, uint32_t)> SecurityImpl::passkey_display() const {
  LockGuard lock(mutex_);
  return passkey_display_;
}
std::function<std::optional<uint32_t>(const ConnDesc&)> SecurityImpl::passkey_request() const {
  LockGuard lock(mutex_);
  return passkey_request_;
}
std::function<bool(const ConnDesc&, uint32_t)> SecurityImpl::numeric_comparison() const {
  LockGuard lock(mutex_);
  return numeric_comparison_;
}
std::function<void(const ConnDesc&)> SecurityImpl::pairing_complete() const {
  LockGuard lock(mutex_);
  return pairing_complete_;
}
std::function<void(const ConnDesc&, const Error&)> SecurityImpl::pairing_failed() const {
  LockGuard lock(mutex_);
  return pairing_failed_;
}

}  // namespace sable::detail
