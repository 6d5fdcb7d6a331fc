#include "api/server_database.hpp"

#include <cstring>

#include "api/device_impl.hpp"

namespace sable::detail {
namespace {

// What a characteristic's properties require of the link, in terms of the
// device's security policy: READ_ENC needs an encrypted link, and when the
// policy asks for MITM every encrypted access needs an authenticated key too
// (DESIGN.md: READ_ENC alone must not let a Just Works link read).
gatt::Permissions permissions(const Properties& p, bool read, const SecurityConfig& sec) {
  gatt::Permissions perm;
  Property base = read ? Property::Read : Property::Write;
  Property enc = read ? Property::ReadEnc : Property::WriteEnc;
  Property authen = read ? Property::ReadAuthen : Property::WriteAuthen;
  Property author = read ? Property::ReadAuthor : Property::WriteAuthor;
  perm.allowed = p.has(base) || (!read && p.has(Property::WriteNoResponse));
  perm.encryption = p.has(enc) || p.has(authen);
  perm.authentication = p.has(authen) || (p.has(enc) && sec.auth.has(AuthReq::kMitm));
  perm.authorization = p.has(author);
  perm.min_key_size = perm.encryption ? sec.min_key_size : 7;
  perm.secure_connections_only = perm.encryption && sec.secure_connections_only;
  return perm;
}

}  // namespace

Result<std::unique_ptr<gatt::Database>, Error> ServerDatabase::build(Server& server,
                                                                     const SecurityConfig& sec,
                                                                     const std::string& device_name,
                                                                     uint16_t appearance) {
  std::vector<gatt::ServiceDef> defs;
  for (Service& service : server.services_) {
    gatt::ServiceDef sd;
    sd.type = service.uuid();
    for (Characteristic& c : service.characteristics_) {
      gatt::CharacteristicDef cd;
      cd.type = c.uuid();
      cd.properties = uint8_t(c.properties().bits() & 0xFF);
      cd.access.read = permissions(c.properties(), true, sec);
      cd.access.write = permissions(c.properties(), false, sec);
      CharacteristicState& st = *c.state_;
      {
        LockGuard lock(st.mutex);
        cd.value.assign(st.value.begin(), st.value.begin() + st.length);
      }
      cd.max_length = Characteristic::kMaxValueLength;
      // Anyone may subscribe; the value itself is only sent once the link
      // meets its read security (gatt::Server::notify withholds it until then).
      cd.cccd_write = gatt::Permissions::open();
      CharacteristicState* sp = &st;
      cd.callbacks.on_write = [sp](uint16_t conn, Bytes value) -> std::optional<att::AttErrorCode> {
        {
          LockGuard lock(sp->mutex);
          std::memcpy(sp->value.data(), value.data(), value.size());
          sp->length = uint16_t(value.size());
          sp->too_long = false;
        }
        if (sp->on_write) sp->on_write(WriteContext{conn, value});
        return std::nullopt;
      };
      // The characteristic's slot is the value: set_value() from any thread
      // writes only the slot, and every read copies it in here.
      cd.callbacks.on_read = [sp](uint16_t conn,
                                  gatt::AttributeValue& value) -> std::optional<att::AttErrorCode> {
        if (sp->on_read) sp->on_read(conn);  // may call set_value()
        LockGuard lock(sp->mutex);
        if (!value.set(Bytes(sp->value.data(), sp->length)))
          return att::AttErrorCode::kUnlikelyError;
        return std::nullopt;
      };
      cd.callbacks.authorize = [sp](uint16_t conn, gatt::Op op) {
        return sp->on_authorize ? sp->on_authorize(conn, op == gatt::Op::kWrite) : false;
      };
      cd.on_subscribe = [sp](uint16_t conn, uint16_t value) {
        if (sp->on_subscribe) sp->on_subscribe(conn, value);
      };
      sd.characteristics.push_back(std::move(cd));
    }
    defs.push_back(std::move(sd));
  }
  gatt::DatabaseOptions opts;
  opts.device_name = device_name;
  opts.appearance = appearance;
  auto built = gatt::Database::build(std::move(defs), opts);
  if (!built.ok())
    return fail(Error{ErrorKind::kBadArgument,
                      built.error() == gatt::BuildError::kTooManyCccds
                          ? "cannot build the GATT database: more than 64 characteristics notify "
                            "or indicate"
                          : "cannot build the GATT database (a value is too long or there are too "
                            "many attributes)"});
  auto db = std::make_unique<gatt::Database>(std::move(built.value()));
  // Each characteristic's value handle, for set_value() and notify().
  for (Service& service : server.services_)
    for (Characteristic& c : service.characteristics_)
      if (auto h = db->find_characteristic(service.uuid(), c.uuid()))
        c.state_->value_handle.store(h->value, std::memory_order_release);
  return db;
}

}  // namespace sable::detail
