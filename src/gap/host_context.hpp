// What every part of the host shares: the configuration, the controller's
// description, the current time of the input being processed, the command
// channel, the bond store and the event outbox. Owned by gap::Host; the
// advertiser, the central role, privacy and each Connection hold a reference.
#pragma once

#include <memory>
#include <utility>

#include "common/time.hpp"
#include "crypto/crypto.hpp"
#include "gap/event_outbox.hpp"
#include "gap/host_config.hpp"
#include "hci/command_channel.hpp"
#include "hci/controller_init.hpp"
#include "hci/sender.hpp"
#include "hci/status.hpp"
#include "sable/error.hpp"
#include "sable/result.hpp"
#include "store/bond_store.hpp"

namespace sable::gap {

class HostContext {
 public:
  HostContext(const HostConfig& config, hci::Sender& out, crypto::RandomSource& random)
      : config(config), random(random), commands(out), events(4 + 4 * config.max_connections) {}
  HostContext(const HostContext&) = delete;
  HostContext& operator=(const HostContext&) = delete;

  // Nothing is sent once the controller has failed. (Out of line, like
  // bonds(): one copy for every part instead of one per translation unit.)
  void send_command(const hci::CommandPacket& packet, hci::CommandChannel::Callback cb);
  // No answer wanted: the empty callback is made here once, not at every
  // call site.
  void send_command(const hci::CommandPacket& packet);
  // Logs a warning "<what> failed: ..." if the controller refuses (a timeout
  // is the command channel's own fatal error); `what` null: no warning.
  void send_or_warn(const hci::CommandPacket& packet, const char* what);
  // The application's store (Host::set_bond_store), else an in-memory one made
  // on first use (bring-up): a port with its own store never pays for the
  // default's fixed arrays.
  store::BondStore& bonds();

  HostConfig config;
  crypto::RandomSource& random;
  hci::CommandChannel commands;
  EventOutbox events;
  hci::ControllerInfo controller{};
  TimePoint now{};
  bool ready = false;
  bool failed = false;
  std::unique_ptr<store::MemoryBondStore> default_bonds;
  store::BondStore* bond_store = nullptr;
};

// "<what> failed: <status name> (0xNN)", for logs and Error messages.
ErrorMessage hci_error(const char* what, hci::HciStatus status);

// Logs "<what>: <why the store failed>" as an error (one place builds the
// store's text).
void log_store_error(const ErrorMessage& what, const store::StoreError& e);

// A public call done (out of line: one call instead of building the Result
// at every `return`).
Result<void, Error> accepted();

// A public call refused: the Error is built here, once, not at every call
// site.
Result<void, Error> refuse(ErrorKind kind, const char* message);

}  // namespace sable::gap
