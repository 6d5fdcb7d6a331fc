// One ACL link as the host sees it (Core 5.4 Vol 3 Part C 9.3): its L2CAP
// LE-U link, the GATT server and client on its ATT bearer, its pairing, the
// link's security state (encryption with a new or a bonded key, the bond held
// for the peer, the peer's subscriptions kept with the bond) and the
// connection parameter update procedure with its L2CAP fallback.
//
// Everything the application must hear goes to the host's event outbox.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <type_traits>
#include <vector>

#include "att/att.hpp"
#include "att/bearer.hpp"
#include "common/profile.hpp"
#include "gap/host_context.hpp"
#include "gap/privacy.hpp"
#include "gatt/client.hpp"
#include "gatt/database.hpp"
#include "gatt/server.hpp"
#include "hci/acl.hpp"
#include "hci/events.hpp"
#include "l2cap/le_link.hpp"
#include "sable/conn_desc.hpp"
#include "sable/error.hpp"
#include "sable/result.hpp"
#include "smp/pairing.hpp"
#include "smp/repeated_attempts.hpp"
#include "store/bond.hpp"

namespace sable::gap {

// Stands in for the GATT client in a build without one (profile::kGattClient).
// Calls on it sit in discarded `if constexpr` branches: never run, never linked.
struct NoGattClient {
  template <class... Args>
  void emplace(Args&&...) {}
};

// The GATT client in its slot, or nullptr (none made, or none in this build).
template <class Slot>
gatt::Client* client_of(Slot& slot) {
  if constexpr (std::is_same_v<Slot, NoGattClient>)
    return nullptr;
  else
    return slot ? &*slot : nullptr;
}

// The application's security policy as SMP applies it to each pairing.
smp::PairingPolicy pairing_policy(const SecurityConfig& security);

// What a Connection uses of the host around it.
struct LinkServices {
  HostContext& ctx;
  Privacy& privacy;
  hci::AclOutbound& acl;
  smp::RepeatedAttempts& repeated_attempts;
  gatt::Database* database;
};

// PairingDelegate, the base with the most virtual functions, comes first: it
// shares the primary vtable, so SMP's calls need no this-adjusting thunks.
class Connection final : smp::PairingDelegate, l2cap::LinkDelegate, att::BearerDelegate {
 public:
  // `desc` as the controller reported the link; `local_address` is ours on
  // air for it. Looks up the bond of the peer.
  Connection(const LinkServices& services, const ConnDesc& desc, const Address& local_address);
  ~Connection() override;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  uint16_t handle() const { return desc_.handle; }
  Role role() const { return desc_.role; }
  // The link as the application sees it (with the bearer's current MTU).
  ConnDesc desc() const;
  const std::optional<store::Bond>& bond() const { return bond_; }
  gatt::Client* client() { return client_of(client_); }
  gatt::Server* server() { return server_ ? &*server_ : nullptr; }

  // ---- from the controller (via the host's dispatch) ----
  void on_acl_pdu(Bytes pdu);
  void on_encryption_change(hci::HciStatus status, bool enabled);
  void on_key_refresh_complete(hci::HciStatus status);
  void on_long_term_key_request(uint64_t rand, uint16_t ediv);
  void on_connection_update_complete(const hci::LeConnectionUpdateCompleteEvent& e);
  void on_disconnect_failed() { disconnecting_ = false; }
  // The link is gone: keep what must outlive it (subscriptions of a bond).
  void on_disconnected();

  TimePoint next_deadline() const;
  void on_timeout(TimePoint now);

  // ---- procedures asked for by the owner ----
  Result<void, Error> pair();
  // Central: encrypt with the bond's key if there is one, else pair.
  // Peripheral: send a Security Request (through pairing).
  Result<void, Error> secure();
  Result<void, Error> passkey_reply(std::optional<uint32_t> passkey);
  Result<void, Error> numeric_comparison_reply(bool accept);
  Result<void, Error> update_parameters(const l2cap::ConnectionParameters& p);
  Result<void, Error> disconnect(uint8_t reason);
  // The bond with this identity was removed from the store.
  void forget_bond(const Address& identity);

 private:
  // What the key of the link's (next) encryption gives.
  struct KeyInfo {
    bool authenticated;
    bool secure_connections;
    uint8_t key_size;
  };

  // l2cap::LinkDelegate
  void send_pdu(Bytes pdu) override;
  void on_att_sdu(Bytes sdu) override;
  void on_smp_sdu(Bytes sdu) override;
  bool on_connection_parameter_update_request(const l2cap::ConnectionParameters& p) override;
  void on_connection_parameter_update_result(l2cap::ConnectionParameterUpdateResult r) override;

  // att::BearerDelegate
  void send(Bytes pdu) override { link_.send_att(pdu); }
  bool can_send(size_t length) override;
  void on_bearer_fatal() override;

  // smp::PairingDelegate
  void send_smp(Bytes sdu) override { link_.send_smp(sdu); }
  void start_encryption(const smp::Key& ltk, uint64_t rand, uint16_t ediv) override;
  void display_passkey(uint32_t passkey) override;
  void request_passkey(smp::PasskeyRequest) override;
  void confirm_numeric_comparison(uint32_t value) override;
  void on_pairing_complete(const smp::PairingResult& result) override;
  void on_pairing_failed(const smp::PairingFailure& failure) override;
  std::optional<smp::ExistingBond> existing_bond_for_peer() override;
  smp::SecurityRequestAction on_security_request(AuthReq) override;

  // Security (connection_security.cpp).
  att::LinkSecurity link_security() const;
  void start_encryption_with_bond();
  // The one path for "the link is now encrypted with this key": Encryption
  // Change and Encryption Key Refresh Complete both end here.
  void apply_key(const KeyInfo& key, bool from_bond);
  void store_bond(const smp::PairingResult& r);
  void save_client_state();
  void restore_client_state();
  // Tells the GATT server, and the application once per change.
  void security_changed();
  void pairing_failed(const Error& e);
  // Encryption with the bond's key failed with `status`.
  void bond_key_refused(hci::HciStatus status);
  void push(HostEvent::Kind kind, uint32_t value = 0);

  void fall_back_to_l2cap_update();

  LinkServices s_;
  ConnDesc desc_;
  Address local_address_;
  l2cap::LeLink link_;
  att::Bearer bearer_;  // declared before (destroyed after) the server and client on it
  // In place (no allocation per link); the bearer outlives both.
  std::optional<gatt::Server> server_;
  std::conditional_t<profile::kGattClient, std::optional<gatt::Client>, NoGattClient> client_;
  smp::Pairing pairing_;
  bool disconnecting_ = false;

  // A parameter update asked of the controller; if it refuses, ask over L2CAP.
  std::optional<l2cap::ConnectionParameters> pending_update_;
  TimePoint update_deadline_ = kNever;  // no LE Connection Update Complete by then: use L2CAP
  bool update_fell_back_ = false;

  std::optional<store::Bond> bond_;  // what we hold for this peer, if anything
  std::optional<KeyInfo> bond_key_;  // encryption in progress with the bond's key
  // What the application last heard of the link's security.
  struct Reported {
    bool encrypted = false;
    bool authenticated = false;
    bool secure_connections = false;
    uint8_t key_size = 0;
    friend bool operator==(const Reported&, const Reported&) = default;
  };
  Reported reported_{};
  gatt::CccdValues saved_cccds_;  // what the store last got (fixed: no allocation)
  uint32_t saved_generation_ = 0;
};

}  // namespace sable::gap
