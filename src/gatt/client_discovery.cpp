// GATT client discovery (Core 5.4 Vol 3 Part G 4.4 - 4.7): primary services
// (all, or by UUID), characteristics of a service, descriptors of a
// characteristic. Its own translation unit so that a build without these
// procedures does not link them.
#include <array>

#include "gatt/client.hpp"

namespace sable::gatt {

using att::AttErrorCode;
using att::Opcode;

namespace {

// Core 5.4 Vol 3 Part G 3.1 / 3.3.1: the attribute types discovery asks for.
constexpr uint16_t kPrimaryServiceType = 0x2800;
constexpr Uuid kPrimaryService = Uuid::from16(kPrimaryServiceType);
constexpr Uuid kCharacteristic = Uuid::from16(0x2803);

}  // namespace

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

// --- Primary services (Core 5.4 Vol 3 Part G 4.4.1, 4.4.2) ---------------------

void Client::start_services(TimePoint now, ServiceProc& p) {
  std::array<uint8_t, att::kMaxMtu> buf;
  ByteWriter w(MutableBytes(buf.data(), mtu()));
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
  ByteWriter w(MutableBytes(buf.data(), mtu()));
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
  ByteWriter w(MutableBytes(buf.data(), mtu()));
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

}  // namespace sable::gatt
