#include "gap/privacy.hpp"

#include "common/log.hpp"
#include "hci/commands.hpp"
#include "smp/toolbox.hpp"

namespace sable::gap {
namespace {

bool irk_makes(const store::Key128& irk, const std::array<uint8_t, 6>& rpa) {
  return smp::rpa_matches_irk(irk, rpa);
}

}  // namespace

void Privacy::ensure_local_identity() {
  if (auto id = ctx_.bonds().local_identity()) {
    local_irk_ = id->irk;
    return;
  }
  // Generated once, kept with the bonds (Core 5.4 Vol 3 Part C 10.7).
  store::LocalIdentity id;
  ctx_.random.fill(id.irk);
  if (auto r = ctx_.bonds().set_local_identity(id); !r.ok())
    log_store_error("local IRK not stored", r.error());
  local_irk_ = id.irk;
}

Address Privacy::resolve(const Address& on_air, const Address& identity,
                         std::optional<store::Bond>& bond) const {
  if (!(identity == on_air)) {  // the controller resolved it already
    bond = ctx_.bonds().find_by_identity(identity);
    return identity;
  }
  if (on_air.is_resolvable_private()) {
    bond = bond_for_rpa(on_air);
    return bond ? bond->peer_identity : identity;
  }
  bond = ctx_.bonds().find_by_identity(store::identity_form(on_air));
  return identity;
}

std::optional<store::Bond> Privacy::bond_for_rpa(const Address& rpa) const {
  if (!rpa.is_resolvable_private()) return std::nullopt;
  return ctx_.bonds().find_by_rpa(rpa.bytes, irk_makes);
}

// Core 5.4 Vol 6 Part B 4.6 (feature bit 6, LL Privacy) and Vol 4 Part E
// 7.8.38-7.8.44: a controller with a resolving list resolves bonded peers'
// private addresses itself (and can then report them by identity). The host
// keeps resolving them too, so controllers without the feature work the same.
bool Privacy::controller_resolves() const {
  const hci::ControllerInfo& c = ctx_.controller;
  return c.supports_le_feature(6) && c.supports(hci::supported::kLeAddDeviceToResolvingList) &&
         c.supports(hci::supported::kLeSetAddressResolutionEnable);
}

// Reloads the whole list: resolution is switched off while it changes, which
// the controller allows even while advertising or scanning.
void Privacy::load_resolving_list() {
  if (!controller_resolves() || ctx_.failed || !local_irk_) return;
  if (resolving_busy_) {
    resolving_again_ = true;
    return;
  }
  ctx_.send_command(hci::le_set_address_resolution_enable(false));
  ctx_.send_command(hci::le_clear_resolving_list());
  resolving_next_ = 0;
  add_next_resolving_entry();
}

void Privacy::add_next_resolving_entry() {
  size_t index = 0, wanted = resolving_next_;
  bool sent = false;
  ctx_.bonds().for_each([&](const store::Bond& b) {
    if (!b.peer_irk || index++ != wanted) return;
    sent = resolving_busy_ = true;
    ++resolving_next_;
    ctx_.send_command(
        hci::le_add_device_to_resolving_list(b.peer_identity, *b.peer_irk, *local_irk_),
        [this](const hci::CommandResult& r) {
          resolving_busy_ = false;
          if (!r.ok() && !r.timed_out)  // e.g. the list is full: the host still resolves
            SABLE_LOG_WARN("%s", hci_error("LE_Add_Device_To_Resolving_List", r.status).c_str());
          if (r.timed_out) return;  // the controller has failed
          if (resolving_again_) {
            resolving_again_ = false;
            load_resolving_list();
          } else {
            add_next_resolving_entry();
          }
        });
  });
  if (!sent && resolving_next_ > 0) ctx_.send_command(hci::le_set_address_resolution_enable(true));
}

smp::LocalDevice Privacy::local_device(const Address& address_on_air) const {
  smp::LocalDevice d;
  d.identity_address = ctx_.controller.bd_addr;
  d.address_on_air = address_on_air;
  d.irk = local_irk_;
  return d;
}

}  // namespace sable::gap
