// The public API (include/sable) on the Cortex-M4 port: the shared DeviceImpl
// (src/api) driven by a single-threaded run loop. There are no threads: a
// public call runs on the caller's stack at once (call() and notify() go
// straight to the host), and the loop (HCI input from the UART0 ring buffer,
// the host's deadlines on the SysTick clock, WFI when idle) runs while the
// program waits: inside Device::take until bring-up ends, and inside
// std::this_thread::sleep_for (see sleep.cpp). Callbacks run from the loop.
// Only the peripheral side is provided: Scanner, Client and Device::connect
// are not (the reference program does not use them; the linker says so if a
// program does).
#pragma once

#include <functional>
#include <memory>
#include <optional>

#include "../crypto/drbg_random.hpp"
#include "../store/region_bond_store.hpp"
#include "api/device_impl.hpp"
#include "transport/h4.hpp"

namespace sable::detail {

// SysTick's board_millis() is the core's time base (sable::CoreClock) on the
// board; these are the port's only conversions between the two clocks.
TimePoint board_now();
void board_idle_until(TimePoint deadline);  // board_idle() with a core deadline

class BoardDevice final : public DeviceImpl {
 public:
  friend class DeviceImpl;  // create()
  ~BoardDevice() override;
  // The device being driven, for sleep_for (nullptr before take()).
  static BoardDevice* instance() { return instance_; }

  // Runs the loop until `deadline` or until `done` returns true.
  void run_until(TimePoint deadline, const std::function<bool()>& done = {});
  TimePoint now() const override;

  // gap::HostListener: the platform's part, then the shared fan-out.
  void on_ready() override { ready_ = true; }
  void on_fatal(const Error& error) override { set_error(error); }
  void on_connected(const ConnDesc& desc) override;
  void on_disconnected(const ConnDesc& desc, uint8_t reason) override;
  void on_pairing_complete(const ConnDesc& desc) override;

  // hci::Sender: H4 over UART0.
  void send_hci(HciPacketType type, Bytes packet) override;

 private:
  explicit BoardDevice(const DeviceOptions& options);
  // Single-threaded: the caller is on the stack's thread already.
  void run_sync(FunctionRef fn) override { fn(); }
  bool on_stack_thread() const override { return true; }
  void post(std::function<void()> fn) override { fn(); }
  void run_prompt(const PairingPrompt& prompt) override { answer_prompt(prompt); }
  void wake_stack() override {}

  Result<void, Error> gather_entropy();
  void poll_input();
  void print_memory(const char* when) const;

  static BoardDevice* instance_;
  port::DrbgRandom random_;
  H4Deframer deframer_{H4PacketTypes::from_controller()};
  bool ready_ = false;
  // Heap allocations until the first link: start-up (services, advertising).
  std::optional<size_t> allocations_at_first_link_;
  bool in_loop_ = false;
};

}  // namespace sable::detail
