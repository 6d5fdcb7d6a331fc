#include "gatt/database.hpp"

#include <algorithm>
#include <cstring>

#include "common/log.hpp"

namespace sable::gatt {
namespace {

constexpr uint16_t kMaxDeviceNameLength = 248;  // Core 5.4 Vol 3 Part C 12.1
constexpr size_t kBuiltInServices = 2;          // GAP and GATT come first

constexpr Permissions kOpen = Permissions::open();
constexpr Permissions kNone = Permissions::none();
// Declarations (Core 5.4 Vol 3 Part G 3.1 - 3.3.1) are read-only without security.
constexpr AccessRules kDeclaration{.read = kOpen, .write = kNone};

bool valid_key_size(const Permissions& p) {
  return p.min_key_size >= 7 && p.min_key_size <= 16;
}
bool valid_rules(const AccessRules& r) {
  return valid_key_size(r.read) && valid_key_size(r.write);
}

// One characteristic to lay out: a user definition or a built-in one, so that
// both go through the same code.
struct CharacteristicLayout {
  const Uuid& type;
  uint8_t properties;
  AccessRules access;
  Bytes value{};
  uint16_t max_length = 0;  // 0: the value's length
  bool fixed_length = false;
  uint16_t extended_properties = 0;
  std::optional<Permissions> cccd_write{};
  const Callbacks* callbacks = nullptr;
  const SubscribeFn* on_subscribe = nullptr;
  std::span<const DescriptorDef> descriptors{};
  AttributeKind value_kind = AttributeKind::kValue;
};

}  // namespace

bool AttributeValue::set(Bytes value) {
  if (value.size() > max_) return false;
  if (!value.empty()) std::memmove(data_, value.data(), value.size());
  *length_ = uint16_t(value.size());
  return true;
}

// Lays the database out twice with the same code: a counting pass (sizes,
// every check) and, once the arrays are allocated, a writing pass.
struct Database::Builder {
  Database& db;
  const DatabaseOptions& options;
  bool writing = false;
  size_t attributes = 0;
  size_t storage = 0;
  size_t characteristics = 0;
  size_t cccds = 0;
  int32_t characteristic = -1;          // index of the characteristic being laid out
  uint16_t value_handle = 0;            // of the last characteristic laid out
  std::unique_ptr<uint16_t[]> start{};  // first handle of each service, then one past the last
  Attribute scratch{};                  // the attribute of the counting pass

  Attribute& add(const Uuid& type, AttributeKind kind, const AccessRules& access, Bytes value,
                 uint16_t max_length, bool fixed) {
    Attribute& a = writing ? db.attributes_[attributes] : scratch;
    a.handle = uint16_t(attributes + 1);
    a.type = type;
    a.kind = kind;
    a.access = access;
    a.end_group_handle = a.handle;
    a.max_length = std::max<uint16_t>(max_length, uint16_t(value.size()));
    a.fixed_length = fixed;
    a.storage = uint32_t(storage);
    a.length = uint16_t(value.size());
    a.characteristic = characteristic;
    a.callbacks = nullptr;
    if (writing) std::copy(value.begin(), value.end(), &db.storage_[storage]);
    ++attributes;
    storage += a.max_length;
    return a;
  }

  Attribute& declaration(const Uuid& type, AttributeKind kind, Bytes value) {
    return add(type, kind, kDeclaration, value, 0, true);
  }

  // Core 5.4 Vol 3 Part G 3.1: the service declaration; its group ends before
  // the next service starts (known from the counting pass).
  void service(size_t index, const Uuid& type, bool primary) {
    characteristic = -1;
    start[index] = uint16_t(attributes + 1);
    uint8_t v[16];
    const size_t n = type.write_att(v);
    declaration(primary ? uuids::kPrimaryService : uuids::kSecondaryService,
                primary ? AttributeKind::kPrimaryService : AttributeKind::kSecondaryService,
                Bytes(v, n))
        .end_group_handle = uint16_t(start[index + 1] - 1);
  }

  std::optional<BuildError> add_characteristic(const CharacteristicLayout& c);
  std::optional<BuildError> layout();
};

std::optional<BuildError> Database::Builder::add_characteristic(const CharacteristicLayout& c) {
  if (!valid_rules(c.access) || (c.cccd_write && !valid_key_size(*c.cccd_write)))
    return BuildError::kInvalidKeySize;
  const uint16_t max_len = c.max_length ? c.max_length : uint16_t(c.value.size());
  if (max_len > att::kMaxValueLength || c.value.size() > max_len) return BuildError::kValueTooLong;

  characteristic = int32_t(characteristics++);
  Characteristic ch{.properties = c.properties, .on_subscribe = c.on_subscribe};
  // A client cannot subscribe to what it may not read unless told otherwise (attack #21).
  ch.cccd_write = c.cccd_write.value_or(c.access.read);
  ch.cccd_write.allowed = true;

  // Core 5.4 Vol 3 Part G 3.3.1: properties, value handle, UUID.
  ch.declaration_handle = uint16_t(attributes + 1);
  ch.value_handle = value_handle = uint16_t(attributes + 2);
  uint8_t v[19] = {c.properties};
  put_le16(&v[1], ch.value_handle);
  declaration(uuids::kCharacteristic, AttributeKind::kCharacteristic,
              Bytes(v, 3 + c.type.write_att(&v[3])));
  add(c.type, c.value_kind, c.access, c.value, max_len, c.fixed_length).callbacks = c.callbacks;

  if (c.properties & (prop::kNotify | prop::kIndicate)) {
    if (cccds >= kMaxCccds) return BuildError::kTooManyCccds;
    // Core 5.4 Vol 3 Part G 3.3.3.3: readable without security; writes as configured.
    ch.cccd_handle = add(uuids::kCccd, AttributeKind::kCccd,
                         {.read = kOpen, .write = ch.cccd_write}, {}, 2, true)
                         .handle;
    ch.cccd_index = uint16_t(cccds++);
  }
  if (c.properties & prop::kExtendedProperties) {
    // Core 5.4 Vol 3 Part G 3.3.3.1.
    uint8_t ext[2];
    put_le16(ext, c.extended_properties);
    declaration(uuids::kExtendedProperties, AttributeKind::kExtendedProperties, ext);
  }
  for (const DescriptorDef& d : c.descriptors) {
    if (!valid_rules(d.access)) return BuildError::kInvalidKeySize;
    const uint16_t dmax = d.max_length ? d.max_length : uint16_t(d.value.size());
    if (dmax > att::kMaxValueLength || d.value.size() > dmax) return BuildError::kValueTooLong;
    add(d.type, AttributeKind::kDescriptor, d.access, d.value, dmax, d.fixed_length).callbacks =
        &d.callbacks;
  }
  if (writing) db.characteristics_[size_t(characteristic)] = ch;
  return std::nullopt;
}

std::optional<BuildError> Database::Builder::layout() {
  attributes = storage = characteristics = cccds = 0;

  // Core 5.4 Vol 3 Part C 12: the GAP service (Device Name, Appearance), then
  // Core 5.4 Vol 3 Part G 7: the GATT service (7.1 Service Changed: indicate
  // only, its value (affected handle range) not readable; 7.2 Client Supported
  // Features: per client, held by the Server; 7.3 Database Hash: 16 octets,
  // filled in once the layout is known).
  struct BuiltIn {
    uint16_t type;
    uint8_t properties;
    bool readable;
    bool writable;
    uint8_t max_length;  // 0: the value's length
    bool fixed_length;
    AttributeKind kind;
  };
  static constexpr BuiltIn kBuiltIns[] = {
      {0x2A00, prop::kRead, true, false, kMaxDeviceNameLength, false, AttributeKind::kValue},
      {0x2A01, prop::kRead, true, false, 0, true, AttributeKind::kValue},
      {0x2A05, prop::kIndicate, false, false, 0, true, AttributeKind::kValue},
      {0x2B29, prop::kRead | prop::kWrite, true, true, 1, false,
       AttributeKind::kClientSupportedFeatures},
      {0x2B2A, prop::kRead, true, false, 16, true, AttributeKind::kValue},
  };
  static constexpr uint8_t kAllHandles[] = {0x01, 0x00, 0xFF, 0xFF};
  uint8_t appearance[2];
  put_le16(appearance, options.appearance);
  const auto& name = options.device_name;
  const Bytes values[] = {Bytes(reinterpret_cast<const uint8_t*>(name.data()),
                                std::min<size_t>(name.size(), kMaxDeviceNameLength)),
                          appearance,
                          kAllHandles,
                          {},
                          {}};
  for (size_t i = 0; i < std::size(kBuiltIns); ++i) {
    const BuiltIn& c = kBuiltIns[i];
    if (i == 0) service(0, uuids::kGapService, true);
    if (i == 2) service(1, uuids::kGattService, true);
    const bool writable_name = i == 0 && options.device_name_writable;
    const Uuid type = Uuid::from16(c.type);
    (void)add_characteristic({
        .type = type,
        .properties = uint8_t(c.properties | (writable_name ? prop::kWrite : 0)),
        .access = {.read = c.readable ? kOpen : kNone,
                   .write = c.writable || writable_name ? kOpen : kNone},
        .value = values[i],
        .max_length = c.max_length,
        .fixed_length = c.fixed_length,
        .cccd_write = kOpen,  // only Service Changed has a CCCD
        .value_kind = c.kind,
    });
    if (i == 2) db.service_changed_handle_ = value_handle;
  }
  db.hash_handle_ = value_handle;

  const auto& defs = db.definitions_;
  for (size_t i = 0; i < defs.size(); ++i) {
    const ServiceDef& s = defs[i];
    service(kBuiltInServices + i, s.type, s.primary);
    // Core 5.4 Vol 3 Part G 3.2: Include declarations come right after the service.
    for (size_t inc : s.includes) {
      if (inc >= defs.size() || inc == i) return BuildError::kInvalidInclude;
      const size_t j = kBuiltInServices + inc;
      uint8_t v[6];
      put_le16(&v[0], start[j]);
      put_le16(&v[2], uint16_t(start[j + 1] - 1));
      const Uuid& type = defs[inc].type;
      declaration(uuids::kInclude, AttributeKind::kInclude,
                  Bytes(v, type.is16() ? 4 + type.write_att(&v[4]) : 4));
    }
    for (const CharacteristicDef& c : s.characteristics) {
      if (auto err = add_characteristic({.type = c.type,
                                         .properties = c.properties,
                                         .access = c.access,
                                         .value = c.value,
                                         .max_length = c.max_length,
                                         .fixed_length = c.fixed_length,
                                         .extended_properties = c.extended_properties,
                                         .cccd_write = c.cccd_write,
                                         .callbacks = &c.callbacks,
                                         .on_subscribe = &c.on_subscribe,
                                         .descriptors = c.descriptors}))
        return err;
    }
  }
  start[kBuiltInServices + defs.size()] = uint16_t(attributes + 1);
  if (attributes > 0xFFFF) return BuildError::kTooManyAttributes;
  return std::nullopt;
}

namespace {

// Core 5.4 Vol 3 Part G 7.3.1: Database Hash = AES-CMAC(0, the concatenated
// fields below); the CMAC output is the 128-bit value, sent least
// significant octet first.
crypto::Block database_hash(const Database& db, CmacFn cmac) {
  // At most handle, 128-bit type and value per attribute.
  size_t bound = 0;
  for (const auto& a : db.attributes()) bound += 18 + a.length;
  std::unique_ptr<uint8_t[]> m(new uint8_t[bound]);
  ByteWriter w(MutableBytes(m.get(), bound));
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
    uint8_t type[16];
    w.le16(a.handle).bytes(Bytes(type, a.type.write_att(type)));
    if (with_value) w.bytes(db.value(a));
  }
  const crypto::Block mac = (cmac ? cmac : &crypto::aes_cmac)(crypto::Block{}, w.written());
  crypto::Block hash;
  std::reverse_copy(mac.begin(), mac.end(), hash.begin());
  return hash;
}

}  // namespace

Result<Database, BuildError> Database::build(std::vector<ServiceDef> services,
                                             const DatabaseOptions& options) {
  Database db;
  db.definitions_ = std::move(services);
  Builder b{.db = db, .options = options};
  b.start.reset(new uint16_t[kBuiltInServices + db.definitions_.size() + 1]());
  if (auto err = b.layout()) return fail(*err);
  db.attributes_.reset(new Attribute[b.attributes]);
  db.storage_.reset(new uint8_t[b.storage]());
  db.characteristics_.reset(new Characteristic[b.characteristics]);
  db.attribute_count_ = uint16_t(b.attributes);
  db.characteristic_count_ = uint16_t(b.characteristics);
  db.cccd_count_ = b.cccds;
  b.writing = true;
  (void)b.layout();  // the same layout, checked by the counting pass

  db.hash_ = database_hash(db, options.cmac);
  (void)db.mutable_value(*db.find(db.hash_handle_)).set(db.hash_);

  SABLE_LOG_DEBUG("gatt: database built, %u attributes, %zu CCCDs", db.attribute_count_,
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
  // One walk in handle order: a service declaration starts the group that
  // follows it (Core 5.4 Vol 3 Part G 3.1).
  bool in_service = false;
  for (const auto& a : attributes()) {
    if (a.is_service()) {
      in_service = Uuid::from_wire(value(a)) == service;
    } else if (in_service && a.kind == AttributeKind::kValue && a.type == type) {
      const auto& ch = characteristics_[size_t(a.characteristic)];
      return CharacteristicHandles{ch.declaration_handle, ch.value_handle, ch.cccd_handle};
    }
  }
  return std::nullopt;
}

}  // namespace sable::gatt
