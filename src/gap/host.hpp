// The Host: one BLE host on one controller. It keeps only what is shared:
// controller bring-up, HCI event dispatch to the part that owns each event,
// the earliest deadline of all parts, and the event outbox that it delivers
// to the HostListener after each input (so no application callback runs from
// inside a protocol layer). The parts, one file each:
//   connection.*           one ACL link: L2CAP, ATT/GATT, pairing, link security,
//                          bond restore, CCCD persistence, parameter updates
//   advertiser.*           advertising, its data layout, our private address
//   scanner.*, connector.* central role: discovery and connection establishment
//   privacy.*              our IRK, peer address resolution, resolving list
//
// Sans-I/O: every input carries `now`; the owner (src/api on Linux, a port's
// main loop on an MCU) forwards HCI packets both ways and calls on_timeout()
// at next_deadline().
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <type_traits>
#include <vector>

#include "common/bytes.hpp"
#include "common/hci_packet_type.hpp"
#include "common/time.hpp"
#include "crypto/crypto.hpp"
#include "gap/advertiser.hpp"
#include "gap/advertising_data.hpp"
#include "gap/connection.hpp"
#include "gap/connector.hpp"
#include "gap/host_config.hpp"
#include "gap/host_context.hpp"
#include "gap/host_listener.hpp"
#include "gap/privacy.hpp"
#include "gap/scanner.hpp"
#include "gatt/client.hpp"
#include "gatt/database.hpp"
#include "hci/acl.hpp"
#include "hci/controller_init.hpp"
#include "hci/sender.hpp"
#include "l2cap/pdu.hpp"
#include "sable/conn_desc.hpp"
#include "sable/error.hpp"
#include "sable/notify.hpp"
#include "sable/result.hpp"
#include "sable/security.hpp"
#include "smp/repeated_attempts.hpp"
#include "store/bond_store.hpp"

namespace sable::gap {

using hci::HciStatus;

// Stands in for the scanner and the connector in a build without the central
// role (profile::kCentralRole): each call on it sits behind an
// `if constexpr` that has already returned, so none runs, and the host
// carries neither part's state nor its construction and destruction.
struct NoCentralRole {
  NoCentralRole(HostContext&, Privacy&, HostListener&) {}
  explicit NoCentralRole(HostContext&) {}
  bool scanning() const { return false; }
  bool connecting() const { return false; }
  Result<void, Error> start(const ScanConfig&) { return {}; }
  Result<void, Error> stop() { return {}; }
  void on_advertising_report(Bytes) {}
  Result<void, Error> connect(const Address&, const ConnectConfig&) { return {}; }
  Result<void, Error> cancel() { return {}; }
  bool on_connection_complete(hci::HciStatus) { return false; }
  TimePoint next_deadline() const { return kNever; }
  void on_timeout(TimePoint) {}
};

class Host final {
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
  void on_controller_lost(TimePoint now, const ErrorMessage& message);

  // Security policy, used by the next pairing.
  void set_security_config(const SecurityConfig& security);
  // Bonds live here (default: an in-memory store, made at start() if none is
  // set). Set before start().
  void set_bond_store(store::BondStore* store) { ctx_.bond_store = store; }
  store::BondStore& bond_store() { return ctx_.bonds(); }

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
  const SecurityConfig& security_config() const { return ctx_.config.security; }

  bool ready() const { return ctx_.ready; }
  bool failed() const { return ctx_.failed; }
  const hci::ControllerInfo& controller() const { return ctx_.controller; }
  // The address peers see: the RPA when privacy is on, else the public address.
  Address own_address() const { return advertiser_.own_address(); }

  // GATT: the database is shared by every connection. Set it before advertising.
  void set_database(gatt::Database* database) { database_ = database; }
  gatt::Database* database() { return database_; }

  Result<void, Error> set_advertising_data(TimePoint now, const AdvertisementData& data);
  // Interval in 0.625 ms units, 0x0020..0x4000 (Core 5.4 Vol 4 Part E 7.8.5).
  Result<void, Error> set_advertising_interval(TimePoint now, uint16_t min_units,
                                               uint16_t max_units);
  Result<void, Error> start_advertising(TimePoint now);
  Result<void, Error> stop_advertising(TimePoint now);
  bool advertising() const { return advertiser_.on(); }

  // Central role.
  Result<void, Error> start_scan(TimePoint now, const ScanConfig& config);
  Result<void, Error> stop_scan(TimePoint now);
  bool scanning() const { return scanner_.scanning(); }
  // One connection attempt at a time; ends in on_connected or on_connect_failed.
  Result<void, Error> connect(TimePoint now, const Address& peer, const ConnectConfig& config = {});
  Result<void, Error> cancel_connect(TimePoint now);
  bool connecting() const { return connector_.connecting(); }

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
  // Whether `handle` still names the link of that generation (ConnDesc::generation).
  bool is_current(uint16_t handle, uint32_t generation) const;

 private:
  // Every public entry holds one: it records `now`, and when the outermost
  // entry ends, the outbox is delivered to the listener.
  class Entry {
   public:
    Entry(Host& host, TimePoint now);
    ~Entry();
    Entry(const Entry&) = delete;
    Entry& operator=(const Entry&) = delete;

   private:
    Host& host_;
  };

  void fatal(ErrorKind kind, const ErrorMessage& message);
  void on_bring_up(const Result<hci::ControllerInfo, hci::InitError>& r);
  void on_event(Bytes packet);
  void on_le_meta(Bytes params);
  void on_acl_pdu(uint16_t handle, Bytes pdu);
  // Either LE Connection Complete; `peer_rpa` is the Enhanced event's
  // Peer_Resolvable_Private_Address (all zero: none).
  void on_connection_complete(const hci::LeConnectionFields& e,
                              const std::array<uint8_t, 6>& peer_rpa);
  void on_disconnection_complete(Bytes params);
  void on_remote_connection_parameter_request(Bytes params);
  void refresh_advertising();
  size_t peripheral_links() const;
  Connection* find(uint16_t handle);
  const Connection* find(uint16_t handle) const;
  // Runs a public call on the connection of `handle` inside an Entry, or
  // says why there is no such connection. `arg` is the call's argument.
  using LinkCall = Result<void, Error> (*)(Connection&, const void* arg);
  Result<void, Error> with_link(TimePoint now, uint16_t handle, LinkCall call,
                                const void* arg = nullptr);

  HostContext ctx_;
  HostListener& listener_;
  hci::ControllerInit init_;
  hci::AclOutbound acl_out_;
  hci::AclInbound acl_in_;
  Privacy privacy_;
  Advertiser advertiser_;
  std::conditional_t<profile::kCentralRole, Scanner, NoCentralRole> scanner_;
  std::conditional_t<profile::kCentralRole, Connector, NoCentralRole> connector_;
  smp::RepeatedAttempts repeated_attempts_;
  gatt::Database* database_ = nullptr;
  // Connections live in slots made at construction (max_connections of
  // them): a new link allocates nothing. links_ lists the live ones, oldest
  // first.
  std::unique_ptr<std::optional<Connection>[]> slots_;
  std::unique_ptr<Connection*[]> links_;
  size_t link_count_ = 0;
  std::span<Connection* const> links() const { return {links_.get(), link_count_}; }
  uint32_t generations_ = 0;  // links made so far
  int depth_ = 0;             // nested public entries
  bool delivering_ = false;   // the outbox is being delivered
};

}  // namespace sable::gap
