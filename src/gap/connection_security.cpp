// A link's security: encryption with a new or a bonded key, the LTK the
// controller asks for, pairing results stored as bonds, and a bonded peer's
// subscriptions kept with its bond.

#include "common/log.hpp"
#include "gap/connection.hpp"
#include "hci/commands.hpp"

namespace sable::gap {

smp::PairingPolicy pairing_policy(const SecurityConfig& s) {
  smp::PairingPolicy p;
  p.auth = s.auth;
  p.io_cap = s.io_cap;
  p.sc_only = s.secure_connections_only;
  p.min_key_size = s.min_key_size;
  p.max_key_size = 16;
  p.allow_debug_keys = s.allow_debug_keys;
  if (s.static_passkey) {
    p.passkey_source = smp::PasskeySource::kStatic;
    p.static_passkey = *s.static_passkey;
  } else {
    p.passkey_source = smp::PasskeySource::kRandom;
  }
  // Both sides distribute their keys: the LTK (legacy) and the IRK with the
  // identity address, so a peer can resolve our private address later.
  p.initiator_key_distribution = smp::key_dist::kEncKey | smp::key_dist::kIdKey;
  p.responder_key_distribution = smp::key_dist::kEncKey | smp::key_dist::kIdKey;
  return p;
}

att::LinkSecurity Connection::link_security() const {
  att::LinkSecurity s{};
  s.encrypted = desc_.encrypted;
  s.authenticated = desc_.authenticated;
  s.secure_connections = desc_.secure_connections;
  s.key_size = desc_.key_size;
  s.peer_bonded = bond_.has_value();
  return s;
}

void Connection::security_changed() {
  if (server_) server_->set_link_security(link_security());
  Reported now{desc_.encrypted, desc_.authenticated, desc_.secure_connections, desc_.key_size};
  if (now == reported_) return;
  reported_ = now;
  push(HostEvent::Kind::kSecurityChanged);
}

void Connection::pairing_failed(const Error& e) {
  SABLE_LOG_WARN("connection 0x%04x: %s", desc_.handle, e.message.c_str());
  HostEvent& ev = s_.ctx.events.push(HostEvent::Kind::kPairingFailed);
  ev.desc = desc();
  ev.error = e;
}

// ---- Encryption (Core 5.4 Vol 4 Part E 7.7.8, 7.7.39, 7.7.65.5) ----

void Connection::bond_key_refused(hci::HciStatus status) {
  pairing_failed(Error{ErrorKind::kController, hci_error("encryption with the bonded key", status),
                       uint8_t(status)});
}

void Connection::start_encryption_with_bond() {
  const store::LongTermKey* k = bond_ ? bond_->ltk_for(Role::kCentral) : nullptr;
  if (!k) return;
  bond_key_ = KeyInfo{k->authenticated, k->secure_connections, k->key_size};
  s_.ctx.send_command(hci::le_start_encryption(desc_.handle, k->rand, k->ediv, k->key));
}

void Connection::start_encryption(const smp::Key& ltk, uint64_t rand, uint16_t ediv) {
  s_.ctx.send_command(hci::le_start_encryption(desc_.handle, rand, ediv, ltk));
}

void Connection::apply_key(const KeyInfo& key, bool from_bond) {
  desc_.authenticated = key.authenticated;
  desc_.secure_connections = key.secure_connections;
  desc_.key_size = key.key_size;
  if (from_bond && bond_) {
    desc_.bonded = true;
    // The store is the truth: what it keeps for this peer now (e.g. the
    // subscriptions saved on another link), marked as just used.
    Address identity = bond_->peer_identity;
    (void)s_.ctx.bonds().touch(identity);
    if (auto fresh = s_.ctx.bonds().find_by_identity(identity)) bond_ = std::move(fresh);
    restore_client_state();
  }
  security_changed();
}

void Connection::on_encryption_change(hci::HciStatus status, bool enabled) {
  bool pairing = pairing_.in_progress();
  TimePoint now = s_.ctx.now;
  if (status != hci::HciStatus::kSuccess) {
    SABLE_LOG_WARN("connection 0x%04x: %s", desc_.handle, hci_error("encryption", status).c_str());
    // With the bond's key: refused (the peer lost the bond?); the link stays
    // unencrypted and nothing falls back to plaintext on our side.
    bool bond_key_refused_now = bond_key_.has_value();
    bond_key_.reset();
    if (pairing) pairing_.on_encryption_changed(now, uint8_t(status), false);
    if (bond_key_refused_now) bond_key_refused(status);
    return;
  }
  desc_.encrypted = enabled;
  if (!enabled) {
    bond_key_.reset();
    apply_key(KeyInfo{false, false, 0}, false);
    return;
  }
  if (bond_key_) {
    KeyInfo key = *bond_key_;
    bond_key_.reset();
    apply_key(key, true);
    // A Security Request we sent is answered by this encryption.
    if (pairing) pairing_.on_encryption_changed(now, 0, true);
    return;
  }
  if (pairing) {
    // Encrypted with the key this pairing made: its properties are reported
    // when the pairing completes (key distribution), so the application
    // hears the link's security once, with the truth.
    if (server_) server_->set_link_security(link_security());
    pairing_.on_encryption_changed(now, 0, true);
    return;
  }
  security_changed();
}

// Core 5.4 Vol 4 Part E 7.7.39: re-encryption of an encrypted link.
void Connection::on_key_refresh_complete(hci::HciStatus status) {
  if (pairing_.in_progress()) {
    pairing_.on_encryption_changed(s_.ctx.now, uint8_t(status), status == hci::HciStatus::kSuccess);
    return;
  }
  if (!bond_key_) return;
  KeyInfo key = *bond_key_;
  bond_key_.reset();
  if (status != hci::HciStatus::kSuccess) {
    bond_key_refused(status);
    return;
  }
  apply_key(key, true);
}

void Connection::on_long_term_key_request(uint64_t rand, uint16_t ediv) {
  // During pairing only the key of a finished phase 2 is handed out.
  if (auto key = pairing_.on_long_term_key_request(s_.ctx.now, rand, ediv)) {
    s_.ctx.send_command(hci::le_long_term_key_request_reply(desc_.handle, *key));
    return;
  }
  // A bond's key is handed out unless a pairing is under way; a Security
  // Request we sent may be answered by encrypting with the bond (Core 5.4
  // Vol 3 Part H 2.4.6).
  bool pairing_busy = pairing_.in_progress() && !pairing_.security_request_pending();
  if (bond_ && !pairing_busy) {
    if (const store::LongTermKey* k = bond_->ltk_for(Role::kPeripheral)) {
      // Core 5.4 Vol 3 Part H 2.4.4.2: an SC key is asked for with EDIV = 0 and
      // Rand = 0; a legacy key with the EDIV/Rand we distributed.
      bool match =
          k->secure_connections ? (ediv == 0 && rand == 0) : (ediv == k->ediv && rand == k->rand);
      if (match) {
        bond_key_ = KeyInfo{k->authenticated, k->secure_connections, k->key_size};
        s_.ctx.send_command(hci::le_long_term_key_request_reply(desc_.handle, k->key));
        return;
      }
    }
  }
  // No key: a negative reply (Core 5.4 Vol 4 Part E 7.8.26).
  s_.ctx.send_command(hci::le_long_term_key_request_negative_reply(desc_.handle));
}

// ---- Pairing results ----

std::optional<smp::ExistingBond> Connection::existing_bond_for_peer() {
  if (!bond_ || !bond_->ltk_for(desc_.role)) return std::nullopt;
  return smp::ExistingBond{bond_->authenticated(), bond_->secure_connections(), bond_->key_size()};
}

smp::SecurityRequestAction Connection::on_security_request(AuthReq) {
  // Only an initiator (central) hears a Security Request.
  if (profile::kCentralRole && bond_ && bond_->ltk_for(Role::kCentral)) {
    start_encryption_with_bond();
    return smp::SecurityRequestAction::kEncryptWithBond;
  }
  return smp::SecurityRequestAction::kPair;
}

void Connection::on_pairing_complete(const smp::PairingResult& r) {
  if (r.peer_identity_address) desc_.id_address = *r.peer_identity_address;
  if (r.bonded) store_bond(r);
  apply_key(KeyInfo{r.authenticated, r.secure_connections, r.key_size}, false);
  push(HostEvent::Kind::kPairingComplete);
}

void Connection::store_bond(const smp::PairingResult& r) {
  store::Bond b;
  b.peer_identity = store::identity_form(desc_.id_address);
  b.peer_irk = r.peer_irk;
  // SMP and the store share LongTermKey: the keys carry the pairing's
  // properties already.
  if (r.secure_connections) {
    b.ltk = r.ltk;
  } else {
    b.ltk = r.local_ltk;
    b.peer_ltk = r.peer_ltk;
  }
  b.peer_csrk = r.peer_csrk;
  gatt::CccdValues cccds;
  if (server_) cccds = server_->client_state().cccds;
  b.cccds.assign(cccds);
  // The bond is stored before anyone hears of the pairing (no lost bonds).
  if (auto put = s_.ctx.bonds().put(b); !put.ok()) {
    log_store_error(ErrorMessage::format("connection 0x%04x: bond not stored", desc_.handle),
                    put.error());
    return;
  }
  bond_ = b;
  desc_.bonded = true;
  if (server_) saved_cccds_ = cccds;
  if (b.peer_irk) s_.privacy.load_resolving_list();
}

void Connection::on_pairing_failed(const smp::PairingFailure& f) {
  // Per smp::FailureOrigin (local, peer, timeout): its name; ErrorOrigin
  // lists the same three after kUnknown.
  static constexpr const char* kWho[] = {"local", "peer", "timeout"};
  static_assert(uint8_t(ErrorOrigin::kLocal) == uint8_t(smp::FailureOrigin::kLocal) + 1 &&
                uint8_t(ErrorOrigin::kPeer) == uint8_t(smp::FailureOrigin::kPeer) + 1 &&
                uint8_t(ErrorOrigin::kTimeout) == uint8_t(smp::FailureOrigin::kTimeout) + 1);
  bool timeout = f.origin == smp::FailureOrigin::kTimeout;
  pairing_failed(
      Error{timeout ? ErrorKind::kTimeout : ErrorKind::kPairingFailed,
            ErrorMessage::format("pairing failed: %s (0x%02x, %s)", smp::to_string(f.reason),
                                 unsigned(f.reason), kWho[size_t(f.origin)]),
            uint8_t(f.reason), ErrorOrigin(uint8_t(f.origin) + 1)});
  // A link encrypted with this pairing's key before it failed: say so now.
  if (desc_.encrypted) security_changed();
  // Core 5.4 Vol 3 Part H 3.4: after an SMP timeout no more SMP on this link.
  if (timeout) (void)disconnect(uint8_t(hci::HciStatus::kRemoteUserTerminatedConnection));
}

void Connection::forget_bond(const Address& identity) {
  if (bond_ && bond_->peer_identity == identity) bond_.reset();
}

// ---- Subscriptions kept with the bond ----

// Subscriptions of a bonded peer are kept with its bond, once the link is
// encrypted with that bond's key (so an impostor cannot change them).
void Connection::save_client_state() {
  if (!server_ || !bond_ || !desc_.bonded || !desc_.encrypted) return;
  if (server_->client_state_generation() == saved_generation_) return;
  saved_generation_ = server_->client_state_generation();
  const gatt::CccdValues cccds = server_->client_state().cccds;
  if (cccds == saved_cccds_) return;
  if (auto r = s_.ctx.bonds().update_cccds(bond_->peer_identity, cccds); !r.ok()) {
    log_store_error(
        ErrorMessage::format("subscriptions of %s not stored", bond_->peer_identity.text().c_str()),
        r.error());
    return;
  }
  saved_cccds_ = cccds;
}

void Connection::restore_client_state() {
  if (!server_ || !bond_) return;
  gatt::ClientState state = server_->client_state();
  for (const auto& e : bond_->cccds) {
    // What the peer wrote on this link before encrypting wins.
    if (server_->cccd_value(e.handle) == 0) state.cccds.push_back(e);
  }
  server_->restore_client_state(state);
  saved_cccds_ = server_->client_state().cccds;
}

}  // namespace sable::gap
