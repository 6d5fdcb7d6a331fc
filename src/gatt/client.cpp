#include "gatt/client.hpp"

#include <algorithm>
#include <array>
#include <type_traits>

#include "common/log.hpp"

namespace sable::gatt {

using att::AttErrorCode;
using att::Opcode;

namespace {

// Core 5.4 Vol 3 Part G 3.1 / 3.3.1: the attribute types the client asks for.
constexpr uint16_t kPrimaryServiceType = 0x2800;
constexpr Uuid kPrimaryService = Uuid::from16(kPrimaryServiceType);
constexpr Uuid kCharacteristic = Uuid::from16(0x2803);
// Core 5.4 Vol 3 Part G 3.3.3.3: Client Characteristic Configuration bits.
constexpr uint16_t kCccdNotifications = 0x0001;
constexpr uint16_t kCccdIndications = 0x0002;
// Core 5.4 Vol 3 Part F 3.4.6.3: Execute Write Request flags.
constexpr uint8_t kCancelAllPreparedWrites = 0x00;
constexpr uint8_t kWriteAllPreparedWrites = 0x01;

bool equal(Bytes a, Bytes b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

}  // namespace

const char* to_string(ClientError::Kind kind) {
  switch (kind) {
    case ClientError::Kind::kAtt:
      return "ATT error";
    case ClientError::Kind::kTimeout:
      return "timeout";
    case ClientError::Kind::kDisconnected:
      return "disconnected";
    case ClientError::Kind::kInvalidResponse:
      return "invalid response";
    case ClientError::Kind::kInvalidParameters:
      return "invalid parameters";
    case ClientError::Kind::kBusy:
      return "busy";
  }
  return "?";
}

// Routes a response to the procedure that is waiting for it.
struct Client::Step {
  Client& c;
  TimePoint now;
  const att::Pdu& pdu;
  void operator()(MtuProc& p) { c.on_mtu_response(now, p, pdu); }
  void operator()(ServiceProc& p) { c.on_services_response(now, p, pdu); }
  void operator()(CharacteristicProc& p) { c.on_characteristics_response(now, p, pdu); }
  void operator()(DescriptorProc& p) { c.on_descriptors_response(now, p, pdu); }
  void operator()(ReadProc& p) { c.on_read_response(now, p, pdu); }
  void operator()(WriteProc& p) { c.on_write_response(now, p, pdu); }
};

Client::Client(ClientDelegate& delegate, uint16_t conn_id, uint16_t max_mtu)
    : delegate_(delegate),
      conn_id_(conn_id),
      max_mtu_(std::clamp(max_mtu, att::kDefaultMtu, att::kMaxMtu)),
      alive_(std::make_shared<bool>(true)) {}

Client::~Client() {
  *alive_ = false;
}

// --- Procedures ---------------------------------------------------------------

void Client::exchange_mtu(TimePoint now, Callback<uint16_t> done) {
  enqueue(now, MtuProc{std::move(done)});
}

void Client::set_mtu(uint16_t mtu) {
  mtu_ = std::clamp(mtu, att::kDefaultMtu, att::kMaxMtu);
}

void Client::discover_primary_services(TimePoint now, std::optional<Uuid> uuid,
                                       Callback<std::vector<ServiceInfo>> done) {
  enqueue(now, ServiceProc{uuid, 0x0001, {}, std::move(done)});
}

void Client::discover_characteristics(TimePoint now, uint16_t start, uint16_t end,
                                      Callback<std::vector<CharacteristicInfo>> done) {
  if (start == 0x0000) {
    if (done) done(sable::fail(ClientError::of(ClientError::Kind::kInvalidParameters)));
    return;
  }
  enqueue(now, CharacteristicProc{start, end, {}, std::move(done)});
}

void Client::discover_descriptors(TimePoint now, uint16_t start, uint16_t end,
                                  Callback<std::vector<DescriptorInfo>> done) {
  if (start == 0x0000) {
    if (done) done(sable::fail(ClientError::of(ClientError::Kind::kInvalidParameters)));
    return;
  }
  enqueue(now, DescriptorProc{start, end, {}, std::move(done)});
}

void Client::read(TimePoint now, uint16_t handle, Callback<std::vector<uint8_t>> done) {
  if (handle == 0x0000) {
    if (done) done(sable::fail(ClientError::of(ClientError::Kind::kInvalidParameters)));
    return;
  }
  enqueue(now, ReadProc{handle, {}, std::move(done)});
}

void Client::write(TimePoint now, uint16_t handle, Bytes value, WriteMode mode,
                   Callback<void> done) {
  if (handle == 0x0000 || value.size() > att::kMaxValueLength ||
      (mode == WriteMode::kCommand && value.size() > size_t(mtu_ - 3))) {
    if (done) done(sable::fail(ClientError::of(ClientError::Kind::kInvalidParameters)));
    return;
  }
  if (mode == WriteMode::kCommand) {
    // Core 5.4 Vol 3 Part G 4.9.1 / Part F 3.4.5.3: no response, no transaction.
    if (closed_) {
      if (done) done(sable::fail(ClientError::of(ClientError::Kind::kDisconnected)));
      return;
    }
    std::array<uint8_t, att::kMaxMtu> buf;
    ByteWriter w(MutableBytes(buf.data(), mtu_));
    att::write_handle_value(w, Opcode::kWriteCommand, handle, value);
    Callback<void> cb = std::move(done);
    const std::shared_ptr<bool> alive = alive_;
    delegate_.send_att(conn_id_, w.written());
    if (*alive && cb) cb({});
    return;
  }
  enqueue(now, WriteProc{.handle = handle,
                         .value = std::vector<uint8_t>(value.begin(), value.end()),
                         .long_write = mode == WriteMode::kLong,
                         .done = std::move(done)});
}

void Client::subscribe(TimePoint now, uint16_t value_handle, uint16_t cccd_handle, bool indications,
                       NotificationHandler handler, Callback<void> done) {
  if (value_handle == 0x0000 || cccd_handle <= value_handle || !handler) {
    if (done) done(sable::fail(ClientError::of(ClientError::Kind::kInvalidParameters)));
    return;
  }
  if (closed_) {
    if (done) done(sable::fail(ClientError::of(ClientError::Kind::kDisconnected)));
    return;
  }
  const uint32_t id = next_subscription_id_++;
  auto shared = std::make_shared<NotificationHandler>(std::move(handler));
  auto it = std::find_if(subscriptions_.begin(), subscriptions_.end(),
                         [&](const Subscription& s) { return s.value_handle == value_handle; });
  if (it != subscriptions_.end())
    *it = Subscription{value_handle, cccd_handle, id, std::move(shared)};
  else
    subscriptions_.push_back(Subscription{value_handle, cccd_handle, id, std::move(shared)});
  const uint16_t bits = indications ? kCccdIndications : kCccdNotifications;
  enqueue(now, WriteProc{.handle = cccd_handle,
                         .value = {uint8_t(bits), uint8_t(bits >> 8)},
                         .long_write = false,
                         .done = std::move(done),
                         .subscription = id});
}

void Client::unsubscribe(TimePoint now, uint16_t value_handle, Callback<void> done) {
  auto it = std::find_if(subscriptions_.begin(), subscriptions_.end(),
                         [&](const Subscription& s) { return s.value_handle == value_handle; });
  if (it == subscriptions_.end()) {
    if (done) done(sable::fail(ClientError::of(ClientError::Kind::kInvalidParameters)));
    return;
  }
  const uint16_t cccd = it->cccd_handle;
  subscriptions_.erase(it);
  enqueue(now,
          WriteProc{
              .handle = cccd, .value = {0x00, 0x00}, .long_write = false, .done = std::move(done)});
}

// --- The queue: one outstanding request (Core 5.4 Vol 3 Part F 3.3.2) ---------

void Client::enqueue(TimePoint now, Procedure p) {
  ClientError refuse{};
  if (closed_)
    refuse = ClientError::of(ClientError::Kind::kDisconnected);
  else if (queue_.size() >= kMaxQueuedProcedures)
    refuse = ClientError::of(ClientError::Kind::kBusy);
  else {
    queue_.push_back(std::move(p));
    pump(now);
    return;
  }
  std::visit(
      [&](auto& proc) {
        auto cb = std::move(proc.done);
        if (cb) cb(sable::fail(refuse));
      },
      p);
}

void Client::pump(TimePoint now) {
  if (pumping_) return;  // a callback run by start(): the loop below continues
  const std::shared_ptr<bool> alive = alive_;
  pumping_ = true;
  while (!closed_ && !current_ && !queue_.empty()) {
    current_.emplace(std::move(queue_.front()));
    queue_.pop_front();
    start(now);
    if (!*alive) return;  // destroyed by a callback
  }
  pumping_ = false;
}

void Client::start(TimePoint now) {
  std::array<uint8_t, att::kMaxMtu> buf;
  ByteWriter w(MutableBytes(buf.data(), mtu_));
  Procedure& proc = *current_;
  if (auto* p = std::get_if<MtuProc>(&proc)) {
    // Core 5.4 Vol 3 Part F 3.4.2.1: sent once per connection.
    if (mtu_requested_) return complete<uint16_t>(now, p->done, mtu_);
    mtu_requested_ = true;
    att::write_exchange_mtu(w, Opcode::kExchangeMtuRequest, max_mtu_);
    return send_request(now, w);
  }
  if (auto* p = std::get_if<ServiceProc>(&proc)) return start_services(now, *p);
  if (auto* p = std::get_if<CharacteristicProc>(&proc)) return start_characteristics(now, *p);
  if (auto* p = std::get_if<DescriptorProc>(&proc)) return start_descriptors(now, *p);
  if (auto* p = std::get_if<ReadProc>(&proc)) {
    att::write_read_request(w, p->handle);  // Core 5.4 Vol 3 Part G 4.8.1
    return send_request(now, w);
  }
  if (auto* p = std::get_if<WriteProc>(&proc)) return start_write(now, *p);
}

void Client::send_request(TimePoint now, const ByteWriter& w) {
  if (!w.ok() || w.size() == 0) {
    SABLE_LOG_ERROR("gatt client: conn %u request does not fit ATT_MTU %u", conn_id_, mtu_);
    return fail_current(now, ClientError::of(ClientError::Kind::kInvalidParameters));
  }
  // State first: the delegate may hand the PDU to a peer that answers at once.
  pending_request_ = w.written()[0];
  deadline_ = now + Duration(att::kTransactionTimeoutMs);
  delegate_.send_att(conn_id_, w.written());
}

template <class T>
void Client::complete(TimePoint now, Callback<T>& done,
                      std::type_identity_t<ClientResult<T>> result) {
  // Move out, update state, then notify; touch nothing if the callback destroyed us.
  Callback<T> cb = std::move(done);
  current_.reset();
  pending_request_ = 0;
  deadline_ = kNever;
  const std::shared_ptr<bool> alive = alive_;
  if (cb) cb(std::move(result));
  if (!*alive) return;
  pump(now);
}

void Client::fail_current(TimePoint now, ClientError error) {
  if (!current_) return;
  if (auto* w = std::get_if<WriteProc>(&*current_); w && w->subscription != 0)
    remove_subscription(w->subscription);
  std::visit(
      [&](auto& p) {
        using T = std::remove_reference_t<decltype(p)>;
        if constexpr (std::is_same_v<T, MtuProc>)
          complete<uint16_t>(now, p.done, sable::fail(error));
        else if constexpr (std::is_same_v<T, ServiceProc>)
          complete<std::vector<ServiceInfo>>(now, p.done, sable::fail(error));
        else if constexpr (std::is_same_v<T, CharacteristicProc>)
          complete<std::vector<CharacteristicInfo>>(now, p.done, sable::fail(error));
        else if constexpr (std::is_same_v<T, DescriptorProc>)
          complete<std::vector<DescriptorInfo>>(now, p.done, sable::fail(error));
        else if constexpr (std::is_same_v<T, ReadProc>)
          complete<std::vector<uint8_t>>(now, p.done, sable::fail(error));
        else
          complete<void>(now, p.done, sable::fail(error));
      },
      *current_);
}

void Client::fail_all(std::optional<Procedure> current, ClientError current_error) {
  std::deque<Procedure> queued = std::move(queue_);
  queue_.clear();
  const std::shared_ptr<bool> alive = alive_;
  auto fail_one = [](Procedure& proc, ClientError error) {
    std::visit(
        [&](auto& p) {
          auto cb = std::move(p.done);
          if (cb) cb(sable::fail(error));
        },
        proc);
  };
  if (current) {
    fail_one(*current, current_error);
    if (!*alive) return;
  }
  for (Procedure& p : queued) {
    fail_one(p, ClientError::of(ClientError::Kind::kDisconnected));
    if (!*alive) return;
  }
}

// Core 5.4 Vol 3 Part F 3.3.3: a transaction not completed in 30 s has failed;
// no further ATT PDUs on this bearer.
void Client::on_timeout(TimePoint now) {
  if (closed_ || deadline_ == kNever || now < deadline_) return;
  SABLE_LOG_WARN("gatt client: conn %u request 0x%02x timed out", conn_id_, pending_request_);
  closed_ = true;
  pending_request_ = 0;
  deadline_ = kNever;
  std::optional<Procedure> current = std::move(current_);
  current_.reset();
  const std::shared_ptr<bool> alive = alive_;
  fail_all(std::move(current), ClientError::of(ClientError::Kind::kTimeout));
  if (!*alive) return;
  delegate_.on_att_fatal(conn_id_);
}

void Client::on_disconnected() {
  closed_ = true;
  pending_request_ = 0;
  deadline_ = kNever;
  subscriptions_.clear();
  std::optional<Procedure> current = std::move(current_);
  current_.reset();
  fail_all(std::move(current), ClientError::of(ClientError::Kind::kDisconnected));
}

// --- Incoming PDUs -------------------------------------------------------------

void Client::on_pdu(TimePoint now, Bytes pdu) {
  if (closed_) return;
  if (pdu.empty()) {
    SABLE_LOG_WARN("gatt client: conn %u empty PDU dropped", conn_id_);
    return;
  }
  const uint8_t op = pdu[0];
  if (att::is_response(op)) return on_response(now, pdu);

  // Core 5.4 Vol 3 Part F 3.2.9: nothing longer than ATT_MTU (attack #9).
  if (pdu.size() > mtu_) {
    SABLE_LOG_WARN("gatt client: conn %u PDU 0x%02x of %zu octets above ATT_MTU %u dropped",
                   conn_id_, op, pdu.size(), mtu_);
    return;
  }
  switch (Opcode(op)) {
    case Opcode::kHandleValueNotification:
    case Opcode::kHandleValueIndication:
    case Opcode::kMultipleHandleValueNotification:
      break;
    default:
      SABLE_LOG_DEBUG("gatt client: conn %u PDU 0x%02x is not for the client, dropped", conn_id_,
                      op);
      return;
  }
  auto parsed = att::parse_pdu(pdu);
  if (!parsed) {
    SABLE_LOG_WARN("gatt client: conn %u malformed PDU 0x%02x dropped", conn_id_, op);
    return;
  }
  const std::shared_ptr<bool> alive = alive_;
  if (auto* n = std::get_if<att::HandleValueNotification>(&*parsed)) {
    // Core 5.4 Vol 3 Part G 4.10.
    deliver(n->handle, n->value, false);
  } else if (auto* i = std::get_if<att::HandleValueIndication>(&*parsed)) {
    // Core 5.4 Vol 3 Part G 4.11 / Part F 3.4.7.2: confirm after delivering,
    // whether or not anyone subscribed (the server waits for it).
    deliver(i->handle, i->value, true);
    if (!*alive || closed_) return;
    const uint8_t confirmation = uint8_t(Opcode::kHandleValueConfirmation);
    delegate_.send_att(conn_id_, Bytes(&confirmation, 1));
  } else if (auto* m = std::get_if<att::MultipleHandleValueNotification>(&*parsed)) {
    // Core 5.4 Vol 3 Part F 3.4.7.4: Handle Length Value tuples.
    ByteReader r(m->tuples);
    while (!r.at_end()) {
      const uint16_t handle = r.le16();
      const uint16_t length = r.le16();
      const Bytes value = r.take(length);
      if (!r.ok()) {
        SABLE_LOG_WARN("gatt client: conn %u truncated Multiple Handle Value Notification",
                       conn_id_);
        return;
      }
      deliver(handle, value, false);
      if (!*alive || closed_) return;
    }
  }
}

void Client::deliver(uint16_t handle, Bytes value, bool indication) {
  for (const Subscription& s : subscriptions_) {
    if (s.value_handle != handle) continue;
    // A copy of the shared handler (no allocation) keeps it alive if the
    // handler unsubscribes or disconnects while it runs.
    const std::shared_ptr<NotificationHandler> h = s.handler;
    (*h)(handle, value, indication);
    return;
  }
  SABLE_LOG_DEBUG("gatt client: conn %u %s for 0x%04x without subscriber dropped", conn_id_,
                  indication ? "indication" : "notification", handle);
}

void Client::remove_subscription(uint32_t id) {
  std::erase_if(subscriptions_, [id](const Subscription& s) { return s.id == id; });
}

void Client::on_response(TimePoint now, Bytes pdu) {
  const uint8_t op = pdu[0];
  if (pending_request_ == 0 || !current_) {
    SABLE_LOG_WARN("gatt client: conn %u response 0x%02x without a request dropped", conn_id_, op);
    return;
  }
  auto parsed = att::parse_pdu(pdu);
  if (parsed) {
    if (auto* e = std::get_if<att::ErrorResponse>(&*parsed);
        e && e->request_opcode != pending_request_) {
      // Core 5.4 Vol 3 Part F 3.4.1.1: it names the request it answers.
      SABLE_LOG_WARN("gatt client: conn %u Error Response for 0x%02x, outstanding 0x%02x: dropped",
                     conn_id_, e->request_opcode, pending_request_);
      return;
    }
  }
  // One response per request: the transaction ends here, whatever it says.
  const uint8_t request = pending_request_;
  pending_request_ = 0;
  deadline_ = kNever;
  if (pdu.size() > mtu_) return invalid(now, "response above ATT_MTU");
  if (!parsed) return invalid(now, "malformed response");
  if (op != uint8_t(Opcode::kErrorResponse) && op != uint8_t(request + 1))
    return invalid(now, "response opcode does not match the request");
  std::visit(Step{*this, now, *parsed}, *current_);
}

void Client::invalid(TimePoint now, const char* why) {
  SABLE_LOG_WARN("gatt client: conn %u invalid response: %s", conn_id_, why);
  const ClientError error = ClientError::of(ClientError::Kind::kInvalidResponse);
  if (auto* w = std::get_if<WriteProc>(&*current_)) {
    if (w->cancel_error) return fail_current(now, *w->cancel_error);
    if (w->prepared && !w->executing) {
      // Core 5.4 Vol 3 Part G 4.9.5: cancel what the server has queued.
      w->cancel_error = error;
      return send_execute(now, kCancelAllPreparedWrites);
    }
  }
  fail_current(now, error);
}

// --- MTU (Core 5.4 Vol 3 Part G 4.3.1, Part F 3.4.2) -------------------------

void Client::on_mtu_response(TimePoint now, MtuProc& p, const att::Pdu& pdu) {
  if (auto* e = std::get_if<att::ErrorResponse>(&pdu))
    return complete<uint16_t>(now, p.done, sable::fail(ClientError::att(e->error, e->handle)));
  const auto* r = std::get_if<att::ExchangeMtuResponse>(&pdu);
  if (!r) return invalid(now, "not an Exchange MTU Response");
  // ATT_MTU = min(Client Rx MTU, Server Rx MTU), never below the default.
  if (r->server_rx_mtu < att::kDefaultMtu)
    SABLE_LOG_WARN("gatt client: conn %u Server Rx MTU %u below 23", conn_id_, r->server_rx_mtu);
  mtu_ = std::max(std::min(r->server_rx_mtu, max_mtu_), att::kDefaultMtu);
  complete<uint16_t>(now, p.done, mtu_);
}

// --- Primary services (Core 5.4 Vol 3 Part G 4.4.1, 4.4.2) ---------------------

void Client::start_services(TimePoint now, ServiceProc& p) {
  std::array<uint8_t, att::kMaxMtu> buf;
  ByteWriter w(MutableBytes(buf.data(), mtu_));
  if (p.uuid) {
    uint8_t value[16];
    const size_t n = p.uuid->write_att(value);
    att::write_find_by_type_value_request(w, p.next, 0xFFFF, kPrimaryServiceType, Bytes(value, n));
  } else {
    att::write_read_by_type_request(w, Opcode::kReadByGroupTypeRequest, p.next, 0xFFFF,
                                    kPrimaryService);
  }
  send_request(now, w);
}

void Client::on_services_response(TimePoint now, ServiceProc& p, const att::Pdu& pdu) {
  if (auto* e = std::get_if<att::ErrorResponse>(&pdu)) {
    // Attribute Not Found ends the procedure (4.4.1, 4.4.2).
    if (e->error == AttErrorCode::kAttributeNotFound)
      return complete<std::vector<ServiceInfo>>(now, p.done, std::move(p.found));
    return complete<std::vector<ServiceInfo>>(now, p.done,
                                              sable::fail(ClientError::att(e->error, e->handle)));
  }
  // Every group must start at or after the cursor and end at or after its
  // start, so the cursor strictly increases and the loop ends.
  uint32_t cursor = p.next;
  auto add = [&](uint16_t start, uint16_t end, const Uuid& uuid) {
    if (start < cursor || end < start) return false;
    p.found.push_back(ServiceInfo{start, end, uuid});
    cursor = uint32_t(end) + 1;
    return true;
  };
  if (p.uuid) {
    const auto* r = std::get_if<att::FindByTypeValueResponse>(&pdu);
    if (!r || r->handles_info.empty() || r->handles_info.size() % 4 != 0)
      return invalid(now, "malformed Find By Type Value Response");
    for (size_t i = 0; i < r->handles_info.size(); i += 4) {
      ByteReader rd(r->handles_info.subspan(i, 4));
      const uint16_t start = rd.le16();
      const uint16_t end = rd.le16();
      if (!add(start, end, *p.uuid)) return invalid(now, "service handles not increasing");
    }
  } else {
    const auto* r = std::get_if<att::ReadByGroupTypeResponse>(&pdu);
    // Length: 2 + 2 + a 16- or 128-bit UUID.
    if (!r || (r->length != 6 && r->length != 20) || r->data.empty() ||
        r->data.size() % r->length != 0)
      return invalid(now, "malformed Read By Group Type Response");
    for (size_t i = 0; i < r->data.size(); i += r->length) {
      ByteReader rd(r->data.subspan(i, r->length));
      const uint16_t start = rd.le16();
      const uint16_t end = rd.le16();
      const auto uuid = Uuid::from_wire(rd.rest());
      if (!uuid) return invalid(now, "bad service UUID");
      if (!add(start, end, *uuid)) return invalid(now, "service handles not increasing");
    }
  }
  if (cursor > 0xFFFF) return complete<std::vector<ServiceInfo>>(now, p.done, std::move(p.found));
  p.next = uint16_t(cursor);
  start_services(now, p);
}

// --- Characteristics (Core 5.4 Vol 3 Part G 4.6.1) ----------------------------

void Client::start_characteristics(TimePoint now, CharacteristicProc& p) {
  if (p.next > p.end)
    return complete<std::vector<CharacteristicInfo>>(now, p.done, std::move(p.found));
  std::array<uint8_t, att::kMaxMtu> buf;
  ByteWriter w(MutableBytes(buf.data(), mtu_));
  att::write_read_by_type_request(w, Opcode::kReadByTypeRequest, p.next, p.end, kCharacteristic);
  send_request(now, w);
}

void Client::on_characteristics_response(TimePoint now, CharacteristicProc& p,
                                         const att::Pdu& pdu) {
  if (auto* e = std::get_if<att::ErrorResponse>(&pdu)) {
    if (e->error == AttErrorCode::kAttributeNotFound)
      return complete<std::vector<CharacteristicInfo>>(now, p.done, std::move(p.found));
    return complete<std::vector<CharacteristicInfo>>(
        now, p.done, sable::fail(ClientError::att(e->error, e->handle)));
  }
  const auto* r = std::get_if<att::ReadByTypeResponse>(&pdu);
  // Length: handle (2) + properties (1) + value handle (2) + 16- or 128-bit UUID.
  if (!r || (r->length != 7 && r->length != 21) || r->data.empty() ||
      r->data.size() % r->length != 0)
    return invalid(now, "malformed Read By Type Response");
  uint32_t cursor = p.next;
  for (size_t i = 0; i < r->data.size(); i += r->length) {
    ByteReader rd(r->data.subspan(i, r->length));
    const uint16_t declaration = rd.le16();
    const uint8_t properties = rd.u8();
    const uint16_t value = rd.le16();
    const auto uuid = Uuid::from_wire(rd.rest());
    if (!uuid) return invalid(now, "bad characteristic UUID");
    // Vol 3 Part G 3.3.1: the value follows its declaration, inside the range.
    if (declaration < cursor || declaration > p.end || value <= declaration || value > p.end)
      return invalid(now, "characteristic handles out of range or not increasing");
    p.found.push_back(CharacteristicInfo{declaration, properties, value, *uuid});
    cursor = uint32_t(declaration) + 1;
  }
  if (cursor > p.end)
    return complete<std::vector<CharacteristicInfo>>(now, p.done, std::move(p.found));
  p.next = uint16_t(cursor);
  start_characteristics(now, p);
}

// --- Descriptors (Core 5.4 Vol 3 Part G 4.7.1) --------------------------------

void Client::start_descriptors(TimePoint now, DescriptorProc& p) {
  if (p.next > p.end) return complete<std::vector<DescriptorInfo>>(now, p.done, std::move(p.found));
  std::array<uint8_t, att::kMaxMtu> buf;
  ByteWriter w(MutableBytes(buf.data(), mtu_));
  att::write_find_information_request(w, p.next, p.end);
  send_request(now, w);
}

void Client::on_descriptors_response(TimePoint now, DescriptorProc& p, const att::Pdu& pdu) {
  if (auto* e = std::get_if<att::ErrorResponse>(&pdu)) {
    if (e->error == AttErrorCode::kAttributeNotFound)
      return complete<std::vector<DescriptorInfo>>(now, p.done, std::move(p.found));
    return complete<std::vector<DescriptorInfo>>(
        now, p.done, sable::fail(ClientError::att(e->error, e->handle)));
  }
  const auto* r = std::get_if<att::FindInformationResponse>(&pdu);
  // Format 0x01: handle + 16-bit UUID; 0x02: handle + 128-bit UUID (Part F 3.4.3.2).
  const size_t unit = !r ? 0 : r->format == 0x01 ? 4 : r->format == 0x02 ? 18 : 0;
  if (unit == 0 || r->data.empty() || r->data.size() % unit != 0)
    return invalid(now, "malformed Find Information Response");
  uint32_t cursor = p.next;
  for (size_t i = 0; i < r->data.size(); i += unit) {
    ByteReader rd(r->data.subspan(i, unit));
    const uint16_t handle = rd.le16();
    const auto uuid = Uuid::from_wire(rd.rest());
    if (!uuid) return invalid(now, "bad descriptor UUID");
    if (handle < cursor || handle > p.end)
      return invalid(now, "descriptor handles out of range or not increasing");
    p.found.push_back(DescriptorInfo{handle, *uuid});
    cursor = uint32_t(handle) + 1;
  }
  if (cursor > p.end) return complete<std::vector<DescriptorInfo>>(now, p.done, std::move(p.found));
  p.next = uint16_t(cursor);
  start_descriptors(now, p);
}

// --- Reads (Core 5.4 Vol 3 Part G 4.8.1, 4.8.3) -------------------------------

void Client::send_read_blob(TimePoint now, ReadProc& p) {
  std::array<uint8_t, 5> buf;
  ByteWriter w(buf);
  att::write_read_blob_request(w, p.handle, uint16_t(p.value.size()));
  send_request(now, w);
}

void Client::on_read_response(TimePoint now, ReadProc& p, const att::Pdu& pdu) {
  if (auto* e = std::get_if<att::ErrorResponse>(&pdu)) {
    // A Read Blob answered Attribute Not Long: the value read so far is all of it.
    if (!p.value.empty() && e->error == AttErrorCode::kAttributeNotLong)
      return complete<std::vector<uint8_t>>(now, p.done, std::move(p.value));
    return complete<std::vector<uint8_t>>(now, p.done,
                                          sable::fail(ClientError::att(e->error, e->handle)));
  }
  Bytes part;
  if (const auto* r = std::get_if<att::ReadResponse>(&pdu))
    part = r->value;
  else if (const auto* b = std::get_if<att::ReadBlobResponse>(&pdu))
    part = b->value;
  else
    return invalid(now, "not a Read (Blob) Response");
  // Core 5.4 Vol 3 Part F 3.2.9: no attribute value is longer than 512 octets.
  if (p.value.size() + part.size() > att::kMaxValueLength)
    return invalid(now, "value longer than 512 octets");
  p.value.insert(p.value.end(), part.begin(), part.end());
  // A response that filled ATT_MTU - 1 octets may have been cut: read on.
  if (part.size() == size_t(mtu_ - 1) && p.value.size() < att::kMaxValueLength)
    return send_read_blob(now, p);
  complete<std::vector<uint8_t>>(now, p.done, std::move(p.value));
}

// --- Writes (Core 5.4 Vol 3 Part G 4.9.3, 4.9.4, 4.9.5) ------------------------

void Client::start_write(TimePoint now, WriteProc& p) {
  if (!p.long_write && p.value.size() > size_t(mtu_ - 3)) p.long_write = true;
  if (p.long_write) return send_prepare(now, p);
  std::array<uint8_t, att::kMaxMtu> buf;
  ByteWriter w(MutableBytes(buf.data(), mtu_));
  att::write_handle_value(w, Opcode::kWriteRequest, p.handle, p.value);
  send_request(now, w);
}

void Client::send_prepare(TimePoint now, WriteProc& p) {
  // Part F 3.4.6.1: opcode, handle and offset leave ATT_MTU - 5 octets of value.
  p.segment = uint16_t(std::min(p.value.size() - p.offset, size_t(mtu_ - 5)));
  std::array<uint8_t, att::kMaxMtu> buf;
  ByteWriter w(MutableBytes(buf.data(), mtu_));
  att::write_prepare_write(w, Opcode::kPrepareWriteRequest, p.handle, p.offset,
                           Bytes(p.value).subspan(p.offset, p.segment));
  send_request(now, w);
}

void Client::send_execute(TimePoint now, uint8_t flags) {
  std::array<uint8_t, 2> buf;
  ByteWriter w(buf);
  att::write_execute_write_request(w, flags);
  send_request(now, w);
}

void Client::on_write_response(TimePoint now, WriteProc& p, const att::Pdu& pdu) {
  const auto* e = std::get_if<att::ErrorResponse>(&pdu);
  auto finish = [&](ClientResult<void> result) {
    if (!result.ok() && p.subscription != 0) remove_subscription(p.subscription);
    complete<void>(now, p.done, std::move(result));
  };
  if (p.cancel_error) {
    // The cancel's answer, whatever it is, ends the procedure with the first error.
    const ClientError error = *p.cancel_error;
    return finish(sable::fail(error));
  }
  if (e) {
    const ClientError error = ClientError::att(e->error, e->handle);
    if (p.long_write && p.prepared && !p.executing) {
      p.cancel_error = error;
      return send_execute(now, kCancelAllPreparedWrites);
    }
    return finish(sable::fail(error));
  }
  if (!p.long_write) {
    if (!std::holds_alternative<att::WriteResponse>(pdu))
      return invalid(now, "not a Write Response");
    return finish({});
  }
  if (p.executing) {
    if (!std::holds_alternative<att::ExecuteWriteResponse>(pdu))
      return invalid(now, "not an Execute Write Response");
    return finish({});
  }
  const auto* r = std::get_if<att::PrepareWriteResponse>(&pdu);
  if (!r) return invalid(now, "not a Prepare Write Response");
  p.prepared = true;  // the segment may now sit in the server's queue
  // Part F 3.4.6.2: the response echoes handle, offset and value.
  const Bytes sent = Bytes(p.value).subspan(p.offset, p.segment);
  if (r->handle != p.handle || r->offset != p.offset || !equal(r->value, sent))
    return invalid(now, "Prepare Write Response does not echo the request");
  p.offset = uint16_t(p.offset + p.segment);
  if (p.offset < p.value.size()) return send_prepare(now, p);
  p.executing = true;
  send_execute(now, kWriteAllPreparedWrites);
}

}  // namespace sable::gatt
