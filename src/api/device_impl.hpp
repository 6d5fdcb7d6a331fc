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

#include "gap/host.hpp"
#include "gatt/database.hpp"
#include "platform/os_random.hpp"
#include "platform/run_loop.hpp"
#include "sable/device.hpp"
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
  SecurityConfig config() const override;

  std::function<void(const SecurityConfig&)> on_change;

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
  void reschedule();

  // gap::HostListener
  void on_ready() override;
  void on_fatal(const Error& error) override;
  void on_connected(const ConnDesc& desc) override;
  void on_disconnected(const ConnDesc& desc, uint8_t reason) override;
  void on_security_changed(const ConnDesc& desc) override;

  // hci::Sender: packets from the host to the controller.
  void send_hci(HciPacketType type, Bytes packet) override;

 private:
  explicit DeviceImpl(std::unique_ptr<Transport> transport);
  void on_readable();
  void set_error(Error e);

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
  SecurityImpl security_;

  mutable std::mutex mutex_;
  std::optional<Error> error_;
  std::promise<std::optional<Error>> ready_promise_;
  bool ready_reported_ = false;
};

}  // namespace sable::detail
