// GATT client reads, writes and subscriptions (Core 5.4 Vol 3 Part G 4.8 -
// 4.12): Read and Read Long, Write Request / Command / Long, and the CCCD
// writes of subscribe and unsubscribe.
#include <algorithm>
#include <array>

#include "gatt/client.hpp"

namespace sable::gatt {

using att::AttErrorCode;
using att::Opcode;

namespace {

// Core 5.4 Vol 3 Part G 3.3.3.3: Client Characteristic Configuration bits.
constexpr uint16_t kCccdNotifications = 0x0001;
constexpr uint16_t kCccdIndications = 0x0002;

bool equal(Bytes a, Bytes b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

}  // namespace

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
      (mode == WriteMode::kCommand && value.size() > size_t(mtu() - 3))) {
    if (done) done(sable::fail(ClientError::of(ClientError::Kind::kInvalidParameters)));
    return;
  }
  if (mode == WriteMode::kCommand) {
    // Core 5.4 Vol 3 Part G 4.9.1 / Part F 3.4.5.3: no response, no transaction.
    if (!bearer_.open()) {
      if (done) done(sable::fail(ClientError::of(ClientError::Kind::kDisconnected)));
      return;
    }
    std::array<uint8_t, att::kMaxMtu> buf;
    ByteWriter w(MutableBytes(buf.data(), mtu()));
    att::write_handle_value(w, Opcode::kWriteCommand, handle, value);
    Callback<void> cb = std::move(done);
    LifetimeWatch watch(watchers_);
    const att::SendResult sent = bearer_.send_command(w.written());
    if (watch.ended() || !cb) return;
    if (sent == att::SendResult::kSent)
      cb({});
    else
      cb(sable::fail(ClientError::of(ClientError::Kind::kDisconnected)));
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
  if (!bearer_.open()) {
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

// --- Reads (Core 5.4 Vol 3 Part G 4.8.1, 4.8.3) -------------------------------

void Client::start_read(TimePoint now, ReadProc& p) {
  std::array<uint8_t, 3> buf;
  ByteWriter w(buf);
  att::write_read_request(w, p.handle);  // Core 5.4 Vol 3 Part G 4.8.1
  send_request(now, w);
}

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
  if (part.size() == size_t(mtu() - 1) && p.value.size() < att::kMaxValueLength)
    return send_read_blob(now, p);
  complete<std::vector<uint8_t>>(now, p.done, std::move(p.value));
}

// --- Writes (Core 5.4 Vol 3 Part G 4.9.3, 4.9.4, 4.9.5) ------------------------

void Client::start_write(TimePoint now, WriteProc& p) {
  if (!p.long_write && p.value.size() > size_t(mtu() - 3)) p.long_write = true;
  if (p.long_write) return send_prepare(now, p);
  std::array<uint8_t, att::kMaxMtu> buf;
  ByteWriter w(MutableBytes(buf.data(), mtu()));
  att::write_handle_value(w, Opcode::kWriteRequest, p.handle, p.value);
  send_request(now, w);
}

void Client::send_prepare(TimePoint now, WriteProc& p) {
  // Part F 3.4.6.1: opcode, handle and offset leave ATT_MTU - 5 octets of value.
  p.segment = uint16_t(std::min(p.value.size() - p.offset, size_t(mtu() - 5)));
  std::array<uint8_t, att::kMaxMtu> buf;
  ByteWriter w(MutableBytes(buf.data(), mtu()));
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
