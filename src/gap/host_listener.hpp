// What a gap::Host tells its owner. Every call comes from the Host's event
// outbox after the input that caused it has been processed (never from inside
// a protocol layer), on the thread that drives the host; a listener may call
// back into the Host.
#pragma once

#include <cstdint>
#include <optional>

#include "gap/advertising_data.hpp"
#include "sable/address.hpp"
#include "sable/conn_desc.hpp"
#include "sable/error.hpp"

namespace sable::gap {

// One advertising report, with the scan response merged in when it arrived.
struct ScanReport {
  Address address;
  std::optional<Address> identity;  // a bonded peer's identity, when its RPA resolves
  int8_t rssi = 127;
  uint8_t event_type = 0;  // Core 5.4 Vol 4 Part E 7.7.65.2: 0 ADV_IND ... 4 SCAN_RSP
  bool connectable = false;
  ParsedAdvertisingData data;
};

class HostListener {
 public:
  virtual void on_ready() = 0;                    // bring-up finished
  virtual void on_fatal(const Error& error) = 0;  // the controller failed; the host stops
  virtual void on_connected(const ConnDesc&) = 0;
  virtual void on_disconnected(const ConnDesc&, uint8_t reason) = 0;
  virtual void on_connection_updated(const ConnDesc&) {}
  // The link's encryption, authentication or key size changed: once per change.
  virtual void on_security_changed(const ConnDesc&) {}
  // Delivered straight from the advertising report (not queued).
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

}  // namespace sable::gap
