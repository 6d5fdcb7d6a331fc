// gatt::Client (src/gatt/client.hpp) on its att::Bearer: procedures started
// from the input, then server PDUs, time, MTU changes and disconnections from
// the input.
// Input: [max_mtu le16] then records [op u8] ...
//   op % 7 == 0: a raw server PDU (le16 length, bytes)
//   op % 7 == 1: a PDU whose opcode is patched to answer the outstanding
//                request (its response, or an Error Response naming it if op
//                bit 3), body (u8 length, bytes)
//   op % 7 == 2: start a procedure (selector u8, arguments); op bit 3: its
//                callback starts another one, op bit 4: its callback destroys
//                the client
//   op % 7 == 3: time passes (le16 ms, x512 if op bit 3), on_timeout when due
//   op % 7 == 4: on_disconnected()
//   op % 7 == 5: the peer's Exchange MTU Request (Client Rx MTU le16)
//   op % 7 == 6: a notification (or indication if op bit 3) for a subscribed
//                handle (u8 selector), value (u8 length)
// Invariants: every PDU sent parses and fits ATT_MTU; at most one request is
// outstanding, and none is sent once the bearer is closed; every procedure
// completes at most once, and exactly once when the client is disconnected.
#include <memory>
#include <optional>
#include <vector>

#include "att/bearer.hpp"
#include "att/pdu.hpp"
#include "fuzz_common.hpp"
#include "gatt/client.hpp"

namespace {

using namespace sable;
using namespace sable::gatt;
using att::Opcode;

constexpr size_t kMaxRecords = 200;
constexpr size_t kMaxProcedures = 80;

struct Harness final : att::BearerDelegate {
  std::optional<att::Bearer> bearer;  // outlives the client
  std::optional<Client> client;
  fuzz::Input* in = nullptr;
  TimePoint now{Duration{1000}};
  uint8_t outstanding = 0;  // opcode of the request sent and not yet answered
  bool destroying = false;
  bool may_destroy = true;       // false for the final on_disconnected()
  std::vector<int> completions;  // per procedure started
  std::vector<uint16_t> subscribed;

  void send(Bytes pdu) override {
    FUZZ_CHECK(!destroying);
    FUZZ_CHECK(bearer->open());
    FUZZ_CHECK(!pdu.empty() && pdu.size() <= bearer->mtu());
    FUZZ_CHECK(att::parse_pdu(pdu).ok());
    if (fuzz::verbose())
      std::fprintf(stderr, "client sends 0x%02x (%zu octets)\n", pdu[0], pdu.size());
    if (att::is_request(pdu[0])) {
      FUZZ_CHECK(outstanding == 0);
      outstanding = pdu[0];
    }
  }
  void on_bearer_fatal() override {}

  template <class T>
  Callback<T> done(uint8_t flags) {
    size_t id = completions.size();
    completions.push_back(0);
    if (fuzz::verbose()) std::fprintf(stderr, "procedure %zu started (flags 0x%02x)\n", id, flags);
    return [this, id, flags](ClientResult<T> r) {
      if (fuzz::verbose())
        std::fprintf(stderr, "procedure %zu done: %s\n", id, r.ok() ? "ok" : "error");
      FUZZ_CHECK(++completions[id] == 1);
      if (destroying || !client) return;
      if ((flags & 0x10) != 0 && may_destroy) {
        destroying = true;
        client.reset();
        destroying = false;
        return;
      }
      if ((flags & 0x08) != 0 && completions.size() < kMaxProcedures) {
        client->read(now, 0x0003, this->done<std::vector<uint8_t>>(0));
      }
    };
  }

  void start(uint8_t flags) {
    uint8_t sel = in->u8();
    uint16_t a = in->le16();
    uint16_t b = in->le16();
    switch (sel % 9) {
      case 0:
        client->exchange_mtu(now, done<uint16_t>(flags));
        break;
      case 1:
        client->discover_primary_services(now, std::nullopt, done<std::vector<ServiceInfo>>(flags));
        break;
      case 2:
        client->discover_primary_services(now, (a & 1) ? Uuid::from16(b) : Uuid::from16(0x1800),
                                          done<std::vector<ServiceInfo>>(flags));
        break;
      case 3:
        client->discover_characteristics(now, a, b, done<std::vector<CharacteristicInfo>>(flags));
        break;
      case 4:
        client->discover_descriptors(now, a, b, done<std::vector<DescriptorInfo>>(flags));
        break;
      case 5:
        client->read(now, a, done<std::vector<uint8_t>>(flags));
        break;
      case 6: {
        std::vector<uint8_t> value(b % 700, uint8_t(a));
        client->write(now, a, value, WriteMode(sel / 9 % 3), done<void>(flags));
        break;
      }
      case 7: {
        uint16_t value_handle = a;
        client->subscribe(
            now, value_handle, uint16_t(value_handle + 1 + (b & 3)), b & 4,
            [this](uint16_t, Bytes, bool) {
              // A handler may close the bearer.
              if (client && in->u8() == 0xD1) client->on_disconnected();
            },
            done<void>(flags));
        subscribed.push_back(value_handle);
        break;
      }
      case 8:
        client->unsubscribe(now, subscribed.empty() ? a : subscribed[a % subscribed.size()],
                            done<void>(flags));
        break;
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::quiet_logs();
  fuzz::Input in(data, size);
  Harness h;
  h.in = &in;
  uint16_t max_mtu = uint16_t(23 + in.le16() % (517 - 23 + 1));
  h.bearer.emplace(h, /*conn_id=*/3, max_mtu);
  h.client.emplace(*h.bearer);

  for (size_t i = 0; i < kMaxRecords && !in.empty() && h.client; ++i) {
    uint8_t op = in.u8();
    Client& c = *h.client;
    switch (op % 7) {
      case 0:
      case 1: {
        std::vector<uint8_t> pdu;
        if (op % 7 == 0) {
          pdu = fuzz::copy(in.frame16(600));
        } else {
          if (op & 8) {
            pdu = {uint8_t(Opcode::kErrorResponse), h.outstanding};
          } else {
            pdu = {uint8_t(h.outstanding + 1)};
          }
          Bytes body = in.frame8();
          pdu.insert(pdu.end(), body.begin(), body.end());
        }
        // Any answer ends the outstanding transaction (a bad one fails it).
        bool answer =
            !pdu.empty() && (pdu[0] == uint8_t(Opcode::kErrorResponse) ||
                             (pdu[0] & 1 && pdu[0] <= 0x21 && pdu[0] != 0x1B && pdu[0] != 0x1D));
        uint8_t before = h.outstanding;
        if (answer) h.outstanding = 0;
        if (fuzz::verbose())
          std::fprintf(stderr, "server sends 0x%02x (%zu octets)\n", pdu.empty() ? 0 : pdu[0],
                       pdu.size());
        h.bearer->on_pdu(h.now, pdu);
        (void)before;
        break;
      }
      case 2:
        if (h.completions.size() < kMaxProcedures) h.start(op);
        break;
      case 3:
        h.now += Duration(in.le16() * ((op & 8) ? 512 : 1));
        if (h.now >= c.next_deadline()) {
          h.outstanding = 0;
          c.on_timeout(h.now);
        }
        break;
      case 4:
        h.outstanding = 0;
        c.on_disconnected();
        break;
      case 5: {
        const uint16_t client_rx = in.le16();
        const uint8_t request[] = {uint8_t(Opcode::kExchangeMtuRequest), uint8_t(client_rx),
                                   uint8_t(client_rx >> 8)};
        h.bearer->on_pdu(h.now, request);
        break;
      }
      case 6: {
        uint16_t handle =
            h.subscribed.empty() ? in.le16() : h.subscribed[in.u8() % h.subscribed.size()];
        std::vector<uint8_t> pdu = {uint8_t((op & 8) ? 0x1D : 0x1B), uint8_t(handle),
                                    uint8_t(handle >> 8)};
        Bytes value = in.frame8();
        pdu.insert(pdu.end(), value.begin(), value.end());
        h.bearer->on_pdu(h.now, pdu);
        break;
      }
    }
    if (h.client) {
      FUZZ_CHECK(h.client->mtu() >= att::kDefaultMtu && h.client->mtu() <= att::kMaxMtu);
    }
  }
  if (h.client) {
    h.may_destroy = false;
    h.client->on_disconnected();
    FUZZ_CHECK(!h.client->open());
    for (size_t k = 0; k < h.completions.size(); ++k) {
      if (fuzz::verbose())
        std::fprintf(stderr, "procedure %zu completed %d times\n", k, h.completions[k]);
      FUZZ_CHECK(h.completions[k] == 1);
    }
  }
  return 0;
}
