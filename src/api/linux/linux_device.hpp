// The public API on Linux: the shared DeviceImpl driven by a RunLoop thread
// over a Transport. Public calls from other threads are posted to the loop and
// waited for (run_sync); notifications are handed over without waiting
// (RunLoop::wake); callbacks run on the loop thread, passkey prompts on helper
// threads. Central-role waits (connect, secure, disconnect) live here too.
#pragma once

#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "api/device_impl.hpp"
#include "platform/os_random.hpp"
#include "platform/run_loop.hpp"
#include "transport/transport.hpp"

namespace sable::detail {

class LinuxDevice final : public DeviceImpl {
 public:
  friend class DeviceImpl;  // create()
  ~LinuxDevice() override;

  TimePoint now() const override { return platform::RunLoop::now(); }

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

  // gap::HostListener: the platform's part, then the shared fan-out.
  void on_ready() override;
  void on_fatal(const Error& error) override;
  void on_connected(const ConnDesc& desc) override;
  void on_disconnected(const ConnDesc& desc, uint8_t reason) override;
  void on_security_changed(const ConnDesc& desc) override;
  void on_scan_report(const gap::ScanReport& report) override;
  void on_connect_failed(const Address& peer, const Error& error) override;
  void on_pairing_complete(const ConnDesc& desc) override;
  void on_pairing_failed(const ConnDesc& desc, const Error& error) override;

  // hci::Sender: packets from the host to the controller.
  void send_hci(HciPacketType type, Bytes packet) override;

 private:
  LinuxDevice(const DeviceOptions& options, std::unique_ptr<Transport> transport);
  void run_sync(FunctionRef fn) override;
  bool on_stack_thread() const override { return loop_.on_loop_thread(); }
  void post(std::function<void()> fn) override;
  void run_prompt(const PairingPrompt& prompt) override;
  void wake_stack() override { loop_.wake(); }

  void on_readable();
  void reschedule();
  bool lose_controller(const Error& error);  // true when a reconnection is scheduled
  void try_reconnect();

  platform::RunLoop loop_;
  platform::OsRandom random_;
  std::unique_ptr<Transport> transport_;
  platform::RunLoop::TimerId timer_ = 0;
  TimePoint timer_at_ = kNever;
  std::thread thread_;
  std::mutex workers_mutex_;
  std::vector<std::thread> workers_;

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

  bool reconnecting_ = false;
  unsigned reconnect_attempts_ = 0;
  std::promise<std::optional<Error>> ready_promise_;
  bool ready_reported_ = false;
};

// Every DeviceImpl on Linux is a LinuxDevice.
inline LinuxDevice& linux_device(DeviceImpl* d) {
  return static_cast<LinuxDevice&>(*d);
}

}  // namespace sable::detail
