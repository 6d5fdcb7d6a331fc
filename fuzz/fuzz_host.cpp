// gap::Host (src/gap/host.hpp), the whole host: a scripted controller brings it
// up, then HCI events and ACL packets from the input reach HCI, L2CAP, ATT/GATT
// and SMP, interleaved with time and the application's calls.
// Input: [cfg u8][seed le32] then records [op u8] ...
//   cfg bit 0: a connection (handle 0x0040) is set up after bring-up; bit 1: we
//   are its central (else peripheral); bit 2: RPA privacy; bit 3: the reference
//   security (DisplayOnly, bond+MITM+SC, passkey 123456); bit 4: Enhanced
//   Connection Complete; bit 5: the controller encrypts when asked
//   op % 8 == 0: an HCI event (u8 length, bytes: code then parameters); the
//                length octet is patched unless op bit 3
//   op % 8 == 1: an ACL packet carrying one B-frame (CID from op bits 5..6:
//                ATT, SMP, signaling, or le16) with patched lengths and handle;
//                op bit 3: raw ACL packet instead; op bit 4: split in two
//   op % 8 == 2: time passes (le16 ms, x64 if op bit 3, x4096 if op bit 4)
//   op % 8 == 3: an application call (u8 selector)
//   op % 8 == 4: the controller stops (op bit 3) / resumes answering commands
//   op % 8 == 5: Encryption Change / Key Refresh / LTK Request for the link
//   op % 8 == 6: Disconnection Complete for the link (reason u8)
//   op % 8 == 7: a new (Enhanced) LE Connection Complete (role op bit 3)
// The scripted controller answers every command (Command Complete or Status),
// returns ACL credits, completes Disconnect, and encrypts if cfg bit 5.
// Invariants: every command and ACL packet the host sends is well formed; it
// never has more commands in flight than the controller granted, nor more ACL
// packets than controller buffers, nor sends ACL on a handle that is not
// connected, nor ACL data over the controller's buffer length; the reference
// value is never sent in a Read Response or notification on a link that is not
// encrypted with an authenticated key.
#include <algorithm>
#include <deque>
#include <initializer_list>
#include <map>
#include <set>
#include <vector>

#include "att/pdu.hpp"
#include "fuzz_common.hpp"
#include "gap/host.hpp"
#include "hci/acl.hpp"
#include "hci/opcodes.hpp"
#include "reference_db.hpp"
#include "support/deterministic_random.hpp"

namespace {

using namespace sable;
namespace op = sable::hci::op;

constexpr size_t kMaxRecords = 150;
constexpr size_t kMaxDeliveries = 4000;
constexpr uint16_t kHandle = 0x0040;
constexpr uint16_t kAclLength = 251;
constexpr uint16_t kAclCount = 8;

struct Packet {
  HciPacketType type;
  std::vector<uint8_t> bytes;
};

// head + tail, built without inserting into an initializer-list vector (GCC 12
// reports a false -Warray-bounds for that pattern).
std::vector<uint8_t> join(std::initializer_list<uint8_t> head, Bytes tail) {
  std::vector<uint8_t> v(head.size() + tail.size());
  std::copy(head.begin(), head.end(), v.begin());
  std::copy(tail.begin(), tail.end(), v.begin() + ptrdiff_t(head.size()));
  return v;
}

std::vector<uint8_t> event(uint8_t code, const std::vector<uint8_t>& params) {
  return join({code, uint8_t(params.size())}, params);
}

struct Harness final : hci::Sender, gap::HostListener {
  gap::Host* host = nullptr;
  std::deque<Packet> to_host;
  bool answering = true;
  bool auto_encrypt = false;
  int credits = 1;                        // commands the host may still send
  std::map<uint16_t, int> acl_in_flight;  // per handle: ACL packets not yet completed
  std::set<uint16_t> open;                // handles the controller reported connected
  uint16_t ref_value = 0;
  uint8_t last_att_request = 0;
  uint16_t last_att_handle = 0;
  bool ready = false;
  size_t deliveries = 0;

  void send_hci(HciPacketType type, Bytes packet) override {
    if (type == HciPacketType::kCommand) {
      FUZZ_CHECK(packet.size() >= 3 && packet[2] == packet.size() - 3);
      --credits;
      FUZZ_CHECK(credits >= 0);
      if (answering) answer(get_le16(packet.data()), packet.subspan(3));
      return;
    }
    FUZZ_CHECK(type == HciPacketType::kAcl);
    auto acl = hci::AclPacket::parse(packet);
    FUZZ_CHECK(acl.ok());
    FUZZ_CHECK(acl->data.size() <= kAclLength);
    FUZZ_CHECK(open.count(acl->handle) == 1);
    ++acl_in_flight[acl->handle];
    int total = 0;
    for (const auto& [handle, n] : acl_in_flight) total += n;
    FUZZ_CHECK(total <= kAclCount);
    if (acl->packet_boundary == hci::pb::kFirstNonFlushable) check_att(acl->handle, acl->data);
    if (answering) {
      // Number Of Completed Packets: one packet on this handle.
      to_host.push_back({HciPacketType::kEvent,
                         event(0x13, {1, uint8_t(acl->handle), uint8_t(acl->handle >> 8), 1, 0})});
    }
  }

  void check_att(uint16_t handle, Bytes l2cap) {
    if (l2cap.size() < 5 || get_le16(&l2cap[2]) != 0x0004) return;
    uint8_t opcode = l2cap[4];
    auto c = host->connection(handle);
    bool secure = c && c->encrypted && c->authenticated;
    if (opcode == 0x1B || opcode == 0x1D) {
      if (l2cap.size() >= 7 && get_le16(&l2cap[5]) == ref_value) FUZZ_CHECK(secure);
    }
    if ((opcode == 0x0B || opcode == 0x0D) && last_att_handle == ref_value &&
        (last_att_request == 0x0A || last_att_request == 0x0C)) {
      FUZZ_CHECK(secure);
    }
  }

  void complete(uint16_t opcode, std::vector<uint8_t> rp) {
    std::vector<uint8_t> p = join({1, uint8_t(opcode), uint8_t(opcode >> 8), 0x00}, rp);
    to_host.push_back({HciPacketType::kEvent, event(0x0E, p)});
  }

  void answer(uint16_t opcode, Bytes params) {
    if (hci::completes_with_command_status(opcode)) {
      to_host.push_back(
          {HciPacketType::kEvent, event(0x0F, {0x00, 1, uint8_t(opcode), uint8_t(opcode >> 8)})});
      if (opcode == op::kDisconnect && params.size() >= 3) {
        uint16_t h = get_le16(params.data()) & 0x0FFF;
        to_host.push_back(
            {HciPacketType::kEvent, event(0x05, {0x00, uint8_t(h), uint8_t(h >> 8), 0x16})});
      }
      if (opcode == op::kLeStartEncryption && auto_encrypt && params.size() >= 2) {
        to_host.push_back({HciPacketType::kEvent, event(0x08, {0x00, params[0], params[1], 0x01})});
      }
      return;
    }
    switch (opcode) {
      case op::kReadLocalVersionInformation:
        return complete(opcode, {0x0C, 0x00, 0x00, 0x0C, 0x02, 0x00, 0x00, 0x00});
      case op::kReadBdAddr:
        return complete(opcode, {0x42, 0x00, 0x00, 0x01, 0xAA, 0x00});
      case op::kReadLocalSupportedCommands:
        return complete(opcode, std::vector<uint8_t>(64, 0x00));
      case op::kLeReadBufferSize:
        return complete(opcode, {uint8_t(kAclLength), 0x00, uint8_t(kAclCount)});
      case op::kLeRand:
        return complete(opcode, {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88});
      case op::kLeLongTermKeyRequestReply:
        if (auto_encrypt && params.size() >= 2) {
          complete(opcode, {params[0], params[1]});
          to_host.push_back(
              {HciPacketType::kEvent, event(0x08, {0x00, params[0], params[1], 0x01})});
          return;
        }
        return complete(opcode, {params.size() >= 2 ? params[0] : uint8_t(0),
                                 params.size() >= 2 ? params[1] : uint8_t(0)});
      default:
        return complete(opcode, std::vector<uint8_t>(16, 0x00));
    }
  }

  void deliver(TimePoint now) {
    while (!to_host.empty() && deliveries < kMaxDeliveries) {
      Packet p = std::move(to_host.front());
      to_host.pop_front();
      ++deliveries;
      observe(p);
      host->on_hci_packet(now, p.type, p.bytes);
    }
    to_host.clear();
  }

  // The controller's view of what it tells the host.
  void observe(const Packet& p) {
    // A failed host (on_fatal) ignores everything the controller says.
    if (host->failed()) return;
    if (p.type != HciPacketType::kEvent || p.bytes.size() < 2) return;
    Bytes params = Bytes(p.bytes).subspan(2);
    if (p.bytes[1] != params.size()) return;
    switch (p.bytes[0]) {
      case 0x0E:
        if (params.size() >= 3) credits = params[0];
        break;
      case 0x0F:
        if (params.size() >= 4) credits = params[1];
        break;
      case 0x05:
        if (params.size() >= 4 && params[0] == 0) {
          uint16_t h = get_le16(&params[1]) & 0x0FFF;
          open.erase(h);
          acl_in_flight.erase(h);  // the controller flushed its buffers (Vol 4 Part E 4.3)
        }
        break;
      case 0x13:
        if (auto n = hci::NumberOfCompletedPacketsEvent::parse(params)) {
          for (size_t i = 0; i < n->size(); ++i) {
            int& f = acl_in_flight[n->handle(i)];
            f -= std::min<int>(f, n->count(i));
          }
        }
        break;
      case 0x3E:
        // LE (Enhanced) Connection Complete.
        if (params.size() >= 4 && (params[0] == 0x01 || params[0] == 0x0A) && params[1] == 0) {
          open.insert(get_le16(&params[2]) & 0x0FFF);
        }
        break;
      default:
        break;
    }
  }

  void on_ready() override { ready = true; }
  void on_fatal(const Error&) override {}
  void on_connected(const ConnDesc& d) override { FUZZ_CHECK(open.count(d.handle) == 1); }
  void on_disconnected(const ConnDesc&, uint8_t) override {}
};

std::vector<uint8_t> connection_complete(bool enhanced, bool central, uint16_t handle) {
  // interval 24, latency 0, supervision timeout 72, clock accuracy; the
  // enhanced event has two (zero) resolvable private addresses before them.
  std::vector<uint8_t> tail(enhanced ? 12 : 0, 0x00);
  for (uint8_t b : {0x18, 0x00, 0x00, 0x00, 0x48, 0x00, 0x05}) tail.push_back(b);
  return event(0x3E, join({enhanced ? uint8_t(0x0A) : uint8_t(0x01), 0x00, uint8_t(handle),
                           uint8_t(handle >> 8), uint8_t(central ? 0x00 : 0x01),
                           0x01,  // peer address type random
                           0x06, 0x05, 0x04, 0x03, 0x02, 0xC1},
                          tail));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::quiet_logs();
  fuzz::Input in(data, size);
  uint8_t cfg = in.u8();
  // Seeded from the input, so a crash reproduces from its file alone.
  testing::DeterministicRandom random(in.le32());
  fuzz::DbHooks hooks;
  gatt::Database db = fuzz::make_reference_db(hooks);
  const auto ref = *db.find_characteristic(fuzz::kRefService, fuzz::kRefChar);

  gap::HostConfig config;
  if (cfg & 8) {
    config.security.auth = AuthReq::all();
    config.security.io_cap = IoCap::DisplayOnly;
    config.security.static_passkey = 123456;
  }
  config.security.resolvable_private_address = cfg & 4;
  Harness h;
  h.auto_encrypt = cfg & 0x20;
  h.ref_value = ref.value;
  gap::Host host(config, h, h, random);
  h.host = &host;
  host.set_database(&db);
  TimePoint now{Duration{10'000}};

  host.start(now);
  h.deliver(now);
  FUZZ_CHECK(h.ready);
  (void)host.set_advertising_data(
      now,
      AdvertisementData().name(testing::kReferenceDeviceName).add_service_uuid(fuzz::kRefService));
  (void)host.start_advertising(now);
  h.deliver(now);
  if (cfg & 1) {
    h.to_host.push_back({HciPacketType::kEvent, connection_complete(cfg & 0x10, cfg & 2, kHandle)});
    h.deliver(now);
  }

  uint8_t counter = 0;
  for (size_t i = 0; i < kMaxRecords && !in.empty() && h.deliveries < kMaxDeliveries; ++i) {
    uint8_t o = in.u8();
    switch (o % 8) {
      case 0: {
        std::vector<uint8_t> e = fuzz::copy(in.frame8());
        if (!(o & 8) && e.size() >= 2) e[1] = uint8_t(e.size() - 2);
        h.to_host.push_back({HciPacketType::kEvent, std::move(e)});
        break;
      }
      case 1: {
        if (o & 8) {
          h.to_host.push_back({HciPacketType::kAcl, fuzz::copy(in.frame16(600))});
          break;
        }
        uint16_t cid = 0;
        switch ((o >> 5) & 3) {
          case 0:
            cid = 0x0004;
            break;
          case 1:
            cid = 0x0006;
            break;
          case 2:
            cid = 0x0005;
            break;
          default:
            cid = in.le16();
        }
        Bytes payload = in.frame16(600);
        std::vector<uint8_t> l2 = join({uint8_t(payload.size()), uint8_t(payload.size() >> 8),
                                        uint8_t(cid), uint8_t(cid >> 8)},
                                       payload);
        if (cid == 0x0004 && payload.size() >= 3) {
          h.last_att_request = payload[0];
          h.last_att_handle = get_le16(&payload[1]);
        }
        size_t first = (o & 0x10) ? l2.size() / 2 : l2.size();
        auto acl = [&](uint8_t pb, size_t from, size_t to) {
          std::vector<uint8_t> a = join({uint8_t(kHandle), uint8_t((kHandle >> 8) | (pb << 4)),
                                         uint8_t(to - from), uint8_t((to - from) >> 8)},
                                        Bytes(l2).subspan(from, to - from));
          h.to_host.push_back({HciPacketType::kAcl, std::move(a)});
        };
        acl(0x02, 0, first);
        if (first < l2.size()) acl(0x01, first, l2.size());
        break;
      }
      case 2: {
        int mult = (o & 0x10) ? 4096 : (o & 8) ? 64 : 1;
        now += Duration(int64_t(in.le16()) * mult);
        for (int k = 0; k < 8 && host.next_deadline() <= now; ++k) {
          // A command timeout resets the channel to one credit, and the failed
          // commands' callbacks may use it at once.
          if (h.credits < 1) h.credits = 1;
          host.on_timeout(now);
          h.deliver(now);
        }
        break;
      }
      case 3: {
        uint8_t s = in.u8();
        switch (s % 14) {
          case 0: {
            uint8_t v = ++counter;
            (void)host.notify(now, ref.value, Bytes(&v, 1));
            break;
          }
          case 1:
            (void)host.pair(now, kHandle);
            break;
          case 2:
            (void)host.secure(now, kHandle);
            break;
          case 3:
            (void)host.passkey_reply(now, kHandle, (s & 0x80) ? in.le32() % 1000000 : 123456);
            break;
          case 4:
            (void)host.numeric_comparison_reply(now, kHandle, s & 0x80);
            break;
          case 5:
            (void)host.disconnect(now, kHandle, 0x13);
            break;
          case 6:
            (void)host.update_connection_parameters(now, kHandle, {24, 48, 0, 60});
            break;
          case 7:
            (void)((s & 0x80) ? host.stop_advertising(now) : host.start_advertising(now));
            break;
          case 8:
            (void)((s & 0x80) ? host.stop_scan(now) : host.start_scan(now, {}));
            break;
          case 9: {
            Address peer{.bytes = {0x06, 0x05, 0x04, 0x03, 0x02, 0xC1},
                         .type = AddressType::kRandom};
            (void)((s & 0x80) ? host.cancel_connect(now) : host.connect(now, peer));
            break;
          }
          case 10:
            if (auto* c = host.gatt_client(kHandle)) c->read(now, in.le16(), [](auto) {});
            break;
          case 11:
            if (auto* c = host.gatt_client(kHandle)) {
              c->discover_primary_services(now, std::nullopt, [](auto) {});
            }
            break;
          case 12:
            if (auto* c = host.gatt_client(kHandle)) c->exchange_mtu(now, [](auto) {});
            break;
          case 13: {
            Address peer{.bytes = {0x06, 0x05, 0x04, 0x03, 0x02, 0xC1},
                         .type = AddressType::kRandom};
            (void)host.remove_bond(peer);
            break;
          }
        }
        break;
      }
      case 4:
        h.answering = !(o & 8);
        break;
      case 5: {
        uint8_t f = in.u8();
        uint8_t st = (f & 0x80) ? in.u8() : 0;
        if (f & 1) {
          h.to_host.push_back({HciPacketType::kEvent,
                               event(0x08, {st, uint8_t(kHandle), 0x00, uint8_t((f >> 1) & 1)})});
        } else if (f & 2) {
          h.to_host.push_back({HciPacketType::kEvent, event(0x30, {st, uint8_t(kHandle), 0x00})});
        } else {
          std::vector<uint8_t> p = {0x05, uint8_t(kHandle), 0x00};
          for (int k = 0; k < 10; ++k) p.push_back((f & 4) ? in.u8() : 0);
          h.to_host.push_back({HciPacketType::kEvent, event(0x3E, p)});
        }
        break;
      }
      case 6:
        h.to_host.push_back(
            {HciPacketType::kEvent, event(0x05, {0x00, uint8_t(kHandle), 0x00, in.u8()})});
        break;
      case 7:
        h.to_host.push_back({HciPacketType::kEvent, connection_complete(o & 0x10, o & 8, kHandle)});
        break;
    }
    h.deliver(now);
  }
  return 0;
}
