// The GATT client's core: construction, the procedure queue (one outstanding
// request, Core 5.4 Vol 3 Part F 3.3.2), what the bearer delivers, the MTU
// exchange and notifications. Discovery: client_discovery.cpp; reads, writes
// and subscriptions: client_read_write.cpp.
#include <algorithm>
#include <array>
#include <type_traits>

#include "common/log.hpp"
#include "gatt/client.hpp"

namespace sable::gatt {

using att::Opcode;

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

Client::Client(att::Bearer& bearer) : bearer_(bearer), conn_id_(bearer.conn_id()) {
  bearer_.attach(static_cast<att::ClientRole*>(this));
}

Client::~Client() {
  bearer_.detach(static_cast<att::ClientRole*>(this));
}

// --- MTU (Core 5.4 Vol 3 Part G 4.3.1, Part F 3.4.2) -------------------------

void Client::exchange_mtu(TimePoint now, uint16_t mtu, Callback<uint16_t> done) {
  // The Client Rx MTU is at least the default (3.4.2.1) and at most what we
  // can receive.
  enqueue(now, MtuProc{std::clamp(mtu, att::kDefaultMtu, bearer_.max_mtu()), std::move(done)});
}

void Client::exchange_mtu(TimePoint now, Callback<uint16_t> done) {
  exchange_mtu(now, bearer_.max_mtu(), std::move(done));
}

void Client::on_mtu_response(TimePoint now, MtuProc& p, const att::Pdu& pdu) {
  if (auto* e = std::get_if<att::ErrorResponse>(&pdu))
    return complete<uint16_t>(now, p.done, sable::fail(ClientError::att(e->error, e->handle)));
  const auto* r = std::get_if<att::ExchangeMtuResponse>(&pdu);
  if (!r) return invalid(now, "not an Exchange MTU Response");
  if (r->server_rx_mtu < att::kDefaultMtu)
    SABLE_LOG_WARN("gatt client: conn %u Server Rx MTU %u below 23", conn_id_, r->server_rx_mtu);
  // The bearer applied min(Client Rx MTU, Server Rx MTU) on receipt.
  complete<uint16_t>(now, p.done, mtu());
}

// --- The queue: one outstanding request (Core 5.4 Vol 3 Part F 3.3.2) ---------

void Client::enqueue(TimePoint now, Procedure p) {
  ClientError refuse{};
  if (!bearer_.open())
    refuse = ClientError::of(ClientError::Kind::kDisconnected);
  else if (queue_.size() >= kMaxQueuedProcedures)
    refuse = ClientError::of(ClientError::Kind::kBusy);
  else {
    queue_.push_back(std::move(p));
    pump(now);
    return;
  }
  fail_procedure(p, refuse);
}

// The one place a procedure's callback hears a failure, whatever its result type.
void Client::fail_procedure(Procedure& proc, ClientError error) {
  std::visit(
      [&](auto& p) {
        auto cb = std::move(p.done);
        if (cb) cb(sable::fail(error));
      },
      proc);
}

void Client::pump(TimePoint now) {
  if (pumping_) return;  // a callback run by start(): the loop below continues
  LifetimeWatch watch(watchers_);
  pumping_ = true;
  while (bearer_.open() && !current_ && !queue_.empty()) {
    current_.emplace(std::move(queue_.front()));
    queue_.pop_front();
    start(now);
    if (watch.ended()) return;  // destroyed by a callback
  }
  pumping_ = false;
}

void Client::start(TimePoint now) {
  Procedure& proc = *current_;
  if (auto* p = std::get_if<MtuProc>(&proc)) {
    // Core 5.4 Vol 3 Part F 3.4.2.1: sent once per connection; 3.4.2.2: an
    // exchange the peer started already fixed ATT_MTU for both directions.
    if (bearer_.mtu_requested() || bearer_.mtu_exchanged())
      return complete<uint16_t>(now, p->done, mtu());
    std::array<uint8_t, 3> buf;
    ByteWriter w(buf);
    att::write_exchange_mtu(w, Opcode::kExchangeMtuRequest, p->mtu);
    return send_request(now, w);
  }
  if (auto* p = std::get_if<ServiceProc>(&proc)) return start_services(now, *p);
  if (auto* p = std::get_if<CharacteristicProc>(&proc)) return start_characteristics(now, *p);
  if (auto* p = std::get_if<DescriptorProc>(&proc)) return start_descriptors(now, *p);
  if (auto* p = std::get_if<ReadProc>(&proc)) return start_read(now, *p);
  if (auto* p = std::get_if<WriteProc>(&proc)) return start_write(now, *p);
}

void Client::send_request(TimePoint now, const ByteWriter& w) {
  if (!w.ok() || w.size() == 0) {
    SABLE_LOG_ERROR("gatt client: conn %u request does not fit ATT_MTU %u", conn_id_, mtu());
    return fail_current(now, ClientError::of(ClientError::Kind::kInvalidParameters));
  }
  // The bearer starts the transaction before the PDU leaves: a peer that
  // answers at once finds it. Nothing here is touched after a send.
  switch (bearer_.send_request(now, w.written())) {
    case att::SendResult::kSent:
      return;
    case att::SendResult::kClosed:
      return fail_current(now, ClientError::of(ClientError::Kind::kDisconnected));
    case att::SendResult::kBusy:
      return fail_current(now, ClientError::of(ClientError::Kind::kBusy));
    default:
      return fail_current(now, ClientError::of(ClientError::Kind::kInvalidParameters));
  }
}

void Client::fail_current(TimePoint now, ClientError error) {
  if (!current_) return;
  if (auto* w = std::get_if<WriteProc>(&*current_); w && w->subscription != 0)
    remove_subscription(w->subscription);
  // As complete(): the state is updated before the callback runs.
  struct Call {
    Procedure proc;
    ClientError error;
  } call{std::move(*current_), error};
  finish(now, &call, [](void* c) {
    auto& k = *static_cast<Call*>(c);
    fail_procedure(k.proc, k.error);
  });
}

void Client::finish(TimePoint now, void* ctx, void (*call)(void*)) {
  current_.reset();
  LifetimeWatch watch(watchers_);
  call(ctx);
  if (watch.ended()) return;
  pump(now);
}

void Client::fail_all(std::optional<Procedure> current, ClientError current_error) {
  std::list<Procedure> queued = std::move(queue_);
  queue_.clear();
  LifetimeWatch watch(watchers_);
  if (current) {
    fail_procedure(*current, current_error);
    if (watch.ended()) return;
  }
  for (Procedure& p : queued) {
    fail_procedure(p, ClientError::of(ClientError::Kind::kDisconnected));
    if (watch.ended()) return;
  }
}

// The bearer closed: after our request's 30 s timeout (Core 5.4 Vol 3 Part F
// 3.3.3) that procedure failed with kTimeout; everything else was cut off.
void Client::on_bearer_closed(att::CloseReason reason) {
  subscriptions_.clear();  // nothing more arrives
  std::optional<Procedure> current = std::move(current_);
  current_.reset();
  fail_all(std::move(current), ClientError::of(reason == att::CloseReason::kRequestTimeout
                                                   ? ClientError::Kind::kTimeout
                                                   : ClientError::Kind::kDisconnected));
}

void Client::on_disconnected() {
  subscriptions_.clear();  // also after a timeout closed the bearer
  bearer_.close();
}

// --- Incoming PDUs -------------------------------------------------------------

void Client::on_server_pdu(TimePoint /*now*/, Bytes pdu) {
  const uint8_t op = pdu[0];
  auto parsed = att::parse_pdu(pdu);
  if (!parsed) {
    SABLE_LOG_WARN("gatt client: conn %u malformed PDU 0x%02x dropped", conn_id_, op);
    return;
  }
  LifetimeWatch watch(watchers_);
  if (auto* n = std::get_if<att::HandleValueNotification>(&*parsed)) {
    // Core 5.4 Vol 3 Part G 4.10.
    deliver(n->handle, n->value, false);
  } else if (auto* i = std::get_if<att::HandleValueIndication>(&*parsed)) {
    // Core 5.4 Vol 3 Part G 4.11 / Part F 3.4.7.2: confirm after delivering,
    // whether or not anyone subscribed (the server waits for it).
    deliver(i->handle, i->value, true);
    if (watch.ended() || !bearer_.open()) return;
    bearer_.send_confirmation();
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
      if (watch.ended() || !bearer_.open()) return;
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

// The bearer matched this PDU to our outstanding request and ended the
// transaction; here it is checked against the procedure.
void Client::on_response(TimePoint now, uint8_t request, Bytes pdu) {
  const uint8_t op = pdu[0];
  if (!current_) {
    SABLE_LOG_WARN("gatt client: conn %u response 0x%02x without a procedure dropped", conn_id_,
                   op);
    return;
  }
  // Core 5.4 Vol 3 Part F 3.2.9: nothing longer than ATT_MTU (attack #9).
  if (pdu.size() > mtu()) return invalid(now, "response above ATT_MTU");
  auto parsed = att::parse_pdu(pdu);
  if (!parsed) return invalid(now, "malformed response");
  // Core 5.4 Vol 3 Part F 3.4.9: each request has one response opcode.
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

}  // namespace sable::gatt
