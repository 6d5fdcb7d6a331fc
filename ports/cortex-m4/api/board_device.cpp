#include "board_device.hpp"

#include <algorithm>
#include <cstdio>

#include "../board/board.h"
#include "../runtime/heap_count.hpp"
#include "common/log.hpp"

namespace sable::detail {
namespace {

constexpr uint8_t kReset[] = {0x03, 0x0C, 0x00};
constexpr uint8_t kLeRand[] = {0x18, 0x20, 0x00};
constexpr int kLeRandCount = 8;  // 64 octets: CTR_DRBG takes 32 + a 16-octet nonce

}  // namespace

BoardDevice* BoardDevice::instance_ = nullptr;

// No hand-off queue: notify() always runs on the stack's thread.
BoardDevice::BoardDevice(const DeviceOptions& options) : DeviceImpl(options, 0) {}

BoardDevice::~BoardDevice() {
  if (instance_ == this) instance_ = nullptr;
}

TimePoint board_now() {
  return TimePoint{Duration{board_millis()}};
}

void board_idle_until(TimePoint deadline) {
  board_idle(uint32_t(deadline.time_since_epoch().count()));
}

TimePoint BoardDevice::now() const {
  return board_now();
}

Result<std::unique_ptr<DeviceImpl>, Error> DeviceImpl::create(const DeviceOptions& options) {
  if (BoardDevice::instance_)
    return fail(Error{ErrorKind::kInvalidState, "the device is taken already"});
  start_log(options);
  if (options.hci.rfind("uart:", 0) != 0)
    return fail(Error{ErrorKind::kBadArgument, "the firmware's controller is uart:uart0"});
  port::crypto_init();
  std::unique_ptr<BoardDevice> d(new BoardDevice(options));
  if (auto r = d->gather_entropy(); !r.ok()) return fail(r.error());

  size_t region_size = 0;
  uint8_t* region = board_bond_region(&region_size);
  auto bonds = std::make_unique<port::RegionBondStore>(region, region_size);
  d->bond_warning_ = bonds->recovery();
  d->bonds_ = std::move(bonds);
  d->attach_host(d->random_);
  BoardDevice::instance_ = d.get();
  d->host_->start(d->now());
  BoardDevice* dev = d.get();
  d->run_until(d->now() + Duration(30000),
               [dev] { return dev->ready_ || dev->error().has_value(); });
  if (auto err = d->error()) return fail(*err);
  if (!d->ready_)
    return fail(Error{ErrorKind::kControllerTimeout, "controller bring-up did not finish"});
  return std::unique_ptr<DeviceImpl>(std::move(d));
}

// The board has no TRNG: before the host's bring-up, reset the controller and
// ask it for 64 random octets (HCI LE_Rand, Core 5.4 Vol 4 Part E 7.8.23) to
// seed the DRBG.
Result<void, Error> BoardDevice::gather_entropy() {
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
      board_idle_until(deadline);
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

void BoardDevice::poll_input() {
  uint8_t buf[128];
  for (int rounds = 0; rounds < 64; ++rounds) {
    size_t n = board_hci_read(buf, sizeof buf);
    if (n == 0) return;
    deframer_.push(Bytes(buf, n), [this](HciPacketType type, Bytes packet) {
      host_->on_hci_packet(now(), type, packet);
    });
  }
}

void BoardDevice::run_until(TimePoint deadline, const std::function<bool()>& done) {
  if (in_loop_) {
    // A callback waiting (sleep_for inside a callback): only time passes.
    while (now() < deadline) board_idle_until(deadline);
    return;
  }
  in_loop_ = true;
  for (;;) {
    poll_input();
    TimePoint t = now();
    if (host_->next_deadline() <= t) host_->on_timeout(t);
    if ((done && done()) || t >= deadline) break;
    TimePoint next = std::min(deadline, host_->next_deadline());
    board_idle_until(next);
  }
  in_loop_ = false;
}

void BoardDevice::send_hci(HciPacketType type, Bytes packet) {
  uint8_t indicator = uint8_t(type);
  board_hci_write(&indicator, 1);
  board_hci_write(packet.data(), packet.size());
}

void BoardDevice::on_connected(const ConnDesc& desc) {
  if (!allocations_at_first_link_) allocations_at_first_link_ = runtime_heap_allocations();
  DeviceImpl::on_connected(desc);
}

void BoardDevice::on_disconnected(const ConnDesc& desc, uint8_t reason) {
  DeviceImpl::on_disconnected(desc, reason);
  print_memory("after disconnection");
}

void BoardDevice::on_pairing_complete(const ConnDesc& desc) {
  DeviceImpl::on_pairing_complete(desc);
  print_memory("after pairing");
}

void BoardDevice::print_memory(const char* when) const {
  std::fprintf(stderr,
               "firmware: memory %s: stack peak %u of %u B, C heap %u B, mbedTLS heap peak %u of "
               "%u B, UART0 overruns %u, heap allocations %u (%u since the first connection)\n",
               when, unsigned(board_stack_peak()), unsigned(board_stack_size()),
               unsigned(board_heap_peak()), unsigned(port::crypto_heap_peak()),
               unsigned(port::crypto_heap_size()), unsigned(board_hci_overruns()),
               unsigned(runtime_heap_allocations()),
               unsigned(runtime_heap_allocations() -
                        allocations_at_first_link_.value_or(runtime_heap_allocations())));
}

}  // namespace sable::detail
