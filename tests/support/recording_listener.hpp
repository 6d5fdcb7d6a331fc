// A gap::HostListener that records everything the host tells it, for tests
// that assert on host events (e2e, attacks). What a listener does in reply
// (type a passkey, accept a comparison, act from inside a callback) is left
// to optional hooks, so the same recorder serves a cooperative host and a
// server under attack that never answers.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "gap/host.hpp"

namespace sable::testing {

struct Disconnection {
  ConnDesc desc;
  uint8_t reason;
};

class RecordingListener : public gap::HostListener {
 public:
  void on_ready() override { ready = true; }
  void on_fatal(const Error& e) override { fatal = e; }
  void on_connected(const ConnDesc& d) override {
    connected.push_back(d);
    if (on_connected_hook) on_connected_hook(d);
  }
  void on_disconnected(const ConnDesc& d, uint8_t reason) override {
    disconnected.push_back({d, reason});
  }
  void on_connection_updated(const ConnDesc& d) override { updated.push_back(d); }
  void on_security_changed(const ConnDesc& d) override { security_changes.push_back(d); }
  void on_scan_report(const gap::ScanReport& r) override { reports.push_back(r); }
  void on_connect_failed(const Address& a, const Error& e) override {
    connect_failures.push_back({a, e});
  }
  void on_passkey_display(const ConnDesc&, uint32_t passkey) override {
    displayed_passkeys.push_back(passkey);
  }
  void on_passkey_request(const ConnDesc& d) override {
    ++passkey_requests;
    if (on_passkey_request_hook) on_passkey_request_hook(d);
  }
  void on_numeric_comparison(const ConnDesc& d, uint32_t value) override {
    compared_values.push_back(value);
    if (on_numeric_comparison_hook) on_numeric_comparison_hook(d, value);
  }
  void on_pairing_complete(const ConnDesc& d) override {
    paired.push_back(d);
    if (on_pairing_complete_hook) on_pairing_complete_hook(d);
  }
  void on_pairing_failed(const ConnDesc&, const Error& e) override {
    pairing_failures.push_back(e);
  }

  // Run from inside the callbacks, to answer or to test what a listener may
  // do there.
  std::function<void(const ConnDesc&)> on_connected_hook;
  std::function<void(const ConnDesc&)> on_pairing_complete_hook;
  std::function<void(const ConnDesc&)> on_passkey_request_hook;
  std::function<void(const ConnDesc&, uint32_t)> on_numeric_comparison_hook;

  bool ready = false;
  std::optional<Error> fatal;
  std::vector<ConnDesc> connected;
  std::vector<Disconnection> disconnected;
  std::vector<ConnDesc> updated;
  std::vector<ConnDesc> security_changes;
  std::vector<gap::ScanReport> reports;
  std::vector<std::pair<Address, Error>> connect_failures;
  std::vector<uint32_t> displayed_passkeys;
  int passkey_requests = 0;
  std::vector<uint32_t> compared_values;
  std::vector<ConnDesc> paired;
  std::vector<Error> pairing_failures;
};

}  // namespace sable::testing
