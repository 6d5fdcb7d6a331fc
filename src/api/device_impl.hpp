// The public API (include/sable) over one gap::Host, shared by every platform:
// the Server/Service/Characteristic bookkeeping, the GATT database, advertising
// as the application asked for it, the fan-out of the host's events to the
// application's callbacks, and the notification hand-off. A platform derives
// from it and supplies only the stack's thread (call(), wake, prompts), the
// clock, the transport to the controller and the bond store:
//   src/api/linux/      a RunLoop thread over a Transport (blocking calls from any thread)
//   ports/cortex-m4/api single-threaded firmware (calls run on the caller's stack)
#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

#include "api/lock.hpp"
#include "api/notify_queue.hpp"
#include "api/security_impl.hpp"
#include "gap/host.hpp"
#include "gatt/database.hpp"
#include "sable/device.hpp"

namespace sable::detail {

// What a Characteristic holds behind the public header.
struct CharacteristicState {
  mutable Mutex mutex;  // value, length, too_long, failures: any thread
  std::array<uint8_t, Characteristic::kMaxValueLength> value{};
  uint16_t length = 0;
  bool too_long = false;  // the last set_value() was refused
  uint64_t failures = 0;
  std::atomic<uint16_t> value_handle{0};  // set when the server starts
  // The stack's thread only (set through call()).
  std::function<void(uint16_t)> on_read;
  std::function<void(const WriteContext&)> on_write;
  std::function<void(uint16_t, uint16_t)> on_subscribe;
  std::function<bool(uint16_t, bool)> on_authorize;
  std::function<void(std::span<const uint8_t>, const NotifyResult&)> on_notified;
};

// A non-owning reference to a callable, so that call() allocates nothing itself.
class FunctionRef {
 public:
  template <class F>
  FunctionRef(F& fn) : object_(&fn), invoke_([](void* o) { (*static_cast<F*>(o))(); }) {}
  void operator()() const { invoke_(object_); }

 private:
  void* object_;
  void (*invoke_)(void*);
};

// What the public API shows of a bond (Device::bonds, BondFile::bonds).
Device::BondInfo bond_info(const store::Bond& bond);

// One question to the person at the device during pairing (Core 5.4 Vol 3
// Part H 2.3.5.6.2/.3): held by value so that asking it needs no closure
// (the firmware answers it in place, without a heap allocation).
struct PairingPrompt {
  enum class Kind : uint8_t { kPasskeyDisplay, kPasskeyRequest, kNumericComparison };
  Kind kind;
  ConnDesc desc;
  uint32_t value;  // the passkey shown or the number to compare
};

class DeviceImpl : public gap::HostListener, public hci::Sender {
 public:
  // Opens the platform's controller and brings the stack up (one definition
  // per platform: src/api/linux, ports/cortex-m4/api).
  static Result<std::unique_ptr<DeviceImpl>, Error> create(const DeviceOptions& options);
  virtual ~DeviceImpl();

  // Runs fn on the stack's thread, waits for it, and returns its result.
  template <class F>
  decltype(auto) call(F&& fn) {
    using R = std::invoke_result_t<F&>;
    if constexpr (std::is_void_v<R>) {
      auto run = [&] { fn(); };
      run_sync(FunctionRef(run));
    } else if constexpr (std::is_reference_v<R>) {
      std::remove_reference_t<R>* out = nullptr;
      auto run = [&] { out = &fn(); };
      run_sync(FunctionRef(run));
      return static_cast<R>(*out);
    } else {
      std::optional<R> out;
      auto run = [&] { out.emplace(fn()); };
      run_sync(FunctionRef(run));
      return R(std::move(*out));
    }
  }

  Server& server() { return server_; }
  Advertising& advertising() { return advertising_; }
  Scanner& scanner() { return scanner_; }
  SecurityImpl& security() { return security_; }
  store::BondStore* bond_store() { return bonds_.get(); }
  const std::optional<std::string>& bond_store_warning() const { return bond_warning_; }
  std::string address();
  std::optional<Error> error() const;

  // The stack's thread only.
  gap::Host& host() { return *host_; }
  virtual TimePoint now() const = 0;
  Result<void, Error> start_server();  // builds the GATT database once
  bool server_started() const { return database_ != nullptr; }
  // Advertising as the application asked for it (replayed on a new controller).
  Result<void, Error> set_advertising_data(const AdvertisementData& data);
  Result<void, Error> start_advertising();
  Result<void, Error> stop_advertising();

  // Any thread (see Characteristic::notify).
  NotifyResult notify(Characteristic& c);
  // The stack's thread: sends queued notifications until the host runs out of
  // buffers (then again after the next input from the controller).
  void send_queued_notifications();

  // gap::HostListener: the application's callbacks.
  void on_connected(const ConnDesc& desc) override;
  void on_disconnected(const ConnDesc& desc, uint8_t reason) override;
  void on_security_changed(const ConnDesc& desc) override;
  void on_passkey_display(const ConnDesc& desc, uint32_t passkey) override;
  void on_passkey_request(const ConnDesc& desc) override;
  void on_numeric_comparison(const ConnDesc& desc, uint32_t value) override;
  void on_pairing_complete(const ConnDesc& desc) override;
  void on_pairing_failed(const ConnDesc& desc, const Error& error) override;

 protected:
  // notify_queue: octets of the hand-off queue (0 on single-threaded ports).
  DeviceImpl(const DeviceOptions& options, size_t notify_queue);

  // ---- the platform ----
  // Runs fn on the stack's thread and returns when it has run.
  virtual void run_sync(FunctionRef fn) = 0;
  virtual bool on_stack_thread() const = 0;
  // Runs fn later on the stack's thread.
  virtual void post(std::function<void()> fn) = 0;
  // Asks the application's callback for prompt (it may block: a person typing
  // a passkey) through answer_prompt(), on a thread that may wait.
  virtual void run_prompt(const PairingPrompt& prompt) = 0;
  // Calls the application's callback for prompt and hands the answer to the
  // host on the stack's thread.
  void answer_prompt(const PairingPrompt& prompt);
  // Notifications were queued: call send_queued_notifications() soon.
  virtual void wake_stack() = 0;

  // Log lines go to stderr, as many as options.verbosity asks for.
  static void start_log(const DeviceOptions& options);
  // A fresh host on the current controller, with what the application set up.
  void attach_host(crypto::RandomSource& random);
  void set_error(Error e);
  void reset_links() { links_.store(0, std::memory_order_relaxed); }

  DeviceOptions options_;
  std::unique_ptr<gap::Host> host_;
  std::unique_ptr<gatt::Database> database_;
  std::unique_ptr<store::BondStore> bonds_;
  std::optional<std::string> bond_warning_;
  std::optional<AdvertisementData> advertising_data_;
  bool advertising_wanted_ = false;

 private:
  NotifyResult send_now(Characteristic& c, Bytes value);
  void report(Characteristic& c, Bytes value, const NotifyResult& result);

  Server server_{this};
  Advertising advertising_{this};
  Scanner scanner_{this};
  SecurityImpl security_;
  NotifyQueue notify_queue_;
  std::atomic<int> links_{0};  // open connections, any role
  // The host ran out of ACL buffers with records left: the next input from the
  // controller sends them, so producers need not wake the stack's thread.
  std::atomic<bool> waiting_for_buffers_{false};
  mutable Mutex error_mutex_;
  std::optional<Error> error_;
};

}  // namespace sable::detail
