// The Host: one BLE host on one controller. It ties the layers together for
// each connection (HCI ACL <-> L2CAP <-> ATT/GATT, SMP) and runs GAP:
// controller bring-up, advertising (restarted after a disconnection),
// connections, connection parameter updates, link security state.
//
// Sans-I/O: every input carries `now`; the owner (src/api on Linux, a port's
// main loop on an MCU) forwards HCI packets both ways and calls on_timeout()
// at next_deadline(). Events go to a HostListener on the same thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "att/att.hpp"
#include "common/bytes.hpp"
#include "common/hci_packet_type.hpp"
#include "common/time.hpp"
#include "crypto/crypto.hpp"
#include "gap/advertising_data.hpp"
#include "gatt/client.hpp"
#include "gatt/database.hpp"
#include "gatt/server.hpp"
#include "hci/acl.hpp"
#include "hci/command_channel.hpp"
#include "hci/commands.hpp"
#include "hci/controller_init.hpp"
#include "hci/sender.hpp"
#include "l2cap/le_link.hpp"
#include "sable/conn_desc.hpp"
#include "sable/error.hpp"
#include "sable/notify.hpp"
#include "sable/result.hpp"
#include "sable/security.hpp"
#include "smp/pairing.hpp"
#include "smp/repeated_attempts.hpp"
#include "store/bond_store.hpp"

namespace sable::gap {

using hci::HciStatus;

struct HostConfig {
  SecurityConfig security;
  uint16_t max_att_mtu = 517;
  // Links this host accepts at once as a peripheral; advertising resumes while
  // fewer are open.
  size_t max_peripheral_connections = 1;
  // Links of any role this host serves at once (sizes the ACL pools).
  size_t max_connections = 16;
  // How often a resolvable private address is replaced (Core 5.4 Vol 3 Part C
  // 10.7.2 recommends 15 minutes).
  Duration rpa_rotation = Duration(15 * 60 * 1000);
  // Advertising interval, 0.625 ms units (Core 5.4 Vol 4 Part E 7.8.5): 100 ms.
  uint16_t advertising_interval_min = 0x00A0;
  uint16_t advertising_interval_max = 0x00A0;
};

// One advertising report, with the scan response merged in when it arrived.
struct ScanReport {
  Address address;
  std::optional<Address> identity;  // a bonded peer's identity, when its RPA resolves
  int8_t rssi = 127;
  uint8_t event_type = 0;  // Core 5.4 Vol 4 Part E 7.7.65.2: 0 ADV_IND ... 4 SCAN_RSP
  bool connectable = false;
  ParsedAdvertisingData data;
};

struct ScanConfig {
  bool active = true;          // send scan requests to get scan responses
  uint16_t interval = 0x0060;  // 60 ms, 0.625 ms units
  uint16_t window = 0x0030;    // 30 ms
  bool filter_duplicates = true;
};

struct ConnectConfig {
  // Connection interval 30-50 ms, latency 0, supervision timeout 4 s.
  l2cap::ConnectionParameters parameters{24, 40, 0, 400};
  Duration timeout = Duration(5000);  // then LE_Create_Connection_Cancel
};

class HostListener {
 public:
  virtual void on_ready() = 0;                    // bring-up finished
  virtual void on_fatal(const Error& error) = 0;  // the controller failed; the host stops
  virtual void on_connected(const ConnDesc&) = 0;
  virtual void on_disconnected(const ConnDesc&, uint8_t reason) = 0;
  virtual void on_connection_updated(const ConnDesc&) {}
  virtual void on_security_changed(const ConnDesc&) {}
  virtual void on_scan_report(const ScanReport&) {}
  // Pairing: show a passkey, ask for one (answer with Host::passkey_reply),
  // confirm a numeric comparison value (answer with numeric_comparison_reply).
  virtual void on_passkey_display(const ConnDesc&, uint32_t /*passkey*/) {}
  virtual void on_passkey_request(const ConnDesc& desc) { (void)desc; }
  virtual void on_numeric_comparison(const ConnDesc& desc, uint32_t value) {
    (void)desc;
    (void)value;
  }
  virtual void on_pairing_complete(const ConnDesc&) {}
  virtual void on_pairing_failed(const ConnDesc&, const Error&) {}
  // A connect() that did not produce a connection (timeout, cancel, error).
  virtual void on_connect_failed(const Address&, const Error&) {}

 protected:
  ~HostListener() = default;
};

class Host final : private hci::Sender {
 public:
  Host(const HostConfig& config, hci::Sender& out, HostListener& listener,
       crypto::RandomSource& random);
  ~Host();
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  // Starts controller bring-up (Reset, ...). HostListener::on_ready follows.
  void start(TimePoint now);
  // A whole HCI packet from the controller (no H4 indicator).
  void on_hci_packet(TimePoint now, HciPacketType type, Bytes packet);
  TimePoint next_deadline() const;
  void on_timeout(TimePoint now);
  // The transport to the controller broke: every link is reported ended and
  // the host stops (HostListener::on_fatal).
  void on_controller_lost(TimePoint now, const std::string& message);

  // Security policy, used by the next pairing.
  void set_security_config(const SecurityConfig& security);
  // Bonds live here (default: an in-memory store). Set before start().
  void set_bond_store(store::BondStore* store) { bonds_ = store; }
  store::BondStore& bond_store() { return *bonds_; }

  // Pairing and encryption.
  Result<void, Error> pair(TimePoint now, uint16_t handle);
  // Central: encrypt with the bond's key if there is one, else pair.
  // Peripheral: send a Security Request.
  Result<void, Error> secure(TimePoint now, uint16_t handle);
  Result<void, Error> passkey_reply(TimePoint now, uint16_t handle,
                                    std::optional<uint32_t> passkey);
  Result<void, Error> numeric_comparison_reply(TimePoint now, uint16_t handle, bool accept);
  // Forgets a bond (and, if connected, nothing else changes until reconnection).
  Result<void, Error> remove_bond(const Address& identity);
  const SecurityConfig& security_config() const { return config_.security; }

  bool ready() const { return ready_; }
  bool failed() const { return failed_; }
  const hci::ControllerInfo& controller() const { return controller_; }
  // The address peers see: the RPA when privacy is on, else the public address.
  Address own_address() const;

  // GATT: the database is shared by every connection. Set it before advertising.
  void set_database(gatt::Database* database) { database_ = database; }
  gatt::Database* database() { return database_; }

  Result<void, Error> set_advertising_data(TimePoint now, const AdvertisementData& data);
  // Interval in 0.625 ms units, 0x0020..0x4000 (Core 5.4 Vol 4 Part E 7.8.5).
  Result<void, Error> set_advertising_interval(TimePoint now, uint16_t min_units,
                                               uint16_t max_units);
  Result<void, Error> start_advertising(TimePoint now);
  Result<void, Error> stop_advertising(TimePoint now);
  bool advertising() const { return advertising_on_; }

  // Central role.
  Result<void, Error> start_scan(TimePoint now, const ScanConfig& config);
  Result<void, Error> stop_scan(TimePoint now);
  bool scanning() const { return scan_wanted_; }
  // One connection attempt at a time; ends in on_connected or on_connect_failed.
  Result<void, Error> connect(TimePoint now, const Address& peer, const ConnectConfig& config = {});
  Result<void, Error> cancel_connect(TimePoint now);
  bool connecting() const { return connecting_.has_value(); }

  Result<void, Error> update_connection_parameters(TimePoint now, uint16_t handle,
                                                   const l2cap::ConnectionParameters& params);
  Result<void, Error> disconnect(TimePoint now, uint16_t handle, uint8_t reason);

  // Sends the value to every subscribed connection that may read it.
  NotifyResult notify(TimePoint now, uint16_t value_handle, Bytes value);

  // The bond held for the peer of this connection, if any.
  std::optional<store::Bond> bond_for(uint16_t handle) const;

  // The GATT client of a connection (both roles have one), or nullptr.
  gatt::Client* gatt_client(uint16_t handle);

  std::vector<ConnDesc> connections() const;
  std::optional<ConnDesc> connection(uint16_t handle) const;

 private:
  struct Connection;
  friend struct Connection;

  void send_hci(HciPacketType type, Bytes packet) override;
  void send_command(const hci::CommandPacket& packet, hci::CommandChannel::Callback cb = {});
  void fatal(ErrorKind kind, std::string message);
  void on_event(Bytes packet);
  void on_le_meta(Bytes params);
  void on_acl_pdu(uint16_t handle, Bytes pdu);
  void on_connection_complete(HciStatus status, uint16_t handle, uint8_t role, const Address& peer,
                              uint16_t interval, uint16_t latency, uint16_t timeout,
                              const Address* identity = nullptr);
  void on_disconnection_complete(Bytes params);
  void on_encryption_change(Bytes params);
  void on_connection_update_complete(Bytes params);
  void on_remote_connection_parameter_request(Bytes params);
  void on_long_term_key_request(Bytes params);
  void refresh_advertising();
  void on_advertising_report(Bytes params);
  Connection* find(uint16_t handle);
  const Connection* find(uint16_t handle) const;
  void send_acl(uint16_t handle, Bytes pdu);
  void fall_back_to_l2cap_update(Connection& c);
  void on_key_refresh_complete(Bytes params);
  smp::PairingPolicy pairing_policy() const;
  smp::LocalDevice local_device(const Connection& c) const;
  void ensure_local_identity();
  void resolve_peer(Connection& c);
  void start_encryption_with_bond(Connection& c, const store::Bond& bond);
  void save_client_state(Connection& c);
  void restore_client_state(Connection& c);
  void refresh_security(Connection& c);
  void rotate_private_address();
  bool controller_resolves() const;
  void load_resolving_list();
  void notify_pairing_failed(Connection& c, Error e);
  void record_authentication_failure();
  bool passkey_guessing_blocked() const;

  HostConfig config_;
  hci::Sender& out_;
  HostListener& listener_;
  crypto::RandomSource& random_;
  hci::CommandChannel commands_;
  hci::ControllerInit init_;
  hci::AclOutbound acl_out_;
  hci::AclInbound acl_in_;
  hci::ControllerInfo controller_{};
  TimePoint now_{0};
  bool ready_ = false;
  bool failed_ = false;

  gatt::Database* database_ = nullptr;

  store::MemoryBondStore default_bonds_;
  store::BondStore* bonds_ = &default_bonds_;
  smp::RepeatedAttempts repeated_attempts_;
  std::vector<TimePoint> recent_failures_;  // authentication failures, any peer
  TimePoint guessing_blocked_until_{0};
  std::array<uint8_t, 16> local_irk_{};
  bool local_irk_ready_ = false;
  // Privacy: our resolvable private address and when to replace it.
  std::optional<Address> private_address_;
  TimePoint rpa_deadline_ = kNever;
  std::vector<std::unique_ptr<Connection>> connections_;

  // Advertising: what the application wants, and what the controller does.
  bool advertising_wanted_ = false;
  bool advertising_on_ = false;
  bool advertising_busy_ = false;  // commands in flight
  bool advertising_data_dirty_ = true;
  AdvertisingPayload advertising_payload_{};

  // Scanning: reports are merged with their scan response before delivery.
  bool scan_wanted_ = false;
  bool scan_active_ = false;
  struct PendingAdvert {
    Address address;
    ScanReport report;
  };
  std::vector<PendingAdvert> pending_adverts_;  // waiting for a scan response (bounded)

  // Initiating.
  struct Connecting {
    Address peer;
    TimePoint deadline;
    bool cancel_sent = false;
    std::optional<Error> failure;  // reported when the controller confirms the end
  };
  std::optional<Connecting> connecting_;
};

}  // namespace sable::gap
