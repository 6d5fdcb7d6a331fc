// The GATT attribute database: built once from service definitions into a
// flat, handle-sorted array with contiguous handles (Core 5.4 Vol 3 Part G 3).
// The GAP (0x1800) and GATT (0x1801) services come first; a CCCD is added to
// every characteristic with Notify or Indicate, an Extended Properties
// descriptor to every characteristic with that property. Values live in
// storage reserved at build time (bounded per attribute): no allocation later.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "att/att.hpp"
#include "common/bytes.hpp"
#include "crypto/crypto.hpp"
#include "gatt/access.hpp"
#include "sable/result.hpp"
#include "sable/uuid.hpp"

namespace sable::gatt {

// Core 5.4 Vol 3 Part G 3 and the Assigned Numbers document.
namespace uuids {
inline constexpr Uuid kPrimaryService = Uuid::from16(0x2800);
inline constexpr Uuid kSecondaryService = Uuid::from16(0x2801);
inline constexpr Uuid kInclude = Uuid::from16(0x2802);
inline constexpr Uuid kCharacteristic = Uuid::from16(0x2803);
inline constexpr Uuid kExtendedProperties = Uuid::from16(0x2900);
inline constexpr Uuid kUserDescription = Uuid::from16(0x2901);
inline constexpr Uuid kCccd = Uuid::from16(0x2902);
inline constexpr Uuid kSccd = Uuid::from16(0x2903);
inline constexpr Uuid kPresentationFormat = Uuid::from16(0x2904);
inline constexpr Uuid kAggregateFormat = Uuid::from16(0x2905);
inline constexpr Uuid kGapService = Uuid::from16(0x1800);
inline constexpr Uuid kGattService = Uuid::from16(0x1801);
inline constexpr Uuid kDeviceName = Uuid::from16(0x2A00);
inline constexpr Uuid kAppearance = Uuid::from16(0x2A01);
inline constexpr Uuid kServiceChanged = Uuid::from16(0x2A05);
inline constexpr Uuid kClientSupportedFeatures = Uuid::from16(0x2B29);
inline constexpr Uuid kDatabaseHash = Uuid::from16(0x2B2A);
}  // namespace uuids

// Characteristic properties (Core 5.4 Vol 3 Part G 3.3.1.1, Table 3.5).
namespace prop {
inline constexpr uint8_t kBroadcast = 0x01;
inline constexpr uint8_t kRead = 0x02;
inline constexpr uint8_t kWriteWithoutResponse = 0x04;
inline constexpr uint8_t kWrite = 0x08;
inline constexpr uint8_t kNotify = 0x10;
inline constexpr uint8_t kIndicate = 0x20;
inline constexpr uint8_t kAuthenticatedSignedWrites = 0x40;
inline constexpr uint8_t kExtendedProperties = 0x80;
}  // namespace prop

// Client Characteristic Configuration bits (Core 5.4 Vol 3 Part G 3.3.3.3).
inline constexpr uint16_t kCccdNotify = 0x0001;
inline constexpr uint16_t kCccdIndicate = 0x0002;

// One attribute's value storage, bounded by its maximum length.
class AttributeValue {
 public:
  AttributeValue(uint8_t* data, uint16_t* length, uint16_t max_length)
      : data_(data), length_(length), max_(max_length) {}
  Bytes get() const { return Bytes(data_, *length_); }
  uint16_t max_length() const { return max_; }
  // False (and unchanged) if value is longer than max_length().
  [[nodiscard]] bool set(Bytes value);

 private:
  uint8_t* data_;
  uint16_t* length_;
  uint16_t max_;
};

// Application hooks of one attribute (all optional; they run on the stack's thread).
// on_read: called before the value is read; may update it, or refuse with an ATT error.
using ReadFn =
    std::function<std::optional<att::AttErrorCode>(uint16_t conn_id, AttributeValue& value)>;
// on_write: validates the complete new value before it is stored; an error refuses it.
using WriteFn = std::function<std::optional<att::AttErrorCode>(uint16_t conn_id, Bytes value)>;
// authorize: grants an access to an authorization-protected attribute (absent: deny).
using AuthorizeFn = std::function<bool(uint16_t conn_id, Op op)>;
// on_subscribe: the client changed its CCCD (kCccdNotify / kCccdIndicate bits).
using SubscribeFn = std::function<void(uint16_t conn_id, uint16_t cccd_value)>;

struct Callbacks {
  ReadFn on_read{};
  WriteFn on_write{};
  AuthorizeFn authorize{};
};

struct DescriptorDef {
  Uuid type{};
  AccessRules access{};
  std::vector<uint8_t> value{};
  uint16_t max_length = 0;  // 0: the initial value's length
  bool fixed_length = false;
  Callbacks callbacks{};
};

struct CharacteristicDef {
  Uuid type{};
  uint8_t properties = 0;  // prop::k*
  AccessRules access{};    // of the value attribute
  std::vector<uint8_t> value{};
  uint16_t max_length = 0;  // 0: the initial value's length; at most 512
  bool fixed_length = false;
  // Value of the Extended Properties descriptor (added iff prop::kExtendedProperties).
  uint16_t extended_properties = 0;
  // Requirements of a CCCD write; default: the value's read requirements, so
  // a client cannot subscribe to what it may not read (attack #21).
  std::optional<Permissions> cccd_write{};
  std::vector<DescriptorDef> descriptors{};
  Callbacks callbacks{};
  SubscribeFn on_subscribe{};
};

struct ServiceDef {
  Uuid type{};
  bool primary = true;
  std::vector<size_t> includes{};  // indices of other services in the same definition list
  std::vector<CharacteristicDef> characteristics{};
};

// AES-CMAC as in crypto.hpp (injectable so tests can pin it).
using CmacFn = crypto::Block (*)(const crypto::Block& key, Bytes message);

struct DatabaseOptions {
  std::string device_name = "sable";  // GAP Device Name (at most 248 octets)
  bool device_name_writable = false;
  uint16_t appearance = 0x0000;  // GAP Appearance (Unknown)
  CmacFn cmac = nullptr;         // nullptr: crypto::aes_cmac (tests see the hash input here)
};

enum class AttributeKind : uint8_t {
  kPrimaryService,
  kSecondaryService,
  kInclude,
  kCharacteristic,  // declaration
  kValue,           // characteristic value
  kCccd,            // per-connection state, held by the Server
  kExtendedProperties,
  kDescriptor,
  kClientSupportedFeatures,  // per-connection state, held by the Server
};

struct Attribute {
  uint16_t handle = 0;
  Uuid type{};
  AttributeKind kind = AttributeKind::kDescriptor;
  AccessRules access{};
  uint16_t end_group_handle = 0;  // services: last handle of the group; else the handle
  uint16_t max_length = 0;
  bool fixed_length = false;
  uint32_t storage = 0;                  // offset of the value in the database's storage
  uint16_t length = 0;                   // current value length
  int32_t characteristic = -1;           // index into Database::characteristics(), or -1
  const Callbacks* callbacks = nullptr;  // this attribute's hooks (in the kept definitions)

  bool is_service() const {
    return kind == AttributeKind::kPrimaryService || kind == AttributeKind::kSecondaryService;
  }
};

struct Characteristic {
  uint16_t declaration_handle = 0;
  uint16_t value_handle = 0;
  uint16_t cccd_handle = 0;  // 0: none (neither Notify nor Indicate)
  uint16_t cccd_index = 0;   // slot in a connection's CCCD table
  uint8_t properties = 0;
  Permissions cccd_write{};
  const SubscribeFn* on_subscribe = nullptr;  // in the kept definitions; null for built-ins
};

struct CharacteristicHandles {
  uint16_t declaration = 0;
  uint16_t value = 0;
  uint16_t cccd = 0;  // 0: none
};

enum class BuildError : uint8_t {
  kTooManyAttributes,  // more than 0xFFFF handles
  kInvalidInclude,     // include index out of range or of itself
  kValueTooLong,       // initial value above max_length, or max_length above 512
  kInvalidKeySize,     // min_key_size outside 7..16
  kTooManyCccds,       // more notifying/indicating characteristics than kMaxCccds
};

// Characteristics with a CCCD (Notify or Indicate) one database may have: each
// connection's Server keeps their values in a fixed table of this size, so
// that a connection allocates nothing (2 octets each per link).
inline constexpr size_t kMaxCccds = 64;

class Database {
 public:
  static Result<Database, BuildError> build(std::vector<ServiceDef> services,
                                            const DatabaseOptions& options = {});

  Database(Database&&) = default;
  Database& operator=(Database&&) = default;

  // O(1): handles are contiguous from 0x0001.
  const Attribute* find(uint16_t handle) const {
    return handle != 0 && handle <= attribute_count_ ? &attributes_[handle - 1] : nullptr;
  }
  std::span<const Attribute> attributes() const { return {attributes_.get(), attribute_count_}; }
  uint16_t last_handle() const { return attribute_count_; }

  // The stored value of an attribute (per-connection kinds read as empty here).
  Bytes value(const Attribute& a) const { return Bytes(&storage_[a.storage], a.length); }
  AttributeValue mutable_value(const Attribute& a);
  // Replaces a stored value: kInvalidHandle or kInvalidAttributeValueLength on failure.
  Result<void, att::AttErrorCode> set_value(uint16_t handle, Bytes value);

  const Callbacks* callbacks(const Attribute& a) const { return a.callbacks; }
  std::span<const Characteristic> characteristics() const {
    return {characteristics_.get(), characteristic_count_};
  }
  const Characteristic* characteristic_of(const Attribute& a) const {
    return a.characteristic < 0 ? nullptr : &characteristics_[size_t(a.characteristic)];
  }
  // The characteristic whose value attribute has this handle.
  const Characteristic* characteristic_by_value(uint16_t value_handle) const;
  // The first characteristic of that type in the first service of that type.
  std::optional<CharacteristicHandles> find_characteristic(const Uuid& service,
                                                           const Uuid& characteristic) const;
  size_t cccd_count() const { return cccd_count_; }

  // Core 5.4 Vol 3 Part G 7.3: the Database Hash, in the order the value is
  // sent (least significant octet first), and its characteristic.
  const crypto::Block& hash() const { return hash_; }
  uint16_t database_hash_handle() const { return hash_handle_; }
  uint16_t service_changed_handle() const { return service_changed_handle_; }

 private:
  struct Builder;
  Database() = default;
  // The definitions, kept: attributes and characteristics point at their
  // hooks there instead of copying them (a moved vector keeps its elements).
  std::vector<ServiceDef> definitions_;
  // Sized once by a counting pass over the same layout code (database.cpp).
  std::unique_ptr<Attribute[]> attributes_;
  std::unique_ptr<uint8_t[]> storage_;
  std::unique_ptr<Characteristic[]> characteristics_;
  uint16_t attribute_count_ = 0;
  uint16_t characteristic_count_ = 0;
  size_t cccd_count_ = 0;
  crypto::Block hash_{};
  uint16_t hash_handle_ = 0;
  uint16_t service_changed_handle_ = 0;
};

}  // namespace sable::gatt
