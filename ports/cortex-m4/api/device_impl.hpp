// The public API (include/sable) on the Cortex-M4 port: one gap::Host driven
// by a single-threaded run loop. There are no threads: a public call runs on
// the caller's stack at once, and the loop (HCI input from the UART0 ring
// buffer, the host's deadlines on the SysTick clock, WFI when idle) runs while
// the program waits: inside Device::take until bring-up ends, and inside
// std::this_thread::sleep_for (see sleep.cpp). Callbacks run from the loop.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

#include "../crypto/drbg_random.hpp"
#include "../store/region_bond_store.hpp"
#include "gap/host.hpp"
#include "gatt/database.hpp"
#include "sable/device.hpp"
#include "transport/h4.hpp"

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
  SecurityConfig config() const override { return config_; }
  Security& on_passkey_display(std::function<void(const ConnDesc&, uint32_t)> fn) override;
  Security& on_passkey_request(std::function<std::optional<uint32_t>(const ConnDesc&)> fn) override;
  Security& on_numeric_comparison(std::function<bool(const ConnDesc&, uint32_t)> fn) override;
  Security& on_pairing_complete(std::function<void(const ConnDesc&)> fn) override;
  Security& on_pairing_failed(std::function<void(const ConnDesc&, const Error&)> fn) override;

  std::function<void(const SecurityConfig&)> on_change;
  std::function<void(const ConnDesc&, uint32_t)> passkey_display;
  std::function<std::optional<uint32_t>(const ConnDesc&)> passkey_request;
  std::function<bool(const ConnDesc&, uint32_t)> numeric_comparison;
  std::function<void(const ConnDesc&)> pairing_complete;
  std::function<void(const ConnDesc&, const Error&)> pairing_failed;

 private:
  Security& changed();
  SecurityConfig config_{};
};

class DeviceImpl final : public gap::HostListener, public hci::Sender {
 public:
  static Result<std::unique_ptr<DeviceImpl>, Error> create(const DeviceOptions& options);
  ~DeviceImpl();
  // The device being driven, for sleep_for (nullptr before take()).
  static DeviceImpl* instance() { return instance_; }

  // Single-threaded: the caller is on the loop already.
  template <class F>
  auto call(F&& fn) -> std::invoke_result_t<F> {
    return fn();
  }

  // Runs the loop until `deadline` or until `done` returns true.
  void run_until(TimePoint deadline, const std::function<bool()>& done = {});

  Server& server() { return server_; }
  Advertising& advertising() { return advertising_; }
  SecurityImpl& security() { return security_; }
  const std::optional<std::string>& bond_store_warning() const { return bond_warning_; }
  std::string address() const { return host_->own_address().to_string(); }
  std::optional<Error> error() const { return error_; }

  gap::Host& host() { return *host_; }
  static TimePoint now();
  Result<void, Error> start_server();
  bool server_started() const { return database_ != nullptr; }
  void push_value(Characteristic& c);
  NotifyResult notify(Characteristic& c);

  // gap::HostListener
  void on_ready() override { ready_ = true; }
  void on_fatal(const Error& error) override;
  void on_connected(const ConnDesc& desc) override;
  void on_disconnected(const ConnDesc& desc, uint8_t reason) override;
  void on_security_changed(const ConnDesc& desc) override;
  void on_passkey_display(const ConnDesc& desc, uint32_t passkey) override;
  void on_passkey_request(const ConnDesc& desc) override;
  void on_numeric_comparison(const ConnDesc& desc, uint32_t value) override;
  void on_pairing_complete(const ConnDesc& desc) override;
  void on_pairing_failed(const ConnDesc& desc, const Error& error) override;

  // hci::Sender: H4 over UART0.
  void send_hci(HciPacketType type, Bytes packet) override;

 private:
  DeviceImpl();
  Result<void, Error> gather_entropy();
  void poll_input();
  void print_memory(const char* when) const;

  static DeviceImpl* instance_;
  port::DrbgRandom random_;
  H4Deframer deframer_{H4PacketTypes::from_controller()};
  std::unique_ptr<port::RegionBondStore> bonds_;
  std::unique_ptr<gap::Host> host_;
  std::unique_ptr<gatt::Database> database_;
  DeviceOptions options_;
  Server server_{this};
  Advertising advertising_{this};
  SecurityImpl security_;
  std::optional<std::string> bond_warning_;
  std::optional<Error> error_;
  bool ready_ = false;
  bool in_loop_ = false;
};

}  // namespace sable::detail
