#include "gap/host_context.hpp"

#include "common/log.hpp"

namespace sable::gap {

void HostContext::send_command(const hci::CommandPacket& packet, hci::CommandChannel::Callback cb) {
  if (failed) return;
  commands.send(now, packet, std::move(cb));
}

void HostContext::send_command(const hci::CommandPacket& packet) {
  send_command(packet, {});
}

void HostContext::send_or_warn(const hci::CommandPacket& packet, const char* what) {
  // Without warnings compiled in, the answer has nothing to do.
  if (!log_compiled_in(LogLevel::kWarn) || !what) return send_command(packet);
  send_command(packet, [what](const hci::CommandResult& r) {
    if (!r.ok() && !r.timed_out) SABLE_LOG_WARN("%s", hci_error(what, r.status).c_str());
  });
}

store::BondStore& HostContext::bonds() {
  if (bond_store == nullptr) {
    default_bonds = std::make_unique<store::MemoryBondStore>();
    bond_store = default_bonds.get();
  }
  return *bond_store;
}

ErrorMessage hci_error(const char* what, hci::HciStatus status) {
  return ErrorMessage::format("%s failed: %s (0x%02x)", what, hci::status_text(status),
                              unsigned(status));
}

void log_store_error(const ErrorMessage& what, const store::StoreError& e) {
  SABLE_LOG_ERROR("%s: %s", what.c_str(), e.to_string().c_str());
}

Result<void, Error> accepted() {
  return {};
}

Result<void, Error> refuse(ErrorKind kind, const char* message) {
  return fail(Error{kind, message});
}

}  // namespace sable::gap
