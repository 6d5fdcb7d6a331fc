// bonds list / bonds delete: work on the bond file directly, without opening a
// controller (sable::BondFile, the same store a Device uses).
#include <cstdio>

#include "cli.hpp"
#include "sable/bond_file.hpp"

namespace sable_cli {

int run_bonds(const Options& o, Output& out) {
  const std::string& path = o.device.bond_store;
  auto opened = sable::BondFile::open(path);
  if (!opened.ok()) return out.fail(kExitFailed, std::string(opened.error().message));
  sable::BondFile& store = *opened.value();
  if (auto warning = store.warning())
    std::fprintf(stderr, "warning: bond store: %s\n", warning->c_str());

  if (o.subcommand == "list") {
    auto bonds = store.bonds();
    for (const auto& b : bonds) {
      char line[256];
      std::snprintf(line, sizeof line,
                    "bond %s (%s) irk %s authenticated %s secure connections %s key size %u "
                    "subscriptions %zu",
                    b.identity.to_string().c_str(), address_type_name(b.identity),
                    b.has_irk ? "yes" : "no", b.authenticated ? "yes" : "no",
                    b.secure_connections ? "yes" : "no", unsigned(b.key_size), b.subscriptions);
      out.result(line, "bond",
                 Json()
                     .str("identity", b.identity.to_string())
                     .str("identity_type", address_type_name(b.identity))
                     .boolean("irk", b.has_irk)
                     .boolean("authenticated", b.authenticated)
                     .boolean("secure_connections", b.secure_connections)
                     .num("key_size", b.key_size)
                     .num("subscriptions", (long long)b.subscriptions));
    }
    out.result(std::to_string(bonds.size()) + " bond(s) in " + path, "bonds",
               Json().str("store", path).num("count", (long long)bonds.size()));
    return kExitOk;
  }

  // delete
  std::vector<sable::Address> victims;
  for (const auto& b : store.bonds())
    if (o.all || b.identity.bytes == o.bond_address->bytes) victims.push_back(b.identity);
  if (victims.empty() && !o.all)
    return out.fail(kExitNotFound, "no bond with " + o.bond_address->to_string() + " in " + path);
  for (const auto& a : victims) {
    if (auto r = store.delete_bond(a); !r.ok())
      return out.fail(kExitFailed, std::string(r.error().message));
    out.result("deleted bond " + a.to_string(), "bond_deleted",
               Json().str("identity", a.to_string()));
  }
  if (o.all)
    out.result("deleted " + std::to_string(victims.size()) + " bond(s) from " + path, "bonds",
               Json().str("store", path).num("count", 0));
  return kExitOk;
}

}  // namespace sable_cli
