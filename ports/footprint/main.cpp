// A firmware-style program, used only to measure code size: the reference
// program (DESIGN.md, the esp32-nimble "secure server" tutorial) written
// against gap::Host directly, with a stub HCI driver, a stub clock and a stub
// random source standing in for a UART and a TRNG. The registers below are
// volatile so the compiler keeps every path that real input could reach.
#include <array>
#include <cstddef>
#include <cstdint>
#include <new>

#include "gap/host.hpp"
#include "gatt/database.hpp"
// The reference profile, shared with the tests (needs only src/ headers).
#include "../../tests/support/reference_profile.hpp"

namespace {

using namespace sable;

// Stand-ins for memory-mapped peripherals (a UART FIFO, SysTick, a TRNG).
volatile uint8_t g_uart_rx;
volatile uint8_t g_uart_rx_ready;
volatile uint8_t g_uart_tx;
volatile uint32_t g_millis;
volatile uint32_t g_trng;

// SysTick's millisecond count as the core's time base (sable::CoreClock).
TimePoint systick_now() {
  return TimePoint{Duration{g_millis}};
}

// The HCI driver: H4 out through the UART, one byte at a time.
class UartHci final : public hci::Sender {
 public:
  void send_hci(HciPacketType type, Bytes packet) override {
    g_uart_tx = uint8_t(type);
    for (uint8_t b : packet) g_uart_tx = b;
  }
};

class Trng final : public crypto::RandomSource {
 public:
  void fill(MutableBytes out) override {
    for (auto& b : out) b = uint8_t(g_trng);
  }
};

// H4 receive: reassembles packets from the UART into one buffer.
class H4Receiver {
 public:
  // A complete packet, or an empty view.
  bool poll(HciPacketType& type, Bytes& packet) {
    while (g_uart_rx_ready != 0) {
      uint8_t b = g_uart_rx;
      if (have_ == 0 && !indicator_) {
        indicator_ = b;
        need_ = b == 0x04 ? 2 : b == 0x02 ? 4 : 0;
        if (need_ == 0) indicator_ = 0;
        continue;
      }
      if (have_ < buf_.size()) buf_[have_] = b;
      ++have_;
      if (indicator_ == 0x04 && have_ == 2) need_ = 2 + buf_[1];
      if (indicator_ == 0x02 && have_ == 4) need_ = 4 + size_t(buf_[2] | buf_[3] << 8);
      if (have_ == need_) {
        type = HciPacketType(indicator_);
        packet = Bytes(buf_.data(), have_ < buf_.size() ? have_ : buf_.size());
        indicator_ = 0;
        have_ = 0;
        return true;
      }
    }
    return false;
  }

 private:
  std::array<uint8_t, 4 + 1024> buf_{};
  size_t have_ = 0;
  size_t need_ = 0;
  uint8_t indicator_ = 0;
};

const Uuid& kService = testing::kReferenceService;
const Uuid& kCharacteristic = testing::kReferenceCharacteristic;

class App final : public gap::HostListener {
 public:
  explicit App(gap::Host& host) : host_(host) {}
  void on_ready() override {
    auto now = systick_now();
    (void)host_.set_advertising_data(
        now, AdvertisementData().name(testing::kReferenceDeviceName).add_service_uuid(kService));
    (void)host_.start_advertising(now);
  }
  void on_fatal(const Error&) override { g_uart_tx = 0xEE; }
  void on_connected(const ConnDesc& desc) override {
    // 30-60 ms interval, latency 0, 600 ms supervision timeout.
    (void)host_.update_connection_parameters(systick_now(), desc.handle,
                                             l2cap::ConnectionParameters{24, 48, 0, 60});
  }
  void on_disconnected(const ConnDesc&, uint8_t) override {}  // advertising restarts itself
  void on_passkey_display(const ConnDesc&, uint32_t passkey) override {
    g_uart_tx = uint8_t(passkey);
  }

 private:
  gap::Host& host_;
};

}  // namespace

int main() {
  gap::HostConfig config = testing::reference_server_config();
  config.security.resolvable_private_address = true;

  static UartHci uart;
  static Trng trng;
  static gatt::Database db = testing::reference_database();
  static gap::Host* host_ptr = nullptr;
  static App* app_ptr = nullptr;
  // The host and app reference each other; construct in static storage.
  alignas(gap::Host) static uint8_t host_storage[sizeof(gap::Host)];
  alignas(App) static uint8_t app_storage[sizeof(App)];
  app_ptr = new (app_storage) App(*reinterpret_cast<gap::Host*>(host_storage));
  host_ptr = new (host_storage) gap::Host(config, uart, *app_ptr, trng);
  gap::Host& host = *host_ptr;
  host.set_database(&db);
  host.start(systick_now());

  const auto value_handle = db.find_characteristic(kService, kCharacteristic)->value;
  static H4Receiver rx;
  uint8_t counter = 0;
  TimePoint next_notify = systick_now() + Duration(1000);
  for (;;) {
    HciPacketType type;
    Bytes packet;
    if (rx.poll(type, packet)) host.on_hci_packet(systick_now(), type, packet);
    TimePoint now = systick_now();
    if (host.next_deadline() <= now) host.on_timeout(now);
    if (now >= next_notify) {
      // Every second: set_value([counter]).notify(), wrapping at 255.
      const uint8_t v[1] = {counter};
      (void)db.set_value(value_handle, v);
      (void)host.notify(now, value_handle, v);
      counter = uint8_t(counter + 1);
      next_notify = now + Duration(1000);
    }
  }
}
