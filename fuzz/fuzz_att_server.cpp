// gatt::Server (src/gatt/server.hpp) over the reference database
// (reference_db.hpp), fed ATT PDUs interleaved with link-security changes,
// notify/indicate calls, time and client-state restores.
// Input: [max_mtu le16] then records [op u8] ...
//   op % 6 == 0: a raw PDU (le16 length, bytes)
//   op % 6 == 1: a request: opcode from a table (u8 index), body (u8 length, bytes)
//   op % 6 == 2: link security (flags u8, key size u8)
//   op % 6 == 3: notify (op bit 3 clear) or indicate: handle (u8 selector), value (u8 length)
//   op % 6 == 4: time passes (le16 ms, x512 if op bit 3), on_timeout when due
//   op % 6 == 5: flip the application's answers, or restore a client state
// The server sits on an att::Bearer, which answers Exchange MTU itself.
// Invariants: every PDU sent parses, is at most ATT_MTU and is not sent after
// on_bearer_fatal; each request gets exactly one answer (its response or an Error
// Response naming it); the reference value is never read, notified or
// written without an authenticated, encrypted link, and its stored value never
// changes; the authorization-protected value changes only once authorization
// and encryption were both granted; ATT_MTU stays within 23..max_mtu.
#include <algorithm>
#include <optional>
#include <vector>

#include "att/bearer.hpp"
#include "att/pdu.hpp"
#include "fuzz_common.hpp"
#include "gatt/server.hpp"
#include "reference_db.hpp"

namespace {

using namespace sable;
using namespace sable::gatt;
using att::Opcode;

constexpr size_t kMaxRecords = 200;
constexpr uint8_t kRequests[] = {0x02, 0x04, 0x06, 0x08, 0x0A, 0x0C, 0x0E, 0x10,
                                 0x12, 0x16, 0x18, 0x20, 0x52, 0xD2, 0x1E, 0x03};

struct Harness final : att::BearerDelegate {
  Server* server = nullptr;
  att::LinkSecurity link;
  uint16_t ref_value = 0;
  uint16_t authz_value = 0;
  bool fatal_seen = false;
  bool can_send_ok = true;
  // The PDU being handled (in_pdu), its opcode and handles, and the answers sent.
  bool in_pdu = false;
  uint8_t request = 0;
  std::vector<uint16_t> request_handles;
  size_t answers = 0;

  bool secure_for_ref() const { return link.encrypted && link.authenticated && link.key_size >= 7; }

  void send(Bytes pdu) override {
    FUZZ_CHECK(!fatal_seen);
    FUZZ_CHECK(!pdu.empty() && pdu.size() <= server->mtu());
    auto parsed = att::parse_pdu(pdu);
    FUZZ_CHECK(parsed.ok());
    const uint8_t op = pdu[0];
    if (op == uint8_t(Opcode::kHandleValueNotification) ||
        op == uint8_t(Opcode::kHandleValueIndication)) {
      uint16_t h = get_le16(&pdu[1]);
      if (h == ref_value) FUZZ_CHECK(secure_for_ref());
      return;
    }
    FUZZ_CHECK(in_pdu);  // only answers are sent from on_pdu
    ++answers;
    if (op == uint8_t(Opcode::kErrorResponse)) {
      FUZZ_CHECK(pdu[1] == request);
      return;
    }
    FUZZ_CHECK(op == request + 1);
    bool reads_ref = std::find(request_handles.begin(), request_handles.end(), ref_value) !=
                     request_handles.end();
    bool reads_authz = std::find(request_handles.begin(), request_handles.end(), authz_value) !=
                       request_handles.end();
    switch (Opcode(op)) {
      case Opcode::kReadResponse:
      case Opcode::kReadBlobResponse:
      case Opcode::kReadMultipleResponse:
      case Opcode::kReadMultipleVariableResponse:
        if (reads_ref) FUZZ_CHECK(secure_for_ref());
        if (reads_authz) FUZZ_CHECK(link.encrypted);
        break;
      case Opcode::kReadByTypeResponse: {
        const auto& r = std::get<att::ReadByTypeResponse>(*parsed);
        FUZZ_CHECK(r.length >= 2 && r.data.size() % r.length == 0);
        for (size_t i = 0; i + r.length <= r.data.size(); i += r.length) {
          uint16_t h = get_le16(&r.data[i]);
          if (h == ref_value) FUZZ_CHECK(secure_for_ref());
          if (h == authz_value) FUZZ_CHECK(link.encrypted);
        }
        break;
      }
      case Opcode::kWriteResponse:
        FUZZ_CHECK(!reads_ref);
        break;
      default:
        break;
    }
  }
  void on_bearer_fatal() override { fatal_seen = true; }
  bool can_send(size_t) override { return can_send_ok; }
};

// The handles a request names, for the security checks of its answer.
std::vector<uint16_t> handles_of(Bytes pdu) {
  std::vector<uint16_t> hs;
  auto parsed = att::parse_pdu(pdu);
  if (!parsed) return hs;
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, att::ReadRequest> ||
                      std::is_same_v<T, att::ReadBlobRequest> ||
                      std::is_same_v<T, att::WriteRequest> ||
                      std::is_same_v<T, att::PrepareWriteRequest>) {
          hs.push_back(v.handle);
        } else if constexpr (std::is_same_v<T, att::ReadMultipleRequest> ||
                             std::is_same_v<T, att::ReadMultipleVariableRequest>) {
          for (size_t i = 0; i < v.count(); ++i) hs.push_back(v.handle(i));
        }
      },
      *parsed);
  return hs;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::quiet_logs();
  fuzz::Input in(data, size);
  static fuzz::DbHooks hooks;
  static Database db = fuzz::make_reference_db(hooks);
  hooks = {};
  // The database is shared (as in a host) but must start equal for every input.
  static const auto ref = *db.find_characteristic(fuzz::kRefService, fuzz::kRefChar);
  static const auto longc = *db.find_characteristic(fuzz::kRefService, fuzz::kLongChar);
  static const auto authz = *db.find_characteristic(fuzz::kRefService, fuzz::kAuthzChar);
  static const std::vector<uint8_t> ref_initial = fuzz::copy(db.value(*db.find(ref.value)));
  static const std::vector<uint8_t> authz_initial = fuzz::copy(db.value(*db.find(authz.value)));
  (void)db.set_value(longc.value, std::vector<uint8_t>(40, 0x4C));
  (void)db.set_value(authz.value, authz_initial);
  (void)db.set_value(0x0003, std::vector<uint8_t>{'f', 'u', 'z', 'z'});

  uint16_t max_mtu = uint16_t(23 + in.le16() % (517 - 23 + 1));
  Harness h;
  h.ref_value = ref.value;
  h.authz_value = authz.value;
  att::Bearer bearer(h, /*conn_id=*/7, max_mtu);
  Server server(db, bearer);
  h.server = &server;
  TimePoint now{Duration{5000}};
  bool authz_granted_ever = false;
  const uint16_t handle_choices[] = {ref.value,   ref.cccd, longc.value, longc.cccd,
                                     authz.value, 0x0000,   0x0003,      0xFFFF};

  for (size_t i = 0; i < kMaxRecords && !in.empty(); ++i) {
    uint8_t op = in.u8();
    switch (op % 6) {
      case 0:
      case 1: {
        std::vector<uint8_t> pdu;
        if (op % 6 == 0) {
          pdu = fuzz::copy(in.frame16(600));
        } else {
          uint8_t opcode = kRequests[in.u8() % sizeof kRequests];
          Bytes body = in.frame8();
          pdu.resize(1 + body.size());
          pdu[0] = opcode;
          std::copy(body.begin(), body.end(), pdu.begin() + 1);
        }
        bool expect_answer =
            !h.fatal_seen && !pdu.empty() && pdu.size() <= server.mtu() &&
            (att::is_request(pdu[0]) || (!att::is_command(pdu[0]) && !att::pdu_length(pdu[0])));
        h.request = pdu.empty() ? 0 : pdu[0];
        h.request_handles = handles_of(pdu);
        h.answers = 0;
        h.in_pdu = true;
        bearer.on_pdu(now, pdu);
        h.in_pdu = false;
        if (expect_answer && !h.fatal_seen) FUZZ_CHECK(h.answers == 1);
        if (!expect_answer) FUZZ_CHECK(h.answers == 0);
        break;
      }
      case 2: {
        uint8_t f = in.u8();
        h.link.encrypted = f & 1;
        h.link.authenticated = h.link.encrypted && (f & 2);
        h.link.secure_connections = h.link.encrypted && (f & 4);
        h.link.peer_bonded = f & 8;
        h.link.key_size = h.link.encrypted ? uint8_t(7 + in.u8() % 10) : 0;
        server.set_link_security(h.link);
        break;
      }
      case 3: {
        uint16_t handle = handle_choices[in.u8() % 8];
        std::vector<uint8_t> value = fuzz::copy(in.frame16(600));
        ValueSendResult r =
            (op & 8) ? server.indicate(now, handle, value) : server.notify(handle, value);
        if (r == ValueSendResult::kSent) {
          FUZZ_CHECK(value.size() + 3 <= server.mtu());
          if (handle == ref.value) FUZZ_CHECK(h.secure_for_ref());
        }
        break;
      }
      case 4: {
        now += Duration(in.le16() * ((op & 8) ? 512 : 1));
        if (now >= server.next_deadline()) server.on_timeout(now);
        break;
      }
      case 5: {
        uint8_t f = in.u8();
        if (f & 0x80) {
          ClientState st;
          st.client_supported_features = in.u8();
          for (int k = 0; k < (f & 3); ++k) st.cccds.push_back({in.le16(), in.le16()});
          server.restore_client_state(st);
          ClientState back = server.client_state();
          for (const auto& e : back.cccds) FUZZ_CHECK(e.value != 0);
        } else {
          hooks.authorize = f & 1;
          hooks.reject_write = f & 2;
          h.can_send_ok = !(f & 4);
        }
        break;
      }
    }
    if (hooks.authorize && h.link.encrypted) authz_granted_ever = true;
    FUZZ_CHECK(server.mtu() >= att::kDefaultMtu && server.mtu() <= max_mtu);
    Bytes rv = db.value(*db.find(ref.value));
    FUZZ_CHECK(std::equal(rv.begin(), rv.end(), ref_initial.begin(), ref_initial.end()));
    if (!authz_granted_ever) {
      Bytes av = db.value(*db.find(authz.value));
      FUZZ_CHECK(std::equal(av.begin(), av.end(), authz_initial.begin(), authz_initial.end()));
    }
    FUZZ_CHECK(db.value(*db.find(longc.value)).size() <= att::kMaxValueLength);
  }
  return 0;
}
