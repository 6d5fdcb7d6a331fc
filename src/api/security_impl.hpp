// The Security settings object of the public API, shared by every platform:
// the settings (read by the host for the next pairing) and the application's
// pairing callbacks. Setters may run on any thread.
#pragma once

#include <functional>
#include <optional>

#include "api/lock.hpp"
#include "sable/security.hpp"

namespace sable::detail {

class SecurityImpl final : public Security {
 public:
  Security& set_auth(AuthReq auth) override;
  Security& set_passkey(uint32_t passkey) override;
  Security& set_random_passkey() override;
  Security& set_io_cap(IoCap io_cap) override;
  Security& resolve_rpa() override;
  Security& set_min_key_size(uint8_t octets) override;
  Security& allow_legacy_pairing(bool allow) override;
  Security& allow_debug_keys(bool allow) override;
  SecurityConfig config() const override;
  Security& on_passkey_display(std::function<void(const ConnDesc&, uint32_t)> fn) override;
  Security& on_passkey_request(std::function<std::optional<uint32_t>(const ConnDesc&)> fn) override;
  Security& on_numeric_comparison(std::function<bool(const ConnDesc&, uint32_t)> fn) override;
  Security& on_pairing_complete(std::function<void(const ConnDesc&)> fn) override;
  Security& on_pairing_failed(std::function<void(const ConnDesc&, const Error&)> fn) override;

  // Called with the new settings after each change (the owner hands them to the host).
  std::function<void(const SecurityConfig&)> on_change;

  // The callbacks, copied under the lock (the stack's thread calls the copy).
  std::function<void(const ConnDesc&, uint32_t)> passkey_display() const;
  std::function<std::optional<uint32_t>(const ConnDesc&)> passkey_request() const;
  std::function<bool(const ConnDesc&, uint32_t)> numeric_comparison() const;
  std::function<void(const ConnDesc&)> pairing_complete() const;
  std::function<void(const ConnDesc&, const Error&)> pairing_failed() const;

 private:
  template <class Change>
  Security& change(Change&& apply);
  template <class Fn>
  Security& set_callback(Fn& slot, Fn fn);

  mutable Mutex mutex_;
  SecurityConfig config_{};
  std::function<void(const ConnDesc&, uint32_t)> passkey_display_;
  std::function<std::optional<uint32_t>(const ConnDesc&)> passkey_request_;
  std::function<bool(const ConnDesc&, uint32_t)> numeric_comparison_;
  std::function<void(const ConnDesc&)> pairing_complete_;
  std::function<void(const ConnDesc&, const Error&)> pairing_failed_;
};

}  // namespace sable::detail
