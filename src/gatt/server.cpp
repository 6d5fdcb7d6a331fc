#include "gatt/server.hpp"

#include <algorithm>
#include <cstring>

#include "common/log.hpp"

namespace sable::gatt {

using att::AttErrorCode;
using att::Opcode;

namespace {

// Client Supported Features bits we know (Core 5.4 Vol 3 Part G 7.2, Table 7.6):
// Robust Caching, Enhanced ATT bearer, Multiple Handle Value Notifications.
constexpr uint8_t kKnownClientFeatures = 0x07;

// Core 5.4 Vol 3 Part F 3.4.3.1 (and 3.4.3.3, 3.4.4.1, 3.4.4.9): a range
// starting at 0x0000 or ending before it starts is an Invalid Handle.
bool valid_range(uint16_t start, uint16_t end) {
  return start != 0 && start <= end;
}

uint8_t cccd_bits(uint8_t properties) {
  return uint8_t(((properties & prop::kNotify) ? kCccdNotify : 0) |
                 ((properties & prop::kIndicate) ? kCccdIndicate : 0));
}

}  // namespace

const char* to_string(ValueSendResult r) {
  switch (r) {
    case ValueSendResult::kSent:
      return "sent";
    case ValueSendResult::kNotSubscribed:
      return "not subscribed";
    case ValueSendResult::kNoCccd:
      return "no CCCD";
    case ValueSendResult::kLinkNotSecure:
      return "link not secure";
    case ValueSendResult::kTooLong:
      return "too long";
    case ValueSendResult::kIndicationPending:
      return "indication pending";
    case ValueSendResult::kOutOfBuffers:
      return "out of buffers";
    case ValueSendResult::kNotConnected:
      return "not connected";
  }
  return "?";
}

// Routes each parsed PDU to its handler. The bearer keeps Exchange MTU,
// confirmations and everything client-bound; anything else is dropped.
struct Server::Dispatch {
  Server& s;
  void operator()(const att::FindInformationRequest& r) { s.on_find_information(r); }
  void operator()(const att::FindByTypeValueRequest& r) { s.on_find_by_type_value(r); }
  void operator()(const att::ReadByTypeRequest& r) { s.on_read_by_type(r); }
  void operator()(const att::ReadRequest& r) { s.on_read(r); }
  void operator()(const att::ReadBlobRequest& r) { s.on_read_blob(r); }
  void operator()(const att::ReadMultipleRequest& r) { s.on_read_multiple(r.handles, false); }
  void operator()(const att::ReadMultipleVariableRequest& r) {
    s.on_read_multiple(r.handles, true);
  }
  void operator()(const att::ReadByGroupTypeRequest& r) { s.on_read_by_group_type(r); }
  void operator()(const att::WriteRequest& r) { s.on_write(r); }
  void operator()(const att::WriteCommand& c) { s.on_write_command(c); }
  void operator()(const att::PrepareWriteRequest& r) { s.on_prepare_write(r); }
  void operator()(const att::ExecuteWriteRequest& r) { s.on_execute_write(r); }
  void operator()(const att::SignedWriteCommand& c) {
    // Signed writes are not supported: a command is never answered, so drop it.
    SABLE_LOG_DEBUG("att: conn %u signed write to 0x%04x dropped", s.conn_id_, c.handle);
  }
  template <class T>
  void operator()(const T&) {
    SABLE_LOG_DEBUG("att: conn %u client-role PDU dropped by the server", s.conn_id_);
  }
};

Server::Server(Database& db, att::Bearer& bearer)
    : db_(db), bearer_(bearer), conn_id_(bearer.conn_id()) {
  bearer_.attach(static_cast<att::ServerRole*>(this));
}

Server::~Server() {
  bearer_.detach(static_cast<att::ServerRole*>(this));
}

void Server::on_request(TimePoint /*now*/, Bytes pdu) {
  const uint8_t op = pdu[0];
  auto parsed = att::parse_pdu(pdu);
  if (!parsed) {
    if (att::is_command(op)) {
      // Core 5.4 Vol 3 Part F 3.3: a malformed command is ignored.
      SABLE_LOG_DEBUG("att: conn %u command 0x%02x ignored", conn_id_, op);
      return;
    }
    // Core 5.4 Vol 3 Part F 3.4.1.1: Invalid PDU, handle 0x0000.
    return send_error(op, 0x0000, AttErrorCode::kInvalidPdu);
  }
  std::visit(Dispatch{*this}, *parsed);
}

void Server::send(const ByteWriter& w) {
  if (!w.ok()) {
    SABLE_LOG_ERROR("att: conn %u response overflow", conn_id_);
    return;
  }
  bearer_.send_response(w.written());
}

void Server::send_error(uint8_t request_opcode, uint16_t handle, AttErrorCode code) {
  std::array<uint8_t, 5> buf;
  ByteWriter w(buf);
  att::write_error_response(w, request_opcode, handle, code);
  SABLE_LOG_DEBUG("att: conn %u op 0x%02x handle 0x%04x -> %s", conn_id_, request_opcode, handle,
                  att::to_string(code));
  send(w);
}

bool Server::authorize(const Attribute& a, Op op) {
  const Callbacks* cb = db_.callbacks(a);
  if (a.kind == AttributeKind::kCccd) {
    // A CCCD is authorized by its characteristic's hook.
    if (const auto* ch = db_.characteristic_of(a)) cb = db_.callbacks(*db_.find(ch->value_handle));
  }
  return cb && cb->authorize && cb->authorize(conn_id_, op);
}

Server::Error Server::read_attribute(const Attribute& a, Bytes& out) {
  if (auto err = check_access_with(a.access.read, link_, Op::kRead,
                                   [&] { return authorize(a, Op::kRead); }))
    return err;
  switch (a.kind) {
    case AttributeKind::kCccd: {
      put_le16(scratch_.data(), cccds_[db_.characteristic_of(a)->cccd_index]);
      out = Bytes(scratch_.data(), 2);
      return std::nullopt;
    }
    case AttributeKind::kClientSupportedFeatures:
      scratch_[0] = client_features_;
      out = Bytes(scratch_.data(), 1);
      return std::nullopt;
    default:
      break;
  }
  const Callbacks* cb = db_.callbacks(a);
  if (cb && cb->on_read) {
    AttributeValue v = db_.mutable_value(a);
    if (auto err = cb->on_read(conn_id_, v)) return err;
  }
  out = db_.value(a);
  return std::nullopt;
}

Server::Error Server::check_write(const Attribute& a, Bytes value) {
  if (auto err = check_access_with(a.access.write, link_, Op::kWrite,
                                   [&] { return authorize(a, Op::kWrite); }))
    return err;
  switch (a.kind) {
    case AttributeKind::kCccd: {
      // Core 5.4 Vol 3 Part G 3.3.3.3: two octets; only bits the characteristic supports.
      if (value.size() != 2) return AttErrorCode::kInvalidAttributeValueLength;
      const uint16_t v = get_le16(value.data());
      if (v & ~cccd_bits(db_.characteristic_of(a)->properties))
        return AttErrorCode::kValueNotAllowed;
      return std::nullopt;
    }
    case AttributeKind::kClientSupportedFeatures:
      // Core 5.4 Vol 3 Part G 7.2: a client shall not clear a bit it has set.
      if (value.empty()) return AttErrorCode::kInvalidAttributeValueLength;
      if (client_features_ & ~(value[0] & kKnownClientFeatures))
        return AttErrorCode::kValueNotAllowed;
      return std::nullopt;
    default:
      break;
  }
  if (value.size() > a.max_length || (a.fixed_length && value.size() != a.max_length))
    return AttErrorCode::kInvalidAttributeValueLength;
  const Callbacks* cb = db_.callbacks(a);
  if (cb && cb->on_write) return cb->on_write(conn_id_, value);
  return std::nullopt;
}

void Server::store_write(const Attribute& a, Bytes value) {
  switch (a.kind) {
    case AttributeKind::kCccd: {
      const Characteristic* ch = db_.characteristic_of(a);
      const uint16_t v = get_le16(value.data());
      uint16_t& slot = cccds_[ch->cccd_index];
      const bool changed = slot != v;
      slot = v;
      if (changed) ++client_state_generation_;
      if (changed && ch->on_subscribe && *ch->on_subscribe) (*ch->on_subscribe)(conn_id_, v);
      return;
    }
    case AttributeKind::kClientSupportedFeatures:
      client_features_ = uint8_t(client_features_ | (value[0] & kKnownClientFeatures));
      ++client_state_generation_;
      return;
    default: {
      AttributeValue v = db_.mutable_value(a);
      if (!v.set(value)) SABLE_LOG_ERROR("gatt: value of 0x%04x not stored", a.handle);
      return;
    }
  }
}

// Core 5.4 Vol 3 Part F 3.4.3.1 / 3.4.3.2.
void Server::on_find_information(const att::FindInformationRequest& r) {
  const uint8_t op = uint8_t(Opcode::kFindInformationRequest);
  if (!valid_range(r.start_handle, r.end_handle))
    return send_error(op, r.start_handle, AttErrorCode::kInvalidHandle);
  std::array<uint8_t, att::kMaxMtu> buf;
  ByteWriter w(MutableBytes(buf.data(), mtu()));
  w.u8(uint8_t(Opcode::kFindInformationResponse));
  size_t format_size = 0;
  const uint16_t last = std::min(r.end_handle, db_.last_handle());
  for (uint32_t h = r.start_handle; h <= last; ++h) {
    const Attribute& a = *db_.find(uint16_t(h));
    const size_t size = a.type.att_size();
    if (format_size == 0) {
      format_size = size;
      w.u8(size == 2 ? 0x01 : 0x02);  // Format: 16-bit or 128-bit UUIDs
    } else if (size != format_size) {
      break;  // one format per response
    }
    if (w.room() < 2 + size) break;
    uint8_t uuid[16];
    a.type.write_att(uuid);
    w.le16(a.handle).bytes(Bytes(uuid, size));
  }
  if (format_size == 0) return send_error(op, r.start_handle, AttErrorCode::kAttributeNotFound);
  send(w);
}

// Core 5.4 Vol 3 Part F 3.4.3.3 / 3.4.3.4.
void Server::on_find_by_type_value(const att::FindByTypeValueRequest& r) {
  const uint8_t op = uint8_t(Opcode::kFindByTypeValueRequest);
  if (!valid_range(r.start_handle, r.end_handle))
    return send_error(op, r.start_handle, AttErrorCode::kInvalidHandle);
  std::array<uint8_t, att::kMaxMtu> buf;
  ByteWriter w(MutableBytes(buf.data(), mtu()));
  w.u8(uint8_t(Opcode::kFindByTypeValueResponse));
  bool found = false;
  const uint16_t last = std::min(r.end_handle, db_.last_handle());
  for (uint32_t h = r.start_handle; h <= last && w.room() >= 4; ++h) {
    const Attribute& a = *db_.find(uint16_t(h));
    if (!a.type.is16() || a.type.as16() != r.type) continue;
    Bytes value;
    if (read_attribute(a, value)) continue;  // only readable values are compared
    if (!std::equal(value.begin(), value.end(), r.value.begin(), r.value.end())) continue;
    w.le16(a.handle).le16(a.end_group_handle);
    found = true;
  }
  if (!found) return send_error(op, r.start_handle, AttErrorCode::kAttributeNotFound);
  send(w);
}

// Core 5.4 Vol 3 Part F 3.4.4.1 / 3.4.4.2.
void Server::on_read_by_type(const att::ReadByTypeRequest& r) {
  const uint8_t op = uint8_t(Opcode::kReadByTypeRequest);
  if (!valid_range(r.start_handle, r.end_handle))
    return send_error(op, r.start_handle, AttErrorCode::kInvalidHandle);
  std::array<uint8_t, att::kMaxMtu> buf;
  ByteWriter w(MutableBytes(buf.data(), mtu()));
  w.u8(uint8_t(Opcode::kReadByTypeResponse)).u8(0);  // Length, patched below
  size_t value_size = 0;
  size_t count = 0;
  // Each value is at most min(ATT_MTU - 4, 253) octets.
  const size_t cap = std::min<size_t>(mtu() - 4, 253);
  const uint16_t last = std::min(r.end_handle, db_.last_handle());
  for (uint32_t h = r.start_handle; h <= last; ++h) {
    const Attribute& a = *db_.find(uint16_t(h));
    if (!(a.type == r.type)) continue;
    Bytes value;
    if (auto err = read_attribute(a, value)) {
      // The first match's error is the answer; a later one ends the list.
      if (count == 0) return send_error(op, a.handle, *err);
      break;
    }
    const size_t n = std::min(value.size(), cap);
    if (count == 0) {
      value_size = n;
    } else if (n != value_size || w.room() < 2 + n) {
      break;  // every pair has the same length
    }
    w.le16(a.handle).bytes(value.first(n));
    ++count;
  }
  if (count == 0) return send_error(op, r.start_handle, AttErrorCode::kAttributeNotFound);
  buf[1] = uint8_t(2 + value_size);
  send(w);
}

// Core 5.4 Vol 3 Part F 3.4.4.3 / 3.4.4.4.
void Server::on_read(const att::ReadRequest& r) {
  const uint8_t op = uint8_t(Opcode::kReadRequest);
  const Attribute* a = db_.find(r.handle);
  if (!a) return send_error(op, r.handle, AttErrorCode::kInvalidHandle);
  Bytes value;
  if (auto err = read_attribute(*a, value)) return send_error(op, r.handle, *err);
  std::array<uint8_t, att::kMaxMtu> buf;
  ByteWriter w(MutableBytes(buf.data(), mtu()));
  w.u8(uint8_t(Opcode::kReadResponse))
      .bytes(value.first(std::min<size_t>(value.size(), mtu() - 1)));
  send(w);
}

// Core 5.4 Vol 3 Part F 3.4.4.5 / 3.4.4.6.
void Server::on_read_blob(const att::ReadBlobRequest& r) {
  const uint8_t op = uint8_t(Opcode::kReadBlobRequest);
  const Attribute* a = db_.find(r.handle);
  if (!a) return send_error(op, r.handle, AttErrorCode::kInvalidHandle);
  Bytes value;
  if (auto err = read_attribute(*a, value)) return send_error(op, r.handle, *err);
  // "If the Value Offset ... is greater than the length of the attribute value,
  // an Error Response shall be sent with the Error Code set to Invalid Offset."
  if (r.offset > value.size()) return send_error(op, r.handle, AttErrorCode::kInvalidOffset);
  // A fixed-length value that fits a Read Response is not long (sent only
  // when a client asks past offset 0; the spec makes this error optional).
  if (r.offset > 0 && a->fixed_length && value.size() <= size_t(mtu() - 1))
    return send_error(op, r.handle, AttErrorCode::kAttributeNotLong);
  const Bytes rest = value.subspan(r.offset);
  std::array<uint8_t, att::kMaxMtu> buf;
  ByteWriter w(MutableBytes(buf.data(), mtu()));
  w.u8(uint8_t(Opcode::kReadBlobResponse))
      .bytes(rest.first(std::min<size_t>(rest.size(), mtu() - 1)));
  send(w);
}

// Core 5.4 Vol 3 Part F 3.4.4.7 / 3.4.4.8 and 3.4.4.11 / 3.4.4.12.
void Server::on_read_multiple(Bytes handles, bool variable) {
  const uint8_t op =
      uint8_t(variable ? Opcode::kReadMultipleVariableRequest : Opcode::kReadMultipleRequest);
  std::array<uint8_t, att::kMaxMtu> buf;
  ByteWriter w(MutableBytes(buf.data(), mtu()));
  w.u8(uint8_t(variable ? Opcode::kReadMultipleVariableResponse : Opcode::kReadMultipleResponse));
  for (size_t i = 0; i + 1 < handles.size(); i += 2) {
    const uint16_t h = get_le16(&handles[i]);
    const Attribute* a = db_.find(h);
    if (!a) return send_error(op, h, AttErrorCode::kInvalidHandle);
    Bytes value;
    if (auto err = read_attribute(*a, value)) return send_error(op, h, *err);
    // The response is cut at ATT_MTU - 1 octets of values; every handle is still checked.
    if (variable) {
      if (w.room() >= 2)
        w.le16(uint16_t(value.size()));
      else
        continue;
    }
    w.bytes(value.first(std::min(value.size(), w.room())));
  }
  send(w);
}

// Core 5.4 Vol 3 Part F 3.4.4.9 / 3.4.4.10.
void Server::on_read_by_group_type(const att::ReadByGroupTypeRequest& r) {
  const uint8_t op = uint8_t(Opcode::kReadByGroupTypeRequest);
  if (!valid_range(r.start_handle, r.end_handle))
    return send_error(op, r.start_handle, AttErrorCode::kInvalidHandle);
  // Core 5.4 Vol 3 Part G 2.5.3: only service declarations group attributes.
  if (!(r.group_type == uuids::kPrimaryService || r.group_type == uuids::kSecondaryService))
    return send_error(op, r.start_handle, AttErrorCode::kUnsupportedGroupType);
  std::array<uint8_t, att::kMaxMtu> buf;
  ByteWriter w(MutableBytes(buf.data(), mtu()));
  w.u8(uint8_t(Opcode::kReadByGroupTypeResponse)).u8(0);  // Length, patched below
  size_t value_size = 0;
  size_t count = 0;
  const size_t cap = std::min<size_t>(mtu() - 6, 251);
  const uint16_t last = std::min(r.end_handle, db_.last_handle());
  for (uint32_t h = r.start_handle; h <= last; ++h) {
    const Attribute& a = *db_.find(uint16_t(h));
    if (!(a.type == r.group_type)) continue;
    Bytes value;
    if (auto err = read_attribute(a, value)) {
      if (count == 0) return send_error(op, a.handle, *err);
      break;
    }
    const size_t n = std::min(value.size(), cap);
    if (count == 0) {
      value_size = n;
    } else if (n != value_size || w.room() < 4 + n) {
      break;
    }
    w.le16(a.handle).le16(a.end_group_handle).bytes(value.first(n));
    ++count;
  }
  if (count == 0) return send_error(op, r.start_handle, AttErrorCode::kAttributeNotFound);
  buf[1] = uint8_t(4 + value_size);
  send(w);
}

// Core 5.4 Vol 3 Part F 3.4.5.1 / 3.4.5.2.
void Server::on_write(const att::WriteRequest& r) {
  const uint8_t op = uint8_t(Opcode::kWriteRequest);
  const Attribute* a = db_.find(r.handle);
  if (!a) return send_error(op, r.handle, AttErrorCode::kInvalidHandle);
  if (auto err = check_write(*a, r.value)) return send_error(op, r.handle, *err);
  store_write(*a, r.value);
  std::array<uint8_t, 1> buf;
  ByteWriter w(buf);
  att::write_opcode_only(w, Opcode::kWriteResponse);
  send(w);
}

// Core 5.4 Vol 3 Part F 3.4.5.3: never answered; refused writes are dropped.
void Server::on_write_command(const att::WriteCommand& c) {
  const Attribute* a = db_.find(c.handle);
  if (!a) return;
  if (auto err = check_write(*a, c.value)) {
    SABLE_LOG_DEBUG("att: conn %u write command to 0x%04x dropped: %s", conn_id_, c.handle,
                    att::to_string(*err));
    return;
  }
  store_write(*a, c.value);
}

// Core 5.4 Vol 3 Part F 3.4.6.1 / 3.4.6.2.
void Server::on_prepare_write(const att::PrepareWriteRequest& r) {
  const uint8_t op = uint8_t(Opcode::kPrepareWriteRequest);
  const Attribute* a = db_.find(r.handle);
  if (!a) return send_error(op, r.handle, AttErrorCode::kInvalidHandle);
  // Permissions at prepare time (and again at execute); offsets and lengths at execute.
  if (auto err = check_access_with(a->access.write, link_, Op::kWrite,
                                   [&] { return authorize(*a, Op::kWrite); }))
    return send_error(op, r.handle, *err);
  if (prepared_count_ == kMaxPreparedWrites || prepared_bytes_ + r.value.size() > kMaxPreparedBytes)
    return send_error(op, r.handle, AttErrorCode::kPrepareQueueFull);
  std::copy(r.value.begin(), r.value.end(), prepared_data_.begin() + long(prepared_bytes_));
  prepared_[prepared_count_++] = {r.handle, r.offset, uint16_t(prepared_bytes_),
                                  uint16_t(r.value.size())};
  prepared_bytes_ += r.value.size();
  std::array<uint8_t, att::kMaxMtu> buf;
  ByteWriter w(MutableBytes(buf.data(), mtu()));
  att::write_prepare_write(w, Opcode::kPrepareWriteResponse, r.handle, r.offset, r.value);
  send(w);
}

Server::Error Server::compose_prepared(const Attribute& a,
                                       std::array<uint8_t, att::kMaxValueLength>& buf,
                                       uint16_t& length) const {
  length = 0;
  if (a.kind == AttributeKind::kValue || a.kind == AttributeKind::kDescriptor) {
    const Bytes cur = db_.value(a);
    std::copy(cur.begin(), cur.end(), buf.begin());
    length = uint16_t(cur.size());
  }
  const size_t max = std::min<size_t>(a.max_length, att::kMaxValueLength);
  for (size_t i = 0; i < prepared_count_; ++i) {
    const PreparedWrite& p = prepared_[i];
    if (p.handle != a.handle) continue;
    if (p.offset > length) return AttErrorCode::kInvalidOffset;
    if (size_t(p.offset) + p.length > max) return AttErrorCode::kInvalidAttributeValueLength;
    std::copy_n(prepared_data_.begin() + p.data, p.length, buf.begin() + p.offset);
    length = uint16_t(p.offset + p.length);  // the value ends with the last segment
  }
  return std::nullopt;
}

// Core 5.4 Vol 3 Part F 3.4.6.3 / 3.4.6.4: all queued values are checked
// first (offsets, lengths, permissions, the application), then all written.
void Server::on_execute_write(const att::ExecuteWriteRequest& r) {
  const uint8_t op = uint8_t(Opcode::kExecuteWriteRequest);
  std::array<uint8_t, att::kMaxValueLength> value;
  uint16_t length = 0;
  auto first_of_handle = [this](size_t i) {
    for (size_t j = 0; j < i; ++j)
      if (prepared_[j].handle == prepared_[i].handle) return false;
    return true;
  };
  if (r.flags == 0x01) {
    for (size_t i = 0; i < prepared_count_; ++i) {
      if (!first_of_handle(i)) continue;
      const Attribute& a = *db_.find(prepared_[i].handle);
      Error err = compose_prepared(a, value, length);
      if (!err) err = check_write(a, Bytes(value.data(), length));
      if (err) {
        prepared_count_ = prepared_bytes_ = 0;
        return send_error(op, a.handle, *err);
      }
    }
    for (size_t i = 0; i < prepared_count_; ++i) {
      if (!first_of_handle(i)) continue;
      const Attribute& a = *db_.find(prepared_[i].handle);
      (void)compose_prepared(a, value, length);
      store_write(a, Bytes(value.data(), length));
    }
  }
  prepared_count_ = prepared_bytes_ = 0;  // flags 0x00: cancel all
  std::array<uint8_t, 1> buf;
  ByteWriter w(buf);
  att::write_opcode_only(w, Opcode::kExecuteWriteResponse);
  send(w);
}

ValueSendResult Server::send_value(TimePoint now, Opcode opcode, uint16_t value_handle, Bytes value,
                                   uint16_t bit) {
  if (!bearer_.open()) return ValueSendResult::kNotConnected;
  const Characteristic* ch = db_.characteristic_by_value(value_handle);
  if (!ch || !(cccd_bits(ch->properties) & bit)) return ValueSendResult::kNoCccd;
  if (!(cccds_[ch->cccd_index] & bit)) return ValueSendResult::kNotSubscribed;
  // The value goes out only on a link that meets its read security (attack
  // #21). A value that is never readable (Service Changed) may still be sent.
  const Attribute& a = *db_.find(value_handle);
  Permissions security = a.access.read;
  security.allowed = true;
  if (check_access_with(security, link_, Op::kRead, [&] { return authorize(a, Op::kRead); }))
    return ValueSendResult::kLinkNotSecure;
  // Core 5.4 Vol 3 Part F 3.4.7.1 / 3.4.7.2: opcode, handle, value in ATT_MTU.
  const uint16_t mtu = bearer_.mtu();
  if (value.size() > size_t(mtu - 3)) return ValueSendResult::kTooLong;
  if (bit == kCccdIndicate && bearer_.indication_pending())
    return ValueSendResult::kIndicationPending;
  if (!bearer_.can_send(3 + value.size())) return ValueSendResult::kOutOfBuffers;
  std::array<uint8_t, att::kMaxMtu> buf;
  ByteWriter w(MutableBytes(buf.data(), mtu));
  att::write_handle_value(w, opcode, value_handle, value);
  const att::SendResult sent = bit == kCccdIndicate ? bearer_.send_indication(now, w.written())
                                                    : bearer_.send_notification(w.written());
  return sent == att::SendResult::kSent ? ValueSendResult::kSent : ValueSendResult::kNotConnected;
}

ValueSendResult Server::notify(uint16_t value_handle, Bytes value) {
  // A notification has no transaction: the time is not used.
  return send_value(TimePoint{}, Opcode::kHandleValueNotification, value_handle, value,
                    kCccdNotify);
}

ValueSendResult Server::indicate(TimePoint now, uint16_t value_handle, Bytes value) {
  return send_value(now, Opcode::kHandleValueIndication, value_handle, value, kCccdIndicate);
}

ClientState Server::client_state() const {
  ClientState s;
  for (const auto& ch : db_.characteristics())
    if (ch.cccd_handle != 0 && cccds_[ch.cccd_index] != 0)
      s.cccds.push_back({ch.cccd_handle, cccds_[ch.cccd_index]});
  s.client_supported_features = client_features_;
  return s;
}

void Server::restore_client_state(const ClientState& state) {
  for (const auto& e : state.cccds) {
    const Attribute* a = db_.find(e.handle);
    if (!a || a->kind != AttributeKind::kCccd) continue;
    const Characteristic* ch = db_.characteristic_of(*a);
    cccds_[ch->cccd_index] = uint16_t(e.value & cccd_bits(ch->properties));
  }
  client_features_ = uint8_t(state.client_supported_features & kKnownClientFeatures);
  ++client_state_generation_;
}

uint16_t Server::cccd_value(uint16_t cccd_handle) const {
  const Attribute* a = db_.find(cccd_handle);
  if (!a || a->kind != AttributeKind::kCccd) return 0;
  return cccds_[db_.characteristic_of(*a)->cccd_index];
}

}  // namespace sable::gatt
