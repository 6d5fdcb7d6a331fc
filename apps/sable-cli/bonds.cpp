// bonds list / bonds delete: work on the bond file directly, without opening a
// controller (the public API only reaches bonds through a Device, which needs
// one), through the same store the stack uses (src/store).
#include <cstdio>

#include "cli.hpp"
#include "store/file_bond_store.hpp"

namespace sable_cli {

int run_bonds(const Options& o, Output& out) {
  const std::string& path = o.device.bond_store;
  auto opened = sable::store::FileBondStore::open(path);
  if (!opened.ok())
    return out.fail(kExitFailed, "bond store " + path + ": " + opened.error().to_string());
  sable::store::FileBondStore& store = *opened.value();
  if (const auto& rec = store.recovery())
    std::fprintf(stderr, "warning: bond store: %s\n", rec->to_string().c_str());

  if (o.subcommand == "list") {
    auto bonds = store.all();
    for (const auto& b : bonds) {
      char line[256];
      std::snprintf(line, sizeof line,
                    "bond %s (%s) irk %s authenticated %s secure connections %s key size %u "
                    "subscriptions %zu",
                    b.peer_identity.to_string().c_str(), address_type_name(b.peer_identity),
                    b.peer_irk ? "yes" : "no", b.authenticated() ? "yes" : "no",
                    b.secure_connections() ? "yes" : "no", unsigned(b.key_size()), b.cccds.size());
      out.result(line, "bond",
                 Json()
                     .str("identity", b.peer_identity.to_string())
                     .str("identity_type", address_type_name(b.peer_identity))
                     .boolean("irk", b.peer_irk.has_value())
                     .boolean("authenticated", b.authenticated())
                     .boolean("secure_connections", b.secure_connections())
                     .num("key_size", b.key_size())
                     .num("subscriptions", (long long)b.cccds.size()));
    }
    out.result(std::to_string(bonds.size()) + " bond(s) in " + path, "bonds",
               Json().str("store", path).num("count", (long long)bonds.size()));
    return kExitOk;
  }

  // delete
  std::vector<sable::Address> victims;
  for (const auto& b : store.all())
    if (o.all || b.peer_identity.bytes == o.bond_address->bytes) victims.push_back(b.peer_identity);
  if (victims.empty() && !o.all)
    return out.fail(kExitNotFound, "no bond with " + o.bond_address->to_string() + " in " + path);
  for (const auto& a : victims) {
    if (auto r = store.remove(a); !r.ok())
      return out.fail(kExitFailed, "cannot delete the bond with " + a.to_string() + ": " +
                                       r.error().to_string());
    out.result("deleted bond " + a.to_string(), "bond_deleted",
               Json().str("identity", a.to_string()));
  }
  if (o.all)
    out.result("deleted " + std::to_string(victims.size()) + " bond(s) from " + path, "bonds",
               Json().str("store", path).num("count", 0));
  return kExitOk;
}

}  // namespace sable_cli
