// Privacy (Core 5.4 Vol 3 Part C 10.7, Vol 6 Part B 1.3.2): our identity
// resolving key, resolving peers' private addresses to bonds, and the
// controller's resolving list. The advertiser makes our own private address
// from the IRK kept here.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "gap/host_context.hpp"
#include "sable/address.hpp"
#include "smp/pairing.hpp"
#include "store/bond.hpp"

namespace sable::gap {

class Privacy {
 public:
  explicit Privacy(HostContext& ctx) : ctx_(ctx) {}

  // Loads our IRK from the bond store or makes one (kept with the bonds).
  void ensure_local_identity();
  const std::optional<std::array<uint8_t, 16>>& local_irk() const { return local_irk_; }

  // Puts the bond of a peer seen at `on_air` in `bond` (straight into the
  // caller's slot: a Bond is large) and returns the peer's identity.
  // `identity` is the controller's resolution when it did one (Enhanced
  // Connection Complete), else `on_air`.
  Address resolve(const Address& on_air, const Address& identity,
                  std::optional<store::Bond>& bond) const;
  // The bond of a resolvable private address, if one of the stored IRKs makes it.
  std::optional<store::Bond> bond_for_rpa(const Address& rpa) const;

  // Reloads the controller's resolving list from the bonds (after start-up
  // and whenever a bond with an IRK is added or removed).
  void load_resolving_list();

  // What this host tells SMP about itself on a link.
  smp::LocalDevice local_device(const Address& address_on_air) const;

 private:
  bool controller_resolves() const;
  // Sends the entry of the resolving_next_-th bond with an IRK, or, past the
  // last, switches resolution on (if there was any entry).
  void add_next_resolving_entry();

  HostContext& ctx_;
  std::optional<std::array<uint8_t, 16>> local_irk_;
  // The list is fed one entry per answer, so any number of bonds fits the
  // command queue.
  size_t resolving_next_ = 0;     // entries sent so far in this load
  bool resolving_busy_ = false;   // an entry awaits its answer
  bool resolving_again_ = false;  // the bonds changed meanwhile: reload after it
};

}  // namespace sable::gap
