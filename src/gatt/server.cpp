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

Server::Server(Database& db, att::Bearer& bearer)
    : db_(db), bearer_(bearer), conn_id_(bearer.conn_id()) {
  bearer_.attach(static_cast<att::ServerRole*>(this));
}

Server::~Server() {
  bearer_.detach(static_cast<att::ServerRole*>(this));
}

void Server::on_request(TimePoint /*now*/, Bytes pdu) {
  const uint8_t op = pdu[0];
  if (att::check_pdu(pdu)) {
    if (att::is_command(op)) {
      // Core 5.4 Vol 3 Part F 3.3: a malformed command is ignored.
      SABLE_LOG_DEBUG("att: conn %u command 0x%02x ignored", conn_id_, op);
      return;
    }
    // Core 5.4 Vol 3 Part F 3.4.1.1: Invalid PDU, handle 0x0000.
    return send_error(op, 0x0000, AttErrorCode::kInvalidPdu);
  }
  // Each request to its handler, its fields read at their fixed offsets
  // (Core 5.4 Vol 3 Part F 3.4; check_pdu made sure they are present):
  // smaller than building a typed view per PDU. The bearer keeps Exchange
  // MTU, confirmations and everything client-bound.
  const size_t n = pdu.size();
  const uint16_t handle = n > 2 ? get_le16(&pdu[1]) : 0;  // or the range's start
  const uint16_t second = n > 4 ? get_le16(&pdu[3]) : 0;  // end handle or offset
  switch (Opcode(op)) {
    case Opcode::kFindInformationRequest:
    case Opcode::kFindByTypeValueRequest:
    case Opcode::kReadByTypeRequest:
    case Opcode::kReadByGroupTypeRequest:
      return walk_range(op, pdu);
    case Opcode::kReadRequest:
    case Opcode::kReadBlobRequest:  // second: the offset (0 for a Read Request)
      return on_read(op, handle, second);
    case Opcode::kReadMultipleRequest:
    case Opcode::kReadMultipleVariableRequest:
      return on_read_multiple(pdu.subspan(1), op == uint8_t(Opcode::kReadMultipleVariableRequest));
    case Opcode::kWriteRequest:
    case Opcode::kWriteCommand:
      return on_write(handle, pdu.subspan(3), op == uint8_t(Opcode::kWriteRequest));
    case Opcode::kPrepareWriteRequest:
      return on_prepare_write(handle, second, pdu.subspan(5));
    case Opcode::kExecuteWriteRequest:
      return on_execute_write(pdu[1]);
    default:
      // Signed writes are not supported (a command is never answered), and
      // client-role PDUs are not the server's: dropped.
      SABLE_LOG_DEBUG("att: conn %u PDU 0x%02x dropped by the server", conn_id_, op);
  }
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

Server::Error Server::check(const Attribute& a, const Permissions& perm, Op op) {
  return check_access_with(perm, link_, op, [&] { return authorize(a, op); });
}

Server::Error Server::read_attribute(const Attribute& a, Bytes& out) {
  if (auto err = check(a, a.access.read, Op::kRead)) return err;
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
  if (auto err = check(a, a.access.write, Op::kWrite)) return err;
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

// Core 5.4 Vol 3 Part F 3.4.3.1 - 3.4.3.4, 3.4.4.1, 3.4.4.2, 3.4.4.9, 3.4.4.10:
// the requests that walk a handle range answer with a list of equally long
// entries, each starting with the attribute's handle; one walk serves them all.
//   Find Information:   handle, type (Format 0x01 16-bit / 0x02 128-bit)
//   Find By Type Value: handle, end group handle of readable, equal values
//   Read By Type:       handle, value (Length); the first match's error answers
//   Read By Group Type: handle, end group handle, value (Length); as above
void Server::walk_range(uint8_t op, Bytes pdu) {
  const uint16_t start = get_le16(&pdu[1]);
  const uint16_t end = get_le16(&pdu[3]);
  const bool find_information = op == uint8_t(Opcode::kFindInformationRequest);
  const bool by_value = op == uint8_t(Opcode::kFindByTypeValueRequest);
  const bool group = op == uint8_t(Opcode::kReadByGroupTypeRequest);
  // The attribute type every entry has: 2 octets in Find By Type Value, 2 or
  // 16 (check_pdu) in Read By (Group) Type; Find Information takes them all.
  Uuid type;
  if (!find_information) type = *Uuid::from_wire(pdu.subspan(5, by_value ? 2 : pdu.size() - 5));
  const Bytes match = by_value ? pdu.subspan(7) : Bytes{};
  if (!valid_range(start, end)) return send_error(op, start, AttErrorCode::kInvalidHandle);
  // Core 5.4 Vol 3 Part G 2.5.3: only service declarations group attributes
  // (checked after the range: an invalid range is an Invalid Handle first).
  if (group && !(type == uuids::kPrimaryService || type == uuids::kSecondaryService))
    return send_error(op, start, AttErrorCode::kUnsupportedGroupType);
  const size_t prefix = by_value || group ? 4 : 2;
  std::array<uint8_t, att::kMaxMtu> buf;
  ByteWriter w(MutableBytes(buf.data(), mtu()));
  w.u8(uint8_t(op + 1));   // each of these responses is its request's opcode + 1
  if (!by_value) w.u8(0);  // Format or Length, patched below
  // A value is cut to what fits the response and a one-octet Length.
  const size_t cap = std::min<size_t>(mtu() - 2 - prefix, 255 - prefix);
  size_t entry = 0;  // the length of every entry, set by the first
  const uint16_t last = std::min(end, db_.last_handle());
  for (uint32_t h = start; h <= last; ++h) {
    const Attribute& a = *db_.find(uint16_t(h));
    if (!find_information && !(a.type == type)) continue;
    if (entry != 0 && w.room() < entry) break;  // nothing more fits
    uint8_t uuid[16];
    Bytes data;
    if (find_information) {
      data = Bytes(uuid, a.type.write_att(uuid));
    } else if (auto err = read_attribute(a, data)) {
      if (by_value) continue;  // only readable values are compared
      if (entry == 0) return send_error(op, a.handle, *err);
      break;  // a later error ends the list
    }
    if (by_value) {
      if (!std::equal(data.begin(), data.end(), match.begin(), match.end())) continue;
      data = {};
    }
    data = data.first(std::min(data.size(), cap));
    if (entry != 0 && prefix + data.size() != entry) break;  // one length per response
    entry = prefix + data.size();
    w.le16(a.handle);
    if (prefix == 4) w.le16(a.end_group_handle);
    w.bytes(data);
  }
  if (entry == 0) return send_error(op, start, AttErrorCode::kAttributeNotFound);
  if (!by_value) buf[1] = find_information ? (entry == 4 ? 0x01 : 0x02) : uint8_t(entry);
  send(w);
}

// Core 5.4 Vol 3 Part F 3.4.4.3 / 3.4.4.4 (offset 0) and 3.4.4.5 / 3.4.4.6.
void Server::on_read(uint8_t op, uint16_t handle, uint16_t offset) {
  const Attribute* a = db_.find(handle);
  if (!a) return send_error(op, handle, AttErrorCode::kInvalidHandle);
  Bytes value;
  if (auto err = read_attribute(*a, value)) return send_error(op, handle, *err);
  // "If the Value Offset ... is greater than the length of the attribute value,
  // an Error Response shall be sent with the Error Code set to Invalid Offset."
  if (offset > value.size()) return send_error(op, handle, AttErrorCode::kInvalidOffset);
  // A fixed-length value that fits a Read Response is not long (sent only
  // when a client asks past offset 0; the spec makes this error optional).
  if (offset > 0 && a->fixed_length && value.size() <= size_t(mtu() - 1))
    return send_error(op, handle, AttErrorCode::kAttributeNotLong);
  const Bytes rest = value.subspan(offset);
  std::array<uint8_t, att::kMaxMtu> buf;
  ByteWriter w(MutableBytes(buf.data(), mtu()));
  w.u8(uint8_t(op + 1)).bytes(rest.first(std::min<size_t>(rest.size(), mtu() - 1)));
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

// Core 5.4 Vol 3 Part F 3.4.5.1 / 3.4.5.2, and 3.4.5.3: a Write Command is
// never answered; a refused one is dropped.
void Server::on_write(uint16_t handle, Bytes value, bool request) {
  const uint8_t op = uint8_t(Opcode::kWriteRequest);
  const Attribute* a = db_.find(handle);
  Error err = AttErrorCode::kInvalidHandle;
  if (a) err = check_write(*a, value);
  if (err) {
    SABLE_LOG_DEBUG("att: conn %u write to 0x%04x refused: %s", conn_id_, handle,
                    att::to_string(*err));
    if (request) send_error(op, handle, *err);
    return;
  }
  store_write(*a, value);
  if (!request) return;
  std::array<uint8_t, 1> buf;
  ByteWriter w(buf);
  att::write_opcode_only(w, Opcode::kWriteResponse);
  send(w);
}

// Core 5.4 Vol 3 Part F 3.4.6.1 / 3.4.6.2.
void Server::on_prepare_write(uint16_t handle, uint16_t offset, Bytes value) {
  const uint8_t op = uint8_t(Opcode::kPrepareWriteRequest);
  const Attribute* a = db_.find(handle);
  if (!a) return send_error(op, handle, AttErrorCode::kInvalidHandle);
  // Permissions at prepare time (and again at execute); offsets and lengths at execute.
  if (auto err = check(*a, a->access.write, Op::kWrite)) return send_error(op, handle, *err);
  if (prepared_count_ == kMaxPreparedWrites || prepared_bytes_ + value.size() > kMaxPreparedBytes)
    return send_error(op, handle, AttErrorCode::kPrepareQueueFull);
  std::copy(value.begin(), value.end(), prepared_data_.begin() + long(prepared_bytes_));
  prepared_[prepared_count_++] = {handle, offset, uint16_t(prepared_bytes_),
                                  uint16_t(value.size())};
  prepared_bytes_ += value.size();
  std::array<uint8_t, att::kMaxMtu> buf;
  ByteWriter w(MutableBytes(buf.data(), mtu()));
  att::write_prepare_write(w, Opcode::kPrepareWriteResponse, handle, offset, value);
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
void Server::on_execute_write(uint8_t flags) {
  const uint8_t op = uint8_t(Opcode::kExecuteWriteRequest);
  std::array<uint8_t, att::kMaxValueLength> value;
  uint16_t length = 0;
  auto first_of_handle = [this](size_t i) {
    for (size_t j = 0; j < i; ++j)
      if (prepared_[j].handle == prepared_[i].handle) return false;
    return true;
  };
  // Pass 0 checks every handle's new value, pass 1 writes them.
  for (int pass = 0; flags == 0x01 && pass < 2; ++pass) {
    for (size_t i = 0; i < prepared_count_; ++i) {
      if (!first_of_handle(i)) continue;
      const Attribute& a = *db_.find(prepared_[i].handle);
      Error err = compose_prepared(a, value, length);
      const Bytes v(value.data(), length);
      if (pass == 1) {
        store_write(a, v);
        continue;
      }
      if (!err) err = check_write(a, v);
      if (err) {
        prepared_count_ = prepared_bytes_ = 0;
        return send_error(op, a.handle, *err);
      }
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
  if (check(a, security, Op::kRead)) return ValueSendResult::kLinkNotSecure;
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
