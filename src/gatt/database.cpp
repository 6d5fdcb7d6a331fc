#include "gatt/database.hpp"

#include <algorithm>
#include <cstring>

#include "common/log.hpp"

namespace sable::gatt {
namespace {

constexpr uint16_t kMaxDeviceNameLength = 248;  // Core 5.4 Vol 3 Part C 12.1

constexpr Permissions kReadOnly = Permissions::open();

std::vector<uint8_t> le16_bytes(uint16_t v) {
  return {uint8_t(v), uint8_t(v >> 8)};
}

// Core 5.4 Vol 3 Part C 12: the GAP service.
ServiceDef gap_service(const DatabaseOptions& o) {
  ServiceDef s{.type = uuids::kGapService};
  const size_t n = std::min<size_t>(o.device_name.size(), kMaxDeviceNameLength);
  CharacteristicDef name{
      .type = uuids::kDeviceName,
      .properties = uint8_t(prop::kRead | (o.device_name_writable ? prop::kWrite : 0)),
      .access = {.read = kReadOnly,
                 .write = o.device_name_writable ? Permissions::open() : Permissions::none()},
      .value = std::vector<uint8_t>(o.device_name.begin(), o.device_name.begin() + long(n)),
      .max_length = kMaxDeviceNameLength,
  };
  CharacteristicDef appearance{.type = uuids::kAppearance,
                               .properties = prop::kRead,
                               .access = {.read = kReadOnly, .write = Permissions::none()},
                               .value = le16_bytes(o.appearance),
                               .fixed_length = true};
  s.characteristics.push_back(std::move(name));
  s.characteristics.push_back(std::move(appearance));
  return s;
}

// Core 5.4 Vol 3 Part G 7: the GATT service.
ServiceDef gatt_service() {
  ServiceDef s{.type = uuids::kGattService};
  // 7.1 Service Changed: indicate only; its value (affected handle range) is not readable.
  s.characteristics.push_back(CharacteristicDef{
      .type = uuids::kServiceChanged,
      .properties = prop::kIndicate,
      .access = {.read = Permissions::none(), .write = Permissions::none()},
      .value = {0x01, 0x00, 0xFF, 0xFF},
      .fixed_length = true,
      .cccd_write = Permissions::open(),
  });
  // 7.2 Client Supported Features: per client, read/write.
  s.characteristics.push_back(CharacteristicDef{
      .type = uuids::kClientSupportedFeatures,
      .properties = prop::kRead | prop::kWrite,
      .access = {.read = kReadOnly, .write = Permissions::open()},
      .value = {0x00},
  });
  // 7.3 Database Hash: read only, 16 octets; filled in once the layout is known.
  s.characteristics.push_back(CharacteristicDef{
      .type = uuids::kDatabaseHash,
      .properties = prop::kRead,
      .access = {.read = kReadOnly, .write = Permissions::none()},
      .value = std::vector<uint8_t>(16, 0),
      .fixed_length = true,
  });
  return s;
}

bool valid_key_size(const Permissions& p) {
  return p.min_key_size >= 7 && p.min_key_size <= 16;
}
bool valid_rules(const AccessRules& r) {
  return valid_key_size(r.read) && valid_key_size(r.write);
}

size_t attribute_count(const ServiceDef& s) {
  size_t n = 1 + s.includes.size();
  for (const auto& c : s.characteristics) {
    n += 2 + c.descriptors.size();
    if (c.properties & (prop::kNotify | prop::kIndicate)) ++n;
    if (c.properties & prop::kExtendedProperties) ++n;
  }
  return n;
}

void append_uuid(std::vector<uint8_t>& out, const Uuid& u) {
  uint8_t b[16];
  const size_t n = u.write_att(b);
  out.insert(out.end(), b, b + n);
}

}  // namespace

bool AttributeValue::set(Bytes value) {
  if (value.size() > max_) return false;
  if (!value.empty()) std::memmove(data_, value.data(), value.size());
  *length_ = uint16_t(value.size());
  return true;
}

Result<Database, BuildError> Database::build(std::vector<ServiceDef> user_services,
                                             DatabaseOptions options) {
  std::vector<ServiceDef> services;
  services.reserve(user_services.size() + 2);
  services.push_back(gap_service(options));
  services.push_back(gatt_service());
  constexpr size_t kBuiltIn = 2;
  for (auto& s : user_services) {
    for (auto& inc : s.includes) {
      if (inc >= user_services.size()) return fail(BuildError::kInvalidInclude);
      inc += kBuiltIn;
    }
    services.push_back(std::move(s));
  }

  // Pass 1: the handle range of every service (includes may point forward).
  std::vector<uint16_t> start(services.size());
  std::vector<uint16_t> end(services.size());
  size_t next = 1;
  for (size_t i = 0; i < services.size(); ++i) {
    const size_t n = attribute_count(services[i]);
    if (next + n - 1 > 0xFFFF) return fail(BuildError::kTooManyAttributes);
    start[i] = uint16_t(next);
    end[i] = uint16_t(next + n - 1);
    next += n;
    for (size_t inc : services[i].includes)
      if (inc == i) return fail(BuildError::kInvalidInclude);
  }

  Database db;
  db.attributes_.reserve(next - 1);
  auto add = [&db](const Uuid& type, AttributeKind kind, AccessRules access, Bytes value,
                   uint16_t max_length, bool fixed) -> Attribute& {
    Attribute a;
    a.handle = uint16_t(db.attributes_.size() + 1);
    a.type = type;
    a.kind = kind;
    a.access = access;
    a.end_group_handle = a.handle;
    a.max_length = std::max<uint16_t>(max_length, uint16_t(value.size()));
    a.fixed_length = fixed;
    a.storage = uint32_t(db.storage_.size());
    a.length = uint16_t(value.size());
    db.storage_.insert(db.storage_.end(), value.begin(), value.end());
    db.storage_.resize(a.storage + a.max_length);
    db.attributes_.push_back(a);
    return db.attributes_.back();
  };
  const AccessRules decl_access{.read = Permissions::open(), .write = Permissions::none()};

  std::vector<uint8_t> v;
  for (size_t i = 0; i < services.size(); ++i) {
    auto& s = services[i];
    v.clear();
    append_uuid(v, s.type);
    Attribute& sa =
        add(s.primary ? uuids::kPrimaryService : uuids::kSecondaryService,
            s.primary ? AttributeKind::kPrimaryService : AttributeKind::kSecondaryService,
            decl_access, v, 0, true);
    sa.end_group_handle = end[i];

    // Core 5.4 Vol 3 Part G 3.2: Include declarations come right after the service.
    for (size_t inc : s.includes) {
      v.clear();
      v.push_back(uint8_t(start[inc]));
      v.push_back(uint8_t(start[inc] >> 8));
      v.push_back(uint8_t(end[inc]));
      v.push_back(uint8_t(end[inc] >> 8));
      if (services[inc].type.is16()) append_uuid(v, services[inc].type);
      add(uuids::kInclude, AttributeKind::kInclude, decl_access, v, 0, true);
    }

    for (auto& c : s.characteristics) {
      if (!valid_rules(c.access) || (c.cccd_write && !valid_key_size(*c.cccd_write)))
        return fail(BuildError::kInvalidKeySize);
      const uint16_t max_len = c.max_length ? c.max_length : uint16_t(c.value.size());
      if (max_len > att::kMaxValueLength || c.value.size() > max_len)
        return fail(BuildError::kValueTooLong);

      const int32_t char_index = int32_t(db.characteristics_.size());
      Characteristic ch;
      ch.properties = c.properties;
      ch.on_subscribe = std::move(c.on_subscribe);
      ch.cccd_write = c.cccd_write.value_or(c.access.read);
      ch.cccd_write.allowed = true;

      // Core 5.4 Vol 3 Part G 3.3.1: properties, value handle, UUID.
      const uint16_t decl_handle = uint16_t(db.attributes_.size() + 1);
      v.clear();
      v.push_back(c.properties);
      v.push_back(uint8_t(decl_handle + 1));
      v.push_back(uint8_t((decl_handle + 1) >> 8));
      append_uuid(v, c.type);
      add(uuids::kCharacteristic, AttributeKind::kCharacteristic, decl_access, v, 0, true)
          .characteristic = char_index;
      ch.declaration_handle = decl_handle;

      db.callbacks_.push_back(std::move(c.callbacks));
      Attribute& va =
          add(c.type, AttributeKind::kValue, c.access, c.value, max_len, c.fixed_length);
      va.characteristic = char_index;
      va.callbacks = int32_t(db.callbacks_.size() - 1);
      ch.value_handle = va.handle;

      if (c.properties & (prop::kNotify | prop::kIndicate)) {
        if (db.cccd_count_ >= kMaxCccds) return fail(BuildError::kTooManyCccds);
        // Core 5.4 Vol 3 Part G 3.3.3.3: readable without security; writes as configured.
        Attribute& cccd = add(uuids::kCccd, AttributeKind::kCccd,
                              {.read = Permissions::open(), .write = ch.cccd_write}, {}, 2, true);
        cccd.characteristic = char_index;
        ch.cccd_handle = cccd.handle;
        ch.cccd_index = uint16_t(db.cccd_count_++);
      }
      if (c.properties & prop::kExtendedProperties) {
        // Core 5.4 Vol 3 Part G 3.3.3.1.
        const auto ext = le16_bytes(c.extended_properties);
        add(uuids::kExtendedProperties, AttributeKind::kExtendedProperties, decl_access, ext, 0,
            true)
            .characteristic = char_index;
      }
      for (auto& d : c.descriptors) {
        if (!valid_rules(d.access)) return fail(BuildError::kInvalidKeySize);
        const uint16_t dmax = d.max_length ? d.max_length : uint16_t(d.value.size());
        if (dmax > att::kMaxValueLength || d.value.size() > dmax)
          return fail(BuildError::kValueTooLong);
        db.callbacks_.push_back(std::move(d.callbacks));
        Attribute& da =
            add(d.type, AttributeKind::kDescriptor, d.access, d.value, dmax, d.fixed_length);
        da.characteristic = char_index;
        da.callbacks = int32_t(db.callbacks_.size() - 1);
      }
      db.characteristics_.push_back(std::move(ch));
    }
  }

  // Locate the GATT service's special characteristics (service index 1).
  for (auto& a : db.attributes_) {
    if (a.handle < start[1] || a.handle > end[1] || a.kind != AttributeKind::kValue) continue;
    if (a.type == uuids::kServiceChanged) db.service_changed_handle_ = a.handle;
    if (a.type == uuids::kDatabaseHash) db.hash_handle_ = a.handle;
    if (a.type == uuids::kClientSupportedFeatures) {
      a.kind = AttributeKind::kClientSupportedFeatures;
      a.length = 0;  // per connection
    }
  }

  // Core 5.4 Vol 3 Part G 7.3.1: Database Hash = AES-CMAC(0, fields); the CMAC
  // output is the 128-bit value, sent least significant octet first.
  const auto input = database_hash_input(db);
  const CmacFn cmac = options.cmac ? options.cmac : &crypto::aes_cmac;
  const crypto::Block mac = cmac(crypto::Block{}, input);
  std::reverse_copy(mac.begin(), mac.end(), db.hash_.begin());
  if (!db.set_value(db.hash_handle_, db.hash_)) return fail(BuildError::kValueTooLong);

  SABLE_LOG_DEBUG("gatt: database built, %zu attributes, %zu CCCDs", db.attributes_.size(),
                  db.cccd_count_);
  return db;
}

AttributeValue Database::mutable_value(const Attribute& a) {
  Attribute& m = attributes_[a.handle - 1];
  return AttributeValue(&storage_[m.storage], &m.length, m.max_length);
}

Result<void, att::AttErrorCode> Database::set_value(uint16_t handle, Bytes value) {
  const Attribute* a = find(handle);
  if (!a) return fail(att::AttErrorCode::kInvalidHandle);
  if (value.size() > a->max_length || (a->fixed_length && value.size() != a->max_length))
    return fail(att::AttErrorCode::kInvalidAttributeValueLength);
  auto mv = mutable_value(*a);
  if (!mv.set(value)) return fail(att::AttErrorCode::kInvalidAttributeValueLength);
  return {};
}

const Characteristic* Database::characteristic_by_value(uint16_t value_handle) const {
  const Attribute* a = find(value_handle);
  if (!a || a->kind != AttributeKind::kValue) return nullptr;
  return characteristic_of(*a);
}

std::optional<CharacteristicHandles> Database::find_characteristic(const Uuid& service,
                                                                   const Uuid& type) const {
  for (const auto& s : attributes_) {
    if (!s.is_service()) continue;
    const auto su = Uuid::from_wire(value(s));
    if (!su || !(*su == service)) continue;
    for (uint16_t h = s.handle + 1; h <= s.end_group_handle; ++h) {
      const Attribute& a = attributes_[h - 1];
      if (a.kind != AttributeKind::kValue || !(a.type == type)) continue;
      const auto& ch = characteristics_[size_t(a.characteristic)];
      return CharacteristicHandles{ch.declaration_handle, ch.value_handle, ch.cccd_handle};
    }
  }
  return std::nullopt;
}

std::vector<uint8_t> database_hash_input(const Database& db) {
  std::vector<uint8_t> m;
  for (const auto& a : db.attributes()) {
    bool with_value = false;
    switch (a.kind) {
      case AttributeKind::kPrimaryService:
      case AttributeKind::kSecondaryService:
      case AttributeKind::kInclude:
      case AttributeKind::kCharacteristic:
      case AttributeKind::kExtendedProperties:
        with_value = true;
        break;
      default:
        // User Description, CCCD, SCCD, Presentation and Aggregate Format:
        // handle and type only; every other attribute is left out.
        if (a.type.is16() && a.type.as16() >= 0x2901 && a.type.as16() <= 0x2905) break;
        continue;
    }
    m.push_back(uint8_t(a.handle));
    m.push_back(uint8_t(a.handle >> 8));
    append_uuid(m, a.type);
    if (with_value) {
      const auto v = db.value(a);
      m.insert(m.end(), v.begin(), v.end());
    }
  }
  return m;
}

}  // namespace sable::gatt
