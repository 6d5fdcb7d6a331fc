// The Linux implementation behind include/sable: a gap::Host on a RunLoop
// thread, fed by a Transport. Public API calls from other threads are carried
// to the loop thread and waited for; callbacks run on the loop thread.
#pragma once

#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>

#include <map>
#include <vector>
#include "gap/host.hpp"
#include "gatt/database.hpp"
#include "platform/os_random.hpp"
#include "platform/run_loop.hpp"
#include "sable/device.hpp"
#include "store/file_bond_store.hpp"
#include "transport/transport.hpp"

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

  std::function<void(const SecurityConfig&)> on_change;
  // Read on the loop thread (set once, before pairing, by the application).
  std::function<void(const ConnDesc&, uint32_t)> passkey_display;
  std::function<std::optional<uint32_t>(const ConnDesc&)> passkey_request;
  std::function<bool(const ConnDesc&, uint32_t)> numeric_comparison;
  std::function<void(const ConnDesc&)> pairing_complete;
  std::function<void(const ConnDesc&, const Error&)> pairing_failed;

 private:
  void changed();
  mutable std::mutex mutex_;
  SecurityConfig config_{};
};

class DeviceImpl final : public gap::HostListener, public hci::Sender {
 public:
  static Result<std::unique_ptr<DeviceImpl>, Error> create(const DeviceOptions& options);
  ~DeviceImpl();

  // Runs fn on the loop thread and returns its result.
  template <class F>
  auto call(F&& fn) -> std::invoke_result_t<F> {
    using R = std::invoke_result_t<F>;
    if (loop_.on_loop_thread()) return fn();
    std::promise<R> promise;
    auto future = promise.get_future();
    loop_.post([&] {
      if constexpr (std::is_void_v<R>) {
        fn();
        promise.set_value();
      } else {
        promise.set_value(fn());
      }
      reschedule();
    });
    return future.get();
  }

  Server& server() { return server_; }
  Advertising& advertising() { return advertising_; }
  Scanner& scanner() { return scanner_; }
  store::BondStore* bond_store() { return bonds_.get(); }
  const std::optional<std::string>& bond_store_warning() const { return bond_warning_; }

  // Central role (loop thread unless noted).
  Result<std::unique_ptr<Client>, Error> connect(const Address& peer,
                                                 const ConnectOptions& o);  // any thread
  Result<void, Error> start_scan(const ScanOptions& o, std::function<void(const ScanResult&)> fn);
  Result<void, Error> stop_scan();
  // Security of a link: resolves when encrypted with the bond or paired.
  using Completion = std::shared_ptr<std::promise<Result<void, Error>>>;
  void await_security(uint16_t handle, bool pairing, Completion done);
  void await_disconnection(uint16_t handle, std::shared_ptr<std::promise<void>> done);
  void set_client_disconnect(uint16_t handle, std::function<void(uint8_t)> fn);
  // Runs a blocking user callback off the loop thread, then `then` on the loop.
  void run_off_loop(std::function<void()> work);
  SecurityImpl& security() { return security_; }
  std::string address() const;
  std::optional<Error> error() const;

  // Loop thread only.
  gap::Host& host() { return *host_; }
  TimePoint now() const { return platform::RunLoop::now(); }
  Result<void, Error> start_server();  // builds the GATT database once
  bool server_started() const { return database_ != nullptr; }
  void push_value(Characteristic& c);
  NotifyResult notify(Characteristic& c);
  // Advertising as the application asked for it (replayed after a reconnection).
  Result<void, Error> set_advertising_data(const AdvertisementData& data);
  Result<void, Error> start_advertising();
  Result<void, Error> stop_advertising();
  void reschedule();

  // gap::HostListener
  void on_ready() override;
  void on_fatal(const Error& error) override;
  void on_connected(const ConnDesc& desc) override;
  void on_disconnected(const ConnDesc& desc, uint8_t reason) override;
  void on_security_changed(const ConnDesc& desc) override;
  void on_scan_report(const gap::ScanReport& report) override;
  void on_connect_failed(const Address& peer, const Error& error) override;
  void on_passkey_display(const ConnDesc& desc, uint32_t passkey) override;
  void on_passkey_request(const ConnDesc& desc) override;
  void on_numeric_comparison(const ConnDesc& desc, uint32_t value) override;
  void on_pairing_complete(const ConnDesc& desc) override;
  void on_pairing_failed(const ConnDesc& desc, const Error& error) override;

  // hci::Sender: packets from the host to the controller.
  void send_hci(HciPacketType type, Bytes packet) override;

 private:
  explicit DeviceImpl(std::unique_ptr<Transport> transport);
  void on_readable();
  void set_error(Error e);
  bool lose_controller(const Error& error);  // true when a reconnection is scheduled
  void try_reconnect();
  void attach_host();

  platform::RunLoop loop_;
  platform::OsRandom random_;
  std::unique_ptr<Transport> transport_;
  std::unique_ptr<gap::Host> host_;
  std::unique_ptr<gatt::Database> database_;
  platform::RunLoop::TimerId timer_ = 0;
  TimePoint timer_at_ = kNever;
  std::thread thread_;
  DeviceOptions options_;

  Server server_{this};
  Advertising advertising_{this};
  Scanner scanner_{this};
  SecurityImpl security_;
  std::unique_ptr<store::BondStore> bonds_;
  std::optional<std::string> bond_warning_;

  // Central role waits (loop thread).
  struct ConnectWait {
    Address peer;
    std::shared_ptr<std::promise<Result<ConnDesc, Error>>> done;
  };
  std::optional<ConnectWait> connect_wait_;
  struct SecurityWait {
    bool pairing;  // wait for pairing complete (else for encryption)
    Completion done;
  };
  std::map<uint16_t, SecurityWait> security_waits_;
  std::map<uint16_t, std::vector<std::shared_ptr<std::promise<void>>>> disconnect_waits_;
  std::map<uint16_t, std::function<void(uint8_t)>> client_disconnect_;
  std::function<void(const ScanResult&)> scan_callback_;
  ScanFilter scan_filter_;
  std::mutex workers_mutex_;
  std::vector<std::thread> workers_;

  mutable std::mutex mutex_;
  std::optional<Error> error_;
  std::optional<AdvertisementData> advertising_data_;
  bool advertising_wanted_ = false;
  bool reconnecting_ = false;
  unsigned reconnect_attempts_ = 0;
  std::promise<std::optional<Error>> ready_promise_;
  bool ready_reported_ = false;
};

}  // namespace sable::detail
