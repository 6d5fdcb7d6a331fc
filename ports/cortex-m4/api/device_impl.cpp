#include "device_impl.hpp"
#include "api/server_database.hpp"

#include <algorithm>
#include <cstdio>

#include "../board/board.h"
#include "common/log.hpp"

namespace sable::detail {
namespace {

void console_log_sink(LogLevel level, const char* message) {
  static const char* const kNames[] = {"error", "warning", "info", "debug", "trace"};
  std::fprintf(stderr, "sable %s: %s\n", kNames[int(level)], message);
}

constexpr uint8_t kReset[] = {0x03, 0x0C, 0x00};
constexpr uint8_t kLeRand[] = {0x18, 0x20, 0x00};
constexpr int kLeRandCount = 8;  // 64 octets: CTR_DRBG takes 32 + a 16-octet nonce

}  // namespace

// ---- SecurityImpl ----

Security& SecurityImpl::changed() {
  if (on_change) on_change(config_);
  return *this;
}
Security& SecurityImpl::set_auth(AuthReq auth) {
  config_.auth = auth;
  return changed();
}
Security& SecurityImpl::set_passkey(uint32_t passkey) {
  config_.static_passkey = passkey % 1000000;
  return changed();
}
Security& SecurityImpl::set_random_passkey() {
  config_.static_passkey.reset();
  return changed();
}
Security& SecurityImpl::set_io_cap(IoCap io_cap) {
  config_.io_cap = io_cap;
  return changed();
}
Security& SecurityImpl::resolve_rpa() {
  config_.resolvable_private_address = true;
  return changed();
}
Security& SecurityImpl::set_min_key_size(uint8_t octets) {
  config_.min_key_size = octets < 7 ? 7 : octets > 16 ? 16 : octets;
  return changed();
}
Security& SecurityImpl::allow_legacy_pairing(bool allow) {
  config_.secure_connections_only = !allow;
  return changed();
}
Security& SecurityImpl::allow_debug_keys(bool allow) {
  config_.allow_debug_keys = allow;
  return changed();
}
Security& SecurityImpl::on_passkey_display(std::function<void(const ConnDesc&, uint32_t)> fn) {
  passkey_display = std::move(fn);
  return *this;
}
Security& SecurityImpl::on_passkey_request(
    std::function<std::optional<uint32_t>(const ConnDesc&)> fn) {
  passkey_request = std::move(fn);
  return *this;
}
Security& SecurityImpl::on_numeric_comparison(std::function<bool(const ConnDesc&, uint32_t)> fn) {
  numeric_comparison = std::move(fn);
  return *this;
}
Security& SecurityImpl::on_pairing_complete(std::function<void(const ConnDesc&)> fn) {
  pairing_complete = std::move(fn);
  return *this;
}
Security& SecurityImpl::on_pairing_failed(std::function<void(const ConnDesc&, const Error&)> fn) {
  pairing_failed = std::move(fn);
  return *this;
}

// ---- DeviceImpl ----

DeviceImpl* DeviceImpl::instance_ = nullptr;

DeviceImpl::DeviceImpl() = default;

DeviceImpl::~DeviceImpl() {
  if (instance_ == this) instance_ = nullptr;
}

TimePoint DeviceImpl::now() {
  return TimePoint(board_millis());
}

Result<std::unique_ptr<DeviceImpl>, Error> DeviceImpl::create(const DeviceOptions& options) {
  if (instance_) return fail(Error{ErrorKind::kInvalidState, "the device is taken already"});
  set_log_sink(console_log_sink);
  set_log_level(options.verbosity < 0    ? LogLevel::kError
                : options.verbosity == 0 ? LogLevel::kWarn
                : options.verbosity == 1 ? LogLevel::kInfo
                : options.verbosity == 2 ? LogLevel::kDebug
                                         : LogLevel::kTrace);
  if (options.hci.rfind("uart:", 0) != 0)
    return fail(Error{ErrorKind::kBadArgument, "the firmware's controller is uart:uart0"});
  port::crypto_init();
  std::unique_ptr<DeviceImpl> d(new DeviceImpl());
  d->options_ = options;
  if (auto r = d->gather_entropy(); !r.ok()) return fail(r.error());

  size_t region_size = 0;
  uint8_t* region = board_bond_region(&region_size);
  d->bonds_ = std::make_unique<port::RegionBondStore>(region, region_size);
  d->bond_warning_ = d->bonds_->recovery();
  gap::HostConfig config;
  d->host_ = std::make_unique<gap::Host>(config, *d, *d, d->random_);
  d->host_->set_bond_store(d->bonds_.get());
  d->security_.on_change = [dev = d.get()](const SecurityConfig& c) {
    dev->host().set_security_config(c);
  };
  instance_ = d.get();
  d->host_->start(now());
  DeviceImpl* dev = d.get();
  d->run_until(now() + Duration(30000), [dev] { return dev->ready_ || dev->error_.has_value(); });
  if (d->error_) return fail(*d->error_);
  if (!d->ready_)
    return fail(Error{ErrorKind::kControllerTimeout, "controller bring-up did not finish"});
  return d;
}

// The board has no TRNG: before the host's bring-up, reset the controller and
// ask it for 64 random octets (HCI LE_Rand, Core 5.4 Vol 4 Part E 7.8.23) to
// seed the DRBG.
Result<void, Error> DeviceImpl::gather_entropy() {
  uint8_t pool[8 * kLeRandCount];
  size_t have = 0;
  bool answered = false;
  uint8_t status = 0;
  H4Deframer deframer(H4PacketTypes::from_controller());
  auto sink = [&](HciPacketType type, Bytes p) {
    // Command Complete: 0x0E len ncmd opcode(2) status params...
    if (type != HciPacketType::kEvent || p.size() < 6 || p[0] != 0x0E) return;
    answered = true;
    status = p[5];
    if (p[3] == kLeRand[0] && p[4] == kLeRand[1] && status == 0 && p.size() >= 14 &&
        have + 8 <= sizeof pool) {
      std::copy(p.begin() + 6, p.begin() + 14, pool + have);
      have += 8;
    }
  };
  for (int i = 0; i <= kLeRandCount; ++i) {
    const uint8_t* cmd = i == 0 ? kReset : kLeRand;
    send_hci(HciPacketType::kCommand, Bytes(cmd, 3));
    answered = false;
    TimePoint deadline = now() + Duration(i == 0 ? 5000 : 2000);
    while (!answered && now() < deadline) {
      uint8_t buf[64];
      size_t n = board_hci_read(buf, sizeof buf);
      if (n > 0) {
        deframer.push(Bytes(buf, n), sink);
        continue;
      }
      board_idle(uint32_t(deadline.count()));
    }
    if (!answered)
      return fail(Error{ErrorKind::kControllerTimeout,
                        i == 0 ? "the controller does not answer HCI_Reset on UART0"
                               : "the controller does not answer HCI_LE_Rand"});
    if (status != 0)
      return fail(
          Error{ErrorKind::kController, "HCI_LE_Rand failed: no seed for the DRBG", status});
  }
  bool seeded = random_.seed(std::span<const uint8_t>(pool, have));
  crypto::secure_wipe(MutableBytes(pool, sizeof pool));
  if (!seeded) return fail(Error{ErrorKind::kInvalidState, "cannot seed the DRBG"});
  return {};
}

void DeviceImpl::poll_input() {
  uint8_t buf[128];
  for (int rounds = 0; rounds < 64; ++rounds) {
    size_t n = board_hci_read(buf, sizeof buf);
    if (n == 0) return;
    deframer_.push(Bytes(buf, n), [this](HciPacketType type, Bytes packet) {
      host_->on_hci_packet(now(), type, packet);
    });
  }
}

void DeviceImpl::run_until(TimePoint deadline, const std::function<bool()>& done) {
  if (in_loop_) {
    // A callback waiting (sleep_for inside a callback): only time passes.
    while (now() < deadline) board_idle(uint32_t(deadline.count()));
    return;
  }
  in_loop_ = true;
  for (;;) {
    poll_input();
    TimePoint t = now();
    if (host_->next_deadline() <= t) host_->on_timeout(t);
    if ((done && done()) || t >= deadline) break;
    TimePoint next = std::min(deadline, host_->next_deadline());
    board_idle(uint32_t(next.count()));
  }
  in_loop_ = false;
}

void DeviceImpl::send_hci(HciPacketType type, Bytes packet) {
  uint8_t indicator = uint8_t(type);
  board_hci_write(&indicator, 1);
  board_hci_write(packet.data(), packet.size());
}

void DeviceImpl::on_fatal(const Error& error) {
  if (!error_) error_ = error;
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

void DeviceImpl::push_value(Characteristic& c) {
  if (!database_ || c.value_handle_ == 0) return;
  (void)database_->set_value(c.value_handle_, c.value_);
}

NotifyResult DeviceImpl::notify(Characteristic& c) {
  if (!database_ || c.value_handle_ == 0) return NotifyResult{0, NotifyStatus::kNotStarted};
  if (!c.properties().has(Property::Notify) && !c.properties().has(Property::Indicate))
    return NotifyResult{0, NotifyStatus::kNoCccd};
  return host_->notify(now(), c.value_handle_, c.value_);
}

void DeviceImpl::on_connected(const ConnDesc& desc) {
  if (desc.role == Role::kPeripheral && server_.on_connect_) server_.on_connect_(server_, desc);
}

void DeviceImpl::on_disconnected(const ConnDesc& desc, uint8_t reason) {
  if (desc.role == Role::kPeripheral && server_.on_disconnect_)
    server_.on_disconnect_(desc, reason);
  print_memory("after disconnection");
}

void DeviceImpl::on_security_changed(const ConnDesc& desc) {
  if (desc.role == Role::kPeripheral && server_.on_security_changed_)
    server_.on_security_changed_(desc);
}

void DeviceImpl::on_pairing_complete(const ConnDesc& desc) {
  if (security_.pairing_complete) security_.pairing_complete(desc);
  print_memory("after pairing");
}

void DeviceImpl::on_pairing_failed(const ConnDesc& desc, const Error& error) {
  if (security_.pairing_failed) security_.pairing_failed(desc, error);
}

void DeviceImpl::on_passkey_display(const ConnDesc& desc, uint32_t passkey) {
  if (security_.passkey_display) security_.passkey_display(desc, passkey);
}

void DeviceImpl::on_passkey_request(const ConnDesc& desc) {
  // No keyboard thread here: the callback runs on the loop and must answer at once.
  std::optional<uint32_t> value;
  if (security_.passkey_request) value = security_.passkey_request(desc);
  (void)host_->passkey_reply(now(), desc.handle, value);
}

void DeviceImpl::on_numeric_comparison(const ConnDesc& desc, uint32_t value) {
  bool accept = security_.numeric_comparison && security_.numeric_comparison(desc, value);
  (void)host_->numeric_comparison_reply(now(), desc.handle, accept);
}

void DeviceImpl::print_memory(const char* when) const {
  std::fprintf(stderr,
               "firmware: memory %s: stack peak %u of %u B, C heap %u B, mbedTLS heap peak %u of "
               "%u B, UART0 overruns %u\n",
               when, unsigned(board_stack_peak()), unsigned(board_stack_size()),
               unsigned(board_heap_peak()), unsigned(port::crypto_heap_peak()),
               unsigned(port::crypto_heap_size()), unsigned(board_hci_overruns()));
}

}  // namespace sable::detail
